// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "sim/node/simtable.h"

#include <QHash>
#include <QList>
#include <QString>

namespace GrayStep::Sim {

// What a data node knows about one of its chunk replicas.
struct LocalChunk
{
    QString id;
    QString db;
    QString table;
    QString partition;
    qint64 version = 0;
    SimTable data;
    QList<QPair<qint64, qint64>> batchEnds; // (version, rows after that version), oldest first

    qint64 rows() const { return data.rows(); }
    // Rows as of `v` (-1 when this replica has no boundary at v).
    qint64 rowsAt(qint64 v) const;
    SimTable dataAt(qint64 v) const;
};

// A data node's storage directory (chunkMetaDir = <home>/<alias>/storage):
//   CHUNK_METADATA/checkpoint.0   JSON: every chunk's id, path and version
//   CHUNK_METADATA/editlog.0      one JSON line per change since the checkpoint
//   CHUNKS/<db>/<partition>/<table>/<chunkId>.data   one JSON line per committed write {v, rows}
// On load, data batches newer than the metadata's version are dropped (the metadata is the truth),
// so restoring a CHUNK_METADATA backup really rolls the replica back.
class ChunkStore final
{
public:
    explicit ChunkStore(QString storageDir);
    const QString &storageDir() const { return m_dir; }

    Core::Status load();
    bool diskFull() const { return m_diskFull; }
    void setDiskFull(bool full) { m_diskFull = full; }

    // Appends the rows of a write of `version`. The local version must be version - 1; a local
    // version >= `version` is an uncommitted write of a dead coordinator and is rolled back first.
    Core::Status write(const QString &id, const QString &db, const QString &table, const QString &partition,
                       qint64 version, const SimTable &rows);
    // Replaces the replica with a full copy at `version` (recovery).
    Core::Status replace(const QString &id, const QString &db, const QString &table, const QString &partition,
                         qint64 version, const SimTable &all);
    void remove(const QString &id);

    const LocalChunk *chunk(const QString &id) const;
    const QHash<QString, LocalChunk> &chunks() const { return m_chunks; }

    Core::Status checkpoint();

private:
    QString metaDir() const;
    QString dataFile(const LocalChunk &c) const;
    Core::Status appendEdit(const LocalChunk &c, qint64 *previousSize = nullptr);
    Core::Status truncate(LocalChunk &c, qint64 version);

    QString m_dir;
    QHash<QString, LocalChunk> m_chunks;
    qint64 m_editsSinceCheckpoint = 0;
    bool m_diskFull = false;
};

} // namespace GrayStep::Sim
