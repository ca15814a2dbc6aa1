// SPDX-License-Identifier: GPL-3.0-or-later
// The pre-flight's judgements as tables: a setting that could not be read is said so (never 0 or
// "(unset)"); dfsRecoveryWaitTime against the expected host downtime; every node's version,
// controllers and agents included; a same-version or older target; the metadata a rollback
// needs; the configuration on disk against the live values.
#include "engine/preflightrules.h"

#include "engine/journal.h"
#include "support/mockclock.h"

#include <QTemporaryDir>
#include <QTest>

#include <utility>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::Engine;
using V = PreflightItem::Verdict;
using Core::NodeMode;

Q_DECLARE_METATYPE(GrayStep::Engine::SettingRead)
Q_DECLARE_METATYPE(GrayStep::Engine::NodeVersionRead)
Q_DECLARE_METATYPE(GrayStep::Engine::MetadataDirState)

namespace {

QList<NodeVersionRead> cluster(const QString &ctl44, const QString &agent45 = u"2.00.7.4 2022.12.08"_s)
{
    const QString old = u"2.00.7.4 2022.12.08"_s;
    QList<NodeVersionRead> n{{u"HActl43"_s, NodeMode::Controller, old, {}},  {u"HActl44"_s, NodeMode::Controller, ctl44, {}},
                             {u"HActl45"_s, NodeMode::Controller, old, {}},  {u"agent43"_s, NodeMode::Agent, old, {}},
                             {u"agent44"_s, NodeMode::Agent, old, {}},       {u"agent45"_s, NodeMode::Agent, agent45, {}},
                             {u"node43"_s, NodeMode::DataNode, old, {}},     {u"node44"_s, NodeMode::DataNode, old, {}},
                             {u"node45"_s, NodeMode::DataNode, old, {}}};
    if (agent45.isEmpty()) {
        n[5].error = u"connection refused"_s;
    }
    return n;
}

} // namespace

class tst_PreflightRules final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void settingsThatCouldNotBeReadSaySo_data();
    void settingsThatCouldNotBeReadSaySo();
    void dataSyncOnEveryDataNode();
    void recoveryWaitAgainstDowntime_data();
    void recoveryWaitAgainstDowntime();
    void downtimeFromAnEarlierJournal();
    void versionsOfEveryNode_data();
    void versionsOfEveryNode();
    void compatibility_data();
    void compatibility();
    void metadata_data();
    void metadata();
    void configExpectationsPerNode();
    void sameSetting_data();
    void sameSetting();
    void configDrift();
};

void tst_PreflightRules::settingsThatCouldNotBeReadSaySo_data()
{
    QTest::addColumn<QString>("setting");
    QTest::addColumn<SettingRead>("read");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QString>("evidence");
    const SettingRead broken = SettingRead::unreadable(u"<NotLeader>127.0.10.2:8920:HActl44"_s);
    QTest::newRow("replication factor unreadable fails, says so, no 0")
        << u"dfsReplicationFactor"_s << broken << int(V::Fail)
        << u"dfsReplicationFactor could not read (<NotLeader>127.0.10.2:8920:HActl44)"_s;
    QTest::newRow("replication factor unset is DolphinDB's default 2")
        << u"dfsReplicationFactor"_s << SettingRead::unset() << int(V::Pass) << u"dfsReplicationFactor=(unset: DolphinDB's default 2)"_s;
    QTest::newRow("replication factor 1 fails") << u"dfsReplicationFactor"_s << SettingRead::of(u"1"_s) << int(V::Fail)
                                                << u"dfsReplicationFactor=1"_s;
    QTest::newRow("reliability level unreadable fails, says so")
        << u"dfsReplicaReliabilityLevel"_s << broken << int(V::Fail) << u"dfsReplicaReliabilityLevel could not read ("_s;
    QTest::newRow("reliability level unset is the default 0: fails")
        << u"dfsReplicaReliabilityLevel"_s << SettingRead::unset() << int(V::Fail) << u"(unset: DolphinDB's default 0)"_s;
    QTest::newRow("HA mode unreadable fails, says so") << u"dfsHAMode"_s << broken << int(V::Fail) << u"dfsHAMode=could not read ("_s;
    QTest::newRow("HA mode Raft passes") << u"dfsHAMode"_s << SettingRead::of(u"Raft"_s) << int(V::Pass) << u"dfsHAMode=Raft"_s;
}

void tst_PreflightRules::settingsThatCouldNotBeReadSaySo()
{
    QFETCH(QString, setting);
    QFETCH(SettingRead, read);
    QFETCH(int, verdict);
    QFETCH(QString, evidence);
    const PreflightItem item = setting == u"dfsReplicationFactor"_s ? haReplicationItem(u"HActl43"_s, read)
                               : setting == u"dfsHAMode"_s          ? haRaftItem(u"HActl43"_s, read, 3)
                                                                    : haReliabilityItem(u"HActl43"_s, read);
    QCOMPARE(int(item.verdict), verdict);
    QVERIFY2(item.evidence.contains(evidence), qPrintable(item.evidence));
    if (read.state == SettingRead::State::Unreadable) {
        QVERIFY2(!item.evidence.contains(u"=0"_s) && !item.evidence.contains(u"(unset"_s), qPrintable(item.evidence));
    }
}

void tst_PreflightRules::dataSyncOnEveryDataNode()
{
    QMap<QString, SettingRead> nodes{{u"node43"_s, SettingRead::of(u"1"_s)}, {u"node44"_s, SettingRead::of(u"1"_s)}};
    QCOMPARE(haDataSyncItem(nodes).verdict, V::Pass);
    nodes[u"node44"_s] = SettingRead::unset();
    PreflightItem item = haDataSyncItem(nodes);
    QCOMPARE(item.verdict, V::Fail);
    QVERIFY2(item.evidence == u"node44=(unset: default 0)"_s, qPrintable(item.evidence));
    nodes[u"node44"_s] = SettingRead::unreadable(u"timeout"_s);
    item = haDataSyncItem(nodes);
    QCOMPARE(item.verdict, V::Fail);
    QVERIFY2(item.evidence == u"node44=could not read (timeout)"_s, qPrintable(item.evidence));
    item = haDataSyncItem({}, u"<NotLeader>"_s);
    QCOMPARE(item.verdict, V::Fail);
    QVERIFY2(item.evidence.contains(u"could not read (<NotLeader>)"_s), qPrintable(item.evidence));
    QCOMPARE(haDataSyncItem({}).verdict, V::Fail);
}

void tst_PreflightRules::recoveryWaitAgainstDowntime_data()
{
    QTest::addColumn<SettingRead>("wait");
    QTest::addColumn<qint64>("downtimeMs");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QString>("evidence");
    QTest::newRow("the tutorial's 30 s against the 120 s default warns")
        << SettingRead::of(u"30000"_s) << 120000ll << int(V::Warn) << u"30000 ms is not longer than the expected host downtime 120000 ms"_s;
    QTest::newRow("30 s against a measured 10 s passes") << SettingRead::of(u"30000"_s) << 10000ll << int(V::Pass)
                                                        << u"30000 ms, longer than the expected host downtime 10000 ms"_s;
    QTest::newRow("an hour passes against the default") << SettingRead::of(u"3600000"_s) << 120000ll << int(V::Pass) << u"3600000 ms"_s;
    QTest::newRow("equal to the downtime is not longer") << SettingRead::of(u"120000"_s) << 120000ll << int(V::Warn)
                                                        << u"not longer"_s;
    QTest::newRow("unset: recovery is not automatic") << SettingRead::unset() << 120000ll << int(V::Warn)
                                                     << u"dfsRecoveryWaitTime=(unset): recovery is not started automatically"_s;
    QTest::newRow("unreadable fails and says so, not (unset)")
        << SettingRead::unreadable(u"timeout"_s) << 120000ll << int(V::Fail) << u"dfsRecoveryWaitTime could not read (timeout)"_s;
    QTest::newRow("not a number fails") << SettingRead::of(u"30s"_s) << 120000ll << int(V::Fail) << u"is not a number"_s;
}

void tst_PreflightRules::recoveryWaitAgainstDowntime()
{
    QFETCH(SettingRead, wait);
    QFETCH(qint64, downtimeMs);
    QFETCH(int, verdict);
    QFETCH(QString, evidence);
    const PreflightItem item = haRecoveryWaitItem(u"HActl43"_s, wait, DowntimeEstimate{downtimeMs, u"the test's figure"_s});
    QCOMPARE(item.id, u"ha-recoverywait"_s);
    QCOMPARE(int(item.verdict), verdict);
    QVERIFY2(item.evidence.contains(evidence), qPrintable(item.evidence));
    if (verdict != int(V::Fail)) {
        // Where the downtime figure comes from is said.
        QVERIFY2(item.evidence.contains(u"(the test's figure)"_s), qPrintable(item.evidence));
    }
    QCOMPARE(item.fixHint.isEmpty(), verdict == int(V::Pass));
    // The default is documented in the evidence it produces.
    QVERIFY(defaultHostDowntime().ms == 120000);
    QVERIFY(defaultHostDowntime().source.contains(u"default"_s));
}

void tst_PreflightRules::downtimeFromAnEarlierJournal()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"run.journal"_s);
    Test::MockClock clock(1000000);
    {
        auto j = Journal::open(path, clock);
        QVERIFY(j.ok());
        QVERIFY((*j)->append(u"run"_s).ok());
        // Host 1: down 8.5 s; host 2: down 12 s; host 3: stopped, never started (no window).
        for (const auto &[host, down] : {std::pair{u"127.0.10.1"_s, 8500}, std::pair{u"127.0.10.2"_s, 12000}}) {
            QVERIFY((*j)->append(u"intent"_s, host, u"gate"_s).ok());
            clock.advance(1000);
            QVERIFY((*j)->append(u"intent"_s, host, u"stop"_s).ok());
            clock.advance(down - 500);
            QVERIFY((*j)->append(u"intent"_s, host, u"start"_s).ok());
            clock.advance(500);
            QVERIFY((*j)->append(u"done"_s, host, u"start"_s).ok());
            clock.advance(3000);
        }
        QVERIFY((*j)->append(u"intent"_s, u"127.0.10.3"_s, u"stop"_s).ok());
    }
    const auto d = hostDowntimeFromJournal(path);
    QVERIFY2(d.ok(), qPrintable(d.ok() ? QString() : d.error().toString()));
    QCOMPARE(d->ms, 12000);
    QVERIFY2(d->source.contains(u"run.journal: host 127.0.10.2 was down 12.0 s (the longest of 2 host window(s))"_s),
             qPrintable(d->source));
    // A journal without a complete window cannot be used, and says why.
    const QString empty = dir.filePath(u"empty.journal"_s);
    {
        auto j = Journal::open(empty, clock);
        QVERIFY(j.ok());
        QVERIFY((*j)->append(u"run"_s).ok());
    }
    const auto none = hostDowntimeFromJournal(empty);
    QVERIFY(!none.ok());
    QVERIFY2(none.error().toString().contains(u"empty.journal"_s), qPrintable(none.error().toString()));
    QVERIFY(!hostDowntimeFromJournal(dir.filePath(u"missing"_s)).ok());
}

void tst_PreflightRules::versionsOfEveryNode_data()
{
    QTest::addColumn<QList<NodeVersionRead>>("nodes");
    QTest::addColumn<QString>("target");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QString>("evidence");
    const QString old = u"2.00.7.4 2022.12.08"_s;
    QTest::newRow("every node on 2.00.7.4, target newer") << cluster(old) << u"2.00.8.12"_s << int(V::Pass)
                                                          << u"version() of 9 node(s): 2.00.7.4: HActl43, HActl44"_s;
    QTest::newRow("a controller left on 2.00.8.12 fails, named")
        << cluster(u"2.00.8.12 2023.01.10"_s) << u"2.00.8.12"_s << int(V::Fail) << u"2.00.8.12: HActl44"_s;
    QTest::newRow("an agent that does not answer fails, named")
        << cluster(old, QString()) << u"2.00.8.12"_s << int(V::Fail) << u"could not read: agent45 (agent): connection refused"_s;
    QTest::newRow("the same version as the target fails") << cluster(old) << u"2.00.7.4"_s << int(V::Fail) << u"target 2.00.7.4"_s;
}

void tst_PreflightRules::versionsOfEveryNode()
{
    QFETCH(QList<NodeVersionRead>, nodes);
    QFETCH(QString, target);
    QFETCH(int, verdict);
    QFETCH(QString, evidence);
    const PreflightItem item = versionsItem(nodes, target);
    QCOMPARE(int(item.verdict), verdict);
    QVERIFY2(item.evidence.contains(evidence), qPrintable(item.evidence));
}

void tst_PreflightRules::compatibility_data()
{
    QTest::addColumn<QList<NodeVersionRead>>("nodes");
    QTest::addColumn<QString>("target");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QString>("title");
    QTest::addColumn<bool>("confirm");
    const QString old = u"2.00.7.4 2022.12.08"_s;
    QTest::newRow("the tutorial's level-2 path warns and asks for confirmation")
        << cluster(old) << u"2.00.8.12 2023.01.10"_s << int(V::Warn) << u"BELOW LEVEL 4"_s << true;
    QTest::newRow("the same version is nothing to upgrade, not below level 4")
        << cluster(old) << u"2.00.7.4"_s << int(V::Fail) << u"Nothing to upgrade"_s << false;
    QTest::newRow("an older target is a downgrade") << cluster(old) << u"2.00.6.0"_s << int(V::Fail) << u"DOWNGRADE"_s << false;
    QTest::newRow("a mixed cluster is not judged") << cluster(u"2.00.8.12 2023.01.10"_s) << u"2.00.8.12"_s << int(V::Fail)
                                                  << u"Compatibility level"_s << false;
    QTest::newRow("an unread node is not judged") << cluster(old, QString()) << u"2.00.8.12"_s << int(V::Fail)
                                                 << u"Compatibility level"_s << false;
}

void tst_PreflightRules::compatibility()
{
    QFETCH(QList<NodeVersionRead>, nodes);
    QFETCH(QString, target);
    QFETCH(int, verdict);
    QFETCH(QString, title);
    QFETCH(bool, confirm);
    const PreflightItem item = compatibilityItem(nodes, target);
    QCOMPARE(item.id, u"compatibility"_s);
    QCOMPARE(int(item.verdict), verdict);
    QVERIFY2(item.title.startsWith(title), qPrintable(item.title));
    QCOMPARE(item.needsConfirmation, confirm);
    if (title != u"BELOW LEVEL 4"_s) {
        QVERIFY2(!item.title.contains(u"BELOW LEVEL 4"_s), qPrintable(item.title));
    }
}

void tst_PreflightRules::metadata_data()
{
    QTest::addColumn<QList<MetadataDirState>>("dirs");
    QTest::addColumn<bool>("chunksRead");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QStringList>("evidence");
    const QString path = u"/opt/ddb/server/clusterDemo/data/node44/storage/CHUNK_METADATA"_s;
    const MetadataDirState present{u"node44"_s, NodeMode::DataNode, u"node44/CHUNK_METADATA"_s, path, u"getConfig(`chunkMetaDir) of node44"_s, 120};
    MetadataDirState absent = present;
    absent.kib = -1;
    MetadataDirState absentEmptyNode = absent;
    absentEmptyNode.node = u"node46"_s;
    absentEmptyNode.label = u"node46/CHUNK_METADATA"_s;
    const MetadataDirState raftAbsent{u"HActl44"_s, NodeMode::Controller, u"HActl44/raft"_s, u"/opt/ddb/server/clusterDemo/data/HActl44/raft"_s,
                                      u"the controller's home"_s, -1};
    QTest::newRow("present passes with its size and chunk count")
        << QList<MetadataDirState>{present} << true << int(V::Pass) << QStringList{u"node44/CHUNK_METADATA"_s, u"120 KiB"_s, u"6 chunk replica(s)"_s};
    QTest::newRow("missing on a node holding chunks fails, naming node, path and count")
        << QList<MetadataDirState>{absent} << true << int(V::Fail)
        << QStringList{path + u" does not exist"_s, u"lists node44 as a replica holder of 6 chunk(s)"_s};
    QTest::newRow("missing on a node without chunks passes with a note")
        << QList<MetadataDirState>{absentEmptyNode} << true << int(V::Pass)
        << QStringList{u"node46 holds no chunk (getClusterChunksStatus), nothing to back up"_s};
    QTest::newRow("missing while the chunk list is unknown fails")
        << QList<MetadataDirState>{absentEmptyNode} << false << int(V::Fail)
        << QStringList{u"the chunk list could not be read (no leader)"_s};
    QTest::newRow("a controller's missing raft directory fails")
        << QList<MetadataDirState>{present, raftAbsent} << true << int(V::Fail)
        << QStringList{u"HActl44/raft: /opt/ddb/server/clusterDemo/data/HActl44/raft does not exist"_s, u"present: node44/CHUNK_METADATA"_s};
}

void tst_PreflightRules::metadata()
{
    QFETCH(QList<MetadataDirState>, dirs);
    QFETCH(bool, chunksRead);
    QFETCH(int, verdict);
    QFETCH(QStringList, evidence);
    const std::optional<QMap<QString, int>> chunks =
        chunksRead ? std::optional<QMap<QString, int>>(QMap<QString, int>{{u"node43"_s, 7}, {u"node44"_s, 6}}) : std::nullopt;
    const PreflightItem item = metadataItem(u"127.0.10.2"_s, dirs, chunks, u"no leader"_s);
    QCOMPARE(item.id, u"metadata:127.0.10.2"_s);
    QCOMPARE(int(item.verdict), verdict);
    for (const QString &e : evidence) {
        QVERIFY2(item.evidence.contains(e), qPrintable(item.evidence));
    }
}

void tst_PreflightRules::configExpectationsPerNode()
{
    const QMap<QString, QByteArray> files{
        {u"controller.cfg"_s, "mode=controller\nlocalSite=10.0.0.1:8920:HActl43\ndfsReplicationFactor=2\ndfsHAMode=Raft\n"},
        {u"agent.cfg"_s, "mode=agent\nlocalSite=10.0.0.1:8921:agent43\ncontrollerSite=10.0.0.1:8920:HActl43\n"},
        {u"cluster.cfg"_s, "maxMemSize=8\ndataSync=1\nvolumes=/ssd/<ALIAS>\nnode4%.maxMemSize=16\nnode99.dataSync=0\ndataSync=0\n"}};
    const QList<Core::ClusterNode> nodes{{u"HActl43"_s, NodeMode::Controller, u"10.0.0.1"_s, 8920, {}, 1, {}},
                                         {u"agent43"_s, NodeMode::Agent, u"10.0.0.1"_s, 8921, {}, 2, {}},
                                         {u"node43"_s, NodeMode::DataNode, u"10.0.0.1"_s, 8922, {}, 3, {}}};
    const QList<ConfigComparison> rows = configExpectations(files, u"/opt/ddb/server/clusterDemo/config"_s, nodes);
    QStringList got;
    for (const ConfigComparison &r : rows) {
        got << u"%1 %2:%3 %4=%5"_s.arg(r.node, r.file.section(u'/', -1)).arg(r.line).arg(r.key, r.disk);
    }
    QCOMPARE(got, (QStringList{u"HActl43 controller.cfg:3 dfsReplicationFactor=2"_s, u"HActl43 controller.cfg:4 dfsHAMode=Raft"_s,
                               u"agent43 agent.cfg:3 controllerSite=10.0.0.1:8920:HActl43"_s,
                               u"node43 cluster.cfg:4 maxMemSize=16"_s,
                               u"node43 cluster.cfg:6 dataSync=0"_s, u"node43 cluster.cfg:3 volumes=/ssd/node43"_s}));
    QVERIFY(rows.first().file.startsWith(u"/opt/ddb/server/clusterDemo/config/"_s));
    // A host without the file: nothing expected for that node (the caller reports the file).
    QVERIFY(configExpectations({}, u"/x"_s, nodes).isEmpty());
}

void tst_PreflightRules::sameSetting_data()
{
    QTest::addColumn<QString>("disk");
    QTest::addColumn<QString>("live");
    QTest::addColumn<bool>("same");
    QTest::newRow("equal") << u"30000"_s << u"30000"_s << true;
    QTest::newRow("spaces do not count") << u" 1 "_s << u"1"_s << true;
    QTest::newRow("different numbers") << u"0"_s << u"1"_s << false;
    QTest::newRow("true is 1") << u"true"_s << u"1"_s << true;
    QTest::newRow("false is not 1") << u"false"_s << u"1"_s << false;
    QTest::newRow("a relative path resolved by the node") << u"data/meta"_s << u"/opt/ddb/server/clusterDemo/data/meta"_s << true;
    QTest::newRow("another absolute path differs") << u"/ssd1/meta"_s << u"/ssd2/meta"_s << false;
    QTest::newRow("a relative path that is not the end differs") << u"data/meta"_s << u"/opt/data/meta2"_s << false;
    QTest::newRow("lists item by item") << u"/a, /b"_s << u"/a,/b"_s << true;
    QTest::newRow("lists of another length differ") << u"/a,/b"_s << u"/a"_s << false;
    QTest::newRow("case matters for other values") << u"Raft"_s << u"raft"_s << false;
}

void tst_PreflightRules::sameSetting()
{
    QFETCH(QString, disk);
    QFETCH(QString, live);
    QFETCH(bool, same);
    QCOMPARE(GrayStep::Engine::sameSetting(disk, live), same);
}

void tst_PreflightRules::configDrift()
{
    const QString file = u"/opt/ddb/server/clusterDemo/config/cluster.cfg"_s;
    QList<ConfigComparison> rows{{u"node44"_s, file, 7, u"dataSync"_s, u"0"_s, SettingRead::of(u"1"_s)},
                                 {u"node44"_s, file, 2, u"maxMemSize"_s, u"8"_s, SettingRead::of(u"8"_s)}};
    PreflightItem item = configDriftItem(u"127.0.10.2"_s, rows, {});
    QCOMPARE(item.id, u"config:127.0.10.2"_s);
    QCOMPARE(item.verdict, V::Warn);
    QVERIFY2(item.evidence.contains(u"/opt/ddb/server/clusterDemo/config/cluster.cfg:7 dataSync=0 on disk, node44 runs 1"_s),
             qPrintable(item.evidence));
    QVERIFY2(item.evidence.startsWith(u"2 setting(s) compared, 1 equal"_s), qPrintable(item.evidence));
    QVERIFY(!item.fixHint.isEmpty());
    // Unset live is a difference too; an unreadable live value keeps it from passing.
    rows[0].live = SettingRead::unset();
    QVERIFY(configDriftItem(u"h"_s, rows, {}).evidence.contains(u"node44 runs (unset)"_s));
    rows[0].live = SettingRead::unreadable(u"refused"_s);
    rows[0].disk = u"1"_s;
    item = configDriftItem(u"h"_s, rows, {});
    QCOMPARE(item.verdict, V::Warn);
    QVERIFY2(item.evidence.contains(u"could not be read: node44 dataSync (refused)"_s), qPrintable(item.evidence));
    // Everything equal passes.
    rows[0].live = SettingRead::of(u"1"_s);
    QCOMPARE(configDriftItem(u"h"_s, rows, {}).verdict, V::Pass);
    // A file that could not be read fails: nothing was compared.
    item = configDriftItem(u"h"_s, rows, {u"/x/cluster.cfg does not exist or cannot be read"_s});
    QCOMPARE(item.verdict, V::Fail);
    QVERIFY(item.evidence.contains(u"/x/cluster.cfg"_s));
}

QTEST_GUILESS_MAIN(tst_PreflightRules)
#include "tst_preflightrules.moc"
