// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

namespace GrayStep::Sim {

// One node of an emulated host, as cluster.nodes lists it.
struct SandboxNode
{
    QString alias;
    QString mode;   // "controller", "agent", "datanode" (also "computenode" from a user's files)
    quint16 port = 0;
};

// One emulated host: a loopback address with its own install tree and sshd.
struct SandboxHost
{
    int index = 0;                 // 1-based; the tree is D/host<index>
    QString address;               // loopback address the nodes bind to
    QString originalAddress;       // --from-config: the user's address this host stands for
    QList<SandboxNode> nodes;      // controller first, then agent, then data nodes

    QString controllerAlias() const;   // empty when the host has no controller
    QString agentAlias() const;        // empty when the host has no agent
    QStringList dataNodeAliases() const;
    const SandboxNode *node(const QString &alias) const;
    QString site(const SandboxNode &node) const { return address + u':' + QString::number(node.port) + u':' + node.alias; }
};

// Everything `up` needs to lay out and start a sandbox. Built by seedSpec() (the tutorial's
// topology, extended to N hosts) or by specFromConfigDir() (a user's own cluster).
struct SandboxSpec
{
    QList<SandboxHost> hosts;
    QString version = QStringLiteral("2.00.7.4");   // the version the hosts start at
    bool ssh = true;
    bool fast = false;                              // write the test timing knobs
    quint16 sshPort = 2222;
    // --from-config: settings kept from the user's files (key, value), in file order; paths dropped.
    QList<QPair<QString, QString>> controllerSettings;
    QList<QPair<QString, QString>> clusterSettings;
    QList<QPair<QString, QString>> agentSettings;
    QStringList droppedSettings;                    // "cluster.cfg: volumes=/ssd1/vol (a path on the real host)"
    QString fromConfigDir;                          // empty for the seed topology
    QMap<QString, QString> remap;                   // user's address -> loopback address

    QList<SandboxNode> allNodes() const;
    const SandboxHost *hostOf(const QString &alias) const;
    QStringList controllerSites() const;            // "addr:port:alias" of every controller
    QStringList dataNodeAliases() const;
};

// The versions the sandbox can build packages for, with their build dates.
QString buildDateOf(const QString &version);        // "" when unknown
QStringList knownVersions();
inline QString versionLine(const QString &version) { return version + u' ' + buildDateOf(version); }
inline constexpr auto TargetVersion = "2.00.8.12";

// "127.0.10.1" + (n - 1) for n = 1..count; an error when not loopback or past .254.
Core::Result<QStringList> loopbackAddresses(const QString &base, int count);

// The seed topology: hosts 1..N with agent<42+i> and node<42+i> on every host, and controllers
// HActl<42+i> on the first `controllers` hosts (default: min(N, 3); a Raft group wants an odd count).
Core::Result<SandboxSpec> seedSpec(int hosts, const QString &baseAddress, int controllers = 0);

// --from-config: the user's controller.cfg, cluster.nodes, cluster.cfg and agent.cfg (only
// cluster.nodes is required). Aliases, modes and ports are kept; each distinct host address
// becomes a loopback address (in order of first appearance); settings that name paths on the
// real hosts are dropped (listed in droppedSettings).
Core::Result<SandboxSpec> specFromConfigDir(const QString &dir, const QString &baseAddress);

// The contents of the files a host's clusterDemo/config holds.
QString controllerCfgText(const SandboxSpec &spec, const SandboxHost &host);
QString clusterNodesText(const SandboxSpec &spec);
QString clusterCfgText(const SandboxSpec &spec);
QString agentCfgText(const SandboxSpec &spec, const SandboxHost &host);

} // namespace GrayStep::Sim
