// SPDX-License-Identifier: GPL-3.0-or-later
// `graystep-cli continuity --profile P [--journal J]` against the sandbox: a 3-host emulated
// cluster (ddbsim on 127.0.60.51-53) described by an upgrade profile. The built-in writer
// writes while a journal records a host window; the host's data node is killed inside it and
// the clock jumps 10 s (a time gap) inside it. The CLI reads through the HA session (skipping
// the dead node), uses the run's writer log and names the window of every finding.
#include "engine/ddbwritertransport.h"
#include "engine/journal.h"
#include "engine/writerlog.h"
#include "engine/writerprobe.h"
#include "support/simclient.h"
#include "support/testdata.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::Engine;
using namespace GrayStep::DolphinDb;

namespace {

constexpr auto PASSWORD_ENV = "GRAYSTEP_TEST_CONTINUITY_PASSWORD";
constexpr qint64 JUMP_MS = 10000;

// The system clock plus an offset the test moves forward (a jump in the writer's times).
class JumpingClock final : public Core::Clock
{
public:
    qint64 wallMs() const override { return Core::Clock::system().wallMs() + m_offset.load(); }
    qint64 monotonicMs() const override { return Core::Clock::system().monotonicMs() + m_offset.load(); }
    void jump(qint64 ms) { m_offset += ms; }

private:
    std::atomic<qint64> m_offset{0};
};

struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

DdbHaSettings fastHa()
{
    DdbHaSettings ha;
    ha.failoverTimeoutMs = 20000;
    ha.retryPauseMs = 50;
    ha.roundPauseMs = 200;
    ha.connection.connectTimeoutMs = 3000;
    ha.connection.requestTimeoutMs = 10000;
    return ha;
}

} // namespace

class tst_ContinuityProfile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void journalRunIsClassifiedWithItsHostWindows();
    void profileWithoutJournalJudgesTheTableAlone();
    void badInput_data();
    void badInput();

private:
    CliRun runCli(const QStringList &args);
    QString writeProfile(const QString &name);
    bool waitAttempts(const WriterLog &log, qint64 count);

    Test::SimCluster m_cluster{3, u"127.0.60."_s, 51};
    QTemporaryDir m_dir;
    QString m_profile;
    QString m_otherProfile;
    QString m_journal;
    qint64 m_attempts = 0;
};

QString tst_ContinuityProfile::writeProfile(const QString &name)
{
    QJsonArray hosts;
    for (int i = 1; i <= 3; ++i) {
        hosts.append(QJsonObject{{u"address"_s, m_cluster.host(i)},
                                 {u"installDir"_s, m_cluster.serverDir(i)},
                                 {u"access"_s, u"local"_s}});
    }
    QJsonObject password;
    password.insert(u"env"_s, QString::fromLatin1(PASSWORD_ENV));
    QJsonObject api;
    api.insert(u"user"_s, u"admin"_s);
    api.insert(u"password"_s, password);
    const QJsonObject profile{
        {u"formatVersion"_s, 1},
        {u"name"_s, u"continuity test"_s},
        {u"topology"_s, QJsonObject{{u"configDir"_s, QString(m_cluster.clusterDemo(1) + u"/config"_s)}}},
        {u"hosts"_s, hosts},
        {u"api"_s, api},
        {u"package"_s, QJsonObject{{u"path"_s, u"none.zip"_s}}},
        {u"targetVersion"_s, u"2.00.8.12 2023.01.10"_s},
        {u"writer"_s, QJsonObject{{u"enabled"_s, true},
                                  {u"database"_s, u"dfs://graystep"_s},
                                  {u"table"_s, u"cli"_s},
                                  {u"rowsPerSecond"_s, 20}}},
        {u"gates"_s, QJsonObject{{u"maxLostRows"_s, 0}, {u"maxGapMs"_s, 3000}}},
    };
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    f.write(QJsonDocument(profile).toJson());
    return path;
}

bool tst_ContinuityProfile::waitAttempts(const WriterLog &log, qint64 count)
{
    return QTest::qWaitFor([&] { return log.attemptCount() >= count; }, 60000);
}

void tst_ContinuityProfile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(m_cluster.isValid());
    const auto st = m_cluster.layout();
    QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().toString()));
    const auto started = m_cluster.startAll();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().toString()));
    m_profile = writeProfile(u"cluster.graystep.json"_s);
    m_otherProfile = writeProfile(u"other.graystep.json"_s);
    QVERIFY(!m_profile.isEmpty() && !m_otherProfile.isEmpty());
    qputenv(PASSWORD_ENV, "123456");

    // The run: a journal (as the runner writes it) and the writer's log next to it.
    m_journal = m_dir.filePath(u"run.journal"_s);
    JumpingClock clock;
    auto journal = Journal::open(m_journal, clock);
    QVERIFY(journal.ok());
    QVERIFY((*journal)->append(u"run"_s, {}, {}, QJsonObject{{u"runId"_s, u"t1"_s}, {u"profile"_s, m_profile},
                                                             {u"writer"_s, true}}).ok());
    WriterLog log;
    QVERIFY(log.open(m_journal + u".writer"_s, QJsonObject{{u"table"_s, u"dfs://graystep/cli"_s}}).ok());
    QList<DdbSite> sites;
    for (int i = 1; i <= 3; ++i) {
        sites << DdbSite{m_cluster.host(i), 8922, u"node%1"_s.arg(i)};
    }
    const DdbCredentials admin{u"admin"_s, u"123456"_s};
    WriterProbe probe([sites, admin] { return std::make_unique<DdbWriterTransport>(sites, admin, fastHa()); }, &log,
                      clock);
    WriterSettings s;
    s.database = u"dfs://graystep"_s;
    s.table = u"cli"_s;
    s.rowsPerSecond = 20;
    probe.start(s);
    QVERIFY(waitAttempts(log, 10));

    // Host 1's window: its data node dies (the writer fails over), the clock jumps.
    QVERIFY((*journal)->append(u"intent"_s, m_cluster.host(1), u"stop"_s).ok());
    m_cluster.kill(1, u"node1"_s);
    QVERIFY(waitAttempts(log, log.attemptCount() + 10));
    clock.jump(JUMP_MS);
    QVERIFY(waitAttempts(log, log.attemptCount() + 10));
    QVERIFY((*journal)->append(u"done"_s, m_cluster.host(1), u"recovery"_s).ok());
    QVERIFY(waitAttempts(log, log.attemptCount() + 10));

    probe.stop();
    QTRY_COMPARE_WITH_TIMEOUT(probe.state(), WriterProbe::State::Stopped, 30000);
    QVERIFY(log.sync().ok());
    m_attempts = log.attemptCount();
    log.close();
}

void tst_ContinuityProfile::cleanupTestCase()
{
    m_cluster.killAll();
}

CliRun tst_ContinuityProfile::runCli(const QStringList &args)
{
    QProcess p;
    QSignalSpy finished(&p, &QProcess::finished);
    p.start(QDir(Test::binDir()).filePath(u"graystep-cli"_s), QStringList{u"continuity"_s} + args);
    CliRun r;
    if (!finished.wait(120000) || p.exitStatus() != QProcess::NormalExit) {
        qWarning("graystep-cli did not finish: %s", qPrintable(p.errorString()));
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void tst_ContinuityProfile::journalRunIsClassifiedWithItsHostWindows()
{
    // node1 is still down: the HA session must skip it. The clock's 10 s jump is a gap beyond
    // the profile's gates.maxGapMs (3000): the run's verdict fails (exit 1), saying where.
    const CliRun r = runCli({u"--profile"_s, m_profile, u"--journal"_s, m_journal, u"--page-ids"_s, u"25"_s,
                             u"--json"_s});
    QVERIFY2(r.exitCode == 1, QByteArray(r.out + r.err).constData());
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"mode"_s).toString(), u"writer"_s);
    QCOMPARE(o.value(u"verdict"_s).toString(), u"fail"_s);
    QCOMPARE(o.value(u"tag"_s).toString(), u"graystep"_s);  // the writer's rows only
    QCOMPARE(o.value(u"thresholds"_s).toObject().value(u"timeGapMs"_s).toInteger(), 3000);
    QCOMPARE(o.value(u"thresholds"_s).toObject().value(u"stallMs"_s).toInteger(), 3000);
    QVERIFY(o.value(u"fatalKinds"_s).toArray().contains(u"time-gap"_s));
    QVERIFY(o.value(u"fatalKinds"_s).toArray().contains(u"stall"_s));
    bool gapReason = false;
    for (const QJsonValue &reason : o.value(u"reasons"_s).toArray()) {
        gapReason = gapReason
            || (reason.toString().startsWith(u"time-gap: "_s) && reason.toString().contains(u"during "_s + m_cluster.host(1)));
    }
    QVERIFY2(gapReason, QJsonDocument(o.value(u"reasons"_s).toArray()).toJson().constData());
    QCOMPARE(o.value(u"table"_s).toString(), u"dfs://graystep/cli"_s);
    QCOMPARE(o.value(u"writerLog"_s).toString(), m_journal + u".writer"_s);
    const QJsonObject attempts = o.value(u"attempts"_s).toObject();
    QCOMPARE(attempts.value(u"total"_s).toInteger(), m_attempts);
    const QJsonObject totals = o.value(u"totals"_s).toObject();
    QCOMPARE(totals.value(u"lost"_s).toInteger(), 0);
    // Every attempt classified: acknowledged rows present, the rest recovered / never written / failed.
    QCOMPARE(attempts.value(u"acknowledged"_s).toInteger() + attempts.value(u"failed"_s).toInteger()
                 + attempts.value(u"indeterminate"_s).toInteger(),
             m_attempts);
    QCOMPARE(totals.value(u"recovered"_s).toInteger() + totals.value(u"never-written"_s).toInteger(),
             attempts.value(u"indeterminate"_s).toInteger());

    const QJsonArray windows = o.value(u"windows"_s).toArray();
    QCOMPARE(windows.size(), 1);
    QCOMPARE(windows.at(0).toObject().value(u"host"_s).toString(), m_cluster.host(1));
    QVERIFY(windows.at(0).toObject().value(u"endMs"_s).isDouble());

    // The clock's jump inside the window is a time gap of the profile's gate (3000 ms), tied to host 1.
    int gaps = 0;
    for (const QJsonValue &v : o.value(u"findings"_s).toArray()) {
        const QJsonObject f = v.toObject();
        if (f.value(u"kind"_s).toString() == u"time-gap"_s && f.value(u"valueMs"_s).toInteger() >= JUMP_MS) {
            ++gaps;
            QCOMPARE(f.value(u"host"_s).toString(), m_cluster.host(1));
        }
    }
    QCOMPARE(gaps, 1);

    // The text form says the same, with the window.
    const CliRun t = runCli({u"--profile"_s, m_profile, u"--journal"_s, m_journal});
    QCOMPARE(t.exitCode, 1);
    const QString text = QString::fromUtf8(t.out);
    qInfo("%s", qPrintable(text));
    QVERIFY2(text.contains(u"verdict: FAIL"_s) && text.contains(u"  because time-gap: "_s), qPrintable(text));
    QVERIFY2(text.contains(u"host window "_s + m_cluster.host(1)), qPrintable(text));
    QVERIFY2(text.contains(u"time-gap"_s) && text.contains(u"during "_s + m_cluster.host(1)), qPrintable(text));
    // A gate wide enough for the jump passes (the operator's explicit threshold and kinds).
    const CliRun wide = runCli({u"--profile"_s, m_profile, u"--journal"_s, m_journal, u"--time-gap-ms"_s, u"60000"_s,
                                u"--stall-ms"_s, u"60000"_s});
    QVERIFY2(wide.exitCode == 0, QByteArray(wide.out + wide.err).constData());
}

void tst_ContinuityProfile::profileWithoutJournalJudgesTheTableAlone()
{
    const CliRun r = runCli({u"--profile"_s, m_profile, u"--json"_s});
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    // Without the writer log an id the writer's failed or unanswered appends left out is a
    // missing id, the only sign of loss there: it fails the verdict.
    const qint64 missing = o.value(u"totals"_s).toObject().value(u"missing-ids"_s).toInteger();
    QVERIFY2(r.exitCode == (missing > 0 ? 1 : 0), QByteArray(r.out + r.err).constData());
    QCOMPARE(o.value(u"verdict"_s).toString(), missing > 0 ? u"fail"_s : u"pass"_s);
    QCOMPARE(o.value(u"mode"_s).toString(), u"existing-table"_s);
    QVERIFY(o.value(u"notJudged"_s).toArray().contains(u"lost"_s));
    QVERIFY(o.value(u"rows"_s).toInteger() > 0);
    QCOMPARE(o.value(u"windows"_s).toArray().size(), 0);
}

void tst_ContinuityProfile::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QStringList>("mentions");
    const QString missing = m_dir.filePath(u"no-such.journal"_s);
    QTest::newRow("a missing journal is named")
        << QStringList{u"--profile"_s, m_profile, u"--journal"_s, missing} << 2 << QStringList{missing};
    QTest::newRow("a journal of another profile is refused")
        << QStringList{u"--profile"_s, m_otherProfile, u"--journal"_s, m_journal} << 2
        << QStringList{m_journal, m_otherProfile, u"not of"_s};
    QTest::newRow("a table without the id column names the table and the column")
        << QStringList{u"--profile"_s, m_profile, u"--table"_s, u"dfs://graystep/cli"_s, u"--id"_s, u"seq"_s} << 2
        << QStringList{u"dfs://graystep/cli"_s, u"seq"_s, u"--id"_s};
    QTest::newRow("a table without the time column names the table and the column")
        << QStringList{u"--profile"_s, m_profile, u"--time"_s, u"ts"_s} << 2
        << QStringList{u"dfs://graystep/cli"_s, u"ts"_s, u"--time"_s};
    QTest::newRow("another table than the journal's writer wrote is refused")
        << QStringList{u"--profile"_s, m_profile, u"--journal"_s, m_journal, u"--table"_s, u"dfs://graystep/other"_s}
        << 2 << QStringList{u"dfs://graystep/cli"_s, u"dfs://graystep/other"_s};
    QTest::newRow("--profile and --site together are bad usage")
        << QStringList{u"--profile"_s, m_profile, u"--site"_s, m_cluster.host(2) + u":8922"_s} << 2
        << QStringList{u"--site"_s};
    QTest::newRow("--writer-log goes with --site only")
        << QStringList{u"--profile"_s, m_profile, u"--writer-log"_s, m_journal + u".writer"_s} << 2
        << QStringList{u"--writer-log"_s};
    QTest::newRow("a missing profile is named")
        << QStringList{u"--profile"_s, m_dir.filePath(u"nope.graystep.json"_s)} << 2
        << QStringList{u"nope.graystep.json"_s};
}

void tst_ContinuityProfile::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QStringList, mentions);
    const CliRun r = runCli(args);
    QCOMPARE(r.exitCode, exitCode);
    const QString err = QString::fromUtf8(r.err);
    for (const QString &m : mentions) {
        QVERIFY2(err.contains(m), qPrintable(u"'%1' not in: %2"_s.arg(m, err)));
    }
}

QTEST_GUILESS_MAIN(tst_ContinuityProfile)
#include "tst_continuityprofile.moc"
