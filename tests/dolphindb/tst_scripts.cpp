// SPDX-License-Identifier: GPL-3.0-or-later
// The script catalog: exact texts, refusal of inputs that would change a script's meaning,
// and tolerant typed readers (STRING/SYMBOL, INT/LONG, BOOL/INT, any row order).
#include "dolphindb/ddbcodec.h"
#include "dolphindb/scripts.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;

namespace {

DdbValue table(const QStringList &names, const QList<DdbVector> &cols)
{
    auto t = DdbValue::table(names, cols);
    Q_ASSERT(t.ok());
    return *t;
}

QString orError(const Core::Result<QString> &r)
{
    return r.ok() ? *r : u"ERROR: "_s + r.error().message;
}

} // namespace

class tst_Scripts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void exactTexts_data();
    void exactTexts();
    void hostileInputIsRefused_data();
    void hostileInputIsRefused();
    void nodeVersionsFromTheCapturedReply();
    void nodeVersionsToleratesSymbolsAndRowOrder();
    void clusterPerfToleratesTypeVariations_data();
    void clusterPerfToleratesTypeVariations();
    void clusterPerfNeedsItsKeyColumns();
    void recoveryTasks_data();
    void recoveryTasks();
    void chunkStatus_data();
    void chunkStatus();
    void replicasAreParsed();
    void textAndConfigValues();
    void schemaColDefs();
    void tableStatsAndPages();
};

void tst_Scripts::exactTexts_data()
{
    QTest::addColumn<QString>("actual");
    QTest::addColumn<QString>("expected");
    QTest::newRow("pnodeRun(version)") << Scripts::nodeVersions() << u"pnodeRun(version)"_s;
    QTest::newRow("getClusterPerf via rpc, with the space") << Scripts::clusterPerf()
                                                            << u"rpc(getControllerAlias(), getClusterPerf)"_s;
    QTest::newRow("getClusterPerf with controllers") << Scripts::clusterPerf(true)
                                                     << u"rpc(getControllerAlias(), getClusterPerf, true)"_s;
    QTest::newRow("chunk status") << Scripts::clusterChunksStatus()
                                  << u"rpc(getControllerAlias(), getClusterChunksStatus)"_s;
    QTest::newRow("the tutorial's gate") << Scripts::incompleteChunks()
        << u"select * from rpc(getControllerAlias(), getClusterChunksStatus) where state != \"COMPLETE\""_s;
    QTest::newRow("chunkMetaDir on every data node") << Scripts::chunkMetaDirs() << u"pnodeRun(getConfig{`chunkMetaDir})"_s;
    QTest::newRow("dfsMetaDir of the controller") << Scripts::dfsMetaDir()
                                                  << u"rpc(getControllerAlias(), getConfig{`dfsMetaDir})"_s;
    QTest::newRow("volumes") << Scripts::dataNodeVolumes() << u"pnodeRun(getConfig{`volumes})"_s;
    QTest::newRow("a controller config key") << orError(Scripts::controllerConfig(u"dfsReplicationFactor"_s))
                                             << u"rpc(getControllerAlias(), getConfig{`dfsReplicationFactor})"_s;
    QTest::newRow("a local config key") << orError(Scripts::localConfig(u"dataSync"_s)) << u"getConfig(`dataSync)"_s;
    QTest::newRow("active master") << Scripts::activeMaster() << u"getActiveMaster()"_s;
    QTest::newRow("start two data nodes") << orError(Scripts::startDataNodes({u"node43"_s, u"P1-node1"_s}))
                                          << u"startDataNode([\"node43\",\"P1-node1\"])"_s;
    QTest::newRow("stop one data node") << orError(Scripts::stopDataNodes({u"node44"_s}))
                                        << u"stopDataNode([\"node44\"])"_s;
    QTest::newRow("schema of the stock table") << orError(Scripts::tableSchema(u"dfs://stock"_s, u"stock"_s))
                                               << u"schema(loadTable(\"dfs://stock\", \"stock\"))"_s;
    QTest::newRow("the appender's function (captured bytes)")
        << orError(Scripts::tableInsertFunction(u"dfs://stock"_s, u"stock"_s))
        << u"tableInsert{loadTable('dfs://stock','stock')}"_s;
    QTest::newRow("the tutorial's creation script")
        << orError(Scripts::createStockTable(u"dfs://stock"_s, u"stock"_s, QDate(2023, 1, 1), QDate(2023, 1, 10)))
        << u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
           "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n"
           "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s;
    QTest::newRow("count/min/max")
        << orError(Scripts::tableStats(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s))
        << u"select count(*) as rows, min(id) as minId, max(id) as maxId, min(time) as minTime, "
           "max(time) as maxTime from loadTable(\"dfs://stock\", \"stock\")"_s;
    QTest::newRow("a page of id/time")
        << orError(Scripts::idTimePage(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, 5000, 100000))
        << u"select top 100000 id, time from loadTable(\"dfs://stock\", \"stock\") where id > 5000 order by id"_s;
    QTest::newRow("an id range of id/time (LONG ids)")
        << orError(Scripts::idRange(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, -5, 3000000000LL))
        << u"select id, time from loadTable(\"dfs://stock\", \"stock\") where id >= -5 and id <= 3000000000"_s;
    QTest::newRow("the creation script with LONG ids")
        << orError(Scripts::createStockTable(u"dfs://stock"_s, u"stock"_s, QDate(2023, 1, 1), QDate(2023, 1, 10), true))
        << u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
           "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,LONG])\n"
           "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s;
    QTest::newRow("existsTable") << orError(Scripts::tableExists(u"dfs://db/sub"_s, u"t_1"_s))
                                 << u"existsTable(\"dfs://db/sub\", \"t_1\")"_s;
    const Scripts::RowFilter run{u"name"_s, u"graystep-1a2b"_s};
    QTest::newRow("the largest id before the writer starts")
        << orError(Scripts::maxId(u"dfs://stock"_s, u"stock"_s, u"id"_s))
        << u"exec max(id) from loadTable(\"dfs://stock\", \"stock\")"_s;
    QTest::newRow("count/min/max of one run's rows")
        << orError(Scripts::tableStats(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, run))
        << u"select count(*) as rows, min(id) as minId, max(id) as maxId, min(time) as minTime, "
           "max(time) as maxTime from loadTable(\"dfs://stock\", \"stock\") where name = \"graystep-1a2b\""_s;
    QTest::newRow("an id range of one run's rows")
        << orError(Scripts::idRange(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, 41, 80, run))
        << u"select id, time from loadTable(\"dfs://stock\", \"stock\") where id >= 41 and id <= 80 and name = "
           "\"graystep-1a2b\""_s;
    QTest::newRow("all of one run's rows")
        << orError(Scripts::idTimeAll(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, run))
        << u"select id, time from loadTable(\"dfs://stock\", \"stock\") where name = \"graystep-1a2b\""_s;
    QTest::newRow("the null-id rows and their times")
        << orError(Scripts::nullIdTimes(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s))
        << u"select count(*) as rows, min(time) as minTime, max(time) as maxTime from loadTable(\"dfs://stock\", "
           "\"stock\") where isNull(id)"_s;
    QTest::newRow("the null-id rows of one run")
        << orError(Scripts::nullIdTimes(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, run))
        << u"select count(*) as rows, min(time) as minTime, max(time) as maxTime from loadTable(\"dfs://stock\", "
           "\"stock\") where isNull(id) and name = \"graystep-1a2b\""_s;
}

void tst_Scripts::exactTexts()
{
    QFETCH(QString, actual);
    QFETCH(QString, expected);
    QCOMPARE(actual, expected);
}

void tst_Scripts::hostileInputIsRefused_data()
{
    QTest::addColumn<QString>("result");
    QTest::newRow("db path closing the string") << orError(Scripts::tableSchema(u"dfs://x\"); dropDatabase(\"dfs://stock"_s, u"t"_s));
    QTest::newRow("db path with single quote in an append")
        << orError(Scripts::tableInsertFunction(u"dfs://x','y'); dropDatabase('dfs://stock"_s, u"t"_s));
    QTest::newRow("db path that is not dfs") << orError(Scripts::tableSchema(u"/etc/passwd"_s, u"t"_s));
    QTest::newRow("db path with ..") << orError(Scripts::tableSchema(u"dfs://a/../b"_s, u"t"_s));
    QTest::newRow("table name with a statement") << orError(Scripts::tableSchema(u"dfs://stock"_s, u"t;exit()"_s));
    QTest::newRow("table name with a newline") << orError(Scripts::tableInsertFunction(u"dfs://stock"_s, u"t\nx"_s));
    QTest::newRow("alias breaking out of the vector") << orError(Scripts::startDataNodes({u"a\"]);stopDataNode([\"b"_s}));
    QTest::newRow("empty alias list") << orError(Scripts::stopDataNodes({}));
    QTest::newRow("config key with a brace") << orError(Scripts::dataNodeConfig(u"x});exit(){"_s));
    QTest::newRow("column name with a space") << orError(Scripts::tableStats(u"dfs://stock"_s, u"stock"_s, u"id from x"_s, u"time"_s));
    QTest::newRow("reversed date range")
        << orError(Scripts::createStockTable(u"dfs://stock"_s, u"stock"_s, QDate(2023, 1, 10), QDate(2023, 1, 1)));
    QTest::newRow("quote refuses a backslash") << orError(Scripts::quote(u"a\\\"b"_s));
    QTest::newRow("id range with a condition for a column")
        << orError(Scripts::idRange(u"dfs://stock"_s, u"stock"_s, u"id or 1==1"_s, u"time"_s, 1, 2));
    QTest::newRow("empty id range") << orError(Scripts::idRange(u"dfs://s"_s, u"s"_s, u"id"_s, u"time"_s, 5, 4));
    QTest::newRow("zero page size") << orError(Scripts::idTimePage(u"dfs://s"_s, u"s"_s, u"id"_s, u"time"_s, 0, 0));
    QTest::newRow("a tag closing the string")
        << orError(Scripts::idRange(u"dfs://s"_s, u"s"_s, u"id"_s, u"time"_s, 1, 2,
                                    Scripts::RowFilter{u"name"_s, u"x\" or 1==1 or name=\"y"_s}));
    QTest::newRow("a filter column with a condition")
        << orError(Scripts::tableStats(u"dfs://s"_s, u"s"_s, u"id"_s, u"time"_s, Scripts::RowFilter{u"1==1 or name"_s, u"x"_s}));
    QTest::newRow("largest id of a column that is a script")
        << orError(Scripts::maxId(u"dfs://s"_s, u"s"_s, u"id) from x; exit(("_s));
}

void tst_Scripts::hostileInputIsRefused()
{
    QFETCH(QString, result);
    QVERIFY2(result.startsWith(u"ERROR: "_s), qPrintable(result));
}

void tst_Scripts::nodeVersionsFromTheCapturedReply()
{
    const QByteArray bytes = QByteArray::fromHex(
        "0006020000000200000000 6e6f646500 76616c756500"
        "120102000000010000006e6f6465343300 6e6f6465343400 1201020000000100 0000")
        + "2.00.8.12 2023.01.10" + '\0' + "2.00.8.12 2023.01.10" + '\0';
    const auto v = DdbDecoder::decode(bytes);
    QVERIFY2(v.ok(), qPrintable(v.ok() ? QString() : v.error().message));
    const auto nodes = readNodeVersions(*v);
    QVERIFY(nodes.ok());
    QCOMPARE(nodes->size(), 2);
    QCOMPARE(nodes->at(0).node, u"node43"_s);
    QCOMPARE(nodes->at(0).number, u"2.00.8.12"_s);
    QCOMPARE(nodes->at(0).buildDate, u"2023.01.10"_s);
}

void tst_Scripts::nodeVersionsToleratesSymbolsAndRowOrder()
{
    // Completion order, SYMBOL columns, a trailing " JIT".
    const DdbValue t = table({u"node"_s, u"value"_s},
                             {DdbVector::symbols({u"node45"_s, u"node43"_s, u"node44"_s}),
                              DdbVector::symbols({u"2.00.9.2 2023.03.10 JIT"_s, u"2.00.7.4 2022.12.08"_s,
                                                  u"2.00.7.4 2022.12.08"_s})});
    const auto nodes = readNodeVersions(t);
    QVERIFY(nodes.ok());
    QCOMPARE(nodes->at(0).node, u"node43"_s);
    QCOMPARE(nodes->at(2).node, u"node45"_s);
    QCOMPARE(nodes->at(2).number, u"2.00.9.2"_s);
    QVERIFY(!readNodeVersions(DdbValue::string(u"x"_s)).ok());
    QVERIFY(!readNodeVersions(table({u"a"_s}, {DdbVector::strings({u"x"_s})})).ok());
}

void tst_Scripts::clusterPerfToleratesTypeVariations_data()
{
    QTest::addColumn<DdbValue>("value");
    const QStringList names{u"name"_s, u"host"_s, u"port"_s, u"site"_s, u"mode"_s, u"state"_s,
                            u"maxConnections"_s, u"connectionNum"_s, u"workerNum"_s, u"executorNum"_s,
                            u"isLeader"_s};
    QTest::newRow("documented types (STRING, INT, INT state, BOOL isLeader)") << table(names, {
        DdbVector::strings({u"node44"_s, u"HActl43"_s}), DdbVector::strings({u"10.10.11.2"_s, u"10.10.11.1"_s}),
        DdbVector::int32s(DataType::Int, {8922, 8920}),
        DdbVector::strings({u"10.10.11.2:8922:node44"_s, u"10.10.11.1:8920:HActl43"_s}),
        DdbVector::int32s(DataType::Int, {0, 2}), DdbVector::int32s(DataType::Int, {1, 0}),
        DdbVector::int32s(DataType::Int, {512, 512}), DdbVector::int32s(DataType::Int, {3, 1}),
        DdbVector::int32s(DataType::Int, {4, 4}), DdbVector::int32s(DataType::Int, {0, 0}),
        DdbVector::bools({NULL_INT8, 1})});
    QTest::newRow("SYMBOL text, LONG numbers, BOOL state") << table(names, {
        DdbVector::symbols({u"HActl43"_s, u"node44"_s}), DdbVector::symbols({u"10.10.11.1"_s, u"10.10.11.2"_s}),
        DdbVector::int64s(DataType::Long, {8920, 8922}),
        DdbVector::symbols({u"10.10.11.1:8920:HActl43"_s, u"10.10.11.2:8922:node44"_s}),
        DdbVector::int64s(DataType::Long, {2, 0}), DdbVector::bools({0, 1}),
        DdbVector::int64s(DataType::Long, {512, 512}), DdbVector::int64s(DataType::Long, {1, 3}),
        DdbVector::int64s(DataType::Long, {4, 4}), DdbVector::int64s(DataType::Long, {0, 0}),
        DdbVector::int32s(DataType::Int, {1, NULL_INT})});
}

void tst_Scripts::clusterPerfToleratesTypeVariations()
{
    QFETCH(DdbValue, value);
    const auto nodes = readClusterPerf(value);
    QVERIFY2(nodes.ok(), qPrintable(nodes.ok() ? QString() : nodes.error().message));
    QCOMPARE(nodes->size(), 2);
    const ClusterNode &ctl = nodes->at(0);
    const ClusterNode &dn = nodes->at(1);
    QCOMPARE(ctl.name, u"HActl43"_s);
    QCOMPARE(ctl.mode, NodeMode::Controller);
    QVERIFY(!ctl.alive);
    QCOMPARE(ctl.isLeader, std::optional<bool>(true));
    QCOMPARE(dn.name, u"node44"_s);
    QCOMPARE(dn.port, 8922);
    QCOMPARE(dn.mode, NodeMode::DataNode);
    QVERIFY(dn.alive);
    QCOMPARE(dn.connectionNum, 3);
    QVERIFY(!dn.isLeader.has_value());
}

void tst_Scripts::clusterPerfNeedsItsKeyColumns()
{
    // Without a name column the alias comes from site.
    const DdbValue t = table({u"host"_s, u"port"_s, u"mode"_s, u"site"_s},
                             {DdbVector::strings({u"h"_s}), DdbVector::int32s(DataType::Int, {1}),
                              DdbVector::int32s(DataType::Int, {0}), DdbVector::strings({u"h:1:dn1"_s})});
    const auto nodes = readClusterPerf(t);
    QVERIFY(nodes.ok());
    QCOMPARE(nodes->first().name, u"dn1"_s);
    const auto bad = readClusterPerf(table({u"host"_s}, {DdbVector::strings({u"h"_s})}));
    QVERIFY(!bad.ok());
    QVERIFY(bad.error().message.contains(u"expected columns"_s));
}

void tst_Scripts::recoveryTasks_data()
{
    QTest::addColumn<DdbValue>("value");
    QTest::addColumn<QStringList>("pending");   // "path source>dest status" of the pending tasks
    QTest::addColumn<int>("total");
    QTest::newRow("VOID: no tasks") << DdbValue() << QStringList() << 0;
    QTest::newRow("empty table without columns") << table({}, {}) << QStringList() << 0;
    QTest::newRow("empty table") << table({u"TaskId"_s, u"Status"_s}, {DdbVector::strings({}), DdbVector::strings({})})
                                 << QStringList() << 0;
    const QStringList ids{u"t3"_s, u"t1"_s, u"t2"_s, u"t4"_s};
    const QStringList paths{u"/stock/20230103/stock"_s, u"/stock/20230101/stock"_s, u"/stock/20230102/stock"_s,
                            u"/stock/20230104/stock"_s};
    const QStringList statuses{u"In-Progress"_s, u"Finished"_s, u"Waiting"_s, u"Aborted"_s};
    QTest::newRow("documented columns, finished and aborted are not pending")
        << table({u"TaskId"_s, u"TaskType"_s, u"ChunkId"_s, u"ChunkPath"_s, u"Source"_s, u"Dest"_s, u"Status"_s,
                  u"AttemptCount"_s, u"StartTime"_s},
                 {DdbVector::strings(ids), DdbVector::strings(QStringList(4, u"ChunkRecovery"_s)),
                  DdbVector::strings({u"c3"_s, u"c1"_s, u"c2"_s, u"c4"_s}), DdbVector::strings(paths),
                  DdbVector::strings(QStringList(4, u"node43"_s)), DdbVector::strings(QStringList(4, u"node44"_s)),
                  DdbVector::strings(statuses), DdbVector::int32s(DataType::Int, {1, 1, 0, 3}),
                  DdbVector::int64s(DataType::Timestamp, {1672531200000LL, 1672531200000LL, NULL_LONG, 1672531200000LL})})
        << QStringList{u"/stock/20230102/stock node43>node44 Waiting"_s, u"/stock/20230103/stock node43>node44 In-Progress"_s}
        << 4;
    QTest::newRow("SYMBOL columns, lower-case names") << table(
        {u"chunkpath"_s, u"source"_s, u"dest"_s, u"status"_s},
        {DdbVector::symbols({u"/a"_s}), DdbVector::symbols({u"n1"_s}), DdbVector::symbols({u"n2"_s}), DdbVector::symbols({u"In-Progress"_s})})
        << QStringList{u"/a n1>n2 In-Progress"_s} << 1;
}

void tst_Scripts::recoveryTasks()
{
    QFETCH(DdbValue, value);
    QFETCH(QStringList, pending);
    QFETCH(int, total);
    const auto tasks = readRecoveryTasks(value);
    QVERIFY2(tasks.ok(), qPrintable(tasks.ok() ? QString() : tasks.error().message));
    QCOMPARE(tasks->size(), total);
    QStringList got;
    for (const RecoveryTask &t : *tasks) {
        if (t.isPending()) {
            got << u"%1 %2>%3 %4"_s.arg(t.chunkPath, t.source, t.dest, t.status);
        }
    }
    QCOMPARE(got, pending);
    if (total == 4) {
        QCOMPARE(tasks->first().taskId, u"t1"_s);
        QCOMPARE(tasks->first().attempts, 1);
        QCOMPARE(tasks->at(1).startMs, NULL_LONG);
    }
    // A table without the Status column cannot be judged.
    const auto bad = readRecoveryTasks(table({u"TaskId"_s}, {DdbVector::strings({u"x"_s})}));
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.contains(u"Status"_s), qPrintable(bad.error().message));
    QVERIFY(!readRecoveryTasks(DdbValue::string(u"x"_s)).ok());
}

void tst_Scripts::chunkStatus_data()
{
    QTest::addColumn<DdbValue>("value");
    QTest::addColumn<QStringList>("states");
    QTest::newRow("the gate's NULL means nothing incomplete") << DdbValue::voidValue(true) << QStringList();
    QTest::newRow("VOID nothing") << DdbValue() << QStringList();
    QTest::newRow("empty table") << table({u"chunkId"_s, u"state"_s}, {DdbVector::strings({}), DdbVector::strings({})})
                                 << QStringList();
    QTest::newRow("STRING states, sorted by file") << table(
        {u"chunkId"_s, u"file"_s, u"size"_s, u"version"_s, u"state"_s, u"replicas"_s, u"replicaCount"_s, u"lastUpdated"_s},
        {DdbVector::strings({u"c2"_s, u"c1"_s}), DdbVector::strings({u"/stock/9/b"_s, u"/stock/1/a"_s}),
         DdbVector::int64s(DataType::Long, {0, 10}), DdbVector::int32s(DataType::Int, {2, 3}),
         DdbVector::strings({u"RECOVERING"_s, u"COMPLETE"_s}),
         DdbVector::strings({u"node43:2:0,node44:1:0"_s, u"node43:3:0,node45:3:0"_s}),
         DdbVector::int32s(DataType::Int, {2, 2}), DdbVector::int64s(DataType::Timestamp, {1672531200000LL, NULL_LONG})})
        << QStringList{u"COMPLETE"_s, u"RECOVERING"_s};
    QTest::newRow("SYMBOL states") << table({u"file"_s, u"state"_s},
                                            {DdbVector::symbols({u"/a"_s}), DdbVector::symbols({u"CONSTRUCTING"_s})})
                                   << QStringList{u"CONSTRUCTING"_s};
    QTest::newRow("numeric states of the data-node view") << table(
        {u"file"_s, u"state"_s}, {DdbVector::strings({u"/a"_s, u"/b"_s, u"/c"_s}), DdbVector::int32s(DataType::Int, {0, 2, 3})})
        << QStringList{u"COMPLETE"_s, u"CONSTRUCTING"_s, u"RECOVERING"_s};
}

void tst_Scripts::chunkStatus()
{
    QFETCH(DdbValue, value);
    QFETCH(QStringList, states);
    const auto rows = readChunkStatus(value);
    QVERIFY2(rows.ok(), qPrintable(rows.ok() ? QString() : rows.error().message));
    QStringList got;
    for (const ChunkStatus &c : *rows) {
        got << c.state;
    }
    QCOMPARE(got, states);
    if (rows->size() == 2 && rows->first().file == u"/stock/1/a"_s) {
        QCOMPARE(rows->at(1).replicas.size(), 2);
        QCOMPARE(rows->at(1).replicas.at(1).node, u"node44"_s);
        QCOMPARE(rows->at(1).lastUpdatedMs, 1672531200000LL);
        QVERIFY(rows->at(0).isComplete());
    }
}

void tst_Scripts::replicasAreParsed()
{
    const auto r = parseReplicas(u"P1-node1:2:0:false:1700000000:1,P2-node1:2:1"_s);
    QCOMPARE(r.size(), 2);
    QCOMPARE(r.at(0).node, u"P1-node1"_s);
    QCOMPARE(r.at(0).version, qint64(2));
    QVERIFY(!r.at(0).corrupted);
    QVERIFY(r.at(1).corrupted);
    QVERIFY(parseReplicas(QString()).isEmpty());
}

void tst_Scripts::textAndConfigValues()
{
    QCOMPARE(*readText(DdbValue::string(u"/home/x/data/HActl44/dfsMeta"_s)), u"/home/x/data/HActl44/dfsMeta"_s);
    QCOMPARE(*readText(DdbValue::symbol(u"HActl44"_s)), u"HActl44"_s);
    QCOMPARE(*readText(DdbValue::voidValue(true)), QString());
    QCOMPARE(*readText(DdbValue::vector(DdbVector::strings({u"/v1"_s, u"/v2"_s}))), u"/v1,/v2"_s);
    QCOMPARE(splitConfigList(u" /v1, /v2 ,"_s), (QStringList{u"/v1"_s, u"/v2"_s}));
    const DdbValue cfg = table({u"node"_s, u"value"_s},
                               {DdbVector::strings({u"node44"_s, u"node43"_s}),
                                DdbVector::strings({u"/d/node44/storage"_s, QString()})});
    const auto rows = readNodeConfig(cfg);
    QVERIFY(rows.ok());
    QCOMPARE(rows->at(0).node, u"node43"_s);
    QCOMPARE(rows->at(0).value, QString());
    QCOMPARE(rows->at(1).value, u"/d/node44/storage"_s);
}

void tst_Scripts::schemaColDefs()
{
    const DdbValue colDefs = table({u"name"_s, u"typeString"_s, u"typeInt"_s, u"comment"_s},
                                   {DdbVector::strings({u"time"_s, u"name"_s, u"id"_s}),
                                    DdbVector::strings({u"TIMESTAMP"_s, u"SYMBOL"_s, u"INT"_s}),
                                    DdbVector::int32s(DataType::Int, {12, 17, 4}),
                                    DdbVector::strings({QString(), QString(), QString()})});
    const DdbValue schema = DdbValue::dictionary(DdbVector::strings({u"engineType"_s, u"colDefs"_s}),
                                                 DdbVector::anys({DdbValue::string(u"TSDB"_s), colDefs}));
    // Through the wire and back, as it would arrive.
    const auto decoded = DdbDecoder::decode(DdbEncoder::encode(schema));
    QVERIFY(decoded.ok());
    const auto defs = readSchema(*decoded);
    QVERIFY2(defs.ok(), qPrintable(defs.ok() ? QString() : defs.error().message));
    QCOMPARE(defs->size(), 3);
    QCOMPARE(defs->at(1).name, u"name"_s);
    QCOMPARE(defs->at(1).typeInt, 17);
    QCOMPARE(defs->at(2).typeString, u"INT"_s);
    QVERIFY(!readSchema(DdbValue::dictionary(DdbVector::strings({u"x"_s}), DdbVector::anys({DdbValue()}))).ok());
}

void tst_Scripts::tableStatsAndPages()
{
    const DdbValue stats = table({u"rows"_s, u"minId"_s, u"maxId"_s, u"minTime"_s, u"maxTime"_s},
                                 {DdbVector::int64s(DataType::Long, {3}), DdbVector::int32s(DataType::Int, {1}),
                                  DdbVector::int32s(DataType::Int, {3}),
                                  DdbVector::int64s(DataType::Timestamp, {1672531200000LL}),
                                  DdbVector::int64s(DataType::NanoTimestamp, {1672531202000000000LL})});
    const auto s = readTableStats(stats);
    QVERIFY(s.ok());
    QCOMPARE(s->rows, qint64(3));
    QCOMPARE(s->maxId, qint64(3));
    QCOMPARE(s->maxTimeMs, 1672531202000LL);
    const DdbValue page = table({u"id"_s, u"time"_s},
                                {DdbVector::int32s(DataType::Int, {4, 5}),
                                 DdbVector::int32s(DataType::DateTime, {1672531200, 1672531201})});
    const auto p = readIdTimePage(page, u"id"_s, u"time"_s);
    QVERIFY(p.ok());
    QCOMPARE(p->size(), qint64(2));
    QCOMPARE(p->idAt(1), qint64(5));
    QCOMPARE(p->timeMsAt(1), 1672531201000LL);
    QVERIFY(!readIdTimePage(page, u"id"_s, u"ts"_s).ok());

    // The columns' types come with the stats: a SYMBOL id is not read as a number.
    QCOMPARE(s->idType, DataType::Int);
    QCOMPARE(s->timeType, DataType::Timestamp);
    const auto symbol = readTableStats(table({u"rows"_s, u"minId"_s, u"maxId"_s, u"minTime"_s, u"maxTime"_s},
                                             {DdbVector::int64s(DataType::Long, {3}), DdbVector::strings(DataType::Symbol, {u"a"_s}),
                                              DdbVector::strings(DataType::Symbol, {u"c"_s}),
                                              DdbVector::int32s(DataType::Int, {1}), DdbVector::int32s(DataType::Int, {3})}));
    QVERIFY(symbol.ok());
    QCOMPARE(symbol->idType, DataType::Symbol);
    QCOMPARE(symbol->minId, NULL_LONG);
    QCOMPARE(symbol->timeType, DataType::Int);
    QCOMPARE(symbol->minTimeMs, NULL_LONG);

    // The largest id: a scalar, a one-cell table, NULL for an empty table; a text id is named.
    QCOMPARE(readMaxId(DdbValue::int32(40)).value(), qint64(40));
    QCOMPARE(readMaxId(DdbValue::int64(3000000000LL, DataType::Long)).value(), qint64(3000000000LL));
    QCOMPARE(readMaxId(DdbValue::int32(NULL_INT)).value(), NULL_LONG);
    QCOMPARE(readMaxId(DdbValue()).value(), NULL_LONG);
    QCOMPARE(readMaxId(table({u"max_id"_s}, {DdbVector::int32s(DataType::Int, {7})})).value(), qint64(7));
    const auto text = readMaxId(DdbValue::scalar(DdbVector::strings(DataType::Symbol, {u"x"_s})));
    QVERIFY(!text.ok());
    QVERIFY2(text.error().message.contains(u"SYMBOL"_s), qPrintable(text.error().message));
}

QTEST_APPLESS_MAIN(tst_Scripts)

#include "tst_scripts.moc"
