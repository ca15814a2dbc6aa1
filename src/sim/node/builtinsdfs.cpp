// SPDX-License-Identifier: GPL-3.0-or-later
// Built-in DFS functions: database, table, createPartitionedTable, existsDatabase, existsTable,
// loadTable, schema, tableInsert/append!, dropDatabase and the reads behind select. The node
// that runs them coordinates: metadata through the leader controller, rows to and from the
// data nodes that hold the chunk replicas.
#include "sim/node/builtins_p.h"

#include "sim/node/dfsmeta.h"
#include "sim/node/durablefile.h"
#include "sim/node/nodelog.h"
#include "sim/node/simnode.h"
#include "sim/node/tableops.h"

#include "dolphindb/ddbcodec.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QMap>
#include <QThread>
#include <QUuid>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim::Builtins {

namespace {

QString partitionKey(int schemeType, int columnType, qint64 value)
{
    if (value == SimColumn::kNullInt)
        return u"NULL"_s;
    if (schemeType == DdbType::Date || schemeType == DdbType::Month) {
        qint64 days = columnType == DdbType::Month ? value : TableOps::toDays(DataType(columnType), value);
        if (columnType == DdbType::Month && schemeType == DdbType::Month)
            return u"%1%2M"_s.arg(value / 12, 4, 10, QChar(u'0')).arg(value % 12 + 1, 2, 10, QChar(u'0'));
        const QDate d = Temporal::qdateFromDate(qint32(days));
        if (schemeType == DdbType::Month)
            return d.toString(u"yyyyMM"_s) + u'M';
        return d.toString(u"yyyyMMdd"_s);
    }
    return QString::number(value);
}

Core::Result<QJsonObject> getDatabase(Interpreter &in, const QString &path)
{
    return in.leaderCall(QJsonObject{{u"op"_s, u"dfsGetTable"_s}, {u"db"_s, path}});
}

Core::Result<QJsonObject> findTable(Interpreter &in, const QString &path, const QString &table)
{
    auto db = getDatabase(in, path);
    if (!db)
        return db.error();
    if (!db->value(u"exists"_s).toBool())
        return error(u"The database [%1] does not exist."_s.arg(path));
    for (const QJsonValue &v : db->value(u"tables"_s).toArray()) {
        QJsonObject t = v.toObject();
        if (t.value(u"name"_s).toString() == table) {
            t.insert(u"stype"_s, db->value(u"stype"_s));
            t.insert(u"engine"_s, db->value(u"engine"_s));
            t.insert(u"ptype"_s, db->value(u"ptype"_s));
            t.insert(u"scheme"_s, db->value(u"scheme"_s));
            return t;
        }
    }
    return error(u"Can't find the table [%1] in database [%2]."_s.arg(table, path));
}

Core::Status propose(Interpreter &in, const QList<QJsonObject> &ops)
{
    QJsonArray list;
    for (const QJsonObject &o : ops)
        list.append(o);
    auto r = in.leaderCall(QJsonObject{{u"op"_s, u"dfsPropose"_s}, {u"ops"_s, list}});
    if (!r)
        return r.error();
    in.context().mutated = true;
    return {};
}

Value tableHandle(const QString &path, const QString &table)
{
    Value v;
    v.kind = Value::Kind::DfsTable;
    v.dbPath = path;
    v.table = table;
    return v;
}

Core::Result<Value> database(Interpreter &in, QList<Value> &args)
{
    if (args.isEmpty() || args.size() > 7)
        return arity(u"database"_s, args, 1, 7).error();
    auto path = text(u"database"_s, args, 0);
    if (!path)
        return path.error();
    if (!path->startsWith("dfs://"_L1))
        return error(u"The emulator only supports DFS databases (dfs://...)."_s);
    auto existing = getDatabase(in, *path);
    if (!existing)
        return existing.error();
    Value handle;
    handle.kind = Value::Kind::Database;
    handle.dbPath = *path;
    if (existing->value(u"exists"_s).toBool())
        return handle;
    if (args.size() < 3)
        return error(u"The database [%1] does not exist."_s.arg(*path));
    const qint64 ptype = args.at(1).data.toInt64();
    if (ptype != 1)
        return error(u"The emulator supports only VALUE partitioning (partitionType=VALUE)."_s);
    const DdbValue &scheme = args.at(2).data;
    if (!scheme.isVector() || scheme.rowCount() == 0)
        return error(u"The partition scheme of a VALUE domain must be a non-empty vector."_s);
    DfsDatabase db;
    db.path = *path;
    db.partitionType = u"VALUE"_s;
    db.schemeType = int(scheme.type());
    for (qint64 i = 0; i < scheme.rowCount(); ++i) {
        const DdbVector &e = scheme.elements();
        const bool isTextScheme = e.type() == DataType::String || e.type() == DataType::Symbol;
        if (isTextScheme)
            db.schemeType = DdbType::Symbol;
        db.scheme << (isTextScheme ? e.stringAt(i) : partitionKey(db.schemeType, db.schemeType, e.intAt(i)));
    }
    db.engine = u"OLAP"_s;
    if (args.size() >= 5 && !args.at(4).isEmptyArg()) {
        auto engine = text(u"database"_s, args, 4);
        if (!engine)
            return engine.error();
        db.engine = engine->toUpper();
        if (db.engine != "TSDB"_L1 && db.engine != "OLAP"_L1)
            return error(u"Invalid storage engine '%1'."_s.arg(*engine));
    }
    db.createdMs = QDateTime::currentMSecsSinceEpoch();
    if (auto st = propose(in, {DfsOp::createDatabase(db)}); !st)
        return st.error();
    NodeLog::instance().info(u"Created database %1 (VALUE, %2 partitions, %3)"_s.arg(db.path).arg(db.scheme.size()).arg(db.engine));
    return handle;
}

Core::Result<Value> table(Interpreter &, QList<Value> &args)
{
    // table(1:0, names, types): an empty in-memory table with the given schema.
    if (args.size() == 3 && args.at(0).data.form() == DataForm::Pair) {
        const DdbValue &names = args.at(1).data;
        const DdbValue &types = args.at(2).data;
        if (names.rowCount() != types.rowCount())
            return error(u"The number of column names and column types must be the same."_s);
        QStringList n;
        QList<DdbVector> cols;
        for (qint64 i = 0; i < names.rowCount(); ++i) {
            n << names.elements().stringAt(i);
            const DataType t = DataType(types.elements().intAt(i));
            auto col = TableOps::convert(DdbVector::voids(0), t);
            if (!col)
                return col.error();
            cols << *col;
        }
        auto result = DdbValue::table(n, cols);
        if (!result)
            return error(result.error().message);
        return data(*result);
    }
    // table(vec1, vec2, ...)
    QStringList n;
    QList<DdbVector> cols;
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (!args.at(i).data.isVector())
            return error(u"The emulator's table() takes (1:0, names, types) or vectors."_s);
        n << u"col%1"_s.arg(i);
        cols << args.at(i).data.elements();
    }
    auto result = DdbValue::table(n, cols);
    if (!result)
        return error(result.error().message);
    return data(*result);
}

Core::Result<Value> createPartitionedTable(Interpreter &in, QList<Value> &args)
{
    if (args.size() < 4 || args.size() > 8)
        return arity(u"createPartitionedTable"_s, args, 4, 8).error();
    if (args.at(0).kind != Value::Kind::Database)
        return error(u"The first argument of createPartitionedTable must be a database handle."_s);
    const DdbValue &schemaTable = args.at(1).data;
    if (!schemaTable.isTable())
        return error(u"The second argument of createPartitionedTable must be a table."_s);
    auto name = text(u"createPartitionedTable"_s, args, 2);
    if (!name)
        return name.error();
    auto partCols = texts(u"createPartitionedTable"_s, args, 3);
    if (!partCols)
        return partCols.error();
    if (partCols->size() != 1)
        return error(u"The emulator supports one partition column."_s);
    DfsTableDef def;
    def.name = *name;
    const QStringList names = schemaTable.columnNames();
    for (int i = 0; i < schemaTable.columnCount(); ++i)
        def.columns << DfsColumnDef{names.at(i), int(schemaTable.column(i).type())};
    if (schemaTable.columnIndex(partCols->first()) < 0)
        return error(u"The partition column %1 does not exist in the table."_s.arg(partCols->first()));
    def.partitionColumn = names.at(schemaTable.columnIndex(partCols->first()));
    if (args.size() >= 6 && !args.at(5).isEmptyArg()) {
        auto sort = texts(u"createPartitionedTable"_s, args, 5);
        if (!sort)
            return sort.error();
        def.sortColumns = *sort;
    }
    def.createdMs = QDateTime::currentMSecsSinceEpoch();
    auto existing = findTable(in, args.at(0).dbPath, def.name);
    if (existing)
        return error(u"The table [%1] already exists in database [%2]."_s.arg(def.name, args.at(0).dbPath));
    if (auto st = propose(in, {DfsOp::createTable(args.at(0).dbPath, def)}); !st)
        return st.error();
    NodeLog::instance().info(u"Created partitioned table %1 in %2"_s.arg(def.name, args.at(0).dbPath));
    return tableHandle(args.at(0).dbPath, def.name);
}

Core::Result<Value> loadTable(Interpreter &in, QList<Value> &args)
{
    if (auto st = arity(u"loadTable"_s, args, 2, 3); !st)
        return st.error();
    QString path;
    if (args.at(0).kind == Value::Kind::Database) {
        path = args.at(0).dbPath;
    } else {
        auto p = text(u"loadTable"_s, args, 0);
        if (!p)
            return p.error();
        path = *p;
    }
    auto name = text(u"loadTable"_s, args, 1);
    if (!name)
        return name.error();
    auto t = findTable(in, path, *name);
    if (!t)
        return t.error();
    return tableHandle(path, *name);
}

Core::Result<Value> schema(Interpreter &in, QList<Value> &args)
{
    if (auto st = arity(u"schema"_s, args, 1, 1); !st)
        return st.error();
    if (args.first().kind != Value::Kind::DfsTable) {
        const DdbValue &t = args.first().data;
        if (!t.isTable())
            return error(u"The argument of schema must be a table."_s);
    }
    QJsonObject def;
    if (args.first().kind == Value::Kind::DfsTable) {
        auto t = findTable(in, args.first().dbPath, args.first().table);
        if (!t)
            return t.error();
        def = *t;
    } else {
        const DdbValue &t = args.first().data;
        QJsonArray cols;
        const QStringList names = t.columnNames();
        for (int i = 0; i < t.columnCount(); ++i)
            cols.append(QJsonObject{{u"n"_s, names.at(i)}, {u"t"_s, int(t.column(i).type())}});
        def.insert(u"cols"_s, cols);
    }
    QStringList colNames, typeStrings, comments;
    QList<qint32> typeInts, extras;
    int partIndex = -1;
    const QJsonArray cols = def.value(u"cols"_s).toArray();
    for (qsizetype i = 0; i < cols.size(); ++i) {
        const QJsonObject c = cols.at(i).toObject();
        colNames << c.value(u"n"_s).toString();
        typeInts << c.value(u"t"_s).toInt();
        typeStrings << typeName(DataType(c.value(u"t"_s).toInt()));
        extras << NULL_INT;
        comments << QString();
        if (colNames.last() == def.value(u"part"_s).toString())
            partIndex = int(i);
    }
    auto colDefs = DdbValue::table({u"name"_s, u"typeString"_s, u"typeInt"_s, u"extra"_s, u"comment"_s},
                                   {DdbVector::strings(colNames), DdbVector::strings(typeStrings),
                                    DdbVector::int32s(DataType::Int, typeInts), DdbVector::int32s(DataType::Int, extras),
                                    DdbVector::strings(comments)});
    if (!colDefs)
        return error(colDefs.error().message);
    QStringList keys{u"colDefs"_s};
    QList<DdbValue> values{*colDefs};
    if (args.first().kind == Value::Kind::DfsTable) {
        QStringList scheme;
        for (const QJsonValue &v : def.value(u"scheme"_s).toArray())
            scheme << v.toString();
        keys << u"engineType"_s << u"partitionColumnIndex"_s << u"partitionColumnName"_s << u"partitionType"_s
             << u"partitionColumnType"_s << u"partitionSchema"_s << u"sortColumns"_s << u"keepDuplicates"_s
             << u"chunkGranularity"_s;
        QStringList sort;
        for (const QJsonValue &v : def.value(u"sort"_s).toArray())
            sort << v.toString();
        values << DdbValue::string(def.value(u"engine"_s).toString()) << DdbValue::int32(partIndex)
               << DdbValue::string(def.value(u"part"_s).toString()) << DdbValue::int32(1)
               << DdbValue::int32(partIndex >= 0 ? typeInts.at(partIndex) : NULL_INT)
               << DdbValue::vector(DdbVector::strings(scheme)) << DdbValue::vector(DdbVector::strings(sort))
               << DdbValue::string(u"ALL"_s) << DdbValue::string(u"TABLE"_s);
    }
    return data(DdbValue::dictionary(DdbVector::strings(keys), DdbVector::anys(values)));
}

Core::Result<Value> tableInsert(Interpreter &in, QList<Value> &args)
{
    if (auto st = arity(u"tableInsert"_s, args, 2, 2); !st)
        return st.error();
    if (args.at(0).kind != Value::Kind::DfsTable)
        return error(u"The emulator supports tableInsert into DFS tables (loadTable(...)) only."_s);
    const QString dbPath = args.at(0).dbPath, tableName = args.at(0).table;
    const DdbValue &incoming = args.at(1).data;
    if (!incoming.isTable())
        return error(u"The data to insert must be a table."_s);
    auto def = findTable(in, dbPath, tableName);
    if (!def)
        return def.error();
    const QJsonArray cols = def->value(u"cols"_s).toArray();
    if (incoming.columnCount() != cols.size())
        return error(u"The number of columns of the table to insert must be the same as that of the original table."_s);
    QStringList names;
    QList<DdbVector> converted;
    int partIndex = -1;
    for (qsizetype i = 0; i < cols.size(); ++i) {
        const QJsonObject c = cols.at(i).toObject();
        names << c.value(u"n"_s).toString();
        auto v = TableOps::convert(incoming.column(int(i)), DataType(c.value(u"t"_s).toInt()));
        if (!v)
            return error(u"Failed to append data to column '%1': %2"_s.arg(names.last(), v.error().message));
        converted << *v;
        if (names.last() == def->value(u"part"_s).toString())
            partIndex = int(i);
    }
    auto typed = DdbValue::table(names, converted);
    if (!typed)
        return error(typed.error().message);
    auto rows = TableOps::fromDdb(*typed);
    if (!rows)
        return error(rows.error().message);
    const qint64 total = rows->rows();
    if (total == 0)
        return data(DdbValue::int32(0));
    // Fault: a lying server acknowledges this append and stores nothing (one-shot), so that a
    // continuity check has acknowledged rows to find missing.
    bool lose = false;
    SimNode *self = in.node();
    runOnMain([&] {
        lose = self->localFault(u"loseNextAppend"_s) == "1"_L1;
        if (lose)
            self->setLocalFault(u"loseNextAppend"_s, u"0"_s);
    });
    if (lose) {
        NodeLog::instance().warning(u"Fault loseNextAppend: %1 row(s) acknowledged, not stored"_s.arg(total));
        return data(DdbValue::int32(int(total)));
    }
    // Group the rows by partition.
    const int schemeType = def->value(u"stype"_s).toInt();
    const SimColumn &pc = rows->columns.at(partIndex);
    QMap<QString, SimTable> parts;
    for (qint64 r = 0; r < total; ++r) {
        const QString key = typeCategory(pc.type) == TypeCategory::Text ? pc.texts.at(r)
                                                                         : partitionKey(schemeType, pc.type, pc.ints.at(r));
        auto it = parts.find(key);
        if (it == parts.end())
            it = parts.insert(key, rows->emptyCopy());
        it->appendRow(*rows, r);
    }
    ExecContext &ctx = in.context();
    const QString txn = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const qint64 blockMs = in.node()->context().knobs.writeBlockMaxMs;
    QDeadlineTimer deadline(blockMs);
    bool force = false;
    QJsonObject plan;
    while (true) {
        QJsonObject begin{{u"op"_s, u"dfsBeginWrite"_s},
                          {u"db"_s, dbPath},
                          {u"table"_s, tableName},
                          {u"parts"_s, QJsonArray::fromStringList(parts.keys())},
                          {u"txn"_s, txn},
                          {u"force"_s, force}};
        if (!ctx.clientId.isEmpty() && ctx.resend) {
            begin.insert(u"client"_s, QString::fromLatin1(ctx.clientId));
            begin.insert(u"seq"_s, ctx.seqNo);
            begin.insert(u"resend"_s, true);
        }
        auto r = in.leaderCall(begin);
        if (!r)
            return r.error();
        if (r->value(u"done"_s).toBool()) {
            // The first attempt of this resend committed meanwhile: its result, no second write.
            auto stored = DdbDecoder::decode(QByteArray::fromBase64(r->value(u"result"_s).toString().toLatin1()));
            if (stored)
                return data(*stored);
        }
        if (!r->contains(u"retry"_s)) {
            plan = *r;
            break;
        }
        if (deadline.hasExpired()) {
            if (r->value(u"recovering"_s).toBool() && !force) {
                // Waited long enough for recovery: write the complete replicas only.
                force = true;
                continue;
            }
            return error(r->value(u"retry"_s).toString());
        }
        QThread::msleep(20);
    }
    QJsonArray commits;
    QString lastError;
    for (const QJsonValue &cv : plan.value(u"chunks"_s).toArray()) {
        const QJsonObject chunk = cv.toObject();
        const SimTable &partRows = parts.value(chunk.value(u"part"_s).toString());
        const QJsonObject write{{u"op"_s, u"chunkWrite"_s},
                                {u"id"_s, chunk.value(u"id"_s)},
                                {u"db"_s, dbPath},
                                {u"table"_s, tableName},
                                {u"part"_s, chunk.value(u"part"_s)},
                                {u"v"_s, chunk.value(u"v"_s)},
                                {u"rows"_s, partRows.toJson()}};
        QJsonObject written;
        for (const QJsonValue &tv : chunk.value(u"targets"_s).toArray()) {
            const QJsonObject target = tv.toObject();
            auto w = in.siteCall(target.value(u"host"_s).toString(), target.value(u"port"_s).toInt(), write, 5000);
            if (w) {
                written.insert(target.value(u"alias"_s).toString(), w->value(u"rowCount"_s).toInteger());
            } else if (w.error().code == Core::ErrorCode::Server && DurableFile::isNoSpace(w.error())) {
                // A live replica that cannot store the rows fails the transaction (a down replica is
                // only left stale): nothing is committed, the replicas that wrote roll back at the
                // next write, as after a dead coordinator.
                (void)in.leaderCall(QJsonObject{{u"op"_s, u"dfsAbortWrite"_s}, {u"txn"_s, txn}});
                return error(w.error().message);
            } else {
                lastError = w.error().message;
            }
        }
        if (written.isEmpty()) {
            (void)in.leaderCall(QJsonObject{{u"op"_s, u"dfsAbortWrite"_s}, {u"txn"_s, txn}});
            return error(lastError.isEmpty() ? u"<DataNodeNotAvail>No replica of chunk %1 accepted the write."_s.arg(chunk.value(u"file"_s).toString())
                                             : lastError);
        }
        commits.append(QJsonObject{{u"id"_s, chunk.value(u"id"_s)},
                                   {u"v"_s, chunk.value(u"v"_s)},
                                   {u"rows"_s, chunk.value(u"rows"_s).toInteger() + partRows.rows()},
                                   {u"written"_s, written}});
    }
    const DdbValue result = DdbValue::int32(qint32(total));
    QJsonObject commit{{u"op"_s, u"dfsCommitWrite"_s}, {u"txn"_s, txn}, {u"commits"_s, commits}};
    if (!ctx.clientId.isEmpty() && ctx.seqNo > 0) {
        ctx.recordedResult = DdbEncoder::encode(result);
        commit.insert(u"client"_s, QString::fromLatin1(ctx.clientId));
        commit.insert(u"seq"_s, ctx.seqNo);
        commit.insert(u"result"_s, QString::fromLatin1(ctx.recordedResult.toBase64()));
    }
    auto c = in.leaderCall(commit, 10000);
    if (!c)
        return c.error();
    ctx.mutated = true;
    ctx.resultRecorded = !ctx.clientId.isEmpty() && ctx.seqNo > 0;
    return data(result);
}

Core::Result<Value> readTable(Interpreter &in, QList<Value> &args, bool countOnly)
{
    if (args.size() != 1 || args.first().kind != Value::Kind::DfsTable)
        return error(u"simReadTable(loadTable(...))"_s);
    const QString dbPath = args.first().dbPath, tableName = args.first().table;
    auto def = findTable(in, dbPath, tableName);
    if (!def)
        return def.error();
    auto plan = in.leaderCall(QJsonObject{{u"op"_s, u"dfsReadPlan"_s}, {u"db"_s, dbPath}, {u"table"_s, tableName}});
    if (!plan)
        return plan.error();
    const QJsonArray chunks = plan->value(u"chunks"_s).toArray();
    if (countOnly) {
        // count(*) without a where clause: the committed row counts of the chunks.
        qint64 rows = 0;
        for (const QJsonValue &cv : chunks)
            rows += cv[u"rows"_s].toInteger();
        return data(DdbValue::int64(rows));
    }
    SimTable empty;
    for (const QJsonValue &v : def->value(u"cols"_s).toArray()) {
        SimColumn c;
        c.name = v[u"n"_s].toString();
        c.type = v[u"t"_s].toInt();
        empty.columns << c;
    }
    const DdbValue emptyTable = TableOps::toDdb(empty);
    QList<QList<DdbVector>> parts(emptyTable.columnCount());
    for (int c = 0; c < emptyTable.columnCount(); ++c)
        parts[c] << emptyTable.column(c);
    for (const QJsonValue &cv : chunks) {
        const QJsonObject chunk = cv.toObject();
        bool done = false;
        QString lastError = u"no replica is available"_s;
        for (const QJsonValue &sv : chunk.value(u"sources"_s).toArray()) {
            const QJsonObject s = sv.toObject();
            auto r = in.siteCall(s.value(u"host"_s).toString(), s.value(u"port"_s).toInt(),
                                 QJsonObject{{u"op"_s, u"chunkRead"_s}, {u"id"_s, chunk.value(u"id"_s)},
                                             {u"v"_s, chunk.value(u"v"_s)}, {u"binary"_s, true}},
                                 10000);
            if (!r) {
                lastError = r.error().message;
                continue;
            }
            auto t = DdbDecoder::decode(QByteArray::fromBase64(r->value(u"bin"_s).toString().toLatin1()));
            if (!t || !t->isTable() || t->columnCount() != emptyTable.columnCount()) {
                lastError = u"malformed chunk data"_s;
                continue;
            }
            for (int c = 0; c < t->columnCount(); ++c)
                parts[c] << t->column(c);
            done = true;
            break;
        }
        if (!done)
            return error(u"<DataNodeNotAvail>Failed to read chunk %1: %2"_s.arg(chunk.value(u"file"_s).toString(), lastError));
    }
    QList<DdbVector> cols;
    for (const auto &p : parts) {
        auto v = TableOps::concat(p);
        if (!v)
            return v.error();
        cols << *v;
    }
    auto result = DdbValue::table(emptyTable.columnNames(), cols);
    if (!result)
        return error(result.error().message);
    return data(*result);
}

} // namespace

void registerDfs(Table &t)
{
    t.insert(u"database"_s, database);
    t.insert(u"table"_s, table);
    t.insert(u"createPartitionedTable"_s, createPartitionedTable);
    t.insert(u"loadTable"_s, loadTable);
    t.insert(u"schema"_s, schema);
    t.insert(u"tableInsert"_s, tableInsert);
    t.insert(u"append!"_s, tableInsert);
    t.insert(u"simReadTable"_s, [](Interpreter &in, QList<Value> &args) { return readTable(in, args, false); });
    t.insert(u"simCountTable"_s, [](Interpreter &in, QList<Value> &args) { return readTable(in, args, true); });
    t.insert(u"existsDatabase"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"existsDatabase"_s, args, 1, 1); !st)
            return st.error();
        auto path = text(u"existsDatabase"_s, args, 0);
        if (!path)
            return path.error();
        auto db = getDatabase(in, *path);
        if (!db)
            return db.error();
        return data(DdbValue::boolean(db->value(u"exists"_s).toBool()));
    });
    t.insert(u"existsTable"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"existsTable"_s, args, 2, 2); !st)
            return st.error();
        auto path = text(u"existsTable"_s, args, 0);
        auto name = text(u"existsTable"_s, args, 1);
        if (!path || !name)
            return error(u"existsTable(dbUrl, tableName)"_s);
        return data(DdbValue::boolean(findTable(in, *path, *name).ok()));
    });
    t.insert(u"dropDatabase"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"dropDatabase"_s, args, 1, 1); !st)
            return st.error();
        auto path = text(u"dropDatabase"_s, args, 0);
        if (!path)
            return path.error();
        auto db = getDatabase(in, *path);
        if (!db)
            return db.error();
        if (!db->value(u"exists"_s).toBool())
            return error(u"The database [%1] does not exist."_s.arg(*path));
        if (auto st = propose(in, {DfsOp::dropDatabase(*path)}); !st)
            return st.error();
        return data(DdbValue());
    });
}

} // namespace GrayStep::Sim::Builtins
