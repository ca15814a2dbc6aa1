// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "dolphindb/scripts.h"

#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>

namespace GrayStep::Engine {

class ClusterAccess;

// The chunks that would have no live replica left if HOST stopped: every replica is on HOST or
// on a node not in ALIVE. `downElsewhere` collects the dead holders that make it so (the nodes
// to start first). `hostOf` maps a node alias to its host address.
QStringList chunksLosingEveryLiveReplica(const QList<DolphinDb::ChunkStatus> &chunks, const QSet<QString> &alive,
                                         const std::function<QString(const QString &)> &hostOf, const QString &host,
                                         QSet<QString> *downElsewhere = nullptr);

// What must hold, live, right before HOST's nodes are stopped (DESIGN.md §3 step 1, re-checked
// before every host because any of it can change after the pre-flight): a Raft leader, every
// node of the cluster alive at the leader and answering, no chunk that would lose every live
// replica when HOST stops, no recovery or rebalance task pending. Each problem is one line
// saying what and where, with what to do.
struct HostGateResult
{
    QStringList problems;
    QString leader;
    QJsonObject evidence;   // what was read (for the journal and the report)
    bool passed() const { return problems.isEmpty(); }
};
HostGateResult checkHostGate(ClusterAccess &cluster, const QString &host);

} // namespace GrayStep::Engine
