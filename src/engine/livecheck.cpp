// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/livecheck.h"

#include "engine/clusteraccess.h"
#include "engine/hostcommands.h"
#include "engine/upgradeplan.h"

#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QMutex>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Engine {

QJsonObject LiveClusterState::toJson() const
{
    QJsonObject v;
    for (auto it = versions.cbegin(); it != versions.cend(); ++it) {
        v.insert(it.key(), it.value());
    }
    QJsonObject u;
    for (auto it = unreachable.cbegin(); it != unreachable.cend(); ++it) {
        u.insert(it.key(), it.value());
    }
    QJsonObject p;
    for (auto it = serverProcesses.cbegin(); it != serverProcesses.cend(); ++it) {
        p.insert(it.key(), it.value());
    }
    QJsonObject he;
    for (auto it = hostErrors.cbegin(); it != hostErrors.cend(); ++it) {
        he.insert(it.key(), it.value());
    }
    QStringList alive(aliveAtLeader.cbegin(), aliveAtLeader.cend());
    alive.sort();
    return QJsonObject{{u"versions"_s, v},
                       {u"unreachable"_s, u},
                       {u"aliveAtLeader"_s, QJsonArray::fromStringList(alive)},
                       {u"leader"_s, leader},
                       {u"incompleteChunks"_s, QJsonArray::fromStringList(incompleteChunks)},
                       {u"chunksError"_s, chunksError},
                       {u"serverProcesses"_s, p},
                       {u"hostErrors"_s, he},
                       {u"checkedAtMs"_s, double(checkedAtMs)}};
}

LiveClusterState readLiveClusterState(ClusterAccess &cluster, const QMap<QString, std::shared_ptr<Ssh::RemoteShell>> &shells)
{
    LiveClusterState live;
    live.checkedAtMs = QDateTime::currentMSecsSinceEpoch();
    QMutex mutex;
    QThreadPool pool;
    const QList<HostAccess> hosts = cluster.profile().hosts;
    pool.setMaxThreadCount(qMax(1, int(hosts.size())));
    QList<QFuture<void>> work;
    for (const HostAccess &h : hosts) {
        work << QtConcurrent::run(&pool, [&, h] {
            // Each node on a fresh connection: an old one may outlive a node that was replaced.
            for (const Core::ClusterNode &n : cluster.nodesOnHost(h.address)) {
                cluster.close(n.alias);
                Result<QString> v = cluster.nodeVersion(n.alias);
                QMutexLocker lock(&mutex);
                if (v) {
                    live.versions.insert(n.alias, v->trimmed());
                } else {
                    live.unreachable.insert(n.alias, v.error().message);
                }
            }
            const std::shared_ptr<Ssh::RemoteShell> shell = shells.value(h.address);
            if (!shell) {
                QMutexLocker lock(&mutex);
                live.hostErrors.insert(h.address, u"no SSH connection"_s);
                live.serverProcesses.insert(h.address, -1);
                return;
            }
            Ssh::ExecOptions o;
            o.totalTimeoutMs = 30000;
            Result<Ssh::ExecResult> r = shell->exec(HostCommands::listServerProcesses(QDir::cleanPath(h.installDir)), o);
            QMutexLocker lock(&mutex);
            if (!r || !r->succeeded()) {
                live.hostErrors.insert(h.address, r ? r->statusText() : r.error().message);
                live.serverProcesses.insert(h.address, -1);
            } else {
                live.serverProcesses.insert(h.address, int(QString::fromUtf8(r->stdoutData).split(u'\n', Qt::SkipEmptyParts).size()));
            }
        });
    }
    Result<QString> leader = cluster.findLeader();
    if (leader) {
        live.leader = *leader;
    }
    Result<QList<DolphinDb::ClusterNode>> perf = cluster.clusterPerf();
    if (perf) {
        for (const DolphinDb::ClusterNode &n : *perf) {
            if (n.alive) {
                live.aliveAtLeader.insert(n.name);
            }
        }
    }
    Result<QList<ChunkStatus>> chunks = cluster.chunks();
    if (!chunks) {
        live.chunksError = chunks.error().message;
    } else {
        for (const ChunkStatus &c : *chunks) {
            if (!c.isComplete()) {
                live.incompleteChunks << u"%1 (%2, %3)"_s.arg(c.chunkId, c.file, c.state);
            }
        }
    }
    for (QFuture<void> &f : work) {
        f.waitForFinished();
    }
    return live;
}

QStringList differencesFromExpected(const ClusterAccess &cluster, const LiveClusterState &live, const QString &version,
                                    const QSet<QString> &hosts, bool chunksComplete)
{
    QStringList diff;
    const QString want = versionNumber(version);
    for (const HostAccess &h : cluster.profile().hosts) {
        if (!hosts.isEmpty() && !hosts.contains(h.address)) {
            continue;
        }
        for (const Core::ClusterNode &n : cluster.nodesOnHost(h.address)) {
            if (live.unreachable.contains(n.alias)) {
                diff << u"%1 (%2:%3) does not answer: %4"_s.arg(n.alias, n.host).arg(n.port).arg(live.unreachable.value(n.alias));
            } else if (versionNumber(live.versions.value(n.alias)) != want) {
                diff << u"%1 runs %2, not %3"_s.arg(n.alias, live.versions.value(n.alias), want);
            }
            // Agents and controllers are not in every server's getClusterPerf; data and compute
            // nodes are, and must be alive there (answering alone does not mean it rejoined).
            const bool listed = n.mode == Core::NodeMode::DataNode || n.mode == Core::NodeMode::ComputeNode;
            if (listed && !live.aliveAtLeader.isEmpty() && !live.aliveAtLeader.contains(n.alias)
                && !live.unreachable.contains(n.alias)) {
                diff << u"%1 answers but the leader does not list it as alive"_s.arg(n.alias);
            }
        }
        const int processes = live.serverProcesses.value(h.address, -1);
        if (live.hostErrors.contains(h.address)) {
            diff << u"host %1 could not be checked over SSH: %2"_s.arg(h.address, live.hostErrors.value(h.address));
        } else if (processes == 0 && !cluster.nodesOnHost(h.address).isEmpty()) {
            diff << u"host %1: no process of %2 runs"_s.arg(h.address, QDir::cleanPath(h.installDir));
        }
    }
    if (live.leader.isEmpty()) {
        diff << u"no controller knows a Raft leader"_s;
    }
    if (live.aliveAtLeader.isEmpty() && !live.leader.isEmpty()) {
        diff << u"the leader's getClusterPerf could not be read"_s;
    }
    if (!chunksComplete) {
        return diff;
    }
    if (!live.chunksError.isEmpty()) {
        diff << u"the chunks could not be read: "_s + live.chunksError;
    } else if (!live.incompleteChunks.isEmpty()) {
        diff << u"%1 chunk(s) not COMPLETE: %2"_s.arg(live.incompleteChunks.size()).arg(live.incompleteChunks.mid(0, 10).join(u", "_s));
    }
    return diff;
}

} // namespace GrayStep::Engine
