// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "ssh/remoteshell.h"

#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace GrayStep::Engine {

class ClusterAccess;

// What the cluster is now, read live for a claim (DESIGN.md §6 "no success without looking"):
// every node asked on a fresh connection, the leader's view of who is alive, the chunks, and
// on each host (over SSH, host key verified) the processes of the install.
struct LiveClusterState
{
    QMap<QString, QString> versions;        // alias -> version text; absent when it did not answer
    QMap<QString, QString> unreachable;     // alias -> why it did not answer
    QSet<QString> aliveAtLeader;            // getClusterPerf alive (empty when unreadable)
    QString leader;                         // empty when none answered
    QStringList incompleteChunks;           // "chunk (file, state)"
    QString chunksError;                    // set when the chunks could not be read
    QMap<QString, int> serverProcesses;     // host -> processes of its install (-1: could not look)
    QMap<QString, QString> hostErrors;      // host -> why it could not be checked
    qint64 checkedAtMs = 0;

    QJsonObject toJson() const;
};

// Reads the live state. `shells` maps host address to a connected shell (a missing host is
// connected by the caller's `connect` when given, else reported as not checked). Blocking.
LiveClusterState readLiveClusterState(ClusterAccess &cluster,
                                      const QMap<QString, std::shared_ptr<Ssh::RemoteShell>> &shells);

// The differences between LIVE and "every node of the topology answers, runs VERSION (its
// first four components), is alive at the leader, every chunk is COMPLETE, a leader exists,
// every host's install has processes running". Empty: the claim holds. `hosts` limits the
// node checks to those hosts (empty: all); `chunksComplete` false leaves the chunks out (a host
// just rolled back is still recovering).
QStringList differencesFromExpected(const ClusterAccess &cluster, const LiveClusterState &live, const QString &version,
                                    const QSet<QString> &hosts = {}, bool chunksComplete = true);

} // namespace GrayStep::Engine
