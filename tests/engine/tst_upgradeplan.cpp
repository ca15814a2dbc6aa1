// SPDX-License-Identifier: GPL-3.0-or-later
// The plan's pure parts: host order (leader last), the backup items of a host (its own
// nodes only, the right labels — not the tutorial's swapped ones), the per-host steps; and the
// step list they come from (upgradesteps.h): journal ids, order, commands.
#include "engine/hostchecks.h"
#include "engine/upgradeplan.h"
#include "engine/upgradesteps.h"

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

    void stepIdsAreTheJournals();
    void everyStepHasCommands_data();
    void everyStepHasCommands();
    void planOrderIsTheRunOrder_data();
    void planOrderIsTheRunOrder();
    void planShowsTheStepListsCommands();
    void stageKeepsTheOldBinariesAndUnpacks();
    void detachedStepsAreNamedAsOnTheHost();

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
    Engine::PlanOptions o;
    o.runId = u"abc"_s;
    const Engine::HostPlan p = Engine::planForHost(m_topology, m_profile, m_profile.hosts[0], u"2.00.7.4"_s, o);
    QStringList ids;
    for (const Engine::PlanStep &s : p.steps) {
        ids << s.id;
        QVERIFY2(!s.commands.isEmpty(), qPrintable(s.id));
    }
    QCOMPARE(ids, (QStringList{u"disk"_s, u"stage"_s, u"gate"_s, u"stop"_s, u"verify-stopped"_s, u"backup"_s,
                               u"install"_s, u"start"_s, u"verify-version"_s, u"recovery"_s, u"continuity"_s}));
    QCOMPARE(p.dataNodes, QStringList{u"node43"_s});
    QCOMPARE(p.controllers, QStringList{u"HActl43"_s});
    QCOMPARE(p.stagedPackage, u"/home/zjchen/HA/.graystep/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s);
    QCOMPARE(p.backupDir, u"/home/zjchen/HA/.graystep/backup-2.00.7.4-abc"_s);
    // Data nodes through the leader, before the stop script (after the leader's view of them).
    const QStringList stop = p.steps[3].commandTexts();
    QCOMPARE(stop.size(), 3);
    QVERIFY(stop[0].startsWith(u"ddb <leader>: "_s));
    QVERIFY(stop[1].contains(u"stopDataNode([\"node43\"])"_s));
    QVERIFY(stop[2].contains(u"stopAllNode.sh"_s));
    QVERIFY(p.steps[7].commandTexts().join(u'\n').contains(u"startDataNode([\"node43\"])"_s));
    // Only while a node is slow to answer: the look at the host's processes.
    QVERIFY(!p.steps[7].commands.last().when.isEmpty());
    QCOMPARE(p.steps[7].commands.last().text, Engine::HostCommands::listServerProcesses(u"/home/zjchen/HA/server"_s));
    QVERIFY(p.steps[3].mutating);
    QVERIFY(!p.steps[2].mutating);
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
    Engine::PlanOptions o;
    o.runId = u"r1"_s;
    plan.hosts << Engine::planForHost(m_topology, m_profile, m_profile.hosts.first(), from, o);
    const QString text = plan.toText();
    QCOMPARE(text.startsWith(u"!!!!! "_s + r), !r.isEmpty());
    QCOMPARE(text.trimmed().endsWith(r + u" !!!!!"_s), !r.isEmpty());
    QCOMPARE(plan.toJson().value(u"runnable"_s).toBool(), r.isEmpty());
    QCOMPARE(plan.toJson().value(u"refusal"_s).toString(), r);
}

// The journal and the tests depend on these strings: the step list keeps them exactly.
void tst_UpgradePlan::stepIdsAreTheJournals()
{
    const QStringList expected{u"disk"_s,           u"stage"_s,         u"gate"_s,           u"stop"_s,
                               u"verify-stopped"_s, u"backup"_s,        u"install"_s,        u"start"_s,
                               u"verify-version"_s, u"recovery"_s,      u"continuity"_s,     u"restart"_s,
                               u"rollback-stop"_s,  u"rollback-restore"_s, u"rollback-start"_s};
    QStringList keys;
    for (const Engine::StepInfo &s : Engine::allSteps()) {
        keys << s.key;
        QCOMPARE(Engine::stepInfo(s.id).key, s.key);
        QCOMPARE(Engine::stepFromKey(s.key), std::optional<Engine::StepId>(s.id));
        QVERIFY2(!s.title.isEmpty(), qPrintable(s.key));
    }
    QCOMPARE(keys, expected);
    QVERIFY(!Engine::stepFromKey(u"host-done"_s).has_value());
    QCOMPARE(Engine::rollbackRestartKey(42), u"rollback-restart-42"_s);
}

void tst_UpgradePlan::everyStepHasCommands_data()
{
    QTest::addColumn<int>("step");
    for (const Engine::StepInfo &s : Engine::allSteps()) {
        QTest::addRow("%s runs commands", qPrintable(s.key)) << int(s.id);
    }
}

// Every step, also those of a rollback, has commands, none empty; a step that changes the host
// runs its shell script detached (it must survive a dropped connection), except stage, whose
// upload and unpacking are repeated safely.
void tst_UpgradePlan::everyStepHasCommands()
{
    QFETCH(int, step);
    const auto id = Engine::StepId(step);
    const Engine::HostStepInput in = Engine::hostStepInput(m_topology, m_profile, m_profile.hosts[1],
                                                           m_profile.packagePath, u"2.00.7.4"_s, u"abc"_s);
    QCOMPARE(in.hostIndex, 2);
    const QList<Engine::StepCommand> commands = Engine::stepCommands(id, in);
    QVERIFY(!commands.isEmpty());
    bool detached = false;
    QStringList seen;
    for (const Engine::StepCommand &c : commands) {
        QVERIFY2(!c.text.trimmed().isEmpty(), qPrintable(c.display()));
        QVERIFY2(!c.text.contains(u"<unreadable"_s), qPrintable(c.display()));
        QVERIFY2(!seen.contains(c.display()), "a command is listed twice");
        seen << c.display();
        if (c.kind == Engine::StepCommand::Kind::Ddb) {
            QVERIFY(!c.target.isEmpty());
        }
        detached = detached || !c.detached.isEmpty();
    }
    const bool shellMutates = id == Engine::StepId::Stop || id == Engine::StepId::Backup
                              || id == Engine::StepId::Install || id == Engine::StepId::Start || id == Engine::StepId::Restart
                              || id == Engine::StepId::RollbackStop || id == Engine::StepId::RollbackRestore
                              || id == Engine::StepId::RollbackStart;
    QCOMPARE(detached, shellMutates);
}

void tst_UpgradePlan::planOrderIsTheRunOrder_data()
{
    QTest::addColumn<bool>("writer");
    QTest::addColumn<QStringList>("expected");
    const QStringList base{u"disk"_s,   u"stage"_s, u"gate"_s,           u"stop"_s,     u"verify-stopped"_s,
                           u"backup"_s, u"install"_s, u"start"_s, u"verify-version"_s, u"recovery"_s};
    QTest::newRow("with the writer, each host ends with its continuity checkpoint")
        << true << (base + QStringList{u"continuity"_s});
    QTest::newRow("without the writer (run --no-writer), no checkpoint") << false << base;
}

// The order DESIGN.md §3 gives and the run executes (disk check and staging on every host
// before any stop, then host by host) is the step list's; the plan lists exactly that.
void tst_UpgradePlan::planOrderIsTheRunOrder()
{
    QFETCH(bool, writer);
    QFETCH(QStringList, expected);
    QStringList order;
    for (const Engine::StepId id : Engine::runStepOrder(writer)) {
        order << Engine::stepKey(id);
    }
    QCOMPARE(order, expected);
    Engine::PlanOptions o;
    o.writer = writer;
    const Engine::HostPlan p = Engine::planForHost(m_topology, m_profile, m_profile.hosts[2], u"2.00.7.4"_s, o);
    QStringList planned;
    bool hostPhase = false;
    for (const Engine::PlanStep &s : p.steps) {
        planned << s.id;
        // Prepare steps all come before the host's own.
        QVERIFY2(!(hostPhase && s.phase == Engine::StepPhase::Prepare), qPrintable(s.id));
        hostPhase = hostPhase || s.phase == Engine::StepPhase::Host;
        QVERIFY(s.phase != Engine::StepPhase::Recovery);
    }
    QCOMPARE(planned, expected);
    // The profile's writer switched off: no checkpoint either.
    Core::UpgradeProfile noWriter = m_profile;
    noWriter.writer.enabled = false;
    o.writer = true;
    const Engine::HostPlan withoutWriter = Engine::planForHost(m_topology, noWriter, m_profile.hosts[2], u"2.00.7.4"_s, o);
    QCOMPARE(withoutWriter.steps.last().id, u"recovery"_s);
}

// The plan's commands are the step list's, command for command (nothing built a second time).
void tst_UpgradePlan::planShowsTheStepListsCommands()
{
    Engine::PlanOptions o;
    o.runId = u"r1"_s;
    const Engine::HostPlan p = Engine::planForHost(m_topology, m_profile, m_profile.hosts[0], u"2.00.7.4"_s, o);
    const Engine::HostStepInput in = Engine::hostStepInput(m_topology, m_profile, m_profile.hosts[0],
                                                           m_profile.packagePath, u"2.00.7.4"_s, u"r1"_s);
    for (const Engine::PlanStep &s : p.steps) {
        QCOMPARE(s.commands, Engine::stepCommands(s.step, in));
        QCOMPARE(s.mutating, Engine::stepInfo(s.step).mutating);
    }
    // The gate reads the metadata paths of this host's own nodes; verify-version asks each node.
    const QString gate = p.steps[2].commandTexts().join(u'\n');
    QVERIFY(gate.contains(u"ddb node43: "_s) && gate.contains(u"chunkMetaDir"_s));
    QVERIFY(gate.contains(u"ddb HActl43: "_s) && gate.contains(u"dfsMetaDir"_s));
    QVERIFY(gate.contains(u"ddb <controllers>: getActiveMaster()"_s));
    QCOMPARE(p.steps[8].commandTexts(), (QStringList{u"ddb HActl43: version()"_s, u"ddb agent43: version()"_s,
                                                     u"ddb node43: version()"_s}));
    // The disk check is the script measureStageDisk runs: free space where the install and the
    // state directory live, the metadata's size.
    const QString disk = p.steps[0].commandTexts().value(0);
    QCOMPARE(disk, Engine::stageDiskScript(in.installDir, in.stateDir, in.metadataDirs));
    QVERIFY2(disk.contains(u"df -Pk"_s) && disk.contains(u"'/home/zjchen/HA/server'"_s)
                 && disk.contains(u"'/home/zjchen/HA/.graystep'"_s) && disk.contains(u"CHUNK_METADATA"_s),
             qPrintable(disk));
}

// Issue 13: the run's stage step keeps the old binaries and unpacks the package; the plan said
// install did. Now stage shows it, and install shows only what install runs.
void tst_UpgradePlan::stageKeepsTheOldBinariesAndUnpacks()
{
    const Engine::HostPlan p = Engine::planForHost(m_topology, m_profile, m_profile.hosts[0], u"2.00.7.4"_s);
    const Engine::PlanStep &stage = p.steps[1];
    QCOMPARE(stage.id, u"stage"_s);
    QCOMPARE(stage.commands.size(), 4);
    QCOMPARE(stage.commands[2].kind, Engine::StepCommand::Kind::Upload);
    QCOMPARE(stage.commands[2].target, m_profile.packagePath);
    QCOMPARE(stage.commands[2].text, p.stagedPackage);
    QCOMPARE(stage.commands[3].text,
             Engine::HostCommands::preparePackage(u"/home/zjchen/HA/server"_s, p.stagedPackage, u"2.00.7.4"_s));
    QVERIFY(stage.commands[3].text.contains(u"/home/zjchen/HA/server.bak-2.00.7.4"_s));
    const Engine::PlanStep &install = p.steps[6];
    QCOMPARE(install.id, u"install"_s);
    QCOMPARE(install.commandTexts(),
             QStringList{Engine::HostCommands::installPackage(u"/home/zjchen/HA/server"_s, p.stagedPackage,
                                                              u"2.00.7.4"_s)});
    // The backup and its verification run as one detached script, after the probe.
    const Engine::PlanStep &backup = p.steps[5];
    QCOMPARE(backup.commands.size(), 2);
    QVERIFY(backup.commands[1].text.contains(u"MANIFEST"_s));
    QVERIFY(backup.commands[1].text.contains(Engine::HostCommands::okMarker(u"verified"_s)));
}

void tst_UpgradePlan::detachedStepsAreNamedAsOnTheHost()
{
    Engine::PlanOptions o;
    o.runId = u"abc"_s;
    const Engine::HostPlan p = Engine::planForHost(m_topology, m_profile, m_profile.hosts[1], u"2.00.7.4"_s, o);
    QStringList ids;
    for (const Engine::PlanStep &s : p.steps) {
        for (const Engine::StepCommand &c : s.commands) {
            if (!p.detachedId(c).isEmpty()) {
                ids << p.detachedId(c);
            }
        }
    }
    QCOMPARE(ids, (QStringList{u"gs-abc-h2-stop"_s, u"gs-abc-h2-backup"_s, u"gs-abc-h2-install"_s,
                               u"gs-abc-h2-start-scripts"_s}));
    // The staging record names the upload the same way.
    QVERIFY(p.steps[1].commands[1].text.contains(u"gs-abc-h2-upload $$"_s));
}

QTEST_GUILESS_MAIN(tst_UpgradePlan)
#include "tst_upgradeplan.moc"
