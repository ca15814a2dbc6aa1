// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/clustertopology.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Core {

QString nodeModeName(NodeMode mode)
{
    switch (mode) {
    case NodeMode::Controller: return u"controller"_s;
    case NodeMode::Agent: return u"agent"_s;
    case NodeMode::DataNode: return u"datanode"_s;
    case NodeMode::ComputeNode: return u"computenode"_s;
    }
    return {};
}

std::optional<NodeMode> nodeModeFromName(QStringView name)
{
    for (NodeMode m : {NodeMode::Controller, NodeMode::Agent, NodeMode::DataNode, NodeMode::ComputeNode}) {
        if (name == nodeModeName(m)) {
            return m;
        }
    }
    return std::nullopt;
}

QString TopologyProblem::toString() const
{
    if (line > 0) {
        return file + u':' + QString::number(line) + u": "_s + message;
    }
    return file + u": "_s + message;
}

QString ClusterNode::site() const
{
    return host + u':' + QString::number(port) + u':' + alias;
}

QString ClusterNode::chunkMetaDir(const QString &home) const
{
    if (mode != NodeMode::DataNode) {
        return {};
    }
    if (const QString dir = config.value(u"chunkMetaDir"_s).trimmed(); !dir.isEmpty()) {
        return dir;
    }
    if (const QString first = config.value(u"volumes"_s).section(u',', 0, 0).trimmed(); !first.isEmpty()) {
        return first;
    }
    return home + u'/' + alias + u"/storage"_s;
}

QString ClusterNode::dfsMetaDir(const QString &home) const
{
    if (mode != NodeMode::Controller) {
        return {};
    }
    if (const QString dir = config.value(u"dfsMetaDir"_s).trimmed(); !dir.isEmpty()) {
        return dir;
    }
    return home + u'/' + alias + u"/dfsMeta"_s;
}

QString ClusterNode::raftDir(const QString &home) const
{
    return mode == NodeMode::Controller ? home + u'/' + alias + u"/raft"_s : QString();
}

const ClusterNode *ClusterTopology::node(const QString &alias) const
{
    const auto it = std::find_if(nodes.cbegin(), nodes.cend(),
                                 [&](const ClusterNode &n) { return n.alias == alias; });
    return it == nodes.cend() ? nullptr : &*it;
}

QList<ClusterNode> ClusterTopology::nodesOnHost(const QString &address) const
{
    QList<ClusterNode> result;
    std::copy_if(nodes.cbegin(), nodes.cend(), std::back_inserter(result),
                 [&](const ClusterNode &n) { return n.host == address; });
    return result;
}

QList<ClusterNode> ClusterTopology::nodesWithMode(NodeMode mode) const
{
    QList<ClusterNode> result;
    std::copy_if(nodes.cbegin(), nodes.cend(), std::back_inserter(result),
                 [&](const ClusterNode &n) { return n.mode == mode; });
    return result;
}

bool ClusterTopology::hasErrors() const
{
    return std::any_of(problems.cbegin(), problems.cend(),
                       [](const TopologyProblem &p) { return p.severity == Severity::Error; });
}

} // namespace GrayStep::Core
