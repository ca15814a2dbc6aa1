// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace GrayStep::Sim {

// One replicated command. `op` is what the DFS state machine applies (DfsMeta::apply).
struct RaftEntry
{
    qint64 index = 0;
    qint64 term = 0;
    QJsonObject op;

    QJsonObject toJson() const;
    static RaftEntry fromJson(const QJsonObject &o);
};

struct VoteRequest
{
    qint64 term = 0;
    QString candidate;
    qint64 lastLogIndex = 0;
    qint64 lastLogTerm = 0;
};

struct VoteReply
{
    qint64 term = 0;
    bool granted = false;
};

struct AppendRequest
{
    qint64 term = 0;
    QString leader;
    qint64 prevLogIndex = 0;
    qint64 prevLogTerm = 0;
    QList<RaftEntry> entries;
    qint64 leaderCommit = 0;
    // Set instead of entries when the follower is behind the leader's snapshot.
    bool hasSnapshot = false;
    qint64 snapshotIndex = 0;
    qint64 snapshotTerm = 0;
    QJsonObject snapshot;

    QJsonObject toJson() const;
    static AppendRequest fromJson(const QJsonObject &o);
};

struct AppendReply
{
    qint64 term = 0;
    bool success = false;
    qint64 matchIndex = 0; // on success: last index the follower holds; on failure: a hint
};

// A Raft state machine without I/O or timers of its own: the controller service feeds it
// the time, the messages it receives and the replies to the ones it sent. Majority is counted
// over all controllers named in cluster.nodes (including this one).
class RaftCore final
{
public:
    enum class Role { Follower, Candidate, Leader };

    RaftCore(QString self, QStringList members);

    // Persistent state (restored by the controller from its raft directory).
    void restore(qint64 term, const QString &votedFor, qint64 snapshotIndex, qint64 snapshotTerm,
                 QList<RaftEntry> log, qint64 appliedIndex);

    const QString &self() const { return m_self; }
    const QStringList &members() const { return m_members; }
    QStringList peers() const;
    int majority() const { return int(m_members.size()) / 2 + 1; }

    Role role() const { return m_role; }
    bool isLeader() const { return m_role == Role::Leader; }
    qint64 term() const { return m_term; }
    QString votedFor() const { return m_votedFor; }
    QString leader() const { return m_leader; }
    qint64 commitIndex() const { return m_commitIndex; }
    qint64 lastIndex() const;
    qint64 lastTerm() const;
    qint64 snapshotIndex() const { return m_snapshotIndex; }
    qint64 snapshotTerm() const { return m_snapshotTerm; }
    const QList<RaftEntry> &log() const { return m_log; }
    qint64 termAt(qint64 index) const; // -1 when unknown (compacted or beyond the end)

    // Timers: the service decides when the election timeout elapsed.
    VoteRequest startElection();
    VoteReply handleVoteRequest(const VoteRequest &req);
    void handleVoteReply(const QString &from, qint64 electionTerm, const VoteReply &reply);

    bool needsSnapshot(const QString &peer) const { return m_nextIndex.value(peer, lastIndex() + 1) <= m_snapshotIndex; }
    AppendRequest appendRequestFor(const QString &peer, const QJsonObject &snapshotState, int maxEntries = 256) const;
    // Returns true when the request came from a legitimate leader (reset the election timer).
    bool handleAppend(const AppendRequest &req, AppendReply *reply);
    void handleAppendReply(const QString &from, const AppendRequest &sent, const AppendReply &reply);

    // Leader only: appends a command; returns its index (0 when not leader).
    qint64 propose(const QJsonObject &op);

    // Committed entries not yet handed out; a snapshot received from the leader is returned first.
    QList<RaftEntry> takeCommitted();
    bool takeInstalledSnapshot(QJsonObject *state, qint64 *index);

    // Drops log entries up to `index` (already captured in a DFS checkpoint).
    void compact(qint64 index);

    // What changed since the last call (the service persists accordingly).
    bool takeMetaDirty();
    bool takeLogRewrite();        // the log was truncated or compacted: rewrite the file
    QList<RaftEntry> takeAppended(); // entries appended since the last call (append to the file)

    void stepDown(qint64 newTerm);

private:
    void becomeLeader();
    void advanceCommit();
    qint64 lastLogTermFor(qint64 index) const { return termAt(index); }

    QString m_self;
    QStringList m_members;
    Role m_role = Role::Follower;
    qint64 m_term = 0;
    QString m_votedFor;
    QString m_leader;
    QList<RaftEntry> m_log;
    qint64 m_snapshotIndex = 0;
    qint64 m_snapshotTerm = 0;
    qint64 m_commitIndex = 0;
    qint64 m_handedOut = 0;
    QHash<QString, bool> m_votes;
    QHash<QString, qint64> m_nextIndex;
    QHash<QString, qint64> m_matchIndex;
    bool m_metaDirty = false;
    bool m_logRewrite = false;
    QList<RaftEntry> m_appended;
    bool m_snapshotInstalled = false;
    QJsonObject m_installedSnapshot;
};

QString raftRoleName(RaftCore::Role role);

} // namespace GrayStep::Sim
