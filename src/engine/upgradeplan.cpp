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

QStringList PlanStep::commandTexts() const
{
    QStringList texts;
    for (const StepCommand &c : commands) {
        texts << c.display();
    }
    return texts;
}

QString HostPlan::detachedId(const StepCommand &c) const
{
    return c.detached.isEmpty() ? QString() : detachedStepId(runTag, hostIndex, c.detached);
}

HostPlan planForHost(const ClusterTopology &topology, const UpgradeProfile &profile, const HostAccess &host,
                     const QString &fromVersion, const PlanOptions &options, const QMap<QString, QString> &paths)
{
    const HostStepInput in = hostStepInput(topology, profile, host,
                                           options.packageForHost.value(host.address, profile.packagePath), fromVersion,
                                           options.runId, paths);
    HostPlan p;
    p.address = host.address;
    p.dataNodes = in.dataNodes + in.computeNodes;
    p.controllers = in.controllers;
    p.agents = in.agents;
    p.backupItems = in.backupItems;
    p.stagedPackage = in.stagedPackage;
    p.backupDir = in.backupDir;
    p.hostIndex = in.hostIndex;
    p.runTag = in.runTag;
    for (const StepId id : runStepOrder(options.writer && profile.writer.enabled)) {
        const StepInfo &info = stepInfo(id);
        p.steps.append({id, info.key, info.title, info.mutating, info.phase, stepCommands(id, in)});
    }
    return p;
}

Result<UpgradePlan> buildUpgradePlan(ClusterAccess &cluster, const PlanOptions &options)
{
    UpgradePlan plan;
    plan.runId = options.runId;
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
        // The metadata paths as each node has them now, read as the gate reads them (what the
        // backup then copies); a node that does not say keeps the configuration's.
        QMap<QString, QString> paths;
        for (const Core::ClusterNode &n : cluster.nodesOnHost(address)) {
            if (n.mode != Core::NodeMode::DataNode && n.mode != Core::NodeMode::Controller) {
                continue;
            }
            const StepCommand read = StepCommands::metadataPath(n.alias, n.mode == Core::NodeMode::Controller);
            if (Result<DolphinDb::DdbValue> r = cluster.runOn(n.alias, read.text); r) {
                if (Result<QString> t = DolphinDb::readText(*r); t && !t->isEmpty()) {
                    paths.insert(n.alias, *t);
                }
            }
        }
        HostPlan hp = planForHost(cluster.topology(), profile, *profile.host(address), plan.fromVersion, options, paths);
        hp.holdsLeader = address == plan.leaderHost;
        plan.hosts << hp;
    }
    return plan;
}

namespace {

QString phaseName(StepPhase phase)
{
    switch (phase) {
    case StepPhase::Prepare: return u"prepare"_s;
    case StepPhase::Host: return u"host"_s;
    case StepPhase::Recovery: return u"recovery"_s;
    }
    return u"host"_s;
}

} // namespace

QJsonObject UpgradePlan::toJson() const
{
    QJsonArray hostArray;
    for (const HostPlan &h : hosts) {
        QJsonArray steps;
        for (const PlanStep &s : h.steps) {
            QJsonArray details;
            for (const StepCommand &c : s.commands) {
                QJsonObject d{{u"kind"_s, StepCommand::kindName(c.kind)}};
                if (!c.target.isEmpty()) {
                    d.insert(u"target"_s, c.target);
                }
                if (!c.detached.isEmpty()) {
                    d.insert(u"detached"_s, h.detachedId(c));
                }
                if (!c.when.isEmpty()) {
                    d.insert(u"when"_s, c.when);
                }
                details.append(d);
            }
            steps.append(QJsonObject{{u"id"_s, s.id},
                                     {u"title"_s, s.title},
                                     {u"mutating"_s, s.mutating},
                                     {u"phase"_s, phaseName(s.phase)},
                                     {u"commands"_s, QJsonArray::fromStringList(s.commandTexts())},
                                     {u"commandDetails"_s, details}});
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
                       {u"leader"_s, leaderAlias},      {u"leaderHost"_s, leaderHost},
                       {u"runId"_s, runId},             {u"hosts"_s, hostArray},
                       {u"runnable"_s, refusal.isEmpty()}, {u"refusal"_s, refusal}};
}

QString UpgradePlan::toText() const
{
    QString t;
    const QString banner = refusal.isEmpty() ? QString() : u"!!!!! "_s + refusal + u" !!!!!\n"_s;
    t += banner;
    t += u"Upgrade %1 -> %2; Raft leader %3 on %4 (its host goes last; re-read before each host)\n"_s.arg(
        fromVersion, targetVersion, leaderAlias, leaderHost);
    const auto printStep = [&t](const HostPlan &h, const PlanStep &s) {
        t += u"  [%1] %2%3\n"_s.arg(s.id, s.title, s.mutating ? u" (changes the host)"_s : QString());
        int n = 1;
        for (const StepCommand &c : s.commands) {
            QStringList lines = c.display().split(u'\n', Qt::SkipEmptyParts);
            if (c.kind == StepCommand::Kind::Shell) {
                const QString how = (c.detached.isEmpty() ? QString() : u", detached as "_s + h.detachedId(c))
                                    + (c.when.isEmpty() ? QString() : u", only "_s + c.when);
                t += u"    %1. shell%2:\n"_s.arg(n++).arg(how);
            } else {
                t += u"    %1. "_s.arg(n++) + lines.takeFirst() + u'\n';
            }
            for (const QString &line : lines) {
                t += u"         "_s + line + u'\n';
            }
        }
    };
    for (const StepPhase phase : {StepPhase::Prepare, StepPhase::Host}) {
        t += phase == StepPhase::Prepare ? u"\nOn every host, in parallel, before any node is stopped:\n"_s
                                         : u"\nThen host by host:\n"_s;
        int i = 1;
        for (const HostPlan &h : hosts) {
            t += u"\nHost %1: %2%3  (data nodes: %4; controllers: %5; agents: %6)\n"_s.arg(i++).arg(
                h.address, h.holdsLeader ? u" [leader]"_s : QString(), h.dataNodes.join(u", "_s),
                h.controllers.join(u", "_s), h.agents.join(u", "_s));
            for (const PlanStep &s : h.steps) {
                if (s.phase == phase) {
                    printStep(h, s);
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
