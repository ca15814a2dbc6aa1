// SPDX-License-Identifier: GPL-3.0-or-later
// `plan` and `run` execute the same steps (issue 13): on the sandbox (3 hosts, real sshd on
// 127.0.78.x), through graystep-cli, the commands `plan --json` prints are compared, host by
// host and step by step, with the commands `run --json` announces as it executes them (its
// `command` events), and the detached steps the hosts themselves recorded are compared with
// the ones the plan names. Only the run id differs (the plan has "<run>").
#include "engine/journal.h"
#include "support/clitool.h"
#include "support/testdata.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Test::Cli;
using GrayStep::Test::runTool;

namespace {

const QString Base = u"127.0.78.1"_s;

QString text(const Cli &c)
{
    return QString::fromUtf8(c.out.right(3000) + "\n--- stderr ---\n" + c.err.right(1500));
}

// One step's commands as printed or run: the command texts and the detached step ids; apart,
// those the step runs only on a condition (a node slow to answer), which a run may skip.
struct CommandList
{
    QStringList commands;
    QStringList detached;   // per command: the detached step id, or ""
    QStringList conditional;
    void add(const QString &text, const QJsonObject &details, const std::function<QString(QString)> &normalise)
    {
        if (details.contains(u"when"_s)) {
            conditional << text;
            return;
        }
        commands << text;
        detached << normalise(details.value(u"detached"_s).toString());
    }
};

// host -> step -> commands, and per host the steps in order.
struct CommandsByStep
{
    QStringList hosts;
    QMap<QString, QStringList> stepOrder;
    QMap<QString, QMap<QString, CommandList>> steps;
};

// The first line where two lists differ, for a message that can be read.
QString firstDifference(const QStringList &planned, const QStringList &ran)
{
    for (qsizetype i = 0; i < qMax(planned.size(), ran.size()); ++i) {
        if (planned.value(i) != ran.value(i)) {
            return u"command %1 of %2 planned / %3 run:\n--- plan:\n%4\n--- run:\n%5"_s.arg(i + 1)
                .arg(planned.size())
                .arg(ran.size())
                .arg(planned.value(i, u"(none)"_s).left(1500), ran.value(i, u"(none)"_s).left(1500));
        }
    }
    return {};
}

} // namespace

class tst_PlanRunSandbox final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void planAndRunExecuteTheSameCommands();

private:
    QString profile() const { return m_dir + u"/sandbox.graystep.json"_s; }
    QString journal() const { return m_tmp->filePath(u"run.journal"_s); }
    Cli sandbox(const QStringList &args)
    {
        return runTool(u"graystep-sandbox"_s, QStringList{args.first(), u"--dir"_s, m_dir} + args.mid(1));
    }
    // Each host's execution record: the detached step ids in the order the host launched them.
    QStringList executions(int hostNumber) const;

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_dir;
};

void tst_PlanRunSandbox::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    m_dir = m_tmp->filePath(u"sbx"_s);
    const Cli c = runTool(u"graystep-sandbox"_s, {u"up"_s, u"--dir"_s, m_dir, u"--base-address"_s, Base, u"--fast"_s},
                          QProcessEnvironment::systemEnvironment(), 120000);
    QVERIFY2(c.exitCode == 0, qPrintable(text(c)));
}

void tst_PlanRunSandbox::cleanupTestCase()
{
    if (m_tmp) {
        sandbox({u"down"_s});
        m_tmp.reset();
    }
}

QStringList tst_PlanRunSandbox::executions(int hostNumber) const
{
    QStringList ids;
    QFile f(m_dir + u"/host%1/.graystep/executions.log"_s.arg(hostNumber));
    if (f.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : f.readAll().split('\n')) {
            if (!line.trimmed().isEmpty()) {
                ids << QString::fromUtf8(line.split(' ').value(0));
            }
        }
    }
    return ids;
}

void tst_PlanRunSandbox::planAndRunExecuteTheSameCommands()
{
    // The plan, as `run --no-writer` would execute it.
    const Cli planned =
        runTool(u"graystep-cli"_s, {u"plan"_s, u"--profile"_s, profile(), u"--json"_s, u"--no-writer"_s});
    QVERIFY2(planned.exitCode == 0, qPrintable(text(planned)));
    const QJsonObject plan = planned.last();
    QCOMPARE(plan.value(u"runId"_s).toString(), u"<run>"_s);
    CommandsByStep p;
    for (const QJsonValue &hv : plan.value(u"hosts"_s).toArray()) {
        const QJsonObject h = hv.toObject();
        const QString host = h.value(u"address"_s).toString();
        p.hosts << host;
        for (const QJsonValue &sv : h.value(u"steps"_s).toArray()) {
            const QJsonObject s = sv.toObject();
            const QString id = s.value(u"id"_s).toString();
            p.stepOrder[host] << id;
            CommandList &c = p.steps[host][id];
            const QJsonArray texts = s.value(u"commands"_s).toArray();
            const QJsonArray details = s.value(u"commandDetails"_s).toArray();
            QCOMPARE(details.size(), texts.size());
            for (qsizetype i = 0; i < texts.size(); ++i) {
                c.add(texts[i].toString(), details[i].toObject(), [](QString asIs) { return asIs; });
            }
        }
    }
    QCOMPARE(p.hosts.size(), 3);
    const QStringList expectedSteps{u"disk"_s,   u"stage"_s,   u"gate"_s,  u"stop"_s,           u"verify-stopped"_s,
                                    u"backup"_s, u"install"_s, u"start"_s, u"verify-version"_s, u"recovery"_s};
    for (const QString &host : p.hosts) {
        QCOMPARE(p.stepOrder[host], expectedSteps);
    }

    // The run, announcing each command before it runs it.
    const Cli run = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, profile(), u"--yes"_s, u"--json"_s,
                                                 u"--no-writer"_s, u"--journal"_s, journal()});
    QVERIFY2(run.exitCode == 0, qPrintable(text(run)));
    QCOMPARE(run.last().value(u"result"_s).toString(), u"finished"_s);
    QString runId;
    const auto contents = GrayStep::Engine::Journal::read(journal());
    QVERIFY(contents.ok());
    for (const GrayStep::Engine::JournalRecord &r : contents->records) {
        if (r.kind == u"run"_s) {
            runId = r.data.value(u"runId"_s).toString();
        }
    }
    QVERIFY(runId.size() >= 6);
    const auto normalise = [&runId](QString s) { return s.replace(runId, u"<run>"_s); };

    CommandsByStep r;
    for (const QJsonObject &e : run.events(u"command"_s)) {
        const QString host = e.value(u"host"_s).toString();
        const QString step = e.value(u"step"_s).toString();
        QVERIFY2(!host.isEmpty() && !step.isEmpty(), "a command event without its host and step");
        if (!r.stepOrder[host].contains(step)) {
            r.stepOrder[host] << step;
        }
        r.steps[host][step].add(normalise(e.value(u"text"_s).toString()), e.value(u"details"_s).toObject(), normalise);
    }
    for (const QJsonObject &e : run.events(u"host-started"_s)) {
        r.hosts << e.value(u"host"_s).toString();
    }

    // Host by host, in the plan's order; step by step, in the plan's order; command for command.
    QCOMPARE(r.hosts, p.hosts);
    for (const QString &host : r.steps.keys()) {
        QVERIFY2(p.hosts.contains(host), qPrintable(u"commands run on %1, which the plan does not list"_s.arg(host)));
    }
    int compared = 0;
    for (const QString &host : p.hosts) {
        QVERIFY2(r.stepOrder[host] == p.stepOrder[host],
                 qPrintable(u"%1: steps planned %2, run %3"_s.arg(host, p.stepOrder[host].join(u", "_s),
                                                                   r.stepOrder[host].join(u", "_s))));
        for (const QString &step : p.stepOrder[host]) {
            const CommandList &want = p.steps[host][step];
            const CommandList &got = r.steps[host][step];
            QVERIFY2(want.commands == got.commands,
                     qPrintable(u"%1 %2: %3"_s.arg(host, step, firstDifference(want.commands, got.commands))));
            QVERIFY2(want.detached == got.detached,
                     qPrintable(u"%1 %2: detached steps planned [%3], run [%4]"_s.arg(
                         host, step, want.detached.join(u", "_s), got.detached.join(u", "_s))));
            for (const QString &c : got.conditional) {
                QVERIFY2(want.conditional.contains(c),
                         qPrintable(u"%1 %2 ran a conditional command the plan does not list:\n%3"_s.arg(host, step, c)));
            }
            compared += int(want.commands.size());
        }
    }
    QVERIFY2(compared > 100, qPrintable(QString::number(compared)));

    // What the hosts recorded themselves: each launched exactly the detached steps the plan
    // names for it (and the staging upload), in the plan's order.
    for (int i = 1; i <= 3; ++i) {
        const QString host = u"127.0.78.%1"_s.arg(i);
        QVERIFY(p.hosts.contains(host));
        QStringList want{u"gs-<run>-h%1-upload"_s.arg(i)};
        for (const QString &step : p.stepOrder[host]) {
            for (const QString &d : p.steps[host][step].detached) {
                if (!d.isEmpty()) {
                    want << d;
                }
            }
        }
        QStringList got;
        for (const QString &id : executions(i)) {
            got << normalise(id);
        }
        QCOMPARE(got, want);
    }
}

QTEST_GUILESS_MAIN(tst_PlanRunSandbox)
#include "tst_planrunsandbox.moc"
