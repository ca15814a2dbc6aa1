// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace GrayStep::Core {

// The role of a node, as the `mode` column of cluster.nodes names it.
enum class NodeMode { Controller, Agent, DataNode, ComputeNode };

// "controller", "agent", "datanode", "computenode".
QString nodeModeName(NodeMode mode);
// The inverse of nodeModeName (exact, lower case); std::nullopt for anything else.
std::optional<NodeMode> nodeModeFromName(QStringView name);

enum class Severity { Warning, Error };

// One finding in the configuration files. `line` is 1-based; 0 means the file as a whole.
struct TopologyProblem
{
    QString file;       // file name as the DBA knows it, e.g. "cluster.nodes"
    int line = 0;
    Severity severity = Severity::Error;
    QString message;

    // "cluster.nodes:3: unknown mode ..." ("cluster.nodes: ..." when line is 0).
    QString toString() const;
    bool operator==(const TopologyProblem &other) const = default;
};

// One node of cluster.nodes with its effective configuration.
struct ClusterNode
{
    QString alias;
    NodeMode mode = NodeMode::DataNode;
    QString host;
    quint16 port = 0;
    QString computeGroup;   // only for compute nodes, empty when not given
    int line = 0;           // line in cluster.nodes

    // The settings this node runs with, key -> value:
    //  - controllers: controller.cfg, agents: agent.cfg (both with localSite set to this
    //    node's site; these files are per host, the others are assumed to match);
    //  - data and compute nodes: cluster.cfg's global settings (`<ALIAS>` expanded), then
    //    every `pattern.key=value` whose alias pattern matches, in file order (last wins).
    // Every node also has `mode` and `localSite`.
    QMap<QString, QString> config;

    // "host:port:alias", the localSite form.
    QString site() const;

    // Where this node keeps the metadata an upgrade backs up (PROTOCOL.md §7.3), from its
    // effective config, else DolphinDB's defaults under `home` (the node's -home directory,
    // "<install>/server/clusterDemo/data" in the standard layout). Relative configured
    // paths are returned as written. Empty for modes that have no such directory.
    //  - data nodes: chunkMetaDir, else the first of `volumes`, else <home>/<alias>/storage
    //    (the CHUNK_METADATA directory lives inside it);
    //  - controllers: dfsMetaDir, else <home>/<alias>/dfsMeta; raft: <home>/<alias>/raft.
    QString chunkMetaDir(const QString &home) const;
    QString dfsMetaDir(const QString &home) const;
    QString raftDir(const QString &home) const;
};

// The nodes that run on one machine (grouped by the exact host text).
struct ClusterHost
{
    QString address;
    QStringList aliases;   // in cluster.nodes order
};

// The cluster as described by its configuration files, with every problem found.
// Always usable: nodes that could not be parsed are left out and reported in problems.
struct ClusterTopology
{
    QList<ClusterNode> nodes;          // in cluster.nodes order
    QList<ClusterHost> hosts;          // in order of first appearance in cluster.nodes
    QList<TopologyProblem> problems;   // sorted by file (controller.cfg, cluster.nodes,
                                       // cluster.cfg, agent.cfg), then line

    const ClusterNode *node(const QString &alias) const;   // nullptr when absent
    QList<ClusterNode> nodesOnHost(const QString &address) const;
    QList<ClusterNode> nodesWithMode(NodeMode mode) const;
    bool hasErrors() const;   // a problem of Error severity exists
};

} // namespace GrayStep::Core
