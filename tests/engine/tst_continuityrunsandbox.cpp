// SPDX-License-Identifier: GPL-3.0-or-later
// The run's continuity verdict on the sandbox (3 hosts, real sshd on 127.0.62.x), through
// graystep-cli run and graystep-cli continuity --journal:
// - rows an earlier run left in the shared table (same ids, the old writer's name) do not hide
//   a write the cluster acknowledged and lost (sandbox fault lose-write): the run's writer
//   starts above them and tags its rows, every check counts the run's rows only;
// - a writer stall beyond the profile's gates.maxGapMs (stuck recovery: appends wait 10 s on
//   RECOVERING chunks) fails the run's final check and `continuity --journal`, saying where.
// Assertions read the table back from the nodes, not only the tool's words.
#include "core/upgradeprofile.h"
#include "dolphindb/ddbconnection.h"
#include "dolphindb/scripts.h"
#include "engine/ddbwritertransport.h"
#include "engine/writerlog.h"
#include "support/clitool.h"
#include "support/testdata.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <set>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;
using GrayStep::Test::binDir;
using GrayStep::Test::Cli;
using GrayStep::Test::runTool;
using GrayStep::Test::runWatching;

namespace {

const QString BASE = u"127.0.62.1"_s;
constexpr qint64 OLD_ROWS = 40;


// The (id, name) of every row of dfs://stock/stock, read from a data node.
Core::Result<std::multiset<std::pair<qint64, QString>>> tableRows(const QString &host)
{
    DdbBlockingConnection c;
    if (Core::Status s = c.open(DdbSite{host, 8922, {}}, DdbCredentials{u"admin"_s, u"123456"_s}); !s) {
        return s.error();
    }
    auto v = c.run(u"select id, name from loadTable(\"dfs://stock\", \"stock\")"_s);
    if (!v) {
        return v.error();
    }
    const DdbVector *id = v->column(u"id");
    const DdbVector *name = v->column(u"name");
    if (!id || !name) {
        return Core::Error(Core::ErrorCode::Protocol, v->describe());
    }
    std::multiset<std::pair<qint64, QString>> rows;
    for (qint64 i = 0; i < id->size(); ++i) {
        rows.emplace(id->intAt(i), name->stringAt(i));
    }
    return rows;
}

} // namespace

class tst_ContinuityRunSandbox final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void olderRowsWithTheSameIdsDoNotHideALostWrite();
    void aWriterStallBeyondTheGateFailsTheVerdict();

private:
    QString profile() const { return m_dir + u"/sandbox.graystep.json"_s; }
    QString journal() const { return m_dir + u"/run.journal"_s; }
    QString host(int i) const { return u"127.0.62.%1"_s.arg(i); }
    QStringList planOrder();

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_dir;
};

void tst_ContinuityRunSandbox::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    m_dir = m_tmp->filePath(u"sbx"_s);
    const Cli up = runTool(u"graystep-sandbox"_s, {u"up"_s, u"--dir"_s, m_dir, u"--base-address"_s, BASE, u"--fast"_s},
                           QProcessEnvironment::systemEnvironment(), 120000);
    QVERIFY2(up.exitCode == 0, up.err.right(2000).constData());
}

void tst_ContinuityRunSandbox::cleanup()
{
    runTool(u"graystep-sandbox"_s, {u"down"_s, u"--dir"_s, m_dir}, QProcessEnvironment::systemEnvironment(), 60000);
    m_tmp.reset();
}

QStringList tst_ContinuityRunSandbox::planOrder()
{
    const Cli c = runTool(u"graystep-cli"_s, {u"plan"_s, u"--profile"_s, profile(), u"--json"_s});
    QStringList order;
    const QList<QJsonObject> events = c.events();
    for (const QJsonValue &h : (events.isEmpty() ? QJsonObject() : events.last()).value(u"hosts"_s).toArray()) {
        order << h.toObject().value(u"address"_s).toString();
    }
    return order;
}

void tst_ContinuityRunSandbox::olderRowsWithTheSameIdsDoNotHideALostWrite()
{
    // An earlier rehearsal's writer left ids 1..40 (name "graystep", as the writer named its
    // rows before runs were tagged). Before this was fixed the run's writer started at id 1
    // again, the lost write's id was found among the old rows: "0 lost, 38 duplicate", exit 0.
    {
        DdbBlockingConnection c;
        QVERIFY(c.open(DdbSite{host(1), 8922, {}}, DdbCredentials{u"admin"_s, u"123456"_s}).ok());
        Engine::WriterSettings old;
        old.name = u"graystep"_s;
        const auto rows = Engine::DdbWriterTransport::rowTable(old, 1, QDateTime::currentMSecsSinceEpoch() - 60000,
                                                               int(OLD_ROWS));
        QVERIFY(rows.ok());
        const auto inserted = c.call(*Scripts::tableInsertFunction(u"dfs://stock"_s, u"stock"_s), {*rows});
        QVERIFY2(inserted.ok(), qPrintable(inserted.ok() ? QString() : inserted.error().toString()));
    }
    const QStringList order = planOrder();
    QCOMPARE(order.size(), 3);
    // While the first host is down every running data node acknowledges its next append and
    // stores nothing.
    bool faulted = false;
    QByteArray faultError;
    const Cli run = runWatching({u"run"_s, u"--profile"_s, profile(), u"--yes"_s, u"--json"_s, u"--journal"_s, journal(),
                                 u"--writer-rate"_s, u"10"_s},
                                [&](const QJsonObject &e, qint64) {
                                    if (!faulted && e.value(u"event"_s).toString() == u"step-finished"_s
                                        && e.value(u"host"_s).toString() == order[0]
                                        && e.value(u"step"_s).toString() == u"stop"_s) {
                                        const Cli fault = runTool(u"graystep-sandbox"_s,
                                                                  {u"fault"_s, u"--dir"_s, m_dir, u"lose-write"_s});
                                        faulted = fault.exitCode == 0;
                                        faultError = fault.err;
                                    }
                                });
    QVERIFY2(faulted, QByteArray(faultError + run.out.right(3000)).constData());
    QCOMPARE(run.exitCode, 1);

    // The live table: the old rows are still there; this run's rows carry its tag, above id 40.
    const auto writerLog = Engine::WriterLog::load(journal() + u".writer"_s);
    QVERIFY(writerLog.ok());
    const QString tag = writerLog->tag();
    QVERIFY2(tag.startsWith(u"graystep-"_s) && tag.size() > 9, qPrintable(tag));
    QVERIFY(!writerLog->sessions.empty());
    QCOMPARE(writerLog->sessions.front().tableMaxId, OLD_ROWS);
    QCOMPARE(writerLog->sessions.front().firstId, OLD_ROWS + 1);
    const auto rows = tableRows(host(2));
    QVERIFY2(rows.ok(), qPrintable(rows.ok() ? QString() : rows.error().toString()));
    std::set<qint64> tagged;
    qint64 old = 0;
    for (const auto &[id, name] : *rows) {
        if (name == tag) {
            QVERIFY2(id > OLD_ROWS, qPrintable(u"the run wrote id %1"_s.arg(id)));
            tagged.insert(id);
        } else {
            QCOMPARE(name, u"graystep"_s);
            ++old;
        }
    }
    QCOMPARE(old, OLD_ROWS);
    // The acknowledged ids that are absent from the table: what the checks must report.
    std::set<qint64> absent;
    for (const Engine::WriterAttempt &a : writerLog->attempts) {
        if (a.outcome == Engine::AttemptOutcome::Acknowledged && !tagged.count(a.id)) {
            absent.insert(a.id);
        }
    }
    QVERIFY2(!absent.empty(), "the fault lost no acknowledged write");

    // The checkpoint after the first host counted the run's rows only: the loss, not duplicates.
    bool checkpointFailed = false;
    for (const QJsonObject &e : run.events()) {
        if (e.value(u"event"_s).toString() == u"check"_s && e.value(u"step"_s).toString() == u"continuity"_s
            && e.value(u"host"_s).toString() == order[0]) {
            const QJsonObject totals = e.value(u"details"_s).toObject().value(u"totals"_s).toObject();
            checkpointFailed = e.value(u"outcome"_s).toString() == u"failed"_s && totals.value(u"lost"_s).toInt() >= 1
                               && totals.value(u"duplicate"_s).toInt() == 0;
        }
    }
    QVERIFY2(checkpointFailed, run.out.right(4000).constData());

    // `continuity --journal` says the same from the table as it is now: exactly the absent ids.
    const Cli check = runTool(u"graystep-cli"_s, {u"continuity"_s, u"--profile"_s, profile(), u"--journal"_s, journal(),
                                                  u"--json"_s});
    QCOMPARE(check.exitCode, 1);
    const QJsonObject verdict = QJsonDocument::fromJson(check.out).object();
    QCOMPARE(verdict.value(u"verdict"_s).toString(), u"fail"_s);
    QCOMPARE(verdict.value(u"tag"_s).toString(), tag);
    QCOMPARE(verdict.value(u"totals"_s).toObject().value(u"lost"_s).toInteger(), qint64(absent.size()));
    QCOMPARE(verdict.value(u"totals"_s).toObject().value(u"duplicate"_s).toInteger(), 0);
    QCOMPARE(verdict.value(u"rows"_s).toInteger(), qint64(rows->size()) - OLD_ROWS);
    for (const QJsonValue &f : verdict.value(u"findings"_s).toArray()) {
        if (f.toObject().value(u"kind"_s).toString() == u"lost"_s) {
            for (qint64 id = f.toObject().value(u"firstId"_s).toInteger(); id <= f.toObject().value(u"lastId"_s).toInteger();
                 ++id) {
                QVERIFY2(absent.count(id), qPrintable(u"id %1 reported lost"_s.arg(id)));
            }
        }
    }
}

void tst_ContinuityRunSandbox::aWriterStallBeyondTheGateFailsTheVerdict()
{
    // Stuck recovery: after the first host's restart its stale replica stays RECOVERING and
    // every append waits 10 s for it (simWriteBlockMaxMs) before it is written: the writer
    // stalls beyond gates.maxGapMs (5000). The run fails for the recovery, and its final
    // continuity check must fail too (it used to print check/ok), as must `continuity --journal`.
    auto p = Core::UpgradeProfile::load(profile());
    QVERIFY(p.ok());
    QCOMPARE(p->gates.maxGapMs, 5000);
    p->gates.recoveryTimeoutS = 40;
    const QString stuckProfile = m_dir + u"/stuck.graystep.json"_s;
    QVERIFY(p->save(stuckProfile).ok());
    const Cli fault = runTool(u"graystep-sandbox"_s, {u"fault"_s, u"--dir"_s, m_dir, u"stuck-recovery"_s});
    QCOMPARE(fault.exitCode, 0);
    const QStringList order = planOrder();
    QCOMPARE(order.size(), 3);
    const Cli run = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, stuckProfile, u"--yes"_s, u"--json"_s,
                                                u"--journal"_s, journal(), u"--writer-rate"_s, u"10"_s});
    QCOMPARE(run.exitCode, 1);

    // The writer log shows the stall: an append slower than the gate.
    const auto writerLog = Engine::WriterLog::load(journal() + u".writer"_s);
    QVERIFY(writerLog.ok());
    qint64 slowest = 0;
    for (const Engine::WriterAttempt &a : writerLog->attempts) {
        if (a.latencyMs() != Engine::NULL_VALUE) {
            slowest = std::max(slowest, a.latencyMs());
        }
    }
    QVERIFY2(slowest > 5000, qPrintable(u"slowest append %1 ms"_s.arg(slowest)));

    // The run's final check failed, naming the gap and the host window it fell in.
    QJsonObject final;
    for (const QJsonObject &e : run.events()) {
        if (e.value(u"event"_s).toString() == u"check"_s && e.value(u"step"_s).toString() == u"continuity"_s
            && e.value(u"host"_s).toString().isEmpty()) {
            final = e;
        }
    }
    QVERIFY2(!final.isEmpty(), run.out.right(3000).constData());
    QCOMPARE(final.value(u"outcome"_s).toString(), u"failed"_s);
    const QJsonObject details = final.value(u"details"_s).toObject();
    QCOMPARE(details.value(u"verdict"_s).toString(), u"fail"_s);
    QVERIFY(details.value(u"totals"_s).toObject().value(u"stall"_s).toInteger() >= 1);
    bool namedTheHost = false;
    for (const QJsonValue &f : details.value(u"findings"_s).toArray()) {
        const QJsonObject o = f.toObject();
        if ((o.value(u"kind"_s).toString() == u"stall"_s || o.value(u"kind"_s).toString() == u"time-gap"_s)
            && o.value(u"valueMs"_s).toInteger() > 5000) {
            namedTheHost = namedTheHost || o.value(u"host"_s).toString() == order[0];
        }
    }
    QVERIFY2(namedTheHost, QJsonDocument(details).toJson().left(4000).constData());
    QVERIFY2(final.value(u"text"_s).toString().contains(u"FAILS: "_s), QJsonDocument(final).toJson().left(2000).constData());

    runTool(u"graystep-sandbox"_s, {u"fault"_s, u"--dir"_s, m_dir, u"normal-recovery"_s});
    // `continuity --journal` judges by the same gates: exit 1, the stall named.
    const Cli check = runTool(u"graystep-cli"_s, {u"continuity"_s, u"--profile"_s, stuckProfile, u"--journal"_s,
                                                  journal()});
    QVERIFY2(check.exitCode == 1, QByteArray(check.out + check.err).right(3000).constData());
    QVERIFY2(check.out.contains("verdict: FAIL") && check.out.contains("because stall: "), check.out.right(3000).constData());
}

QTEST_GUILESS_MAIN(tst_ContinuityRunSandbox)
#include "tst_continuityrunsandbox.moc"
