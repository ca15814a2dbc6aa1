// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "sim/node/raftcore.h"

namespace GrayStep::Sim {

// The controller's raft directory: raftHardState (term, vote, last known leader) and
// raftWAL.0 (one JSON line per log entry after the snapshot, with the snapshot index/term in
// the first line).
class RaftStore final
{
public:
    explicit RaftStore(QString dir);
    const QString &dir() const { return m_dir; }

    struct Loaded
    {
        qint64 term = 0;
        QString votedFor;
        QString leader;
        qint64 snapshotIndex = 0;
        qint64 snapshotTerm = 0;
        QList<RaftEntry> log;
    };
    Core::Result<Loaded> load() const;
    Core::Status saveHardState(qint64 term, const QString &votedFor, const QString &leader);
    Core::Status rewriteLog(qint64 snapshotIndex, qint64 snapshotTerm, const QList<RaftEntry> &log);
    Core::Status appendLog(const QList<RaftEntry> &entries);

    // Persists whatever the core changed since the last call.
    Core::Status sync(RaftCore &core);

private:
    QString m_dir;
    bool m_hardStateDirty = false; // a save failed: saved again at the next sync
    bool m_rewriteNeeded = false;  // an append failed: the whole log is written at the next sync
};

} // namespace GrayStep::Sim
