// SPDX-License-Identifier: GPL-3.0-or-later
// The pre-flight checklist against a live sandbox (3 hosts, real sshd on 127.0.81.x): a healthy
// cluster passes every item but the compatibility confirmation; each broken host precondition
// fails the item of that host, names what is wrong and leaves the other hosts' items passing;
// a data node down fails nodes-up and names the chunks a host's stop would take offline; a
// recovery that does not finish fails the chunk and recovery-task items, naming the replicas.
// No false pass: the item set is the same fast or timed out (an unanswered item fails, naming
// what did not answer); a missing CHUNK_METADATA of a node holding chunks fails; a controller
// on another version fails "versions"; configuration on disk that differs from the live value
// warns; a renamed package is read for what it is; the kept old binaries count for the disk;
// dfsRecoveryWaitTime is judged against the expected downtime; a same-version target is
// "nothing to upgrade".
#include "core/configparsers.h"
#include "core/upgradeprofile.h"
#include "dolphindb/scripts.h"
#include "engine/preflight.h"
#include "support/simclient.h"
#include "support/testdata.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <tuple>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using Engine::PreflightItem;
using Engine::PreflightReport;
using V = Engine::PreflightItem::Verdict;

namespace {

const QString Base = u"127.0.81.1"_s;
const QString Password = u"123456"_s;   // the sandbox's published default

QString host(int i)
{
    return u"127.0.81.%1"_s.arg(i);
}

int runTool(const QString &tool, const QStringList &args, QByteArray *out = nullptr)
{
    QProcess p;
    p.start(Test::binDir() + u'/' + tool, args);
    if (!p.waitForStarted(10000)) {
        return -1;
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(180000)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    if (out) {
        *out = p.readAllStandardOutput();
    }
    if (p.exitCode() != 0) {
        qWarning().noquote() << p.readAllStandardError();
    }
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

const PreflightItem *find(const PreflightReport &r, const QString &id)
{
    for (const PreflightItem &i : r.items) {
        if (i.id == id) {
            return &i;
        }
    }
    return nullptr;
}

QStringList failed(const PreflightReport &r)
{
    QStringList ids;
    for (const PreflightItem &i : r.items) {
        if (i.verdict == V::Fail) {
            ids << i.id;
        }
    }
    return ids;
}

enum class Breakage { MissingScript, WrongInstallDir, ChangedHostKey, NoSshd };

} // namespace

class tst_PreflightSandbox final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void healthyClusterPassesAllButTheConfirmation();
    void brokenHostFailsOnlyItsOwnItems_data();
    void brokenHostFailsOnlyItsOwnItems();
    void pluginsAreJudgedAgainstTheTarget();
    void itemSetDoesNotDependOnTiming();
    void missingChunkMetadataOfANodeHoldingChunksFails();
    void controllerOnAnotherVersionFailsVersions();
    void configurationOnDiskDifferingFromLiveWarns();
    void renamedPackageIsReadForWhatItIs();
    void recoveryWaitIsJudgedAgainstTheDowntime();
    void sameVersionTargetIsNothingToUpgrade();
    void planOfADowngradeSaysSoAndExits1();
    void downDataNodeFailsNodesUpAndNamesTheChunksAtRisk();
    void unfinishedRecoveryFailsChunksAndRecoveryTasks();

private:
    PreflightReport preflight(const Core::UpgradeProfile &profile, const Engine::PreflightOptions &options = {}) const
    {
        return Engine::runPreflight(profile, Password, options);
    }
    QString serverDir(int i) const { return m_dir + u"/host%1/server"_s.arg(i); }

    QTemporaryDir m_tmp;
    QString m_dir;
    Core::UpgradeProfile m_profile;
};

void tst_PreflightSandbox::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_dir = m_tmp.filePath(u"sbx"_s);
    QCOMPARE(runTool(u"graystep-sandbox"_s, {u"up"_s, u"--dir"_s, m_dir, u"--base-address"_s, Base, u"--fast"_s}), 0);
    Core::Result<Core::UpgradeProfile> p = Core::UpgradeProfile::load(m_dir + u"/sandbox.graystep.json"_s);
    QVERIFY2(p, qPrintable(p ? QString() : p.error().toString()));
    m_profile = *p;
    QCOMPARE(m_profile.hosts.size(), 3);

    // Rows in every partition, so that the cluster has chunks with replicas on two hosts.
    const Core::Status rows = Test::insertOneRowPerDay(host(1), 8922, 1, QTime(9, 30));
    QVERIFY2(rows, qPrintable(rows ? QString() : rows.error().toString()));
}

void tst_PreflightSandbox::cleanupTestCase()
{
    runTool(u"graystep-sandbox"_s, {u"down"_s, u"--dir"_s, m_dir});
}

void tst_PreflightSandbox::healthyClusterPassesAllButTheConfirmation()
{
    const PreflightReport r = preflight(m_profile);
    QVERIFY2(failed(r).isEmpty(), qPrintable(r.toText()));
    for (int i = 1; i <= 3; ++i) {
        for (const QString &kind : {u"ssh:"_s, u"install:"_s, u"clock:"_s, u"disk:"_s, u"whatif:"_s, u"metadata:"_s,
                                    u"config:"_s}) {
            const PreflightItem *item = find(r, kind + host(i));
            QVERIFY2(item, qPrintable(kind + host(i) + u" missing\n"_s + r.toText()));
            QCOMPARE(item->verdict, V::Pass);
        }
    }
    for (const QString &alias : {u"HActl43"_s, u"agent44"_s, u"node45"_s}) {
        const PreflightItem *item = find(r, u"api:"_s + alias);
        QVERIFY(item);
        QCOMPARE(item->verdict, V::Pass);
        QVERIFY2(item->evidence.contains(u"2.00.7.4"_s), qPrintable(item->evidence));
    }
    // The tutorial's path is level 2: shown, asked for, not failed.
    const PreflightItem *compat = find(r, u"compatibility"_s);
    QVERIFY(compat);
    QCOMPARE(compat->verdict, V::Warn);
    QVERIFY(compat->needsConfirmation);
    QVERIFY(r.needsConfirmation());
    const PreflightItem *chunks = find(r, u"chunks"_s);
    QVERIFY(chunks);
    QVERIFY2(chunks->evidence.contains(u"all COMPLETE"_s), qPrintable(chunks->evidence));
    const PreflightItem *tasks = find(r, u"recovery-tasks"_s);
    QVERIFY(tasks);
    QVERIFY2(tasks->evidence.contains(u"none waiting or in progress"_s), qPrintable(tasks->evidence));
    QVERIFY(!r.leaderAlias.isEmpty());
    QVERIFY(r.leaderHost.startsWith(u"127.0.81."_s));
    // The disk item says what it measured, the copy of the old install included.
    const QString disk = find(r, u"disk:"_s + host(2))->evidence;
    QVERIFY2(disk.contains(u"free "_s) && disk.contains(u"package "_s), qPrintable(disk));
    QVERIFY2(disk.contains(u"old binaries kept as %1.bak-<old version>"_s.arg(serverDir(2))), qPrintable(disk));
    // Every node's version, controllers and agents included.
    const QString versions = find(r, u"versions"_s)->evidence;
    QVERIFY2(versions.startsWith(u"version() of 9 node(s): 2.00.7.4: "_s), qPrintable(versions));
    for (const QString &alias : {u"HActl43"_s, u"HActl45"_s, u"agent44"_s, u"node45"_s}) {
        QVERIFY2(versions.contains(alias), qPrintable(versions));
    }
    // The package's version from inside it.
    QVERIFY2(find(r, u"package-version"_s)->evidence.startsWith(u"server/libDolphinDB.so in DolphinDB_Linux64_V2.00.8.12.zip says "
                                                                 "2.00.8.12 2023.01.10"_s),
             qPrintable(find(r, u"package-version"_s)->evidence));
    // Every item the profile implies, nothing else.
    QStringList ids;
    for (const PreflightItem &i : r.items) {
        ids << i.id;
    }
    const auto topo = Core::loadTopologyFromDirectory(m_profile.configDir);
    QVERIFY(topo.ok());
    QCOMPARE(ids, Engine::preflightItemIds(m_profile, *topo));
    QCOMPARE(ids.size(), 16 + 3 * 8 + 9);
}

void tst_PreflightSandbox::brokenHostFailsOnlyItsOwnItems_data()
{
    QTest::addColumn<Breakage>("breakage");
    QTest::addColumn<int>("hostIndex");
    QTest::addColumn<QString>("failedItem");
    QTest::addColumn<QString>("evidenceNames");
    QTest::addColumn<QString>("hintNames");

    QTest::newRow("a missing start script is named") << Breakage::MissingScript << 2 << u"install:"_s
                                                     << u"clusterDemo/startAgent.sh"_s << u"installDir"_s;
    QTest::newRow("a wrong install directory is named") << Breakage::WrongInstallDir << 3 << u"install:"_s
                                                        << u"no-such-server"_s << u"installDir"_s;
    QTest::newRow("a changed host key refuses the host") << Breakage::ChangedHostKey << 1 << u"ssh:"_s
                                                         << u"127.0.81.1"_s << u"known_hosts"_s;
    QTest::newRow("a host whose sshd is down is named") << Breakage::NoSshd << 2 << u"ssh:"_s << u"127.0.81.2"_s
                                                        << u"address"_s;
}

void tst_PreflightSandbox::brokenHostFailsOnlyItsOwnItems()
{
    QFETCH(Breakage, breakage);
    QFETCH(int, hostIndex);
    QFETCH(QString, failedItem);
    QFETCH(QString, evidenceNames);
    QFETCH(QString, hintNames);

    Core::UpgradeProfile profile = m_profile;
    Core::HostAccess &h = profile.hosts[hostIndex - 1];
    QCOMPARE(h.address, host(hostIndex));
    const QString script = h.installDir + u"/clusterDemo/startAgent.sh"_s;
    QTemporaryDir keys;
    switch (breakage) {
    case Breakage::MissingScript:
        QVERIFY(QFile::rename(script, script + u".away"_s));
        break;
    case Breakage::WrongInstallDir:
        h.installDir = QFileInfo(h.installDir).absolutePath() + u"/no-such-server"_s;
        break;
    case Breakage::ChangedHostKey: {
        // The profile's known_hosts now holds another key for this host.
        const QString other = keys.filePath(u"other"_s);
        QCOMPARE(QProcess::execute(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(), u"-f"_s, other}), 0);
        QFile pub(other + u".pub"_s);
        QVERIFY(pub.open(QIODevice::ReadOnly));
        const QList<QByteArray> fields = pub.readAll().split(' ');
        QFile known(keys.filePath(u"known_hosts"_s));
        QVERIFY(known.open(QIODevice::WriteOnly));
        known.write("[" + h.address.toUtf8() + "]:" + QByteArray::number(h.sshPort) + ' ' + fields.value(0) + ' '
                    + fields.value(1) + '\n');
        known.close();
        h.knownHostsFile = known.fileName();
        break;
    }
    case Breakage::NoSshd:
        h.sshPort = 2299;   // nothing listens there
        break;
    }
    const PreflightReport r = preflight(profile);
    if (breakage == Breakage::MissingScript) {
        QVERIFY(QFile::rename(script + u".away"_s, script));
    }

    const PreflightItem *item = find(r, failedItem + host(hostIndex));
    QVERIFY2(item, qPrintable(r.toText()));
    QCOMPARE(item->verdict, V::Fail);
    QVERIFY2(item->evidence.contains(evidenceNames), qPrintable(item->evidence));
    QVERIFY2(item->fixHint.contains(hintNames), qPrintable(item->fixHint));
    // Only that host's items fail (and the clock spread, which cannot be judged without its
    // clock); a host without SSH has its other items failed as not checked, naming why.
    for (const QString &id : failed(r)) {
        if (id == u"clock-spread"_s) {
            QCOMPARE(failedItem, u"ssh:"_s);
            QVERIFY2(find(r, id)->evidence.contains(u"no clock reading from %1"_s.arg(host(hostIndex))),
                     qPrintable(find(r, id)->evidence));
            continue;
        }
        QVERIFY2(id.endsWith(host(hostIndex)), qPrintable(id));
    }
    if (failedItem == u"ssh:"_s) {
        for (const QString &kind : {u"install:"_s, u"disk:"_s, u"clock:"_s, u"config:"_s, u"plugins:"_s, u"metadata:"_s}) {
            const PreflightItem *other = find(r, kind + host(hostIndex));
            QVERIFY2(other, qPrintable(kind));
            QCOMPARE(other->verdict, V::Fail);
            QVERIFY2(other->evidence.startsWith(u"not checked: no SSH connection to %1"_s.arg(host(hostIndex))),
                     qPrintable(other->evidence));
        }
    }
    for (int other = 1; other <= 3; ++other) {
        if (other != hostIndex) {
            QCOMPARE(find(r, u"install:"_s + host(other))->verdict, V::Pass);
        }
    }
}

void tst_PreflightSandbox::pluginsAreJudgedAgainstTheTarget()
{
    const auto write = [](const QString &path, const QByteArray &text) {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
    };
    const QString pluginDir = m_profile.hosts.at(1).installDir + u"/plugins"_s;
    const QString descriptor = pluginDir + u"/mysql/PluginMySQL.txt"_s;
    const QString clusterCfg = m_profile.clusterCfg;
    QFile cfg(clusterCfg);
    QVERIFY(cfg.open(QIODevice::ReadOnly));
    const QByteArray originalCfg = cfg.readAll();
    cfg.close();
    // The later tests need cluster.cfg and host 2 as they were, whatever happens here.
    const auto restore = qScopeGuard([&] {
        QFile f(clusterCfg);
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            f.write(originalCfg);
        }
        QDir(pluginDir).removeRecursively();
    });
    const auto verdictOf = [&](const PreflightReport &r, int i) {
        const PreflightItem *item = find(r, u"plugins:"_s + host(i));
        return item ? int(item->verdict) : -1;
    };
    // No plugins anywhere.
    PreflightReport r = preflight(m_profile);
    for (int i = 1; i <= 3; ++i) {
        QCOMPARE(verdictOf(r, i), int(V::Pass));
    }
    QVERIFY2(find(r, u"plugins:"_s + host(2))->evidence.startsWith(u"no plugin in "_s), qPrintable(r.toText()));
    // Host 2 has the 2.00.7 build of mysql: a warning naming it, the other hosts still pass.
    QVERIFY(write(descriptor, "mysql,libPluginMySQL.so,2.00.7\nmysqlConnect,connect,system,1,5,0\n"));
    QVERIFY(write(pluginDir + u"/mysql/README.txt"_s, "MySQL plugin for DolphinDB\n"));
    r = preflight(m_profile);
    QCOMPARE(verdictOf(r, 2), int(V::Warn));
    QCOMPARE(verdictOf(r, 1), int(V::Pass));
    const PreflightItem *item = find(r, u"plugins:"_s + host(2));
    QVERIFY2(item->evidence.contains(u"mysql 2.00.7: does not match 2.00.8"_s), qPrintable(item->evidence));
    QVERIFY2(item->fixHint.contains(pluginDir), qPrintable(item->fixHint));
    // node44 preloads it (cluster.cfg): the node would not start on 2.00.8, so it fails.
    QVERIFY(write(clusterCfg, originalCfg + "\nnode44.preloadModules=plugins::mysql\n"));
    r = preflight(m_profile);
    QCOMPARE(verdictOf(r, 2), int(V::Fail));
    item = find(r, u"plugins:"_s + host(2));
    QVERIFY2(item->evidence.contains(u"preloaded by node44"_s), qPrintable(item->evidence));
    // The 2.00.8 build in place: passes.
    QVERIFY(write(descriptor, "mysql,libPluginMySQL.so,2.00.8.4\n"));
    r = preflight(m_profile);
    QCOMPARE(verdictOf(r, 2), int(V::Pass));
}

void tst_PreflightSandbox::itemSetDoesNotDependOnTiming()
{
    // Host 2's shell takes 8 s before each command (a forced command in its authorized_keys:
    // SSH login is as fast as ever); the checklist has 4 s.
    const QString keys = m_dir + u"/host2/sshd/authorized_keys"_s;
    QFile f(keys);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray original = f.readAll();
    f.close();
    const auto restore = qScopeGuard([&] {
        QFile w(keys);
        if (w.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            w.write(original);
        }
    });
    const PreflightReport fast = preflight(m_profile);
    QByteArray slowed;
    for (const QByteArray &line : original.split('\n')) {
        if (!line.trimmed().isEmpty()) {
            slowed += "command=\"sleep 8; eval \\\"$SSH_ORIGINAL_COMMAND\\\"\" " + line + '\n';
        }
    }
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(slowed);
    f.close();
    Engine::PreflightOptions o;
    o.timeoutMs = 4000;
    const PreflightReport slow = preflight(m_profile, o);
    QVERIFY2(slow.elapsedMs < 7000, qPrintable(QString::number(slow.elapsedMs)));

    const auto ids = [](const PreflightReport &r) {
        QStringList out;
        for (const PreflightItem &i : r.items) {
            out << i.id;
        }
        return out;
    };
    QCOMPARE(ids(slow), ids(fast));
    QCOMPARE(slow.items.size(), 16 + 3 * 8 + 9);
    // Host 2: every item it owns failed, naming what did not answer.
    for (const QString &kind : {u"ssh:"_s, u"install:"_s, u"clock:"_s, u"disk:"_s, u"config:"_s, u"plugins:"_s, u"metadata:"_s}) {
        const PreflightItem *i = find(slow, kind + host(2));
        QVERIFY2(i, qPrintable(kind));
        QVERIFY2(i->verdict == V::Fail, qPrintable(kind + u": "_s + i->evidence));
        QVERIFY2(i->evidence.contains(u"did not complete within 4000 ms: no answer from %1's shell"_s.arg(host(2))),
                 qPrintable(kind + u": "_s + i->evidence));
    }
    // Its ssh item says the connection itself was made (no PASS for a shell that never answered).
    QVERIFY2(find(slow, u"ssh:"_s + host(2))->evidence.contains(u"host key verified"_s),
             qPrintable(find(slow, u"ssh:"_s + host(2))->evidence));
    // The spread of two hosts is no verdict on three.
    const PreflightItem *spread = find(slow, u"clock-spread"_s);
    QCOMPARE(spread->verdict, V::Fail);
    QVERIFY2(spread->evidence.contains(u"no clock reading from %1"_s.arg(host(2))), qPrintable(spread->evidence));
    // The other hosts answered in time.
    for (int i : {1, 3}) {
        QCOMPARE(find(slow, u"ssh:"_s + host(i))->verdict, V::Pass);
        QCOMPARE(find(slow, u"install:"_s + host(i))->verdict, V::Pass);
    }
}

void tst_PreflightSandbox::missingChunkMetadataOfANodeHoldingChunksFails()
{
    // node44 (host 2) holds replicas of the rows inserted at the start; its CHUNK_METADATA goes.
    const auto status = Test::runOnce(host(1), 8922, DolphinDb::Scripts::clusterChunksStatus());
    QVERIFY(status.ok());
    const auto chunks = DolphinDb::readChunkStatus(*status);
    QVERIFY(chunks.ok());
    int held = 0;
    for (const DolphinDb::ChunkStatus &c : *chunks) {
        for (const DolphinDb::ChunkReplica &rep : c.replicas) {
            held += rep.node == u"node44"_s ? 1 : 0;
        }
    }
    QVERIFY2(held > 0, "node44 holds no chunk: the test needs one");
    const auto dirReply = Test::runOnce(host(2), 8922, u"getConfig(`chunkMetaDir)"_s);
    QVERIFY(dirReply.ok());
    const QString meta = dirReply->toString() + u"/CHUNK_METADATA"_s;
    QVERIFY2(QFileInfo(meta).isDir(), qPrintable(meta));
    QVERIFY(QFile::rename(meta, meta + u".away"_s));
    const auto restore = qScopeGuard([&] { QFile::rename(meta + u".away"_s, meta); });

    const PreflightReport r = preflight(m_profile);
    const PreflightItem *item = find(r, u"metadata:"_s + host(2));
    QVERIFY(item);
    QCOMPARE(item->verdict, V::Fail);
    QVERIFY2(item->evidence.contains(u"node44/CHUNK_METADATA: %1 does not exist"_s.arg(meta)), qPrintable(item->evidence));
    QVERIFY2(item->evidence.contains(u"lists node44 as a replica holder of %1 chunk(s)"_s.arg(held)), qPrintable(item->evidence));
    QVERIFY(!item->fixHint.isEmpty());
    // The other hosts' metadata is all there.
    QCOMPARE(find(r, u"metadata:"_s + host(1))->verdict, V::Pass);
    QCOMPARE(find(r, u"metadata:"_s + host(3))->verdict, V::Pass);
    QVERIFY2(find(r, u"metadata:"_s + host(1))->evidence.contains(u"HActl43/raft"_s), qPrintable(find(r, u"metadata:"_s + host(1))->evidence));
}

void tst_PreflightSandbox::controllerOnAnotherVersionFailsVersions()
{
    // The controller of a host without the leader runs 2.00.8.12 (left by an earlier attempt):
    // killed, its server/ given the 2.00.8.12 version and library, started by its script.
    PreflightReport r = preflight(m_profile);
    int i = 1;
    while (host(i) == r.leaderHost) {
        ++i;
    }
    const QString ctl = u"HActl4%1"_s.arg(2 + i);
    const QString server = serverDir(i);
    const QString demo = server + u"/clusterDemo"_s;
    const auto readAll = [](const QString &path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    };
    const auto writeAll = [](const QString &path, const QByteArray &data) {
        QFile f(path);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
    };
    const QByteArray oldVersion = readAll(server + u"/ddbsim.version"_s);
    const QByteArray oldLibrary = readAll(server + u"/libDolphinDB.so"_s);
    QVERIFY(!oldVersion.isEmpty() && !oldLibrary.isEmpty());
    QProcess unzip;
    unzip.start(u"unzip"_s, {u"-p"_s, m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s, u"server/libDolphinDB.so"_s});
    QVERIFY(unzip.waitForFinished(30000) && unzip.exitCode() == 0);
    const QByteArray newLibrary = unzip.readAllStandardOutput();
    const auto restartController = [&](const QByteArray &version, const QByteArray &library) {
        QByteArray out;
        if (runTool(u"graystep-sandbox"_s, {u"fault"_s, u"--dir"_s, m_dir, u"kill"_s, ctl}, &out) != 0) {
            return false;
        }
        if (!QTest::qWaitFor([&] { return !Test::runOnce(host(i), 8920, u"version()"_s, 1000).ok(); }, 10000)) {
            return false;
        }
        if (!writeAll(server + u"/ddbsim.version"_s, version) || !writeAll(server + u"/libDolphinDB.so"_s, library)) {
            return false;
        }
        QProcess start;
        start.setWorkingDirectory(demo);
        start.start(u"sh"_s, {u"startController.sh"_s});
        return start.waitForFinished(30000) && start.exitCode() == 0;
    };
    auto restore = qScopeGuard([&] { restartController(oldVersion, oldLibrary); });
    QVERIFY(restartController("2.00.8.12 2023.01.10\n", newLibrary));
    QTRY_VERIFY_WITH_TIMEOUT(Test::runOnce(host(i), 8920, u"version()"_s, 2000).ok(), 20000);
    QCOMPARE(Test::runOnce(host(i), 8920, u"version()"_s)->toString(), u"2.00.8.12 2023.01.10"_s);

    r = preflight(m_profile);
    const PreflightItem *versions = find(r, u"versions"_s);
    QCOMPARE(versions->verdict, V::Fail);
    QVERIFY2(versions->evidence.contains(u"2.00.8.12: %1"_s.arg(ctl)), qPrintable(versions->evidence));
    QVERIFY2(versions->evidence.contains(u"2.00.7.4: HActl4"_s), qPrintable(versions->evidence));
    QCOMPARE(find(r, u"compatibility"_s)->verdict, V::Fail);
    QCOMPARE(find(r, u"api:"_s + ctl)->verdict, V::Pass);

    // Back on the old version: passes again.
    restore.dismiss();
    QVERIFY(restartController(oldVersion, oldLibrary));
    QTRY_VERIFY_WITH_TIMEOUT(Test::runOnce(host(i), 8920, u"version()"_s, 2000).ok(), 20000);
    QTRY_VERIFY_WITH_TIMEOUT((r = preflight(m_profile), find(r, u"versions"_s)->verdict == V::Pass), 30000);
}

void tst_PreflightSandbox::configurationOnDiskDifferingFromLiveWarns()
{
    // dataSync=0 written into host 2's cluster.cfg, not applied: node44 still runs dataSync=1.
    const QString cfg = serverDir(2) + u"/clusterDemo/config/cluster.cfg"_s;
    QFile f(cfg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray original = f.readAll();
    f.close();
    const auto restore = qScopeGuard([&] {
        QFile w(cfg);
        if (w.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            w.write(original);
        }
    });
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    const QByteArray edited = original + (original.endsWith('\n') ? "" : "\n") + "dataSync=0\n";
    f.write(edited);
    f.close();
    const int line = int(edited.count('\n'));

    const PreflightReport r = preflight(m_profile);
    const PreflightItem *item = find(r, u"config:"_s + host(2));
    QVERIFY(item);
    QCOMPARE(item->verdict, V::Warn);
    QVERIFY2(item->evidence.contains(u"%1:%2 dataSync=0 on disk, node44 runs 1"_s.arg(cfg).arg(line)), qPrintable(item->evidence));
    QVERIFY(!item->fixHint.isEmpty());
    // The live value is still 1 (the item above is what tells the difference), other hosts equal.
    QCOMPARE(find(r, u"ha-datasync"_s)->verdict, V::Pass);
    QCOMPARE(find(r, u"config:"_s + host(1))->verdict, V::Pass);
    QCOMPARE(find(r, u"config:"_s + host(3))->verdict, V::Pass);
}

void tst_PreflightSandbox::renamedPackageIsReadForWhatItIs()
{
    // The 2.00.7.4 package under the 2.00.8.12 name.
    QTemporaryDir dir;
    const QString renamed = dir.filePath(u"DolphinDB_Linux64_V2.00.8.12.zip"_s);
    QVERIFY(QFile::copy(m_dir + u"/packages/DolphinDB_Linux64_V2.00.7.4.zip"_s, renamed));
    Core::UpgradeProfile profile = m_profile;
    profile.packagePath = renamed;
    profile.packageSha256.clear();
    const PreflightReport r = preflight(profile);
    const PreflightItem *item = find(r, u"package-version"_s);
    QCOMPARE(item->verdict, V::Fail);
    QVERIFY2(item->evidence.contains(u"DolphinDB_Linux64_V2.00.8.12.zip holds version 2.00.7.4 (2.00.7.4 2022.12.08 in "
                                     "server/libDolphinDB.so), the target is 2.00.8.12"_s),
             qPrintable(item->evidence));
    QCOMPARE(find(r, u"package"_s)->verdict, V::Pass);
    // The broken package has the right version and a binary: nothing static tells it fails at start.
    profile.packagePath = m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12_broken.zip"_s;
    const PreflightReport broken = preflight(profile);
    QCOMPARE(find(broken, u"package-version"_s)->verdict, V::Pass);
}

void tst_PreflightSandbox::recoveryWaitIsJudgedAgainstTheDowntime()
{
    // The sandbox runs the tutorial's dfsRecoveryWaitTime=30000.
    PreflightReport r = preflight(m_profile);
    const PreflightItem *wait = find(r, u"ha-recoverywait"_s);
    QCOMPARE(wait->verdict, V::Warn);
    QVERIFY2(wait->evidence.contains(u"dfsRecoveryWaitTime=30000 ms is not longer than the expected host downtime 120000 ms "
                                     "(the documented default"_s),
             qPrintable(wait->evidence));
    Engine::PreflightOptions o;
    o.hostDowntime = {12000, u"measured in a rehearsal"_s};
    r = preflight(m_profile, o);
    wait = find(r, u"ha-recoverywait"_s);
    QCOMPARE(wait->verdict, V::Pass);
    QVERIFY2(wait->evidence.contains(u"longer than the expected host downtime 12000 ms (measured in a rehearsal)"_s),
             qPrintable(wait->evidence));
}

void tst_PreflightSandbox::sameVersionTargetIsNothingToUpgrade()
{
    Core::UpgradeProfile profile = m_profile;
    profile.targetVersion = u"2.00.7.4 2022.12.08"_s;
    profile.packagePath = m_dir + u"/packages/DolphinDB_Linux64_V2.00.7.4.zip"_s;
    profile.packageSha256.clear();
    const PreflightReport r = preflight(profile);
    const PreflightItem *c = find(r, u"compatibility"_s);
    QCOMPARE(c->verdict, V::Fail);
    QVERIFY2(c->title.startsWith(u"Nothing to upgrade"_s), qPrintable(c->title));
    QVERIFY(!c->needsConfirmation);
    QVERIFY(!r.toText().contains(u"BELOW LEVEL 4"_s));
    QCOMPARE(find(r, u"package-version"_s)->verdict, V::Pass);
}

void tst_PreflightSandbox::planOfADowngradeSaysSoAndExits1()
{
    // `run` refuses a target that is not newer; `plan` says so loudly and exits 1.
    QTemporaryDir dir;
    for (const auto &[name, target, says] : {std::tuple{u"down"_s, u"2.00.6.0"_s, u"DOWNGRADE: the target 2.00.6.0 is older than 2.00.7.4"_s},
                                             std::tuple{u"same"_s, u"2.00.7.4"_s, u"NOTHING TO UPGRADE"_s}}) {
        Core::UpgradeProfile profile = m_profile;
        profile.targetVersion = target;
        const QString path = dir.filePath(name + u".graystep.json"_s);
        QVERIFY(profile.save(path).ok());
        QByteArray out;
        QCOMPARE(runTool(u"graystep-cli"_s, {u"plan"_s, u"--profile"_s, path}, &out), 1);
        const QString text = QString::fromUtf8(out);
        QVERIFY2(text.startsWith(u"!!!!! "_s + says), qPrintable(text));
        QVERIFY2(text.trimmed().endsWith(u"!!!!!"_s), qPrintable(text));
    }
    // The profile's own target: a plan, exit 0.
    QByteArray out;
    QCOMPARE(runTool(u"graystep-cli"_s, {u"plan"_s, u"--profile"_s, m_dir + u"/sandbox.graystep.json"_s}, &out), 0);
    QVERIFY(!out.contains("!!!!!"));
}

void tst_PreflightSandbox::downDataNodeFailsNodesUpAndNamesTheChunksAtRisk()
{
    // node44 (host 2) stops: each chunk with a replica there has its only live one elsewhere.
    QByteArray out;
    QCOMPARE(runTool(u"graystep-sandbox"_s, {u"fault"_s, u"--dir"_s, m_dir, u"kill"_s, u"node44"_s}, &out), 0);
    PreflightReport r;
    QTRY_VERIFY_WITH_TIMEOUT((r = preflight(m_profile), find(r, u"nodes-up"_s) && find(r, u"nodes-up"_s)->verdict == V::Fail),
                             30000);
    QVERIFY2(find(r, u"nodes-up"_s)->evidence.contains(u"node44"_s), qPrintable(find(r, u"nodes-up"_s)->evidence));
    QCOMPARE(find(r, u"api:node44"_s)->verdict, V::Fail);
    QCOMPARE(find(r, u"api:node43"_s)->verdict, V::Pass);
    // Stopping host 1 or host 3 now takes the chunks whose other replica sat on node44 offline.
    int named = 0;
    for (int i : {1, 3}) {
        const PreflightItem *w = find(r, u"whatif:"_s + host(i));
        QVERIFY(w);
        if (w->verdict == V::Fail) {
            QVERIFY2(w->evidence.contains(u"would lose all live replicas"_s), qPrintable(w->evidence));
            // Each chunk by its partition and the replica that is down.
            QVERIFY2(w->evidence.contains(u"/stock/"_s), qPrintable(w->evidence));
            QVERIFY2(w->evidence.contains(u"[other replica on node44, down]"_s), qPrintable(w->evidence));
            QVERIFY2(w->fixHint.startsWith(u"start node44"_s), qPrintable(w->fixHint));
            ++named;
        }
    }
    QVERIFY2(named >= 1, qPrintable(r.toText()));
    // Host 2 itself holds no live replica now: stopping it loses nothing more.
    QCOMPARE(find(r, u"whatif:"_s + host(2))->verdict, V::Pass);
}

void tst_PreflightSandbox::unfinishedRecoveryFailsChunksAndRecoveryTasks()
{
    // Continues the last test (node44 down): rows are written while it is down, recovery is
    // made to hang, node44 comes back. Its stale replicas recover, and do not finish.
    QCOMPARE(runTool(u"graystep-sandbox"_s, {u"fault"_s, u"--dir"_s, m_dir, u"stuck-recovery"_s}), 0);
    const Core::Status rows = Test::insertOneRowPerDay(host(1), 8922, 100, QTime(10, 0));
    QVERIFY2(rows, qPrintable(rows ? QString() : rows.error().toString()));
    const auto started = Test::runOnce(host(1), 8922, u"startDataNode(\"node44\")"_s);
    QVERIFY2(started, qPrintable(started ? QString() : started.error().toString()));
    PreflightReport r;
    const auto failing = [&](const QString &id) { return find(r, id) && find(r, id)->verdict == V::Fail; };
    QTRY_VERIFY_WITH_TIMEOUT((r = preflight(m_profile), failing(u"chunks"_s) && failing(u"recovery-tasks"_s)), 30000);
    const PreflightItem *tasks = find(r, u"recovery-tasks"_s);
    // Each pending task by its partition, source and destination.
    QVERIFY2(tasks->evidence.contains(u"/stock/2023010"_s), qPrintable(tasks->evidence));
    QVERIFY2(tasks->evidence.contains(u" -> node44 (ChunkRecovery "_s), qPrintable(tasks->evidence));
    QVERIFY2(!tasks->fixHint.isEmpty(), qPrintable(r.toText()));
    QVERIFY2(find(r, u"chunks"_s)->evidence.contains(u"RECOVERING"_s), qPrintable(find(r, u"chunks"_s)->evidence));
    // Recovery allowed again: both items pass once it is done.
    QCOMPARE(runTool(u"graystep-sandbox"_s, {u"fault"_s, u"--dir"_s, m_dir, u"normal-recovery"_s}), 0);
    QTRY_VERIFY_WITH_TIMEOUT((r = preflight(m_profile), find(r, u"recovery-tasks"_s)->verdict == V::Pass
                                                            && find(r, u"chunks"_s)->verdict == V::Pass),
                             60000);
}

QTEST_GUILESS_MAIN(tst_PreflightSandbox)
#include "tst_preflightsandbox.moc"
