// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

// Parsers for the four DolphinDB cluster configuration files (PROTOCOL.md §7.2).
//
// Every parser takes the raw bytes and never fails: it returns what it understood
// and a list of problems with file and line. Lines may end in LF or CRLF, a UTF-8 BOM
// is skipped, lines starting with '#' are comments, blank lines are ignored (except as
// the first line, which DolphinDB refuses), and spaces around '=' and ',' are ignored.

namespace GrayStep::Core {

// "host:port:alias" as used by localSite and controllerSite.
struct Site
{
    QString host;
    quint16 port = 0;
    QString alias;

    QString toString() const;   // "host:port:alias"
};

// Parses "host:port:alias". `what` names the value in the error ("localSite"), e.g.
// "malformed localSite '10.0.0.1:99999:ctl': port 99999 is out of range (1-65535)".
Result<Site> parseSite(QStringView text, const QString &what);

// One `key=value` line. In cluster.cfg, `alias.key=value` puts the alias pattern
// (with DolphinDB's '%' and '?' wildcards) in aliasPattern; it is empty otherwise.
struct ConfigSetting
{
    QString aliasPattern;
    QString key;
    QString value;
    int line = 0;
};

// A parsed controller.cfg, agent.cfg or cluster.cfg.
struct ConfigFile
{
    QString file;
    QList<ConfigSetting> settings;    // in file order
    QList<TopologyProblem> problems;

    // The global (no alias pattern) setting named `key` (the last one if set twice), or nullptr.
    const ConfigSetting *find(const QString &key) const;
};

// A parsed cluster.nodes. Nodes have no effective config yet (see buildTopology).
struct NodesFile
{
    QString file;
    QList<ClusterNode> nodes;
    QList<TopologyProblem> problems;
};

ConfigFile parseControllerCfg(const QByteArray &content, const QString &file = QStringLiteral("controller.cfg"));
ConfigFile parseAgentCfg(const QByteArray &content, const QString &file = QStringLiteral("agent.cfg"));
ConfigFile parseClusterCfg(const QByteArray &content, const QString &file = QStringLiteral("cluster.cfg"));
NodesFile parseClusterNodes(const QByteArray &content, const QString &file = QStringLiteral("cluster.nodes"));

// Does `alias` match a cluster.cfg alias pattern ('%' = any run of characters, '?' = one)?
bool aliasMatches(const QString &pattern, const QString &alias);

// The contents of the four files; cluster.cfg and agent.cfg are optional.
struct TopologySources
{
    QByteArray controllerCfg;
    QByteArray clusterNodes;
    std::optional<QByteArray> clusterCfg;
    std::optional<QByteArray> agentCfg;

    // The names problems are reported under (the base names when read from disk).
    QString controllerCfgName = QStringLiteral("controller.cfg");
    QString clusterNodesName = QStringLiteral("cluster.nodes");
    QString clusterCfgName = QStringLiteral("cluster.cfg");
    QString agentCfgName = QStringLiteral("agent.cfg");
};

// Parses all files, checks them against each other (controller and agent sites against
// cluster.nodes, Raft needs >= 3 controllers, hosts need an agent, ...), groups the nodes
// by host and computes each node's effective configuration.
ClusterTopology buildTopology(const TopologySources &sources);

// Paths of the four files; empty clusterCfg/agentCfg means absent.
struct TopologyPaths
{
    QString controllerCfg;
    QString clusterNodes;
    QString clusterCfg;
    QString agentCfg;
};

// Reads and parses the files. Fails (ErrorCode::Io / NotFound) only when a file cannot
// be read or is larger than a configuration file can be (1 MiB); problems *in* the
// files are in ClusterTopology::problems. Blocking file I/O: call it off the GUI thread.
Result<ClusterTopology> loadTopology(const TopologyPaths &paths);

// Finds the files in `dir`, else in `dir/config`, else in `dir/clusterDemo/config`
// (a DolphinDB server folder). controller.cfg and cluster.nodes are required.
Result<TopologyPaths> findTopologyFiles(const QString &dir);

// findTopologyFiles + loadTopology.
Result<ClusterTopology> loadTopologyFromDirectory(const QString &dir);

} // namespace GrayStep::Core
