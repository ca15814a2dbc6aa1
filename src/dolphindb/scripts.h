// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The script catalog: every DolphinDB script text the product sends, built in one place
// (PROTOCOL.md §2.3, §5, §6; PROCEDURE.md; the gray-scale tutorial), plus typed readers for
// their results.
//
// Parameters that end up inside a script are validated (identifiers, node aliases, config
// keys) or quoted after validation (database paths, table names, text), so no input can
// change a script's meaning: a value that cannot be represented safely is refused with an
// InvalidInput error instead of being escaped. Exact texts matter — the sandbox emulator
// pattern-matches them — so the fixed texts below are the ones the official tools use
// (e.g. "rpc(getControllerAlias(), getClusterPerf)" with the space).
//
// Readers are tolerant as PROTOCOL.md §6/§9 asks: STRING or SYMBOL, INT/LONG/SHORT, BOOL or
// INT for states, any row order (results are sorted), optional columns may be missing, and
// column names match case-insensitively. A shape that cannot be read is an error that says
// what was expected.

#include "core/result.h"
#include "dolphindb/ddbvalue.h"

#include <QDate>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace GrayStep::DolphinDb {

namespace Scripts {

// ---- validation and quoting
// DolphinDB identifier: [A-Za-z_][A-Za-z0-9_]* (column names, table names, config keys,
// variable names).
bool isIdentifier(const QString &text);
// Node alias as in cluster.nodes: [A-Za-z0-9_][A-Za-z0-9_.-]* (aliases may contain '-').
bool isNodeAlias(const QString &text);
// "dfs://name[/more]" with [A-Za-z0-9_.-] segments, no "..".
bool isDfsPath(const QString &text);
// A double-quoted DolphinDB string literal. Refuses text with quotes, backslashes, control
// characters (including newlines) rather than escaping them.
Core::Result<QString> quote(const QString &text);

// ---- node identity and versions (§6.1, §6.2)
QString nodeVersions();                  // pnodeRun(version)
QString version();                       // version()
QString liveness();                      // 1+1 (expects INT 2)
QString nodeAlias();                     // getNodeAlias()
QString controllerAlias();               // getControllerAlias()
QString activeMaster();                  // getActiveMaster()   (controller only)
QString nodeType();                      // getNodeType()
QString nodeAliases();                   // pnodeRun(getNodeAlias)

// ---- cluster state (§5.1, §6.4, §6.5, §6.7)
QString clusterPerf(bool includeControllers = false);  // rpc(getControllerAlias(), getClusterPerf[, true])
QString clusterChunksStatus();           // rpc(getControllerAlias(), getClusterChunksStatus)
// The tutorial's upgrade gate: rows whose state is not COMPLETE.
QString incompleteChunks();              // select * from rpc(...getClusterChunksStatus) where state != "COMPLETE"
QString recoveryTasks();                 // rpc(getControllerAlias(), getRecoveryTaskStatus)

// ---- configuration (§6.3, §7.3)
QString chunkMetaDirs();                 // pnodeRun(getConfig{`chunkMetaDir})
QString dfsMetaDir();                    // rpc(getControllerAlias(), getConfig{`dfsMetaDir})
QString dataNodeVolumes();               // pnodeRun(getConfig{`volumes})
// pnodeRun(getConfig{`<key>}) / rpc(getControllerAlias(), getConfig{`<key>}) / getConfig(`<key>)
Core::Result<QString> dataNodeConfig(const QString &key);
Core::Result<QString> controllerConfig(const QString &key);
Core::Result<QString> localConfig(const QString &key);

// ---- node start/stop through the controller (§6.6)
// startDataNode(["node43","node44"]) / stopDataNode([...]); aliases validated.
Core::Result<QString> startDataNodes(const QStringList &aliases);
Core::Result<QString> stopDataNodes(const QStringList &aliases);

// ---- tables (§5.4, tutorial)
// schema(loadTable("dfs://stock", "stock"))
Core::Result<QString> tableSchema(const QString &dbPath, const QString &table);
// The function expression of an append, sent as a function call with ONE table argument:
// tableInsert{loadTable('dfs://stock','stock')}  (the C++ appender's exact text, §4.9)
Core::Result<QString> tableInsertFunction(const QString &dbPath, const QString &table);
// existsTable("dfs://stock", "stock")
Core::Result<QString> tableExists(const QString &dbPath, const QString &table);
// The tutorial's creation script (VALUE partitions over [firstDay, lastDay], TSDB engine,
// columns time TIMESTAMP, name SYMBOL, id INT, sorted by name):
//   db = database("dfs://stock",VALUE,2023.01.01..2023.01.10,,'TSDB')
//   tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])
//   pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)
// With longIds the id column is LONG instead of INT (ids beyond 2^31).
Core::Result<QString> createStockTable(const QString &dbPath, const QString &table, QDate firstDay,
                                       QDate lastDay, bool longIds = false);
// The rows of one writer run in a shared table: `column = "value"` (the writer's SYMBOL
// column holding the run's tag). Empty: every row. The column is validated, the value quoted.
struct RowFilter
{
    QString column;
    QString value;
    bool isEmpty() const { return value.isEmpty(); }
};
// The largest id in the table before a writer starts (its ids go above it):
//   exec max(id) from loadTable("dfs://stock", "stock")
Core::Result<QString> maxId(const QString &dbPath, const QString &table, const QString &idColumn);
// select count(*) as rows, min(id) as minId, max(id) as maxId, min(time) as minTime,
//        max(time) as maxTime from loadTable("dfs://stock", "stock") [where name = "tag"]
Core::Result<QString> tableStats(const QString &dbPath, const QString &table, const QString &idColumn,
                                 const QString &timeColumn, const RowFilter &filter = {});
// The rows with a null id, which the id-range reads cannot reach: how many and their times:
//   select count(*) as rows, min(time) as minTime, max(time) as maxTime from loadTable(...)
//   where isNull(id) [and name = "tag"]
Core::Result<QString> nullIdTimes(const QString &dbPath, const QString &table, const QString &idColumn,
                                  const QString &timeColumn, const RowFilter &filter = {});
// One page of (id, time) in id order after `afterId`:
// select top <limit> id, time from loadTable("db", "tb") where id > <afterId> order by id
Core::Result<QString> idTimePage(const QString &dbPath, const QString &table, const QString &idColumn,
                                 const QString &timeColumn, qint64 afterId, int limit);
// One id range of the id and time columns, any order (every copy of an id in the range;
// servers without `top`/`order by` support serve it too); read it with readIdTimePage():
//   select id, time from loadTable("db", "tb") where id >= <first> and id <= <last> [and name = "tag"]
Core::Result<QString> idRange(const QString &dbPath, const QString &table, const QString &idColumn,
                              const QString &timeColumn, qint64 first, qint64 last, const RowFilter &filter = {});
// The whole id and time columns in one read, any order (small tables; servers without
// `top`/`order by` support): select id, time from loadTable("db", "tb") [where name = "tag"]
Core::Result<QString> idTimeAll(const QString &dbPath, const QString &table, const QString &idColumn,
                                const QString &timeColumn, const RowFilter &filter = {});

} // namespace Scripts

// ---------------------------------------------------------------- typed results

enum class NodeMode { DataNode = 0, Agent = 1, Controller = 2, Single = 3, ComputeNode = 4, Unknown = -1 };
QString nodeModeName(NodeMode mode);

// pnodeRun(version): one row per node.
struct NodeVersion
{
    QString node;
    QString text;        // "2.00.8.12 2023.01.10"
    QString number;      // "2.00.8.12" (token before the first space)
    QString buildDate;   // "2023.01.10" (second token, may be empty)
};
// Sorted by node alias. Accepts the node/value table (STRING or SYMBOL columns).
Core::Result<QList<NodeVersion>> readNodeVersions(const DdbValue &value);

// getClusterPerf: one row per node (only those columns the tool uses).
struct ClusterNode
{
    QString name;         // alias ("name" column, else the alias part of "site")
    QString host;
    int port = 0;
    QString site;         // host:port:alias
    NodeMode mode = NodeMode::Unknown;
    bool alive = false;   // state 1 / true
    QString agentSite;
    int maxConnections = 0;
    int connectionNum = 0;
    int workerNum = 0;
    int executorNum = 0;
    qint64 memoryUsed = 0;
    double maxMemSize = 0;
    std::optional<bool> isLeader;  // controllers in Raft clusters; null otherwise
};
Core::Result<QList<ClusterNode>> readClusterPerf(const DdbValue &value);

struct ChunkReplica
{
    QString node;
    qint64 version = 0;
    bool corrupted = false;
};

// getClusterChunksStatus: one row per chunk.
struct ChunkStatus
{
    QString chunkId;
    QString file;
    qint64 size = 0;
    qint64 version = 0;
    QString state;                  // "COMPLETE", "CONSTRUCTING", "RECOVERING" (numeric codes mapped)
    QList<ChunkReplica> replicas;
    qint64 replicaCount = 0;
    qint64 lastUpdatedMs = NULL_LONG;
    QString permission;
    bool isComplete() const { return state == QLatin1StringView("COMPLETE"); }
};
// Accepts the chunk table, an empty table, or a VOID/NULL (what the tutorial's gate returns
// when nothing is incomplete). Sorted by file, then chunkId.
Core::Result<QList<ChunkStatus>> readChunkStatus(const DdbValue &value);
// "P1-node1:2:0,P2-node1:2:0" -> replicas.
QList<ChunkReplica> parseReplicas(const QString &text);

// getRecoveryTaskStatus (controller): one row per replica recovery or rebalance task.
struct RecoveryTask
{
    QString taskId;
    QString type;         // "ChunkRecovery", "LoadRebalance"
    QString chunkId;
    QString chunkPath;
    QString source;       // node the data comes from
    QString dest;         // node that receives it
    QString status;       // "Waiting", "In-Progress", "Finished", "Aborted"
    qint64 attempts = 0;
    qint64 startMs = NULL_LONG;
    QString failureReason;
    // Waiting or in progress (anything but Finished and Aborted).
    bool isPending() const;
};
// Accepts the table (STRING or SYMBOL columns), an empty table or VOID. Needs the Status
// column. Sorted by chunk path, then task id.
Core::Result<QList<RecoveryTask>> readRecoveryTasks(const DdbValue &value);

// pnodeRun(getConfig{`key}): one row per node; a null value is an empty string.
struct NodeConfigValue
{
    QString node;
    QString value;
};
Core::Result<QList<NodeConfigValue>> readNodeConfig(const DdbValue &value);
// A text scalar (STRING/SYMBOL, or any scalar formatted); VOID/NULL gives an empty string.
Core::Result<QString> readText(const DdbValue &value);
// getConfig(`volumes) style: a scalar "a,b" or a vector -> list of paths.
QStringList splitConfigList(const QString &text);

// schema(loadTable(...)): the colDefs table.
struct ColumnDef
{
    QString name;
    QString typeString;
    int typeInt = 0;
    int extra = 0;   // decimal scale
};
Core::Result<QList<ColumnDef>> readSchema(const DdbValue &value);

// tableStats(), nullIdTimes(): a one-row table.
struct TableStats
{
    qint64 rows = 0;
    qint64 minId = NULL_LONG;
    qint64 maxId = NULL_LONG;
    qint64 minTimeMs = NULL_LONG;   // TIMESTAMP ms (other temporal types converted)
    qint64 maxTimeMs = NULL_LONG;
    // The types min() answered with: the id and time columns' types (VOID when absent). A
    // SYMBOL id column or a numeric time column shows here, before any page is read.
    DataType idType = DataType::Void;
    DataType timeType = DataType::Void;
};
// maxId(): the scalar, or a one-row one-column table; NULL (empty table) is NULL_LONG. An id
// column that is not INT, LONG or SHORT is an error naming its type.
Core::Result<qint64> readMaxId(const DdbValue &value);
Core::Result<TableStats> readTableStats(const DdbValue &value);

// idTimePage(): the id and time columns as they came (contiguous typed storage, no copies).
struct IdTimePage
{
    DdbVector ids;     // INT or LONG (SHORT tolerated)
    DdbVector times;   // TIMESTAMP, DATETIME, NANOTIMESTAMP, ...
    qint64 size() const { return ids.size(); }
    qint64 idAt(qint64 i) const { return ids.intAt(i); }
    // Milliseconds since epoch for any temporal type.
    qint64 timeMsAt(qint64 i) const;
};
Core::Result<IdTimePage> readIdTimePage(const DdbValue &value, const QString &idColumn,
                                        const QString &timeColumn);

} // namespace GrayStep::DolphinDb
