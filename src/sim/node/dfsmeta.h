// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "sim/node/simtable.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace GrayStep::Sim {

struct DfsColumnDef
{
    QString name;
    int type = DdbType::Int;
};

struct DfsTableDef
{
    QString name;
    QList<DfsColumnDef> columns;
    QString partitionColumn;
    QStringList sortColumns;
    qint64 createdMs = 0;
};

// A VALUE-partitioned database. Partition keys are kept in their text form ("20230101").
struct DfsDatabase
{
    QString path;            // dfs://stock
    QString partitionType;   // VALUE
    int schemeType = DdbType::Date;
    QStringList scheme;      // initial partition values (text form)
    QString engine;          // TSDB | OLAP
    QMap<QString, DfsTableDef> tables;
    qint64 createdMs = 0;

    QString name() const; // "stock" for dfs://stock
};

struct ReplicaInfo
{
    QString alias;
    qint64 version = 0;
    qint64 rows = 0;
    bool recovering = false;
    qint64 recoverStartMs = 0;
    qint64 recoverUntilMs = 0;
    qint64 reportMs = 0;
};

struct ChunkInfo
{
    QString id;          // UUID text
    QString db;          // dfs://stock
    QString table;
    QString partition;   // "20230101"
    qint64 version = 0;
    qint64 rows = 0;
    QList<ReplicaInfo> replicas;
    QList<QPair<qint64, qint64>> versionChain; // (version, rows), newest first, at most 8
    qint64 lastUpdatedMs = 0;

    QString file() const; // "/stock/20230101/stock"
    bool recovering() const;
    QString state() const; // COMPLETE | RECOVERING
    ReplicaInfo *replica(const QString &alias);
    const ReplicaInfo *replica(const QString &alias) const;
};

// The result of the last completed HA request of one client (PROTOCOL.md §5.3).
struct ResendRecord
{
    qint64 seqNo = 0;
    QByteArray result; // a serialized object, opaque here
};

// The controller's DFS metadata: a deterministic state machine fed with committed Raft entries.
// All mutation goes through apply(); the JSON form is the checkpoint/snapshot.
class DfsMeta final
{
public:
    Core::Status apply(const QJsonObject &op);

    QJsonObject toJson() const;
    static Core::Result<DfsMeta> fromJson(const QJsonObject &o);

    const QMap<QString, DfsDatabase> &databases() const { return m_databases; }
    const QMap<QString, ChunkInfo> &chunks() const { return m_chunks; }
    const DfsDatabase *database(const QString &path) const;
    const ChunkInfo *chunk(const QString &id) const;
    const ChunkInfo *findChunk(const QString &db, const QString &table, const QString &partition) const;
    QList<const ChunkInfo *> chunksOf(const QString &db, const QString &table) const;
    QList<const ChunkInfo *> chunksOnNode(const QString &alias) const;
    const QHash<QString, ResendRecord> &resends() const { return m_resends; }
    QHash<QString, QString> faults() const { return m_faults; }
    QString fault(const QString &kind) const { return m_faults.value(kind); }

    // Chooses `factor` replicas for a new chunk: distinct hosts when reliabilityLevel >= 1,
    // live nodes first, then the fewest chunks. `hostOf` maps alias -> host.
    QStringList placeReplicas(const QStringList &candidates, const QHash<QString, QString> &hostOf,
                              const QSet<QString> &live, int factor, int reliabilityLevel,
                              const QHash<QString, int> &extraLoad = {}) const;

private:
    QMap<QString, DfsDatabase> m_databases;
    QMap<QString, ChunkInfo> m_chunks;
    QHash<QString, ResendRecord> m_resends;
    QHash<QString, QString> m_faults;
};

// Op builders (the only way ops are made, so fields stay consistent).
namespace DfsOp {
QJsonObject createDatabase(const DfsDatabase &db);
QJsonObject dropDatabase(const QString &path);
QJsonObject createTable(const QString &db, const DfsTableDef &table);
QJsonObject addChunk(const QString &id, const QString &db, const QString &table, const QString &partition,
                     const QStringList &replicas, qint64 nowMs);
// A write of `version` committed on `written` (alias -> rows the replica now holds).
QJsonObject commitWrite(const QString &chunkId, qint64 version, qint64 totalRows, const QHash<QString, qint64> &written,
                        qint64 nowMs);
QJsonObject recoverStart(const QString &chunkId, const QString &alias, qint64 startMs, qint64 untilMs);
QJsonObject recoverDone(const QString &chunkId, const QString &alias, qint64 version, qint64 rows, qint64 nowMs);
QJsonObject replicaReport(const QString &chunkId, const QString &alias, qint64 version, qint64 rows, qint64 nowMs);
QJsonObject resend(const QString &clientId, qint64 seqNo, const QByteArray &result);
QJsonObject fault(const QString &kind, const QString &value);
} // namespace DfsOp

// dfsMeta directory: DFSMasterMetaCheckpoint.0 (JSON: index, term, state) and DFSMetaLog.0
// (one JSON line per applied entry after the checkpoint).
class DfsMetaStore final
{
public:
    explicit DfsMetaStore(QString dir);
    const QString &dir() const { return m_dir; }

    struct Loaded
    {
        DfsMeta meta;
        qint64 checkpointIndex = 0;
        qint64 checkpointTerm = 0;
        qint64 appliedIndex = 0;
        qint64 appliedTerm = 0;
    };
    Core::Result<Loaded> load() const;
    Core::Status appendApplied(qint64 index, qint64 term, const QJsonObject &op);
    Core::Status writeCheckpoint(qint64 index, qint64 term, const DfsMeta &meta);
    qint64 entriesSinceCheckpoint() const { return m_sinceCheckpoint; }
    // An append failed (full disk): the log misses entries until writeCheckpoint() succeeds.
    bool checkpointNeeded() const { return m_checkpointNeeded; }

private:
    QString m_dir;
    qint64 m_sinceCheckpoint = 0;
    bool m_checkpointNeeded = false;
};

} // namespace GrayStep::Sim
