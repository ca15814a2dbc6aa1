// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/result.h"
#include "core/upgradeprofile.h"
#include "engine/hostcommands.h"
#include "engine/upgradesteps.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace GrayStep::Engine {

class ClusterAccess;

// One step of the plan with the exact commands it runs (from the step list, upgradesteps.h):
// shell scripts (HostCommands) on the host, DolphinDB scripts (the script catalog) shown as
// "ddb <node>: <script>", the upload.
struct PlanStep
{
    StepId step = StepId::Gate;
    QString id;          // the journal's step id (stepKey)
    QString title;
    bool mutating = false;
    StepPhase phase = StepPhase::Host;
    QList<StepCommand> commands;
    QStringList commandTexts() const;   // each command's display()
};

struct HostPlan
{
    QString address;
    QStringList dataNodes;     // aliases on this host
    QStringList controllers;
    QStringList agents;
    bool holdsLeader = false;  // when the plan was made
    QList<BackupItem> backupItems;
    QString stagedPackage;     // where the package lands on the host
    QString backupDir;
    int hostIndex = 0;         // 1-based position in the profile
    QString runTag;            // with hostIndex, names the detached steps
    QList<PlanStep> steps;     // in the run's order: Prepare steps (every host before any stop), then Host

    // "gs-<run>-h1-stop" for a command that runs detached, else empty.
    QString detachedId(const StepCommand &c) const;
};

// The ordered plan (DESIGN.md §3): the disk check and staging on every host, then host by host
// with the Raft leader's host last; every step with the commands the run executes. Building it
// is read-only: it only reads the cluster's state.
struct UpgradePlan
{
    QString fromVersion;       // "2.00.7.4" (number) as the nodes report it
    QString targetVersion;
    QString leaderAlias;
    QString leaderHost;
    QString runId;             // names the backups and detached steps on the hosts
    QList<HostPlan> hosts;     // in upgrade order
    // Why `run` refuses this plan (planRefusal()); empty when the target is newer.
    QString refusal;

    QJsonObject toJson() const;   // "refusal" and "runnable" included
    QString toText() const;       // a refusal is printed first and last, in capitals
};

// Why a plan from `fromVersion` to `targetVersion` must not run: the target is the version the
// cluster runs ("nothing to upgrade"), older ("a downgrade"), or not a version. Empty when the
// target is newer. The same rule `run` applies before its first step.
QString planRefusal(const QString &fromVersion, const QString &targetVersion);

// Hosts in upgrade order: the profile's order, the host holding `leaderHost` moved last
// (policy "leader-last"), or as listed ("as-listed").
QStringList orderHosts(const Core::UpgradeProfile &profile, const QString &leaderHost);

// The metadata directories of this host's own nodes, from `paths` (alias -> directory read
// live from the node: chunkMetaDir for data nodes, dfsMetaDir for controllers) or, when a
// node has none there, from the node's configuration / DolphinDB's defaults.
QList<BackupItem> backupItemsForHost(const Core::ClusterTopology &topology, const Core::HostAccess &host,
                                     const QMap<QString, QString> &paths = {});

QString stagedPackagePath(const Core::HostAccess &host, const QString &packagePath);
QString backupDirFor(const Core::HostAccess &host, const QString &fromVersion, const QString &runId);

// What the plan is made for: the run's id (a placeholder until the run starts), whether the
// run's writer runs (its continuity checkpoints are steps), a package per host.
struct PlanOptions
{
    QString runId = QStringLiteral("<run>");
    bool writer = true;                       // false: as `run --no-writer`
    QMap<QString, QString> packageForHost;    // host address -> local package (else the profile's)
};

// The host's plan (commands included).
HostPlan planForHost(const Core::ClusterTopology &topology, const Core::UpgradeProfile &profile,
                     const Core::HostAccess &host, const QString &fromVersion, const PlanOptions &options = {},
                     const QMap<QString, QString> &paths = {});

// Reads the leader and the versions (read-only) and builds the plan.
Core::Result<UpgradePlan> buildUpgradePlan(ClusterAccess &cluster, const PlanOptions &options = {});

// The number part of a version text ("2.00.7.4 2022.12.08" -> "2.00.7.4").
QString versionNumber(const QString &versionText);

} // namespace GrayStep::Engine
