// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/raftcore.h"
#include "sim/node/raftstore.h"
#include "support/smalltmpfs.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;
using GrayStep::Test::SmallTmpfs;

namespace {

// Three (or more) cores wired together in memory; `down` members drop every message.
struct Cluster
{
    std::map<QString, std::unique_ptr<RaftCore>> nodes;
    QSet<QString> down;

    explicit Cluster(const QStringList &members)
    {
        for (const QString &m : members)
            nodes[m] = std::make_unique<RaftCore>(m, members);
    }
    RaftCore &at(const QString &m) { return *nodes.at(m); }

    void elect(const QString &candidate)
    {
        RaftCore &c = at(candidate);
        const VoteRequest req = c.startElection();
        for (const QString &p : c.peers()) {
            if (down.contains(p))
                continue;
            const VoteReply reply = at(p).handleVoteRequest(req);
            c.handleVoteReply(p, req.term, reply);
        }
    }
    // One round of AppendEntries from `leader` to every reachable follower.
    void replicate(const QString &leader, const QJsonObject &state = {})
    {
        RaftCore &l = at(leader);
        for (const QString &p : l.peers()) {
            if (down.contains(p))
                continue;
            const AppendRequest req = AppendRequest::fromJson(l.appendRequestFor(p, state).toJson());
            AppendReply reply;
            at(p).handleAppend(req, &reply);
            l.handleAppendReply(p, req, reply);
        }
    }
};

QJsonObject op(int n)
{
    return QJsonObject{{u"op"_s, u"fault"_s}, {u"kind"_s, u"k"_s}, {u"value"_s, QString::number(n)}};
}

} // namespace

class tst_RaftCore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aCandidateWithAMajorityBecomesLeader();
    void aCandidateWithoutAMajorityStaysCandidate();
    void entriesCommitOnlyWithAMajority();
    void aNewLeaderIsElectedAfterTheLeaderDies();
    void aStaleLogCannotWinAnElection();
    void aLaggingFollowerCatchesUpThroughASnapshot();
    void conflictingEntriesAreReplaced();
    void stateSurvivesARestartThroughTheStore();
    void aFullDiskFailsTheSyncAndTheNextSyncWritesWhatWasMissed();
};

void tst_RaftCore::aCandidateWithAMajorityBecomesLeader()
{
    Cluster c({u"c1"_s, u"c2"_s, u"c3"_s});
    c.elect(u"c1"_s);
    QVERIFY(c.at(u"c1"_s).isLeader());
    QCOMPARE(c.at(u"c1"_s).term(), 1);
    c.replicate(u"c1"_s);
    QCOMPARE(c.at(u"c2"_s).leader(), u"c1"_s);
    QCOMPARE(c.at(u"c3"_s).leader(), u"c1"_s);
    QVERIFY(!c.at(u"c2"_s).isLeader());
}

void tst_RaftCore::aCandidateWithoutAMajorityStaysCandidate()
{
    Cluster c({u"c1"_s, u"c2"_s, u"c3"_s});
    c.down = {u"c2"_s, u"c3"_s};
    c.elect(u"c1"_s);
    QCOMPARE(c.at(u"c1"_s).role(), RaftCore::Role::Candidate);
    QVERIFY(c.at(u"c1"_s).leader().isEmpty());
}

void tst_RaftCore::entriesCommitOnlyWithAMajority()
{
    Cluster c({u"c1"_s, u"c2"_s, u"c3"_s});
    c.elect(u"c1"_s);
    c.replicate(u"c1"_s);
    const qint64 base = c.at(u"c1"_s).commitIndex();
    c.down = {u"c2"_s, u"c3"_s};
    const qint64 idx = c.at(u"c1"_s).propose(op(1));
    QCOMPARE(idx, base + 1);
    c.replicate(u"c1"_s);
    QCOMPARE(c.at(u"c1"_s).commitIndex(), base); // no majority
    c.down = {u"c3"_s};
    c.replicate(u"c1"_s);
    QCOMPARE(c.at(u"c1"_s).commitIndex(), idx);
    const QList<RaftEntry> committed = c.at(u"c1"_s).takeCommitted();
    QVERIFY(!committed.isEmpty());
    QCOMPARE(committed.last().op, op(1));
    c.replicate(u"c1"_s); // carries the new commit index to c2
    QCOMPARE(c.at(u"c2"_s).commitIndex(), idx);
    QCOMPARE(c.at(u"c2"_s).takeCommitted().last().op, op(1));
}

void tst_RaftCore::aNewLeaderIsElectedAfterTheLeaderDies()
{
    Cluster c({u"c1"_s, u"c2"_s, u"c3"_s});
    c.elect(u"c1"_s);
    c.at(u"c1"_s).propose(op(1));
    c.replicate(u"c1"_s);
    c.replicate(u"c1"_s);
    c.down = {u"c1"_s};
    c.elect(u"c2"_s);
    QVERIFY(c.at(u"c2"_s).isLeader());
    QCOMPARE(c.at(u"c2"_s).term(), 2);
    c.replicate(u"c2"_s);
    QCOMPARE(c.at(u"c3"_s).leader(), u"c2"_s);
    // The old leader comes back and learns the new term from the first append.
    c.down.clear();
    c.replicate(u"c2"_s);
    QVERIFY(!c.at(u"c1"_s).isLeader());
    QCOMPARE(c.at(u"c1"_s).leader(), u"c2"_s);
    QCOMPARE(c.at(u"c1"_s).term(), 2);
}

void tst_RaftCore::aStaleLogCannotWinAnElection()
{
    Cluster c({u"c1"_s, u"c2"_s, u"c3"_s});
    c.elect(u"c1"_s);
    c.down = {u"c3"_s};
    c.at(u"c1"_s).propose(op(1));
    c.replicate(u"c1"_s);
    c.down = {u"c1"_s};
    c.elect(u"c3"_s); // c3 missed entries: c2 refuses
    QVERIFY(!c.at(u"c3"_s).isLeader());
    c.elect(u"c2"_s);
    QVERIFY(c.at(u"c2"_s).isLeader());
}

void tst_RaftCore::aLaggingFollowerCatchesUpThroughASnapshot()
{
    Cluster c({u"c1"_s, u"c2"_s, u"c3"_s});
    c.elect(u"c1"_s);
    c.down = {u"c3"_s};
    for (int i = 0; i < 5; ++i)
        c.at(u"c1"_s).propose(op(i));
    c.replicate(u"c1"_s);
    (void)c.at(u"c1"_s).takeCommitted();
    c.at(u"c1"_s).compact(c.at(u"c1"_s).commitIndex());
    QVERIFY(c.at(u"c1"_s).log().isEmpty());
    c.down.clear();
    const QJsonObject state{{u"marker"_s, 42}};
    c.replicate(u"c1"_s, state); // c3 is told to go back, then gets the snapshot
    c.replicate(u"c1"_s, state);
    QJsonObject received;
    qint64 index = 0;
    QVERIFY(c.at(u"c3"_s).takeInstalledSnapshot(&received, &index));
    QCOMPARE(received, state);
    QCOMPARE(index, c.at(u"c1"_s).commitIndex());
    c.at(u"c1"_s).propose(op(99));
    c.replicate(u"c1"_s, state);
    c.replicate(u"c1"_s, state);
    QCOMPARE(c.at(u"c3"_s).takeCommitted().last().op, op(99));
}

void tst_RaftCore::conflictingEntriesAreReplaced()
{
    Cluster c({u"c1"_s, u"c2"_s, u"c3"_s});
    c.elect(u"c1"_s);
    c.replicate(u"c1"_s);
    c.down = {u"c2"_s, u"c3"_s};
    c.at(u"c1"_s).propose(op(1)); // never reaches a majority
    c.down = {u"c1"_s};
    c.elect(u"c2"_s);
    c.at(u"c2"_s).propose(op(2));
    c.replicate(u"c2"_s);
    c.down.clear();
    c.replicate(u"c2"_s);
    c.replicate(u"c2"_s);
    const QList<RaftEntry> &log = c.at(u"c1"_s).log();
    QVERIFY(std::none_of(log.cbegin(), log.cend(), [](const RaftEntry &e) { return e.op == op(1); }));
    QCOMPARE(log.last().op, op(2));
}

void tst_RaftCore::stateSurvivesARestartThroughTheStore()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    RaftStore store(dir.path() + u"/raft"_s);
    RaftCore a(u"c1"_s, {u"c1"_s});
    a.startElection(); // a single member elects itself
    QVERIFY(a.isLeader());
    a.propose(op(7));
    QVERIFY(store.sync(a).ok());
    const auto loaded = store.load();
    QVERIFY(loaded.ok());
    QCOMPARE(loaded->term, 1);
    QCOMPARE(loaded->votedFor, u"c1"_s);
    QCOMPARE(loaded->leader, u"c1"_s);
    QCOMPARE(loaded->log.size(), 2);
    RaftCore b(u"c1"_s, {u"c1"_s});
    b.restore(loaded->term, loaded->votedFor, loaded->snapshotIndex, loaded->snapshotTerm, loaded->log, 0);
    QCOMPARE(b.lastIndex(), 2);
    QCOMPARE(b.term(), 1);
    QVERIFY(!b.isLeader());
    (void)a.takeCommitted();
    a.compact(1);
    QVERIFY(store.sync(a).ok());
    const auto again = store.load();
    QCOMPARE(again->snapshotIndex, 1);
    QCOMPARE(again->log.size(), 1);
    QCOMPARE(again->log.first().op, op(7));
}

void tst_RaftCore::aFullDiskFailsTheSyncAndTheNextSyncWritesWhatWasMissed()
{
    QTemporaryDir dir;
    SmallTmpfs fs(dir.path());
    if (!fs.mounted())
        QSKIP("needs root and mount -t tmpfs");
    RaftStore store(dir.path() + u"/raft"_s);
    RaftCore a(u"c1"_s, {u"c1"_s});
    a.startElection();
    a.propose(op(1));
    QVERIFY(store.sync(a).ok());
    QVERIFY(fs.fill());
    for (int i = 2; i < 300; ++i)
        a.propose(op(i));   // more than the slack of the file's last page
    const auto st = store.sync(a);
    QVERIFY(!st.ok());
    QVERIFY2(st.error().message.contains(u"No space left on device"_s), qPrintable(st.error().message));
    // No torn line: the file still loads, with what was written before.
    const auto before = store.load();
    QVERIFY(before.ok());
    QCOMPARE(before->log.size(), 2);
    // Space again: the next sync writes the whole log, nothing of the failed append is missing.
    fs.drain();
    a.propose(op(300));
    QVERIFY(store.sync(a).ok());
    const auto after = store.load();
    QVERIFY(after.ok());
    QCOMPARE(after->log.size(), a.log().size());
    QCOMPARE(after->log.last().op, op(300));
    QCOMPARE(after->log.at(2).op, op(2));
}

QTEST_APPLESS_MAIN(tst_RaftCore)
#include "tst_raftcore.moc"
