// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/upgradeprofile.h"
#include "engine/hostcommands.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

// The one typed list of the upgrade's steps: what the plan shows and what the runner runs.
// Each step has its journal id (the journal and the tests depend on these strings: never
// change them), a title, whether it changes the host, when it runs, and a function giving the
// exact commands it runs on one host. The plan lists those commands; the runner executes the
// same ones (built by the same functions below) and announces each with a Command event.
namespace GrayStep::Engine {

enum class StepId {
    // The upgrade of one host, in the order the run executes it.
    Disk,            // before anything is uploaded: room for the package, backup and binaries
    Stage,           // upload, SHA-256 on the host, keep the old binaries, unpack
    Gate,            // live: chunks COMPLETE, leader, every node up, what-if; metadata paths
    Stop,
    VerifyStopped,
    Backup,
    Install,
    Start,
    VerifyVersion,
    Recovery,
    Continuity,      // the writer's checkpoint for the host's window (only when the writer runs)
    // Not part of a normal run: after a failed backup, and the rollback of a host.
    Restart,
    RollbackStop,
    RollbackRestore,
    RollbackStart,
};

enum class StepPhase {
    Prepare,    // on every host (in parallel) before any host's nodes are stopped
    Host,       // host by host, the Raft leader's host last
    Recovery,   // only when something failed: restart after a failed backup, rollback
};

struct StepInfo
{
    StepId id;
    QString key;        // the journal's step id: "stage", "verify-stopped", …
    QString title;
    bool mutating = false;
    StepPhase phase = StepPhase::Host;
};

// Every step, in the order of StepId.
const QList<StepInfo> &allSteps();
const StepInfo &stepInfo(StepId id);
QString stepKey(StepId id);
std::optional<StepId> stepFromKey(const QString &key);
// The steps one host goes through in a run, in the run's order (Prepare, then Host); the
// continuity checkpoint only when the writer runs.
QList<StepId> runStepOrder(bool writer);

// The journal id of the restart a second `rollback` makes when a rolled-back host's nodes do
// not run ("rollback-restart-<seq>").
QString rollbackRestartKey(qint64 seq);
// The name a detached step of a run has on the host: gs-<run tag>-h<host index>-<name>.
QString detachedStepId(const QString &runTag, int hostIndex, const QString &name);

// One command a step runs on a host or a node.
struct StepCommand
{
    enum class Kind {
        Shell,    // a shell script on the host (over SSH)
        Ddb,      // a DolphinDB script on a node
        Upload,   // an SFTP upload to the host
    };
    Kind kind = Kind::Shell;
    // Ddb: the node alias, or "<leader>" (the Raft leader, found through the controllers),
    // "<controllers>" (each controller until one answers), "<a data node>" (the first one that
    // answers). Upload: the local file. Shell: empty.
    QString target;
    QString text;       // the script; Upload: the remote path
    QString detached;   // Shell: the name of the detached step it runs as (empty: in the session)
    QString when;       // empty: the step always runs it; else only then ("while a node …")

    // What the plan prints and the Command event carries: the script itself,
    // "ddb <target>: <script>", "sftp put <local> -> <remote>".
    QString display() const;
    static QString kindName(Kind kind);
    bool operator==(const StepCommand &) const = default;
};

// Everything the commands of one host's steps depend on. The plan fills it from the cluster's
// configuration; the runner from the same and from what it reads live (the metadata paths the
// gate read, the data nodes the leader lists as alive).
struct HostStepInput
{
    QString address;
    int hostIndex = 0;              // 1-based position in the profile
    QString installDir;             // clean path of the install's server/ directory
    QString stateDir;               // hostStateDir()
    QString executionLog;           // hostExecutionLog()
    QString localPackage;           // the package on this machine
    QString stagedPackage;          // where it lands on the host
    QString fromVersion;            // "2.00.7.4"
    QString runTag;                 // the run id (with the host's attempt on a retry)
    QString backupDir;
    QList<BackupItem> backupItems;  // this host's own metadata directories
    QStringList metadataDirs;       // the same from the configuration alone (the disk estimate)
    QStringList controllers;        // aliases on this host
    QStringList agents;
    QStringList dataNodes;          // data nodes (they hold chunk metadata)
    QStringList computeNodes;       // stopped and started like data nodes
    QStringList hostNodes;          // every node on the host, in the configuration's order
    QStringList clusterNodes;       // every node of the cluster, in the configuration's order
    QString writerDatabase;         // the writer's table (continuity checkpoint)
    QString writerTable;
};

// The input for one host of a profile. `paths` as for backupItemsForHost().
HostStepInput hostStepInput(const Core::ClusterTopology &topology, const Core::UpgradeProfile &profile,
                            const Core::HostAccess &host, const QString &packagePath, const QString &fromVersion,
                            const QString &runTag, const QMap<QString, QString> &paths = {});

// The commands a step runs on the host, in the order it first runs them. Polls and retries run
// a command again; it is listed once. A command with `when` runs only then (it comes last).
QList<StepCommand> stepCommands(StepId id, const HostStepInput &in);

// The single commands, for the runner (stepCommands() is made of these).
namespace StepCommands {
StepCommand ddb(const QString &target, const QString &script);
StepCommand shell(const QString &script, const QString &detached = {});
// Disk: the one read-only command measureStageDisk() runs (stageDiskScript()).
StepCommand diskCheck(const HostStepInput &in);
// Stage.
StepCommand stagedSha256(const HostStepInput &in);
StepCommand stagingRecord(const HostStepInput &in, bool continuing);
StepCommand upload(const HostStepInput &in);
StepCommand preparePackage(const HostStepInput &in);
// Gate: the metadata path a node reports (its other reads are checkHostGate()'s and the waits',
// sent through ClusterAccess with the catalog's scripts; stepCommands() lists them).
StepCommand metadataPath(const QString &alias, bool controller);
// Stop.
StepCommand stopThroughLeader(const QStringList &dataNodes);
StepCommand stopScript(const HostStepInput &in, const QString &detachedName);
// Verify-stopped.
StepCommand listProcesses(const HostStepInput &in);
// Backup.
StepCommand backupProbe(const HostStepInput &in);
StepCommand backupAndVerify(const HostStepInput &in);
StepCommand verifyBackup(const HostStepInput &in);
// Install.
StepCommand install(const HostStepInput &in);
// Start (also restart, rollback-start): the detached step is "<stepName>-scripts".
StepCommand startScripts(const HostStepInput &in, const QString &stepName);
StepCommand startThroughLeader(const QStringList &dataNodes);
// While a node has not answered for 5 s: are the install's processes still running?
StepCommand processCheck(const HostStepInput &in);
// Rollback.
StepCommand restore(const HostStepInput &in);
} // namespace StepCommands

} // namespace GrayStep::Engine
