// SPDX-License-Identifier: GPL-3.0-or-later
// The pre-flight: the report types, the checklist the tasks answer into, and runPreflight()
// (start the tasks, wait until the deadline, judge what needs several tasks' findings).
#include "engine/preflight.h"

#include "engine/clusteraccess.h"
#include "engine/preflight_p.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QThreadPool>

#include <algorithm>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;

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

namespace PreflightDetail {

PreflightItem item(const QString &id, const QString &title, V v, const QString &evidence, const QString &fix)
{
    PreflightItem i;
    i.id = id;
    i.title = title;
    i.verdict = v;
    i.evidence = evidence;
    i.fixHint = v == V::Pass ? QString() : fix;
    return i;
}

QStringList hostItemIds(const QString &host)
{
    QStringList ids;
    for (const QString &kind : {u"ssh:"_s, u"install:"_s, u"clock:"_s, u"disk:"_s, u"config:"_s, u"plugins:"_s,
                                u"metadata:"_s}) {
        ids << kind + host;
    }
    return ids;
}

Checklist::Checklist(int timeoutMs)
    : m_deadline(qMax(1, timeoutMs))
    , m_timeoutMs(qMax(1, timeoutMs))
{
    m_timer.start();
}

void Checklist::declare(const QString &id, const QString &title, const QString &waitingFor)
{
    QMutexLocker lock(&m_mutex);
    m_declared.insert(id, Declared{title, waitingFor});
}

void Checklist::waitFor(const QStringList &ids, const QString &what)
{
    QMutexLocker lock(&m_mutex);
    for (const QString &id : ids) {
        if (m_declared.contains(id) && !m_answers.contains(id)) {
            m_declared[id].waitingFor = what;
        }
    }
}

void Checklist::set(PreflightItem item)
{
    QMutexLocker lock(&m_mutex);
    Q_ASSERT_X(m_declared.contains(item.id), "Checklist::set", qPrintable(item.id));
    if (m_closed || !m_declared.contains(item.id) || m_answers.contains(item.id)) {
        return;
    }
    item.finishedAtMs = m_timer.elapsed();
    m_answers.insert(item.id, std::move(item));
}

void Checklist::failUnset(const QStringList &ids, const QString &why, const QString &fix)
{
    for (const QString &id : ids) {
        QString title;
        {
            QMutexLocker lock(&m_mutex);
            title = m_declared.value(id).title;
        }
        set(item(id, title, V::Fail, why, fix));
    }
}

int Checklist::remainingMs() const
{
    return int(qBound(qint64(1), m_deadline.remainingTime(), qint64(m_timeoutMs)));
}

void Checklist::addShell(std::shared_ptr<Ssh::RemoteShell> shell)
{
    QMutexLocker lock(&m_mutex);
    if (m_closed) {
        shell->cancel();
    }
    m_shells << std::move(shell);
}

void Checklist::setNodeVersion(const NodeVersionRead &read)
{
    QMutexLocker lock(&m_mutex);
    if (!m_closed) {
        m_versions.insert(read.alias, read);
    }
}

void Checklist::setChunkReplicas(const QMap<QString, int> &replicas)
{
    QMutexLocker lock(&m_mutex);
    if (!m_closed) {
        m_chunkReplicas = replicas;
    }
}

void Checklist::setChunkError(const QString &error)
{
    QMutexLocker lock(&m_mutex);
    if (!m_closed) {
        m_chunkError = error;
    }
}

void Checklist::setHostFindings(const QString &host, const HostFindings &findings)
{
    QMutexLocker lock(&m_mutex);
    if (!m_closed) {
        m_hosts.insert(host, findings);
    }
}

void Checklist::setHostProblem(const QString &host, const QString &problem)
{
    QMutexLocker lock(&m_mutex);
    if (!m_closed) {
        m_hostProblems.insert(host, problem);
    }
}

void Checklist::setPackage(const PackageInfo &package)
{
    QMutexLocker lock(&m_mutex);
    if (!m_closed) {
        m_package = package;
    }
}

void Checklist::close()
{
    QList<std::shared_ptr<Ssh::RemoteShell>> shells;
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed) {
            return;
        }
        m_closed = true;
        m_closedAtMs = m_timer.elapsed();
        shells = m_shells;
    }
    // Blocking calls still running end now; their answers would not be used anyway.
    for (const auto &s : shells) {
        s->cancel();
    }
}

bool Checklist::isClosed() const
{
    QMutexLocker lock(&m_mutex);
    return m_closed;
}

QMap<QString, NodeVersionRead> Checklist::nodeVersions() const
{
    QMutexLocker lock(&m_mutex);
    return m_versions;
}

std::optional<QMap<QString, int>> Checklist::chunkReplicas() const
{
    QMutexLocker lock(&m_mutex);
    return m_chunkReplicas;
}

QString Checklist::chunkError() const
{
    QMutexLocker lock(&m_mutex);
    return m_chunkError;
}

QMap<QString, HostFindings> Checklist::hostFindings() const
{
    QMutexLocker lock(&m_mutex);
    return m_hosts;
}

QMap<QString, QString> Checklist::hostProblems() const
{
    QMutexLocker lock(&m_mutex);
    return m_hostProblems;
}

std::optional<PackageInfo> Checklist::package() const
{
    QMutexLocker lock(&m_mutex);
    return m_package;
}

bool Checklist::isAnswered(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    return m_answers.contains(id);
}

QString Checklist::waitingFor(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    return m_declared.value(id).waitingFor;
}

void Checklist::setFinal(PreflightItem item)
{
    QMutexLocker lock(&m_mutex);
    if (!m_declared.contains(item.id) || m_answers.contains(item.id)) {
        return;
    }
    item.finishedAtMs = m_timer.elapsed();
    m_answers.insert(item.id, std::move(item));
}

QList<PreflightItem> Checklist::items() const
{
    QMutexLocker lock(&m_mutex);
    QList<PreflightItem> out;
    for (auto it = m_declared.cbegin(); it != m_declared.cend(); ++it) {
        if (m_answers.contains(it.key())) {
            out << m_answers.value(it.key());
            continue;
        }
        PreflightItem i = item(it.key(), it.value().title, V::Fail,
                               u"did not complete within %1 ms: no answer from %2"_s.arg(m_timeoutMs).arg(it.value().waitingFor),
                               u"find out why it does not answer (network, load, a hung shell or node), or raise the "
                               "pre-flight's time limit (--timeout)"_s);
        i.finishedAtMs = m_closedAtMs;
        out << i;
    }
    return out;   // QMap order: sorted by id
}

} // namespace PreflightDetail

using namespace PreflightDetail;

QStringList preflightItemIds(const UpgradeProfile &profile, const ClusterTopology &topology)
{
    QStringList ids{u"topology"_s,       u"package"_s,        u"package-sha256"_s, u"package-version"_s,
                    u"leader"_s,         u"ha-raft"_s,        u"ha-replication"_s, u"ha-reliability"_s,
                    u"ha-datasync"_s,    u"ha-recoverywait"_s, u"versions"_s,      u"compatibility"_s,
                    u"chunks"_s,         u"recovery-tasks"_s, u"nodes-up"_s,       u"clock-spread"_s};
    for (const HostAccess &h : profile.hosts) {
        ids << hostItemIds(h.address) << u"whatif:"_s + h.address;
    }
    for (const Core::ClusterNode &n : topology.nodes) {
        ids << u"api:"_s + n.alias;
    }
    ids.sort();
    return ids;
}

namespace {

// The items judged from several tasks' findings, once the time is up or all answered.
void judgeAcrossTasks(const UpgradeProfile &profile, const ClusterTopology &topo, const PreflightOptions &options,
                      Checklist &out)
{
    const QString noAnswer = u"no answer within %1 ms"_s.arg(out.timeoutMs());
    // Versions of every node.
    const QMap<QString, NodeVersionRead> versions = out.nodeVersions();
    QList<NodeVersionRead> reads;
    for (const Core::ClusterNode &n : topo.nodes) {
        NodeVersionRead r = versions.value(n.alias, NodeVersionRead{n.alias, n.mode, {}, noAnswer});
        r.mode = n.mode;
        reads << r;
    }
    out.setFinal(versionsItem(reads, profile.targetVersion));
    out.setFinal(compatibilityItem(reads, profile.targetVersion));

    const QMap<QString, HostFindings> hosts = out.hostFindings();
    const QMap<QString, QString> problems = out.hostProblems();
    // Clocks: all hosts or no verdict.
    QList<HostClock> clocks;
    QMap<QString, QString> unread;
    for (const HostAccess &h : profile.hosts) {
        if (!hosts.contains(h.address)) {
            unread.insert(h.address, problems.value(h.address, noAnswer));
        } else if (!hosts.value(h.address).clock) {
            unread.insert(h.address, hosts.value(h.address).clockError);
        } else {
            clocks << *hosts.value(h.address).clock;
        }
    }
    out.setFinal(clockSpreadItem(clocks, options.clockSpreadWarnMs, options.clockSpreadFailMs, unread));

    // Per host: disk, plugins and metadata (a host without findings keeps the reason its task gave).
    const std::optional<PackageInfo> package = out.package();
    const std::optional<QMap<QString, int>> replicas = out.chunkReplicas();
    const QString chunkError = out.chunkError().isEmpty() ? u"no answer from the leader within %1 ms"_s.arg(out.timeoutMs())
                                                          : out.chunkError();
    for (const HostAccess &h : profile.hosts) {
        if (!hosts.contains(h.address)) {
            continue;
        }
        const HostFindings &f = hosts.value(h.address);
        out.setFinal(diskItem(h, f, package));
        if (!f.plugins) {
            out.setFinal(item(u"plugins:"_s + h.address, u"Plugins match the target version"_s, V::Fail,
                              u"not checked: the install directory %1 is missing"_s.arg(QDir::cleanPath(h.installDir)),
                              u"correct hosts[].installDir (the server/ directory)"_s));
        } else if (!package) {
            out.setFinal(item(u"plugins:"_s + h.address, u"Plugins match the target version"_s, V::Fail,
                              u"not judged: the package could not be read (which plugins it brings is unknown)"_s,
                              u"check package.path in the profile"_s));
        } else {
            QMap<QString, QStringList> preloadedBy;
            for (const Core::ClusterNode &n : topo.nodesOnHost(h.address)) {
                for (const QString &name : preloadedPlugins(n.config.value(u"preloadModules"_s))) {
                    preloadedBy[name] << n.alias;
                }
            }
            out.setFinal(pluginItem(h.address, QDir::cleanPath(h.installDir), *f.plugins, package->pluginDirs, preloadedBy,
                                    profile.targetVersion));
        }
        out.setFinal(metadataItem(h.address, f.metadata, replicas, chunkError));
    }
}

} // namespace

PreflightReport runPreflight(const UpgradeProfile &profile, const QString &apiPassword, const PreflightOptions &options)
{
    PreflightReport report;
    auto out = std::make_shared<Checklist>(options.timeoutMs);
    Result<std::unique_ptr<ClusterAccess>> access = ClusterAccess::create(profile, apiPassword);
    if (!access) {
        // Without a topology there are no host, node or cluster items to declare.
        out->declare(u"topology"_s, u"Cluster configuration parses"_s, u"the configuration files"_s);
        out->set(item(u"topology"_s, u"Cluster configuration parses"_s, V::Fail, access.error().message,
                      u"fix the configuration files the profile names"_s));
        out->close();
        report.items = out->items();
        report.elapsedMs = out->elapsedMs();
        return report;
    }
    std::shared_ptr<ClusterAccess> cluster(access->release());
    const ClusterTopology topo = cluster->topology();

    // Every item, declared before anything runs, with what it waits for.
    const QString ctl = u"the controllers (a Raft leader, then the leader's configuration and chunk status)"_s;
    out->declare(u"topology"_s, u"Cluster configuration parses"_s, u"the configuration files"_s);
    const QString pkg = u"the package %1 (SHA-256, contents, version)"_s.arg(profile.packagePath);
    out->declare(u"package"_s, u"Package is a readable zip with server/dolphindb"_s, pkg);
    out->declare(u"package-sha256"_s, u"Package SHA-256 matches the profile"_s, pkg);
    out->declare(u"package-version"_s, u"Package version (read inside the package) matches the target"_s, pkg);
    out->declare(u"leader"_s, u"A Raft leader is present"_s, ctl);
    out->declare(u"ha-raft"_s, u"dfsHAMode=Raft with at least 3 controllers"_s, ctl);
    out->declare(u"ha-replication"_s, u"dfsReplicationFactor >= 2"_s, ctl);
    out->declare(u"ha-reliability"_s, u"dfsReplicaReliabilityLevel = 1"_s, ctl);
    out->declare(u"ha-datasync"_s, u"dataSync = 1 on every data node"_s, ctl);
    out->declare(u"ha-recoverywait"_s, u"dfsRecoveryWaitTime set and longer than a host's downtime"_s, ctl);
    out->declare(u"chunks"_s, u"Every chunk COMPLETE"_s, ctl);
    out->declare(u"recovery-tasks"_s, u"No recovery or rebalance task pending"_s, ctl);
    out->declare(u"nodes-up"_s, u"Every node up"_s, ctl);
    out->declare(u"versions"_s, u"All nodes on one version, target newer"_s, u"every node's version()"_s);
    out->declare(u"compatibility"_s, u"Compatibility level allows a rolling upgrade (4-5)"_s, u"every node's version()"_s);
    out->declare(u"clock-spread"_s, u"Clock skew between the hosts"_s, u"every host's clock"_s);
    for (const HostAccess &h : profile.hosts) {
        const QString ssh = u"the SSH connection to %1"_s.arg(h.address);
        out->declare(u"ssh:"_s + h.address, u"SSH reachable, host key verified, shell answers"_s, ssh);
        out->declare(u"install:"_s + h.address, u"Install directory and scripts present"_s, ssh);
        out->declare(u"clock:"_s + h.address, u"Clock skew against this machine"_s, ssh);
        out->declare(u"disk:"_s + h.address, u"Free disk for the package, the kept old binaries and the backups"_s, ssh);
        out->declare(u"config:"_s + h.address, u"Configuration on disk matches what the nodes run"_s, ssh);
        out->declare(u"plugins:"_s + h.address, u"Plugins match the target version"_s, ssh);
        out->declare(u"metadata:"_s + h.address, u"The metadata a rollback needs is on the host"_s, ssh);
        out->declare(u"whatif:"_s + h.address, u"Stopping this host leaves every chunk a live replica"_s, ctl);
    }
    for (const Core::ClusterNode &n : topo.nodes) {
        out->declare(u"api:"_s + n.alias, u"Node reachable over the API (login)"_s,
                     u"node %1 (%2:%3; login, version())"_s.arg(n.alias, n.host).arg(n.port));
    }
    Q_ASSERT(out->items().size() == preflightItemIds(profile, topo).size());
    out->set(item(u"topology"_s, u"Cluster configuration parses"_s, V::Pass,
                  u"%1 nodes on %2 hosts"_s.arg(topo.nodes.size()).arg(topo.hosts.size())));

    auto pool = std::make_shared<QThreadPool>();
    // Every host and node check is its own task, so the slowest host sets the time, not the count.
    pool->setMaxThreadCount(qBound(1, int(profile.hosts.size() + topo.nodes.size()) + 2, options.maxThreads));
    QMutex reportMutex;
    pool->start([&, out] {
        // SHA-256 (cached by file identity) and the version streamed from inside the zip.
        const Result<PackageInfo> package = inspectPackage(profile.packagePath);
        for (const PreflightItem &i : packageItems(package, profile.packageSha256, profile.targetVersion)) {
            out->set(i);
        }
        if (package) {
            out->setPackage(*package);
        }
    });
    pool->start([&, out, cluster] { checkCluster(*cluster, profile, options, *out, report, reportMutex); });
    for (const HostAccess &h : profile.hosts) {
        pool->start([&, out, cluster, h] { checkHost(*cluster, h, options, *out); });
    }
    for (const Core::ClusterNode &n : topo.nodes) {
        pool->start([out, cluster, n] {
            Result<QString> v = cluster->nodeVersion(n.alias);
            out->setNodeVersion(NodeVersionRead{n.alias, n.mode, v ? *v : QString(), v ? QString() : v.error().message});
            out->set(item(u"api:"_s + n.alias, u"Node reachable over the API (login)"_s, v ? V::Pass : V::Fail,
                          v ? u"%1 (%2:%3): %4"_s.arg(n.alias, n.host).arg(n.port).arg(*v) : v.error().message,
                          u"start the node, or check api.user and the password"_s));
        });
    }
    pool->waitForDone(out->remainingMs());
    // What came in time is used; late answers are not (close() also cancels the SSH calls).
    out->close();
    // The tasks reference this frame: wait for them (each bounded by the deadline's timeouts).
    pool->waitForDone();
    judgeAcrossTasks(profile, topo, options, *out);
    report.items = out->items();
    report.elapsedMs = out->elapsedMs();
    return report;
}

} // namespace GrayStep::Engine
