// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/chunkstore.h"
#include "support/smalltmpfs.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;
using GrayStep::Test::SmallTmpfs;

namespace {

SimTable rows(int firstId, int count)
{
    SimTable t;
    SimColumn time{u"time"_s, DdbType::Timestamp, {}, {}, {}};
    SimColumn name{u"name"_s, DdbType::Symbol, {}, {}, {}};
    SimColumn id{u"id"_s, DdbType::Int, {}, {}, {}};
    for (int i = 0; i < count; ++i) {
        time.ints << 1672531200000 + (firstId + i) * 1000;
        name.texts << (i % 2 ? u"Apple"_s : u"Meta"_s);
        id.ints << firstId + i;
    }
    t.columns = {time, name, id};
    return t;
}

bool copyDir(const QString &from, const QString &to)
{
    QDir().mkpath(to);
    const QStringList files = QDir(from).entryList(QDir::Files);
    for (const QString &f : files)
        if (!QFile::copy(from + u'/' + f, to + u'/' + f))
            return false;
    return true;
}

} // namespace

class tst_ChunkStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesSurviveARestart();
    void aVersionGapIsRefused();
    void restoringChunkMetadataRollsTheReplicaBack();
    void anUncommittedWriteIsRolledBackByTheNextWriteOfThatVersion();
    void aReplaceCopiesAWholeReplica();
    void aFullDiskRefusesWrites();
    void aRealFullFileSystemFailsTheWriteAndLeavesNothingBehind();
    void tablesRoundTripThroughJson();
};

void tst_ChunkStore::writesSurviveARestart()
{
    QTemporaryDir dir;
    const QString storage = dir.path() + u"/node1/storage"_s;
    {
        ChunkStore s(storage);
        QVERIFY(s.load().ok());
        QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 1, rows(1, 3)).ok());
        QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 2, rows(4, 2)).ok());
    }
    QVERIFY(QFile::exists(storage + u"/CHUNK_METADATA/editlog.0"_s));
    ChunkStore again(storage);
    QVERIFY(again.load().ok());
    QCOMPARE(again.chunk(u"c1"_s)->version, 2);
    QCOMPARE(again.chunk(u"c1"_s)->rows(), 5);
    QCOMPARE(again.chunk(u"c1"_s)->data.columns.at(2).ints.last(), 5);
    QVERIFY(again.checkpoint().ok());
    ChunkStore third(storage);
    QVERIFY(third.load().ok());
    QCOMPARE(third.chunk(u"c1"_s)->rows(), 5);
}

void tst_ChunkStore::aVersionGapIsRefused()
{
    QTemporaryDir dir;
    ChunkStore s(dir.path());
    QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 1, rows(1, 1)).ok());
    QVERIFY(!s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 3, rows(2, 1)).ok());
    QCOMPARE(s.chunk(u"c1"_s)->version, 1);
}

void tst_ChunkStore::restoringChunkMetadataRollsTheReplicaBack()
{
    QTemporaryDir dir;
    const QString storage = dir.path() + u"/storage"_s;
    {
        ChunkStore s(storage);
        QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 1, rows(1, 3)).ok());
        QVERIFY(copyDir(storage + u"/CHUNK_METADATA"_s, dir.path() + u"/CHUNK_METADATA_BAK"_s));
        QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 2, rows(4, 3)).ok());
    }
    QDir(storage + u"/CHUNK_METADATA"_s).removeRecursively();
    QVERIFY(copyDir(dir.path() + u"/CHUNK_METADATA_BAK"_s, storage + u"/CHUNK_METADATA"_s));
    ChunkStore s(storage);
    QVERIFY(s.load().ok());
    QCOMPARE(s.chunk(u"c1"_s)->version, 1);
    QCOMPARE(s.chunk(u"c1"_s)->rows(), 3);
    // The dropped batch does not come back at the next start either.
    QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 2, rows(10, 1)).ok());
    ChunkStore t(storage);
    QVERIFY(t.load().ok());
    QCOMPARE(t.chunk(u"c1"_s)->rows(), 4);
    QCOMPARE(t.chunk(u"c1"_s)->data.columns.at(2).ints.last(), 10);
}

void tst_ChunkStore::anUncommittedWriteIsRolledBackByTheNextWriteOfThatVersion()
{
    QTemporaryDir dir;
    ChunkStore s(dir.path());
    QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 1, rows(1, 2)).ok());
    // Version 2 reached this replica but its coordinator died before committing it.
    QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 2, rows(3, 5)).ok());
    QCOMPARE(s.chunk(u"c1"_s)->dataAt(1).rows(), 2);
    // The next coordinator writes version 2 again: the old attempt is replaced.
    QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 2, rows(50, 1)).ok());
    QCOMPARE(s.chunk(u"c1"_s)->rows(), 3);
    ChunkStore t(dir.path());
    QVERIFY(t.load().ok());
    QCOMPARE(t.chunk(u"c1"_s)->rows(), 3);
    QCOMPARE(t.chunk(u"c1"_s)->data.columns.at(2).ints, (QList<qint64>{1, 2, 50}));
}

void tst_ChunkStore::aReplaceCopiesAWholeReplica()
{
    QTemporaryDir dir;
    ChunkStore s(dir.path());
    QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 1, rows(1, 1)).ok());
    QVERIFY(s.replace(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 4, rows(1, 9)).ok());
    ChunkStore t(dir.path());
    QVERIFY(t.load().ok());
    QCOMPARE(t.chunk(u"c1"_s)->version, 4);
    QCOMPARE(t.chunk(u"c1"_s)->rows(), 9);
}

void tst_ChunkStore::aFullDiskRefusesWrites()
{
    QTemporaryDir dir;
    ChunkStore s(dir.path());
    s.setDiskFull(true);
    const auto st = s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 1, rows(1, 1));
    QVERIFY(!st.ok());
    QVERIFY(st.error().message.contains(u"No space left on device"_s));
}

void tst_ChunkStore::aRealFullFileSystemFailsTheWriteAndLeavesNothingBehind()
{
    QTemporaryDir dir;
    SmallTmpfs fs(dir.path());
    if (!fs.mounted())
        QSKIP("needs root and mount -t tmpfs");
    const QString storage = dir.path() + u"/storage"_s;
    {
        ChunkStore s(storage);
        QVERIFY(s.load().ok());
        QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 1, rows(1, 10)).ok());
        QVERIFY(fs.fill());
        // Big enough to need new pages: the kernel answers ENOSPC.
        const auto st = s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 2, rows(11, 2000));
        QVERIFY(!st.ok());
        QVERIFY2(st.error().message.contains(u"No space left on device"_s), qPrintable(st.error().message));
        QCOMPARE(s.chunk(u"c1"_s)->version, 1);   // memory unchanged
        QCOMPARE(s.chunk(u"c1"_s)->rows(), 10);
        // A new chunk cannot be created either, and leaves no entry behind.
        QVERIFY(!s.write(u"c2"_s, u"dfs://stock"_s, u"stock"_s, u"20230102"_s, 1, rows(1, 2000)).ok());
        QVERIFY(!s.chunk(u"c2"_s));
        // Space again: the same version is written, nothing of the failed attempt shows.
        fs.drain();
        QVERIFY(s.write(u"c1"_s, u"dfs://stock"_s, u"stock"_s, u"20230101"_s, 2, rows(11, 2000)).ok());
        QCOMPARE(s.chunk(u"c1"_s)->rows(), 2010);
    }
    ChunkStore reloaded(storage);
    QVERIFY(reloaded.load().ok());
    QCOMPARE(reloaded.chunk(u"c1"_s)->version, 2);
    QCOMPARE(reloaded.chunk(u"c1"_s)->rows(), 2010);
    QCOMPARE(reloaded.chunk(u"c1"_s)->data.columns.at(2).ints.last(), 2010);
    QVERIFY(!reloaded.chunk(u"c2"_s));
}

void tst_ChunkStore::tablesRoundTripThroughJson()
{
    SimTable t = rows(1, 4);
    t.columns[2].ints[1] = SimColumn::kNullInt;
    const SimTable back = SimTable::fromJson(t.toJson());
    QCOMPARE(back.rows(), 4);
    QCOMPARE(back.columns.at(2).ints, t.columns.at(2).ints);
    QCOMPARE(back.columns.at(1).texts, t.columns.at(1).texts);
    QCOMPARE(back.columns.at(0).type, DdbType::Timestamp);
}

QTEST_APPLESS_MAIN(tst_ChunkStore)
#include "tst_chunkstore.moc"
