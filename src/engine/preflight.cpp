// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/preflight.h"

#include "core/ddbversion.h"
#include "core/filedigest.h"
#include "dolphindb/scripts.h"
#include "engine/clusteraccess.h"
#include "engine/hostchecks.h"
#include "engine/hostcommands.h"
#include "engine/upgradeplan.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QThreadPool>

#include <algorithm>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Engine {

using V = PreflightItem::Verdict;

QString PreflightItem::verdictName(Verdict v)
{
    switch (v) {
    case Verdict::Pass: return u"pass"_s;
    case Verdict::Warn: return u"warn"_s;
    case Verdict::Fail: return u"fail"_s;
    }
    return {};
}

QJsonObject PreflightItem::toJson() const
{
    QJsonObject o{{u"id"_s, id}, {u"title"_s, title}, {u"verdict"_s, verdictName(verdict)}, {u"evidence"_s, evidence}};
    if (!fixHint.isEmpty()) {
        o.insert(u"fix"_s, fixHint);
    }
    if (needsConfirmation) {
        o.insert(u"needsConfirmation"_s, true);
    }
    o.insert(u"finishedAtMs"_s, finishedAtMs);
    return o;
}

bool PreflightReport::anyFailed() const
{
    return std::any_of(items.begin(), items.end(), [](const PreflightItem &i) { return i.verdict == V::Fail; });
}

bool PreflightReport::needsConfirmation() const
{
    return std::any_of(items.begin(), items.end(), [](const PreflightItem &i) { return i.needsConfirmation; });
}

QJsonObject PreflightReport::toJson() const
{
    QJsonArray arr;
    for (const PreflightItem &i : items) {
        arr.append(i.toJson());
    }
    return QJsonObject{{u"items"_s, arr},         {u"failed"_s, anyFailed()},
                       {u"needsConfirmation"_s, needsConfirmation()}, {u"elapsedMs"_s, elapsedMs},
                       {u"leader"_s, leaderAlias}, {u"leaderHost"_s, leaderHost}};
}

QString PreflightReport::toText() const
{
    QString t;
    for (const PreflightItem &i : items) {
        t += u"[%1] %2 — %3\n"_s.arg(PreflightItem::verdictName(i.verdict).toUpper(), i.id, i.title);
        if (!i.evidence.isEmpty()) {
            t += u"       evidence: "_s + i.evidence + u'\n';
        }
        if (!i.fixHint.isEmpty()) {
            t += u"       fix: "_s + i.fixHint + u'\n';
        }
        if (i.needsConfirmation) {
            t += u"       !! needs your explicit confirmation (--accept-compatibility-risk)\n"_s;
        }
    }
    t += u"%1 item(s), %2 ms%3\n"_s.arg(items.size()).arg(elapsedMs).arg(anyFailed() ? u", FAILED"_s : QString());
    return t;
}

namespace {

Ssh::ExecOptions timeoutOptions(int ms)
{
    Ssh::ExecOptions o;
    o.totalTimeoutMs = ms;
    return o;
}

class Collector
{
public:
    void add(PreflightItem item)
    {
        QMutexLocker lock(&m_mutex);
        item.finishedAtMs = m_timer.elapsed();
        m_items.append(std::move(item));
    }
    QList<PreflightItem> items() const
    {
        QMutexLocker lock(&m_mutex);
        return m_items;
    }
    void addClock(HostClock clock)
    {
        QMutexLocker lock(&m_mutex);
        m_clocks.append(std::move(clock));
    }
    QList<HostClock> clocks() const
    {
        QMutexLocker lock(&m_mutex);
        return m_clocks;
    }
    // What the hosts and the package say about plugins, judged once all have answered.
    void addPlugins(const QString &host, QList<InstalledPlugin> plugins)
    {
        QMutexLocker lock(&m_mutex);
        m_plugins.insert(host, std::move(plugins));
    }
    QMap<QString, QList<InstalledPlugin>> plugins() const
    {
        QMutexLocker lock(&m_mutex);
        return m_plugins;
    }
    void setPackagePluginDirs(QStringList dirs)
    {
        QMutexLocker lock(&m_mutex);
        m_packagePluginDirs = std::move(dirs);
    }
    QStringList packagePluginDirs() const
    {
        QMutexLocker lock(&m_mutex);
        return m_packagePluginDirs;
    }

private:
    mutable QMutex m_mutex;
    QList<PreflightItem> m_items;
    QElapsedTimer m_timer = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    QList<HostClock> m_clocks;
    QMap<QString, QList<InstalledPlugin>> m_plugins;
    QStringList m_packagePluginDirs;
};

PreflightItem item(const QString &id, const QString &title, V v, const QString &evidence, const QString &fix = {})
{
    PreflightItem i;
    i.id = id;
    i.title = title;
    i.verdict = v;
    i.evidence = evidence;
    i.fixHint = v == V::Pass ? QString() : fix;
    return i;
}

void checkPackage(const UpgradeProfile &profile, Collector &out)
{
    const QString path = profile.packagePath;
    const Result<QString> digest = cachedFileSha256(path);
    if (!digest) {
        out.add(item(u"package"_s, u"Package readable"_s, V::Fail, digest.error().message,
                     u"check package.path in the profile"_s));
        return;
    }
    const QString sha = *digest;
    if (!profile.packageSha256.isEmpty() && sha != profile.packageSha256) {
        out.add(item(u"package-sha256"_s, u"Package SHA-256 matches the profile"_s, V::Fail,
                     u"%1 has %2, the profile expects %3"_s.arg(path, sha, profile.packageSha256),
                     u"download the package again or correct package.sha256"_s));
    } else {
        out.add(item(u"package-sha256"_s, u"Package SHA-256 matches the profile"_s,
                     profile.packageSha256.isEmpty() ? V::Warn : V::Pass, u"sha256 %1"_s.arg(sha),
                     profile.packageSha256.isEmpty() ? u"record package.sha256 in the profile"_s : QString()));
    }
    QProcess unzip;
    unzip.start(u"unzip"_s, {u"-Z1"_s, path});
    if (!unzip.waitForFinished(20000) || unzip.exitCode() != 0) {
        out.add(item(u"package"_s, u"Package is a readable zip with server/dolphindb"_s, V::Fail,
                     u"unzip -Z1 %1 failed: %2"_s.arg(path, QString::fromLocal8Bit(unzip.readAllStandardError()).trimmed()),
                     u"the file is not a zip or is damaged; download it again"_s));
        return;
    }
    const QStringList names = QString::fromUtf8(unzip.readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts);
    QStringList pluginDirs;
    for (const QString &n : names) {
        if (n.startsWith(u"server/plugins/"_s) && n.count(u'/') >= 3) {
            pluginDirs << n.section(u'/', 2, 2);
        }
    }
    pluginDirs.removeDuplicates();
    out.setPackagePluginDirs(pluginDirs);
    if (!names.contains(u"server/dolphindb"_s)) {
        out.add(item(u"package"_s, u"Package is a readable zip with server/dolphindb"_s, V::Fail,
                     u"%1 entries, no server/dolphindb"_s.arg(names.size()), u"use the Linux64 server package"_s));
        return;
    }
    out.add(item(u"package"_s, u"Package is a readable zip with server/dolphindb"_s, V::Pass,
                 u"%1: %2 entries incl. server/dolphindb"_s.arg(QFileInfo(path).fileName()).arg(names.size())));
    // Version: the emulator's version file when present, else the package's file name.
    QString version;
    QString source;
    if (names.contains(u"server/ddbsim.version"_s)) {
        QProcess p;
        p.start(u"unzip"_s, {u"-p"_s, path, u"server/ddbsim.version"_s});
        p.waitForFinished(10000);
        version = versionNumber(QString::fromUtf8(p.readAllStandardOutput()));
        source = u"server/ddbsim.version"_s;
    } else {
        static const QRegularExpression re(u"V(\\d+\\.\\d+\\.\\d+(?:\\.\\d+)?)"_s);
        const auto m = re.match(QFileInfo(path).fileName());
        version = m.hasMatch() ? m.captured(1) : QString();
        source = u"the file name"_s;
    }
    const QString target = versionNumber(profile.targetVersion);
    out.add(item(u"package-version"_s, u"Package version matches the target"_s, version == target ? V::Pass : V::Fail,
                 u"%1 says %2; target %3"_s.arg(source, version.isEmpty() ? u"nothing"_s : version, target),
                 version == target ? QString() : u"use the package of the target version"_s));
}

void checkHost(const UpgradeProfile &profile, const HostAccess &host, const ClusterTopology &topology, qint64 packageBytes,
               qint64 skewWarnMs, Collector &out)
{
    const QString id = host.address;
    std::unique_ptr<Ssh::RemoteShell> shell = makeHostShell(host);
    if (Status s = shell->connect(); !s) {
        out.add(item(u"ssh:"_s + id, u"SSH reachable, host key verified"_s, V::Fail,
                     u"%1: %2"_s.arg(shell->describe(), s.error().message),
                     s.error().code == ErrorCode::HostKey
                         ? u"verify the host's key out of band and update the profile's known_hosts file"_s
                         : u"check the address, port, user and key in the profile"_s));
        return;
    }
    out.add(item(u"ssh:"_s + id, u"SSH reachable, host key verified"_s, V::Pass, shell->describe()));

    // Install directory and scripts.
    const QString install = QDir::cleanPath(host.installDir);
    // The scripts this host needs: startController.sh only where a controller runs, startAgent.sh
    // where an agent runs.
    QStringList files{u"dolphindb"_s, u"clusterDemo/stopAllNode.sh"_s};
    for (const Core::ClusterNode &n : topology.nodesOnHost(host.address)) {
        const QString f = n.mode == Core::NodeMode::Controller ? u"clusterDemo/startController.sh"_s
                          : n.mode == Core::NodeMode::Agent    ? u"clusterDemo/startAgent.sh"_s
                                                               : QString();
        if (!f.isEmpty() && !files.contains(f)) {
            files << f;
        }
    }
    // One command per host (each command costs the host a login shell), and as few processes
    // as the shell allows (30 hosts' sshd and shells are most of a large pre-flight's cost):
    // builtins for the files and the clock (bash's EPOCHREALTIME, `date` elsewhere), one `du`
    // per metadata directory, one `df`. Each answer follows its tag line.
    const QList<BackupItem> items = backupItemsForHost(topology, host);
    QString dirs;
    for (const BackupItem &b : items) {
        dirs += u' ' + shellQuote(b.sourceDir);
    }
    // The plugins' descriptors: the first line of each plugins/*/*.txt and *.cfg (read builtin).
    const QString script =
        u"if cd "_s + shellQuote(install) + u"; then in=1; for f in "_s + files.join(u' ')
        + u"; do [ -e \"$f\" ] || echo \"@missing $f\"; done; else in=; echo @missing "_s + shellQuote(install)
        + u"; fi\necho \"@now ${EPOCHREALTIME:-$(date +%s.%N)}\"\necho @du\nfor d in"_s + dirs
        + u"; do [ -e \"$d\" ] && du -sk -- \"$d\"; done\n"_s // one du each: a backup copies each apart
        + u"echo @df\ndf -Pk "_s + shellQuote(QFileInfo(install).absolutePath()) + u"\n"_s
        + u"if [ -n \"$in\" ]; then echo @plugins; for f in plugins/*/*.txt plugins/*/*.cfg; do [ -f \"$f\" ] || continue; "
          "l=; IFS= read -r l < \"$f\"; printf '%s\\t%s\\n' \"$f\" \"$l\"; done; fi\ntrue\n"_s;
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    Result<Ssh::ExecResult> r = shell->exec(script, timeoutOptions(30000));
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    if (!r) {
        out.add(item(u"install:"_s + id, u"Install directory and scripts present"_s, V::Fail, r.error().message));
        return;
    }
    QStringList missing;
    QMap<QString, QString> answers;
    QString section;
    qint64 metaKiB = 0;
    QString pluginListing;
    for (const QString &line : QString::fromUtf8(r->stdoutData).split(u'\n', Qt::SkipEmptyParts)) {
        const QString tag = line.section(u' ', 0, 0);
        const QString value = line.section(u' ', 1).trimmed();
        if (tag == u"@missing"_s) {
            missing << value;
        } else if (tag.startsWith(u'@')) {
            section = tag.mid(1);
            answers.insert(section, value);
        } else if (section == u"du"_s) {
            metaKiB += line.section(u'\t', 0, 0).toLongLong(); // "<KiB>\t<dir>"
        } else if (section == u"df"_s && !line.startsWith(u"Filesystem"_s)) {
            const QStringList f = line.simplified().split(u' ');
            answers.insert(u"free"_s, f.value(3)); // POSIX: fs, blocks, used, available, capacity, mount
        } else if (section == u"plugins"_s) {
            pluginListing += line + u'\n';
        }
    }
    if (answers.contains(u"plugins"_s)) {
        out.addPlugins(id, parsePluginListing(pluginListing));
    }
    if (!r->succeeded() || !missing.isEmpty() || !answers.contains(u"now"_s)) {
        out.add(item(u"install:"_s + id, u"Install directory and scripts present"_s, V::Fail,
                     u"%1: %2"_s.arg(install, missing.isEmpty() ? r->statusText() : u"missing "_s + missing.join(u", "_s)),
                     u"correct hosts[].installDir (the server/ directory)"_s));
    } else {
        out.add(item(u"install:"_s + id, u"Install directory and scripts present"_s, V::Pass,
                     install + u": "_s + files.join(u", "_s)));
    }
    if (Result<HostClock> clock = hostClockFromDate(id, answers.value(u"now"_s), before, after)) {
        const qint64 skew = clock->offsetMs;
        const qint64 uncertainty = clock->uncertaintyMs;
        const V v = qAbs(skew) > skewWarnMs + uncertainty ? V::Warn : V::Pass;
        out.add(item(u"clock:"_s + id, u"Clock skew against this machine"_s, v,
                     u"%1 ms (± %2 ms)"_s.arg(skew).arg(uncertainty),
                     v == V::Pass ? QString() : u"synchronise the host's clock (NTP); timelines would be skewed"_s));
        out.addClock(*clock);
    }

    // Disk: metadata size + package + margin at the state directory's file system.
    bool freeOk = false;
    qint64 freeKiB = answers.value(u"free"_s).toLongLong(&freeOk);
    if (!freeOk) {
        freeKiB = -1;
    }
    // The package is staged and unpacked (x2), the metadata copied; 64 MiB margin.
    const qint64 needKiB = metaKiB + 2 * (packageBytes / 1024) + 64 * 1024;
    if (freeKiB < 0) {
        out.add(item(u"disk:"_s + id, u"Free disk for backups and the package"_s, V::Fail, u"df failed"_s));
    } else {
        out.add(item(u"disk:"_s + id, u"Free disk for backups and the package"_s, freeKiB >= needKiB ? V::Pass : V::Fail,
                     u"needs %1 MiB (metadata %2 KiB, package %3 KiB x2, margin), has %4 MiB at %5"_s.arg(needKiB / 1024)
                         .arg(metaKiB)
                         .arg(packageBytes / 1024)
                         .arg(freeKiB / 1024)
                         .arg(QFileInfo(install).absolutePath()),
                     freeKiB >= needKiB ? QString() : u"free space on the host before the upgrade"_s));
    }
    Q_UNUSED(profile);
}

void checkCluster(ClusterAccess &cluster, const UpgradeProfile &profile, Collector &out, PreflightReport &report,
                  QMutex &reportMutex)
{
    const ClusterTopology &topo = cluster.topology();
    // Leader.
    Result<QString> leader = cluster.findLeader();
    if (!leader) {
        out.add(item(u"leader"_s, u"A Raft leader is present"_s, V::Fail, leader.error().message,
                     u"start the controllers; a leader needs a majority"_s));
        return;
    }
    const QString leaderHost = cluster.hostOf(*leader);
    {
        QMutexLocker lock(&reportMutex);
        report.leaderAlias = *leader;
        report.leaderHost = leaderHost;
    }
    out.add(item(u"leader"_s, u"A Raft leader is present"_s, V::Pass,
                 u"getActiveMaster() = %1 on host %2 (that host goes last)"_s.arg(*leader, leaderHost)));

    // HA configuration from the live config.
    auto ctl = [&](const QString &key) -> QString {
        Result<QString> s = Scripts::controllerConfig(key);
        if (!s) {
            return {};
        }
        Result<DdbValue> v = cluster.runOnLeader(*s);
        return v ? readText(*v).valueOr(QString()) : QString();
    };
    auto dn = [&](const QString &key) -> QList<NodeConfigValue> {
        Result<QString> s = Scripts::dataNodeConfig(key);
        if (!s) {
            return {};
        }
        Result<DdbValue> v = cluster.runOnLeader(*s);
        return v ? readNodeConfig(*v).valueOr({}) : QList<NodeConfigValue>();
    };
    const int controllers = int(topo.nodesWithMode(Core::NodeMode::Controller).size());
    const QString haMode = ctl(u"dfsHAMode"_s);
    out.add(item(u"ha-raft"_s, u"dfsHAMode=Raft with at least 3 controllers"_s,
                 haMode.compare(u"Raft"_s, Qt::CaseInsensitive) == 0 && controllers >= 3 ? V::Pass : V::Fail,
                 u"leader %1: dfsHAMode=%2; cluster.nodes: %3 controllers"_s.arg(*leader, haMode).arg(controllers),
                 u"a rolling upgrade needs a Raft group of >= 3 controllers"_s));
    const int rf = ctl(u"dfsReplicationFactor"_s).toInt();
    out.add(item(u"ha-replication"_s, u"dfsReplicationFactor >= 2"_s, rf >= 2 ? V::Pass : V::Fail,
                 u"leader %1: dfsReplicationFactor=%2"_s.arg(*leader).arg(rf),
                 u"with one replica, stopping a host takes its chunks offline"_s));
    const QString rel = ctl(u"dfsReplicaReliabilityLevel"_s);
    out.add(item(u"ha-reliability"_s, u"dfsReplicaReliabilityLevel = 1"_s, rel == u"1"_s ? V::Pass : V::Fail,
                 u"leader %1: dfsReplicaReliabilityLevel=%2"_s.arg(*leader, rel.isEmpty() ? u"(unset)"_s : rel),
                 u"0 lets both replicas of a chunk sit on one host; set it to 1"_s));
    const QList<NodeConfigValue> sync = dn(u"dataSync"_s);
    QStringList notSynced;
    for (const NodeConfigValue &c : sync) {
        if (c.value != u"1"_s) {
            notSynced << u"%1=%2"_s.arg(c.node, c.value.isEmpty() ? u"(unset)"_s : c.value);
        }
    }
    out.add(item(u"ha-datasync"_s, u"dataSync = 1 on every data node"_s,
                 !sync.isEmpty() && notSynced.isEmpty() ? V::Pass : V::Fail,
                 sync.isEmpty() ? u"pnodeRun(getConfig{`dataSync}) gave nothing"_s
                                : (notSynced.isEmpty() ? u"%1 data nodes: dataSync=1"_s.arg(sync.size()) : notSynced.join(u", "_s)),
                 u"set dataSync=1 in cluster.cfg (redo log), or a crash loses acknowledged writes"_s));
    const QString wait = ctl(u"dfsRecoveryWaitTime"_s);
    const qint64 waitMs = wait.toLongLong();
    out.add(item(u"ha-recoverywait"_s, u"dfsRecoveryWaitTime set and longer than a host's downtime"_s,
                 waitMs <= 0 ? V::Warn : (waitMs < 30000 ? V::Warn : V::Pass),
                 u"leader %1: dfsRecoveryWaitTime=%2"_s.arg(*leader, wait.isEmpty() ? u"(unset)"_s : wait),
                 waitMs >= 30000 ? QString()
                                 : u"unset: recovery is not started automatically; short: re-replication starts mid-upgrade"_s));

    // Versions and compatibility.
    Result<DdbValue> vv = cluster.runOnLeader(Scripts::nodeVersions());
    Result<QList<NodeVersion>> versions = vv ? readNodeVersions(*vv) : Result<QList<NodeVersion>>(vv.error());
    if (!versions) {
        out.add(item(u"versions"_s, u"All nodes on one version, target newer"_s, V::Fail, versions.error().message));
    } else {
        QMap<QString, QStringList> byVersion;
        for (const NodeVersion &nv : *versions) {
            byVersion[nv.number] << nv.node;
        }
        QStringList ev;
        for (auto it = byVersion.cbegin(); it != byVersion.cend(); ++it) {
            ev << u"%1: %2"_s.arg(it.key(), it.value().join(u", "_s));
        }
        const Result<DdbVersion> to = DdbVersion::parse(profile.targetVersion);
        const Result<DdbVersion> from = byVersion.size() == 1 ? DdbVersion::parse(byVersion.firstKey())
                                                               : Result<DdbVersion>(Error(ErrorCode::Failed, u"mixed"_s));
        const bool newer = from && to && *from < *to;
        out.add(item(u"versions"_s, u"All nodes on one version, target newer"_s,
                     byVersion.size() == 1 && newer ? V::Pass : V::Fail,
                     u"pnodeRun(version): %1; target %2"_s.arg(ev.join(u"; "_s), profile.targetVersion),
                     byVersion.size() != 1 ? u"finish or roll back the earlier upgrade first"_s
                                           : (newer ? QString() : u"the target must be newer than the cluster"_s)));
        if (from && to) {
            const CompatibilityVerdict verdict = compatibilityOfUpgrade(*from, *to);
            PreflightItem c = item(u"compatibility"_s, u"Compatibility level allows a rolling upgrade (4-5)"_s,
                                   verdict.rollingUpgradePromised() ? V::Pass : V::Warn, verdict.explanation);
            if (!verdict.rollingUpgradePromised()) {
                c.title = u"BELOW LEVEL 4: DolphinDB does not promise a rolling upgrade on this path"_s;
                c.fixHint = u"get the vendor's risk assessment for %1 -> %2, then confirm explicitly "
                            "(--accept-compatibility-risk)"_s.arg(from->number(), to->number());
                c.needsConfirmation = true;
            }
            out.add(c);
        }
    }

    // Chunks and the per-host what-if.
    Result<QList<ChunkStatus>> chunks = cluster.chunks();
    Result<QList<DolphinDb::ClusterNode>> perf = cluster.clusterPerf();
    if (!chunks) {
        out.add(item(u"chunks"_s, u"Every chunk COMPLETE"_s, V::Fail, chunks.error().message));
        return;
    }
    QStringList incomplete;
    for (const ChunkStatus &c : *chunks) {
        if (!c.isComplete()) {
            incomplete << u"%1 (%2)"_s.arg(c.chunkId, c.state);
        }
    }
    out.add(item(u"chunks"_s, u"Every chunk COMPLETE"_s, incomplete.isEmpty() ? V::Pass : V::Fail,
                 incomplete.isEmpty() ? u"getClusterChunksStatus: %1 chunks, all COMPLETE"_s.arg(chunks->size())
                                      : u"not COMPLETE: "_s + incomplete.mid(0, 20).join(u", "_s),
                 incomplete.isEmpty() ? QString() : u"wait for recovery to finish before upgrading"_s));
    // Recovery and rebalance tasks still queued or running (a chunk may read COMPLETE while a
    // rebalance moves it).
    Result<DdbValue> rt = cluster.runOnLeader(Scripts::recoveryTasks());
    Result<QList<RecoveryTask>> tasks = rt ? readRecoveryTasks(*rt) : Result<QList<RecoveryTask>>(rt.error());
    if (!tasks) {
        out.add(item(u"recovery-tasks"_s, u"No recovery or rebalance task pending"_s, V::Warn,
                     u"getRecoveryTaskStatus: "_s + tasks.error().message,
                     u"check the recovery tasks on the controller's web console before upgrading"_s));
    } else {
        QStringList pending;
        for (const RecoveryTask &t : *tasks) {
            if (t.isPending()) {
                pending << u"%1 %2 -> %3 (%4 %5)"_s.arg(t.chunkPath.isEmpty() ? t.chunkId : t.chunkPath, t.source, t.dest,
                                                        t.type, t.status);
            }
        }
        out.add(item(u"recovery-tasks"_s, u"No recovery or rebalance task pending"_s, pending.isEmpty() ? V::Pass : V::Fail,
                     pending.isEmpty()
                         ? u"getRecoveryTaskStatus: %1 task(s), none waiting or in progress"_s.arg(tasks->size())
                         : u"%1 pending: %2%3"_s.arg(pending.size())
                               .arg(pending.mid(0, 20).join(u"; "_s), pending.size() > 20 ? u"; …"_s : QString()),
                     u"wait until every task is Finished (a stuck one: see the controller log for its chunk)"_s));
    }
    QSet<QString> alive;
    if (perf) {
        for (const DolphinDb::ClusterNode &n : *perf) {
            if (n.alive) {
                alive.insert(n.name);
            }
        }
        QStringList down;
        for (const Core::ClusterNode &n : topo.nodes) {
            if (!alive.contains(n.alias)) {
                down << n.alias;
            }
        }
        out.add(item(u"nodes-up"_s, u"Every node up"_s, down.isEmpty() ? V::Pass : V::Fail,
                     down.isEmpty() ? u"getClusterPerf: %1 nodes up"_s.arg(alive.size()) : u"down: "_s + down.join(u", "_s),
                     down.isEmpty() ? QString() : u"start the nodes first"_s));
    }
    for (const HostAccess &h : profile.hosts) {
        // A chunk is lost when none of its replicas outside this host is on a live node.
        QStringList lost;
        QSet<QString> downHolders;
        for (const ChunkStatus &c : *chunks) {
            int liveElsewhere = 0;
            QStringList downElsewhere;
            for (const ChunkReplica &r : c.replicas) {
                if (cluster.hostOf(r.node) == h.address) {
                    continue;
                }
                if (alive.isEmpty() || alive.contains(r.node)) {
                    ++liveElsewhere;
                } else {
                    downElsewhere << r.node;
                }
            }
            if (liveElsewhere == 0) {
                lost << (c.file.isEmpty() ? c.chunkId : u"%1 (%2)"_s.arg(c.file, c.chunkId))
                            + (downElsewhere.isEmpty() ? QString() : u" [other replica on %1, down]"_s.arg(downElsewhere.join(u", "_s)));
                for (const QString &n : downElsewhere) {
                    downHolders.insert(n);
                }
            }
        }
        QStringList down(downHolders.begin(), downHolders.end());
        down.sort();
        const QString hint = lost.isEmpty()       ? QString()
                             : !down.isEmpty()    ? u"start %1 and wait until its chunks are COMPLETE before stopping this host"_s.arg(down.join(u", "_s))
                                                  : u"set dfsReplicaReliabilityLevel=1 and let the cluster re-place replicas first"_s;
        out.add(item(u"whatif:"_s + h.address, u"Stopping this host leaves every chunk a live replica"_s,
                     lost.isEmpty() ? V::Pass : V::Fail,
                     lost.isEmpty()
                         ? u"%1 chunks checked against their replicas' hosts%2"_s.arg(chunks->size())
                               .arg(h.address == cluster.hostOf(*leader) ? u"; holds the Raft leader"_s : QString())
                         : u"%1 chunk(s) would lose all live replicas: %2%3"_s.arg(lost.size())
                               .arg(lost.mid(0, 20).join(u"; "_s), lost.size() > 20 ? u"; …"_s : QString()),
                     hint));
    }
}

} // namespace

PreflightReport runPreflight(const UpgradeProfile &profile, const QString &apiPassword, const PreflightOptions &options)
{
    QElapsedTimer timer;
    timer.start();
    PreflightReport report;
    Collector out;
    Result<std::unique_ptr<ClusterAccess>> access = ClusterAccess::create(profile, apiPassword);
    if (!access) {
        out.add(item(u"topology"_s, u"Cluster configuration parses"_s, V::Fail, access.error().message,
                     u"fix the configuration files the profile names"_s));
        report.items = out.items();
        report.elapsedMs = timer.elapsed();
        return report;
    }
    std::shared_ptr<ClusterAccess> cluster(access->release());
    out.add(item(u"topology"_s, u"Cluster configuration parses"_s, V::Pass,
                 u"%1 nodes on %2 hosts"_s.arg(cluster->topology().nodes.size()).arg(cluster->topology().hosts.size())));
    const qint64 packageBytes = QFileInfo(profile.packagePath).size();

    auto pool = std::make_shared<QThreadPool>();
    // Every host and node check is its own task, so the slowest host sets the time, not the count.
    pool->setMaxThreadCount(qBound(1, int(profile.hosts.size() + cluster->topology().nodes.size()) + 2, options.maxThreads));
    QMutex reportMutex;
    const ClusterTopology topo = cluster->topology();
    // Names of the items each task owns, so that an unfinished one can be reported.
    QStringList expected;
    pool->start([&, cluster] { checkCluster(*cluster, profile, out, report, reportMutex); });
    pool->start([&] { checkPackage(profile, out); });
    for (const HostAccess &h : profile.hosts) {
        expected << u"ssh:"_s + h.address;
        pool->start([&, h] { checkHost(profile, h, topo, packageBytes, options.clockSkewWarnMs, out); });
    }
    for (const Core::ClusterNode &n : topo.nodes) {
        expected << u"api:"_s + n.alias;
        pool->start([&, cluster, n] {
            Result<QString> v = cluster->nodeVersion(n.alias);
            out.add(item(u"api:"_s + n.alias, u"Node reachable over the API (login)"_s, v ? V::Pass : V::Fail,
                         v ? u"%1 (%2:%3): %4"_s.arg(n.alias, n.host).arg(n.port).arg(*v) : v.error().message,
                         v ? QString() : u"start the node, or check api.user and the password"_s));
        });
    }
    const bool finished = pool->waitForDone(options.timeoutMs);
    // What came in time; stragglers' late answers are not used.
    QList<PreflightItem> items = out.items();
    const QList<HostClock> clocks = out.clocks();
    const QMap<QString, QList<InstalledPlugin>> plugins = out.plugins();
    const QStringList packagePluginDirs = out.packagePluginDirs();
    if (!finished) {
        for (const QString &id : expected) {
            if (std::none_of(items.begin(), items.end(), [&](const PreflightItem &i) { return i.id == id; })) {
                items.append(item(id, u"Check finished in time"_s, V::Fail,
                                  u"no answer within %1 ms"_s.arg(options.timeoutMs), u"check the network path"_s));
            }
        }
        // The stragglers reference this frame: wait for them (each has its own deadlines).
        pool->waitForDone();
    }
    // Judged from what the hosts answered in time. The hosts' clocks against each other (the
    // continuity windows and the hosts' logs are compared across hosts).
    const qsizetype judgedFrom = items.size();
    items.append(clockSpreadItem(clocks, options.clockSpreadWarnMs, options.clockSpreadFailMs));
    // Plugins, per host that answered: against the target and what the package brings.
    for (const HostAccess &h : profile.hosts) {
        if (!plugins.contains(h.address)) {
            continue;
        }
        QMap<QString, QStringList> preloadedBy;
        for (const Core::ClusterNode &n : topo.nodesOnHost(h.address)) {
            for (const QString &name : preloadedPlugins(n.config.value(u"preloadModules"_s))) {
                preloadedBy[name] << n.alias;
            }
        }
        items.append(pluginItem(h.address, QDir::cleanPath(h.installDir), plugins.value(h.address), packagePluginDirs,
                                preloadedBy, profile.targetVersion));
    }
    for (qsizetype i = judgedFrom; i < items.size(); ++i) {
        items[i].finishedAtMs = timer.elapsed();
    }
    std::sort(items.begin(), items.end(), [](const PreflightItem &a, const PreflightItem &b) { return a.id < b.id; });
    {
        QMutexLocker lock(&reportMutex);
        report.items = items;
    }
    report.elapsedMs = timer.elapsed();
    return report;
}

} // namespace GrayStep::Engine
