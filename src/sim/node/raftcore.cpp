// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/raftcore.h"

#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

QString raftRoleName(RaftCore::Role role)
{
    switch (role) {
    case RaftCore::Role::Follower:
        return u"follower"_s;
    case RaftCore::Role::Candidate:
        return u"candidate"_s;
    case RaftCore::Role::Leader:
        return u"leader"_s;
    }
    return {};
}

QJsonObject RaftEntry::toJson() const
{
    return QJsonObject{{u"i"_s, index}, {u"t"_s, term}, {u"op"_s, op}};
}

RaftEntry RaftEntry::fromJson(const QJsonObject &o)
{
    RaftEntry e;
    e.index = o.value(u"i"_s).toInteger();
    e.term = o.value(u"t"_s).toInteger();
    e.op = o.value(u"op"_s).toObject();
    return e;
}

QJsonObject AppendRequest::toJson() const
{
    QJsonObject o{{u"term"_s, term},         {u"leader"_s, leader},
                  {u"prevIndex"_s, prevLogIndex}, {u"prevTerm"_s, prevLogTerm},
                  {u"commit"_s, leaderCommit}};
    QJsonArray list;
    for (const RaftEntry &e : entries)
        list.append(e.toJson());
    o.insert(u"entries"_s, list);
    if (hasSnapshot) {
        o.insert(u"snapIndex"_s, snapshotIndex);
        o.insert(u"snapTerm"_s, snapshotTerm);
        o.insert(u"snapshot"_s, snapshot);
    }
    return o;
}

AppendRequest AppendRequest::fromJson(const QJsonObject &o)
{
    AppendRequest r;
    r.term = o.value(u"term"_s).toInteger();
    r.leader = o.value(u"leader"_s).toString();
    r.prevLogIndex = o.value(u"prevIndex"_s).toInteger();
    r.prevLogTerm = o.value(u"prevTerm"_s).toInteger();
    r.leaderCommit = o.value(u"commit"_s).toInteger();
    const QJsonArray list = o.value(u"entries"_s).toArray();
    for (const QJsonValue &v : list)
        r.entries << RaftEntry::fromJson(v.toObject());
    if (o.contains(u"snapshot"_s)) {
        r.hasSnapshot = true;
        r.snapshotIndex = o.value(u"snapIndex"_s).toInteger();
        r.snapshotTerm = o.value(u"snapTerm"_s).toInteger();
        r.snapshot = o.value(u"snapshot"_s).toObject();
    }
    return r;
}

RaftCore::RaftCore(QString self, QStringList members)
    : m_self(std::move(self))
    , m_members(std::move(members))
{
    if (!m_members.contains(m_self))
        m_members << m_self;
}

void RaftCore::restore(qint64 term, const QString &votedFor, qint64 snapshotIndex, qint64 snapshotTerm,
                       QList<RaftEntry> log, qint64 appliedIndex)
{
    m_term = term;
    m_votedFor = votedFor;
    m_snapshotIndex = snapshotIndex;
    m_snapshotTerm = snapshotTerm;
    m_log.clear();
    for (RaftEntry &e : log) {
        if (e.index <= m_snapshotIndex)
            continue;
        if (e.index != lastIndex() + 1)
            break; // a gap: keep the consistent prefix only
        m_log << std::move(e);
    }
    m_commitIndex = qBound(m_snapshotIndex, appliedIndex, lastIndex());
    m_handedOut = m_commitIndex;
}

QStringList RaftCore::peers() const
{
    QStringList list = m_members;
    list.removeAll(m_self);
    return list;
}

qint64 RaftCore::lastIndex() const
{
    return m_log.isEmpty() ? m_snapshotIndex : m_log.last().index;
}

qint64 RaftCore::lastTerm() const
{
    return m_log.isEmpty() ? m_snapshotTerm : m_log.last().term;
}

qint64 RaftCore::termAt(qint64 index) const
{
    if (index == m_snapshotIndex)
        return m_snapshotTerm;
    if (index < m_snapshotIndex || index > lastIndex())
        return -1;
    return m_log.at(index - m_snapshotIndex - 1).term;
}

void RaftCore::stepDown(qint64 newTerm)
{
    if (newTerm > m_term) {
        m_term = newTerm;
        m_votedFor.clear();
        m_metaDirty = true;
    }
    if (m_role == Role::Leader)
        m_leader.clear();
    m_role = Role::Follower;
}

VoteRequest RaftCore::startElection()
{
    m_term += 1;
    m_role = Role::Candidate;
    m_votedFor = m_self;
    m_leader.clear();
    m_votes.clear();
    m_votes.insert(m_self, true);
    m_metaDirty = true;
    if (majority() <= 1)
        becomeLeader();
    return VoteRequest{m_term, m_self, lastIndex(), lastTerm()};
}

VoteReply RaftCore::handleVoteRequest(const VoteRequest &req)
{
    if (req.term > m_term)
        stepDown(req.term);
    VoteReply reply{m_term, false};
    if (req.term < m_term)
        return reply;
    const bool upToDate = req.lastLogTerm > lastTerm() || (req.lastLogTerm == lastTerm() && req.lastLogIndex >= lastIndex());
    if ((m_votedFor.isEmpty() || m_votedFor == req.candidate) && upToDate && m_role != Role::Leader) {
        m_votedFor = req.candidate;
        m_metaDirty = true;
        reply.granted = true;
    }
    return reply;
}

void RaftCore::handleVoteReply(const QString &from, qint64 electionTerm, const VoteReply &reply)
{
    if (reply.term > m_term) {
        stepDown(reply.term);
        return;
    }
    if (m_role != Role::Candidate || electionTerm != m_term || !reply.granted)
        return;
    m_votes.insert(from, true);
    if (m_votes.size() >= majority())
        becomeLeader();
}

void RaftCore::becomeLeader()
{
    m_role = Role::Leader;
    m_leader = m_self;
    m_metaDirty = true;
    m_nextIndex.clear();
    m_matchIndex.clear();
    for (const QString &p : peers()) {
        m_nextIndex.insert(p, lastIndex() + 1);
        m_matchIndex.insert(p, 0);
    }
    // An entry of the new term lets earlier entries commit (Raft §5.4.2).
    propose(QJsonObject{{u"op"_s, u"noop"_s}, {u"leader"_s, m_self}});
}

AppendRequest RaftCore::appendRequestFor(const QString &peer, const QJsonObject &snapshotState, int maxEntries) const
{
    AppendRequest req;
    req.term = m_term;
    req.leader = m_self;
    req.leaderCommit = m_commitIndex;
    const qint64 next = m_nextIndex.value(peer, lastIndex() + 1);
    if (next <= m_snapshotIndex) {
        req.hasSnapshot = true;
        req.snapshotIndex = m_handedOut;
        req.snapshotTerm = termAt(m_handedOut);
        req.snapshot = snapshotState;
        return req;
    }
    req.prevLogIndex = next - 1;
    req.prevLogTerm = termAt(next - 1);
    for (qint64 i = next; i <= lastIndex() && req.entries.size() < maxEntries; ++i)
        req.entries << m_log.at(i - m_snapshotIndex - 1);
    return req;
}

bool RaftCore::handleAppend(const AppendRequest &req, AppendReply *reply)
{
    reply->term = m_term;
    reply->success = false;
    reply->matchIndex = lastIndex();
    if (req.term < m_term)
        return false;
    if (req.term > m_term || m_role != Role::Follower)
        stepDown(req.term);
    reply->term = m_term;
    if (m_leader != req.leader) {
        m_leader = req.leader;
        m_metaDirty = true;
    }
    if (req.hasSnapshot) {
        if (req.snapshotIndex > m_handedOut) {
            m_log.clear();
            m_snapshotIndex = req.snapshotIndex;
            m_snapshotTerm = req.snapshotTerm;
            m_commitIndex = m_handedOut = req.snapshotIndex;
            m_snapshotInstalled = true;
            m_installedSnapshot = req.snapshot;
            m_logRewrite = true;
            m_appended.clear();
        }
        reply->success = true;
        reply->matchIndex = lastIndex();
        return true;
    }
    if (req.prevLogIndex > lastIndex()) {
        reply->matchIndex = lastIndex();
        return true;
    }
    if (req.prevLogIndex >= m_snapshotIndex && termAt(req.prevLogIndex) != req.prevLogTerm) {
        reply->matchIndex = qMax(m_snapshotIndex, qMin(req.prevLogIndex - 1, m_commitIndex));
        return true;
    }
    for (const RaftEntry &e : req.entries) {
        if (e.index <= m_snapshotIndex)
            continue;
        if (e.index <= lastIndex()) {
            if (termAt(e.index) == e.term)
                continue;
            if (e.index <= m_commitIndex)
                continue; // never drop committed entries
            m_log.resize(e.index - m_snapshotIndex - 1);
            m_logRewrite = true;
        }
        m_log << e;
        m_appended << e;
    }
    const qint64 lastNew = req.prevLogIndex + req.entries.size();
    if (req.leaderCommit > m_commitIndex)
        m_commitIndex = qMin(req.leaderCommit, qMax(lastNew, m_commitIndex));
    m_commitIndex = qMin(m_commitIndex, lastIndex());
    reply->success = true;
    reply->matchIndex = lastNew;
    return true;
}

void RaftCore::handleAppendReply(const QString &from, const AppendRequest &sent, const AppendReply &reply)
{
    if (reply.term > m_term) {
        stepDown(reply.term);
        return;
    }
    if (m_role != Role::Leader || sent.term != m_term)
        return;
    if (reply.success) {
        m_matchIndex[from] = qMax(m_matchIndex.value(from), reply.matchIndex);
        m_nextIndex[from] = m_matchIndex.value(from) + 1;
        advanceCommit();
    } else {
        m_nextIndex[from] = qMax<qint64>(1, qMin(m_nextIndex.value(from, 1) - 1, reply.matchIndex + 1));
    }
}

void RaftCore::advanceCommit()
{
    for (qint64 n = lastIndex(); n > m_commitIndex; --n) {
        if (termAt(n) != m_term)
            break;
        int count = 1;
        for (auto it = m_matchIndex.cbegin(); it != m_matchIndex.cend(); ++it)
            count += it.value() >= n ? 1 : 0;
        if (count >= majority()) {
            m_commitIndex = n;
            break;
        }
    }
}

qint64 RaftCore::propose(const QJsonObject &op)
{
    if (m_role != Role::Leader)
        return 0;
    RaftEntry e{lastIndex() + 1, m_term, op};
    m_log << e;
    m_appended << e;
    advanceCommit();
    return e.index;
}

QList<RaftEntry> RaftCore::takeCommitted()
{
    QList<RaftEntry> out;
    for (qint64 i = qMax(m_handedOut, m_snapshotIndex) + 1; i <= m_commitIndex; ++i)
        out << m_log.at(i - m_snapshotIndex - 1);
    m_handedOut = qMax(m_handedOut, m_commitIndex);
    return out;
}

bool RaftCore::takeInstalledSnapshot(QJsonObject *state, qint64 *index)
{
    if (!m_snapshotInstalled)
        return false;
    m_snapshotInstalled = false;
    *state = m_installedSnapshot;
    *index = m_snapshotIndex;
    m_installedSnapshot = {};
    return true;
}

void RaftCore::compact(qint64 index)
{
    index = qMin(index, m_handedOut);
    if (index <= m_snapshotIndex)
        return;
    const qint64 t = termAt(index);
    m_log.remove(0, index - m_snapshotIndex);
    m_snapshotIndex = index;
    m_snapshotTerm = t;
    m_logRewrite = true;
}

bool RaftCore::takeMetaDirty()
{
    return std::exchange(m_metaDirty, false);
}

bool RaftCore::takeLogRewrite()
{
    return std::exchange(m_logRewrite, false);
}

QList<RaftEntry> RaftCore::takeAppended()
{
    return std::exchange(m_appended, {});
}

} // namespace GrayStep::Sim
