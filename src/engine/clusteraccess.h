// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/result.h"
#include "core/upgradeprofile.h"
#include "dolphindb/ddbconnection.h"
#include "dolphindb/ddbvalue.h"
#include "dolphindb/scripts.h"
#include "ssh/remoteshell.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>

#include <functional>
#include <memory>

namespace GrayStep::Engine {

// Resolves a profile's secret reference (environment variable; the sandbox's published
// default). Keychain and "ask" are the GUI's business: here they are an error that says so.
Core::Result<QString> resolveApiPassword(const Core::UpgradeProfile &profile);

// Makes the shell for one host of a profile: LocalShell for "access": "local", else SshShell
// with strict host key checking against the profile's known_hosts (unknown and changed keys
// are refused; nothing is ever trusted implicitly).
std::unique_ptr<Ssh::RemoteShell> makeHostShell(const Core::HostAccess &host);

// Where the engine keeps its files on a host: <parent of installDir>/.graystep
// (staged packages, backups, detached step state, the execution record).
QString hostStateDir(const Core::HostAccess &host);
QString hostStepDir(const Core::HostAccess &host);
QString hostExecutionLog(const Core::HostAccess &host);
// The node's -home directory in the standard layout: <installDir>/clusterDemo/data.
QString hostHomeDir(const Core::HostAccess &host);

// The cluster as the engine sees it: the profile, its parsed topology and blocking DolphinDB
// connections (one per node, opened on demand and reused). Blocking: call from worker threads
// only (DdbBlockingConnection refuses the GUI thread). Thread-safe: each call locks the
// connection it uses.
class ClusterAccess final
{
public:
    static Core::Result<std::unique_ptr<ClusterAccess>> create(const Core::UpgradeProfile &profile,
                                                               const QString &apiPassword);
    ~ClusterAccess();
    ClusterAccess(const ClusterAccess &) = delete;
    ClusterAccess &operator=(const ClusterAccess &) = delete;

    const Core::UpgradeProfile &profile() const { return m_profile; }
    const Core::ClusterTopology &topology() const { return m_topology; }
    QString apiPassword() const { return m_password; }

    // Runs a script on one node (by alias).
    Core::Result<DolphinDb::DdbValue> runOn(const QString &alias, const QString &script, int timeoutMs = 15000);
    // The Raft leader's alias: asks each controller getActiveMaster() (a follower answers
    // <NotLeader>host:port:alias). Fails when no controller answers or none knows a leader.
    Core::Result<QString> findLeader();
    // Runs a script on the leader controller (re-finding it once when it moved).
    Core::Result<DolphinDb::DdbValue> runOnLeader(const QString &script, int timeoutMs = 15000);

    // Typed reads through the leader.
    Core::Result<QList<DolphinDb::ChunkStatus>> chunks();
    Core::Result<QList<DolphinDb::ClusterNode>> clusterPerf();
    // version() of one node.
    Core::Result<QString> nodeVersion(const QString &alias);

    // The host (address) a node alias lives on; empty when unknown.
    QString hostOf(const QString &alias) const;
    QList<Core::ClusterNode> nodesOnHost(const QString &address) const { return m_topology.nodesOnHost(address); }

    // Called with (target, script) before each script is sent, on the calling thread: the
    // node's alias for runOn() and nodeVersion(); "<leader>" for runOnLeader(), chunks() and
    // clusterPerf() (finding the leader is part of it, not reported); "<controllers>" for
    // findLeader(). Set it before the access is used from several threads.
    using ScriptObserver = std::function<void(const QString &target, const QString &script)>;
    void setScriptObserver(ScriptObserver observer) { m_observer = std::move(observer); }

    // Closes every connection (e.g. before nodes stop).
    void closeAll();
    void close(const QString &alias);

private:
    ClusterAccess() = default;
    struct Link;
    std::shared_ptr<Link> link(const QString &alias);
    Core::Result<DolphinDb::DdbValue> send(const QString &alias, const QString &script, int timeoutMs);
    Core::Result<QString> leaderFromControllers();
    void observe(const QString &target, const QString &script) const
    {
        if (m_observer) {
            m_observer(target, script);
        }
    }

    Core::UpgradeProfile m_profile;
    Core::ClusterTopology m_topology;
    QString m_password;
    QMutex m_mutex;
    QHash<QString, std::shared_ptr<Link>> m_links;
    QString m_leader;
    ScriptObserver m_observer;
};

} // namespace GrayStep::Engine
