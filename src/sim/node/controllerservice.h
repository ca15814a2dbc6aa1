// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/dfsmeta.h"
#include "sim/node/nodecontext.h"
#include "sim/node/peerlink.h"
#include "sim/node/raftcore.h"
#include "sim/node/raftstore.h"

#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>

namespace GrayStep::Sim {

// Liveness and load of a node as last reported by its heartbeat.
struct NodeLiveness
{
    qint64 lastHeartbeatMs = 0;
    QJsonObject perf;
};

// The controller role: a Raft-like group over the controllers of cluster.nodes that replicates
// the DFS metadata (DfsMeta), tracks data-node/agent heartbeats, places chunks, drives recovery
// of stale replicas and serves the DFS metadata calls of coordinating nodes. Lives in the main
// thread; blocking peer calls run on the context's background pool.
class ControllerService final : public QObject
{
    Q_OBJECT

public:
    explicit ControllerService(const NodeContext &ctx, QObject *parent = nullptr);
    ~ControllerService() override;

    Core::Status start();

    bool isLeader() const { return m_raft->isLeader(); }
    QString leaderAlias() const { return m_raft->leader(); }
    QString notLeaderError() const; // "<NotLeader>host:port:alias"
    const RaftCore &raft() const { return *m_raft; }
    const DfsMeta &meta() const { return m_meta; }
    bool isLive(const QString &alias) const;
    // Controllers: this one, or a peer that answered the leader recently.
    bool controllerLive(const QString &alias) const;
    NodeLiveness liveness(const QString &alias) const { return m_live.value(alias); }
    QString localFault(const QString &kind) const { return m_localFaults.value(kind); }
    void setLocalFault(const QString &kind, const QString &value);

    // Peer protocol ops (op names start with "raft", "dfs", "heartbeat", "fault").
    bool handles(const QString &op) const;
    void handlePeer(const QJsonObject &request, const PeerConnection::Reply &reply);

    // Proposes ops through Raft; `done` gets the apply status of the last op (main thread).
    void proposeAll(const QList<QJsonObject> &ops, std::function<void(Core::Status)> done);

private:
    void resetElectionTimer();
    void onElectionTimeout();
    void onLeaderTick();
    void onRecoveryTick();
    void sendAppend(const QString &peer);
    void afterRaftChange();
    void applyEntry(const RaftEntry &e);
    void failPending(const QString &message);
    void reconcileReplicas(const QString &alias, const QJsonArray &chunks, qint64 incarnation);

    void handleVote(const QJsonObject &req, const PeerConnection::Reply &reply);
    void handleAppend(const QJsonObject &req, const PeerConnection::Reply &reply);
    void handleHeartbeat(const QJsonObject &req, const PeerConnection::Reply &reply);
    void handleBeginWrite(const QJsonObject &req, const PeerConnection::Reply &reply, int attempt);
    void handleCommitWrite(const QJsonObject &req, const PeerConnection::Reply &reply);
    void handleReadPlan(const QJsonObject &req, const PeerConnection::Reply &reply);
    void handleGetTable(const QJsonObject &req, const PeerConnection::Reply &reply);

    QJsonObject siteJson(const QString &alias) const;

    const NodeContext &m_ctx;
    std::unique_ptr<RaftCore> m_raft;
    RaftStore m_raftStore;
    DfsMeta m_meta;
    DfsMetaStore m_metaStore;
    qint64 m_appliedIndex = 0;
    bool m_persistFailed = false; // the last raft sync failed (full disk)
    QString m_persistError;
    QTimer m_electionTimer;
    QTimer m_leaderTimer;
    QTimer m_recoveryTimer;
    QSet<QString> m_appendInFlight;
    QHash<QString, NodeLiveness> m_live;
    QHash<QString, qint64> m_peerAckMs;
    QHash<QString, QString> m_localFaults;
    struct Pending
    {
        qint64 index;
        std::function<void(Core::Status)> done;
    };
    QList<Pending> m_pending;
    QHash<qint64, Core::Status> m_applyStatus; // by index, for pending waiters
    struct Lock
    {
        QString txn;
        qint64 expiresMs = 0;
    };
    QHash<QString, Lock> m_locks;
    // A new leader serves metadata only once it applied everything committed before its term
    // (its own first entry): until then requests wait here.
    qint64 m_readyIndex = 0;
    QList<std::function<void()>> m_waitingReady;
    QSet<QString> m_recoveryInFlight;      // chunkId/alias
    QSet<QString> m_reconcileInFlight;     // chunkId/alias
    QString m_lastLoggedLeader;
};

} // namespace GrayStep::Sim
