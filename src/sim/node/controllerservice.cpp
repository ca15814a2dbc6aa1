// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/controllerservice.h"

#include "sim/node/nodelog.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QThreadPool>
#include <QUuid>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

namespace {

// A chunk lock outlives a coordinator that died mid-write by this much at most.
constexpr qint64 kLockTtlMs = 3000;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

VoteRequest voteFromJson(const QJsonObject &o)
{
    return VoteRequest{o.value(u"term"_s).toInteger(), o.value(u"candidate"_s).toString(),
                       o.value(u"lastIndex"_s).toInteger(), o.value(u"lastTerm"_s).toInteger()};
}

} // namespace

ControllerService::ControllerService(const NodeContext &ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_raftStore(ctx.raftDir())
    , m_metaStore(ctx.dfsMetaDir())
{
    QStringList members;
    for (const SiteInfo &s : ctx.sitesOf(NodeMode::Controller))
        members << s.alias;
    m_raft = std::make_unique<RaftCore>(ctx.self.alias, members);
    m_electionTimer.setSingleShot(true);
    connect(&m_electionTimer, &QTimer::timeout, this, &ControllerService::onElectionTimeout);
    connect(&m_leaderTimer, &QTimer::timeout, this, &ControllerService::onLeaderTick);
    connect(&m_recoveryTimer, &QTimer::timeout, this, &ControllerService::onRecoveryTick);
}

ControllerService::~ControllerService() = default;

Core::Status ControllerService::start()
{
    auto meta = m_metaStore.load();
    if (!meta)
        return meta.error();
    auto raft = m_raftStore.load();
    if (!raft)
        return raft.error();
    m_meta = meta->meta;
    m_appliedIndex = meta->appliedIndex;
    // The DFS metadata is the snapshot Raft continues from; WAL entries after it are kept.
    m_raft->restore(raft->term, raft->votedFor, meta->appliedIndex, meta->appliedTerm, raft->log, meta->appliedIndex);
    (void)m_raftStore.rewriteLog(m_raft->snapshotIndex(), m_raft->snapshotTerm(), m_raft->log());
    NodeLog::instance().info(u"Raft group of %1 controllers, this is %2; term %3, applied DFS metadata index %4 from %5"_s
                                 .arg(m_raft->members().size())
                                 .arg(m_ctx.self.alias)
                                 .arg(m_raft->term())
                                 .arg(m_appliedIndex)
                                 .arg(m_ctx.dfsMetaDir()));
    m_leaderTimer.setInterval(int(qMax<qint64>(20, m_ctx.knobs.electionTimeoutMs / 5)));
    m_recoveryTimer.start(int(qBound(qint64(20), m_ctx.knobs.heartbeatIntervalMs / 2, qint64(500))));
    resetElectionTimer();
    return {};
}

QString ControllerService::notLeaderError() const
{
    const SiteInfo *leader = m_ctx.siteOf(m_raft->leader());
    if (!leader || m_raft->leader().isEmpty())
        return u"<ControllerNotAvail>There is no leader in the raft group at present."_s;
    return u"<NotLeader>"_s + leader->site();
}

bool ControllerService::isLive(const QString &alias) const
{
    auto it = m_live.constFind(alias);
    if (it == m_live.constEnd())
        return false;
    return nowMs() - it->lastHeartbeatMs <= 3 * m_ctx.knobs.heartbeatIntervalMs + 300;
}

bool ControllerService::controllerLive(const QString &alias) const
{
    if (alias == m_ctx.self.alias)
        return true;
    return nowMs() - m_peerAckMs.value(alias) <= m_ctx.knobs.electionTimeoutMs;
}

void ControllerService::setLocalFault(const QString &kind, const QString &value)
{
    m_localFaults.insert(kind, value);
}

QJsonObject ControllerService::siteJson(const QString &alias) const
{
    const SiteInfo *s = m_ctx.siteOf(alias);
    if (!s)
        return {};
    return QJsonObject{{u"alias"_s, s->alias}, {u"host"_s, s->host}, {u"port"_s, s->port}, {u"live"_s, isLive(alias)}};
}

void ControllerService::resetElectionTimer()
{
    qint64 timeout = m_ctx.knobs.electionTimeoutMs;
    timeout += qint64(QRandomGenerator::global()->bounded(double(timeout)));
    m_electionTimer.start(int(timeout));
}

void ControllerService::onElectionTimeout()
{
    const bool storm = m_localFaults.value(u"electionStorm"_s) == "1"_L1;
    if (m_raft->isLeader() && !storm) {
        resetElectionTimer();
        return;
    }
    if (m_raft->isLeader()) {
        // Election storm fault: even a leader gives up its term now and then.
        NodeLog::instance().warning(u"Fault electionStorm: %1 steps down"_s.arg(m_ctx.self.alias));
        m_raft->stepDown(m_raft->term());
        afterRaftChange();
    }
    const VoteRequest req = m_raft->startElection();
    NodeLog::instance().info(u"Election timeout: %1 starts an election for term %2"_s.arg(m_ctx.self.alias).arg(req.term));
    afterRaftChange();
    if (m_persistFailed) {
        // Term and vote are not on disk (full disk): no vote is asked for them.
        resetElectionTimer();
        return;
    }
    const QJsonObject msg{{u"op"_s, u"raftVote"_s},          {u"term"_s, req.term},
                          {u"candidate"_s, req.candidate},    {u"lastIndex"_s, req.lastLogIndex},
                          {u"lastTerm"_s, req.lastLogTerm}};
    const int timeout = int(qMax<qint64>(100, m_ctx.knobs.electionTimeoutMs / 2));
    for (const QString &peer : m_raft->peers()) {
        const SiteInfo *site = m_ctx.siteOf(peer);
        if (!site)
            continue;
        const QString host = site->host;
        const int port = site->port;
        QPointer<ControllerService> self(this);
        m_ctx.background->start([self, host, port, msg, peer, timeout, term = req.term] {
            const auto reply = PeerLink::call(host, port, msg, timeout);
            if (!reply || PeerLink::isError(*reply))
                return;
            const VoteReply vote{reply->value(u"term"_s).toInteger(), reply->value(u"granted"_s).toBool()};
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [self, peer, term, vote] {
                    if (!self)
                        return;
                    self->m_raft->handleVoteReply(peer, term, vote);
                    self->afterRaftChange();
                },
                Qt::QueuedConnection);
        });
    }
    resetElectionTimer();
}

void ControllerService::onLeaderTick()
{
    if (!m_raft->isLeader())
        return;
    const qint64 now = nowMs();
    for (auto it = m_locks.begin(); it != m_locks.end();) {
        if (it->expiresMs < now)
            it = m_locks.erase(it);
        else
            ++it;
    }
    for (const QString &peer : m_raft->peers())
        sendAppend(peer);
}

void ControllerService::sendAppend(const QString &peer)
{
    if (!m_raft->isLeader() || m_appendInFlight.contains(peer))
        return;
    const SiteInfo *site = m_ctx.siteOf(peer);
    if (!site)
        return;
    const QJsonObject snapshot = m_raft->needsSnapshot(peer) ? m_meta.toJson() : QJsonObject();
    const AppendRequest req = m_raft->appendRequestFor(peer, snapshot);
    QJsonObject msg = req.toJson();
    msg.insert(u"op"_s, u"raftAppend"_s);
    m_appendInFlight.insert(peer);
    const QString host = site->host;
    const int port = site->port;
    const int timeout = int(qMax<qint64>(100, m_ctx.knobs.electionTimeoutMs / 2));
    QPointer<ControllerService> self(this);
    m_ctx.background->start([self, host, port, msg, peer, req, timeout] {
        const auto reply = PeerLink::call(host, port, msg, timeout);
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, peer, req, reply] {
                if (!self)
                    return;
                self->m_appendInFlight.remove(peer);
                if (!reply || PeerLink::isError(*reply))
                    return;
                self->m_peerAckMs.insert(peer, nowMs());
                const AppendReply ar{reply->value(u"term"_s).toInteger(), reply->value(u"success"_s).toBool(),
                                     reply->value(u"match"_s).toInteger()};
                self->m_raft->handleAppendReply(peer, req, ar);
                self->afterRaftChange();
                // Keep streaming while the follower is behind.
                if (self->m_raft->isLeader() && (!ar.success || ar.matchIndex < self->m_raft->lastIndex()))
                    self->sendAppend(peer);
            },
            Qt::QueuedConnection);
    });
}

void ControllerService::afterRaftChange()
{
    // Nothing is acknowledged that is not on disk: a follower that cannot persist answers the
    // leader with an error (no ack, no vote), a leader that cannot persist steps down.
    if (auto st = m_raftStore.sync(*m_raft); !st) {
        if (!m_persistFailed)
            NodeLog::instance().error(u"Failed to persist raft state: "_s + st.error().toString());
        m_persistFailed = true;
        m_persistError = st.error().message;
        if (m_raft->isLeader()) {
            NodeLog::instance().warning(u"%1 steps down: its raft log cannot be written (%2)"_s.arg(m_ctx.self.alias, m_persistError));
            m_raft->stepDown(m_raft->term());
        }
    } else if (m_persistFailed) {
        m_persistFailed = false;
        NodeLog::instance().info(u"Raft state is written again"_s);
    }
    if (m_metaStore.checkpointNeeded()) {
        // A DFSMetaLog append failed: the whole applied state is written as a checkpoint.
        if (m_metaStore.writeCheckpoint(m_appliedIndex, m_raft->termAt(m_appliedIndex), m_meta))
            NodeLog::instance().info(u"DFS metadata checkpoint written after a failed DFSMetaLog write"_s);
    }
    QJsonObject snapshot;
    qint64 snapshotIndex = 0;
    if (m_raft->takeInstalledSnapshot(&snapshot, &snapshotIndex)) {
        auto meta = DfsMeta::fromJson(snapshot);
        if (meta) {
            m_meta = *meta;
            m_appliedIndex = snapshotIndex;
            (void)m_metaStore.writeCheckpoint(snapshotIndex, m_raft->snapshotTerm(), m_meta);
            NodeLog::instance().info(u"Installed DFS metadata snapshot at index %1 from the leader"_s.arg(snapshotIndex));
        }
    }
    const QList<RaftEntry> committed = m_raft->takeCommitted();
    for (const RaftEntry &e : committed)
        applyEntry(e);
    for (qsizetype i = 0; i < m_pending.size();) {
        if (m_pending.at(i).index <= m_appliedIndex) {
            const Pending p = m_pending.takeAt(i);
            const Core::Status st = m_applyStatus.take(p.index);
            p.done(st);
        } else {
            ++i;
        }
    }
    if (m_metaStore.entriesSinceCheckpoint() >= 1000) {
        (void)m_metaStore.writeCheckpoint(m_appliedIndex, m_raft->termAt(m_appliedIndex), m_meta);
        m_raft->compact(m_appliedIndex);
        (void)m_raftStore.sync(*m_raft);
    }
    if (m_raft->leader() != m_lastLoggedLeader) {
        const bool wasLeader = m_lastLoggedLeader == m_ctx.self.alias;
        m_lastLoggedLeader = m_raft->leader();
        if (m_raft->isLeader()) {
            m_readyIndex = m_raft->lastIndex();
            NodeLog::instance().info(u"%1 becomes the leader of the raft group, term %2"_s.arg(m_ctx.self.alias).arg(m_raft->term()));
            m_leaderTimer.start();
            for (const QString &peer : m_raft->peers())
                sendAppend(peer);
        } else if (!m_lastLoggedLeader.isEmpty()) {
            NodeLog::instance().info(u"The leader of the raft group is %1, term %2"_s.arg(m_lastLoggedLeader).arg(m_raft->term()));
        }
        if (wasLeader && !m_raft->isLeader()) {
            m_leaderTimer.stop();
            m_locks.clear();
            failPending(notLeaderError());
        }
    }
    if (!m_waitingReady.isEmpty() && (!m_raft->isLeader() || m_appliedIndex >= m_readyIndex)) {
        const QList<std::function<void()>> waiting = std::exchange(m_waitingReady, {});
        for (const auto &run : waiting)
            run();
    }
}

void ControllerService::applyEntry(const RaftEntry &e)
{
    if (e.index <= m_appliedIndex)
        return;
    Core::Status st = m_meta.apply(e.op);
    if (!st)
        NodeLog::instance().warning(u"DFS metadata operation at index %1 not applied: %2"_s.arg(e.index).arg(st.error().message));
    if (auto w = m_metaStore.appendApplied(e.index, e.term, e.op); !w)
        NodeLog::instance().error(u"Failed to write DFSMetaLog: "_s + w.error().toString());
    m_appliedIndex = e.index;
    for (const Pending &p : std::as_const(m_pending)) {
        if (p.index == e.index) {
            m_applyStatus.insert(e.index, st);
            break;
        }
    }
}

void ControllerService::failPending(const QString &message)
{
    const QList<Pending> pending = std::exchange(m_pending, {});
    m_applyStatus.clear();
    for (const Pending &p : pending)
        p.done(Error(ErrorCode::Server, message));
}

void ControllerService::proposeAll(const QList<QJsonObject> &ops, std::function<void(Core::Status)> done)
{
    if (!m_raft->isLeader()) {
        done(Error(ErrorCode::Server, notLeaderError()));
        return;
    }
    qint64 index = 0;
    for (const QJsonObject &op : ops)
        index = m_raft->propose(op);
    if (index == 0) {
        done({});
        return;
    }
    m_pending << Pending{index, std::move(done)};
    afterRaftChange();
    for (const QString &peer : m_raft->peers())
        sendAppend(peer);
}

bool ControllerService::handles(const QString &op) const
{
    return op.startsWith("raft"_L1) || op.startsWith("dfs"_L1) || op == "heartbeat"_L1;
}

void ControllerService::handlePeer(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const QString op = req.value(u"op"_s).toString();
    if (op == "raftVote"_L1)
        return handleVote(req, reply);
    if (op == "raftAppend"_L1)
        return handleAppend(req, reply);
    if (op == "heartbeat"_L1)
        return handleHeartbeat(req, reply);
    if (!m_raft->isLeader())
        return reply(PeerLink::errorReply(notLeaderError()));
    if (m_appliedIndex < m_readyIndex) {
        // Not caught up yet: a stale view could hand out a chunk version twice.
        m_waitingReady << [this, req, reply] { handlePeer(req, reply); };
        return;
    }
    if (op == "dfsBeginWrite"_L1)
        return handleBeginWrite(req, reply, 0);
    if (op == "dfsCommitWrite"_L1)
        return handleCommitWrite(req, reply);
    if (op == "dfsAbortWrite"_L1) {
        const QString txn = req.value(u"txn"_s).toString();
        for (auto it = m_locks.begin(); it != m_locks.end();)
            it = it->txn == txn ? m_locks.erase(it) : std::next(it);
        return reply(QJsonObject{{u"ok"_s, true}});
    }
    if (op == "dfsReadPlan"_L1)
        return handleReadPlan(req, reply);
    if (op == "dfsGetTable"_L1)
        return handleGetTable(req, reply);
    if (op == "dfsPropose"_L1) {
        QList<QJsonObject> ops;
        for (const QJsonValue &v : req.value(u"ops"_s).toArray())
            ops << v.toObject();
        return proposeAll(ops, [reply](Core::Status st) {
            reply(st ? QJsonObject{{u"ok"_s, true}} : PeerLink::errorReply(st.error().message));
        });
    }
    if (op == "dfsResendLookup"_L1) {
        const auto rec = m_meta.resends().value(req.value(u"client"_s).toString());
        const bool found = rec.seqNo != 0 && rec.seqNo == req.value(u"seq"_s).toInteger();
        return reply(QJsonObject{{u"found"_s, found}, {u"result"_s, QString::fromLatin1(rec.result.toBase64())}});
    }
    if (op == "dfsFaults"_L1) {
        QJsonObject faults;
        const auto all = m_meta.faults();
        for (auto it = all.cbegin(); it != all.cend(); ++it)
            faults.insert(it.key(), it.value());
        return reply(QJsonObject{{u"faults"_s, faults}});
    }
    reply(PeerLink::errorReply(u"unknown controller operation "_s + op));
}

void ControllerService::handleVote(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const bool wasLeader = m_raft->isLeader();
    const VoteReply vote = m_raft->handleVoteRequest(voteFromJson(req));
    if (vote.granted)
        resetElectionTimer();
    afterRaftChange();
    if (wasLeader && !m_raft->isLeader())
        NodeLog::instance().info(u"Stepping down: a candidate has a newer term %1"_s.arg(m_raft->term()));
    if (m_persistFailed)
        return reply(PeerLink::errorReply(u"<RaftPersist>%1: %2"_s.arg(m_ctx.self.alias, m_persistError)));
    reply(QJsonObject{{u"term"_s, vote.term}, {u"granted"_s, vote.granted}});
}

void ControllerService::handleAppend(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    AppendReply ar;
    const bool fromLeader = m_raft->handleAppend(AppendRequest::fromJson(req), &ar);
    // Election storm fault: heartbeats do not hold elections off.
    if (fromLeader && m_localFaults.value(u"electionStorm"_s) != "1"_L1)
        resetElectionTimer();
    afterRaftChange();
    if (m_persistFailed)
        return reply(PeerLink::errorReply(u"<RaftPersist>%1: %2"_s.arg(m_ctx.self.alias, m_persistError)));
    reply(QJsonObject{{u"term"_s, ar.term}, {u"success"_s, ar.success}, {u"match"_s, ar.matchIndex}});
}

void ControllerService::handleHeartbeat(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    if (!m_raft->isLeader()) {
        QJsonObject r{{u"notLeader"_s, true}, {u"leader"_s, m_raft->leader()}};
        r.insert(u"leaderSite"_s, siteJson(m_raft->leader()));
        return reply(r);
    }
    const QString alias = req.value(u"alias"_s).toString();
    NodeLiveness &live = m_live[alias];
    const bool wasDown = nowMs() - live.lastHeartbeatMs > 3 * m_ctx.knobs.heartbeatIntervalMs + 300;
    live.lastHeartbeatMs = nowMs();
    live.perf = req.value(u"perf"_s).toObject();
    if (wasDown)
        NodeLog::instance().info(u"Node %1 is up (heartbeat received)"_s.arg(alias));
    if (req.value(u"mode"_s).toString() == "datanode"_L1 && m_appliedIndex >= m_readyIndex) {
        reconcileReplicas(alias, req.value(u"chunks"_s).toArray(), req.value(u"incarnation"_s).toInteger());
    }
    QJsonObject faults;
    const auto all = m_meta.faults();
    for (auto it = all.cbegin(); it != all.cend(); ++it)
        faults.insert(it.key(), it.value());
    reply(QJsonObject{{u"leader"_s, m_ctx.self.alias}, {u"leaderSite"_s, siteJson(m_ctx.self.alias)}, {u"faults"_s, faults}});
}

void ControllerService::reconcileReplicas(const QString &alias, const QJsonArray &chunks, qint64 incarnation)
{
    QHash<QString, QPair<qint64, qint64>> local;
    for (const QJsonValue &v : chunks)
        local.insert(v[u"id"_s].toString(), qMakePair(v[u"v"_s].toInteger(), v[u"rows"_s].toInteger()));
    QList<QJsonObject> ops;
    QStringList keys;
    const qint64 now = nowMs();
    for (const ChunkInfo *c : m_meta.chunksOnNode(alias)) {
        const QString key = c->id + u'/' + alias;
        if (m_reconcileInFlight.contains(key) || m_recoveryInFlight.contains(key))
            continue;
        const ReplicaInfo *r = c->replica(alias);
        const auto have = local.value(c->id, qMakePair(qint64(0), qint64(0)));
        if (have.first < r->version && incarnation > r->reportMs) {
            // The node restarted since the replica's last write and came back without it (e.g.
            // CHUNK_METADATA restored from a backup): record what it holds. A node running since
            // before that write only sent a report older than the commit: not a loss.
            ops << DfsOp::replicaReport(c->id, alias, have.first, have.second, now);
            keys << key;
            continue;
        }
        if (!r->recovering && r->version < c->version) {
            const qint64 missed = qMax<qint64>(0, c->rows - r->rows);
            qint64 duration = m_ctx.knobs.recoveryBaseMs + missed * 1000 / m_ctx.knobs.recoveryRowsPerSec;
            if (m_meta.fault(u"recovery"_s) == "slow"_L1)
                duration *= 10;
            ops << DfsOp::recoverStart(c->id, alias, now, now + duration);
            keys << key;
            NodeLog::instance().info(u"Chunk %1 on %2 is stale (version %3 < %4, %5 rows missed): recovering"_s
                                         .arg(c->file(), alias)
                                         .arg(r->version)
                                         .arg(c->version)
                                         .arg(missed));
        }
    }
    if (ops.isEmpty())
        return;
    for (const QString &k : keys)
        m_reconcileInFlight.insert(k);
    QPointer<ControllerService> self(this);
    proposeAll(ops, [self, keys](Core::Status) {
        if (self)
            for (const QString &k : keys)
                self->m_reconcileInFlight.remove(k);
    });
}

void ControllerService::onRecoveryTick()
{
    if (!m_raft->isLeader() || m_appliedIndex < m_readyIndex)
        return;
    const QString mode = m_meta.fault(u"recovery"_s);
    if (mode == "stuck"_L1)
        return;
    const qint64 now = nowMs();
    for (const ChunkInfo &c : m_meta.chunks()) {
        for (const ReplicaInfo &r : c.replicas) {
            if (!r.recovering || now < r.recoverUntilMs || !isLive(r.alias))
                continue;
            const QString key = c.id + u'/' + r.alias;
            if (m_recoveryInFlight.contains(key))
                continue;
            const ReplicaInfo *source = nullptr;
            for (const ReplicaInfo &s : c.replicas) {
                if (s.alias == r.alias || s.recovering || s.version != c.version)
                    continue;
                if (!source || (isLive(s.alias) && !isLive(source->alias)))
                    source = &s;
            }
            const SiteInfo *from = source ? m_ctx.siteOf(source->alias) : nullptr;
            const SiteInfo *to = m_ctx.siteOf(r.alias);
            if (!from || !to)
                continue;
            m_recoveryInFlight.insert(key);
            const QJsonObject read{{u"op"_s, u"chunkRead"_s}, {u"id"_s, c.id}, {u"v"_s, c.version}};
            const QJsonObject meta{{u"id"_s, c.id}, {u"db"_s, c.db}, {u"table"_s, c.table}, {u"part"_s, c.partition}};
            const QString fromHost = from->host, toHost = to->host, alias = r.alias, chunkId = c.id;
            const int fromPort = from->port, toPort = to->port;
            QPointer<ControllerService> self(this);
            m_ctx.background->start([=] {
                Core::Result<QJsonObject> result = PeerLink::call(fromHost, fromPort, read, 5000);
                qint64 version = 0, rows = 0;
                bool ok = false;
                if (result && !PeerLink::isError(*result)) {
                    QJsonObject replace = meta;
                    replace.insert(u"op"_s, u"chunkReplace"_s);
                    version = result->value(u"v"_s).toInteger();
                    rows = result->value(u"rowCount"_s).toInteger();
                    replace.insert(u"v"_s, version);
                    replace.insert(u"rows"_s, result->value(u"rows"_s));
                    const auto done = PeerLink::call(toHost, toPort, replace, 5000);
                    ok = done && !PeerLink::isError(*done);
                }
                QMetaObject::invokeMethod(
                    QCoreApplication::instance(),
                    [=] {
                        if (!self)
                            return;
                        if (!ok) {
                            self->m_recoveryInFlight.remove(key);
                            return;
                        }
                        self->proposeAll({DfsOp::recoverDone(chunkId, alias, version, rows, nowMs())}, [self, key, chunkId, alias](Core::Status st) {
                            if (!self)
                                return;
                            self->m_recoveryInFlight.remove(key);
                            if (st)
                                NodeLog::instance().info(u"Chunk %1 on %2 recovered"_s.arg(chunkId, alias));
                        });
                    },
                    Qt::QueuedConnection);
            });
        }
    }
}

void ControllerService::handleBeginWrite(const QJsonObject &req, const PeerConnection::Reply &reply, int attempt)
{
    if (!m_raft->isLeader())
        return reply(PeerLink::errorReply(notLeaderError()));
    const QString dbPath = req.value(u"db"_s).toString();
    const QString table = req.value(u"table"_s).toString();
    const DfsDatabase *db = m_meta.database(dbPath);
    if (!db)
        return reply(PeerLink::errorReply(u"The database [%1] does not exist."_s.arg(dbPath)));
    if (!db->tables.contains(table))
        return reply(PeerLink::errorReply(u"The table [%1] does not exist in database [%2]."_s.arg(table, dbPath)));
    // A resend whose first attempt committed while this one waited for the chunk lock.
    const QString client = req.value(u"client"_s).toString();
    if (!client.isEmpty() && req.value(u"resend"_s).toBool()) {
        const ResendRecord rec = m_meta.resends().value(client);
        if (rec.seqNo != 0 && rec.seqNo == req.value(u"seq"_s).toInteger())
            return reply(QJsonObject{{u"done"_s, true}, {u"result"_s, QString::fromLatin1(rec.result.toBase64())}});
    }
    QStringList parts;
    for (const QJsonValue &v : req.value(u"parts"_s).toArray())
        parts << v.toString();
    QList<QJsonObject> creates;
    const qint64 now = nowMs();
    QStringList candidates;
    QHash<QString, QString> hostOf;
    QSet<QString> live;
    for (const SiteInfo &s : m_ctx.sitesOf(NodeMode::DataNode)) {
        candidates << s.alias;
        hostOf.insert(s.alias, s.host);
        if (isLive(s.alias))
            live.insert(s.alias);
    }
    QHash<QString, int> placedNow; // replicas chosen earlier in this same request
    for (const QString &part : parts) {
        if (m_meta.findChunk(dbPath, table, part))
            continue;
        const QStringList replicas = m_meta.placeReplicas(candidates, hostOf, live, m_ctx.knobs.replicationFactor,
                                                          m_ctx.knobs.reliabilityLevel, placedNow);
        for (const QString &r : replicas)
            placedNow[r] += 1;
        if (replicas.isEmpty())
            return reply(PeerLink::errorReply(u"<DataNodeNotAvail>No data node is available to hold a new chunk."_s));
        creates << DfsOp::addChunk(QUuid::createUuid().toString(QUuid::WithoutBraces), dbPath, table, part, replicas, now);
    }
    if (!creates.isEmpty()) {
        if (attempt >= 3)
            return reply(PeerLink::errorReply(u"Failed to create the chunks of the write."_s));
        QPointer<ControllerService> self(this);
        return proposeAll(creates, [self, req, reply, attempt](Core::Status st) {
            if (!self)
                return;
            if (!st)
                return reply(PeerLink::errorReply(st.error().message));
            self->handleBeginWrite(req, reply, attempt + 1);
        });
    }
    const QString txn = req.value(u"txn"_s).toString();
    const bool force = req.value(u"force"_s).toBool();
    QJsonArray out;
    QList<const ChunkInfo *> chunks;
    for (const QString &part : parts) {
        const ChunkInfo *c = m_meta.findChunk(dbPath, table, part);
        auto lock = m_locks.constFind(c->id);
        if (lock != m_locks.constEnd() && lock->txn != txn && lock->expiresMs >= now)
            return reply(QJsonObject{{u"retry"_s, u"<ChunkInTransaction>The openChunks operation failed because the chunk '%1' is currently locked and in use by transaction %2."_s
                                                       .arg(c->file(), lock->txn)}});
        if (c->recovering() && !force)
            return reply(QJsonObject{{u"retry"_s, u"The chunk '%1' is recovering."_s.arg(c->file())}, {u"recovering"_s, true}});
        QJsonArray targets;
        for (const ReplicaInfo &r : c->replicas) {
            if (r.recovering || r.version != c->version)
                continue;
            QJsonObject site = siteJson(r.alias);
            if (!site.isEmpty())
                targets.append(site);
        }
        if (targets.isEmpty())
            return reply(PeerLink::errorReply(u"<DataNodeNotAvail>The chunk '%1' has no available replica."_s.arg(c->file())));
        out.append(QJsonObject{{u"part"_s, part},       {u"id"_s, c->id},        {u"v"_s, c->version + 1},
                               {u"rows"_s, c->rows},    {u"targets"_s, targets}, {u"file"_s, c->file()}});
        chunks << c;
    }
    for (const ChunkInfo *c : chunks)
        m_locks.insert(c->id, Lock{txn, now + kLockTtlMs});
    reply(QJsonObject{{u"chunks"_s, out}});
}

void ControllerService::handleCommitWrite(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const qint64 now = nowMs();
    const QString txnId = req.value(u"txn"_s).toString();
    // A coordinator that stalled past its lock may not commit over another writer's version.
    for (const QJsonValue &v : req.value(u"commits"_s).toArray()) {
        const QString id = v[u"id"_s].toString();
        const ChunkInfo *c = m_meta.chunk(id);
        auto lock = m_locks.constFind(id);
        const bool lockedByOther = lock != m_locks.constEnd() && lock->txn != txnId;
        if (!c || lockedByOther || c->version != v[u"v"_s].toInteger() - 1)
            return reply(PeerLink::errorReply(u"<ChunkInTransaction>The transaction %1 on chunk '%2' expired before its commit."_s
                                                  .arg(txnId, c ? c->file() : id)));
    }
    QList<QJsonObject> ops;
    for (const QJsonValue &v : req.value(u"commits"_s).toArray()) {
        const QJsonObject c = v.toObject();
        QHash<QString, qint64> written;
        const QJsonObject w = c.value(u"written"_s).toObject();
        for (auto it = w.constBegin(); it != w.constEnd(); ++it)
            written.insert(it.key(), it.value().toInteger());
        ops << DfsOp::commitWrite(c.value(u"id"_s).toString(), c.value(u"v"_s).toInteger(), c.value(u"rows"_s).toInteger(),
                                  written, now);
    }
    const QString client = req.value(u"client"_s).toString();
    if (!client.isEmpty())
        ops << DfsOp::resend(client, req.value(u"seq"_s).toInteger(),
                             QByteArray::fromBase64(req.value(u"result"_s).toString().toLatin1()));
    const QString txn = req.value(u"txn"_s).toString();
    QPointer<ControllerService> self(this);
    proposeAll(ops, [self, txn, reply](Core::Status st) {
        if (self) {
            for (auto it = self->m_locks.begin(); it != self->m_locks.end();)
                it = it->txn == txn ? self->m_locks.erase(it) : std::next(it);
        }
        reply(st ? QJsonObject{{u"ok"_s, true}} : PeerLink::errorReply(st.error().message));
    });
}

void ControllerService::handleReadPlan(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const QString dbPath = req.value(u"db"_s).toString();
    const QString table = req.value(u"table"_s).toString();
    const DfsDatabase *db = m_meta.database(dbPath);
    if (!db || !db->tables.contains(table))
        return reply(PeerLink::errorReply(u"The table [%1] does not exist in database [%2]."_s.arg(table, dbPath)));
    QJsonArray chunks;
    for (const ChunkInfo *c : m_meta.chunksOf(dbPath, table)) {
        if (c->version == 0)
            continue;
        QJsonArray live, other;
        for (const ReplicaInfo &r : c->replicas) {
            if (r.recovering || r.version != c->version)
                continue;
            (isLive(r.alias) ? live : other).append(siteJson(r.alias));
        }
        for (const QJsonValue &v : other)
            live.append(v);
        chunks.append(QJsonObject{{u"id"_s, c->id}, {u"part"_s, c->partition}, {u"v"_s, c->version},
                                  {u"rows"_s, c->rows}, {u"file"_s, c->file()}, {u"sources"_s, live}});
    }
    reply(QJsonObject{{u"chunks"_s, chunks}});
}

void ControllerService::handleGetTable(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const QString dbPath = req.value(u"db"_s).toString();
    const DfsDatabase *db = m_meta.database(dbPath);
    if (!db)
        return reply(QJsonObject{{u"exists"_s, false}});
    QJsonObject out{{u"exists"_s, true},
                    {u"engine"_s, db->engine},
                    {u"ptype"_s, db->partitionType},
                    {u"stype"_s, db->schemeType},
                    {u"scheme"_s, QJsonArray::fromStringList(db->scheme)}};
    QJsonArray tables;
    for (const DfsTableDef &t : db->tables) {
        QJsonArray cols;
        for (const DfsColumnDef &c : t.columns)
            cols.append(QJsonObject{{u"n"_s, c.name}, {u"t"_s, c.type}});
        tables.append(QJsonObject{{u"name"_s, t.name}, {u"cols"_s, cols}, {u"part"_s, t.partitionColumn},
                                  {u"sort"_s, QJsonArray::fromStringList(t.sortColumns)}});
    }
    out.insert(u"tables"_s, tables);
    reply(out);
}

} // namespace GrayStep::Sim
