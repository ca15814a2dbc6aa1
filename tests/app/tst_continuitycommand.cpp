// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the built `graystep-cli continuity` against a loopback replay server (127.0.60.3) that
// serves a table through the script catalog's reads, as a DBA would run it.
#include "engine/writerlog.h"
#include "support/ddbreplayserver.h"
#include "support/testdata.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;
using GrayStep::Engine::AttemptOutcome;
using GrayStep::Engine::WriterAttempt;
using GrayStep::Engine::WriterLog;
using GrayStep::Test::DdbReplayReply;
using GrayStep::Test::DdbReplayServer;

namespace {

constexpr qint64 T0 = 1673343000000;

struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// One row of the served table (time TIMESTAMP, name SYMBOL, id INT).
struct Row
{
    qint64 id;
    qint64 time;
    QString name = QStringLiteral("app");
};

// Serves the rows for the catalog's tableStats, idRange and nullIdTimes scripts, with or
// without a run's tag (name = "..."). tableStats of the name column answers SYMBOLs, as min()
// of a SYMBOL column does.
DdbReplayReply serve(const DdbRequest &r, const std::vector<Row> &rows)
{
    static const QRegularExpression stats(
        u"^select count\\(\\*\\) as rows, min\\((\\w+)\\) as minId, max\\(\\1\\) as maxId, min\\(time\\) as minTime, max\\(time\\) as maxTime from loadTable\\(\"dfs://stock\", \"stock\"\\)(?: where name = \"([^\"]*)\")?$"_s);
    static const QRegularExpression page(
        u"^select id, time from loadTable\\(\"dfs://stock\", \"stock\"\\) where id >= (-?\\d+) and id <= (-?\\d+)(?: and name = \"([^\"]*)\")?$"_s);
    if (r.kind != DdbRequestKind::Script) {
        return DdbReplayReply::error(u"Can't recognize function name "_s + r.function);
    }
    if (const auto m = stats.match(r.script); m.hasMatch()) {
        qint32 lo = NULL_INT;
        qint32 hi = NULL_INT;
        qint64 count = 0;
        for (const Row &row : rows) {
            if (!m.captured(2).isEmpty() && row.name != m.captured(2)) {
                continue;
            }
            ++count;
            lo = lo == NULL_INT ? qint32(row.id) : std::min(lo, qint32(row.id));
            hi = hi == NULL_INT ? qint32(row.id) : std::max(hi, qint32(row.id));
        }
        const bool symbol = m.captured(1) == u"name"_s;
        return DdbReplayReply::value(*DdbValue::table(
            {u"rows"_s, u"minId"_s, u"maxId"_s, u"minTime"_s, u"maxTime"_s},
            {DdbVector::int64s(DataType::Long, {count}),
             symbol ? DdbVector::strings(DataType::Symbol, {u"app"_s}) : DdbVector::int32s(DataType::Int, {lo}),
             symbol ? DdbVector::strings(DataType::Symbol, {u"app"_s}) : DdbVector::int32s(DataType::Int, {hi}),
             DdbVector::int64s(DataType::Timestamp, {T0}), DdbVector::int64s(DataType::Timestamp, {T0})}));
    }
    if (const auto m = page.match(r.script); m.hasMatch()) {
        QList<qint32> ids;
        QList<qint64> times;
        for (const Row &row : rows) {
            if (row.id >= m.captured(1).toLongLong() && row.id <= m.captured(2).toLongLong()
                && (m.captured(3).isEmpty() || row.name == m.captured(3))) {
                ids << qint32(row.id);
                times << row.time;
            }
        }
        return DdbReplayReply::value(*DdbValue::table(
            {u"id"_s, u"time"_s}, {DdbVector::int32s(DataType::Int, ids), DdbVector::int64s(DataType::Timestamp, times)}));
    }
    return DdbReplayReply::error(u"Syntax Error: [line #1] "_s + r.script);
}

} // namespace

class tst_ContinuityCommand : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void cleanTableWithoutLogPasses();
    void missingIdsWithoutALogFail();
    void emptyTableFails();
    void lostRowFailsWithTheWriterLog();
    void lostRowHiddenByOlderRowsIsFoundWithTheRunsTag();
    void symbolIdColumnIsNamedWithItsType();
    void fatalKindsAreConfigurable();
    void textOutputNamesTheVerdict();
    void badUsage_data();
    void badUsage();

private:
    CliRun runCli(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
    QStringList common() const;

    std::unique_ptr<DdbReplayServer> m_server;
    std::vector<Row> m_rows;
    QTemporaryDir m_dir;
};

void tst_ContinuityCommand::init()
{
    m_rows.clear();
    for (qint64 id = 1; id <= 50; ++id) {
        if (id != 7) {
            m_rows.push_back(Row{id, T0 + id * 100});
        }
        if (id == 20) {
            m_rows.push_back(Row{id, T0 + id * 100});  // a duplicate
        }
    }
    m_server = std::make_unique<DdbReplayServer>();
    QVERIFY(m_server->listen(QHostAddress(u"127.0.60.3"_s)));
    m_server->setFallback([this](const DdbRequest &r) { return serve(r, m_rows); });
}

void tst_ContinuityCommand::cleanup()
{
    m_server.reset();
}

CliRun tst_ContinuityCommand::runCli(const QStringList &args, const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    QSignalSpy finished(&p, &QProcess::finished);
    p.start(QDir(GrayStep::Test::binDir()).filePath(u"graystep-cli"_s), QStringList{u"continuity"_s} + args);
    CliRun r;
    // The replay server lives in this thread: keep its event loop running while the CLI works.
    if (!finished.wait(30000) || p.exitStatus() != QProcess::NormalExit) {
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

QStringList tst_ContinuityCommand::common() const
{
    return {u"--site"_s, m_server->site().toString(), u"--table"_s, u"dfs://stock/stock"_s,
            u"--id"_s, u"id"_s, u"--time"_s, u"time"_s, u"--page-ids"_s, u"8"_s};
}

void tst_ContinuityCommand::cleanTableWithoutLogPasses()
{
    m_rows.push_back(Row{7, T0 + 700});
    const CliRun r = runCli(common() + QStringList{u"--json"_s});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"mode"_s).toString(), u"existing-table"_s);
    QCOMPARE(o.value(u"verdict"_s).toString(), u"pass"_s);
    QVERIFY(o.value(u"notJudged"_s).toArray().contains(u"lost"_s));
    QCOMPARE(o.value(u"rows"_s).toInteger(), 51);
    const QJsonObject totals = o.value(u"totals"_s).toObject();
    QCOMPARE(totals.value(u"missing-ids"_s).toInteger(), 0);
    QCOMPARE(totals.value(u"duplicate"_s).toInteger(), 1);
    QCOMPARE(totals.value(u"lost"_s).toInteger(), 0);
    QVERIFY(o.value(u"requests"_s).toInteger() > 5);  // read in pages
}

void tst_ContinuityCommand::missingIdsWithoutALogFail()
{
    // Without a writer log a missing id is the only sign of a lost row: not a pass.
    const CliRun r = runCli(common() + QStringList{u"--json"_s});
    QCOMPARE(r.exitCode, 1);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"mode"_s).toString(), u"existing-table"_s);
    QCOMPARE(o.value(u"verdict"_s).toString(), u"fail"_s);
    QCOMPARE(o.value(u"totals"_s).toObject().value(u"missing-ids"_s).toInteger(), 1);  // id 7
    const QString reason = o.value(u"reasons"_s).toArray().at(0).toString();
    QVERIFY2(reason.startsWith(u"missing-ids: 1 id(s) absent that no writer attempt explains: ids 7 "_s), qPrintable(reason));
}

void tst_ContinuityCommand::emptyTableFails()
{
    // An empty table (or a wrong table, or a filter matching nothing) has nothing to judge.
    m_rows.clear();
    const CliRun r = runCli(common() + QStringList{u"--json"_s});
    QCOMPARE(r.exitCode, 1);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"verdict"_s).toString(), u"fail"_s);
    QCOMPARE(o.value(u"rows"_s).toInteger(), 0);
    QCOMPARE(o.value(u"findings"_s).toArray().at(0).toObject().value(u"kind"_s).toString(), u"no-rows"_s);
    const CliRun t = runCli(common());
    QCOMPARE(t.exitCode, 1);
    QVERIFY2(t.out.contains("verdict: FAIL") && t.out.contains("yields no row with an id"), t.out.constData());
}

void tst_ContinuityCommand::lostRowFailsWithTheWriterLog()
{
    const QString logPath = m_dir.filePath(u"writer.gswlog"_s);
    {
        WriterLog log;
        QVERIFY(log.open(logPath, QJsonObject{{u"table"_s, u"dfs://stock/stock"_s}}).ok());
        const int node = log.nodeIndex(u"127.0.60.3:8922"_s).value();
        for (qint64 id = 1; id <= 50; ++id) {
            QVERIFY(log.append(WriterAttempt{id, T0 + id * 100, T0 + id * 100 + 3, AttemptOutcome::Acknowledged,
                                             static_cast<qint16>(node)})
                        .ok());
        }
    }
    const CliRun r = runCli(common() + QStringList{u"--writer-log"_s, logPath, u"--json"_s});
    QCOMPARE(r.exitCode, 1);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"mode"_s).toString(), u"writer"_s);
    QCOMPARE(o.value(u"verdict"_s).toString(), u"fail"_s);
    const QJsonArray findings = o.value(u"findings"_s).toArray();
    QCOMPARE(findings.size(), 2);
    QCOMPARE(findings.at(0).toObject().value(u"kind"_s).toString(), u"lost"_s);
    QCOMPARE(findings.at(0).toObject().value(u"firstId"_s).toInteger(), 7);
    QCOMPARE(findings.at(0).toObject().value(u"node"_s).toString(), u"127.0.60.3:8922"_s);
    QCOMPARE(findings.at(1).toObject().value(u"kind"_s).toString(), u"duplicate"_s);
    QCOMPARE(o.value(u"attempts"_s).toObject().value(u"acknowledged"_s).toInteger(), 50);
}

void tst_ContinuityCommand::lostRowHiddenByOlderRowsIsFoundWithTheRunsTag()
{
    // The table holds 50 rows of an earlier run (tag "app", ids 1..50) and this run's rows
    // (tag graystep-t, ids 1..50 but 7): the run's log names its tag, only its rows are read,
    // and the acknowledged row 7 is lost, not hidden by the older copy.
    for (Row &row : m_rows) {
        row.name = u"graystep-t"_s;
    }
    for (qint64 id = 1; id <= 50; ++id) {
        m_rows.push_back(Row{id, T0 - 86'400'000 + id * 100});
    }
    const QString logPath = m_dir.filePath(u"tagged.gswlog"_s);
    {
        WriterLog log;
        QVERIFY(log.open(logPath, QJsonObject{{u"table"_s, u"dfs://stock/stock"_s}, {u"tag"_s, u"graystep-t"_s}}).ok());
        QVERIFY(log.appendSession(GrayStep::Engine::WriterSession{T0, 1, GrayStep::Engine::NULL_VALUE, u"graystep-t"_s}).ok());
        for (qint64 id = 1; id <= 50; ++id) {
            QVERIFY(log.append(WriterAttempt{id, T0 + id * 100, T0 + id * 100 + 3, AttemptOutcome::Acknowledged, -1}).ok());
        }
    }
    const CliRun r = runCli(common() + QStringList{u"--writer-log"_s, logPath, u"--json"_s});
    QCOMPARE(r.exitCode, 1);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"tag"_s).toString(), u"graystep-t"_s);
    QCOMPARE(o.value(u"rows"_s).toInteger(), 50);  // this run's rows only
    QCOMPARE(o.value(u"totals"_s).toObject().value(u"lost"_s).toInteger(), 1);
    QCOMPARE(o.value(u"findings"_s).toArray().at(0).toObject().value(u"firstId"_s).toInteger(), 7);
    QCOMPARE(o.value(u"writerSessions"_s).toArray().size(), 1);
    for (const auto &received : m_server->received()) {
        if (received.request.script.startsWith(u"select"_s)) {
            QVERIFY2(received.request.script.endsWith(u"name = \"graystep-t\""_s), qPrintable(received.request.script));
        }
    }
    const CliRun t = runCli(common() + QStringList{u"--writer-log"_s, logPath});
    QVERIFY2(t.out.contains("table dfs://stock/stock where name = 'graystep-t'"), t.out.constData());
    QVERIFY2(t.out.contains("writer started 2023-01-10T09:30:00.000Z: first id 1, rows tagged graystep-t"), t.out.constData());
}

void tst_ContinuityCommand::symbolIdColumnIsNamedWithItsType()
{
    const CliRun r = runCli({u"--site"_s, m_server->site().toString(), u"--table"_s, u"dfs://stock/stock"_s, u"--id"_s,
                             u"name"_s, u"--time"_s, u"time"_s});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("the id column 'name' (--id) is SYMBOL; it must be INT, LONG or SHORT"), r.err.constData());
}

void tst_ContinuityCommand::fatalKindsAreConfigurable()
{
    QCOMPARE(runCli(common() + QStringList{u"--fatal"_s, u"duplicate"_s}).exitCode, 1);
    QCOMPARE(runCli(common() + QStringList{u"--fatal"_s, u"lost,time-gap"_s}).exitCode, 0);
    // A time gap threshold below the rows' 100 ms spacing makes every step a gap.
    const CliRun r = runCli(common() + QStringList{u"--fatal"_s, u"time-gap"_s, u"--time-gap-ms"_s, u"50"_s});
    QCOMPARE(r.exitCode, 1);
}

void tst_ContinuityCommand::textOutputNamesTheVerdict()
{
    const CliRun r = runCli(common());
    QCOMPARE(r.exitCode, 1);
    const QString text = QString::fromUtf8(r.out);
    QVERIFY2(text.contains(u"verdict: FAIL"_s), qPrintable(text));
    QVERIFY2(text.contains(u"  because missing-ids: 1 id(s) absent that no writer attempt explains: ids 7"_s), qPrintable(text));
    QVERIFY(text.contains(u"not judged without a writer log"_s));
    QVERIFY(text.contains(u"missing-ids: 1 (1 findings)  FATAL"_s));
    const CliRun lenient = runCli(common() + QStringList{u"--fatal"_s, u"lost"_s});
    QCOMPARE(lenient.exitCode, 0);
    QVERIFY(lenient.out.contains("verdict: pass"));
}

void tst_ContinuityCommand::badUsage_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no table") << QStringList{u"--site"_s, u"127.0.60.3:1"_s, u"--id"_s, u"id"_s, u"--time"_s, u"t"_s}
                              << u"required"_s;
    QTest::newRow("a table path without a table") << QStringList{u"--site"_s, u"127.0.60.3:1"_s, u"--table"_s,
                                                                 u"dfs://stock"_s, u"--id"_s, u"id"_s, u"--time"_s, u"t"_s}
                                                  << u"dfs://<database>/<table>"_s;
    QTest::newRow("a column name that is a script") << QStringList{u"--site"_s, u"127.0.60.3:1"_s, u"--table"_s,
                                                                   u"dfs://stock/stock"_s, u"--id"_s, u"id;drop"_s,
                                                                   u"--time"_s, u"t"_s}
                                                    << u"not a column name"_s;
    QTest::newRow("an unknown fatal kind") << QStringList{u"--site"_s, u"127.0.60.3:1"_s, u"--table"_s,
                                                          u"dfs://stock/stock"_s, u"--id"_s, u"id"_s, u"--time"_s,
                                                          u"t"_s, u"--fatal"_s, u"lots"_s}
                                           << u"unknown kind"_s;
    QTest::newRow("a writer log that is not one") << QStringList{u"--site"_s, u"127.0.60.3:1"_s, u"--table"_s,
                                                                 u"dfs://stock/stock"_s, u"--id"_s, u"id"_s,
                                                                 u"--time"_s, u"t"_s, u"--writer-log"_s,
                                                                 QFINDTESTDATA("tst_continuitycommand.cpp")}
                                                  << u"not a GrayStep writer log"_s;
    QTest::newRow("an unset password variable") << QStringList{u"--site"_s, u"127.0.60.3:1"_s, u"--table"_s,
                                                               u"dfs://stock/stock"_s, u"--id"_s, u"id"_s, u"--time"_s,
                                                               u"t"_s, u"--password-env"_s, u"GRAYSTEP_TEST_UNSET_PW"_s}
                                                 << u"GRAYSTEP_TEST_UNSET_PW"_s;
    QTest::newRow("nothing listening at the site") << QStringList{u"--site"_s, u"127.0.60.9:1"_s, u"--table"_s,
                                                                  u"dfs://stock/stock"_s, u"--id"_s, u"id"_s,
                                                                  u"--time"_s, u"t"_s}
                                                   << u"127.0.60.9:1"_s;
    QTest::newRow("neither a profile nor a site") << QStringList{u"--table"_s, u"dfs://stock/stock"_s}
                                                  << u"--profile P (or --site HOST:PORT) is required"_s;
    QTest::newRow("a journal without a profile") << QStringList{u"--site"_s, u"127.0.60.3:1"_s, u"--table"_s,
                                                                u"dfs://stock/stock"_s, u"--id"_s, u"id"_s,
                                                                u"--time"_s, u"t"_s, u"--journal"_s, u"j"_s}
                                                 << u"--journal goes with --profile"_s;
    QTest::newRow("a profile that is not there") << QStringList{u"--profile"_s, m_dir.filePath(u"none.graystep.json"_s)}
                                                 << u"none.graystep.json"_s;
}

void tst_ContinuityCommand::badUsage()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const CliRun r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
}

QTEST_GUILESS_MAIN(tst_ContinuityCommand)
#include "tst_continuitycommand.moc"
