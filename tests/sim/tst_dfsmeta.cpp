// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/dfsmeta.h"
#include "support/smalltmpfs.h"

#include <QDir>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;
using GrayStep::Test::SmallTmpfs;

namespace {

DfsDatabase stockDb()
{
    DfsDatabase db;
    db.path = u"dfs://stock"_s;
    db.partitionType = u"VALUE"_s;
    db.schemeType = DdbType::Date;
    db.scheme = {u"20230101"_s, u"20230102"_s};
    db.engine = u"TSDB"_s;
    return db;
}

DfsTableDef stockTable()
{
    DfsTableDef t;
    t.name = u"stock"_s;
    t.columns = {{u"time"_s, DdbType::Timestamp}, {u"name"_s, DdbType::Symbol}, {u"id"_s, DdbType::Int}};
    t.partitionColumn = u"time"_s;
    t.sortColumns = {u"name"_s};
    return t;
}

} // namespace

class tst_DfsMeta : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aWriteWithOneReplicaDownLeavesItStale();
    void recoveryMarksTheChunkRecoveringUntilDone();
    void placementUsesDistinctHostsAndLiveNodesFirst();
    void unknownOperationsAreRejected();
    void theStoreReplaysTheLogOverTheCheckpoint();
    void aFailedLogAppendIsMadeWholeByACheckpoint();
    void restoringAnOlderCopyOfTheDirectoryRestoresTheOlderState();
};

void tst_DfsMeta::aWriteWithOneReplicaDownLeavesItStale()
{
    DfsMeta m;
    QVERIFY(m.apply(DfsOp::createDatabase(stockDb())).ok());
    QVERIFY(!m.apply(DfsOp::createDatabase(stockDb())).ok());
    QVERIFY(m.apply(DfsOp::createTable(u"dfs://stock"_s, stockTable())).ok());
    QVERIFY(m.apply(DfsOp::addChunk(u"c-1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, {u"n1"_s, u"n2"_s}, 10)).ok());
    QVERIFY(m.apply(DfsOp::commitWrite(u"c-1"_s, 1, 5, {{u"n1"_s, 5}, {u"n2"_s, 5}}, 20)).ok());
    QVERIFY(m.apply(DfsOp::commitWrite(u"c-1"_s, 2, 8, {{u"n1"_s, 8}}, 30)).ok());
    const ChunkInfo *c = m.findChunk(u"dfs://stock"_s, u"stock"_s, u"20230101"_s);
    QVERIFY(c);
    QCOMPARE(c->version, 2);
    QCOMPARE(c->rows, 8);
    QCOMPARE(c->replica(u"n1"_s)->version, 2);
    QCOMPARE(c->replica(u"n2"_s)->version, 1);
    QCOMPARE(c->replica(u"n2"_s)->rows, 5);
    QCOMPARE(c->state(), u"COMPLETE"_s);
    QCOMPARE(c->file(), u"/stock/20230101/stock"_s);
    QCOMPARE(c->versionChain.size(), 2);
    // A duplicate commit of an older version changes nothing.
    QVERIFY(m.apply(DfsOp::commitWrite(u"c-1"_s, 1, 5, {{u"n2"_s, 5}}, 40)).ok());
    QCOMPARE(m.chunk(u"c-1"_s)->version, 2);
}

void tst_DfsMeta::recoveryMarksTheChunkRecoveringUntilDone()
{
    DfsMeta m;
    QVERIFY(m.apply(DfsOp::createDatabase(stockDb())).ok());
    QVERIFY(m.apply(DfsOp::addChunk(u"c-1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, {u"n1"_s, u"n2"_s}, 10)).ok());
    QVERIFY(m.apply(DfsOp::commitWrite(u"c-1"_s, 1, 5, {{u"n1"_s, 5}}, 20)).ok());
    QVERIFY(m.apply(DfsOp::recoverStart(u"c-1"_s, u"n2"_s, 100, 200)).ok());
    QCOMPARE(m.chunk(u"c-1"_s)->state(), u"RECOVERING"_s);
    QCOMPARE(m.chunk(u"c-1"_s)->replica(u"n2"_s)->recoverUntilMs, 200);
    QVERIFY(m.apply(DfsOp::recoverDone(u"c-1"_s, u"n2"_s, 1, 5, 210)).ok());
    QCOMPARE(m.chunk(u"c-1"_s)->state(), u"COMPLETE"_s);
    QCOMPARE(m.chunk(u"c-1"_s)->replica(u"n2"_s)->version, 1);
    QVERIFY(!m.apply(DfsOp::recoverStart(u"nope"_s, u"n2"_s, 1, 2)).ok());
}

void tst_DfsMeta::placementUsesDistinctHostsAndLiveNodesFirst()
{
    DfsMeta m;
    const QHash<QString, QString> hostOf{{u"a1"_s, u"h1"_s}, {u"a2"_s, u"h1"_s}, {u"b1"_s, u"h2"_s}, {u"c1"_s, u"h3"_s}};
    const QStringList all{u"a1"_s, u"a2"_s, u"b1"_s, u"c1"_s};
    QStringList chosen = m.placeReplicas(all, hostOf, {u"a1"_s, u"a2"_s, u"c1"_s}, 2, 1);
    QCOMPARE(chosen, (QStringList{u"a1"_s, u"c1"_s}));
    chosen = m.placeReplicas(all, hostOf, {u"a1"_s, u"a2"_s}, 2, 0);
    QCOMPARE(chosen, (QStringList{u"a1"_s, u"a2"_s}));
    chosen = m.placeReplicas(all, hostOf, {}, 3, 1);
    QCOMPARE(QSet<QString>(chosen.cbegin(), chosen.cend()).size(), 3);
    // Replicas placed earlier in the same request count as load.
    chosen = m.placeReplicas(all, hostOf, {u"a1"_s, u"b1"_s, u"c1"_s}, 2, 1, {{u"a1"_s, 1}, {u"b1"_s, 1}});
    QCOMPARE(chosen.first(), u"c1"_s);
}

void tst_DfsMeta::unknownOperationsAreRejected()
{
    DfsMeta m;
    QVERIFY(!m.apply(QJsonObject{{u"op"_s, u"format"_s}}).ok());
    QVERIFY(!m.apply(DfsOp::createTable(u"dfs://none"_s, stockTable())).ok());
}

void tst_DfsMeta::theStoreReplaysTheLogOverTheCheckpoint()
{
    QTemporaryDir dir;
    DfsMetaStore store(dir.path() + u"/dfsMeta"_s);
    DfsMeta m;
    const QJsonObject ops[] = {DfsOp::createDatabase(stockDb()), DfsOp::createTable(u"dfs://stock"_s, stockTable()),
                               DfsOp::addChunk(u"c-1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, {u"n1"_s}, 1),
                               DfsOp::commitWrite(u"c-1"_s, 1, 3, {{u"n1"_s, 3}}, 2)};
    qint64 index = 0;
    for (const QJsonObject &o : ops) {
        QVERIFY(m.apply(o).ok());
        QVERIFY(store.appendApplied(++index, 1, o).ok());
        if (index == 2)
            QVERIFY(store.writeCheckpoint(index, 1, m).ok());
    }
    QVERIFY(QFile::exists(dir.path() + u"/dfsMeta/DFSMasterMetaCheckpoint.0"_s));
    QVERIFY(QFile::exists(dir.path() + u"/dfsMeta/DFSMetaLog.0"_s));
    const auto loaded = store.load();
    QVERIFY(loaded.ok());
    QCOMPARE(loaded->checkpointIndex, 2);
    QCOMPARE(loaded->appliedIndex, 4);
    QCOMPARE(loaded->meta.toJson(), m.toJson());
    QCOMPARE(loaded->meta.chunk(u"c-1"_s)->rows, 3);
}

void tst_DfsMeta::aFailedLogAppendIsMadeWholeByACheckpoint()
{
    QTemporaryDir dir;
    SmallTmpfs fs(dir.path());
    if (!fs.mounted())
        QSKIP("needs root and mount -t tmpfs");
    DfsMetaStore store(dir.path() + u"/dfsMeta"_s);
    DfsMeta m;
    QVERIFY(m.apply(DfsOp::createDatabase(stockDb())).ok());
    QVERIFY(store.appendApplied(1, 1, DfsOp::createDatabase(stockDb())).ok());
    QVERIFY(fs.fill());
    // An op bigger than the slack of the log's last page: the kernel refuses it.
    DfsTableDef big = stockTable();
    big.name = QString(6000, u'x');
    const QJsonObject op = DfsOp::createTable(u"dfs://stock"_s, big);
    QVERIFY(m.apply(op).ok());
    const auto st = store.appendApplied(2, 1, op);
    QVERIFY(!st.ok());
    QVERIFY2(st.error().message.contains(u"No space left on device"_s), qPrintable(st.error().message));
    QVERIFY(store.checkpointNeeded());
    // Until a checkpoint makes the files whole, no later entry is appended behind the gap.
    QVERIFY(!store.appendApplied(3, 1, DfsOp::addChunk(u"c-1"_s, u"dfs://stock"_s, big.name, u"20230101"_s, {u"n1"_s}, 1)).ok());
    fs.drain();
    QVERIFY(store.writeCheckpoint(2, 1, m).ok());
    QVERIFY(!store.checkpointNeeded());
    const auto loaded = store.load();
    QVERIFY(loaded.ok());
    QCOMPARE(loaded->appliedIndex, 2);
    QCOMPARE(loaded->meta.toJson(), m.toJson());
}

void tst_DfsMeta::restoringAnOlderCopyOfTheDirectoryRestoresTheOlderState()
{
    QTemporaryDir dir;
    const QString live = dir.path() + u"/dfsMeta"_s;
    DfsMetaStore store(live);
    DfsMeta m;
    QVERIFY(m.apply(DfsOp::createDatabase(stockDb())).ok());
    QVERIFY(store.appendApplied(1, 1, DfsOp::createDatabase(stockDb())).ok());
    // Back up (cp -r dfsMeta dfsMeta_bak), then change more.
    QDir().mkpath(dir.path() + u"/bak"_s);
    QVERIFY(QFile::copy(live + u"/DFSMetaLog.0"_s, dir.path() + u"/bak/DFSMetaLog.0"_s));
    QVERIFY(store.appendApplied(2, 1, DfsOp::dropDatabase(u"dfs://stock"_s)).ok());
    QVERIFY(store.load()->meta.databases().isEmpty());
    QFile::remove(live + u"/DFSMetaLog.0"_s);
    QVERIFY(QFile::copy(dir.path() + u"/bak/DFSMetaLog.0"_s, live + u"/DFSMetaLog.0"_s));
    QVERIFY(store.load()->meta.database(u"dfs://stock"_s));
}

QTEST_APPLESS_MAIN(tst_DfsMeta)
#include "tst_dfsmeta.moc"
