// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/nodeoptions.h"

#include <QList>
#include <QString>

#include <functional>

class QThreadPool;

namespace GrayStep::Sim {

// What every part of one node process knows about itself and the cluster (read-only after start).
struct NodeContext
{
    SiteInfo self;
    QString home;          // absolute -home directory (clusterDemo/data)
    QString workDir;       // absolute working directory (clusterDemo)
    QString executable;    // absolute path of this binary (agents spawn data nodes with it)
    QString version;       // "2.00.7.4 2022.12.08"
    Settings settings;     // effective config of this node
    Knobs knobs;
    QList<SiteInfo> cluster; // cluster.nodes (may be empty for a data node started without it)
    QThreadPool *background = nullptr; // for blocking peer calls made by timers

    NodeMode mode() const { return self.mode; }
    QList<SiteInfo> sitesOf(NodeMode mode) const;
    const SiteInfo *siteOf(const QString &alias) const;
    // Home of a node on this host: <home>/<alias>
    QString nodeHome(const QString &alias) const { return home + u'/' + alias; }
    QString chunkMetaDir() const;
    QString dfsMetaDir() const;
    QString raftDir() const;
    // The agent running on the same host as `alias` (real clusters pair them by host).
    const SiteInfo *agentFor(const QString &alias) const;
};

// Runs `fn` in the main (GUI-less) thread and waits for it; from the main thread it runs at once.
void runOnMain(const std::function<void()> &fn);

} // namespace GrayStep::Sim
