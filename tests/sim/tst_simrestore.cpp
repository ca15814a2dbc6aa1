// SPDX-License-Identifier: GPL-3.0-or-later
// Restoring backups of the metadata directories (controllers' dfsMeta and raft, data nodes'
// CHUNK_METADATA) really restores the cluster's state. Hosts 127.0.40.4-6.
#include "support/simclient.h"

#include <QDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;

class tst_SimRestore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanupTestCase() { m_cluster.killAll(); }
    void restoringMetadataBackupsRestoresTheState();

private:
    bool startAll();
    QString leaderSite();

    Test::SimCluster m_cluster{3, u"127.0.40."_s, 4};
};

bool tst_SimRestore::startAll()
{
    for (int i = 1; i <= 3; ++i) {
        if (!m_cluster.startController(i).ok() || !m_cluster.startAgent(i).ok())
            return false;
    }
    QString leader;
    if (!m_cluster.waitLeader(&leader))
        return false;
    for (int i = 1; i <= 3; ++i)
        if (!m_cluster.waitUp(m_cluster.host(i), 8921))
            return false;
    const int l = leader.right(1).toInt();
    if (!Test::runOnce(m_cluster.host(l), 8920, u"startDataNode(`node1`node2`node3)"_s).ok())
        return false;
    for (int i = 1; i <= 3; ++i)
        if (!m_cluster.waitUp(m_cluster.host(i), 8922))
            return false;
    return true;
}

void tst_SimRestore::restoringMetadataBackupsRestoresTheState()
{
    QVERIFY(m_cluster.layout().ok());
    QVERIFY(startAll());
    Test::SimClient c;
    QVERIFY(c.open(m_cluster.host(1), 8922).ok());
    QVERIFY(c.run(u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
                  "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n"
                  "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)\n"
                  "tableInsert(loadTable(\"dfs://stock\",\"stock\"), table([2023.01.01T00:00:01.000, 2023.01.01T00:00:02.000], [\"Apple\",\"Meta\"], [1, 2]))"_s)
                .ok());
    c.close();
    // Let heartbeats carry the replicas' versions before stopping.
    QTest::qWait(300);

    // Stop everything and back up the metadata, as the tutorial's step 2.
    QVERIFY(m_cluster.stopAll());
    for (int i = 1; i <= 3; ++i) {
        const QString ctl = m_cluster.dataDir(i) + u"/ctl%1"_s.arg(i);
        QVERIFY(Test::copyDirectory(ctl + u"/dfsMeta"_s, ctl + u"/dfsMeta_bak"_s));
        QVERIFY(Test::copyDirectory(ctl + u"/raft"_s, ctl + u"/raft_bak"_s));
        const QString storage = m_cluster.dataDir(i) + u"/node%1/storage"_s.arg(i);
        QVERIFY(Test::copyDirectory(storage + u"/CHUNK_METADATA"_s, storage + u"/CHUNK_METADATA_BAK"_s));
    }

    // Changes after the backup.
    QVERIFY(startAll());
    QVERIFY(c.open(m_cluster.host(2), 8922).ok());
    QVERIFY(c.run(u"database(\"dfs://other\",VALUE,1..3)"_s).ok());
    QVERIFY(c.run(u"tableInsert(loadTable(\"dfs://stock\",\"stock\"), table([2023.01.01T00:00:03.000], [\"Apple\"], [3]))"_s).ok());
    QCOMPARE(c.run(u"exec count(*) from loadTable(\"dfs://stock\",\"stock\")"_s)->toInt64(), 3);
    QCOMPARE(c.run(u"existsDatabase(\"dfs://other\")"_s)->toBool(), true);
    c.close();
    QTest::qWait(300);
    QVERIFY(m_cluster.stopAll());

    // Restore the backups and start again.
    for (int i = 1; i <= 3; ++i) {
        const QString ctl = m_cluster.dataDir(i) + u"/ctl%1"_s.arg(i);
        for (const QString &d : {u"/dfsMeta"_s, u"/raft"_s}) {
            QVERIFY(QDir(ctl + d).removeRecursively());
            QVERIFY(Test::copyDirectory(ctl + d + u"_bak"_s, ctl + d));
        }
        const QString storage = m_cluster.dataDir(i) + u"/node%1/storage"_s.arg(i);
        QVERIFY(QDir(storage + u"/CHUNK_METADATA"_s).removeRecursively());
        QVERIFY(Test::copyDirectory(storage + u"/CHUNK_METADATA_BAK"_s, storage + u"/CHUNK_METADATA"_s));
    }
    QVERIFY(startAll());
    QVERIFY(c.open(m_cluster.host(3), 8922).ok());
    QCOMPARE(c.run(u"existsDatabase(\"dfs://other\")"_s)->toBool(), false);
    QCOMPARE(c.run(u"existsDatabase(\"dfs://stock\")"_s)->toBool(), true);
    QCOMPARE(c.run(u"exec count(*) from loadTable(\"dfs://stock\",\"stock\")"_s)->toInt64(), 2);
    QCOMPARE(c.run(u"exec max(id) from loadTable(\"dfs://stock\",\"stock\")"_s)->toInt64(), 2);
    QCOMPARE(c.run(u"exec count(*) from rpc(getControllerAlias(), getClusterChunksStatus) where state != \"COMPLETE\""_s)->toInt64(), 0);
    // And the restored cluster takes writes again.
    QVERIFY(c.run(u"tableInsert(loadTable(\"dfs://stock\",\"stock\"), table([2023.01.01T00:00:04.000], [\"Meta\"], [3]))"_s).ok());
    QCOMPARE(c.run(u"exec count(*) from loadTable(\"dfs://stock\",\"stock\")"_s)->toInt64(), 3);
}

QTEST_GUILESS_MAIN(tst_SimRestore)
#include "tst_simrestore.moc"
