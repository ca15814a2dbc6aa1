// SPDX-License-Identifier: GPL-3.0-or-later
// The sandbox with real ddbsim nodes: `graystep-sandbox up` (3 hosts, --fast, with and without
// SSH), every node answers version(), the tutorial's procedure done by hand on host 1 through
// SSH, faults, and `down` leaving no process. Loopback block 127.0.50.1-3 (SSH) and
// 127.0.50.31-33 (--no-ssh). Needs root and /usr/sbin/sshd (CI installs openssh-server).
#include "sim/sandbox/sandboxclient.h"
#include "sim/sandbox/sandboxdisk.h"
#include "sim/sandbox/sandboxlauncher.h"
#include "sim/sshd/sshdserver.h"
#include "dolphindb/ddbvalue.h"
#include "support/testdata.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;
using GrayStep::DolphinDb::DdbValue;
using GrayStep::DolphinDb::DdbVector;
using GrayStep::DolphinDb::DataType;

namespace {

const QString Old = u"2.00.7.4 2022.12.08"_s;
const QString New = u"2.00.8.12 2023.01.10"_s;

struct CliRun
{
    int exitCode = -1;
    QJsonObject json;
    QString stderrText;
    qint64 elapsedMs = 0;
};

CliRun runSandbox(const QStringList &args, int timeoutMs = 120000)
{
    QProcess p;
    QElapsedTimer t;
    t.start();
    p.start(GrayStep::Test::binDir() + u"/graystep-sandbox"_s, args);
    p.waitForFinished(timeoutMs);
    CliRun r;
    r.elapsedMs = t.elapsed();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.json = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    r.stderrText = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// A (time TIMESTAMP, name SYMBOL, id INT) table for tableInsert (PROTOCOL.md §4.9).
DdbValue stockRows(int firstId, int count)
{
    const QStringList names{u"Apple"_s, u"Microsoft"_s, u"Meta"_s, u"Google"_s, u"Amazon"_s};
    QList<qint64> times;
    QStringList syms;
    QList<qint32> ids;
    for (int i = 0; i < count; ++i) {
        const qint64 id = firstId + i;
        const qint64 day = id % 10;   // 2023.01.01 .. 2023.01.10: the VALUE partitions
        times << 1672531200000LL + day * 86400000LL + (id * 1000LL) % 86400000LL;
        syms << names.at(int(id % names.size()));
        ids << qint32(id);
    }
    return DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                           {DdbVector::int64s(DataType::Timestamp, times), DdbVector::symbols(syms),
                            DdbVector::int32s(DataType::Int, ids)}).value();
}

// A writer that appends one row every 50 ms while the procedure runs, failing over between
// the three data nodes (resending the same id after an error, so a row may land twice, as
// with an HA client against a server without clientId/seqNo). It keeps the acknowledged ids.
class BackgroundWriter
{
public:
    explicit BackgroundWriter(QStringList sites, int firstId)
        : m_sites(std::move(sites))
        , m_nextId(firstId)
    {
        m_thread = std::thread([this] { loop(); });
    }
    ~BackgroundWriter() { stop(); }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    QList<qint32> acked() const
    {
        std::lock_guard lock(m_mutex);
        return m_acked;
    }
    int failures() const { return m_failures; }

private:
    void loop()
    {
        int site = 0;   // start on host 1, the one that goes down: the writer must fail over
        while (!m_stop) {
            SandboxClient c(2000);
            if (c.open(m_sites.at(site), 8922)) {
                while (!m_stop) {
                    auto r = c.call(u"tableInsert{loadTable('dfs://stock', 'stock')}"_s, {stockRows(m_nextId, 1)});
                    if (!r || r->toInt64() != 1) {
                        ++m_failures;
                        break;
                    }
                    {
                        std::lock_guard lock(m_mutex);
                        m_acked << m_nextId;
                    }
                    ++m_nextId;
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                }
            }
            site = (site + 1) % int(m_sites.size());
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    QStringList m_sites;
    qint32 m_nextId;
    std::atomic<bool> m_stop = false;
    std::atomic<int> m_failures = 0;
    mutable std::mutex m_mutex;
    QList<qint32> m_acked;
    std::thread m_thread;
};

} // namespace

class tst_SandboxCluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void upStartsTheClusterOverSsh();
    void everyNodeAnswersTheStartVersion_data();
    void everyNodeAnswersTheStartVersion();
    void statusShowsEveryNode();
    void upAgainReportsTheRunningSandbox();
    void tutorialProcedureOnHost1ThroughSsh();
    void killAndFailStartFaults();
    void stopSshdLeavesTheNodesRunning();
    void diskFullAndElectionStormFaults();
    void loseWriteFaultAcknowledgesAndStoresNothing();
    void brokenPackageFailsAtStartAndRollsBack();
    void downLeavesNoProcess();
    void upWithoutSsh();
    void upFromAUsersConfig();
    void aFailedUpLeavesNoMountAndNoProcess();

private:
    GrayStep::Core::Result<DdbValue> runOn(const QString &address, quint16 port, const QString &script) const;
    GrayStep::Core::Result<DdbValue> callOn(const QString &address, quint16 port, const QString &fn,
                                      const QList<DdbValue> &args = {}) const;
    QString leaderAddress() const;
    bool startDataNodes(const QStringList &aliases) const;
    int appendRows(const QString &address, int firstId, int count) const;
    qint64 rowCount(const QString &address) const;
    int chunksNotComplete(const QString &address) const;
    void verifyNothingRunsFrom(const QString &dir) const;
    int mountsUnder(const QString &dir) const;

    QTemporaryDir m_tmp;
    QString m_dir;
    std::unique_ptr<SandboxLauncher> m_launcher;
    int m_rowsAcked = 0;
};

using GrayStep::Core::Result;

void tst_SandboxCluster::initTestCase()
{
    if (!SshdServer::sshdAvailable()) {
        QSKIP(qPrintable(u"sshd cannot run here: "_s + SshdServer::unavailableReason()));
    }
    QVERIFY(m_tmp.isValid());
    QVERIFY(QFileInfo(GrayStep::Test::binDir() + u"/ddbsim"_s).isExecutable());
    m_dir = m_tmp.filePath(u"sbx"_s);
    m_launcher = std::make_unique<SandboxLauncher>(m_dir);
}

void tst_SandboxCluster::cleanupTestCase()
{
    if (m_launcher && m_launcher->isLaidOut()) {
        (void)m_launcher->down();
    }
}

Result<DdbValue> tst_SandboxCluster::runOn(const QString &address, quint16 port, const QString &script) const
{
    SandboxClient c(5000);
    if (auto s = c.open(address, port); !s) {
        return s.error();
    }
    return c.run(script);
}

Result<DdbValue> tst_SandboxCluster::callOn(const QString &address, quint16 port, const QString &fn,
                                               const QList<DdbValue> &args) const
{
    SandboxClient c(5000);
    if (auto s = c.open(address, port); !s) {
        return s.error();
    }
    return c.call(fn, args);
}

QString tst_SandboxCluster::leaderAddress() const
{
    auto spec = m_launcher->loadSpec();
    for (const SandboxHost &h : spec->hosts) {
        if (h.controllerAlias().isEmpty()) {
            continue;
        }
        auto m = callOn(h.address, 8920, u"getActiveMaster"_s);
        if (m && !m->toString().isEmpty() && spec->hostOf(m->toString())) {
            return spec->hostOf(m->toString())->address;
        }
    }
    return {};
}

bool tst_SandboxCluster::startDataNodes(const QStringList &aliases) const
{
    const QString leader = leaderAddress();
    if (leader.isEmpty()) {
        return false;
    }
    auto r = callOn(leader, 8920, u"startDataNode"_s, {DdbValue::vector(DdbVector::strings(aliases))});
    if (!r) {
        qWarning("startDataNode: %s", qPrintable(r.error().toString()));
    }
    return r.ok();
}

int tst_SandboxCluster::appendRows(const QString &address, int firstId, int count) const
{
    auto r = callOn(address, 8922, u"tableInsert{loadTable('dfs://stock', 'stock')}"_s, {stockRows(firstId, count)});
    if (!r) {
        qWarning("append: %s", qPrintable(r.error().toString()));
        return -1;
    }
    return int(r->toInt64());
}

qint64 tst_SandboxCluster::rowCount(const QString &address) const
{
    auto r = runOn(address, 8922, u"exec count(*) from loadTable(\"dfs://stock\", \"stock\")"_s);
    if (!r) {
        r = runOn(address, 8922, u"select count(*) from loadTable(\"dfs://stock\", \"stock\")"_s);
    }
    if (!r) {
        qWarning("count: %s", qPrintable(r.error().toString()));
        return -1;
    }
    if (r->isTable() && r->columnCount() > 0 && r->rowCount() > 0) {
        return r->column(0).intAt(0);
    }
    return r->toInt64();
}

int tst_SandboxCluster::chunksNotComplete(const QString &address) const
{
    auto r = runOn(address, 8922,
                   u"select * from rpc(getControllerAlias(), getClusterChunksStatus) where state != \"COMPLETE\""_s);
    if (!r) {
        qWarning("chunk status: %s", qPrintable(r.error().toString()));
        return -1;
    }
    return r->isTable() ? int(r->rowCount()) : 0;   // the tutorial: "the NULL value will be returned"
}

int tst_SandboxCluster::mountsUnder(const QString &dir) const
{
    QFile info(u"/proc/self/mountinfo"_s);
    if (!info.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray prefix = QDir(dir).absolutePath().toUtf8() + '/';
    int n = 0;
    for (const QByteArray &line : info.readAll().split('\n')) {
        const QList<QByteArray> f = line.split(' ');
        n += f.size() > 4 && f.at(4).startsWith(prefix) ? 1 : 0;
    }
    return n;
}

void tst_SandboxCluster::verifyNothingRunsFrom(const QString &dir) const
{
    const QByteArray needle = QDir(dir).canonicalPath().toUtf8() + '/';
    for (const QString &pid : QDir(u"/proc"_s).entryList(QDir::Dirs)) {
        if (pid.toInt() <= 0) {
            continue;
        }
        QFile f(u"/proc/"_s + pid + u"/cmdline"_s);
        QByteArray cmd = f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        const QString exe = QFileInfo(u"/proc/"_s + pid + u"/exe"_s).symLinkTarget();
        QVERIFY2(!cmd.contains(needle) && !exe.toUtf8().startsWith(needle),
                 qPrintable(pid + u": "_s + QString::fromUtf8(cmd.replace('\0', ' '))));
    }
}

void tst_SandboxCluster::upStartsTheClusterOverSsh()
{
    const CliRun r = runSandbox({u"up"_s, u"--dir"_s, m_dir, u"--fast"_s, u"--base-address"_s, u"127.0.50.1"_s});
    QVERIFY2(r.exitCode == 0, qPrintable(r.stderrText));
    qInfo("graystep-sandbox up (3 hosts, SSH, --fast): %lld ms wall", r.elapsedMs);
    QCOMPARE(r.json.value(u"directory"_s).toString(), m_dir);
    QCOMPARE(r.json.value(u"profile"_s).toString(), m_dir + u"/sandbox.graystep.json"_s);
    QCOMPARE(r.json.value(u"alreadyRunning"_s).toBool(), false);
    const QJsonArray hosts = r.json.value(u"hosts"_s).toArray();
    QCOMPARE(hosts.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const QJsonObject h = hosts[i].toObject();
        QCOMPARE(h.value(u"address"_s).toString(), u"127.0.50.%1"_s.arg(i + 1));
        QCOMPARE(h.value(u"sshPort"_s).toInt(), 2222);
        QCOMPARE(h.value(u"ports"_s).toObject(),
                 (QJsonObject{{u"controller"_s, 8920}, {u"agent"_s, 8921}, {u"datanode"_s, 8922}}));
    }
    const QJsonObject packages = r.json.value(u"packages"_s).toObject();
    QCOMPARE(packages.value(u"2.00.7.4"_s).toString(), m_dir + u"/packages/DolphinDB_Linux64_V2.00.7.4.zip"_s);
    QCOMPARE(packages.value(u"2.00.8.12"_s).toString(), m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s);
    QCOMPARE(packages.value(u"broken"_s).toString(), m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12_broken.zip"_s);
    QVERIFY(QFileInfo::exists(m_dir + u"/host1/server/clusterDemo/log/controller.log"_s));
    // The start scripts ran through each host's sshd: two command sessions (controller, agent).
    for (int i = 1; i <= 3; ++i) {
        QCOMPARE(SshdServer(m_dir + u"/host%1/sshd"_s.arg(i), u"127.0.50.%1"_s.arg(i)).sessionsStarted(), 2);
    }
}

void tst_SandboxCluster::everyNodeAnswersTheStartVersion_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("port");
    for (int h = 1; h <= 3; ++h) {
        for (int port : {8920, 8921, 8922}) {
            QTest::addRow("127.0.50.%d:%d", h, port) << u"127.0.50.%1"_s.arg(h) << port;
        }
    }
}

void tst_SandboxCluster::everyNodeAnswersTheStartVersion()
{
    QFETCH(QString, address);
    QFETCH(int, port);
    auto v = callOn(address, quint16(port), u"version"_s);
    QVERIFY2(v.ok(), qPrintable(v ? QString() : v.error().toString()));
    QCOMPARE(v->toString(), Old);
}

void tst_SandboxCluster::statusShowsEveryNode()
{
    const CliRun r = runSandbox({u"status"_s, u"--dir"_s, m_dir, u"--json"_s}, 30000);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json.value(u"nodesUp"_s).toInt(), 9);
    QVERIFY(!r.json.value(u"leader"_s).toString().isEmpty());
    for (const QJsonValue &v : r.json.value(u"nodes"_s).toArray()) {
        const QJsonObject n = v.toObject();
        QCOMPARE(n.value(u"state"_s).toString(), u"up"_s);
        QVERIFY(n.value(u"pid"_s).toInteger() > 0);
        QCOMPARE(n.value(u"version"_s).toString(), Old);
    }
    // A removed pid file is no proof that a node is down: status looks at the node itself.
    const QString pidFile = m_dir + u"/host1/server/clusterDemo/data/node43.pid"_s;
    QVERIFY(QFile::rename(pidFile, pidFile + u".moved"_s));
    const CliRun without = runSandbox({u"status"_s, u"--dir"_s, m_dir, u"--json"_s}, 30000);
    QVERIFY(QFile::rename(pidFile + u".moved"_s, pidFile));
    QCOMPARE(without.json.value(u"nodesUp"_s).toInt(), 9);
    for (const QJsonValue &v : without.json.value(u"nodes"_s).toArray()) {
        const QJsonObject n = v.toObject();
        QCOMPARE(n.value(u"state"_s).toString(), u"up"_s);
        QCOMPARE(n.value(u"pidFile"_s).toString(), n.value(u"alias"_s).toString() == u"node43"_s ? u"missing"_s : QString());
    }
}

void tst_SandboxCluster::upAgainReportsTheRunningSandbox()
{
    const CliRun r = runSandbox({u"up"_s, u"--dir"_s, m_dir, u"--fast"_s, u"--base-address"_s, u"127.0.50.1"_s}, 30000);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json.value(u"alreadyRunning"_s).toBool(), true);
    QCOMPARE(m_launcher->processesUnderDirectory().size(), 9 + 3);   // nodes + sshd listeners
    // A second sandbox on the same address block is refused before it lays anything out.
    const QString other = m_tmp.filePath(u"other"_s);
    const CliRun clash = runSandbox({u"up"_s, u"--dir"_s, other, u"--fast"_s, u"--base-address"_s, u"127.0.50.1"_s}, 30000);
    QCOMPARE(clash.exitCode, 2);
    QVERIFY2(clash.stderrText.contains(u"already in use"_s), qPrintable(clash.stderrText));
    QVERIFY(!QFileInfo::exists(other + u"/sandbox.state.json"_s));
}

void tst_SandboxCluster::tutorialProcedureOnHost1ThroughSsh()
{
    auto spec = m_launcher->loadSpec();
    QVERIFY(spec.ok());
    const SandboxHost &host1 = spec->hosts[0];
    const QString demo = m_launcher->clusterDemoDir(host1);
    const auto onHost1 = [&](const QString &command) {
        auto r = m_launcher->runOnHost(host1, u"cd "_s + demo + u" && "_s + command, 60000);
        if (!r) {
            qWarning("%s", qPrintable(r.error().toString()));
        }
        return r;
    };
    // The writer's rows before the host goes down, and a writer running through the procedure.
    QCOMPARE(appendRows(u"127.0.50.2"_s, 1, 50), 50);
    m_rowsAcked = 50;
    BackgroundWriter writer({u"127.0.50.1"_s, u"127.0.50.2"_s, u"127.0.50.3"_s}, 100000);
    QTRY_VERIFY_WITH_TIMEOUT(writer.acked().size() >= 5, 10000);

    // Step 1: gate.
    QTRY_COMPARE_WITH_TIMEOUT(chunksNotComplete(u"127.0.50.2"_s), 0, 20000);
    // Step 2: metadata directories of host 1's own nodes (not the leader's: PROCEDURE.md).
    auto chunkMeta = runOn(u"127.0.50.2"_s, 8922, u"pnodeRun(getConfig{`chunkMetaDir})"_s);
    QVERIFY2(chunkMeta.ok(), qPrintable(chunkMeta ? QString() : chunkMeta.error().toString()));
    QString node43Meta;
    QVERIFY(chunkMeta->isTable() && chunkMeta->column(u"node") && chunkMeta->column(u"value"));
    for (qint64 r = 0; r < chunkMeta->rowCount(); ++r) {
        if (chunkMeta->column(u"node")->stringAt(r) == "node43"_L1) {
            node43Meta = chunkMeta->column(u"value")->stringAt(r);
        }
    }
    QCOMPARE(node43Meta, demo + u"/data/node43/storage"_s);
    auto dfsMeta = callOn(host1.address, 8920, u"getConfig"_s, {DdbValue::string(u"dfsMetaDir"_s)});
    QVERIFY2(dfsMeta.ok(), qPrintable(dfsMeta ? QString() : dfsMeta.error().toString()));
    QCOMPARE(dfsMeta->toString(), demo + u"/data/HActl43/dfsMeta"_s);

    // Step 3: stop all nodes on host 1 (only host 1's).
    const qint64 node44Pid = m_launcher->nodePid(spec->hosts[1], u"node44"_s);
    QVERIFY(node44Pid > 0);
    auto stopped = onHost1(u"sh stopAllNode.sh"_s);
    QVERIFY(stopped.ok());
    for (const QString &alias : {u"HActl43"_s, u"agent43"_s, u"node43"_s}) {
        QCOMPARE(m_launcher->nodePid(host1, alias), qint64(-1));
    }
    QCOMPARE(m_launcher->nodePid(spec->hosts[1], u"node44"_s), node44Pid);
    QVERIFY(m_launcher->nodePid(spec->hosts[2], u"HActl45"_s) > 0);

    // The writer keeps going while host 1 is down (reliability level 1: one replica suffices).
    QTRY_VERIFY_WITH_TIMEOUT(!leaderAddress().isEmpty(), 20000);
    const int during = appendRows(u"127.0.50.2"_s, 51, 50);
    QCOMPARE(during, 50);
    m_rowsAcked += during;

    // Step 4: back up metadata (data node's CHUNK_METADATA, controller's dfsMeta and raft).
    QVERIFY(onHost1(u"cd data/node43/storage && cp -r CHUNK_METADATA/ CHUNK_METADATA_BAK/"_s).ok());
    QVERIFY(onHost1(u"cd data/HActl43 && cp -r dfsMeta/ dfsMeta_bak/ && cp -r raft/ raft_bak/"_s).ok());
    for (const QString &d : {u"/data/node43/storage/CHUNK_METADATA_BAK"_s, u"/data/HActl43/dfsMeta_bak"_s,
                             u"/data/HActl43/raft_bak"_s}) {
        QVERIFY2(QFileInfo(demo + d).isDir(), qPrintable(demo + d));
    }

    // Step 5: upgrade.sh offline, non-interactive; the package sits in clusterDemo/.
    QVERIFY(onHost1(u"cp "_s + m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip ."_s).ok());
    // While a node runs from this install the script refuses (checked on host 2, which runs).
    {
        auto refused = m_launcher->runOnHost(spec->hosts[1], u"cd "_s + m_launcher->clusterDemoDir(spec->hosts[1])
                                                 + u" && sh upgrade.sh --offline 2.00.8.12 --yes"_s);
        QVERIFY(!refused.ok());
        QVERIFY(refused.error().message.contains(u"still running"_s));
    }
    auto upgraded = onHost1(u"sh upgrade.sh --offline 2.00.8.12 --yes"_s);
    QVERIFY(upgraded.ok());
    QVERIFY(upgraded->contains("UpLoadSuccess"));
    QVERIFY(upgraded->contains("UnzipSuccess"));
    QVERIFY(upgraded->contains("UpgradeSuccess"));

    // Recovery held (fault stuck-recovery) so the RECOVERING state can be seen for sure.
    auto stuck = m_launcher->fault(u"stuck-recovery"_s, {});
    QVERIFY2(stuck.ok(), qPrintable(stuck ? QString() : stuck.error().toString()));

    // Step 6: restart controller and agent by their scripts, the data node through the leader.
    QVERIFY(onHost1(u"sh startController.sh && sh startAgent.sh"_s).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_launcher->nodePid(host1, u"agent43"_s) > 0, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(startDataNodes({u"node43"_s}), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(callOn(host1.address, 8922, u"version"_s).ok(), 20000);

    // pnodeRun(version): host 1's node runs the new version, the others the old one.
    QStringList versions;
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        auto pv = runOn(u"127.0.50.2"_s, 8922, u"pnodeRun(version)"_s);
        versions.clear();
        if (!pv || !pv->isTable() || !pv->column(u"node") || !pv->column(u"value")) {
            return false;
        }
        for (qint64 r = 0; r < pv->rowCount(); ++r) {
            versions << pv->column(u"node")->stringAt(r) + u'=' + pv->column(u"value")->stringAt(r);
        }
        versions.sort();
        return versions.size() == 3;
    }(), 20000);
    QCOMPARE(versions, (QStringList{u"node43="_s + New, u"node44="_s + Old, u"node45="_s + Old}));
    auto ctlVersion = callOn(host1.address, 8920, u"version"_s);
    QVERIFY(ctlVersion.ok());
    QCOMPARE(ctlVersion->toString(), New);

    // Step 7: node43's stale replicas are RECOVERING; released, they catch up to COMPLETE.
    QTRY_VERIFY_WITH_TIMEOUT(chunksNotComplete(u"127.0.50.2"_s) > 0, 20000);
    {
        auto states = runOn(u"127.0.50.2"_s, 8922, u"select * from rpc(getControllerAlias(), getClusterChunksStatus) "
                                                   "where state != \"COMPLETE\""_s);
        QVERIFY(states.ok() && states->column(u"state"));
        QCOMPARE(states->column(u"state")->stringAt(0), u"RECOVERING"_s);
        QVERIFY(states->column(u"replicas")->stringAt(0).contains(u"node43"_s));
    }
    auto normal = m_launcher->fault(u"normal-recovery"_s, {});
    QVERIFY2(normal.ok(), qPrintable(normal ? QString() : normal.error().toString()));
    QTRY_COMPARE_WITH_TIMEOUT(chunksNotComplete(u"127.0.50.2"_s), 0, 30000);
    const int after = appendRows(u"127.0.50.1"_s, 101, 20);
    QCOMPARE(after, 20);
    m_rowsAcked += after;
    // No acknowledged row is lost.
    writer.stop();
    const QList<qint32> writerAcked = writer.acked();
    qInfo("background writer: %lld rows acknowledged, %d failed attempts (failover)",
          qint64(writerAcked.size()), writer.failures());
    QVERIFY(writerAcked.size() > 20);
    QVERIFY(writer.failures() >= 1);   // host 1 went down under it
    auto ids = runOn(u"127.0.50.3"_s, 8922, u"exec id from loadTable(\"dfs://stock\", \"stock\")"_s);
    QVERIFY2(ids.ok(), qPrintable(ids ? QString() : ids.error().toString()));
    QSet<qint64> present;
    qint64 stepRows = 0;
    for (qint64 i = 0; i < ids->rowCount(); ++i) {
        const qint64 id = ids->elements().intAt(i);
        present.insert(id);
        stepRows += id < 100000 ? 1 : 0;
    }
    QCOMPARE(stepRows, qint64(m_rowsAcked));   // the step appends: each exactly once
    qint64 lost = 0;
    for (qint32 id : writerAcked) {
        lost += present.contains(id) ? 0 : 1;
    }
    QCOMPARE(lost, qint64(0));                 // no acknowledged row is lost
    QCOMPARE(rowCount(u"127.0.50.1"_s), ids->rowCount());
}

void tst_SandboxCluster::killAndFailStartFaults()
{
    auto spec = m_launcher->loadSpec();
    const SandboxHost &host3 = spec->hosts[2];
    const qint64 pid = m_launcher->nodePid(host3, u"node45"_s);
    QVERIFY(pid > 0);
    auto killed = m_launcher->fault(u"kill"_s, {u"node45"_s});
    QVERIFY2(killed.ok(), qPrintable(killed ? QString() : killed.error().toString()));
    QTRY_COMPARE_WITH_TIMEOUT(m_launcher->nodePid(host3, u"node45"_s), qint64(-1), 5000);

    QVERIFY(m_launcher->fault(u"fail-start"_s, {u"node45"_s}).ok());
    const QString log = m_launcher->clusterDemoDir(host3) + u"/log/node45.log"_s;
    const qint64 logSize = QFileInfo(log).size();
    QTRY_VERIFY_WITH_TIMEOUT(startDataNodes({u"node45"_s}), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(log).size() > logSize, 10000);
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        QFile f(log);
        return f.open(QIODevice::ReadOnly) && f.readAll().mid(logSize).contains("ERROR");
    }(), 10000);
    QVERIFY(!callOn(host3.address, 8922, u"version"_s).ok());

    QVERIFY(m_launcher->fault(u"fail-start"_s, {u"node45"_s, u"--clear"_s}).ok());
    QTRY_VERIFY_WITH_TIMEOUT(startDataNodes({u"node45"_s}), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(callOn(host3.address, 8922, u"version"_s).ok(), 20000);
}

// An SSH fault is not a node fault: stopping a host's sshd refuses new connections, and the
// host's controller, agent and data node (started through that sshd) keep running and answering.
void tst_SandboxCluster::stopSshdLeavesTheNodesRunning()
{
    auto spec = m_launcher->loadSpec();
    const SandboxHost &host2 = spec->hosts[1];
    QMap<QString, qint64> pids;
    QMap<QString, qint64> logSizes;
    for (const SandboxNode &n : host2.nodes) {
        const qint64 pid = m_launcher->nodePid(host2, n.alias);
        QVERIFY2(pid > 0, qPrintable(n.alias));
        pids.insert(n.alias, pid);
        const QString log = m_launcher->clusterDemoDir(host2) + u"/log/"_s + (n.alias == host2.controllerAlias() ? u"controller"_s
                                                                           : n.alias == host2.agentAlias()   ? u"agent"_s
                                                                                                              : n.alias)
                            + u".log"_s;
        QVERIFY2(QFileInfo::exists(log), qPrintable(log));
        logSizes.insert(log, QFileInfo(log).size());
    }
    QCOMPARE(pids.size(), 3);
    QVERIFY(m_launcher->runOnHost(host2, u"true"_s).ok());

    auto stopped = m_launcher->fault(u"stop-sshd"_s, {host2.address});
    QVERIFY2(stopped.ok(), qPrintable(stopped ? QString() : stopped.error().toString()));
    // SSH is gone (stop() returns once every process it signalled has ended) ...
    auto refused = m_launcher->runOnHost(host2, u"true"_s, 15000);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.contains(u"refused"_s), qPrintable(refused.error().message));
    // ... and every node of the host is the same process as before, answering.
    for (auto it = pids.cbegin(); it != pids.cend(); ++it) {
        QCOMPARE(m_launcher->nodePid(host2, it.key()), it.value());
        QVERIFY2(::kill(pid_t(it.value()), 0) == 0, qPrintable(it.key()));
    }
    for (const SandboxNode &n : host2.nodes) {
        auto v = callOn(host2.address, n.port, u"version"_s);
        QVERIFY2(v.ok(), qPrintable(n.alias + u": "_s + (v ? QString() : v.error().toString())));
        QCOMPARE(v->toString(), Old);
    }
    // No node was told to stop.
    for (auto it = logSizes.cbegin(); it != logSizes.cend(); ++it) {
        QFile f(it.key());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray since = f.readAll().mid(it.value());
        QVERIFY2(!since.contains("SIGTERM") && !since.contains("Shutting down"), since.constData());
    }
    QVERIFY(m_launcher->fault(u"start-sshd"_s, {host2.address}).ok());
    QVERIFY(m_launcher->runOnHost(host2, u"true"_s).ok());
}

void tst_SandboxCluster::loseWriteFaultAcknowledgesAndStoresNothing()
{
    const auto armed = [this](const QString &address) {
        auto f = callOn(address, 8922, u"simGetFaults"_s);
        return f ? f->toJson().toObject().value(u"loseNextAppend"_s).toString() : QString();
    };
    auto fault = m_launcher->fault(u"lose-write"_s, {u"node43"_s});
    QVERIFY2(fault.ok(), qPrintable(fault.ok() ? QString() : fault.error().toString()));
    QCOMPARE(fault->value(u"nodes"_s).toArray(), QJsonArray{u"node43"_s});
    QCOMPARE(armed(u"127.0.50.1"_s), u"1"_s);
    QCOMPARE(armed(u"127.0.50.2"_s), u"0"_s);
    const qint64 before = rowCount(u"127.0.50.2"_s);
    QVERIFY(before >= 0);
    // The next append through node43 is acknowledged with its row count, and not stored.
    auto lied = callOn(u"127.0.50.1"_s, 8922, u"tableInsert{loadTable('dfs://stock', 'stock')}"_s, {stockRows(800000, 7)});
    QVERIFY2(lied.ok(), qPrintable(lied.ok() ? QString() : lied.error().toString()));
    QCOMPARE(lied->toInt64(), 7);
    QCOMPARE(rowCount(u"127.0.50.2"_s), before);
    QCOMPARE(armed(u"127.0.50.1"_s), u"0"_s);   // one-shot
    // The one after is stored.
    auto stored = callOn(u"127.0.50.1"_s, 8922, u"tableInsert{loadTable('dfs://stock', 'stock')}"_s, {stockRows(800100, 5)});
    QVERIFY(stored.ok());
    QCOMPARE(rowCount(u"127.0.50.2"_s), before + 5);
    // Every running data node at once (a node the earlier faults left restarting is skipped
    // and not named), and --clear disarms them.
    auto spec = m_launcher->loadSpec();
    QVERIFY(spec.ok());
    fault = m_launcher->fault(u"lose-write"_s, {});
    QVERIFY(fault.ok());
    const QJsonArray nodes = fault->value(u"nodes"_s).toArray();
    QVERIFY(nodes.contains(u"node43"_s));
    for (const QJsonValue &n : nodes) {
        QCOMPARE(armed(spec->hostOf(n.toString())->address), u"1"_s);
    }
    QVERIFY(m_launcher->fault(u"lose-write"_s, {u"--clear"_s}).ok());
    for (const QJsonValue &n : nodes) {
        QCOMPARE(armed(spec->hostOf(n.toString())->address), u"0"_s);
    }
}

void tst_SandboxCluster::diskFullAndElectionStormFaults()
{
    const auto faultsOn = [this](const QString &address, quint16 port) {
        auto f = callOn(address, port, u"simGetFaults"_s);
        return f ? f->toJson().toObject() : QJsonObject();
    };
    auto spec = m_launcher->loadSpec();
    QVERIFY(spec.ok());
    const SandboxHost &host3 = spec->hosts[2];
    const qint64 before = rowCount(u"127.0.50.1"_s);
    QVERIFY(before >= 0);

    auto full = m_launcher->fault(u"disk-full"_s, {u"127.0.50.3"_s});
    QVERIFY2(full.ok(), qPrintable(full.ok() ? QString() : full.error().toString()));
    const QString method = full->value(u"method"_s).toString();
    qInfo("disk-full on host 3: %s", QJsonDocument(*full).toJson(QJsonDocument::Compact).constData());
    if (method == "tmpfs"_L1) {
        // Root and mount allowed: the host is on its own tmpfs, really full.
        QVERIFY(full->value(u"ballastBytes"_s).toInteger() > 0);
        QCOMPARE(full->value(u"freeBytes"_s).toInteger(), 0);
        // Everything on that host sees it: a shell there cannot write a file, df shows it full.
        auto shellWrite = m_launcher->runOnHost(host3, u"head -c 65536 /dev/zero > "_s
                                                           + m_launcher->clusterDemoDir(host3) + u"/probe.bin"_s);
        QVERIFY(!shellWrite.ok());
        QVERIFY2(shellWrite.error().message.contains(u"No space left on device"_s), qPrintable(shellWrite.error().message));
        auto df = m_launcher->runOnHost(host3, u"df -P "_s + m_launcher->hostDir(host3));
        QVERIFY(df.ok() && df->contains("100%"));
        // An SFTP upload (what the upgrade does with the package) fails as well.
        QFile local(m_tmp.filePath(u"upload.bin"_s));
        QVERIFY(local.open(QIODevice::WriteOnly));
        local.write(QByteArray(256 * 1024, 'p'));
        local.close();
        QFile batch(m_tmp.filePath(u"sftp.batch"_s));
        QVERIFY(batch.open(QIODevice::WriteOnly));
        batch.write("put " + local.fileName().toUtf8() + ' ' + m_launcher->clusterDemoDir(host3).toUtf8() + "/upload.bin\n");
        batch.close();
        QStringList sftpArgs = m_launcher->sshCommand(host3, 2222, QString());
        sftpArgs.removeLast();                                  // the command
        const QString destination = sftpArgs.takeLast();        // user@address
        sftpArgs[sftpArgs.indexOf(u"-p"_s)] = u"-P"_s;          // sftp spells the port -P
        QProcess sftp;
        sftp.setProcessChannelMode(QProcess::MergedChannels);
        sftp.start(u"sftp"_s, sftpArgs + QStringList{u"-b"_s, batch.fileName(), destination});
        QVERIFY(sftp.waitForFinished(30000));
        const QString sftpOut = QString::fromUtf8(sftp.readAll());
        qInfo("sftp to the full host: exit %d: %s", sftp.exitCode(), qPrintable(sftpOut.simplified()));
        QVERIFY2(sftp.exitCode() != 0, qPrintable(sftpOut));
        (void)m_launcher->runOnHost(host3, u"rm -f "_s + m_launcher->clusterDemoDir(host3) + u"/upload.bin"_s);
        QCOMPARE(faultsOn(u"127.0.50.3"_s, 8922).value(u"diskFull"_s).toString(), u"0"_s);   // not the quota
    } else {
        // A container that refuses mount: the emulated quota, and the output says why.
        QCOMPARE(method, u"emulated"_s);
        QVERIFY(!full->value(u"reason"_s).toString().isEmpty());
        QCOMPARE(faultsOn(u"127.0.50.3"_s, 8922).value(u"diskFull"_s).toString(), u"1"_s);
        QCOMPARE(faultsOn(u"127.0.50.2"_s, 8922).value(u"diskFull"_s).toString(), u"0"_s);   // only that host
    }

    // An append through the data node of the full host: an error naming the failure, no OK.
    auto refused = callOn(u"127.0.50.3"_s, 8922, u"tableInsert{loadTable('dfs://stock', 'stock')}"_s,
                          {stockRows(700000, 1000)});
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.contains(u"No space left on device"_s), qPrintable(refused.error().message));
    QCOMPARE(rowCount(u"127.0.50.1"_s), before);   // nothing half-committed

    // Cleared: the node works again, the append succeeds, the counts are right.
    auto cleared = m_launcher->fault(u"disk-full"_s, {u"3"_s, u"--clear"_s});
    QVERIFY(cleared.ok());
    if (method == "tmpfs"_L1) {
        QVERIFY(cleared->value(u"freeBytes"_s).toInteger() > 0);
    }
    (void)m_launcher->runOnHost(host3, u"rm -f "_s + m_launcher->clusterDemoDir(host3) + u"/probe.bin"_s);
    QTRY_VERIFY_WITH_TIMEOUT(!leaderAddress().isEmpty(), 20000);
    // Retried until the first success only (each attempt that succeeds appends): an attempt that
    // fails must not have written anything, which the counts below check.
    int appended = -1;
    for (QDeadlineTimer until(20000); appended != 1000 && !until.hasExpired();) {
        appended = appendRows(u"127.0.50.3"_s, 700000, 1000);
        if (appended != 1000) {
            QTest::qWait(200);
        }
    }
    QCOMPARE(appended, 1000);
    QCOMPARE(rowCount(u"127.0.50.3"_s), before + 1000);
    QCOMPARE(rowCount(u"127.0.50.2"_s), before + 1000);
    QTRY_COMPARE_WITH_TIMEOUT(chunksNotComplete(u"127.0.50.1"_s), 0, 30000);
    auto ids = runOn(u"127.0.50.3"_s, 8922,
                     u"exec count(*) from loadTable(\"dfs://stock\", \"stock\") where id >= 700000"_s);
    QVERIFY(ids.ok());
    QCOMPARE(ids->toInt64(), qint64(1000));   // exactly once, no row of the refused append

    QVERIFY(m_launcher->fault(u"election-storm"_s, {}).ok());
    QCOMPARE(faultsOn(u"127.0.50.1"_s, 8920).value(u"electionStorm"_s).toString(), u"1"_s);
    QVERIFY(m_launcher->fault(u"election-storm"_s, {u"--clear"_s}).ok());
    QCOMPARE(faultsOn(u"127.0.50.1"_s, 8920).value(u"electionStorm"_s).toString(), u"0"_s);
    // The cluster settles again with a leader.
    QTRY_VERIFY_WITH_TIMEOUT(!leaderAddress().isEmpty(), 20000);

    auto unknown = m_launcher->fault(u"meteor-strike"_s, {});
    QVERIFY(!unknown.ok());
    QCOMPARE(unknown.error().code, GrayStep::Core::ErrorCode::InvalidInput);
}

void tst_SandboxCluster::brokenPackageFailsAtStartAndRollsBack()
{
    auto spec = m_launcher->loadSpec();
    const SandboxHost &host3 = spec->hosts[2];
    const QString demo = m_launcher->clusterDemoDir(host3);
    const auto onHost3 = [&](const QString &command) {
        return m_launcher->runOnHost(host3, u"cd "_s + demo + u" && "_s + command, 60000);
    };
    QVERIFY(onHost3(u"sh stopAllNode.sh"_s).ok());
    QVERIFY(onHost3(u"cp -r ../../server ../../server.bak-2.00.7.4"_s).ok());   // keep the old binaries
    QVERIFY(onHost3(u"cp "_s + m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12_broken.zip ."_s).ok());
    auto upgraded = onHost3(u"sh upgrade.sh --offline 2.00.8.12_broken --yes"_s);
    QVERIFY(upgraded.ok() && upgraded->contains("UpgradeSuccess"));

    // The broken node logs an error and exits during startup.
    const QString log = demo + u"/log/controller.log"_s;
    const qint64 before = QFileInfo(log).size();
    QVERIFY(onHost3(u"sh startController.sh"_s).ok());
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        QFile f(log);
        return f.open(QIODevice::ReadOnly) && f.readAll().mid(before).contains("<ERROR>");
    }(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(m_launcher->nodePid(host3, u"HActl45"_s), qint64(-1), 10000);
    QVERIFY(!callOn(host3.address, 8920, u"version"_s).ok());

    // Roll back: the old binaries return, the controller starts on the old version.
    QVERIFY(onHost3(u"rm -rf ../../server.broken && mv ../../server ../../server.broken && "
                    "mv ../../server.bak-2.00.7.4 ../../server"_s).ok());
    QVERIFY(m_launcher->runOnHost(host3, u"cd "_s + demo + u" && sh startController.sh && sh startAgent.sh"_s).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callOn(host3.address, 8920, u"version"_s).ok(), 20000);
    QCOMPARE(callOn(host3.address, 8920, u"version"_s)->toString(), Old);
    QTRY_VERIFY_WITH_TIMEOUT(startDataNodes({u"node45"_s}), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(callOn(host3.address, 8922, u"version"_s).ok(), 20000);
}

void tst_SandboxCluster::downLeavesNoProcess()
{
    const CliRun r = runSandbox({u"down"_s, u"--dir"_s, m_dir}, 60000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.stderrText));
    QCOMPARE(r.json.value(u"stopped"_s).toBool(), true);
    // Every node stopped by its host's stopAllNode.sh, none needed SIGKILL.
    QCOMPARE(r.json.value(u"leftoversKilled"_s).toArray().size(), 0);
    verifyNothingRunsFrom(m_dir);
    const CliRun st = runSandbox({u"status"_s, u"--dir"_s, m_dir, u"--json"_s}, 30000);
    QCOMPARE(st.json.value(u"nodesUp"_s).toInt(), 0);
}

void tst_SandboxCluster::upWithoutSsh()
{
    const QString dir = m_tmp.filePath(u"nossh"_s);
    const CliRun r = runSandbox({u"up"_s, u"--dir"_s, dir, u"--fast"_s, u"--no-ssh"_s,
                                 u"--base-address"_s, u"127.0.50.31"_s});
    QVERIFY2(r.exitCode == 0, qPrintable(r.stderrText));
    qInfo("graystep-sandbox up (3 hosts, --no-ssh, --fast): %lld ms wall", r.elapsedMs);
    QVERIFY(r.json.value(u"hosts"_s).toArray().at(0).toObject().value(u"sshPort"_s).isNull());
    // As root (where mount is allowed) each host is its own tmpfs; down copies the files back
    // and unmounts (below). Else the output says why not.
    const QJsonObject disk = r.json.value(u"disk"_s).toObject();
    qInfo("disk: %s", QJsonDocument(disk).toJson(QJsonDocument::Compact).constData());
    const bool tmpfs = disk.value(u"method"_s).toString() == "tmpfs"_L1;
    if (tmpfs) {
        QCOMPARE(disk.value(u"mounted"_s).toArray().size(), 3);
        QCOMPARE(mountsUnder(dir), 3);
    } else {
        QCOMPARE(disk.value(u"method"_s).toString(), u"emulated"_s);
        QVERIFY(!disk.value(u"reason"_s).toString().isEmpty());
        QCOMPARE(mountsUnder(dir), 0);
    }
    for (int h = 1; h <= 3; ++h) {
        for (quint16 port : {8920, 8921, 8922}) {
            auto v = callOn(u"127.0.50.%1"_s.arg(30 + h), port, u"version"_s);
            QVERIFY2(v.ok(), qPrintable(v ? QString() : v.error().toString()));
            QCOMPARE(v->toString(), Old);
        }
    }
    QCOMPARE(rowCount(u"127.0.50.32"_s), qint64(0));   // the tutorial table exists, empty
    QCOMPARE(appendRows(u"127.0.50.32"_s, 1, 10), 10);
    CliRun down = runSandbox({u"down"_s, u"--dir"_s, dir}, 60000);
    QCOMPARE(down.exitCode, 0);
    QCOMPARE(down.json.value(u"unmounted"_s).toArray().size(), tmpfs ? 3 : 0);
    verifyNothingRunsFrom(dir);
    QCOMPARE(mountsUnder(dir), 0);

    // up on a stopped sandbox starts it again with its data (state lives in the real dirs).
    const CliRun again = runSandbox({u"up"_s, u"--dir"_s, dir});
    QVERIFY2(again.exitCode == 0, qPrintable(again.stderrText));
    QCOMPARE(again.json.value(u"alreadyRunning"_s).toBool(), false);
    QTRY_COMPARE_WITH_TIMEOUT(rowCount(u"127.0.50.33"_s), qint64(10), 20000);
    down = runSandbox({u"down"_s, u"--dir"_s, dir}, 60000);
    QCOMPARE(down.exitCode, 0);
    verifyNothingRunsFrom(dir);
    QCOMPARE(mountsUnder(dir), 0);
}

void tst_SandboxCluster::upFromAUsersConfig()
{
    const QString dir = m_tmp.filePath(u"fromconfig"_s);
    const CliRun r = runSandbox({u"up"_s, u"--dir"_s, dir, u"--fast"_s, u"--no-ssh"_s, u"--base-address"_s,
                                 u"127.0.50.41"_s, u"--no-tmpfs"_s, u"--from-config"_s,
                                 GrayStep::Test::testDataPath(u"sim/userconfig"_s)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.stderrText));
    // Without tmpfs a full disk is the nodes' emulated quota, and the output says so.
    QCOMPARE(r.json.value(u"disk"_s).toObject().value(u"method"_s).toString(), u"emulated"_s);
    QCOMPARE(r.json.value(u"disk"_s).toObject().value(u"reason"_s).toString(), u"--no-tmpfs"_s);
    QCOMPARE(mountsUnder(dir), 0);
    const CliRun full = runSandbox({u"fault"_s, u"--dir"_s, dir, u"disk-full"_s, u"1"_s});
    QCOMPARE(full.exitCode, 0);
    QCOMPARE(full.json.value(u"method"_s).toString(), u"emulated"_s);
    QVERIFY(!full.json.value(u"nodes"_s).toArray().isEmpty());
    auto refused = callOn(u"127.0.50.41"_s, 8922, u"tableInsert{loadTable('dfs://stock', 'stock')}"_s,
                          {stockRows(1, 10)});
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.contains(u"No space left on device"_s), qPrintable(refused.error().message));
    QCOMPARE(runSandbox({u"fault"_s, u"--dir"_s, dir, u"disk-full"_s, u"1"_s, u"--clear"_s}).exitCode, 0);
    QVERIFY(r.stderrText.contains(u"host 3 (10.10.11.3) -> 127.0.50.43"_s));
    QCOMPARE(r.json.value(u"remap"_s).toObject().value(u"10.10.11.1"_s).toString(), u"127.0.50.41"_s);
    // The user's fourth data node, with its own port, runs too.
    auto v = callOn(u"127.0.50.43"_s, 8923, u"getNodeAlias"_s);
    QVERIFY2(v.ok(), qPrintable(v ? QString() : v.error().toString()));
    QCOMPARE(v->toString(), u"node46"_s);
    const CliRun st = runSandbox({u"status"_s, u"--dir"_s, dir, u"--json"_s}, 30000);
    QCOMPARE(st.json.value(u"nodesUp"_s).toInt(), 10);
    const CliRun down = runSandbox({u"down"_s, u"--dir"_s, dir}, 60000);
    QCOMPARE(down.exitCode, 0);
    verifyNothingRunsFrom(dir);
}

void tst_SandboxCluster::aFailedUpLeavesNoMountAndNoProcess()
{
    const QString dir = m_tmp.filePath(u"failedup"_s);
    SandboxLauncher launcher(dir);
    UpOptions o;
    o.fast = true;
    o.ssh = false;
    o.baseAddress = u"127.0.50.51"_s;
    o.timeoutMs = 5000;
    o.nodeBinary = GrayStep::Test::binDir() + u"/ddbsim"_s;
    auto spec = launcher.prepare(o);
    QVERIFY2(spec.ok(), qPrintable(spec.ok() ? QString() : spec.error().toString()));
    // Every data node fails at start: up cannot finish.
    for (const SandboxHost &h : spec->hosts) {
        for (const QString &alias : h.dataNodeAliases()) {
            QFile marker(launcher.clusterDemoDir(h) + u"/data/"_s + alias + u".failstart"_s);
            QVERIFY(marker.open(QIODevice::WriteOnly));
            marker.write("test: this node fails to start\n");
        }
    }
    QStringList progress;
    launcher.setProgress([&progress](const QString &line) { progress << line; });
    auto up = launcher.up(o);
    QVERIFY(!up.ok());
    if (SandboxDisk::tmpfsUnavailableReason().isEmpty()) {
        // The hosts were on tmpfs when it failed: down() took them off again.
        QVERIFY2(progress.join(u'\n').contains(u"hosts on tmpfs"_s), qPrintable(progress.join(u'\n')));
    }
    QVERIFY2(progress.join(u'\n').contains(u"up failed"_s), qPrintable(progress.join(u'\n')));
    QCOMPARE(mountsUnder(dir), 0);
    verifyNothingRunsFrom(dir);
    QVERIFY(QFileInfo::exists(launcher.clusterDemoDir(spec->hosts.first()) + u"/startController.sh"_s));   // files kept
}

QTEST_GUILESS_MAIN(tst_SandboxCluster)
#include "tst_sandboxcluster.moc"
