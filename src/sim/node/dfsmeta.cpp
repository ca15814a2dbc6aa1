// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/dfsmeta.h"
#include "sim/node/durablefile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

QString DfsDatabase::name() const
{
    QString n = path;
    if (n.startsWith("dfs://"_L1))
        n = n.mid(6);
    return n;
}

QString ChunkInfo::file() const
{
    QString dbName = db.startsWith("dfs://"_L1) ? db.mid(6) : db;
    return u'/' + dbName + u'/' + partition + u'/' + table;
}

bool ChunkInfo::recovering() const
{
    return std::any_of(replicas.cbegin(), replicas.cend(), [](const ReplicaInfo &r) { return r.recovering; });
}

QString ChunkInfo::state() const
{
    return recovering() ? u"RECOVERING"_s : u"COMPLETE"_s;
}

ReplicaInfo *ChunkInfo::replica(const QString &alias)
{
    for (ReplicaInfo &r : replicas)
        if (r.alias == alias)
            return &r;
    return nullptr;
}

const ReplicaInfo *ChunkInfo::replica(const QString &alias) const
{
    for (const ReplicaInfo &r : replicas)
        if (r.alias == alias)
            return &r;
    return nullptr;
}

namespace {

QJsonObject tableToJson(const DfsTableDef &t)
{
    QJsonArray cols;
    for (const DfsColumnDef &c : t.columns)
        cols.append(QJsonObject{{u"n"_s, c.name}, {u"t"_s, c.type}});
    return QJsonObject{{u"name"_s, t.name},
                       {u"cols"_s, cols},
                       {u"part"_s, t.partitionColumn},
                       {u"sort"_s, QJsonArray::fromStringList(t.sortColumns)},
                       {u"created"_s, t.createdMs}};
}

DfsTableDef tableFromJson(const QJsonObject &o)
{
    DfsTableDef t;
    t.name = o.value(u"name"_s).toString();
    for (const QJsonValue &v : o.value(u"cols"_s).toArray())
        t.columns << DfsColumnDef{v[u"n"_s].toString(), v[u"t"_s].toInt()};
    t.partitionColumn = o.value(u"part"_s).toString();
    for (const QJsonValue &v : o.value(u"sort"_s).toArray())
        t.sortColumns << v.toString();
    t.createdMs = o.value(u"created"_s).toInteger();
    return t;
}

QJsonObject dbToJson(const DfsDatabase &db)
{
    QJsonArray tables;
    for (const DfsTableDef &t : db.tables)
        tables.append(tableToJson(t));
    return QJsonObject{{u"path"_s, db.path},
                       {u"ptype"_s, db.partitionType},
                       {u"stype"_s, db.schemeType},
                       {u"scheme"_s, QJsonArray::fromStringList(db.scheme)},
                       {u"engine"_s, db.engine},
                       {u"tables"_s, tables},
                       {u"created"_s, db.createdMs}};
}

DfsDatabase dbFromJson(const QJsonObject &o)
{
    DfsDatabase db;
    db.path = o.value(u"path"_s).toString();
    db.partitionType = o.value(u"ptype"_s).toString();
    db.schemeType = o.value(u"stype"_s).toInt();
    for (const QJsonValue &v : o.value(u"scheme"_s).toArray())
        db.scheme << v.toString();
    db.engine = o.value(u"engine"_s).toString();
    for (const QJsonValue &v : o.value(u"tables"_s).toArray()) {
        DfsTableDef t = tableFromJson(v.toObject());
        db.tables.insert(t.name, t);
    }
    db.createdMs = o.value(u"created"_s).toInteger();
    return db;
}

QJsonObject replicaToJson(const ReplicaInfo &r)
{
    return QJsonObject{{u"alias"_s, r.alias},       {u"v"_s, r.version},
                       {u"rows"_s, r.rows},          {u"rec"_s, r.recovering},
                       {u"recStart"_s, r.recoverStartMs}, {u"recUntil"_s, r.recoverUntilMs},
                       {u"report"_s, r.reportMs}};
}

ReplicaInfo replicaFromJson(const QJsonObject &o)
{
    ReplicaInfo r;
    r.alias = o.value(u"alias"_s).toString();
    r.version = o.value(u"v"_s).toInteger();
    r.rows = o.value(u"rows"_s).toInteger();
    r.recovering = o.value(u"rec"_s).toBool();
    r.recoverStartMs = o.value(u"recStart"_s).toInteger();
    r.recoverUntilMs = o.value(u"recUntil"_s).toInteger();
    r.reportMs = o.value(u"report"_s).toInteger();
    return r;
}

QJsonObject chunkToJson(const ChunkInfo &c)
{
    QJsonArray replicas;
    for (const ReplicaInfo &r : c.replicas)
        replicas.append(replicaToJson(r));
    QJsonArray chain;
    for (const auto &p : c.versionChain)
        chain.append(QJsonArray{p.first, p.second});
    return QJsonObject{{u"id"_s, c.id},        {u"db"_s, c.db},     {u"table"_s, c.table},
                       {u"part"_s, c.partition}, {u"v"_s, c.version}, {u"rows"_s, c.rows},
                       {u"replicas"_s, replicas}, {u"chain"_s, chain}, {u"updated"_s, c.lastUpdatedMs}};
}

ChunkInfo chunkFromJson(const QJsonObject &o)
{
    ChunkInfo c;
    c.id = o.value(u"id"_s).toString();
    c.db = o.value(u"db"_s).toString();
    c.table = o.value(u"table"_s).toString();
    c.partition = o.value(u"part"_s).toString();
    c.version = o.value(u"v"_s).toInteger();
    c.rows = o.value(u"rows"_s).toInteger();
    for (const QJsonValue &v : o.value(u"replicas"_s).toArray())
        c.replicas << replicaFromJson(v.toObject());
    for (const QJsonValue &v : o.value(u"chain"_s).toArray())
        c.versionChain << qMakePair(v[0].toInteger(), v[1].toInteger());
    c.lastUpdatedMs = o.value(u"updated"_s).toInteger();
    return c;
}

} // namespace

const DfsDatabase *DfsMeta::database(const QString &path) const
{
    auto it = m_databases.constFind(path);
    return it == m_databases.constEnd() ? nullptr : &it.value();
}

const ChunkInfo *DfsMeta::chunk(const QString &id) const
{
    auto it = m_chunks.constFind(id);
    return it == m_chunks.constEnd() ? nullptr : &it.value();
}

const ChunkInfo *DfsMeta::findChunk(const QString &db, const QString &table, const QString &partition) const
{
    for (const ChunkInfo &c : m_chunks)
        if (c.db == db && c.table == table && c.partition == partition)
            return &c;
    return nullptr;
}

QList<const ChunkInfo *> DfsMeta::chunksOf(const QString &db, const QString &table) const
{
    QList<const ChunkInfo *> out;
    for (const ChunkInfo &c : m_chunks)
        if (c.db == db && (table.isEmpty() || c.table == table))
            out << &c;
    return out;
}

QList<const ChunkInfo *> DfsMeta::chunksOnNode(const QString &alias) const
{
    QList<const ChunkInfo *> out;
    for (const ChunkInfo &c : m_chunks)
        if (c.replica(alias))
            out << &c;
    return out;
}

QStringList DfsMeta::placeReplicas(const QStringList &candidates, const QHash<QString, QString> &hostOf,
                                   const QSet<QString> &live, int factor, int reliabilityLevel,
                                   const QHash<QString, int> &extraLoad) const
{
    QHash<QString, int> load = extraLoad;
    for (const ChunkInfo &c : m_chunks)
        for (const ReplicaInfo &r : c.replicas)
            load[r.alias] += 1;
    QStringList ordered = candidates;
    std::stable_sort(ordered.begin(), ordered.end(), [&](const QString &a, const QString &b) {
        const bool la = live.contains(a), lb = live.contains(b);
        if (la != lb)
            return la;
        if (load.value(a) != load.value(b))
            return load.value(a) < load.value(b);
        return a < b;
    });
    QStringList chosen;
    QSet<QString> hosts;
    for (const QString &alias : ordered) {
        if (chosen.size() >= factor)
            break;
        const QString host = hostOf.value(alias);
        if (reliabilityLevel >= 1 && hosts.contains(host))
            continue;
        chosen << alias;
        hosts.insert(host);
    }
    return chosen;
}

Core::Status DfsMeta::apply(const QJsonObject &op)
{
    const QString kind = op.value(u"op"_s).toString();
    if (kind == "noop"_L1)
        return {};
    if (kind == "createDb"_L1) {
        DfsDatabase db = dbFromJson(op.value(u"db"_s).toObject());
        if (m_databases.contains(db.path))
            return Error(ErrorCode::Failed, u"database %1 already exists"_s.arg(db.path));
        m_databases.insert(db.path, db);
        return {};
    }
    if (kind == "dropDb"_L1) {
        const QString path = op.value(u"path"_s).toString();
        m_databases.remove(path);
        for (auto it = m_chunks.begin(); it != m_chunks.end();) {
            if (it->db == path)
                it = m_chunks.erase(it);
            else
                ++it;
        }
        return {};
    }
    if (kind == "createTable"_L1) {
        const QString path = op.value(u"db"_s).toString();
        auto it = m_databases.find(path);
        if (it == m_databases.end())
            return Error(ErrorCode::NotFound, u"database %1 does not exist"_s.arg(path));
        DfsTableDef t = tableFromJson(op.value(u"table"_s).toObject());
        if (it->tables.contains(t.name))
            return Error(ErrorCode::Failed, u"table %1 already exists"_s.arg(t.name));
        it->tables.insert(t.name, t);
        return {};
    }
    if (kind == "addChunk"_L1) {
        ChunkInfo c;
        c.id = op.value(u"id"_s).toString();
        c.db = op.value(u"db"_s).toString();
        c.table = op.value(u"table"_s).toString();
        c.partition = op.value(u"part"_s).toString();
        c.lastUpdatedMs = op.value(u"ts"_s).toInteger();
        if (findChunk(c.db, c.table, c.partition) || m_chunks.contains(c.id))
            return {}; // a concurrent creation already won; idempotent
        for (const QJsonValue &v : op.value(u"replicas"_s).toArray()) {
            ReplicaInfo r;
            r.alias = v.toString();
            c.replicas << r;
        }
        m_chunks.insert(c.id, c);
        return {};
    }
    if (kind == "commitWrite"_L1) {
        auto it = m_chunks.find(op.value(u"chunk"_s).toString());
        if (it == m_chunks.end())
            return Error(ErrorCode::NotFound, u"unknown chunk"_s);
        const qint64 version = op.value(u"v"_s).toInteger();
        if (version <= it->version)
            return {}; // already applied (stale duplicate)
        it->version = version;
        it->rows = op.value(u"rows"_s).toInteger();
        it->lastUpdatedMs = op.value(u"ts"_s).toInteger();
        it->versionChain.prepend(qMakePair(version, it->rows));
        if (it->versionChain.size() > 8)
            it->versionChain.resize(8);
        const QJsonObject written = op.value(u"written"_s).toObject();
        for (auto w = written.constBegin(); w != written.constEnd(); ++w) {
            if (ReplicaInfo *r = it->replica(w.key())) {
                r->version = version;
                r->rows = w.value().toInteger();
                r->reportMs = it->lastUpdatedMs;
            }
        }
        return {};
    }
    if (kind == "recoverStart"_L1 || kind == "recoverDone"_L1 || kind == "replicaReport"_L1) {
        auto it = m_chunks.find(op.value(u"chunk"_s).toString());
        if (it == m_chunks.end())
            return Error(ErrorCode::NotFound, u"unknown chunk"_s);
        ReplicaInfo *r = it->replica(op.value(u"alias"_s).toString());
        if (!r)
            return Error(ErrorCode::NotFound, u"unknown replica"_s);
        if (kind == "recoverStart"_L1) {
            r->recovering = true;
            r->recoverStartMs = op.value(u"start"_s).toInteger();
            r->recoverUntilMs = op.value(u"until"_s).toInteger();
        } else {
            if (kind == "recoverDone"_L1)
                r->recovering = false;
            r->version = op.value(u"v"_s).toInteger();
            r->rows = op.value(u"rows"_s).toInteger();
            r->reportMs = op.value(u"ts"_s).toInteger();
        }
        return {};
    }
    if (kind == "resend"_L1) {
        ResendRecord rec;
        rec.seqNo = op.value(u"seq"_s).toInteger();
        rec.result = QByteArray::fromBase64(op.value(u"result"_s).toString().toLatin1());
        m_resends.insert(op.value(u"client"_s).toString(), rec);
        return {};
    }
    if (kind == "fault"_L1) {
        m_faults.insert(op.value(u"kind"_s).toString(), op.value(u"value"_s).toString());
        return {};
    }
    return Error(ErrorCode::InvalidInput, u"unknown DFS metadata operation '%1'"_s.arg(kind));
}

QJsonObject DfsMeta::toJson() const
{
    QJsonArray dbs, chunks, resends;
    for (const DfsDatabase &db : m_databases)
        dbs.append(dbToJson(db));
    for (const ChunkInfo &c : m_chunks)
        chunks.append(chunkToJson(c));
    for (auto it = m_resends.cbegin(); it != m_resends.cend(); ++it)
        resends.append(QJsonObject{{u"client"_s, it.key()},
                                   {u"seq"_s, it->seqNo},
                                   {u"result"_s, QString::fromLatin1(it->result.toBase64())}});
    QJsonObject faults;
    for (auto it = m_faults.cbegin(); it != m_faults.cend(); ++it)
        faults.insert(it.key(), it.value());
    return QJsonObject{{u"databases"_s, dbs}, {u"chunks"_s, chunks}, {u"resends"_s, resends}, {u"faults"_s, faults}};
}

Core::Result<DfsMeta> DfsMeta::fromJson(const QJsonObject &o)
{
    DfsMeta m;
    for (const QJsonValue &v : o.value(u"databases"_s).toArray()) {
        DfsDatabase db = dbFromJson(v.toObject());
        if (db.path.isEmpty())
            return Error(ErrorCode::InvalidInput, u"database without a path"_s);
        m.m_databases.insert(db.path, db);
    }
    for (const QJsonValue &v : o.value(u"chunks"_s).toArray()) {
        ChunkInfo c = chunkFromJson(v.toObject());
        m.m_chunks.insert(c.id, c);
    }
    for (const QJsonValue &v : o.value(u"resends"_s).toArray()) {
        ResendRecord rec;
        rec.seqNo = v[u"seq"_s].toInteger();
        rec.result = QByteArray::fromBase64(v[u"result"_s].toString().toLatin1());
        m.m_resends.insert(v[u"client"_s].toString(), rec);
    }
    const QJsonObject faults = o.value(u"faults"_s).toObject();
    for (auto it = faults.constBegin(); it != faults.constEnd(); ++it)
        m.m_faults.insert(it.key(), it.value().toString());
    return m;
}

namespace DfsOp {

QJsonObject createDatabase(const DfsDatabase &db)
{
    return QJsonObject{{u"op"_s, u"createDb"_s}, {u"db"_s, dbToJson(db)}};
}

QJsonObject dropDatabase(const QString &path)
{
    return QJsonObject{{u"op"_s, u"dropDb"_s}, {u"path"_s, path}};
}

QJsonObject createTable(const QString &db, const DfsTableDef &table)
{
    return QJsonObject{{u"op"_s, u"createTable"_s}, {u"db"_s, db}, {u"table"_s, tableToJson(table)}};
}

QJsonObject addChunk(const QString &id, const QString &db, const QString &table, const QString &partition,
                     const QStringList &replicas, qint64 nowMs)
{
    return QJsonObject{{u"op"_s, u"addChunk"_s}, {u"id"_s, id},        {u"db"_s, db},
                       {u"table"_s, table},       {u"part"_s, partition}, {u"replicas"_s, QJsonArray::fromStringList(replicas)},
                       {u"ts"_s, nowMs}};
}

QJsonObject commitWrite(const QString &chunkId, qint64 version, qint64 totalRows, const QHash<QString, qint64> &written,
                        qint64 nowMs)
{
    QJsonObject w;
    for (auto it = written.cbegin(); it != written.cend(); ++it)
        w.insert(it.key(), it.value());
    return QJsonObject{{u"op"_s, u"commitWrite"_s}, {u"chunk"_s, chunkId}, {u"v"_s, version},
                       {u"rows"_s, totalRows},      {u"written"_s, w},      {u"ts"_s, nowMs}};
}

QJsonObject recoverStart(const QString &chunkId, const QString &alias, qint64 startMs, qint64 untilMs)
{
    return QJsonObject{{u"op"_s, u"recoverStart"_s}, {u"chunk"_s, chunkId}, {u"alias"_s, alias},
                       {u"start"_s, startMs},         {u"until"_s, untilMs}};
}

QJsonObject recoverDone(const QString &chunkId, const QString &alias, qint64 version, qint64 rows, qint64 nowMs)
{
    return QJsonObject{{u"op"_s, u"recoverDone"_s}, {u"chunk"_s, chunkId}, {u"alias"_s, alias},
                       {u"v"_s, version},            {u"rows"_s, rows},      {u"ts"_s, nowMs}};
}

QJsonObject replicaReport(const QString &chunkId, const QString &alias, qint64 version, qint64 rows, qint64 nowMs)
{
    return QJsonObject{{u"op"_s, u"replicaReport"_s}, {u"chunk"_s, chunkId}, {u"alias"_s, alias},
                       {u"v"_s, version},              {u"rows"_s, rows},      {u"ts"_s, nowMs}};
}

QJsonObject resend(const QString &clientId, qint64 seqNo, const QByteArray &result)
{
    return QJsonObject{{u"op"_s, u"resend"_s}, {u"client"_s, clientId}, {u"seq"_s, seqNo},
                       {u"result"_s, QString::fromLatin1(result.toBase64())}};
}

QJsonObject fault(const QString &kind, const QString &value)
{
    return QJsonObject{{u"op"_s, u"fault"_s}, {u"kind"_s, kind}, {u"value"_s, value}};
}

} // namespace DfsOp

DfsMetaStore::DfsMetaStore(QString dir)
    : m_dir(std::move(dir))
{}

Core::Result<DfsMetaStore::Loaded> DfsMetaStore::load() const
{
    Loaded loaded;
    QFile cp(m_dir + "/DFSMasterMetaCheckpoint.0"_L1);
    if (cp.exists()) {
        if (!cp.open(QIODevice::ReadOnly))
            return Error(ErrorCode::Io, cp.errorString(), cp.fileName());
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(cp.readAll(), &err);
        if (doc.isNull())
            return Error(ErrorCode::InvalidInput, u"corrupt checkpoint: %1"_s.arg(err.errorString()), cp.fileName());
        auto meta = DfsMeta::fromJson(doc.object().value(u"state"_s).toObject());
        if (!meta)
            return Error(meta.error().code, meta.error().message, cp.fileName());
        loaded.meta = *meta;
        loaded.checkpointIndex = loaded.appliedIndex = doc.object().value(u"index"_s).toInteger();
        loaded.checkpointTerm = loaded.appliedTerm = doc.object().value(u"term"_s).toInteger();
    }
    QFile log(m_dir + "/DFSMetaLog.0"_L1);
    if (log.exists() && log.open(QIODevice::ReadOnly)) {
        while (!log.atEnd()) {
            const QByteArray line = log.readLine().trimmed();
            if (line.isEmpty())
                continue;
            const QJsonDocument doc = QJsonDocument::fromJson(line);
            if (doc.isNull())
                break; // torn last line after a crash
            const QJsonObject o = doc.object();
            const qint64 index = o.value(u"i"_s).toInteger();
            if (index <= loaded.appliedIndex)
                continue;
            (void)loaded.meta.apply(o.value(u"op"_s).toObject());
            loaded.appliedIndex = index;
            loaded.appliedTerm = o.value(u"t"_s).toInteger();
        }
    }
    return loaded;
}

Core::Status DfsMetaStore::appendApplied(qint64 index, qint64 term, const QJsonObject &op)
{
    if (m_checkpointNeeded)
        return Error(ErrorCode::Io, u"an earlier DFSMetaLog write failed: a checkpoint is needed"_s, m_dir);
    if (auto st = DurableFile::append(m_dir + "/DFSMetaLog.0"_L1,
                                      QJsonDocument(QJsonObject{{u"i"_s, index}, {u"t"_s, term}, {u"op"_s, op}})
                                              .toJson(QJsonDocument::Compact)
                                          + '\n');
        !st) {
        // The log now misses this entry: only a checkpoint of the whole state can make it whole.
        m_checkpointNeeded = true;
        return st;
    }
    ++m_sinceCheckpoint;
    return {};
}

Core::Status DfsMetaStore::writeCheckpoint(qint64 index, qint64 term, const DfsMeta &meta)
{
    if (auto st = DurableFile::replace(m_dir + "/DFSMasterMetaCheckpoint.0"_L1,
                                       QJsonDocument(QJsonObject{{u"index"_s, index}, {u"term"_s, term}, {u"state"_s, meta.toJson()}})
                                           .toJson(QJsonDocument::Compact));
        !st)
        return st;
    QFile log(m_dir + "/DFSMetaLog.0"_L1);
    if (!log.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return Error(ErrorCode::Io, log.errorString(), log.fileName());
    m_sinceCheckpoint = 0;
    m_checkpointNeeded = false;
    return {};
}

} // namespace GrayStep::Sim
