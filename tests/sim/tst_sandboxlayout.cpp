// SPDX-License-Identifier: GPL-3.0-or-later
// The sandbox launcher without running nodes: topology, config files, scripts, packages,
// upgrade.sh (interactive and not), the profile, --from-config and the client's decoder.
#include "sim/sandbox/sandboxlauncher.h"
#include "sim/sandbox/sandboxpackages.h"
#include "sim/sandbox/sandboxspec.h"
#include "support/testdata.h"

#include "core/upgradeprofile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

struct Run
{
    int exitCode = -1;
    QString output;
};

Run runSh(const QString &dir, const QStringList &args, const QByteArray &input = {})
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(u"sh"_s, args);
    p.write(input);
    p.closeWriteChannel();
    p.waitForFinished(30000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAll())};
}

QByteArray unzipMember(const QString &zip, const QString &member)
{
    QProcess p;
    p.start(u"unzip"_s, {u"-p"_s, zip, member});
    p.waitForFinished(30000);
    return p.readAllStandardOutput();
}

// A stand-in executable for the node binary: the layout only copies it.
const QString FakeNode = u"/bin/true"_s;

} // namespace

class tst_SandboxLayout : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void seedTopology_data();
    void seedTopology();
    void refusesAddressesOutsideLoopback_data();
    void refusesAddressesOutsideLoopback();
    void controllerCfgHasTheTutorialSettings_data();
    void controllerCfgHasTheTutorialSettings();
    void fastWritesTheTestKnobs();
    void layoutIsARealInstallTree();
    void packagesHoldTheBinaryAndVersion_data();
    void packagesHoldTheBinaryAndVersion();
    void profileDescribesTheSandbox();
    void startScriptsUseTheRealLaunchCommands();
    void upgradeNonInteractive();
    void upgradeInteractive_data();
    void upgradeInteractive();
    void upgradeWithBrokenPackage();
    void upgradeWithoutPackageFails();
    void stopAllNodeWithNothingRunning();
    void fromConfigKeepsAliasesAndRemapsHosts();
    void fromConfigRejectsABadLine();
    void prepareTwiceKeepsTheLayout();

private:
    QTemporaryDir m_tmp;
    QString m_dir;   // a --no-ssh sandbox laid out once, for the read-only checks
};

void tst_SandboxLayout::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_dir = m_tmp.filePath(u"sbx"_s);
    SandboxLauncher launcher(m_dir);
    UpOptions o;
    o.ssh = false;
    o.baseAddress = u"127.0.50.61"_s;
    o.nodeBinary = FakeNode;
    auto spec = launcher.prepare(o);
    QVERIFY2(spec.ok(), qPrintable(spec ? QString() : spec.error().toString()));
}

void tst_SandboxLayout::seedTopology_data()
{
    QTest::addColumn<int>("hosts");
    QTest::addColumn<int>("controllers");
    QTest::addColumn<QString>("lastAddress");
    QTest::addColumn<QString>("lastDataNode");
    QTest::newRow("one host has one controller") << 1 << 1 << u"127.0.10.1"_s << u"node43"_s;
    QTest::newRow("the tutorial's three hosts each have a controller") << 3 << 3 << u"127.0.10.3"_s << u"node45"_s;
    QTest::newRow("five hosts keep three controllers and continue the numbering") << 5 << 3 << u"127.0.10.5"_s << u"node47"_s;
    QTest::newRow("thirty hosts") << 30 << 3 << u"127.0.10.30"_s << u"node72"_s;
}

void tst_SandboxLayout::seedTopology()
{
    QFETCH(int, hosts);
    QFETCH(int, controllers);
    QFETCH(QString, lastAddress);
    QFETCH(QString, lastDataNode);
    auto spec = seedSpec(hosts, u"127.0.10.1"_s);
    QVERIFY(spec.ok());
    QCOMPARE(spec->hosts.size(), hosts);
    QCOMPARE(spec->controllerSites().size(), controllers);
    QCOMPARE(spec->hosts.last().address, lastAddress);
    QCOMPARE(spec->hosts.last().dataNodeAliases(), QStringList{lastDataNode});
    QCOMPARE(spec->hosts.first().controllerAlias(), u"HActl43"_s);
    QCOMPARE(spec->hosts.first().agentAlias(), u"agent43"_s);
    for (const SandboxHost &h : spec->hosts) {
        for (const SandboxNode &n : h.nodes) {
            const quint16 want = n.mode == "controller"_L1 ? 8920 : n.mode == "agent"_L1 ? 8921 : 8922;
            QCOMPARE(n.port, want);
        }
    }
}

void tst_SandboxLayout::refusesAddressesOutsideLoopback_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<int>("hosts");
    QTest::newRow("a tutorial address is never a target") << u"10.10.11.1"_s << 3;
    QTest::newRow("not an address") << u"localhost"_s << 3;
    QTest::newRow("the block overflows past .254") << u"127.0.50.250"_s << 10;
}

void tst_SandboxLayout::refusesAddressesOutsideLoopback()
{
    QFETCH(QString, base);
    QFETCH(int, hosts);
    auto spec = seedSpec(hosts, base);
    QVERIFY(!spec.ok());
    QCOMPARE(spec.error().code, GrayStep::Core::ErrorCode::InvalidInput);
}

void tst_SandboxLayout::controllerCfgHasTheTutorialSettings_data()
{
    QTest::addColumn<QString>("line");
    QTest::newRow("own localSite") << u"localSite=127.0.50.62:8920:HActl44"_s;
    QTest::newRow("Raft") << u"dfsHAMode=Raft"_s;
    QTest::newRow("replication 2") << u"dfsReplicationFactor=2"_s;
    QTest::newRow("reliability level 1") << u"dfsReplicaReliabilityLevel=1"_s;
    QTest::newRow("dataSync 1") << u"dataSync=1"_s;
    QTest::newRow("recovery wait time") << u"dfsRecoveryWaitTime=30000"_s;
    QTest::newRow("sandbox election tick of 3 s") << u"raftElectionTick=300"_s;
}

void tst_SandboxLayout::controllerCfgHasTheTutorialSettings()
{
    QFETCH(QString, line);
    const QStringList lines = QString::fromUtf8(readAll(m_dir + u"/host2/server/clusterDemo/config/controller.cfg"_s))
                                  .split(u'\n');
    QVERIFY2(lines.contains(line), qPrintable(lines.join(u" | "_s)));
}

void tst_SandboxLayout::fastWritesTheTestKnobs()
{
    auto spec = seedSpec(3, u"127.0.10.1"_s);
    QVERIFY(spec.ok());
    QVERIFY(!clusterCfgText(*spec).contains(u"simHeartbeatIntervalMs"_s));
    spec->fast = true;
    const QString ctl = controllerCfgText(*spec, spec->hosts[0]);
    QVERIFY(ctl.contains(u"raftElectionTick=50\n"_s));
    for (const QString &text : {ctl, clusterCfgText(*spec), agentCfgText(*spec, spec->hosts[0])}) {
        QVERIFY(text.contains(u"simHeartbeatIntervalMs=100\n"_s));
        QVERIFY(text.contains(u"simStartupDelayMs=50\n"_s));
        QVERIFY(text.contains(u"simRecoveryBaseMs=100\n"_s));
        QVERIFY(text.contains(u"simRecoveryRowsPerSec=200000\n"_s));
    }
}

void tst_SandboxLayout::layoutIsARealInstallTree()
{
    for (int i = 1; i <= 3; ++i) {
        const QString server = m_dir + u"/host%1/server"_s.arg(i);
        for (const QString &f : {u"dolphindb"_s, u"ddbsim.version"_s, u"libDolphinDB.so"_s, u"dolphindb.lic"_s, u"dolphindb.cfg"_s,
                                 u"clusterDemo/config/controller.cfg"_s, u"clusterDemo/config/cluster.nodes"_s,
                                 u"clusterDemo/config/cluster.cfg"_s, u"clusterDemo/config/agent.cfg"_s,
                                 u"clusterDemo/startController.sh"_s, u"clusterDemo/startAgent.sh"_s,
                                 u"clusterDemo/stopAllNode.sh"_s, u"clusterDemo/upgrade.sh"_s}) {
            QVERIFY2(QFileInfo::exists(server + u'/' + f), qPrintable(server + u'/' + f));
        }
        QVERIFY(QFileInfo(server + u"/clusterDemo/data"_s).isDir());
        QVERIFY(QFileInfo(server + u"/clusterDemo/log"_s).isDir());
        QVERIFY(QFileInfo(server + u"/dolphindb"_s).isExecutable());
        QCOMPARE(readAll(server + u"/dolphindb"_s), readAll(FakeNode));
        QCOMPARE(readAll(server + u"/ddbsim.version"_s), QByteArray("2.00.7.4 2022.12.08\n"));
        QVERIFY(readAll(server + u"/libDolphinDB.so"_s).contains("DolphinDB Server 2.00.7.4 2022.12.08"));
    }
    const QByteArray nodes = readAll(m_dir + u"/host1/server/clusterDemo/config/cluster.nodes"_s);
    QCOMPARE(nodes, QByteArray("localSite,mode\n"
                               "127.0.50.61:8920:HActl43,controller\n127.0.50.62:8920:HActl44,controller\n"
                               "127.0.50.63:8920:HActl45,controller\n127.0.50.61:8921:agent43,agent\n"
                               "127.0.50.62:8921:agent44,agent\n127.0.50.63:8921:agent45,agent\n"
                               "127.0.50.61:8922:node43,datanode\n127.0.50.62:8922:node44,datanode\n"
                               "127.0.50.63:8922:node45,datanode\n"));
    QCOMPARE(readAll(m_dir + u"/host3/server/clusterDemo/config/cluster.nodes"_s), nodes);
    const QString agent = QString::fromUtf8(readAll(m_dir + u"/host3/server/clusterDemo/config/agent.cfg"_s));
    QVERIFY(agent.contains(u"localSite=127.0.50.63:8921:agent45\n"_s));
    QVERIFY(agent.contains(u"controllerSite=127.0.50.63:8920:HActl45\n"_s));
    QVERIFY(agent.contains(u"sites=127.0.50.63:8921:agent45:agent,127.0.50.61:8920:HActl43:controller,"
                           "127.0.50.62:8920:HActl44:controller,127.0.50.63:8920:HActl45:controller\n"_s));
}

void tst_SandboxLayout::packagesHoldTheBinaryAndVersion_data()
{
    QTest::addColumn<QString>("zip");
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<bool>("broken");
    QTest::newRow("the old version") << u"DolphinDB_Linux64_V2.00.7.4.zip"_s << QByteArray("2.00.7.4 2022.12.08\n") << false;
    QTest::newRow("the target version") << u"DolphinDB_Linux64_V2.00.8.12.zip"_s << QByteArray("2.00.8.12 2023.01.10\n") << false;
    QTest::newRow("the broken package") << u"DolphinDB_Linux64_V2.00.8.12_broken.zip"_s << QByteArray("2.00.8.12 2023.01.10\n") << true;
}

void tst_SandboxLayout::packagesHoldTheBinaryAndVersion()
{
    QFETCH(QString, zip);
    QFETCH(QByteArray, version);
    QFETCH(bool, broken);
    const QString path = m_dir + u"/packages/"_s + zip;
    QVERIFY(QFileInfo::exists(path));
    QCOMPARE(unzipMember(path, u"server/ddbsim.version"_s), version);
    // The version where a real package carries it: inside the server library (its stand-in).
    QVERIFY2(unzipMember(path, u"server/libDolphinDB.so"_s).contains(QByteArray("DolphinDB Server " + version.trimmed() + '\0')),
             qPrintable(zip));
    QCOMPARE(unzipMember(path, u"server/dolphindb"_s), readAll(FakeNode));
    QCOMPARE(unzipMember(path, u"server/ddbsim.broken"_s).isEmpty(), !broken);
}

void tst_SandboxLayout::profileDescribesTheSandbox()
{
    const QJsonObject p = QJsonDocument::fromJson(readAll(m_dir + u"/sandbox.graystep.json"_s)).object();
    QCOMPARE(p.value(u"formatVersion"_s).toInt(), 1);
    QCOMPARE(p.value(u"sandbox"_s).toBool(), true);
    QCOMPARE(p.value(u"targetVersion"_s).toString(), u"2.00.8.12"_s);
    QCOMPARE(p.value(u"orderPolicy"_s).toString(), u"leader-last"_s);
    QCOMPARE(p.value(u"api"_s).toObject().value(u"user"_s).toString(), u"admin"_s);
    QCOMPARE(p.value(u"api"_s).toObject().value(u"password"_s).toObject(),
             (QJsonObject{{u"sandboxDefault"_s, true}}));
    // The engine's strict loader accepts it.
    const auto loaded = GrayStep::Core::UpgradeProfile::load(m_dir + u"/sandbox.graystep.json"_s);
    QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error().message));
    QVERIFY(!QString::fromUtf8(readAll(m_dir + u"/sandbox.graystep.json"_s)).contains(u"123456"_s));
    const QJsonObject pkg = p.value(u"package"_s).toObject();
    QCOMPARE(pkg.value(u"path"_s).toString(), m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s);
    const QByteArray sum = QCryptographicHash::hash(readAll(pkg.value(u"path"_s).toString()), QCryptographicHash::Sha256).toHex();
    QCOMPARE(pkg.value(u"sha256"_s).toString().toLatin1(), sum);
    QCOMPARE(p.value(u"writer"_s).toObject().value(u"database"_s).toString(), u"dfs://stock"_s);
    QCOMPARE(p.value(u"writer"_s).toObject().value(u"table"_s).toString(), u"stock"_s);
    QCOMPARE(p.value(u"writer"_s).toObject().value(u"rowsPerSecond"_s).toInt(), 10);
    QCOMPARE(p.value(u"gates"_s).toObject().value(u"maxLostRows"_s).toInt(), 0);
    const QJsonArray hosts = p.value(u"hosts"_s).toArray();
    QCOMPARE(hosts.size(), 3);
    QCOMPARE(hosts[1].toObject().value(u"address"_s).toString(), u"127.0.50.62"_s);
    QCOMPARE(hosts[1].toObject().value(u"installDir"_s).toString(), m_dir + u"/host2/server"_s);
    QCOMPARE(hosts[1].toObject().value(u"access"_s).toString(), u"local"_s);   // laid out with --no-ssh
    QVERIFY(QFileInfo::exists(p.value(u"topology"_s).toObject().value(u"clusterNodes"_s).toString()));
}

void tst_SandboxLayout::startScriptsUseTheRealLaunchCommands()
{
    const QString demo = m_dir + u"/host1/server/clusterDemo/"_s;
    const QString ctl = QString::fromUtf8(readAll(demo + u"startController.sh"_s));
    QVERIFY(ctl.contains(u"nohup ./../dolphindb -console 0 -mode controller -home data -script dolphindb.dos "
                         "-config config/controller.cfg -logFile log/controller.log -nodesFile config/cluster.nodes "
                         "-clusterConfig config/cluster.cfg > controller.nohup 2>&1"_s));
    QVERIFY(ctl.contains(u"export LD_LIBRARY_PATH="_s));
    const QString agent = QString::fromUtf8(readAll(demo + u"startAgent.sh"_s));
    QVERIFY(agent.contains(u"nohup ./../dolphindb -console 0 -mode agent -home data -script dolphindb.dos "
                           "-config config/agent.cfg -logFile log/agent.log > agent.nohup 2>&1"_s));
    for (const QString &s : {u"startController.sh"_s, u"startAgent.sh"_s, u"stopAllNode.sh"_s, u"upgrade.sh"_s}) {
        QVERIFY(QFileInfo(demo + s).isExecutable());
        QCOMPARE(runSh(demo, {u"-n"_s, s}).exitCode, 0);   // syntax check with the shell that runs it
    }
}

void tst_SandboxLayout::upgradeNonInteractive()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(u"sbx"_s);
    SandboxLauncher launcher(dir);
    UpOptions o;
    o.ssh = false;
    o.nodeBinary = FakeNode;
    o.baseAddress = u"127.0.50.71"_s;
    QVERIFY(launcher.prepare(o).ok());
    const QString server = dir + u"/host1/server"_s;
    const QString demo = server + u"/clusterDemo"_s;
    const QByteArray lic = readAll(server + u"/dolphindb.lic"_s);
    const QByteArray cfg = readAll(server + u"/dolphindb.cfg"_s);
    const QByteArray ctl = readAll(demo + u"/config/controller.cfg"_s);
    QVERIFY(QFile::copy(dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s, demo + u"/DolphinDB_Linux64_V2.00.8.12.zip"_s));

    const Run r = runSh(demo, {u"upgrade.sh"_s, u"--offline"_s, u"2.00.8.12"_s, u"--yes"_s});
    QCOMPARE(r.exitCode, 0);
    const qsizetype up = r.output.indexOf(u"UpLoadSuccess"_s);
    const qsizetype unzip = r.output.indexOf(u"UnzipSuccess"_s);
    const qsizetype done = r.output.indexOf(u"UpgradeSuccess"_s);
    QVERIFY2(up >= 0 && up < unzip && unzip < done, qPrintable(r.output));
    QCOMPARE(readAll(server + u"/ddbsim.version"_s), QByteArray("2.00.8.12 2023.01.10\n"));
    QCOMPARE(readAll(server + u"/dolphindb.lic"_s), lic);
    QCOMPARE(readAll(server + u"/dolphindb.cfg"_s), cfg);
    QCOMPARE(readAll(demo + u"/config/controller.cfg"_s), ctl);
    QVERIFY(QFileInfo(server + u"/dolphindb"_s).isExecutable());
    // Host 2 is untouched.
    QCOMPARE(readAll(dir + u"/host2/server/ddbsim.version"_s), QByteArray("2.00.7.4 2022.12.08\n"));
}

void tst_SandboxLayout::upgradeInteractive_data()
{
    QTest::addColumn<QByteArray>("answers");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("expect");
    QTest::addColumn<QByteArray>("versionAfter");
    QTest::newRow("yes, offline, version: upgraded") << QByteArray("y\n2\n2.00.8.12\n") << 0 << u"UpgradeSuccess"_s
                                                     << QByteArray("2.00.8.12 2023.01.10\n");
    QTest::newRow("not backed up: refused") << QByteArray("n\n") << 1 << u"back up metadata first"_s
                                            << QByteArray("2.00.7.4 2022.12.08\n");
    QTest::newRow("online is not available in the sandbox") << QByteArray("y\n1\n") << 1 << u"not available"_s
                                                            << QByteArray("2.00.7.4 2022.12.08\n");
    QTest::newRow("exit changes nothing") << QByteArray("y\n3\n") << 0 << u"Exit."_s
                                          << QByteArray("2.00.7.4 2022.12.08\n");
}

void tst_SandboxLayout::upgradeInteractive()
{
    QFETCH(QByteArray, answers);
    QFETCH(int, exitCode);
    QFETCH(QString, expect);
    QFETCH(QByteArray, versionAfter);
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(u"sbx"_s);
    SandboxLauncher launcher(dir);
    UpOptions o;
    o.ssh = false;
    o.hosts = 1;
    o.nodeBinary = FakeNode;
    o.baseAddress = u"127.0.50.72"_s;
    QVERIFY(launcher.prepare(o).ok());
    const QString demo = dir + u"/host1/server/clusterDemo"_s;
    QVERIFY(QFile::copy(dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s, demo + u"/DolphinDB_Linux64_V2.00.8.12.zip"_s));
    const Run r = runSh(demo, {u"upgrade.sh"_s}, answers);
    QVERIFY2(r.output.contains(u"Have you shut down dolphindb process and backed up metadata?(y/n)"_s), qPrintable(r.output));
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.output.contains(expect), qPrintable(r.output));
    QCOMPARE(readAll(dir + u"/host1/server/ddbsim.version"_s), versionAfter);
}

void tst_SandboxLayout::upgradeWithBrokenPackage()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(u"sbx"_s);
    SandboxLauncher launcher(dir);
    UpOptions o;
    o.ssh = false;
    o.hosts = 1;
    o.nodeBinary = FakeNode;
    o.baseAddress = u"127.0.50.73"_s;
    QVERIFY(launcher.prepare(o).ok());
    const QString demo = dir + u"/host1/server/clusterDemo"_s;
    const QString zip = u"DolphinDB_Linux64_V2.00.8.12_broken.zip"_s;
    QVERIFY(QFile::copy(dir + u"/packages/"_s + zip, demo + u'/' + zip));
    Run r = runSh(demo, {u"upgrade.sh"_s, u"--offline"_s, u"2.00.8.12_broken"_s, u"--yes"_s});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(QFileInfo::exists(dir + u"/host1/server/ddbsim.broken"_s));
    // A good package afterwards removes the marker again.
    QVERIFY(QFile::copy(dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s, demo + u"/DolphinDB_Linux64_V2.00.8.12.zip"_s));
    r = runSh(demo, {u"upgrade.sh"_s, u"--offline"_s, u"2.00.8.12"_s, u"--yes"_s});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(!QFileInfo::exists(dir + u"/host1/server/ddbsim.broken"_s));
}

void tst_SandboxLayout::upgradeWithoutPackageFails()
{
    const QString demo = m_dir + u"/host3/server/clusterDemo"_s;
    const Run r = runSh(demo, {u"upgrade.sh"_s, u"--offline"_s, u"2.00.8.12"_s, u"--yes"_s});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(!r.output.contains(u"UpLoadSuccess"_s));
    QVERIFY(r.output.contains(u"Cannot find DolphinDB_Linux64_V2.00.8.12.zip"_s));
    QCOMPARE(readAll(m_dir + u"/host3/server/ddbsim.version"_s), QByteArray("2.00.7.4 2022.12.08\n"));
}

void tst_SandboxLayout::stopAllNodeWithNothingRunning()
{
    const Run r = runSh(m_dir + u"/host1/server/clusterDemo"_s, {u"stopAllNode.sh"_s});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.output.contains(u"No dolphindb process is running on this host."_s), qPrintable(r.output));
}

void tst_SandboxLayout::fromConfigKeepsAliasesAndRemapsHosts()
{
    auto spec = specFromConfigDir(GrayStep::Test::testDataPath(u"sim/userconfig"_s), u"127.0.50.81"_s);
    QVERIFY2(spec.ok(), qPrintable(spec ? QString() : spec.error().toString()));
    QCOMPARE(spec->hosts.size(), 3);
    QCOMPARE(spec->remap.value(u"10.10.11.1"_s), u"127.0.50.81"_s);
    QCOMPARE(spec->remap.value(u"10.10.11.3"_s), u"127.0.50.83"_s);
    QCOMPARE(spec->hosts[2].dataNodeAliases(), (QStringList{u"node45"_s, u"node46"_s}));
    QCOMPARE(spec->hosts[2].node(u"node46"_s)->port, quint16(8923));
    const QString nodes = clusterNodesText(*spec);
    QVERIFY(nodes.contains(u"127.0.50.83:8923:node46,datanode\n"_s));
    QVERIFY(!nodes.contains(u"10.10.11."_s));
    const QString cluster = clusterCfgText(*spec);
    QVERIFY(cluster.contains(u"maxMemSize=16\n"_s));     // the user's setting is kept
    QVERIFY(!cluster.contains(u"/ssd"_s));               // paths on the real hosts are not
    QCOMPARE(spec->droppedSettings.size(), 3);           // dfsMetaDir, volumes, node43.volumes
    const QString ctl = controllerCfgText(*spec, spec->hosts[1]);
    QVERIFY(ctl.contains(u"localSite=127.0.50.82:8920:HActl44\n"_s));
    QVERIFY(ctl.contains(u"dfsRecoveryWaitTime=30000\n"_s));
    QVERIFY(!ctl.contains(u"10.10.11."_s));
    QVERIFY(!agentCfgText(*spec, spec->hosts[0]).contains(u"10.10.11."_s));

    // The profile keeps the remapping.
    QTemporaryDir tmp;
    SandboxLauncher launcher(tmp.filePath(u"sbx"_s));
    UpOptions o;
    o.ssh = false;
    o.nodeBinary = FakeNode;
    o.baseAddress = u"127.0.50.81"_s;
    o.fromConfig = GrayStep::Test::testDataPath(u"sim/userconfig"_s);
    QVERIFY(launcher.prepare(o).ok());
    const QJsonObject p = QJsonDocument::fromJson(readAll(launcher.profilePath())).object();
    const QJsonArray map = p.value(u"addressMap"_s).toArray();
    QVERIFY(map.contains(QJsonObject{{u"original"_s, u"10.10.11.2"_s}, {u"sandbox"_s, u"127.0.50.82"_s}}));
    const QJsonObject info = QJsonDocument::fromJson(readAll(tmp.filePath(u"sbx/sandbox.info.json"_s))).object();
    QCOMPARE(info.value(u"remap"_s).toObject().value(u"10.10.11.2"_s).toString(), u"127.0.50.82"_s);
    QCOMPARE(info.value(u"droppedSettings"_s).toArray().size(), 3);
}

void tst_SandboxLayout::fromConfigRejectsABadLine()
{
    auto spec = specFromConfigDir(GrayStep::Test::testDataPath(u"sim/badconfig"_s), u"127.0.50.81"_s);
    QVERIFY(!spec.ok());
    QCOMPARE(spec.error().code, GrayStep::Core::ErrorCode::InvalidInput);
    QVERIFY2(spec.error().message.contains(u"cluster.nodes:3: malformed localSite"_s), qPrintable(spec.error().toString()));
}

void tst_SandboxLayout::prepareTwiceKeepsTheLayout()
{
    SandboxLauncher launcher(m_dir);
    UpOptions o;
    o.ssh = false;
    o.hosts = 7;   // ignored: D is laid out already
    o.nodeBinary = FakeNode;
    auto spec = launcher.prepare(o);
    QVERIFY(spec.ok());
    QCOMPARE(spec->hosts.size(), 3);
    QCOMPARE(spec->hosts[0].address, u"127.0.50.61"_s);
}

QTEST_GUILESS_MAIN(tst_SandboxLayout)
#include "tst_sandboxlayout.moc"
