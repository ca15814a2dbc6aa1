// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/chunkstore.h"
#include "sim/node/durablefile.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

namespace {

QJsonObject metaToJson(const LocalChunk &c)
{
    return QJsonObject{{u"id"_s, c.id},   {u"db"_s, c.db}, {u"table"_s, c.table}, {u"part"_s, c.partition},
                       {u"v"_s, c.version}, {u"rows"_s, c.rows()}};
}

Error noSpace(const QString &where)
{
    return Error(ErrorCode::Io, u"No space left on device"_s, where);
}

} // namespace

qint64 LocalChunk::rowsAt(qint64 v) const
{
    if (v == 0)
        return 0;
    for (const auto &b : batchEnds)
        if (b.first == v)
            return b.second;
    return -1;
}

SimTable LocalChunk::dataAt(qint64 v) const
{
    const qint64 n = rowsAt(v);
    if (n < 0 || n >= rows())
        return data;
    SimTable t = data;
    for (SimColumn &c : t.columns) {
        if (!c.ints.isEmpty())
            c.ints.resize(n);
        if (!c.reals.isEmpty())
            c.reals.resize(n);
        if (!c.texts.isEmpty())
            c.texts.resize(n);
    }
    return t;
}

ChunkStore::ChunkStore(QString storageDir)
    : m_dir(std::move(storageDir))
{}

QString ChunkStore::metaDir() const
{
    return m_dir + "/CHUNK_METADATA"_L1;
}

QString ChunkStore::dataFile(const LocalChunk &c) const
{
    const QString dbName = c.db.startsWith("dfs://"_L1) ? c.db.mid(6) : c.db;
    return m_dir + "/CHUNKS/"_L1 + dbName + u'/' + c.partition + u'/' + c.table + u'/' + c.id + ".data"_L1;
}

Core::Status ChunkStore::load()
{
    m_chunks.clear();
    QHash<QString, LocalChunk> metas;
    QFile cp(metaDir() + "/checkpoint.0"_L1);
    if (cp.exists()) {
        if (!cp.open(QIODevice::ReadOnly))
            return Error(ErrorCode::Io, cp.errorString(), cp.fileName());
        const QJsonDocument doc = QJsonDocument::fromJson(cp.readAll());
        if (doc.isNull())
            return Error(ErrorCode::InvalidInput, u"corrupt chunk metadata checkpoint"_s, cp.fileName());
        for (const QJsonValue &v : doc.object().value(u"chunks"_s).toArray()) {
            LocalChunk c;
            c.id = v[u"id"_s].toString();
            c.db = v[u"db"_s].toString();
            c.table = v[u"table"_s].toString();
            c.partition = v[u"part"_s].toString();
            c.version = v[u"v"_s].toInteger();
            metas.insert(c.id, c);
        }
    }
    QFile edits(metaDir() + "/editlog.0"_L1);
    if (edits.exists() && edits.open(QIODevice::ReadOnly)) {
        while (!edits.atEnd()) {
            const QJsonDocument doc = QJsonDocument::fromJson(edits.readLine().trimmed());
            if (doc.isNull())
                continue;
            const QJsonObject o = doc.object();
            const QString id = o.value(u"id"_s).toString();
            if (o.value(u"removed"_s).toBool()) {
                metas.remove(id);
                continue;
            }
            LocalChunk &c = metas[id];
            c.id = id;
            c.db = o.value(u"db"_s).toString();
            c.table = o.value(u"table"_s).toString();
            c.partition = o.value(u"part"_s).toString();
            c.version = o.value(u"v"_s).toInteger();
            ++m_editsSinceCheckpoint;
        }
    }
    for (LocalChunk c : metas) {
        QFile data(dataFile(c));
        bool truncated = false;
        QList<QByteArray> kept;
        if (data.open(QIODevice::ReadOnly)) {
            while (!data.atEnd()) {
                const QByteArray line = data.readLine().trimmed();
                const QJsonDocument doc = QJsonDocument::fromJson(line);
                if (doc.isNull())
                    continue;
                const QJsonObject batch = doc.object();
                if (batch.value(u"v"_s).toInteger() > c.version) {
                    truncated = true; // written after the metadata we trust
                    continue;
                }
                const SimTable rows = SimTable::fromJson(batch.value(u"rows"_s).toObject());
                if (batch.value(u"replace"_s).toBool() || c.data.columns.isEmpty()) {
                    c.data = rows;
                    c.batchEnds.clear();
                } else {
                    c.data.append(rows);
                }
                c.batchEnds << qMakePair(batch.value(u"v"_s).toInteger(), c.data.rows());
                kept << line;
            }
            data.close();
        }
        if (truncated) {
            QSaveFile out(dataFile(c));
            if (out.open(QIODevice::WriteOnly)) {
                for (const QByteArray &line : kept)
                    out.write(line + '\n');
                (void)out.commit();
            }
        }
        m_chunks.insert(c.id, c);
    }
    // A fresh node has an (empty) CHUNK_METADATA from its first start, as the real one.
    if (!QFile::exists(metaDir() + "/checkpoint.0"_L1) && !QFile::exists(metaDir() + "/editlog.0"_L1))
        return checkpoint();
    return {};
}

Core::Status ChunkStore::appendEdit(const LocalChunk &c, qint64 *previousSize)
{
    const QString path = metaDir() + "/editlog.0"_L1;
    if (auto st = DurableFile::append(path, QJsonDocument(metaToJson(c)).toJson(QJsonDocument::Compact) + '\n',
                                      previousSize);
        !st)
        return st;
    // The edit is durable; a checkpoint that fails now (full disk) is tried again at the next edit.
    if (++m_editsSinceCheckpoint >= 1000)
        (void)checkpoint();
    return {};
}

namespace {

// Back to the first `rows` rows (undo of an append in memory).
void shrinkTo(SimTable &t, qint64 rows)
{
    for (SimColumn &col : t.columns) {
        if (!col.ints.isEmpty())
            col.ints.resize(rows);
        if (!col.reals.isEmpty())
            col.reals.resize(rows);
        if (!col.texts.isEmpty())
            col.texts.resize(rows);
    }
}

Error writeFailed(const QString &id, const Error &e)
{
    // The real server names the file system's error; the path stays in `where`.
    return Error(ErrorCode::Io, u"Failed to save chunk %1: %2"_s.arg(id, e.message), e.where);
}

} // namespace

Core::Status ChunkStore::write(const QString &id, const QString &db, const QString &table, const QString &partition,
                               qint64 version, const SimTable &rows)
{
    if (m_diskFull)
        return noSpace(m_dir);
    auto it = m_chunks.find(id);
    bool fresh = false;
    if (it != m_chunks.end()) {
        if (it->version >= version) {
            if (auto st = truncate(*it, version - 1); !st)
                return st;
        }
        if (version != it->version + 1)
            return Error(ErrorCode::Failed,
                         u"chunk %1 is at version %2, cannot apply version %3"_s.arg(id).arg(it->version).arg(version));
    } else {
        if (version != 1)
            return Error(ErrorCode::Failed, u"chunk %1 is missing, cannot apply version %2"_s.arg(id).arg(version));
        LocalChunk created;
        created.id = id;
        created.db = db;
        created.table = table;
        created.partition = partition;
        it = m_chunks.insert(id, created);
        fresh = true;
    }
    LocalChunk &c = *it; // appended in place: no copy of the chunk's rows per write
    const QString path = dataFile(c);
    qint64 dataSize = -1;
    if (auto st = DurableFile::append(path, QJsonDocument(QJsonObject{{u"v"_s, version}, {u"rows"_s, rows.toJson()}})
                                                    .toJson(QJsonDocument::Compact)
                                                + '\n',
                                      &dataSize);
        !st) {
        if (fresh)
            m_chunks.erase(it);
        return writeFailed(id, st.error());
    }
    const qint64 oldRows = c.rows();
    const qint64 oldVersion = c.version;
    const bool wasEmpty = c.data.columns.isEmpty();
    if (wasEmpty)
        c.data = rows;
    else
        c.data.append(rows);
    c.version = version;
    c.batchEnds << qMakePair(version, c.data.rows());
    if (auto st = appendEdit(c); !st) {
        // The metadata could not record the write: the batch is taken back, on disk and in memory.
        DurableFile::undo(path, dataSize);
        if (fresh) {
            m_chunks.erase(it);
        } else {
            c.batchEnds.removeLast();
            c.version = oldVersion;
            if (wasEmpty)
                c.data = SimTable();
            else
                shrinkTo(c.data, oldRows);
        }
        return writeFailed(id, st.error());
    }
    return {};
}

Core::Status ChunkStore::replace(const QString &id, const QString &db, const QString &table, const QString &partition,
                                 qint64 version, const SimTable &all)
{
    if (m_diskFull)
        return noSpace(m_dir);
    LocalChunk c;
    c.id = id;
    c.db = db;
    c.table = table;
    c.partition = partition;
    c.version = version;
    c.data = all;
    c.batchEnds << qMakePair(version, all.rows());
    // The metadata first, then the data: when the data cannot be written the edit is taken back,
    // so the replica stays at its old version with its old rows.
    qint64 editSize = -1;
    if (auto st = appendEdit(c, &editSize); !st)
        return writeFailed(id, st.error());
    const QString path = dataFile(c);
    if (auto st = DurableFile::replace(path, QJsonDocument(QJsonObject{{u"v"_s, version}, {u"replace"_s, true}, {u"rows"_s, all.toJson()}})
                                                 .toJson(QJsonDocument::Compact)
                                             + '\n');
        !st) {
        DurableFile::undo(metaDir() + "/editlog.0"_L1, editSize);
        return writeFailed(id, st.error());
    }
    m_chunks.insert(id, c);
    return {};
}

Core::Status ChunkStore::truncate(LocalChunk &c, qint64 version)
{
    const qint64 n = c.rowsAt(version);
    if (n < 0)
        return Error(ErrorCode::Failed, u"chunk %1 has no version %2 to roll back to"_s.arg(c.id).arg(version));
    // Rewrite the data file without the rolled-back batches, then the memory (a failed rewrite
    // leaves both as they were).
    QFile in(dataFile(c));
    QByteArray kept;
    if (in.open(QIODevice::ReadOnly)) {
        while (!in.atEnd()) {
            const QByteArray line = in.readLine().trimmed();
            const QJsonDocument doc = QJsonDocument::fromJson(line);
            if (!doc.isNull() && doc.object().value(u"v"_s).toInteger() <= version)
                kept += line + '\n';
        }
        in.close();
    }
    if (auto st = DurableFile::replace(dataFile(c), kept); !st)
        return writeFailed(c.id, st.error());
    c.data = c.dataAt(version);
    if (version == 0)
        c.data = c.data.emptyCopy();
    while (!c.batchEnds.isEmpty() && c.batchEnds.last().first > version)
        c.batchEnds.removeLast();
    c.version = version;
    return {};
}

void ChunkStore::remove(const QString &id)
{
    auto it = m_chunks.find(id);
    if (it == m_chunks.end())
        return;
    QFile::remove(dataFile(*it));
    m_chunks.erase(it);
    QDir().mkpath(metaDir());
    QFile edits(metaDir() + "/editlog.0"_L1);
    if (edits.open(QIODevice::WriteOnly | QIODevice::Append))
        edits.write(QJsonDocument(QJsonObject{{u"id"_s, id}, {u"removed"_s, true}}).toJson(QJsonDocument::Compact) + '\n');
}

const LocalChunk *ChunkStore::chunk(const QString &id) const
{
    auto it = m_chunks.constFind(id);
    return it == m_chunks.constEnd() ? nullptr : &it.value();
}

Core::Status ChunkStore::checkpoint()
{
    QDir().mkpath(metaDir());
    QJsonArray list;
    for (const LocalChunk &c : m_chunks)
        list.append(metaToJson(c));
    if (auto st = DurableFile::replace(metaDir() + "/checkpoint.0"_L1,
                                       QJsonDocument(QJsonObject{{u"chunks"_s, list}}).toJson(QJsonDocument::Compact));
        !st)
        return st;
    QFile edits(metaDir() + "/editlog.0"_L1);
    (void)edits.open(QIODevice::WriteOnly | QIODevice::Truncate);
    m_editsSinceCheckpoint = 0;
    return {};
}

} // namespace GrayStep::Sim
