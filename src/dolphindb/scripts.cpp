// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/scripts.h"

#include <QRegularExpression>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::DolphinDb {

namespace {

Core::Error invalid(const QString &what)
{
    return Core::Error(Core::ErrorCode::InvalidInput, what);
}

} // namespace

namespace Scripts {

bool isIdentifier(const QString &text)
{
    static const QRegularExpression re(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    return text.size() <= 256 && re.match(text).hasMatch();
}

bool isNodeAlias(const QString &text)
{
    static const QRegularExpression re(u"^[A-Za-z0-9_][A-Za-z0-9_.\\-]*$"_s);
    return text.size() <= 256 && re.match(text).hasMatch();
}

bool isDfsPath(const QString &text)
{
    static const QRegularExpression re(u"^dfs://[A-Za-z0-9_.\\-]+(/[A-Za-z0-9_.\\-]+)*$"_s);
    return text.size() <= 1024 && re.match(text).hasMatch() && !text.contains(".."_L1);
}

Core::Result<QString> quote(const QString &text)
{
    for (const QChar c : text) {
        if (c == u'"' || c == u'\'' || c == u'\\' || c == u'`' || c.unicode() < 0x20 || c.unicode() == 0x7f) {
            return invalid(u"text '%1' contains a character that cannot go into a script"_s.arg(text.left(80)));
        }
    }
    return QString(u'"' + text + u'"');
}

namespace {

Core::Status checkTable(const QString &dbPath, const QString &table)
{
    if (!isDfsPath(dbPath)) {
        return invalid(u"'%1' is not a DFS database path (dfs://name)"_s.arg(dbPath.left(120)));
    }
    if (!isIdentifier(table)) {
        return invalid(u"'%1' is not a valid table name"_s.arg(table.left(120)));
    }
    return {};
}

Core::Status checkColumn(const QString &column)
{
    if (!isIdentifier(column)) {
        return invalid(u"'%1' is not a valid column name"_s.arg(column.left(120)));
    }
    return {};
}

Core::Result<QString> aliasVector(const QStringList &aliases)
{
    if (aliases.isEmpty()) {
        return invalid(u"no node alias given"_s);
    }
    QStringList quoted;
    for (const QString &a : aliases) {
        if (!isNodeAlias(a)) {
            return invalid(u"'%1' is not a valid node alias"_s.arg(a.left(120)));
        }
        quoted << u'"' + a + u'"';
    }
    return QString(u'[' + quoted.join(u',') + u']');
}

Core::Result<QString> loadTable(const QString &dbPath, const QString &table)
{
    const Core::Status st = checkTable(dbPath, table);
    if (!st) {
        return st.error();
    }
    return u"loadTable(\"%1\", \"%2\")"_s.arg(dbPath, table);
}

QString dateLiteral(QDate d)
{
    return QString::asprintf("%04d.%02d.%02d", d.year(), d.month(), d.day());
}

} // namespace

QString nodeVersions() { return u"pnodeRun(version)"_s; }
QString version() { return u"version()"_s; }
QString liveness() { return u"1+1"_s; }
QString nodeAlias() { return u"getNodeAlias()"_s; }
QString controllerAlias() { return u"getControllerAlias()"_s; }
QString activeMaster() { return u"getActiveMaster()"_s; }
QString nodeType() { return u"getNodeType()"_s; }
QString nodeAliases() { return u"pnodeRun(getNodeAlias)"_s; }

QString clusterPerf(bool includeControllers)
{
    return includeControllers ? u"rpc(getControllerAlias(), getClusterPerf, true)"_s
                              : u"rpc(getControllerAlias(), getClusterPerf)"_s;
}

QString clusterChunksStatus()
{
    return u"rpc(getControllerAlias(), getClusterChunksStatus)"_s;
}

QString incompleteChunks()
{
    return u"select * from rpc(getControllerAlias(), getClusterChunksStatus) where state != \"COMPLETE\""_s;
}

QString recoveryTasks()
{
    return u"rpc(getControllerAlias(), getRecoveryTaskStatus)"_s;
}

QString chunkMetaDirs()
{
    return u"pnodeRun(getConfig{`chunkMetaDir})"_s;
}

QString dfsMetaDir()
{
    return u"rpc(getControllerAlias(), getConfig{`dfsMetaDir})"_s;
}

QString dataNodeVolumes()
{
    return u"pnodeRun(getConfig{`volumes})"_s;
}

Core::Result<QString> dataNodeConfig(const QString &key)
{
    if (!isIdentifier(key)) {
        return invalid(u"'%1' is not a valid configuration key"_s.arg(key.left(120)));
    }
    return u"pnodeRun(getConfig{`%1})"_s.arg(key);
}

Core::Result<QString> controllerConfig(const QString &key)
{
    if (!isIdentifier(key)) {
        return invalid(u"'%1' is not a valid configuration key"_s.arg(key.left(120)));
    }
    return u"rpc(getControllerAlias(), getConfig{`%1})"_s.arg(key);
}

Core::Result<QString> localConfig(const QString &key)
{
    if (!isIdentifier(key)) {
        return invalid(u"'%1' is not a valid configuration key"_s.arg(key.left(120)));
    }
    return u"getConfig(`%1)"_s.arg(key);
}

Core::Result<QString> startDataNodes(const QStringList &aliases)
{
    auto v = aliasVector(aliases);
    if (!v) {
        return v.error();
    }
    return u"startDataNode(%1)"_s.arg(*v);
}

Core::Result<QString> stopDataNodes(const QStringList &aliases)
{
    auto v = aliasVector(aliases);
    if (!v) {
        return v.error();
    }
    return u"stopDataNode(%1)"_s.arg(*v);
}

Core::Result<QString> tableSchema(const QString &dbPath, const QString &table)
{
    auto t = loadTable(dbPath, table);
    if (!t) {
        return t.error();
    }
    return u"schema(%1)"_s.arg(*t);
}

Core::Result<QString> tableInsertFunction(const QString &dbPath, const QString &table)
{
    const Core::Status st = checkTable(dbPath, table);
    if (!st) {
        return st.error();
    }
    return u"tableInsert{loadTable('%1','%2')}"_s.arg(dbPath, table);
}

Core::Result<QString> tableExists(const QString &dbPath, const QString &table)
{
    const Core::Status st = checkTable(dbPath, table);
    if (!st) {
        return st.error();
    }
    return u"existsTable(\"%1\", \"%2\")"_s.arg(dbPath, table);
}

Core::Result<QString> createStockTable(const QString &dbPath, const QString &table, QDate firstDay,
                                       QDate lastDay, bool longIds)
{
    const Core::Status st = checkTable(dbPath, table);
    if (!st) {
        return st.error();
    }
    if (!firstDay.isValid() || !lastDay.isValid() || lastDay < firstDay) {
        return invalid(u"invalid partition date range"_s);
    }
    return u"db = database(\"%1\",VALUE,%2..%3,,'TSDB')\n"
           "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,%5])\n"
           "pt = db.createPartitionedTable(tmp,`%4,`time,,`name,ALL)"_s
        .arg(dbPath, dateLiteral(firstDay), dateLiteral(lastDay), table, longIds ? u"LONG"_s : u"INT"_s);
}

namespace {

// loadTable(...) for the continuity reads, once the id and time column names are checked.
Core::Result<QString> idTimeTable(const QString &dbPath, const QString &table, const QString &idColumn,
                                  const QString &timeColumn)
{
    for (const QString &c : {idColumn, timeColumn}) {
        if (const Core::Status st = checkColumn(c); !st) {
            return st.error();
        }
    }
    return loadTable(dbPath, table);
}

// "name = \"tag\"" for a filter (empty for none).
Core::Result<QString> filterCondition(const RowFilter &filter)
{
    if (filter.isEmpty()) {
        return QString();
    }
    if (const Core::Status st = checkColumn(filter.column); !st) {
        return st.error();
    }
    auto value = quote(filter.value);
    if (!value) {
        return value.error();
    }
    return u"%1 = %2"_s.arg(filter.column, *value);
}

// " where <conditions joined by and>" (empty when there is none).
QString whereClause(const QStringList &conditions)
{
    QStringList present;
    for (const QString &c : conditions) {
        if (!c.isEmpty()) {
            present << c;
        }
    }
    return present.isEmpty() ? QString() : u" where "_s + present.join(u" and "_s);
}

// "select WHAT from <the id/time table> where CONDITIONS and <the filter>", the table and the
// filter checked first.
Core::Result<QString> selectFromIdTimeTable(const QString &dbPath, const QString &table, const QString &idColumn,
                                            const QString &timeColumn, const QString &what, QStringList conditions,
                                            const RowFilter &filter)
{
    auto t = idTimeTable(dbPath, table, idColumn, timeColumn);
    if (!t) {
        return t.error();
    }
    auto condition = filterCondition(filter);
    if (!condition) {
        return condition.error();
    }
    conditions << *condition;
    return QString(u"select %1 from %2"_s.arg(what, *t) + whereClause(conditions));
}

} // namespace

Core::Result<QString> maxId(const QString &dbPath, const QString &table, const QString &idColumn)
{
    if (const Core::Status st = checkColumn(idColumn); !st) {
        return st.error();
    }
    auto t = loadTable(dbPath, table);
    if (!t) {
        return t.error();
    }
    return u"exec max(%1) from %2"_s.arg(idColumn, *t);
}

Core::Result<QString> tableStats(const QString &dbPath, const QString &table, const QString &idColumn,
                                 const QString &timeColumn, const RowFilter &filter)
{
    return selectFromIdTimeTable(dbPath, table, idColumn, timeColumn,
                                 u"count(*) as rows, min(%1) as minId, max(%1) as maxId, min(%2) as minTime, "
                                 "max(%2) as maxTime"_s.arg(idColumn, timeColumn),
                                 {}, filter);
}

Core::Result<QString> nullIdTimes(const QString &dbPath, const QString &table, const QString &idColumn,
                                  const QString &timeColumn, const RowFilter &filter)
{
    return selectFromIdTimeTable(dbPath, table, idColumn, timeColumn,
                                 u"count(*) as rows, min(%1) as minTime, max(%1) as maxTime"_s.arg(timeColumn),
                                 {u"isNull(%1)"_s.arg(idColumn)}, filter);
}

Core::Result<QString> idTimePage(const QString &dbPath, const QString &table, const QString &idColumn,
                                 const QString &timeColumn, qint64 afterId, int limit)
{
    auto t = idTimeTable(dbPath, table, idColumn, timeColumn);
    if (!t) {
        return t.error();
    }
    if (limit <= 0) {
        return invalid(u"page size must be positive"_s);
    }
    return u"select top %1 %2, %3 from %4 where %2 > %5 order by %2"_s.arg(limit)
        .arg(idColumn, timeColumn, *t)
        .arg(afterId);
}

Core::Result<QString> idRange(const QString &dbPath, const QString &table, const QString &idColumn,
                              const QString &timeColumn, qint64 first, qint64 last, const RowFilter &filter)
{
    if (auto t = idTimeTable(dbPath, table, idColumn, timeColumn); !t) {
        return t.error();
    }
    if (last < first) {
        return invalid(u"empty id range %1..%2"_s.arg(first).arg(last));
    }
    return selectFromIdTimeTable(dbPath, table, idColumn, timeColumn, u"%1, %2"_s.arg(idColumn, timeColumn),
                                 {u"%1 >= %2"_s.arg(idColumn).arg(first), u"%1 <= %2"_s.arg(idColumn).arg(last)}, filter);
}

Core::Result<QString> idTimeAll(const QString &dbPath, const QString &table, const QString &idColumn,
                                const QString &timeColumn, const RowFilter &filter)
{
    return selectFromIdTimeTable(dbPath, table, idColumn, timeColumn, u"%1, %2"_s.arg(idColumn, timeColumn), {}, filter);
}

} // namespace Scripts

// ---------------------------------------------------------------- readers

namespace {

Core::Error shape(const QString &what, const DdbValue &got)
{
    return Core::Error(Core::ErrorCode::Protocol, u"%1, got %2"_s.arg(what, got.describe()));
}

// Column by name, or nullptr.
const DdbVector *col(const DdbValue &t, const QString &name)
{
    return t.column(QStringView(name));
}

QString textAt(const DdbVector *c, qint64 row)
{
    return (c && !c->isNull(row)) ? c->stringAt(row) : QString();
}

// The types an id column may have (the continuity checks count ids).
bool isIdType(DataType type)
{
    return type == DataType::Int || type == DataType::Long || type == DataType::Short;
}

qint64 intOr(const DdbVector *c, qint64 row, qint64 fallback)
{
    if (!c || c->isNull(row)) {
        return fallback;
    }
    const qint64 v = c->intAt(row);
    return v == NULL_LONG ? fallback : v;
}

// Milliseconds since epoch of a temporal element.
qint64 toMs(const DdbVector &c, qint64 row)
{
    if (c.isNull(row)) {
        return NULL_LONG;
    }
    const qint64 v = c.intAt(row);
    switch (c.type()) {
    case DataType::Timestamp:
        return v;
    case DataType::DateTime:
        return v * 1000;
    case DataType::NanoTimestamp:
        return v >= 0 ? v / 1000000 : -((-v + 999999) / 1000000);
    case DataType::Date:
        return v * 86400000LL;
    case DataType::DateHour:
        return v * 3600000LL;
    case DataType::DateMinute:
        return v * 60000LL;
    default:
        return v;
    }
}

} // namespace

QString nodeModeName(NodeMode mode)
{
    switch (mode) {
    case NodeMode::DataNode: return u"datanode"_s;
    case NodeMode::Agent: return u"agent"_s;
    case NodeMode::Controller: return u"controller"_s;
    case NodeMode::Single: return u"single"_s;
    case NodeMode::ComputeNode: return u"computenode"_s;
    case NodeMode::Unknown: break;
    }
    return u"unknown"_s;
}

Core::Result<QList<NodeConfigValue>> readNodeConfig(const DdbValue &value)
{
    if (!value.isTable()) {
        return shape(u"expected a node/value table"_s, value);
    }
    const DdbVector *node = col(value, u"node"_s);
    const DdbVector *val = col(value, u"value"_s);
    if (!node || !val) {
        return shape(u"expected columns 'node' and 'value'"_s, value);
    }
    QList<NodeConfigValue> out;
    for (qint64 r = 0; r < value.rowCount(); ++r) {
        out.append({textAt(node, r), textAt(val, r)});
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.node < b.node; });
    return out;
}

Core::Result<QList<NodeVersion>> readNodeVersions(const DdbValue &value)
{
    auto rows = readNodeConfig(value);
    if (!rows) {
        return rows.error();
    }
    QList<NodeVersion> out;
    for (const NodeConfigValue &r : *rows) {
        NodeVersion v;
        v.node = r.node;
        v.text = r.value.trimmed();
        const QStringList tokens = v.text.split(u' ', Qt::SkipEmptyParts);
        v.number = tokens.value(0);
        v.buildDate = tokens.value(1);
        out << v;
    }
    return out;
}

Core::Result<QList<ClusterNode>> readClusterPerf(const DdbValue &value)
{
    if (!value.isTable()) {
        return shape(u"expected the getClusterPerf table"_s, value);
    }
    const DdbVector *host = col(value, u"host"_s);
    const DdbVector *port = col(value, u"port"_s);
    const DdbVector *mode = col(value, u"mode"_s);
    const DdbVector *name = col(value, u"name"_s);
    const DdbVector *site = col(value, u"site"_s);
    if (!host || !port || !mode || (!name && !site)) {
        return shape(u"expected columns host, port, mode and name or site"_s, value);
    }
    const DdbVector *state = col(value, u"state"_s);
    const DdbVector *agentSite = col(value, u"agentSite"_s);
    const DdbVector *isLeader = col(value, u"isLeader"_s);
    QList<ClusterNode> out;
    for (qint64 r = 0; r < value.rowCount(); ++r) {
        ClusterNode n;
        n.host = textAt(host, r);
        n.port = int(intOr(port, r, 0));
        n.site = textAt(site, r);
        n.name = textAt(name, r);
        if (n.name.isEmpty() && !n.site.isEmpty()) {
            n.name = n.site.section(u':', 2);
        }
        const qint64 m = intOr(mode, r, -1);
        n.mode = (m >= 0 && m <= 4) ? NodeMode(m) : NodeMode::Unknown;
        n.alive = state ? intOr(state, r, 0) != 0 : true;
        n.agentSite = textAt(agentSite, r);
        n.maxConnections = int(intOr(col(value, u"maxConnections"_s), r, 0));
        n.connectionNum = int(intOr(col(value, u"connectionNum"_s), r, 0));
        n.workerNum = int(intOr(col(value, u"workerNum"_s), r, 0));
        n.executorNum = int(intOr(col(value, u"executorNum"_s), r, 0));
        n.memoryUsed = intOr(col(value, u"memoryUsed"_s), r, 0);
        if (const DdbVector *mm = col(value, u"maxMemSize"_s); mm && !mm->isNull(r)) {
            n.maxMemSize = mm->doubleAt(r);
        }
        if (isLeader && !isLeader->isNull(r)) {
            n.isLeader = isLeader->intAt(r) != 0;
        }
        out << n;
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.name < b.name; });
    return out;
}

QList<ChunkReplica> parseReplicas(const QString &text)
{
    QList<ChunkReplica> out;
    for (const QString &item : text.split(u',', Qt::SkipEmptyParts)) {
        const QStringList f = item.trimmed().split(u':');
        if (f.isEmpty() || f.first().isEmpty()) {
            continue;
        }
        ChunkReplica r;
        r.node = f.value(0);
        r.version = f.value(1).toLongLong();
        r.corrupted = f.value(2) == "1"_L1 || f.value(2).compare("true"_L1, Qt::CaseInsensitive) == 0;
        out << r;
    }
    return out;
}

Core::Result<QList<ChunkStatus>> readChunkStatus(const DdbValue &value)
{
    if (value.isVoid() || (value.isScalar() && value.isNull())) {
        return QList<ChunkStatus>();  // the gate's "NULL": nothing incomplete
    }
    if (!value.isTable()) {
        return shape(u"expected the getClusterChunksStatus table"_s, value);
    }
    if (value.rowCount() == 0) {
        return QList<ChunkStatus>();
    }
    const DdbVector *state = col(value, u"state"_s);
    if (!state) {
        return shape(u"expected a 'state' column"_s, value);
    }
    const DdbVector *chunkId = col(value, u"chunkId"_s);
    const DdbVector *file = col(value, u"file"_s);
    const DdbVector *replicas = col(value, u"replicas"_s);
    const DdbVector *updated = col(value, u"lastUpdated"_s);
    QList<ChunkStatus> out;
    for (qint64 r = 0; r < value.rowCount(); ++r) {
        ChunkStatus c;
        c.chunkId = textAt(chunkId, r);
        c.file = textAt(file, r);
        c.size = intOr(col(value, u"size"_s), r, 0);
        c.version = intOr(col(value, u"version"_s), r, 0);
        if (state->kind() == ElementKind::CString) {
            c.state = textAt(state, r).trimmed().toUpper();
        } else {
            // Numeric states of the data-node view: 0 final, 1/2 in a transaction, 3 recovering.
            switch (intOr(state, r, -1)) {
            case 0: c.state = u"COMPLETE"_s; break;
            case 1:
            case 2: c.state = u"CONSTRUCTING"_s; break;
            case 3: c.state = u"RECOVERING"_s; break;
            default: c.state = u"UNKNOWN"_s; break;
            }
        }
        c.replicas = parseReplicas(textAt(replicas, r));
        c.replicaCount = intOr(col(value, u"replicaCount"_s), r, c.replicas.size());
        c.lastUpdatedMs = updated ? toMs(*updated, r) : NULL_LONG;
        c.permission = textAt(col(value, u"permission"_s), r);
        out << c;
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) {
        return a.file != b.file ? a.file < b.file : a.chunkId < b.chunkId;
    });
    return out;
}

bool RecoveryTask::isPending() const
{
    return status.compare(u"Finished"_s, Qt::CaseInsensitive) != 0 && status.compare(u"Aborted"_s, Qt::CaseInsensitive) != 0;
}

Core::Result<QList<RecoveryTask>> readRecoveryTasks(const DdbValue &value)
{
    if (value.isVoid() || (value.isScalar() && value.isNull())) {
        return QList<RecoveryTask>();
    }
    if (!value.isTable()) {
        return shape(u"expected the getRecoveryTaskStatus table"_s, value);
    }
    const DdbVector *status = col(value, u"Status"_s);
    if (!status) {
        return value.rowCount() == 0 ? Core::Result<QList<RecoveryTask>>(QList<RecoveryTask>())
                                     : shape(u"expected a 'Status' column"_s, value);
    }
    const DdbVector *start = col(value, u"StartTime"_s);
    QList<RecoveryTask> out;
    for (qint64 r = 0; r < value.rowCount(); ++r) {
        RecoveryTask t;
        t.taskId = textAt(col(value, u"TaskId"_s), r);
        t.type = textAt(col(value, u"TaskType"_s), r);
        t.chunkId = textAt(col(value, u"ChunkId"_s), r);
        t.chunkPath = textAt(col(value, u"ChunkPath"_s), r);
        t.source = textAt(col(value, u"Source"_s), r);
        t.dest = textAt(col(value, u"Dest"_s), r);
        t.status = textAt(status, r).trimmed();
        t.attempts = intOr(col(value, u"AttemptCount"_s), r, 0);
        t.startMs = start ? toMs(*start, r) : NULL_LONG;
        t.failureReason = textAt(col(value, u"FailureReason"_s), r);
        out << t;
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) {
        return a.chunkPath != b.chunkPath ? a.chunkPath < b.chunkPath : a.taskId < b.taskId;
    });
    return out;
}

Core::Result<QString> readText(const DdbValue &value)
{
    if (value.isVoid() || (value.isScalar() && value.isNull())) {
        return QString();
    }
    if (value.isScalar()) {
        return value.elements().stringAt(0);
    }
    if ((value.isVector() || value.form() == DataForm::Pair) ) {
        QStringList parts;
        for (qint64 i = 0; i < value.elements().size(); ++i) {
            parts << value.elements().stringAt(i);
        }
        return parts.join(u',');
    }
    return shape(u"expected a text value"_s, value);
}

QStringList splitConfigList(const QString &text)
{
    QStringList out;
    for (const QString &p : text.split(u',', Qt::SkipEmptyParts)) {
        const QString t = p.trimmed();
        if (!t.isEmpty()) {
            out << t;
        }
    }
    return out;
}

Core::Result<QList<ColumnDef>> readSchema(const DdbValue &value)
{
    if (!value.isDictionary()) {
        return shape(u"expected the schema dictionary"_s, value);
    }
    const DdbVector &keys = value.elements();
    for (qint64 i = 0; i < keys.size(); ++i) {
        if (keys.stringAt(i) != "colDefs"_L1) {
            continue;
        }
        const DdbVector &vals = value.dictionaryValues();
        if (vals.type() != DataType::Any) {
            return shape(u"expected colDefs inside an ANY dictionary"_s, value);
        }
        const DdbValue &defs = vals.anyAt(i);
        const DdbVector *name = col(defs, u"name"_s);
        if (!defs.isTable() || !name) {
            return shape(u"expected colDefs to be a table with a 'name' column"_s, defs);
        }
        const DdbVector *typeString = col(defs, u"typeString"_s);
        const DdbVector *typeInt = col(defs, u"typeInt"_s);
        const DdbVector *extra = col(defs, u"extra"_s);
        QList<ColumnDef> out;
        for (qint64 r = 0; r < defs.rowCount(); ++r) {
            out.append({textAt(name, r), textAt(typeString, r), int(intOr(typeInt, r, 0)),
                        int(intOr(extra, r, 0))});
        }
        return out;
    }
    return shape(u"expected a 'colDefs' entry in the schema"_s, value);
}

Core::Result<TableStats> readTableStats(const DdbValue &value)
{
    if (!value.isTable() || value.rowCount() != 1) {
        return shape(u"expected a one-row table"_s, value);
    }
    const DdbVector *rows = col(value, u"rows"_s);
    if (!rows) {
        rows = col(value, u"count"_s);
    }
    if (!rows) {
        return shape(u"expected a 'rows' column"_s, value);
    }
    TableStats s;
    s.rows = intOr(rows, 0, 0);
    s.minId = intOr(col(value, u"minId"_s), 0, NULL_LONG);
    s.maxId = intOr(col(value, u"maxId"_s), 0, NULL_LONG);
    if (const DdbVector *c = col(value, u"minTime"_s)) {
        s.minTimeMs = toMs(*c, 0);
    }
    if (const DdbVector *c = col(value, u"maxTime"_s)) {
        s.maxTimeMs = toMs(*c, 0);
    }
    if (const DdbVector *c = col(value, u"minId"_s)) {
        s.idType = c->type();
        if (!isIdType(s.idType)) {
            s.minId = NULL_LONG;  // a text or floating id is not read as a number
            s.maxId = NULL_LONG;
        }
    }
    if (const DdbVector *c = col(value, u"minTime"_s)) {
        s.timeType = c->type();
        if (!isTemporal(s.timeType)) {
            s.minTimeMs = NULL_LONG;
            s.maxTimeMs = NULL_LONG;
        }
    }
    return s;
}

Core::Result<qint64> readMaxId(const DdbValue &value)
{
    const DdbValue *v = &value;
    DdbValue cell;
    if (value.isTable()) {
        if (value.rowCount() != 1 || value.columnCount() != 1) {
            return shape(u"expected the largest id"_s, value);
        }
        cell = DdbValue::scalar(value.column(0));
        v = &cell;
    }
    if (v->isNull() || v->type() == DataType::Void) {
        return NULL_LONG;
    }
    if (!v->isScalar() || !isIdType(v->type())) {
        return Core::Error(Core::ErrorCode::InvalidInput,
                           u"the id column is %1; it must be INT, LONG or SHORT"_s.arg(typeName(v->type())));
    }
    return v->toInt64();
}

qint64 IdTimePage::timeMsAt(qint64 i) const
{
    return toMs(times, i);
}

Core::Result<IdTimePage> readIdTimePage(const DdbValue &value, const QString &idColumn,
                                        const QString &timeColumn)
{
    if (!value.isTable()) {
        return shape(u"expected an id/time table"_s, value);
    }
    const DdbVector *ids = col(value, idColumn);
    const DdbVector *times = col(value, timeColumn);
    if (!ids || !times) {
        return shape(u"expected columns '%1' and '%2'"_s.arg(idColumn, timeColumn), value);
    }
    const DataType t = ids->type();
    if (t != DataType::Int && t != DataType::Long && t != DataType::Short) {
        return shape(u"expected an integer id column"_s, value);
    }
    if (!isTemporal(times->type()) && times->type() != DataType::Long) {
        return shape(u"expected a temporal time column"_s, value);
    }
    return IdTimePage{*ids, *times};
}

} // namespace GrayStep::DolphinDb
