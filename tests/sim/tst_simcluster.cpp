// SPDX-License-Identifier: GPL-3.0-or-later
// Multi-process test of the emulated cluster: 3 controllers, 3 agents and 3 data nodes (ddbsim
// processes on 127.0.40.1-3) in a temporary directory, with fast knobs. Talks to them with the
// protocol library's request/response framing (support/simclient.h).
#include "support/simclient.h"
#include "dolphindb/scripts.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <future>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;
using GrayStep::Test::SimClient;
using GrayStep::Test::SimCluster;

namespace {

const QString kInsert = u"tableInsert{loadTable('dfs://stock', 'stock')}"_s;

// A (time, name, id) table with ids [first, first+count).
DdbValue stockRows(int first, int count, qint64 dayMs = 1672531200000)
{
    QList<qint64> times;
    QStringList names;
    QList<qint32> ids;
    for (int i = 0; i < count; ++i) {
        times << dayMs + (first + i) * 1000;
        names << (i % 2 ? u"Apple"_s : u"Meta"_s);
        ids << first + i;
    }
    return *DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                            {DdbVector::int64s(DataType::Timestamp, times), DdbVector::symbols(names),
                             DdbVector::int32s(DataType::Int, ids)});
}

} // namespace

class tst_SimCluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void loginAndIdentity();
    void unknownFunctionsAndSyntaxErrorsGetTheRealErrorText();
    void followersAnswerNotLeader();
    void clusterPerfShowsEveryNodeUp();
    void pnodeRunAndMetadataDirectories();
    void theTutorialScriptCreatesThePartitionedTable();
    void appendsAreReadBackFromAnyNode();
    void aGuestMayReadButNotWriteOrManage();
    void theCatalogsPageQueriesReturnTheRightRows();
    void anAsyncRequestGetsNoReply();
    void aResendWithTheSameClientIdReturnsTheStoredResult();
    void aWriteWithOneReplicaDownLeavesItStaleUntilRecovered();
    void aWriteToARecoveringChunkWaitsForTheRecovery();
    void faultsAreSetAndReported();
    void aNodeWithAFailstartFileFailsToStart();
    void startAndStopDataNodeGoThroughTheAgent();
    void aDataNodeOutlivesItsAgent();
    void anElectionStormKeepsChangingTheTerm();
    void aNewLeaderIsElectedWhenTheLeaderDies();

private:
    int leaderHost();
    int hostOfNode(const QString &alias) const { return alias.right(1).toInt(); }
    QStringList chunkStates();
    qint64 count(int host);

    SimCluster m_cluster{3};
    QString m_leader;
};

void tst_SimCluster::initTestCase()
{
    QVERIFY(m_cluster.isValid());
    const auto st = m_cluster.layout();
    QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().toString()));
    for (int i = 1; i <= 3; ++i) {
        QVERIFY(m_cluster.startController(i).ok());
        QVERIFY(m_cluster.startAgent(i).ok());
    }
    QVERIFY2(m_cluster.waitLeader(&m_leader), "no leader elected");
    for (int i = 1; i <= 3; ++i)
        QVERIFY(m_cluster.waitUp(m_cluster.host(i), 8921));
    auto r = Test::runOnce(m_cluster.host(leaderHost()), 8920, u"startDataNode([\"node1\",\"node2\",\"node3\"])"_s);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    for (int i = 1; i <= 3; ++i)
        QVERIFY2(m_cluster.waitUp(m_cluster.host(i), 8922), qPrintable(m_cluster.log(i, u"node%1"_s.arg(i))));
}

void tst_SimCluster::cleanupTestCase()
{
    m_cluster.killAll();
}

int tst_SimCluster::leaderHost()
{
    QString leader;
    if (!m_cluster.waitLeader(&leader))
        return 0;
    m_leader = leader;
    return leader.right(1).toInt();
}

QStringList tst_SimCluster::chunkStates()
{
    auto r = Test::runOnce(m_cluster.host(1), 8922, u"exec state from rpc(getControllerAlias(), getClusterChunksStatus)"_s);
    if (!r)
        return {u"error: "_s + r.error().message};
    QStringList out;
    for (qint64 i = 0; i < r->rowCount(); ++i)
        out << r->elements().stringAt(i);
    return out;
}

qint64 tst_SimCluster::count(int host)
{
    auto r = Test::runOnce(m_cluster.host(host), 8922, u"exec count(*) from loadTable(\"dfs://stock\", \"stock\")"_s);
    return r ? r->toInt64() : -1;
}

void tst_SimCluster::loginAndIdentity()
{
    SimClient bad;
    const auto refused = bad.open(m_cluster.host(1), 8922, u"admin"_s, u"wrong"_s);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().message, u"The user name or password is incorrect."_s);

    DdbRequest inlineLogin = DdbRequest::connect();
    inlineLogin.inlineLogin = true;
    inlineLogin.user = u"admin"_s;
    inlineLogin.password = u"nope"_s;
    SimClient raw;
    QVERIFY(raw.open(m_cluster.host(2), 8922, QString()).ok());
    auto resp = raw.send(inlineLogin);
    QVERIFY(resp.ok());
    QCOMPARE(resp->status, u"The user name or password is incorrect."_s);

    SimClient c;
    QVERIFY(c.open(m_cluster.host(2), 8922).ok());
    QCOMPARE(c.call(u"version"_s, {})->toString(), u"2.00.7.4 2022.12.08"_s);
    QCOMPARE(c.run(u"getNodeAlias()"_s)->toString(), u"node2"_s);
    QCOMPARE(c.run(u"getNodeType()"_s)->toInt64(), 0);
    QCOMPARE(c.call(u"isNodeInitialized"_s, {})->toBool(), true);
    const auto two = c.run(u"1+1"_s);
    QCOMPARE(two->type(), DataType::Int);
    QCOMPARE(two->toInt64(), 2);
    QCOMPARE(c.run(u"getControllerAlias()"_s)->toString(), m_leader);
    QCOMPARE(Test::runOnce(m_cluster.host(1), 8920, u"getNodeType()"_s)->toInt64(), 2);
    QCOMPARE(Test::runOnce(m_cluster.host(1), 8921, u"getNodeType()"_s)->toInt64(), 1);
}

void tst_SimCluster::unknownFunctionsAndSyntaxErrorsGetTheRealErrorText()
{
    SimClient c;
    QVERIFY(c.open(m_cluster.host(1), 8922).ok());
    const auto fn = c.call(u"scramClientFirst"_s, {DdbValue::string(u"admin"_s), DdbValue::string(u"x"_s)});
    QVERIFY(!fn.ok());
    QCOMPARE(fn.error().message, u"Can't recognize function name scramClientFirst"_s);
    const auto script = c.run(u"x = 1\nnoSuchFunction(x)"_s);
    QVERIFY(!script.ok());
    QCOMPARE(script.error().message, u"Syntax Error: [line #2] Cannot recognize the token noSuchFunction"_s);
    const auto syntax = c.run(u"1 +* 2"_s);
    QVERIFY(!syntax.ok());
    QVERIFY2(syntax.error().message.startsWith(u"Syntax Error: [line #1]"_s), qPrintable(syntax.error().message));
    // The session survives errors.
    QCOMPARE(c.run(u"x + 41"_s)->toInt64(), 42);
}

void tst_SimCluster::followersAnswerNotLeader()
{
    const int leader = leaderHost();
    QVERIFY(leader > 0);
    const int follower = leader % 3 + 1;
    const auto r = Test::runOnce(m_cluster.host(follower), 8920, u"getClusterChunksStatus()"_s);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().message, u"<NotLeader>%1:8920:%2"_s.arg(m_cluster.host(leader), m_leader));
    QCOMPARE(Test::runOnce(m_cluster.host(leader), 8920, u"getActiveMaster()"_s)->toString(), m_leader);
}

void tst_SimCluster::clusterPerfShowsEveryNodeUp()
{
    auto r = Test::runOnce(m_cluster.host(3), 8922, u"rpc(getControllerAlias(), getClusterPerf)"_s);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QVERIFY(r->isTable());
    for (const char *col : {"host", "port", "site", "mode", "state", "agentSite", "maxConnections", "connectionNum",
                            "workerNum", "executorNum", "name", "memoryUsed", "maxMemSize", "avgLoad", "isLeader"})
        QVERIFY2(r->column(QString::fromLatin1(col)), col);
    int dataNodes = 0;
    for (qint64 i = 0; i < r->rowCount(); ++i) {
        if (r->column(u"mode"_s)->intAt(i) != 0)
            continue;
        ++dataNodes;
        QCOMPARE(r->column(u"state"_s)->intAt(i), 1);
        QCOMPARE(r->column(u"port"_s)->intAt(i), 8922);
        QVERIFY(r->column(u"memoryUsed"_s)->intAt(i) > 0);
        QVERIFY(r->column(u"agentSite"_s)->stringAt(i).endsWith(u":8921:agent"_s + r->column(u"name"_s)->stringAt(i).right(1)));
    }
    QCOMPARE(dataNodes, 3);
    auto withMaster = Test::runOnce(m_cluster.host(1), 8922, u"rpc(getControllerAlias(), getClusterPerf{true})"_s);
    QVERIFY(withMaster.ok());
    QCOMPARE(withMaster->rowCount(), 9);
}

void tst_SimCluster::pnodeRunAndMetadataDirectories()
{
    auto versions = Test::runOnce(m_cluster.host(1), 8922, u"pnodeRun(version)"_s);
    QVERIFY(versions.ok());
    QCOMPARE(versions->columnNames(), (QStringList{u"node"_s, u"value"_s}));
    QCOMPARE(versions->rowCount(), 3);
    for (qint64 i = 0; i < 3; ++i)
        QCOMPARE(versions->column(1).stringAt(i), u"2.00.7.4 2022.12.08"_s);
    auto dirs = Test::runOnce(m_cluster.host(2), 8922, u"pnodeRun(getConfig{`chunkMetaDir})"_s);
    QVERIFY(dirs.ok());
    for (qint64 i = 0; i < 3; ++i) {
        const QString node = dirs->column(0).stringAt(i);
        QCOMPARE(dirs->column(1).stringAt(i), m_cluster.dataDir(hostOfNode(node)) + u'/' + node + u"/storage"_s);
    }
    auto meta = Test::runOnce(m_cluster.host(2), 8922, u"rpc(getControllerAlias(), getConfig{`dfsMetaDir})"_s);
    QVERIFY(meta.ok());
    QCOMPARE(meta->toString(), m_cluster.dataDir(leaderHost()) + u'/' + m_leader + u"/dfsMeta"_s);
}

void tst_SimCluster::theTutorialScriptCreatesThePartitionedTable()
{
    SimClient c;
    QVERIFY(c.open(m_cluster.host(1), 8922).ok());
    QCOMPARE(c.run(u"existsDatabase(\"dfs://stock\")"_s)->toBool(), false);
    const auto created = c.run(u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
                               "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n"
                               "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s);
    QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().message));
    QCOMPARE(Test::runOnce(m_cluster.host(3), 8922, u"existsDatabase(\"dfs://stock\")"_s)->toBool(), true);
    auto schema = Test::runOnce(m_cluster.host(2), 8922, u"schema(loadTable(\"dfs://stock\", \"stock\"))"_s);
    QVERIFY(schema.ok());
    QVERIFY(schema->isDictionary());
    const DdbVector &keys = schema->elements();
    qint64 colDefsAt = -1;
    for (qint64 i = 0; i < keys.size(); ++i)
        if (keys.stringAt(i) == "colDefs"_L1)
            colDefsAt = i;
    QVERIFY(colDefsAt >= 0);
    const DdbValue colDefs = schema->dictionaryValues().anyAt(colDefsAt);
    QCOMPARE(colDefs.column(u"name"_s)->stringAt(2), u"id"_s);
    QCOMPARE(colDefs.column(u"typeString"_s)->stringAt(0), u"TIMESTAMP"_s);
    QCOMPARE(colDefs.column(u"typeInt"_s)->intAt(1), 17);
    const auto again = c.run(u"db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s);
    QVERIFY(!again.ok());
}

void tst_SimCluster::appendsAreReadBackFromAnyNode()
{
    SimClient c;
    QVERIFY(c.open(m_cluster.host(1), 8922).ok());
    auto n = c.call(kInsert, {stockRows(1, 10)});
    QVERIFY2(n.ok(), qPrintable(n.ok() ? QString() : n.error().message));
    QCOMPARE(n->type(), DataType::Int);
    QCOMPARE(n->toInt64(), 10);
    // The other quote style and a second partition (next day).
    auto m = c.call(u"tableInsert{loadTable(\"dfs://stock\",\"stock\")}"_s, {stockRows(11, 5, 1672531200000 + 86400000)});
    QVERIFY(m.ok());
    QCOMPARE(m->toInt64(), 5);
    for (int h = 1; h <= 3; ++h)
        QCOMPARE(count(h), 15);
    auto minMax = Test::runOnce(m_cluster.host(2), 8922, u"select min(id), max(id) from loadTable('dfs://stock','stock')"_s);
    QVERIFY(minMax.ok());
    QCOMPARE(minMax->column(0).intAt(0), 1);
    QCOMPARE(minMax->column(1).intAt(0), 15);
    auto page = Test::runOnce(m_cluster.host(3), 8922,
                              u"select id, time from loadTable(\"dfs://stock\", \"stock\") where id >= 5 and id < 12"_s);
    QVERIFY(page.ok());
    QCOMPARE(page->rowCount(), 7);
    QCOMPARE(page->columnNames(), (QStringList{u"id"_s, u"time"_s}));
    QCOMPARE(page->column(1).type(), DataType::Timestamp);
    QCOMPARE(chunkStates(), (QStringList{u"COMPLETE"_s, u"COMPLETE"_s}));
    auto gate = Test::runOnce(m_cluster.host(leaderHost()), 8920,
                              u"select * from rpc(getControllerAlias(), getClusterChunksStatus) where state != \"COMPLETE\""_s);
    QVERIFY(gate.ok());
    QVERIFY(gate->isTable());
    QCOMPARE(gate->rowCount(), 0);
}

void tst_SimCluster::aGuestMayReadButNotWriteOrManage()
{
    SimClient guest;
    QVERIFY(guest.open(m_cluster.host(1), 8922, QString()).ok());   // connected, never logged in
    // Identity and reads stay open to a guest.
    QCOMPARE(guest.call(u"version"_s, {})->toString(), u"2.00.7.4 2022.12.08"_s);
    QCOMPARE(guest.run(u"getNodeAlias()"_s)->toString(), u"node1"_s);
    const qint64 rows = count(1);
    QVERIFY(rows >= 0);
    auto read = guest.run(u"exec count(*) from loadTable(\"dfs://stock\", \"stock\")"_s);
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().message));
    QCOMPARE(read->toInt64(), rows);

    // Writes, DDL and cluster management need a login: the NotAuthenticated error, nothing done.
    auto write = guest.call(kInsert, {stockRows(900, 5)});
    QVERIFY(!write.ok());
    QCOMPARE(write.error().message, u"<NotAuthenticated>Not granted to write table dfs://stock/stock"_s);
    auto append = guest.run(u"t = loadTable(\"dfs://stock\", \"stock\")\nappend!(t, t)"_s);
    QVERIFY(!append.ok());
    QVERIFY(append.error().message.startsWith(u"<NotAuthenticated>"_s));
    auto db = guest.run(u"database(\"dfs://guestdb\", VALUE, 1..3)"_s);
    QVERIFY(!db.ok());
    QCOMPARE(db.error().message, u"<NotAuthenticated>Not granted to create or delete databases"_s);
    auto table = guest.run(u"db = database(\"dfs://stock\")\n"
                           "db.createPartitionedTable(loadTable(\"dfs://stock\", \"stock\"), \"guestTable\", \"time\")"_s);
    QVERIFY(!table.ok());
    QCOMPARE(table.error().message, u"<NotAuthenticated>Not granted to create or delete tables"_s);
    SimClient guestOnLeader;
    QVERIFY(guestOnLeader.open(m_cluster.host(leaderHost()), 8920, QString()).ok());
    for (const QString &fn : {u"startDataNode"_s, u"stopDataNode"_s}) {
        auto r = guestOnLeader.run(fn + u"(\"node3\")"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().message, u"<NotAuthenticated>Only administrators execute function "_s + fn);
    }
    // Nor through rpc from a data node.
    auto viaRpc = guest.run(u"rpc(getControllerAlias(), stopDataNode, \"node3\")"_s);
    QVERIFY(!viaRpc.ok());
    QCOMPARE(viaRpc.error().message, u"<NotAuthenticated>Only administrators execute function stopDataNode"_s);
    QCOMPARE(count(1), rows);
    QVERIFY(Test::runOnce(m_cluster.host(3), 8922, u"version()"_s).ok());   // node3 still runs

    // After login the same session may write.
    QVERIFY(guest.call(u"login"_s, {DdbValue::string(u"admin"_s), DdbValue::string(u"123456"_s)}).ok());
    auto ok = guest.call(kInsert, {stockRows(900, 5)});
    QVERIFY2(ok.ok(), qPrintable(ok.ok() ? QString() : ok.error().message));
    QCOMPARE(count(1), rows + 5);
}

void tst_SimCluster::theCatalogsPageQueriesReturnTheRightRows()
{
    SimClient c;
    QVERIFY(c.open(m_cluster.host(2), 8922).ok());
    auto all = c.run(u"exec id from loadTable(\"dfs://stock\", \"stock\")"_s);
    QVERIFY(all.ok() && all->isVector());
    QList<qint64> ids;
    for (qint64 i = 0; i < all->rowCount(); ++i)
        ids << all->elements().intAt(i);
    std::sort(ids.begin(), ids.end());
    QVERIFY(ids.size() >= 15);
    QCOMPARE(std::adjacent_find(ids.cbegin(), ids.cend()), ids.cend());   // unique ids in this table

    // The catalog's own page query (Scripts::idTimePage), page after page: every id once, in order.
    QList<qint64> paged;
    qint64 after = ids.first() - 1;
    for (int pages = 0; pages < 100; ++pages) {
        auto script = GrayStep::DolphinDb::Scripts::idTimePage(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, after, 7);
        QVERIFY(script.ok());
        auto page = c.run(*script);
        QVERIFY2(page.ok(), qPrintable(*script + u" -> "_s + (page.ok() ? QString() : page.error().message)));
        QVERIFY(page->isTable());
        QCOMPARE(page->columnNames(), (QStringList{u"id"_s, u"time"_s}));
        QCOMPARE(page->column(1).type(), DataType::Timestamp);
        QVERIFY(page->rowCount() <= 7);
        if (page->rowCount() == 0)
            break;
        for (qint64 r = 0; r < page->rowCount(); ++r)
            paged << page->column(0).intAt(r);
        after = paged.last();
    }
    QCOMPARE(paged, ids);

    // order by ... desc with limit OFFSET, N; top N; a negative limit (the last rows).
    auto desc = c.run(u"select id from loadTable(\"dfs://stock\", \"stock\") order by id desc limit 2, 3"_s);
    QVERIFY2(desc.ok(), qPrintable(desc.ok() ? QString() : desc.error().message));
    QCOMPARE(desc->rowCount(), 3);
    for (qint64 r = 0; r < 3; ++r)
        QCOMPARE(desc->column(0).intAt(r), ids.at(ids.size() - 3 - r));
    auto top = c.run(u"select top 3 id from loadTable(\"dfs://stock\", \"stock\") where id > 2 order by id"_s);
    QVERIFY(top.ok());
    QCOMPARE(top->rowCount(), 3);
    QCOMPARE(top->column(0).intAt(0), 3);
    QCOMPARE(top->column(0).intAt(2), 5);
    auto last = c.run(u"select id from loadTable(\"dfs://stock\", \"stock\") order by id limit -2"_s);
    QVERIFY(last.ok());
    QCOMPARE(last->rowCount(), 2);
    QCOMPARE(last->column(0).intAt(1), ids.last());
    // What stays unsupported gets a syntax error, never a silent wrong answer.
    auto grouped = c.run(u"select count(*) from loadTable(\"dfs://stock\", \"stock\") group by name"_s);
    QVERIFY(!grouped.ok());
    QVERIFY(grouped.error().message.startsWith(u"Syntax Error:"_s));
}

void tst_SimCluster::anAsyncRequestGetsNoReply()
{
    SimClient c;
    QVERIFY(c.open(m_cluster.host(1), 8922).ok());
    DdbRequest async = DdbRequest::runScript("0", u"x = 7"_s);
    async.options->flags |= DdbRequestOptions::Async;
    const auto none = c.send(async, 500);
    QVERIFY(!none.ok()); // nothing arrives
    QCOMPARE(none.error().code, Core::ErrorCode::Timeout);
    QCOMPARE(c.run(u"x * 6"_s)->toInt64(), 42);
}

void tst_SimCluster::aResendWithTheSameClientIdReturnsTheStoredResult()
{
    const QByteArray client = "7327c0ce-47aa-f3b4-a44e-aef021636c29";
    const qint64 before = count(1);
    SimClient c;
    QVERIFY(c.open(m_cluster.host(1), 8922).ok());
    DdbRequest insert = DdbRequest::callFunction("0", kInsert, {stockRows(100, 3)});
    insert.options = DdbRequestOptions::forHaCall(client, 3);
    auto first = c.send(insert);
    QVERIFY(first.ok() && first->isOk());
    QCOMPARE(first->value().toInt64(), 3);
    QCOMPARE(count(2), before + 3);
    // The client lost the reply and resends elsewhere with the negative seqNo: not re-executed.
    SimClient other;
    QVERIFY(other.open(m_cluster.host(3), 8922).ok());
    insert.options = DdbRequestOptions::forHaCall(client, -3);
    auto resent = other.send(insert);
    QVERIFY(resent.ok() && resent->isOk());
    QCOMPARE(resent->value().toInt64(), 3);
    QCOMPARE(count(2), before + 3);
    // Without a clientId the same resend is executed again: the duplicate hazard is real.
    insert.options = DdbRequestOptions::forCall();
    auto duplicate = other.send(insert);
    QVERIFY(duplicate.ok() && duplicate->isOk());
    QCOMPARE(count(2), before + 6);
    // A negative seqNo that never completed runs normally.
    insert.options = DdbRequestOptions::forHaCall(client, -4);
    auto fresh = other.send(insert);
    QVERIFY(fresh.ok() && fresh->isOk());
    QCOMPARE(count(2), before + 9);
}

void tst_SimCluster::aWriteWithOneReplicaDownLeavesItStaleUntilRecovered()
{
    // Which nodes hold the first partition?
    auto replicas = Test::runOnce(m_cluster.host(1), 8922,
                                  u"exec replicas from rpc(getControllerAlias(), getClusterChunksStatus) where file = \"/stock/20230101/stock\""_s);
    QVERIFY(replicas.ok());
    const QString first = replicas->elements().stringAt(0).split(u',').value(1).section(u':', 0, 0);
    QVERIFY(first.startsWith(u"node"_s));
    const int down = hostOfNode(first);
    const int writer = down % 3 + 1;
    m_cluster.kill(down, first);
    QThread::msleep(600); // the leader notices the missing heartbeats
    SimClient c;
    QVERIFY(c.open(m_cluster.host(writer), 8922).ok());
    auto n = c.call(kInsert, {stockRows(200, 20)});
    QVERIFY2(n.ok(), qPrintable(n.ok() ? QString() : n.error().message));
    QCOMPARE(n->toInt64(), 20);
    auto status = Test::runOnce(m_cluster.host(writer), 8922,
                                u"select version, replicas, state from rpc(getControllerAlias(), getClusterChunksStatus) where file = \"/stock/20230101/stock\""_s);
    QVERIFY(status.ok());
    const qint64 version = status->column(0).intAt(0);
    QVERIFY2(status->column(1).stringAt(0).contains(u"%1:%2:"_s.arg(first).arg(version - 1)),
             qPrintable(status->column(1).stringAt(0)));
    QCOMPARE(status->column(2).stringAt(0), u"COMPLETE"_s);
    auto perf = Test::runOnce(m_cluster.host(writer), 8922, u"exec state from rpc(getControllerAlias(), getClusterPerf) where name = \""_s + first + u"\""_s);
    QVERIFY(perf.ok());
    QCOMPARE(perf->elements().intAt(0), 0);

    // Restart through the leader: the stale chunk goes RECOVERING, then COMPLETE.
    auto started = Test::runOnce(m_cluster.host(leaderHost()), 8920, u"startDataNode(\"%1\")"_s.arg(first));
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().message));
    bool sawRecovering = false;
    QDeadlineTimer deadline(15000);
    while (!deadline.hasExpired()) {
        const QStringList states = chunkStates();
        if (states.contains(u"RECOVERING"_s))
            sawRecovering = true;
        if (sawRecovering && !states.contains(u"RECOVERING"_s))
            break;
        QThread::msleep(20);
    }
    QVERIFY(sawRecovering);
    QVERIFY(!chunkStates().contains(u"RECOVERING"_s));
    auto after = Test::runOnce(m_cluster.host(writer), 8922,
                               u"exec replicas from rpc(getControllerAlias(), getClusterChunksStatus) where file = \"/stock/20230101/stock\""_s);
    QVERIFY2(after->elements().stringAt(0).contains(u"%1:%2:"_s.arg(first).arg(version)), qPrintable(after->elements().stringAt(0)));
    const qint64 total = count(writer);
    QCOMPARE(count(down), total);
}

void tst_SimCluster::aWriteToARecoveringChunkWaitsForTheRecovery()
{
    auto replicas = Test::runOnce(m_cluster.host(1), 8922,
                                  u"exec replicas from rpc(getControllerAlias(), getClusterChunksStatus) where file = \"/stock/20230101/stock\""_s);
    QVERIFY(replicas.ok());
    const QString victim = replicas->elements().stringAt(0).split(u',').value(0).section(u':', 0, 0);
    const int down = hostOfNode(victim);
    const int writer = down % 3 + 1;
    QVERIFY(Test::runOnce(m_cluster.host(writer), 8922, u"simSetFault(\"recovery\", \"stuck\")"_s).ok());
    m_cluster.kill(down, victim);
    QThread::msleep(600);
    SimClient c;
    QVERIFY(c.open(m_cluster.host(writer), 8922).ok());
    QVERIFY(c.call(kInsert, {stockRows(500, 5)}).ok());
    QVERIFY(Test::runOnce(m_cluster.host(leaderHost()), 8920, u"startDataNode(\"%1\")"_s.arg(victim)).ok());
    QTRY_VERIFY_WITH_TIMEOUT(chunkStates().contains(u"RECOVERING"_s), 10000);
    // Stuck recovery: the write to that partition waits.
    auto pending = std::async(std::launch::async, [this, writer] {
        SimClient w;
        if (!w.open(m_cluster.host(writer), 8922).ok())
            return qint64(-1);
        auto r = w.call(kInsert, {stockRows(600, 2)}, 20000);
        return r ? r->toInt64() : qint64(-2);
    });
    QCOMPARE(pending.wait_for(std::chrono::milliseconds(700)), std::future_status::timeout);
    QVERIFY(chunkStates().contains(u"RECOVERING"_s));
    // The controller lists the recovery as a task: from a current replica to the victim.
    const auto recoveryTasks = [&] {
        return DolphinDb::readRecoveryTasks(Test::runOnce(m_cluster.host(writer), 8922,
                                                          u"rpc(getControllerAlias(), getRecoveryTaskStatus)"_s)
                                                .valueOr(DolphinDb::DdbValue::string(u"error"_s)));
    };
    {
        const auto tasks = recoveryTasks();
        QVERIFY2(tasks.ok(), qPrintable(tasks.ok() ? QString() : tasks.error().message));
        QVERIFY(!tasks->isEmpty());
        bool found = false;
        for (const DolphinDb::RecoveryTask &t : *tasks) {
            QCOMPARE(t.type, u"ChunkRecovery"_s);
            QVERIFY(t.isPending());
            QVERIFY(!t.source.isEmpty() && t.source != t.dest);
            found = found || (t.chunkPath == u"/stock/20230101/stock"_s && t.dest == victim);
        }
        QVERIFY(found);
    }
    QVERIFY(Test::runOnce(m_cluster.host(writer), 8922, u"simSetFault(\"recovery\", \"normal\")"_s).ok());
    QCOMPARE(pending.wait_for(std::chrono::seconds(15)), std::future_status::ready);
    QCOMPARE(pending.get(), 2);
    // It was written after the recovery: both replicas hold the same, newest version.
    QTRY_VERIFY_WITH_TIMEOUT(!chunkStates().contains(u"RECOVERING"_s), 10000);
    QVERIFY(recoveryTasks().ok() && recoveryTasks()->isEmpty());
    auto status = Test::runOnce(m_cluster.host(writer), 8922,
                                u"select version, replicas from rpc(getControllerAlias(), getClusterChunksStatus) where file = \"/stock/20230101/stock\""_s);
    QVERIFY(status.ok());
    const qint64 version = status->column(0).intAt(0);
    const QStringList reps = status->column(1).stringAt(0).split(u',');
    QCOMPARE(reps.size(), 2);
    for (const QString &r : reps)
        QVERIFY2(r.section(u':', 1, 1).toLongLong() == version, qPrintable(status->column(1).stringAt(0)));
    QCOMPARE(count(down), count(writer));
}

void tst_SimCluster::faultsAreSetAndReported()
{
    SimClient c;
    QVERIFY(c.open(m_cluster.host(2), 8922).ok());
    QVERIFY(c.run(u"simSetFault(\"recovery\", \"stuck\")"_s).ok());
    auto faults = Test::runOnce(m_cluster.host(1), 8922, u"simGetFaults()"_s);
    QVERIFY(faults.ok());
    QVERIFY(faults->isDictionary());
    QString recovery;
    for (qint64 i = 0; i < faults->rowCount(); ++i)
        if (faults->elements().stringAt(i) == "recovery"_L1)
            recovery = faults->dictionaryValues().stringAt(i);
    QCOMPARE(recovery, u"stuck"_s);
    QVERIFY(c.run(u"simSetFault(\"recovery\", \"normal\")"_s).ok());
    QVERIFY(!c.run(u"simSetFault(\"recovery\", \"sideways\")"_s).ok());
    // A full disk on every data node: writes fail with the real-looking error.
    for (int h = 1; h <= 3; ++h)
        QVERIFY(Test::runOnce(m_cluster.host(h), 8922, u"simSetFault(`diskFull, `1)"_s).ok());
    auto refused = c.call(kInsert, {stockRows(300, 1)});
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.contains(u"No space left on device"_s), qPrintable(refused.error().message));
    for (int h = 1; h <= 3; ++h)
        QVERIFY(Test::runOnce(m_cluster.host(h), 8922, u"simSetFault(`diskFull, `0)"_s).ok());
    auto ok = c.call(kInsert, {stockRows(300, 1)});
    QVERIFY2(ok.ok(), qPrintable(ok.ok() ? QString() : ok.error().message));
}

void tst_SimCluster::aNodeWithAFailstartFileFailsToStart()
{
    QFile flag(m_cluster.dataDir(3) + u"/node3.failstart"_s);
    QVERIFY(flag.open(QIODevice::WriteOnly));
    flag.write("Failed to load plugin odbc: version mismatch\n");
    flag.close();
    m_cluster.kill(3, u"node3"_s);
    QThread::msleep(100);
    QVERIFY(Test::runOnce(m_cluster.host(leaderHost()), 8920, u"startDataNode(\"node3\")"_s).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_cluster.log(3, u"node3"_s).contains(u"<ERROR> : Failed to load plugin odbc: version mismatch"_s), 5000);
    QVERIFY(!m_cluster.waitUp(m_cluster.host(3), 8922, 500));
    QVERIFY(QFile::remove(m_cluster.dataDir(3) + u"/node3.failstart"_s));
    QVERIFY(Test::runOnce(m_cluster.host(leaderHost()), 8920, u"startDataNode(\"node3\")"_s).ok());
    QVERIFY(m_cluster.waitUp(m_cluster.host(3), 8922));
}

void tst_SimCluster::startAndStopDataNodeGoThroughTheAgent()
{
    const int leader = leaderHost();
    QVERIFY(Test::runOnce(m_cluster.host(leader), 8920, u"stopDataNode(`node2)"_s).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_cluster.log(2, u"node2"_s).contains(u"Shutting down the node node2"_s), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(m_cluster.dataDir(2) + u"/node2.pid"_s), 5000);
    QVERIFY(Test::runOnce(m_cluster.host(leader), 8920, u"startDataNode(`node2)"_s).ok());
    QVERIFY(m_cluster.waitUp(m_cluster.host(2), 8922));
    QVERIFY(m_cluster.log(2, u"agent2"_s).contains(u"Started data node"_s));
}

void tst_SimCluster::aDataNodeOutlivesItsAgent()
{
    m_cluster.kill(3, u"agent3"_s);
    QCOMPARE(Test::runOnce(m_cluster.host(3), 8922, u"getNodeAlias()"_s)->toString(), u"node3"_s);
    const QString perf = u"exec state from rpc(getControllerAlias(), getClusterPerf) where name = \"%1\""_s;
    QTRY_COMPARE_WITH_TIMEOUT(Test::runOnce(m_cluster.host(1), 8922, perf.arg(u"agent3"_s)).valueOr(DdbValue()).elements().intAt(0), 0, 5000);
    QCOMPARE(Test::runOnce(m_cluster.host(1), 8922, perf.arg(u"node3"_s))->elements().intAt(0), 1);
    QVERIFY(m_cluster.startAgent(3).ok());
    QVERIFY(m_cluster.waitUp(m_cluster.host(3), 8921));
    QTRY_COMPARE_WITH_TIMEOUT(Test::runOnce(m_cluster.host(1), 8922, perf.arg(u"agent3"_s)).valueOr(DdbValue()).elements().intAt(0), 1, 5000);
}

void tst_SimCluster::anElectionStormKeepsChangingTheTerm()
{
    const int leader = leaderHost();
    QVERIFY(leader > 0);
    const int storm = leader % 3 + 1;
    const qint64 term = Test::simStatus(m_cluster.host(leader), 8920)->value(u"term"_s).toInteger();
    QVERIFY(Test::runOnce(m_cluster.host(storm), 8920, u"simSetFault(`electionStorm, `1)"_s).ok());
    QTRY_VERIFY_WITH_TIMEOUT(Test::simStatus(m_cluster.host(storm), 8920).valueOr({}).value(u"term"_s).toInteger() >= term + 3, 15000);
    QVERIFY(Test::runOnce(m_cluster.host(storm), 8920, u"simSetFault(`electionStorm, `0)"_s).ok());
    QVERIFY(m_cluster.log(storm, u"ctl%1"_s.arg(storm)).contains(u"starts an election"_s));
    // Calm again: one leader, writes work.
    QString calm;
    QVERIFY(m_cluster.waitLeader(&calm));
    SimClient c;
    QVERIFY(c.open(m_cluster.host(2), 8922).ok());
    QTRY_VERIFY_WITH_TIMEOUT(c.call(kInsert, {stockRows(700, 1)}).ok(), 10000);
}

void tst_SimCluster::aNewLeaderIsElectedWhenTheLeaderDies()
{
    const int old = leaderHost();
    QVERIFY(old > 0);
    const QString oldLeader = m_leader;
    QElapsedTimer timer;
    timer.start();
    m_cluster.kill(old, oldLeader);
    QList<int> rest;
    for (int i = 1; i <= 3; ++i)
        if (i != old)
            rest << i;
    QString leader;
    // raftElectionTick=40 -> 400..800 ms; allow generous slack on a loaded machine.
    QTRY_VERIFY_WITH_TIMEOUT((leader = m_cluster.leader(rest), !leader.isEmpty() && leader != oldLeader), 10000);
    qInfo("new leader %s after %lld ms", qPrintable(leader), timer.elapsed());
    const int follower = rest.first() == leader.right(1).toInt() ? rest.last() : rest.first();
    const auto r = Test::runOnce(m_cluster.host(follower), 8920, u"getClusterChunksStatus()"_s);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().message, u"<NotLeader>%1:8920:%2"_s.arg(m_cluster.host(leader.right(1).toInt()), leader));
    // Data nodes follow the new leader and writes keep working.
    QTRY_COMPARE_WITH_TIMEOUT(Test::runOnce(m_cluster.host(1), 8922, u"getControllerAlias()"_s).valueOr(DdbValue()).toString(), leader, 5000);
    SimClient c;
    QVERIFY(c.open(m_cluster.host(1), 8922).ok());
    auto n = c.call(kInsert, {stockRows(400, 2)});
    QVERIFY2(n.ok(), qPrintable(n.ok() ? QString() : n.error().message));
}

QTEST_GUILESS_MAIN(tst_SimCluster)
#include "tst_simcluster.moc"
