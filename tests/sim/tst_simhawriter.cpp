// SPDX-License-Identifier: GPL-3.0-or-later
// An HA writer (the protocol library's DdbBlockingHaSession, clientId/seqNo on a 2.00.9 server)
// appends consecutive ids while a data node is killed and restarted (stale -> RECOVERING ->
// COMPLETE) and while the leader controller is killed: no acknowledged row may be lost and,
// thanks to the server-side resend check, none may be written twice. Hosts 127.0.40.11-13.
#include "support/simclient.h"

#include "dolphindb/ddbhasession.h"

#include <QDeadlineTimer>
#include <QSet>
#include <QTest>
#include <QThread>

#include <atomic>
#include <mutex>
#include <thread>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;

class tst_SimHaWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { m_cluster.killAll(); }
    void noAcknowledgedRowIsLostOrDuplicatedThroughFailures();
    void withoutClientIdALostReplyIsWrittenTwice();

private:
    int leaderHost();
    bool waitAcks(int n, int timeoutMs = 30000);
    QStringList chunkStates();

    Test::SimCluster m_cluster{3, u"127.0.40."_s, 11};
    std::mutex m_mutex;
    QList<DdbHaResult> m_results;
    QList<int> m_ids;
    std::atomic<int> m_acks{0};
};

int tst_SimHaWriter::leaderHost()
{
    QString leader;
    return m_cluster.waitLeader(&leader) ? leader.right(1).toInt() : 0;
}

bool tst_SimHaWriter::waitAcks(int n, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (m_acks.load() >= n)
            return true;
        QThread::msleep(20);
    }
    return false;
}

QStringList tst_SimHaWriter::chunkStates()
{
    auto r = Test::runOnce(m_cluster.host(2), 8922, u"exec state from rpc(getControllerAlias(), getClusterChunksStatus)"_s);
    QStringList out;
    if (r)
        for (qint64 i = 0; i < r->rowCount(); ++i)
            out << r->elements().stringAt(i);
    return out;
}

void tst_SimHaWriter::initTestCase()
{
    QVERIFY(m_cluster.layout(u"2.00.9.1 2023.03.10"_s).ok());
    for (int i = 1; i <= 3; ++i) {
        QVERIFY(m_cluster.startController(i).ok());
        QVERIFY(m_cluster.startAgent(i).ok());
    }
    const int leader = leaderHost();
    QVERIFY(leader > 0);
    for (int i = 1; i <= 3; ++i)
        QVERIFY(m_cluster.waitUp(m_cluster.host(i), 8921));
    QVERIFY(Test::runOnce(m_cluster.host(leader), 8920, u"startDataNode(`node1`node2`node3)"_s).ok());
    for (int i = 1; i <= 3; ++i)
        QVERIFY(m_cluster.waitUp(m_cluster.host(i), 8922));
    auto created = Test::runOnce(m_cluster.host(2), 8922,
                                 u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
                                 "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n"
                                 "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s);
    QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().message));
}

void tst_SimHaWriter::noAcknowledgedRowIsLostOrDuplicatedThroughFailures()
{
    std::atomic<bool> stop{false};
    std::thread writer([this, &stop] {
        QList<DdbSite> sites;
        for (int i = 1; i <= 3; ++i)
            sites << DdbSite{m_cluster.host(i), 8922, u"node%1"_s.arg(i)};
        DdbHaSettings settings;
        settings.connection.connectTimeoutMs = 2000;
        settings.connection.requestTimeoutMs = 5000;
        settings.roundPauseMs = 200;
        settings.maxAttempts = 20;
        DdbBlockingHaSession ha(sites, DdbCredentials{u"admin"_s, u"123456"_s}, settings);
        for (int id = 1; !stop.load() && id < 100000; ++id) {
            const DdbValue row = *DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                                                  {DdbVector::int64s(DataType::Timestamp, {1672531200000 + id}),
                                                   DdbVector::symbols({u"Apple"_s}), DdbVector::int32s(DataType::Int, {id})});
            DdbHaResult r = ha.call(u"tableInsert{loadTable('dfs://stock', 'stock')}"_s, {row});
            {
                std::lock_guard lock(m_mutex);
                m_results << r;
                m_ids << id;
            }
            if (r.ok())
                ++m_acks;
            QThread::msleep(5);
        }
    });

    // Stops and joins the writer however this function returns (a failed QVERIFY included).
    struct Joiner
    {
        std::atomic<bool> &stop;
        std::thread &thread;
        ~Joiner()
        {
            stop = true;
            if (thread.joinable())
                thread.join();
        }
    } joiner{stop, writer};

    QVERIFY(waitAcks(20));
    // A data node dies mid-stream (SIGKILL: no goodbye), the writer moves on.
    m_cluster.kill(1, u"node1"_s);
    QVERIFY(waitAcks(60));
    QVERIFY(Test::runOnce(m_cluster.host(leaderHost()), 8920, u"startDataNode(\"node1\")"_s).ok());
    QVERIFY(m_cluster.waitUp(m_cluster.host(1), 8922));
    QVERIFY(waitAcks(100));
    // Then the leader controller dies.
    const int leader = leaderHost();
    QVERIFY(leader > 0);
    m_cluster.kill(leader, u"ctl%1"_s.arg(leader));
    int before = m_acks.load();
    QVERIFY(waitAcks(before + 40));
    // Replies lost after the commit (fault dropNextReply on every data node): the writer resends
    // with the negative seqNo and gets the stored result.
    for (int h = 1; h <= 3; ++h)
        QVERIFY(Test::runOnce(m_cluster.host(h), 8922, u"simSetFault(`dropNextReply, `1)"_s).ok());
    before = m_acks.load();
    QVERIFY(waitAcks(before + 40));
    stop = true;
    writer.join();

    QTRY_VERIFY_WITH_TIMEOUT(!chunkStates().contains(u"RECOVERING"_s), 15000);
    auto ids = Test::runOnce(m_cluster.host(2), 8922, u"exec id from loadTable('dfs://stock', 'stock')"_s);
    QVERIFY2(ids.ok(), qPrintable(ids.ok() ? QString() : ids.error().message));
    QHash<qint64, int> seen;
    for (qint64 i = 0; i < ids->rowCount(); ++i)
        seen[ids->elements().intAt(i)] += 1;
    int acknowledged = 0, indeterminate = 0, failed = 0, resends = 0;
    for (qsizetype i = 0; i < m_results.size(); ++i) {
        const DdbHaResult &r = m_results.at(i);
        const int id = m_ids.at(i);
        resends += r.attempts.size() > 1 ? 1 : 0;
        if (r.ok()) {
            ++acknowledged;
            QVERIFY2(seen.value(id) == 1, qPrintable(u"acknowledged id %1 present %2 times"_s.arg(id).arg(seen.value(id))));
            QVERIFY(!r.clientId.isEmpty());
        } else if (r.outcome == DdbOutcome::Indeterminate) {
            ++indeterminate;
            QVERIFY(seen.value(id) <= 1);
        } else {
            ++failed;
        }
    }
    for (auto it = seen.cbegin(); it != seen.cend(); ++it)
        QVERIFY2(it.value() == 1, qPrintable(u"id %1 present %2 times"_s.arg(it.key()).arg(it.value())));
    qInfo("%d acknowledged, %d indeterminate, %d failed, %d needed more than one attempt", acknowledged, indeterminate,
          failed, resends);
    QVERIFY(acknowledged >= 180);
    QVERIFY2(resends >= 3, "the lost replies were resent");
    bool negativeSeq = false;
    for (const DdbHaResult &r : std::as_const(m_results))
        for (const DdbAttempt &a : r.attempts)
            negativeSeq = negativeSeq || a.seqNo < 0;
    QVERIFY(negativeSeq);
    // Every replica agrees after recovery.
    for (int h = 1; h <= 3; ++h) {
        if (h == leader)
            continue;
        auto n = Test::runOnce(m_cluster.host(h), 8922, u"exec count(*) from loadTable('dfs://stock', 'stock')"_s);
        QVERIFY(n.ok());
        QCOMPARE(n->toInt64(), qint64(seen.size()));
    }
}

void tst_SimHaWriter::withoutClientIdALostReplyIsWrittenTwice()
{
    // The same failure without clientId (what a 2.00.7.4 server or the Python SDK gets):
    // the resend runs again and the row appears twice (PROTOCOL.md §5.3).
    QVERIFY(Test::runOnce(m_cluster.host(2), 8922, u"simSetFault(`dropNextReply, `1)"_s).ok());
    DdbHaResult result;
    std::thread writer([this, &result] {
        DdbHaSettings settings;
        settings.useClientId = false;
        settings.connection.requestTimeoutMs = 5000;
        DdbBlockingHaSession ha({DdbSite{m_cluster.host(2), 8922, u"node2"_s}, DdbSite{m_cluster.host(3), 8922, u"node3"_s}},
                                DdbCredentials{u"admin"_s, u"123456"_s}, settings);
        const DdbValue row = *DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                                              {DdbVector::int64s(DataType::Timestamp, {1672531200000}),
                                               DdbVector::symbols({u"Meta"_s}), DdbVector::int32s(DataType::Int, {777777})});
        result = ha.call(u"tableInsert{loadTable('dfs://stock', 'stock')}"_s, {row});
    });
    writer.join();
    QVERIFY(result.ok());
    QVERIFY(result.clientId.isEmpty());
    QVERIFY(result.attempts.size() >= 2);
    QVERIFY(result.possibleDuplicate);
    auto n = Test::runOnce(m_cluster.host(3), 8922, u"exec count(*) from loadTable('dfs://stock', 'stock') where id = 777777"_s);
    QVERIFY(n.ok());
    QCOMPARE(n->toInt64(), 2);
}

QTEST_GUILESS_MAIN(tst_SimHaWriter)
#include "tst_simhawriter.moc"
