// SPDX-License-Identifier: GPL-3.0-or-later
// The pre-flight's cluster task: through the Raft leader, the HA configuration, the chunks and
// recovery tasks, which nodes are up, and for each host what its stop would take offline.
#include "engine/clusteraccess.h"
#include "engine/preflight_p.h"

#include "dolphindb/scripts.h"

#include <QSet>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Engine::PreflightDetail {

using V = PreflightItem::Verdict;

void checkCluster(ClusterAccess &cluster, const UpgradeProfile &profile, const PreflightOptions &options, Checklist &out,
                  PreflightReport &report, QMutex &reportMutex)
{
    const ClusterTopology &topo = cluster.topology();
    QStringList whatifIds;
    for (const HostAccess &h : profile.hosts) {
        whatifIds << u"whatif:"_s + h.address;
    }
    const QStringList mine = QStringList{u"leader"_s,         u"ha-raft"_s,   u"ha-replication"_s, u"ha-reliability"_s,
                                         u"ha-datasync"_s,    u"ha-recoverywait"_s, u"chunks"_s,   u"recovery-tasks"_s,
                                         u"nodes-up"_s}
                             + whatifIds;

    out.waitFor(mine, u"the controllers (getActiveMaster, to find the Raft leader)"_s);
    Result<QString> leader = cluster.findLeader();
    if (!leader) {
        out.set(item(u"leader"_s, u"A Raft leader is present"_s, V::Fail, leader.error().message,
                     u"start the controllers; a leader needs a majority"_s));
        out.setChunkError(u"no Raft leader: "_s + leader.error().message);
        out.failUnset(mine, u"not checked: no Raft leader answered (%1)"_s.arg(leader.error().message),
                      u"start the controllers; a leader needs a majority"_s);
        return;
    }
    const QString leaderHost = cluster.hostOf(*leader);
    {
        QMutexLocker lock(&reportMutex);
        report.leaderAlias = *leader;
        report.leaderHost = leaderHost;
    }
    out.set(item(u"leader"_s, u"A Raft leader is present"_s, V::Pass,
                 u"getActiveMaster() = %1 on host %2 (that host goes last)"_s.arg(*leader, leaderHost)));

    // HA configuration from the live config; a value that could not be read says so.
    out.waitFor(mine, u"the leader %1 (getConfig)"_s.arg(*leader));
    const auto ctl = [&](const QString &key) -> SettingRead {
        Result<QString> s = Scripts::controllerConfig(key);
        if (!s) {
            return SettingRead::unreadable(s.error().message);
        }
        return SettingRead::fromReply(cluster.runOnLeader(*s, out.remainingMs()));
    };
    const int controllers = int(topo.nodesWithMode(Core::NodeMode::Controller).size());
    out.set(haRaftItem(*leader, ctl(u"dfsHAMode"_s), controllers));
    out.set(haReplicationItem(*leader, ctl(u"dfsReplicationFactor"_s)));
    out.set(haReliabilityItem(*leader, ctl(u"dfsReplicaReliabilityLevel"_s)));
    {
        Result<DdbValue> v = cluster.runOnLeader(*Scripts::dataNodeConfig(u"dataSync"_s), out.remainingMs());
        Result<QList<NodeConfigValue>> sync = v ? readNodeConfig(*v) : Result<QList<NodeConfigValue>>(v.error());
        QMap<QString, SettingRead> perNode;
        if (sync) {
            for (const NodeConfigValue &c : *sync) {
                perNode.insert(c.node, c.value.trimmed().isEmpty() ? SettingRead::unset() : SettingRead::of(c.value.trimmed()));
            }
        }
        out.set(haDataSyncItem(perNode, sync ? QString() : sync.error().message));
    }
    out.set(haRecoveryWaitItem(*leader, ctl(u"dfsRecoveryWaitTime"_s), options.hostDowntime));

    // Chunks and the per-host what-if.
    out.waitFor(mine, u"the leader %1 (getClusterChunksStatus, getRecoveryTaskStatus, getClusterPerf)"_s.arg(*leader));
    Result<QList<ChunkStatus>> chunks = cluster.chunks();
    Result<QList<DolphinDb::ClusterNode>> perf = cluster.clusterPerf();
    if (!chunks) {
        out.set(item(u"chunks"_s, u"Every chunk COMPLETE"_s, V::Fail, chunks.error().message,
                     u"the leader must answer getClusterChunksStatus"_s));
        out.setChunkError(chunks.error().message);
    } else {
        QStringList incomplete;
        QMap<QString, int> replicas;   // node -> chunks it holds a replica of
        for (const ChunkStatus &c : *chunks) {
            if (!c.isComplete()) {
                incomplete << u"%1 (%2)"_s.arg(c.chunkId, c.state);
            }
            for (const ChunkReplica &r : c.replicas) {
                ++replicas[r.node];
            }
        }
        out.setChunkReplicas(replicas);
        out.set(item(u"chunks"_s, u"Every chunk COMPLETE"_s, incomplete.isEmpty() ? V::Pass : V::Fail,
                     incomplete.isEmpty() ? u"getClusterChunksStatus: %1 chunks, all COMPLETE"_s.arg(chunks->size())
                                          : u"not COMPLETE: "_s + incomplete.mid(0, 20).join(u", "_s),
                     u"wait for recovery to finish before upgrading"_s));
    }
    // Recovery and rebalance tasks still queued or running (a chunk may read COMPLETE while a
    // rebalance moves it).
    Result<DdbValue> rt = cluster.runOnLeader(Scripts::recoveryTasks(), out.remainingMs());
    Result<QList<RecoveryTask>> tasks = rt ? readRecoveryTasks(*rt) : Result<QList<RecoveryTask>>(rt.error());
    if (!tasks) {
        out.set(item(u"recovery-tasks"_s, u"No recovery or rebalance task pending"_s, V::Warn,
                     u"getRecoveryTaskStatus could not be read: "_s + tasks.error().message,
                     u"check the recovery tasks on the controller's web console before upgrading"_s));
    } else {
        QStringList pending;
        for (const RecoveryTask &t : *tasks) {
            if (t.isPending()) {
                pending << u"%1 %2 -> %3 (%4 %5)"_s.arg(t.chunkPath.isEmpty() ? t.chunkId : t.chunkPath, t.source, t.dest,
                                                        t.type, t.status);
            }
        }
        out.set(item(u"recovery-tasks"_s, u"No recovery or rebalance task pending"_s, pending.isEmpty() ? V::Pass : V::Fail,
                     pending.isEmpty()
                         ? u"getRecoveryTaskStatus: %1 task(s), none waiting or in progress"_s.arg(tasks->size())
                         : u"%1 pending: %2%3"_s.arg(pending.size())
                               .arg(pending.mid(0, 20).join(u"; "_s), pending.size() > 20 ? u"; …"_s : QString()),
                     u"wait until every task is Finished (a stuck one: see the controller log for its chunk)"_s));
    }
    QSet<QString> alive;
    if (!perf) {
        out.set(item(u"nodes-up"_s, u"Every node up"_s, V::Fail, u"getClusterPerf could not be read: "_s + perf.error().message,
                     u"the leader must answer getClusterPerf"_s));
    } else {
        for (const DolphinDb::ClusterNode &n : *perf) {
            if (n.alive) {
                alive.insert(n.name);
            }
        }
        QStringList down;
        for (const Core::ClusterNode &n : topo.nodes) {
            if (!alive.contains(n.alias)) {
                down << n.alias;
            }
        }
        out.set(item(u"nodes-up"_s, u"Every node up"_s, down.isEmpty() ? V::Pass : V::Fail,
                     down.isEmpty() ? u"getClusterPerf: %1 nodes up"_s.arg(alive.size()) : u"down: "_s + down.join(u", "_s),
                     u"start the nodes first"_s));
    }
    if (!chunks || !perf) {
        out.failUnset(whatifIds,
                      u"not checked: %1"_s.arg(!chunks ? u"the chunk status could not be read"_s
                                                       : u"which nodes are up could not be read"_s),
                      u"the leader must answer getClusterChunksStatus and getClusterPerf"_s);
        return;
    }
    for (const HostAccess &h : profile.hosts) {
        // A chunk is lost when none of its replicas outside this host is on a live node.
        QStringList lost;
        QSet<QString> downHolders;
        for (const ChunkStatus &c : *chunks) {
            int liveElsewhere = 0;
            QStringList downElsewhere;
            for (const ChunkReplica &r : c.replicas) {
                if (cluster.hostOf(r.node) == h.address) {
                    continue;
                }
                if (alive.contains(r.node)) {
                    ++liveElsewhere;
                } else {
                    downElsewhere << r.node;
                }
            }
            if (liveElsewhere == 0) {
                lost << (c.file.isEmpty() ? c.chunkId : u"%1 (%2)"_s.arg(c.file, c.chunkId))
                            + (downElsewhere.isEmpty() ? QString() : u" [other replica on %1, down]"_s.arg(downElsewhere.join(u", "_s)));
                for (const QString &n : downElsewhere) {
                    downHolders.insert(n);
                }
            }
        }
        QStringList down(downHolders.begin(), downHolders.end());
        down.sort();
        const QString hint = lost.isEmpty()       ? QString()
                             : !down.isEmpty()    ? u"start %1 and wait until its chunks are COMPLETE before stopping this host"_s.arg(down.join(u", "_s))
                                                  : u"set dfsReplicaReliabilityLevel=1 and let the cluster re-place replicas first"_s;
        out.set(item(u"whatif:"_s + h.address, u"Stopping this host leaves every chunk a live replica"_s,
                     lost.isEmpty() ? V::Pass : V::Fail,
                     lost.isEmpty()
                         ? u"%1 chunks checked against their replicas' hosts%2"_s.arg(chunks->size())
                               .arg(h.address == leaderHost ? u"; holds the Raft leader"_s : QString())
                         : u"%1 chunk(s) would lose all live replicas: %2%3"_s.arg(lost.size())
                               .arg(lost.mid(0, 20).join(u"; "_s), lost.size() > 20 ? u"; …"_s : QString()),
                     hint));
    }
}

} // namespace GrayStep::Engine::PreflightDetail
