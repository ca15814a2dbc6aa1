// SPDX-License-Identifier: GPL-3.0-or-later
// WriterProbe + DdbWriterTransport through a real DdbHaSession against two loopback replay
// servers (127.0.60.1 and 127.0.60.2): the node the writer talks to goes away mid-run, the
// writer fails over, every attempt is classified, and the analyzer finds exactly what the
// servers applied (the resent append as a duplicate).
#include "engine/continuityanalyzer.h"
#include "engine/ddbwritertransport.h"
#include "engine/writerlog.h"
#include "engine/writerprobe.h"
#include "support/ddbreplayserver.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace GrayStep::Engine;
using namespace GrayStep::DolphinDb;
using namespace Qt::Literals::StringLiterals;
using GrayStep::Test::DdbReplayReply;
using GrayStep::Test::DdbReplayServer;

Q_DECLARE_METATYPE(GrayStep::DolphinDb::DdbHaSettings::ResendPolicy)

namespace {

const QString INSERT_KEY = u"function:tableInsert{loadTable('dfs://stock','stock')}"_s;
const QString EXISTS_KEY = u"script:existsTable(\"dfs://stock\", \"stock\")"_s;
const QString MAXID_KEY = u"script:exec max(id) from loadTable(\"dfs://stock\", \"stock\")"_s;

bool waitForState(WriterProbe &probe, WriterProbe::State state, int timeoutMs = 20000)
{
    QElapsedTimer t;
    t.start();
    QSignalSpy spy(&probe, &WriterProbe::stateChanged);
    while (probe.state() != state && t.elapsed() < timeoutMs) {
        spy.wait(100);
    }
    return probe.state() == state;
}

// The rows a server received in tableInsert calls (what it applied, as far as it knows).
void collectRows(const DdbReplayServer &server, std::vector<qint64> &ids, std::vector<qint64> &times)
{
    for (const auto &r : server.received(INSERT_KEY)) {
        const DdbValue &table = r.request.arguments.value(0);
        const DdbVector *id = table.column(u"id");
        const DdbVector *time = table.column(u"time");
        for (qint64 i = 0; id && time && i < id->size(); ++i) {
            ids.push_back(id->intAt(i));
            times.push_back(time->intAt(i));
        }
    }
}

QStringList render(const ContinuityReport &r)
{
    QStringList out;
    for (const auto &f : r.findings) {
        out << u"%1 %2-%3"_s.arg(findingKindName(f.kind)).arg(f.firstId).arg(f.lastId);
    }
    return out;
}

} // namespace

class tst_DdbWriterTransport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void rowTableHasTheTutorialsColumns();
    void nodeGoesAwayMidRun_data();
    void nodeGoesAwayMidRun();
    void rejectedAppendIsFailedAndAbsent();
    void createsTheTableWhenAbsent();
    void startsAboveTheTablesLargestIdWithTheRunsTag();
    void anUnreadableLargestIdStopsTheWriter();

private:
    std::unique_ptr<DdbReplayServer> m_a;
    std::unique_ptr<DdbReplayServer> m_b;
};

void tst_DdbWriterTransport::init()
{
    m_a = std::make_unique<DdbReplayServer>();
    m_b = std::make_unique<DdbReplayServer>();
    QVERIFY(m_a->listen(QHostAddress(u"127.0.60.1"_s)));
    QVERIFY(m_b->listen(QHostAddress(u"127.0.60.2"_s)));
    for (DdbReplayServer *s : {m_a.get(), m_b.get()}) {
        s->on(EXISTS_KEY, DdbReplayReply::value(DdbValue::boolean(true)));
        s->on(MAXID_KEY, DdbReplayReply::value(DdbValue::int32(NULL_INT)));  // an empty table
        s->on(INSERT_KEY, DdbReplayReply::value(DdbValue::int32(1)));
    }
}

void tst_DdbWriterTransport::cleanup()
{
    m_a.reset();
    m_b.reset();
}

void tst_DdbWriterTransport::rowTableHasTheTutorialsColumns()
{
    WriterSettings s;
    s.name = u"graystep"_s;
    const auto t = DdbWriterTransport::rowTable(s, 42, 1673343000000);
    QVERIFY(t.ok());
    QCOMPARE(t->columnNames(), (QStringList{u"time"_s, u"name"_s, u"id"_s}));
    QCOMPARE(t->column(0).type(), DataType::Timestamp);
    QCOMPARE(t->column(1).type(), DataType::Symbol);
    QCOMPARE(t->column(2).type(), DataType::Int);
    QCOMPARE(t->column(2).intAt(0), 42);
    s.idType = WriterIdType::Long;
    QCOMPARE(DdbWriterTransport::rowTable(s, 42, 0)->column(2).type(), DataType::Long);

    // A batch: consecutive ids, one time, past 2^31 with LONG ids.
    const qint64 big = (qint64(1) << 31) - 1;
    const auto batch = DdbWriterTransport::rowTable(s, big, 1673343000000, 3);
    QVERIFY(batch.ok());
    QCOMPARE(batch->column(2).size(), qint64(3));
    QCOMPARE(batch->column(2).intAt(0), big);
    QCOMPARE(batch->column(2).intAt(2), big + 2);
    QCOMPARE(batch->column(0).intAt(2), qint64(1673343000000));
    QCOMPARE(batch->column(1).size(), qint64(3));
    // INT ids never pass the column's maximum, and a batch has at least one row.
    s.idType = WriterIdType::Int;
    QVERIFY(!DdbWriterTransport::rowTable(s, big, 0, 2).ok());
    QVERIFY(DdbWriterTransport::rowTable(s, big, 0, 1).ok());
    QVERIFY(!DdbWriterTransport::rowTable(s, 1, 0, 0).ok());
}

void tst_DdbWriterTransport::nodeGoesAwayMidRun_data()
{
    QTest::addColumn<DdbHaSettings::ResendPolicy>("policy");
    QTest::addColumn<int>("outcome11");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("resent like the official clients, the applied append is found twice")
        << DdbHaSettings::ResendPolicy::Always << int(AttemptOutcome::Acknowledged)
        << QStringList{u"duplicate 11-11"_s};
    QTest::newRow("not resent, the applied append is indeterminate and found recovered")
        << DdbHaSettings::ResendPolicy::Never << int(AttemptOutcome::Indeterminate)
        << QStringList{u"recovered 11-11"_s};
}

void tst_DdbWriterTransport::nodeGoesAwayMidRun()
{
    QFETCH(DdbHaSettings::ResendPolicy, policy);
    QFETCH(int, outcome11);
    QFETCH(QStringList, expected);
    // Node A receives (and applies) the 11th append, then dies before replying: the
    // connection drops and the node stops listening (stopped from the event loop, not
    // inside the server's own signal).
    for (int i = 0; i < 10; ++i) {
        m_a->onOnce(INSERT_KEY, DdbReplayReply::value(DdbValue::int32(1)));
    }
    m_a->onOnce(INSERT_KEY, DdbReplayReply::closeAfterRequest());
    int insertsOnA = 0;
    connect(m_a.get(), &DdbReplayServer::requestReceived, this, [&](const QString &key) {
        if (key == INSERT_KEY && ++insertsOnA == 11) {
            QTimer::singleShot(0, m_a.get(), [this] { m_a->stop(); });
        }
    });
    const QList<DdbSite> sites{m_a->site(), m_b->site()};
    const QString nodeA = m_a->site().toString();
    const QString nodeB = m_b->site().toString();
    DdbHaSettings ha;
    ha.resendPolicy = policy;
    ha.failoverTimeoutMs = 10000;
    ha.retryPauseMs = 20;
    ha.roundPauseMs = 100;
    ha.connection.connectTimeoutMs = 2000;
    ha.connection.requestTimeoutMs = 5000;
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites, ha] { return std::make_unique<DdbWriterTransport>(sites, DdbCredentials(), ha); },
                      &log);
    WriterSettings s;
    s.rowsPerSecond = 50;  // one row per append: the replay server scripts each request
    s.maxRows = 30;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));

    const auto attempts = log.attempts();
    QCOMPARE(attempts.size(), size_t(30));
    for (const WriterAttempt &a : attempts) {
        QCOMPARE(a.id, qint64(&a - attempts.data()) + 1);
        const QString node = log.nodes().value(a.node);
        if (a.id <= 10) {
            QCOMPARE(a.outcome, AttemptOutcome::Acknowledged);
            QCOMPARE(node, nodeA);
        } else if (a.id == 11) {
            QCOMPARE(int(a.outcome), outcome11);
        } else {
            QCOMPARE(a.outcome, AttemptOutcome::Acknowledged);
            QCOMPARE(node, nodeB);  // failed over
        }
    }
    std::vector<qint64> ids;
    std::vector<qint64> times;
    collectRows(*m_a, ids, times);
    collectRows(*m_b, ids, times);
    ContinuityInput in;
    in.ids = ids;
    in.times = times;
    in.attempts = attempts;
    in.hasWriterLog = true;
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    QCOMPARE(render(report), expected);
    QCOMPARE(report.total(FindingKind::Lost), 0);  // every acknowledged row is present
}

void tst_DdbWriterTransport::rejectedAppendIsFailedAndAbsent()
{
    for (int i = 0; i < 4; ++i) {
        m_a->onOnce(INSERT_KEY, DdbReplayReply::value(DdbValue::int32(1)));
    }
    m_a->onOnce(INSERT_KEY, DdbReplayReply::error(u"The value 'graystep' is not a valid partition"_s));
    const QList<DdbSite> sites{m_a->site()};
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites] { return std::make_unique<DdbWriterTransport>(sites, DdbCredentials()); }, &log);
    WriterSettings s;
    s.rowsPerSecond = 50;  // one row per append: the replay server scripts each request
    s.maxRows = 8;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    const auto attempts = log.attempts();
    QCOMPARE(attempts.size(), size_t(8));
    QCOMPARE(attempts[4].outcome, AttemptOutcome::Failed);
    // The replay server recorded the rejected request too; a real server did not apply it.
    std::vector<qint64> ids;
    std::vector<qint64> times;
    collectRows(*m_a, ids, times);
    const auto rejected = std::find(ids.begin(), ids.end(), 5);
    QVERIFY(rejected != ids.end());
    times.erase(times.begin() + (rejected - ids.begin()));
    ids.erase(rejected);
    ContinuityInput in;
    in.ids = ids;
    in.times = times;
    in.attempts = attempts;
    in.hasWriterLog = true;
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    QVERIFY(report.findings.isEmpty());
    QCOMPARE(report.failed, 1);
}

void tst_DdbWriterTransport::createsTheTableWhenAbsent()
{
    m_a->on(EXISTS_KEY, DdbReplayReply::value(DdbValue::boolean(false)));
    m_a->setFallback([](const DdbRequest &r) {
        if (r.kind == DdbRequestKind::Script && r.script.startsWith("db = database(\"dfs://stock\",VALUE,"_L1)) {
            return DdbReplayReply::value(DdbValue());
        }
        return DdbReplayReply::error(u"Syntax Error: [line #1] "_s + r.script);
    });
    const QList<DdbSite> sites{m_a->site()};
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites] { return std::make_unique<DdbWriterTransport>(sites, DdbCredentials()); }, &log);
    WriterSettings s;
    s.rowsPerSecond = 50;  // one row per append: the replay server scripts each request
    s.maxRows = 2;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    QCOMPARE(log.attemptCount(), 2);
    bool created = false;
    for (const auto &r : m_a->received()) {
        if (r.key.startsWith("script:db = database("_L1)) {
            created = r.request.script.contains(u"createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s);
        }
    }
    QVERIFY(created);

    // Without createTable the writer fails and says why.
    WriterLog log2;
    log2.openInMemory();
    WriterProbe refused([sites] { return std::make_unique<DdbWriterTransport>(sites, DdbCredentials()); }, &log2);
    QSignalSpy errors(&refused, &WriterProbe::errorOccurred);
    s.createTable = false;
    refused.start(s);
    QVERIFY(waitForState(refused, WriterProbe::State::Failed));
    QTRY_COMPARE(errors.size(), 1);
    QVERIFY(errors.at(0).at(0).toString().contains(u"does not exist"_s));
}

void tst_DdbWriterTransport::startsAboveTheTablesLargestIdWithTheRunsTag()
{
    // 40 rows of an earlier run are in the table: this run's ids start at 41, every row it
    // sends carries the run's tag in the name column.
    m_a->on(MAXID_KEY, DdbReplayReply::value(DdbValue::int32(40)));
    const QList<DdbSite> sites{m_a->site()};
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites] { return std::make_unique<DdbWriterTransport>(sites, DdbCredentials()); }, &log);
    WriterSettings s;
    s.rowsPerSecond = 50;
    s.maxRows = 3;
    s.name = writerRunTag(u"0a1b2c"_s);
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    const auto attempts = log.attempts();
    QCOMPARE(attempts.size(), size_t(3));
    QCOMPARE(attempts.front().id, 41);
    QCOMPARE(log.sessions().size(), size_t(1));
    QCOMPARE(log.sessions().front().tableMaxId, 40);
    int rows = 0;
    for (const auto &r : m_a->received(INSERT_KEY)) {
        const DdbVector *name = r.request.arguments.value(0).column(u"name");
        QVERIFY(name);
        for (qint64 i = 0; i < name->size(); ++i, ++rows) {
            QCOMPARE(name->stringAt(i), u"graystep-0a1b2c"_s);
        }
    }
    QCOMPARE(rows, 3);
}

void tst_DdbWriterTransport::anUnreadableLargestIdStopsTheWriter()
{
    // Without the table's largest id the writer cannot promise ids of its own: it does not write.
    m_a->on(MAXID_KEY, DdbReplayReply::error(u"Server is busy"_s));
    const QList<DdbSite> sites{m_a->site()};
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites] { return std::make_unique<DdbWriterTransport>(sites, DdbCredentials()); }, &log);
    QSignalSpy errors(&probe, &WriterProbe::errorOccurred);
    WriterSettings s;
    s.maxRows = 3;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Failed));
    QTRY_COMPARE(errors.size(), 1);
    QVERIFY2(errors.at(0).at(0).toString().contains(u"largest id"_s), qPrintable(errors.at(0).at(0).toString()));
    QCOMPARE(log.attemptCount(), 0);
    QVERIFY(m_a->received(INSERT_KEY).isEmpty());
}

QTEST_GUILESS_MAIN(tst_DdbWriterTransport)
#include "tst_ddbwritertransport.moc"
