// SPDX-License-Identifier: GPL-3.0-or-later
// WriterProbe against a scripted in-process HA session (no network): every attempt is
// recorded with its outcome and node, and the analyzer classifies the result exactly.
#include "engine/continuityanalyzer.h"
#include "engine/writerlog.h"
#include "engine/writerprobe.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <map>
#include <numeric>

using namespace GrayStep::Engine;
using namespace Qt::Literals::StringLiterals;

namespace {

// What the scripted cluster does with the append of one id.
enum class Behaviour {
    Ack,              // applied, acknowledged
    Reject,           // not applied, server error: failed
    DropBefore,       // connection dropped before applying: indeterminate, absent
    DropAfter,        // applied, connection dropped before the reply: indeterminate, present
    ResendApplied,    // applied, dropped, the HA session resent it elsewhere: applied twice, acknowledged
    AckButLose,       // acknowledged but the row vanished (the bug the checker exists for)
    Failover,         // from this id on the session answers from the next node
};

class FakeCluster
{
public:
    void script(qint64 id, Behaviour b)
    {
        QMutexLocker lock(&m_mutex);
        m_script[id] = b;
    }
    void delay(qint64 id, int ms)
    {
        QMutexLocker lock(&m_mutex);
        m_delay[id] = ms;
    }
    void hangPrepare()
    {
        QMutexLocker lock(&m_mutex);
        m_hang = true;
    }
    bool hangs()
    {
        QMutexLocker lock(&m_mutex);
        return m_hang;
    }
    void failPrepare(const QString &message)
    {
        QMutexLocker lock(&m_mutex);
        m_prepareError = message;
    }
    // Rows an earlier run (or the application) left: ids 1..maxId, what prepare() reports.
    void holdEarlierRows(qint64 maxId)
    {
        QMutexLocker lock(&m_mutex);
        m_tableMaxId = maxId;
    }
    qint64 tableMaxId()
    {
        QMutexLocker lock(&m_mutex);
        return m_tableMaxId;
    }
    // The settings each prepare() and append() saw (the rows' tag among them).
    QStringList names()
    {
        QMutexLocker lock(&m_mutex);
        return m_names;
    }
    void sawName(const QString &name)
    {
        QMutexLocker lock(&m_mutex);
        if (!m_names.contains(name)) {
            m_names << name;
        }
    }

    // Runs on the writer's thread. A batch is all or nothing: the first scripted behaviour
    // among its ids applies to every row.
    AppendOutcome apply(qint64 firstId, int count, qint64 timeMs)
    {
        QMutexLocker lock(&m_mutex);
        m_batches.push_back(count);
        Behaviour b = Behaviour::Ack;
        for (qint64 id = firstId; id < firstId + count; ++id) {
            if (const auto it = m_script.find(id); it != m_script.end()) {
                b = it->second;
                break;
            }
        }
        AppendOutcome outcome;
        for (qint64 id = firstId; id < firstId + count; ++id) {
            outcome = applyRow(b, id, timeMs);
        }
        return outcome;
    }
    std::vector<int> batches()
    {
        QMutexLocker lock(&m_mutex);
        return m_batches;
    }

private:
    AppendOutcome applyRow(Behaviour b, qint64 id, qint64 timeMs)
    {
        if (b == Behaviour::Failover && m_script.count(id) > 0) {  // once, at the scripted id
            m_node = (m_node + 1) % 3;
        }
        const QString node = u"127.0.60.%1:8922"_s.arg(m_node + 1);
        switch (b) {
        case Behaviour::Ack:
        case Behaviour::Failover:
            m_ids.push_back(id);
            m_times.push_back(timeMs);
            return {AttemptOutcome::Acknowledged, node, {}};
        case Behaviour::Reject:
            return {AttemptOutcome::Failed, node, u"Server error"_s};
        case Behaviour::DropBefore:
            return {AttemptOutcome::Indeterminate, node, u"connection reset"_s};
        case Behaviour::DropAfter:
            m_ids.push_back(id);
            m_times.push_back(timeMs);
            return {AttemptOutcome::Indeterminate, node, u"connection reset"_s};
        case Behaviour::ResendApplied:
            m_ids.push_back(id);
            m_times.push_back(timeMs);
            m_node = (m_node + 1) % 3;
            m_ids.push_back(id);
            m_times.push_back(timeMs);
            return {AttemptOutcome::Acknowledged, u"127.0.60.%1:8922"_s.arg(m_node + 1), {}};
        case Behaviour::AckButLose:
            return {AttemptOutcome::Acknowledged, node, {}};
        }
        return {};
    }

public:
    int delayOf(qint64 id)
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_delay.find(id);
        return it == m_delay.end() ? 0 : it->second;
    }
    QString prepareError()
    {
        QMutexLocker lock(&m_mutex);
        return m_prepareError;
    }
    std::pair<std::vector<qint64>, std::vector<qint64>> table()
    {
        QMutexLocker lock(&m_mutex);
        return {m_ids, m_times};
    }

private:
    QMutex m_mutex;
    std::map<qint64, Behaviour> m_script;
    std::map<qint64, int> m_delay;
    QString m_prepareError;
    bool m_hang = false;
    std::vector<qint64> m_ids;
    std::vector<qint64> m_times;
    std::vector<int> m_batches;
    int m_node = 0;
    qint64 m_tableMaxId = NULL_VALUE;
    QStringList m_names;
};

class FakeTransport final : public WriterTransport
{
public:
    explicit FakeTransport(FakeCluster *cluster)
        : m_cluster(cluster)
    {}
    void prepare(const WriterSettings &settings, std::function<void(GrayStep::Core::Result<PreparedTable>)> done) override
    {
        if (m_cluster->hangs()) {
            return;  // like a session still looking for a reachable site
        }
        const QString error = m_cluster->prepareError();
        if (error.isEmpty()) {
            done(PreparedTable{settings.aboveTableMaxId ? m_cluster->tableMaxId() : NULL_VALUE, false});
        } else {
            done(GrayStep::Core::Error(GrayStep::Core::ErrorCode::Server, error));
        }
    }
    void append(const WriterSettings &settings, qint64 firstId, int count, qint64 timeMs,
                std::function<void(AppendOutcome)> done) override
    {
        m_cluster->sawName(settings.name);
        int delay = 0;
        for (qint64 id = firstId; id < firstId + count; ++id) {
            delay = std::max(delay, m_cluster->delayOf(id));
        }
        if (delay == 0) {
            done(m_cluster->apply(firstId, count, timeMs));  // synchronous answer
            return;
        }
        // Asynchronous answer from this thread's event loop, like a socket reply.
        QTimer::singleShot(delay, &m_context,
                           [this, firstId, count, timeMs, done] { done(m_cluster->apply(firstId, count, timeMs)); });
    }

private:
    FakeCluster *m_cluster;
    QObject m_context;
};

WriterProbe::TransportFactory factoryFor(FakeCluster *cluster)
{
    return [cluster] { return std::make_unique<FakeTransport>(cluster); };
}

bool waitForState(WriterProbe &probe, WriterProbe::State state, int timeoutMs = 10000)
{
    QElapsedTimer t;
    t.start();
    QSignalSpy spy(&probe, &WriterProbe::stateChanged);
    while (probe.state() != state && t.elapsed() < timeoutMs) {
        spy.wait(100);
    }
    return probe.state() == state;
}

ContinuityReport analyzeRun(FakeCluster &cluster, const WriterLog &log)
{
    const auto [ids, times] = cluster.table();
    const auto attempts = log.attempts();
    ContinuityInput in;
    in.ids = ids;
    in.times = times;
    in.attempts = attempts;
    in.hasWriterLog = true;
    return ContinuityAnalyzer().analyze(in);
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

class tst_WriterProbe : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanRunRecordsEveryAttempt();
    void everyOutcomeIsRecordedAndClassified_data();
    void everyOutcomeIsRecordedAndClassified();
    void pauseHoldsTheWriterAndResumeContinues();
    void stopRecordsTheAppendInFlight();
    void intIdsStopAtTheMaximumInsteadOfWrapping();
    void continuesAfterTheLogsLastId();
    void startsAboveTheTablesLargestId_data();
    void startsAboveTheTablesLargestId();
    void failsWhenTheTableCannotBePrepared();
    void stopWhilePreparingStopsAtOnce();
    void keepsToTheRate();
    void batchesAboveFiftyRowsPerSecond();
    void aStallIsCaughtUpOnlyBoundedly();
};

void tst_WriterProbe::cleanRunRecordsEveryAttempt()
{
    QTemporaryDir dir;
    FakeCluster cluster;
    WriterLog log;
    QVERIFY(log.open(dir.filePath(u"w.gswlog"_s), QJsonObject{{u"table"_s, u"dfs://stock/stock"_s}}).ok());
    WriterProbe probe(factoryFor(&cluster), &log);
    QSignalSpy attempts(&probe, &WriterProbe::attemptRecorded);
    QSignalSpy states(&probe, &WriterProbe::stateChanged);
    WriterSettings s;
    s.rowsPerSecond = 1000;
    s.maxRows = 200;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    QTRY_COMPARE(attempts.size(), 200);
    QCOMPARE(probe.attempts(), 200);
    QCOMPARE(probe.acknowledged(), 200);
    QTRY_VERIFY(states.size() >= 3);
    QCOMPARE(states.at(0).at(0).value<WriterProbe::State>(), WriterProbe::State::Preparing);
    QCOMPARE(states.at(1).at(0).value<WriterProbe::State>(), WriterProbe::State::Running);
    QCOMPARE(states.last().at(0).value<WriterProbe::State>(), WriterProbe::State::Stopped);
    const auto recorded = log.attempts();
    QCOMPARE(recorded.size(), size_t(200));
    for (size_t i = 0; i < recorded.size(); ++i) {
        QCOMPARE(recorded[i].id, qint64(i) + 1);
        QCOMPARE(recorded[i].outcome, AttemptOutcome::Acknowledged);
        QVERIFY(recorded[i].doneMs >= recorded[i].sendMs);
    }
    // The same record is on disk.
    const auto loaded = WriterLog::load(dir.filePath(u"w.gswlog"_s));
    QVERIFY(loaded.ok());
    QVERIFY(loaded->attempts == recorded);
    QCOMPARE(loaded->nodes, QStringList{u"127.0.60.1:8922"_s});
    QVERIFY(render(analyzeRun(cluster, log)).isEmpty());
}

void tst_WriterProbe::everyOutcomeIsRecordedAndClassified_data()
{
    QTest::addColumn<QList<int>>("behaviours");   // (id, Behaviour) pairs
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("an acknowledged row that vanished is lost")
        << QList<int>{7, int(Behaviour::AckButLose)} << QStringList{u"lost 7-7"_s};
    QTest::newRow("an append resent after it was applied is a duplicate")
        << QList<int>{12, int(Behaviour::ResendApplied)} << QStringList{u"duplicate 12-12"_s};
    QTest::newRow("a dropped reply after the row was applied is recovered")
        << QList<int>{5, int(Behaviour::DropAfter)} << QStringList{u"recovered 5-5"_s};
    QTest::newRow("a dropped connection before the row was applied is never written")
        << QList<int>{5, int(Behaviour::DropBefore)} << QStringList{u"never-written 5-5"_s};
    QTest::newRow("a rejected append is no finding") << QList<int>{9, int(Behaviour::Reject)}
                                                     << QStringList();
    QTest::newRow("a failover with every kind of outcome")
        << QList<int>{10, int(Behaviour::Failover), 11, int(Behaviour::DropBefore), 12,
                      int(Behaviour::DropAfter), 13, int(Behaviour::ResendApplied), 14,
                      int(Behaviour::Reject), 20, int(Behaviour::AckButLose)}
        << QStringList{u"lost 20-20"_s, u"duplicate 13-13"_s, u"recovered 12-12"_s,
                       u"never-written 11-11"_s};
}

void tst_WriterProbe::everyOutcomeIsRecordedAndClassified()
{
    QFETCH(QList<int>, behaviours);
    QFETCH(QStringList, expected);
    FakeCluster cluster;
    for (qsizetype i = 0; i + 1 < behaviours.size(); i += 2) {
        cluster.script(behaviours.at(i), static_cast<Behaviour>(behaviours.at(i + 1)));
    }
    cluster.delay(3, 30);  // one asynchronous answer on the way
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    WriterSettings s;
    s.rowsPerSecond = 50;  // one row per append: the outcomes are per id
    s.maxRows = 30;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    const auto recorded = log.attempts();
    QCOMPARE(recorded.size(), size_t(30));
    for (const WriterAttempt &a : recorded) {
        QVERIFY2(a.node >= 0, "every attempt names the node that answered");
    }
    const ContinuityReport report = analyzeRun(cluster, log);
    QCOMPARE(report.attempts, 30);
    QCOMPARE(render(report), expected);
    // Failover moves the answering node.
    if (behaviours.contains(int(Behaviour::Failover))) {
        QCOMPARE(log.nodes().value(recorded[9].node), u"127.0.60.2:8922"_s);
        QCOMPARE(log.nodes().value(recorded[0].node), u"127.0.60.1:8922"_s);
    }
}

void tst_WriterProbe::pauseHoldsTheWriterAndResumeContinues()
{
    FakeCluster cluster;
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    QSignalSpy attempts(&probe, &WriterProbe::attemptRecorded);
    WriterSettings s;
    s.rowsPerSecond = 100;
    probe.start(s);
    QTRY_VERIFY(attempts.size() >= 3);
    probe.pause();
    QVERIFY(waitForState(probe, WriterProbe::State::Paused));
    QTest::qWait(50);  // an attempt already queued may still land
    const qint64 atPause = log.attemptCount();
    QSignalSpy more(&probe, &WriterProbe::attemptRecorded);
    QVERIFY(!more.wait(300));  // nothing is written while paused
    QCOMPARE(log.attemptCount(), atPause);
    probe.resume();
    QVERIFY(waitForState(probe, WriterProbe::State::Running));
    QTRY_VERIFY(log.attemptCount() >= atPause + 3);
    probe.stop();
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    // Ids stay consecutive across the pause.
    const auto recorded = log.attempts();
    for (size_t i = 0; i < recorded.size(); ++i) {
        QCOMPARE(recorded[i].id, qint64(i) + 1);
    }
}

void tst_WriterProbe::stopRecordsTheAppendInFlight()
{
    FakeCluster cluster;
    cluster.delay(1, 300);
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    WriterSettings s;
    s.rowsPerSecond = 10;
    probe.start(s);
    QTRY_COMPARE(probe.nextId(), 2);  // id 1 is in flight
    probe.stop();
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    QCOMPARE(log.attemptCount(), 1);
    QCOMPARE(log.attempts().front().outcome, AttemptOutcome::Acknowledged);
    QVERIFY(log.attempts().front().latencyMs() >= 250);
}

void tst_WriterProbe::intIdsStopAtTheMaximumInsteadOfWrapping()
{
    FakeCluster cluster;
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    QSignalSpy errors(&probe, &WriterProbe::errorOccurred);
    WriterSettings s;
    s.rowsPerSecond = 1000;
    s.idType = WriterIdType::Int;
    s.firstId = std::numeric_limits<qint32>::max() - 2;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    const auto recorded = log.attempts();
    QCOMPARE(recorded.size(), size_t(3));
    QCOMPARE(recorded.back().id, qint64(std::numeric_limits<qint32>::max()));
    QTRY_COMPARE(errors.size(), 1);
    QVERIFY(errors.at(0).at(0).toString().contains(u"never wrap"_s));
}

void tst_WriterProbe::continuesAfterTheLogsLastId()
{
    FakeCluster cluster;
    WriterLog log;
    log.openInMemory();
    QVERIFY(log.append(WriterAttempt{41, 1, 2, AttemptOutcome::Acknowledged, -1}).ok());
    WriterProbe probe(factoryFor(&cluster), &log);
    WriterSettings s;
    s.rowsPerSecond = 1000;
    s.firstId = 0;
    s.maxRows = 2;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    const auto recorded = log.attempts();
    QCOMPARE(recorded.size(), size_t(3));
    QCOMPARE(recorded[1].id, 42);
    QCOMPARE(recorded[2].id, 43);
}

void tst_WriterProbe::startsAboveTheTablesLargestId_data()
{
    QTest::addColumn<qint64>("tableMaxId");
    QTest::addColumn<qint64>("firstId");
    QTest::addColumn<qint64>("loggedLastId");   // 0: an empty log
    QTest::addColumn<qint64>("expectedFirst");
    QTest::newRow("an empty table: the first id as asked") << NULL_VALUE << 1ll << 0ll << 1ll;
    QTest::newRow("40 rows of an earlier run: ids from 41") << 40ll << 1ll << 0ll << 41ll;
    QTest::newRow("a first id above the table's largest stays") << 40ll << 100ll << 0ll << 100ll;
    QTest::newRow("a resumed run continues after its log when that is higher") << 40ll << 0ll << 70ll << 71ll;
    QTest::newRow("a resumed run goes above rows written meanwhile") << 90ll << 0ll << 70ll << 91ll;
}

void tst_WriterProbe::startsAboveTheTablesLargestId()
{
    // Rows an earlier run, a rehearsal or the application left must never share an id with
    // this run's; the session (first id, the table's largest, the tag) is logged before the
    // first attempt, and every row carries the tag.
    QFETCH(qint64, tableMaxId);
    QFETCH(qint64, firstId);
    QFETCH(qint64, loggedLastId);
    QFETCH(qint64, expectedFirst);
    FakeCluster cluster;
    cluster.holdEarlierRows(tableMaxId);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"w.gswlog"_s);
    WriterLog log;
    QVERIFY(log.open(path, QJsonObject{{u"tag"_s, u"graystep-run7"_s}}).ok());
    if (loggedLastId > 0) {
        QVERIFY(log.append(WriterAttempt{loggedLastId, 1, 2, AttemptOutcome::Acknowledged, -1}).ok());
    }
    WriterProbe probe(factoryFor(&cluster), &log);
    WriterSettings s;
    s.rowsPerSecond = 1000;
    s.firstId = firstId;
    s.maxRows = 3;
    s.name = writerRunTag(u"run7"_s);
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    const auto recorded = log.attempts();
    const size_t before = loggedLastId > 0 ? 1 : 0;
    QCOMPARE(recorded.size(), before + 3);
    QCOMPARE(recorded[before].id, expectedFirst);
    QCOMPARE(recorded.back().id, expectedFirst + 2);
    QCOMPARE(cluster.names(), QStringList{u"graystep-run7"_s});
    // The session is on disk: a later check knows where this start's ids begin.
    const auto loaded = WriterLog::load(path);
    QVERIFY(loaded.ok());
    QCOMPARE(loaded->sessions.size(), size_t(1));
    QCOMPARE(loaded->sessions[0].firstId, expectedFirst);
    QCOMPARE(loaded->sessions[0].tableMaxId, tableMaxId);
    QCOMPARE(loaded->sessions[0].tag, u"graystep-run7"_s);
    QVERIFY(loaded->sessions[0].startMs != NULL_VALUE);
    QCOMPARE(loaded->tag(), u"graystep-run7"_s);
    // A resumed log's session is a restart (a time gap across it is not the cluster's).
    QCOMPARE(loaded->restartIds(), loggedLastId > 0 ? std::vector<qint64>{expectedFirst} : std::vector<qint64>{});
}

void tst_WriterProbe::failsWhenTheTableCannotBePrepared()
{
    FakeCluster cluster;
    cluster.failPrepare(u"The database [dfs://stock] does not exist"_s);
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    QSignalSpy errors(&probe, &WriterProbe::errorOccurred);
    probe.start(WriterSettings());
    QVERIFY(waitForState(probe, WriterProbe::State::Failed));
    QTRY_COMPARE(errors.size(), 1);
    QVERIFY(errors.at(0).at(0).toString().contains(u"does not exist"_s));
    QCOMPARE(log.attemptCount(), 0);
}

void tst_WriterProbe::stopWhilePreparingStopsAtOnce()
{
    FakeCluster cluster;
    cluster.hangPrepare();
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    probe.start(WriterSettings());
    QVERIFY(waitForState(probe, WriterProbe::State::Preparing));
    probe.stop();
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped, 2000));
    QCOMPARE(log.attemptCount(), 0);
}

void tst_WriterProbe::keepsToTheRate()
{
    FakeCluster cluster;
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    WriterSettings s;
    s.rowsPerSecond = 20;
    s.maxRows = 6;
    QElapsedTimer t;
    t.start();
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    // 6 rows at 20 rows/s: the sixth is sent 250 ms after the first, never earlier.
    const auto recorded = log.attempts();
    QCOMPARE(recorded.size(), size_t(6));
    QVERIFY(recorded.back().sendMs - recorded.front().sendMs >= 240);
    QVERIFY(t.elapsed() >= 240);
}

void tst_WriterProbe::batchesAboveFiftyRowsPerSecond()
{
    FakeCluster cluster;
    cluster.script(300, Behaviour::DropAfter);
    cluster.script(420, Behaviour::DropBefore);
    cluster.delay(100, 60);
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    WriterSettings s;
    s.rowsPerSecond = 1000;
    s.maxRows = 500;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    const auto recorded = log.attempts();
    QCOMPARE(recorded.size(), size_t(500));
    for (size_t i = 0; i < recorded.size(); ++i) {
        QCOMPARE(recorded[i].id, qint64(i) + 1);  // every row its own attempt, ids consecutive
    }
    const std::vector<int> batches = cluster.batches();
    QVERIFY2(batches.size() < 250, "rows go several to an append");
    QCOMPARE(std::accumulate(batches.begin(), batches.end(), 0), 500);

    // Rows of one append share its send time, outcome and node; an indeterminate append
    // makes each of its rows recovered (present) or never written (absent) by itself.
    QStringList expectedRecovered;
    QStringList expectedNeverWritten;
    qint64 first = 1;
    for (const int n : batches) {
        const qint64 last = first + n - 1;
        for (qint64 id = first; id <= last; ++id) {
            QCOMPARE(recorded[size_t(id - 1)].sendMs, recorded[size_t(first - 1)].sendMs);
            QCOMPARE(recorded[size_t(id - 1)].outcome, recorded[size_t(first - 1)].outcome);
            QCOMPARE(recorded[size_t(id - 1)].node, recorded[size_t(first - 1)].node);
        }
        if (first <= 300 && 300 <= last) {
            expectedRecovered << u"recovered %1-%2"_s.arg(first).arg(last);
        } else if (first <= 420 && 420 <= last) {
            expectedNeverWritten << u"never-written %1-%2"_s.arg(first).arg(last);
        }
        first = last + 1;
    }
    const ContinuityReport report = analyzeRun(cluster, log);
    QCOMPARE(report.attempts, 500);
    QCOMPARE(report.total(FindingKind::Lost), 0);
    QCOMPARE(render(report), expectedRecovered + expectedNeverWritten);
}

void tst_WriterProbe::aStallIsCaughtUpOnlyBoundedly()
{
    FakeCluster cluster;
    cluster.delay(50, 1000);  // one append takes a second: about 1000 rows fall due meanwhile
    WriterLog log;
    log.openInMemory();
    WriterProbe probe(factoryFor(&cluster), &log);
    WriterSettings s;
    s.rowsPerSecond = 1000;
    s.maxRows = 700;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped));
    QCOMPARE(log.attemptCount(), 700);
    const std::vector<int> batches = cluster.batches();
    qint64 first = 1;
    size_t stalled = batches.size();
    for (size_t i = 0; i < batches.size(); ++i) {
        if (first <= 50 && 50 < first + batches[i]) {
            stalled = i;
        }
        first += batches[i];
    }
    QVERIFY(stalled + 1 < batches.size());
    // The append after the stall catches up 250 ms of the schedule, not the whole second.
    QCOMPARE(batches[stalled + 1], 250);
    QCOMPARE(*std::max_element(batches.begin(), batches.end()), 250);
    const auto recorded = log.attempts();
    for (size_t i = 0; i < recorded.size(); ++i) {
        QCOMPARE(recorded[i].id, qint64(i) + 1);
    }
}

QTEST_GUILESS_MAIN(tst_WriterProbe)
#include "tst_writerprobe.moc"
