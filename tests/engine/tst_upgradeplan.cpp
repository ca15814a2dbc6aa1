// SPDX-License-Identifier: GPL-3.0-or-later
// The plan's pure parts: host order (leader last), the backup items of a host (its own
// nodes only, the right labels — not the tutorial's swapped ones), the per-host steps.
#include "engine/upgradeplan.h"

#include "core/configparsers.h"
#include "support/testdata.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;

class tst_UpgradePlan final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void hostOrderPutsTheLeadersHostLast_data();
    void hostOrderPutsTheLeadersHostLast();
    void backupItemsAreThisHostsOwnMetadata_data();
    void backupItemsAreThisHostsOwnMetadata();
    void livePathsOverrideTheConfiguration();
    void hostPlanListsEveryStepWithItsCommands();
    void versionNumberDropsTheDate();
    void aTargetNotNewerIsRefusedLoudly_data();
    void aTargetNotNewerIsRefusedLoudly();

private:
    Core::ClusterTopology m_topology;
    Core::UpgradeProfile m_profile;
};

void tst_UpgradePlan::initTestCase()
{
    auto t = Core::loadTopologyFromDirectory(Test::testDataPath(u"tutorial"_s));
    QVERIFY(t.ok());
    m_topology = *t;
    for (int i = 1; i <= 3; ++i) {
        Core::HostAccess h;
        h.address = u"10.10.11.%1"_s.arg(i);
        h.installDir = u"/home/zjchen/HA/server"_s;
        m_profile.hosts << h;
    }
    m_profile.packagePath = u"/pkgs/DolphinDB_Linux64_V2.00.8.12.zip"_s;
}

void tst_UpgradePlan::hostOrderPutsTheLeadersHostLast_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<QString>("leaderHost");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("the leader on the first host goes last")
        << u"leader-last"_s << u"10.10.11.1"_s << QStringList{u"10.10.11.2"_s, u"10.10.11.3"_s, u"10.10.11.1"_s};
    QTest::newRow("the leader on the middle host goes last")
        << u"leader-last"_s << u"10.10.11.2"_s << QStringList{u"10.10.11.1"_s, u"10.10.11.3"_s, u"10.10.11.2"_s};
    QTest::newRow("the leader already last keeps the order")
        << u"leader-last"_s << u"10.10.11.3"_s << QStringList{u"10.10.11.1"_s, u"10.10.11.2"_s, u"10.10.11.3"_s};
    QTest::newRow("an unknown leader host changes nothing")
        << u"leader-last"_s << u"10.9.9.9"_s << QStringList{u"10.10.11.1"_s, u"10.10.11.2"_s, u"10.10.11.3"_s};
    QTest::newRow("as-listed ignores the leader")
        << u"as-listed"_s << u"10.10.11.1"_s << QStringList{u"10.10.11.1"_s, u"10.10.11.2"_s, u"10.10.11.3"_s};
}

void tst_UpgradePlan::hostOrderPutsTheLeadersHostLast()
{
    QFETCH(QString, policy);
    QFETCH(QString, leaderHost);
    QFETCH(QStringList, expected);
    Core::UpgradeProfile p = m_profile;
    p.orderPolicy = policy;
    QCOMPARE(Engine::orderHosts(p, leaderHost), expected);
}

void tst_UpgradePlan::backupItemsAreThisHostsOwnMetadata_data()
{
    QTest::addColumn<int>("host");
    QTest::addColumn<QStringList>("labels");
    QTest::addColumn<QStringList>("sources");
    const QString d = u"/home/zjchen/HA/server/clusterDemo/data/"_s;
    for (int i = 1; i <= 3; ++i) {
        const QString ctl = u"HActl4%1"_s.arg(i + 2);
        const QString node = u"node4%1"_s.arg(i + 2);
        QTest::addRow("host %d backs up %s's dfsMeta and raft and %s's CHUNK_METADATA", i, qPrintable(ctl),
                      qPrintable(node))
            << i << QStringList{ctl + u"/dfsMeta"_s, ctl + u"/raft"_s, node + u"/CHUNK_METADATA"_s}
            << QStringList{d + ctl + u"/dfsMeta"_s, d + ctl + u"/raft"_s, d + node + u"/storage/CHUNK_METADATA"_s};
    }
}

void tst_UpgradePlan::backupItemsAreThisHostsOwnMetadata()
{
    QFETCH(int, host);
    QFETCH(QStringList, labels);
    QFETCH(QStringList, sources);
    const QList<Engine::BackupItem> items = Engine::backupItemsForHost(m_topology, m_profile.hosts[host - 1]);
    QStringList gotLabels;
    QStringList gotSources;
    for (const Engine::BackupItem &b : items) {
        gotLabels << b.label;
        gotSources << b.sourceDir;
    }
    QCOMPARE(gotLabels, labels);
    QCOMPARE(gotSources, sources);
}

void tst_UpgradePlan::livePathsOverrideTheConfiguration()
{
    const QMap<QString, QString> live{{u"node44"_s, u"/ssd/meta/node44"_s}, {u"HActl44"_s, u"relative/dfsMeta"_s}};
    const QList<Engine::BackupItem> items = Engine::backupItemsForHost(m_topology, m_profile.hosts[1], live);
    QCOMPARE(items.size(), 3);
    QCOMPARE(items[0].sourceDir, u"/home/zjchen/HA/server/clusterDemo/relative/dfsMeta"_s);  // relative to clusterDemo
    QCOMPARE(items[2].sourceDir, u"/ssd/meta/node44/CHUNK_METADATA"_s);
}

void tst_UpgradePlan::hostPlanListsEveryStepWithItsCommands()
{
    const Engine::HostPlan p = Engine::planForHost(m_topology, m_profile.hosts[0], m_profile.packagePath,
                                                   u"2.00.7.4"_s, u"abc"_s);
    QStringList ids;
    for (const Engine::PlanStep &s : p.steps) {
        ids << s.id;
        QVERIFY2(!s.commands.isEmpty(), qPrintable(s.id));
    }
    QCOMPARE(ids, (QStringList{u"gate"_s, u"stop"_s, u"verify-stopped"_s, u"backup"_s, u"install"_s, u"start"_s,
                               u"verify-version"_s, u"recovery"_s}));
    QCOMPARE(p.dataNodes, QStringList{u"node43"_s});
    QCOMPARE(p.controllers, QStringList{u"HActl43"_s});
    QCOMPARE(p.stagedPackage, u"/home/zjchen/HA/.graystep/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s);
    QCOMPARE(p.backupDir, u"/home/zjchen/HA/.graystep/backup-2.00.7.4-abc"_s);
    // Data nodes through the leader, before the stop script.
    QVERIFY(p.steps[1].commands[0].contains(u"stopDataNode([\"node43\"])"_s));
    QVERIFY(p.steps[1].commands[1].contains(u"stopAllNode.sh"_s));
    QVERIFY(p.steps[5].commands.last().contains(u"startDataNode([\"node43\"])"_s));
    QVERIFY(p.steps[1].mutating);
    QVERIFY(!p.steps[0].mutating);
}

void tst_UpgradePlan::versionNumberDropsTheDate()
{
    QCOMPARE(Engine::versionNumber(u"2.00.8.12 2023.01.10"_s), u"2.00.8.12"_s);
    QCOMPARE(Engine::versionNumber(u" 2.00.7.4"_s), u"2.00.7.4"_s);
}

void tst_UpgradePlan::aTargetNotNewerIsRefusedLoudly_data()
{
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("refusal");   // how it starts; empty: runnable
    QTest::newRow("a newer target is runnable") << u"2.00.7.4"_s << u"2.00.8.12 2023.01.10"_s << QString();
    QTest::newRow("a newer build of the same release is runnable") << u"2.00.8.12"_s << u"2.00.8.13"_s << QString();
    QTest::newRow("the same version is nothing to upgrade") << u"2.00.7.4"_s << u"2.00.7.4 2022.12.08"_s
                                                            << u"NOTHING TO UPGRADE: every node already runs 2.00.7.4"_s;
    QTest::newRow("an older target is a downgrade") << u"2.00.8.12"_s << u"2.00.7.4"_s
                                                    << u"DOWNGRADE: the target 2.00.7.4 is older than 2.00.8.12"_s;
    QTest::newRow("an older series is a downgrade") << u"2.00.7.4"_s << u"1.30.22.4"_s << u"DOWNGRADE"_s;
    QTest::newRow("a target that is no version is refused") << u"2.00.7.4"_s << u"latest"_s << u"NOT AN UPGRADE"_s;
}

void tst_UpgradePlan::aTargetNotNewerIsRefusedLoudly()
{
    QFETCH(QString, from);
    QFETCH(QString, target);
    QFETCH(QString, refusal);
    const QString r = Engine::planRefusal(from, target);
    QVERIFY2(refusal.isEmpty() ? r.isEmpty() : r.startsWith(refusal), qPrintable(r));
    // The plan's text and JSON carry it first and last, and say it is not runnable.
    Engine::UpgradePlan plan;
    plan.fromVersion = from;
    plan.targetVersion = target;
    plan.refusal = r;
    plan.hosts << Engine::planForHost(m_topology, m_profile.hosts.first(), m_profile.packagePath, from, u"r1"_s);
    const QString text = plan.toText();
    QCOMPARE(text.startsWith(u"!!!!! "_s + r), !r.isEmpty());
    QCOMPARE(text.trimmed().endsWith(r + u" !!!!!"_s), !r.isEmpty());
    QCOMPARE(plan.toJson().value(u"runnable"_s).toBool(), r.isEmpty());
    QCOMPARE(plan.toJson().value(u"refusal"_s).toString(), r);
}

QTEST_GUILESS_MAIN(tst_UpgradePlan)
#include "tst_upgradeplan.moc"
