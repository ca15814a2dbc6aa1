// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/upgradeplan.h"

#include "core/ddbversion.h"
#include "dolphindb/scripts.h"
#include "engine/clusteraccess.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
namespace Scripts = GrayStep::DolphinDb::Scripts;

namespace GrayStep::Engine {

namespace {

QString absoluteOn(const QString &path, const QString &cwd)
{
    if (path.isEmpty() || QDir::isAbsolutePath(path)) {
        return QDir::cleanPath(path);
    }
    return QDir::cleanPath(cwd + u'/' + path);
}

QString ddb(const QString &node, const QString &script)
{
    return u"ddb "_s + node + u": "_s + script;
}

} // namespace

QString versionNumber(const QString &versionText)
{
    return versionText.trimmed().section(u' ', 0, 0);
}

QString planRefusal(const QString &fromVersion, const QString &targetVersion)
{
    const Result<DdbVersion> from = DdbVersion::parse(fromVersion);
    const Result<DdbVersion> to = DdbVersion::parse(targetVersion);
    if (!from || !to) {
        return u"NOT AN UPGRADE: '%1' -> '%2' is not a pair of versions (%3)"_s.arg(
            fromVersion, targetVersion, !from ? from.error().message : to.error().message);
    }
    if (from->parts() == to->parts()) {
        return u"NOTHING TO UPGRADE: every node already runs %1, the target is %2; `run` refuses this plan"_s.arg(
            from->number(), to->number());
    }
    if (*to < *from) {
        return u"DOWNGRADE: the target %1 is older than %2, which the cluster runs; `run` refuses this plan (a "
               "rollback uses the upgrade's backups, not a package of the old version)"_s.arg(to->number(), from->number());
    }
    return {};
}

QStringList orderHosts(const UpgradeProfile &profile, const QString &leaderHost)
{
    QStringList order;
    for (const HostAccess &h : profile.hosts) {
        order << h.address;
    }
    if (profile.orderPolicy == u"leader-last"_s && order.removeAll(leaderHost) > 0) {
        order << leaderHost;
    }
    return order;
}

QList<BackupItem> backupItemsForHost(const ClusterTopology &topology, const HostAccess &host,
                                     const QMap<QString, QString> &paths)
{
    const QString home = hostHomeDir(host);
    const QString cwd = QDir::cleanPath(host.installDir) + u"/clusterDemo"_s;
    QList<BackupItem> items;
    for (const Core::ClusterNode &n : topology.nodesOnHost(host.address)) {
        if (n.mode == Core::NodeMode::DataNode) {
            const QString dir = absoluteOn(paths.value(n.alias, n.chunkMetaDir(home)), cwd);
            items.append({n.alias + u"/CHUNK_METADATA"_s, dir + u"/CHUNK_METADATA"_s});
        } else if (n.mode == Core::NodeMode::Controller) {
            items.append({n.alias + u"/dfsMeta"_s, absoluteOn(paths.value(n.alias, n.dfsMetaDir(home)), cwd)});
            items.append({n.alias + u"/raft"_s, absoluteOn(n.raftDir(home), cwd)});
        }
    }
    return items;
}

QString stagedPackagePath(const HostAccess &host, const QString &packagePath)
{
    return hostStateDir(host) + u"/packages/"_s + QFileInfo(packagePath).fileName();
}

QString backupDirFor(const HostAccess &host, const QString &fromVersion, const QString &runId)
{
    return hostStateDir(host) + u"/backup-"_s + fromVersion + u'-' + runId;
}

HostPlan planForHost(const ClusterTopology &topology, const HostAccess &host, const QString &packagePath,
                     const QString &fromVersion, const QString &runId, const QMap<QString, QString> &paths)
{
    HostPlan p;
    p.address = host.address;
    for (const Core::ClusterNode &n : topology.nodesOnHost(host.address)) {
        switch (n.mode) {
        case Core::NodeMode::DataNode: p.dataNodes << n.alias; break;
        case Core::NodeMode::Controller: p.controllers << n.alias; break;
        case Core::NodeMode::Agent: p.agents << n.alias; break;
        case Core::NodeMode::ComputeNode: p.dataNodes << n.alias; break;
        }
    }
    p.backupItems = backupItemsForHost(topology, host, paths);
    p.stagedPackage = stagedPackagePath(host, packagePath);
    p.backupDir = backupDirFor(host, fromVersion, runId);
    const QString install = QDir::cleanPath(host.installDir);

    QStringList gate{ddb(u"<leader>"_s, Scripts::incompleteChunks()), ddb(u"<controllers>"_s, Scripts::activeMaster())};
    for (const QString &a : p.dataNodes) {
        gate << ddb(a, Scripts::localConfig(u"chunkMetaDir"_s).valueOr(QString()));
    }
    for (const QString &a : p.controllers) {
        gate << ddb(a, Scripts::localConfig(u"dfsMetaDir"_s).valueOr(QString()));
    }
    QStringList stop;
    if (!p.dataNodes.isEmpty()) {
        stop << ddb(u"<leader>"_s, Scripts::stopDataNodes(p.dataNodes).valueOr(QString()));
    }
    stop << HostCommands::stopAllNodes(install, 60);
    QStringList start{HostCommands::startControllerAndAgent(install, !p.controllers.isEmpty(), !p.agents.isEmpty())};
    if (!p.dataNodes.isEmpty()) {
        start << ddb(u"<leader>"_s, Scripts::startDataNodes(p.dataNodes).valueOr(QString()));
    }
    QStringList verify;
    for (const Core::ClusterNode &n : topology.nodesOnHost(host.address)) {
        verify << ddb(n.alias, Scripts::version());
    }
    p.steps = {
        {u"gate"_s, u"Gate: chunks COMPLETE, leader present, writer healthy; read metadata paths"_s, false, gate},
        {u"stop"_s, u"Stop data nodes through the leader, then agent and controller"_s, true, stop},
        {u"verify-stopped"_s, u"Verify no process of this install is left"_s, false,
         {HostCommands::listServerProcesses(install)}},
        {u"backup"_s, u"Back up this host's own metadata, write and verify the manifest"_s, true,
         {HostCommands::backupMetadata(p.backupDir, p.backupItems), HostCommands::verifyBackup(p.backupDir)}},
        {u"install"_s, u"Install the staged package, keeping the old binaries"_s, true,
         {HostCommands::sha256OfFile(p.stagedPackage), HostCommands::installPackage(install, p.stagedPackage, fromVersion)}},
        {u"start"_s, u"Start controller and agent, then the data nodes through the leader"_s, true, start},
        {u"verify-version"_s, u"Verify every node on the host reports the target version"_s, false, verify},
        {u"recovery"_s, u"Wait for every chunk to be COMPLETE (stall detection, timeout)"_s, false,
         {ddb(u"<leader>"_s, Scripts::incompleteChunks())}},
    };
    return p;
}

Result<UpgradePlan> buildUpgradePlan(ClusterAccess &cluster, const QString &runId)
{
    UpgradePlan plan;
    plan.runId = runId;
    const UpgradeProfile &profile = cluster.profile();
    plan.targetVersion = profile.targetVersion;
    Result<QString> leader = cluster.findLeader();
    if (!leader) {
        return leader.error();
    }
    plan.leaderAlias = *leader;
    plan.leaderHost = cluster.hostOf(*leader);
    Result<DolphinDb::DdbValue> v = cluster.runOnLeader(Scripts::nodeVersions());
    if (!v) {
        return v.error();
    }
    Result<QList<DolphinDb::NodeVersion>> versions = DolphinDb::readNodeVersions(*v);
    if (!versions) {
        return versions.error();
    }
    QStringList numbers;
    for (const DolphinDb::NodeVersion &nv : *versions) {
        if (!numbers.contains(nv.number)) {
            numbers << nv.number;
        }
    }
    if (numbers.size() != 1) {
        return Error(ErrorCode::Failed, u"the nodes run different versions (%1); plan needs one"_s.arg(numbers.join(u", "_s)));
    }
    plan.fromVersion = numbers.first();
    plan.refusal = planRefusal(plan.fromVersion, plan.targetVersion);
    for (const QString &address : orderHosts(profile, plan.leaderHost)) {
        const HostAccess *h = profile.host(address);
        HostPlan hp = planForHost(cluster.topology(), *h, profile.packagePath, plan.fromVersion, runId);
        hp.holdsLeader = address == plan.leaderHost;
        hp.steps.prepend({u"stage"_s, u"Stage the package (upload, SHA-256 on the host)"_s, true,
                          {u"sftp put "_s + profile.packagePath + u" -> "_s + hp.stagedPackage + u".part, then mv"_s,
                           HostCommands::sha256OfFile(hp.stagedPackage)}});
        plan.hosts << hp;
    }
    return plan;
}

QJsonObject UpgradePlan::toJson() const
{
    QJsonArray hostArray;
    for (const HostPlan &h : hosts) {
        QJsonArray steps;
        for (const PlanStep &s : h.steps) {
            steps.append(QJsonObject{{u"id"_s, s.id}, {u"title"_s, s.title}, {u"mutating"_s, s.mutating},
                                     {u"commands"_s, QJsonArray::fromStringList(s.commands)}});
        }
        QJsonArray backup;
        for (const BackupItem &b : h.backupItems) {
            backup.append(QJsonObject{{u"label"_s, b.label}, {u"source"_s, b.sourceDir}});
        }
        hostArray.append(QJsonObject{{u"address"_s, h.address},
                                     {u"holdsLeader"_s, h.holdsLeader},
                                     {u"dataNodes"_s, QJsonArray::fromStringList(h.dataNodes)},
                                     {u"controllers"_s, QJsonArray::fromStringList(h.controllers)},
                                     {u"agents"_s, QJsonArray::fromStringList(h.agents)},
                                     {u"stagedPackage"_s, h.stagedPackage},
                                     {u"backupDir"_s, h.backupDir},
                                     {u"backup"_s, backup},
                                     {u"steps"_s, steps}});
    }
    return QJsonObject{{u"fromVersion"_s, fromVersion}, {u"targetVersion"_s, targetVersion},
                       {u"leader"_s, leaderAlias}, {u"leaderHost"_s, leaderHost}, {u"hosts"_s, hostArray},
                       {u"runnable"_s, refusal.isEmpty()}, {u"refusal"_s, refusal}};
}

QString UpgradePlan::toText() const
{
    QString t;
    const QString banner = refusal.isEmpty() ? QString() : u"!!!!! "_s + refusal + u" !!!!!\n"_s;
    t += banner;
    t += u"Upgrade %1 -> %2; Raft leader %3 on %4 (its host goes last; re-read before each host)\n"_s.arg(
        fromVersion, targetVersion, leaderAlias, leaderHost);
    int i = 1;
    for (const HostPlan &h : hosts) {
        t += u"\nHost %1: %2%3  (data nodes: %4; controllers: %5; agents: %6)\n"_s.arg(i++).arg(
            h.address, h.holdsLeader ? u" [leader]"_s : QString(), h.dataNodes.join(u", "_s),
            h.controllers.join(u", "_s), h.agents.join(u", "_s));
        for (const PlanStep &s : h.steps) {
            t += u"  [%1] %2%3\n"_s.arg(s.id, s.title, s.mutating ? u" (changes the host)"_s : QString());
            for (const QString &c : s.commands) {
                for (const QString &line : c.split(u'\n', Qt::SkipEmptyParts)) {
                    t += u"      "_s + line + u'\n';
                }
            }
        }
    }
    if (!banner.isEmpty()) {
        t += u'\n' + banner;
    }
    return t;
}

} // namespace GrayStep::Engine
