// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/hostgate.h"

#include "engine/clusteraccess.h"

#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Engine {

QStringList chunksLosingEveryLiveReplica(const QList<ChunkStatus> &chunks, const QSet<QString> &alive,
                                         const std::function<QString(const QString &)> &hostOf, const QString &host,
                                         QSet<QString> *downElsewhere)
{
    QStringList lost;
    for (const ChunkStatus &c : chunks) {
        int liveElsewhere = 0;
        QStringList dead;
        for (const ChunkReplica &r : c.replicas) {
            if (hostOf(r.node) == host) {
                continue;
            }
            if (alive.contains(r.node)) {
                ++liveElsewhere;
            } else {
                dead << r.node;
            }
        }
        if (liveElsewhere > 0) {
            continue;
        }
        lost << (c.file.isEmpty() ? c.chunkId : u"%1 (%2)"_s.arg(c.file, c.chunkId))
                    + (dead.isEmpty() ? QString() : u" [other replica on %1, down]"_s.arg(dead.join(u", "_s)));
        if (downElsewhere) {
            for (const QString &n : std::as_const(dead)) {
                downElsewhere->insert(n);
            }
        }
    }
    return lost;
}

HostGateResult checkHostGate(ClusterAccess &cluster, const QString &host)
{
    HostGateResult g;
    Result<QString> leader = cluster.findLeader();
    if (!leader) {
        g.problems << u"no Raft leader: %1 (wait for the election; check the controllers)"_s.arg(leader.error().message);
        return g;
    }
    g.leader = *leader;
    g.evidence.insert(u"leader"_s, *leader);

    // Every node alive at the leader. A node down anywhere (on another host: its chunks have one
    // replica less; on this one: its state is unknown) stops the run before this host.
    Result<QList<DolphinDb::ClusterNode>> perf = cluster.clusterPerf();
    if (!perf) {
        g.problems << u"getClusterPerf on the leader %1 failed: %2"_s.arg(*leader, perf.error().message);
        return g;
    }
    QSet<QString> alive;
    for (const DolphinDb::ClusterNode &n : *perf) {
        if (n.alive) {
            alive.insert(n.name);
        }
    }
    // And each node answers on a fresh connection: the leader lists a node that died a moment
    // ago as alive until its heartbeat times out.
    QStringList down;
    for (const Core::ClusterNode &n : cluster.topology().nodes) {
        const bool listed = n.mode == Core::NodeMode::DataNode || n.mode == Core::NodeMode::ComputeNode;
        cluster.close(n.alias);
        if (Result<QString> v = cluster.nodeVersion(n.alias); !v) {
            down << u"%1 on %2 (%3)"_s.arg(n.alias, n.host, v.error().message);
            alive.remove(n.alias);
        } else if (listed && !alive.contains(n.alias)) {
            down << u"%1 on %2 (answers, but the leader does not list it as alive)"_s.arg(n.alias, n.host);
        }
    }
    QStringList aliveList(alive.cbegin(), alive.cend());
    aliveList.sort();
    g.evidence.insert(u"alive"_s, QJsonArray::fromStringList(aliveList));
    if (!down.isEmpty()) {
        g.problems << u"node(s) down: %1. Stopping %2 now would leave the cluster with fewer replicas than the "
                      "pre-flight assumed; start them and wait until every chunk is COMPLETE, then resume"_s.arg(
                          down.join(u", "_s), host);
    }

    // The what-if for this host, with the replicas that are alive now.
    Result<QList<ChunkStatus>> chunks = cluster.chunks();
    if (!chunks) {
        g.problems << u"getClusterChunksStatus failed: "_s + chunks.error().message;
    } else {
        QSet<QString> dead;
        const QStringList lost = chunksLosingEveryLiveReplica(
            *chunks, alive, [&cluster](const QString &alias) { return cluster.hostOf(alias); }, host, &dead);
        g.evidence.insert(u"chunks"_s, int(chunks->size()));
        if (!lost.isEmpty()) {
            QStringList deadList(dead.cbegin(), dead.cend());
            deadList.sort();
            g.problems << u"stopping %1 would leave %2 chunk(s) with no live replica: %3%4"_s.arg(host)
                              .arg(lost.size())
                              .arg(lost.mid(0, 10).join(u"; "_s), lost.size() > 10 ? u"; …"_s : QString())
                       + (deadList.isEmpty() ? u" (set dfsReplicaReliabilityLevel=1 so replicas sit on distinct hosts)"_s
                                             : u" (start %1 first)"_s.arg(deadList.join(u", "_s)));
        }
    }

    // Recovery and rebalance tasks (a chunk can read COMPLETE while a task still moves it).
    Result<DdbValue> rt = cluster.runOnLeader(Scripts::recoveryTasks());
    Result<QList<RecoveryTask>> tasks = rt ? readRecoveryTasks(*rt) : Result<QList<RecoveryTask>>(rt.error());
    if (tasks) {
        QStringList pending;
        for (const RecoveryTask &t : *tasks) {
            if (t.isPending()) {
                pending << u"%1 %2 -> %3 (%4)"_s.arg(t.chunkPath.isEmpty() ? t.chunkId : t.chunkPath, t.source, t.dest, t.status);
            }
        }
        if (!pending.isEmpty()) {
            g.problems << u"%1 recovery task(s) pending: %2"_s.arg(pending.size()).arg(pending.mid(0, 5).join(u"; "_s));
        }
    } else if (!tasks.error().message.contains(u"Can't recognize function name"_s)) {
        // An older server without the function is no problem; a failed read is.
        g.problems << u"getRecoveryTaskStatus failed: "_s + tasks.error().message;
    }
    return g;
}

} // namespace GrayStep::Engine
