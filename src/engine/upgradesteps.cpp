// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/upgradesteps.h"

#include "dolphindb/scripts.h"
#include "engine/clusteraccess.h"
#include "engine/hostchecks.h"
#include "engine/upgradeplan.h"
#include "engine/writertransport.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
namespace Scripts = GrayStep::DolphinDb::Scripts;

namespace GrayStep::Engine {

namespace {

const QString LEADER = u"<leader>"_s;
const QString CONTROLLERS = u"<controllers>"_s;
const QString ANY_DATA_NODE = u"<a data node>"_s;

void appendOnce(QList<StepCommand> &list, const StepCommand &c)
{
    if (!list.contains(c)) {
        list.append(c);
    }
}

QList<StepCommand> versionsOf(const QStringList &aliases)
{
    QList<StepCommand> out;
    for (const QString &a : aliases) {
        out << StepCommands::ddb(a, Scripts::version());
    }
    return out;
}

// What startHostNodes() runs (start, restart, rollback-start).
QList<StepCommand> startCommands(const HostStepInput &in, const QString &key)
{
    QList<StepCommand> out{StepCommands::startScripts(in, key)};
    out << versionsOf(in.controllers + in.agents);
    const QStringList nodes = in.dataNodes + in.computeNodes;
    if (!nodes.isEmpty()) {
        // Data nodes the leader does not list as alive are started through it.
        out << StepCommands::ddb(LEADER, Scripts::clusterPerf(true)) << StepCommands::startThroughLeader(nodes)
            << versionsOf(nodes);
    }
    out << StepCommands::processCheck(in);
    return out;
}

// The continuity checkpoint's read: the run's rows over the ids the writer sent since the last
// checkpoint (known only then: shown as <first id> and <last id>).
StepCommand continuityRead(const HostStepInput &in)
{
    constexpr qint64 first = 1000000000000001;
    constexpr qint64 last = 1000000000000002;
    QString script = Scripts::idRange(in.writerDatabase, in.writerTable, u"id"_s, u"time"_s, first, last,
                                      Scripts::RowFilter{u"name"_s, writerRunTag(in.runTag)})
                         .valueOr(QString());
    script.replace(QString::number(first), u"<first id>"_s).replace(QString::number(last), u"<last id>"_s);
    return StepCommands::ddb(ANY_DATA_NODE, script);
}

} // namespace

// ---- the list

const QList<StepInfo> &allSteps()
{
    static const QList<StepInfo> steps{
        {.id = StepId::Disk,
         .key = u"disk"_s,
         .title = u"Check the free disk space for the package, its unpacked copy, the backup and the kept "
                  "binaries"_s,
         .mutating = false,
         .phase = StepPhase::Prepare},
        {.id = StepId::Stage,
         .key = u"stage"_s,
         .title = u"Stage the package (upload, SHA-256 on the host), keep the old binaries, unpack the package"_s,
         .mutating = true,
         .phase = StepPhase::Prepare},
        {.id = StepId::Gate,
         .key = u"gate"_s,
         .title = u"Gate: chunks COMPLETE, leader present, every node up, no chunk loses its last live replica, "
                  "no recovery task, writer healthy; read the metadata paths"_s,
         .mutating = false,
         .phase = StepPhase::Host},
        {.id = StepId::Stop,
         .key = u"stop"_s,
         .title = u"Stop data nodes through the leader, then agent and controller"_s,
         .mutating = true,
         .phase = StepPhase::Host},
        {.id = StepId::VerifyStopped,
         .key = u"verify-stopped"_s,
         .title = u"Verify no process of this install is left and the node ports are closed"_s,
         .mutating = false,
         .phase = StepPhase::Host},
        {.id = StepId::Backup,
         .key = u"backup"_s,
         .title = u"Back up this host's own metadata, write and verify the manifest"_s,
         .mutating = true,
         .phase = StepPhase::Host},
        {.id = StepId::Install,
         .key = u"install"_s,
         .title = u"Install the unpacked package over the install (old binaries kept)"_s,
         .mutating = true,
         .phase = StepPhase::Host},
        {.id = StepId::Start,
         .key = u"start"_s,
         .title = u"Start controller and agent, then the data nodes through the leader"_s,
         .mutating = true,
         .phase = StepPhase::Host},
        {.id = StepId::VerifyVersion,
         .key = u"verify-version"_s,
         .title = u"Verify every node on the host reports the target version"_s,
         .mutating = false,
         .phase = StepPhase::Host},
        {.id = StepId::Recovery,
         .key = u"recovery"_s,
         .title = u"Wait for every chunk to be COMPLETE (stall detection, timeout)"_s,
         .mutating = false,
         .phase = StepPhase::Host},
        {.id = StepId::Continuity,
         .key = u"continuity"_s,
         .title = u"Continuity checkpoint: the writer's attempts up to the end of this host's window against "
                  "the table"_s,
         .mutating = false,
         .phase = StepPhase::Host},
        {.id = StepId::Restart,
         .key = u"restart"_s,
         .title = u"Start the host's nodes again on the old version (the backup failed)"_s,
         .mutating = true,
         .phase = StepPhase::Recovery},
        {.id = StepId::RollbackStop,
         .key = u"rollback-stop"_s,
         .title = u"Rollback: stop the host's nodes"_s,
         .mutating = true,
         .phase = StepPhase::Recovery},
        {.id = StepId::RollbackRestore,
         .key = u"rollback-restore"_s,
         .title = u"Rollback: verify the backup, restore the old binaries and the metadata"_s,
         .mutating = true,
         .phase = StepPhase::Recovery},
        {.id = StepId::RollbackStart,
         .key = u"rollback-start"_s,
         .title = u"Rollback: start the host's nodes and verify the old version"_s,
         .mutating = true,
         .phase = StepPhase::Recovery},
    };
    return steps;
}

const StepInfo &stepInfo(StepId id)
{
    return allSteps().at(int(id));
}

QString stepKey(StepId id)
{
    return stepInfo(id).key;
}

std::optional<StepId> stepFromKey(const QString &key)
{
    for (const StepInfo &s : allSteps()) {
        if (s.key == key) {
            return s.id;
        }
    }
    return std::nullopt;
}

QList<StepId> runStepOrder(bool writer)
{
    QList<StepId> order;
    for (const StepPhase phase : {StepPhase::Prepare, StepPhase::Host}) {
        for (const StepInfo &s : allSteps()) {
            if (s.phase == phase && (writer || s.id != StepId::Continuity)) {
                order << s.id;
            }
        }
    }
    return order;
}

QString rollbackRestartKey(qint64 seq)
{
    return u"rollback-restart-%1"_s.arg(seq);
}

QString detachedStepId(const QString &runTag, int hostIndex, const QString &name)
{
    return u"gs-%1-h%2-%3"_s.arg(runTag).arg(hostIndex).arg(name);
}

// ---- commands

QString StepCommand::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Shell: return u"shell"_s;
    case Kind::Ddb: return u"ddb"_s;
    case Kind::Upload: return u"upload"_s;
    }
    return u"shell"_s;
}

QString StepCommand::display() const
{
    switch (kind) {
    case Kind::Shell: return text;
    case Kind::Ddb: return u"ddb "_s + target + u": "_s + text;
    case Kind::Upload:
        return u"sftp put %1 -> %2 (written to %2.part, SHA-256 checked on the host, then renamed)"_s.arg(target,
                                                                                                           text);
    }
    return text;
}

HostStepInput hostStepInput(const ClusterTopology &topology, const UpgradeProfile &profile, const HostAccess &host,
                            const QString &packagePath, const QString &fromVersion, const QString &runTag,
                            const QMap<QString, QString> &paths)
{
    HostStepInput in;
    in.address = host.address;
    for (int i = 0; i < profile.hosts.size(); ++i) {
        if (profile.hosts[i].address == host.address) {
            in.hostIndex = i + 1;
        }
    }
    in.installDir = QDir::cleanPath(host.installDir);
    in.stateDir = hostStateDir(host);
    in.executionLog = hostExecutionLog(host);
    in.localPackage = packagePath;
    in.stagedPackage = stagedPackagePath(host, packagePath);
    in.fromVersion = fromVersion;
    in.runTag = runTag;
    in.backupDir = backupDirFor(host, fromVersion, runTag);
    in.backupItems = backupItemsForHost(topology, host, paths);
    for (const BackupItem &b : backupItemsForHost(topology, host)) {
        in.metadataDirs << b.sourceDir;
    }
    for (const Core::ClusterNode &n : topology.nodesOnHost(host.address)) {
        in.hostNodes << n.alias;
        switch (n.mode) {
        case Core::NodeMode::DataNode: in.dataNodes << n.alias; break;
        case Core::NodeMode::ComputeNode: in.computeNodes << n.alias; break;
        case Core::NodeMode::Controller: in.controllers << n.alias; break;
        case Core::NodeMode::Agent: in.agents << n.alias; break;
        }
    }
    for (const Core::ClusterNode &n : topology.nodes) {
        in.clusterNodes << n.alias;
    }
    in.writerDatabase = profile.writer.database;
    in.writerTable = profile.writer.table;
    return in;
}

namespace StepCommands {

StepCommand ddb(const QString &target, const QString &script)
{
    StepCommand c;
    c.kind = StepCommand::Kind::Ddb;
    c.target = target;
    c.text = script;
    return c;
}

StepCommand shell(const QString &script, const QString &detached)
{
    StepCommand c;
    c.text = script;
    c.detached = detached;
    return c;
}

StepCommand diskCheck(const HostStepInput &in)
{
    return shell(stageDiskScript(in.installDir, in.stateDir, in.metadataDirs));
}

StepCommand stagedSha256(const HostStepInput &in)
{
    return shell(HostCommands::sha256OfFile(in.stagedPackage));
}

StepCommand stagingRecord(const HostStepInput &in, bool continuing)
{
    const QString id = detachedStepId(in.runTag, in.hostIndex, continuing ? u"upload-continue"_s : u"upload"_s);
    return shell(u"mkdir -p "_s + shellQuote(QFileInfo(in.stagedPackage).absolutePath()) + u" && echo \""_s + id
                 + u" $$ $(date +%s)\" >> "_s + shellQuote(in.executionLog));
}

StepCommand upload(const HostStepInput &in)
{
    StepCommand c;
    c.kind = StepCommand::Kind::Upload;
    c.target = in.localPackage;
    c.text = in.stagedPackage;
    return c;
}

StepCommand preparePackage(const HostStepInput &in)
{
    return shell(HostCommands::preparePackage(in.installDir, in.stagedPackage, in.fromVersion));
}

StepCommand metadataPath(const QString &alias, bool controller)
{
    return ddb(alias, Scripts::localConfig(controller ? u"dfsMetaDir"_s : u"chunkMetaDir"_s).valueOr(QString()));
}

StepCommand stopThroughLeader(const QStringList &dataNodes)
{
    return ddb(LEADER, Scripts::stopDataNodes(dataNodes).valueOr(QString()));
}

StepCommand stopScript(const HostStepInput &in, const QString &detachedName)
{
    return shell(HostCommands::stopAllNodes(in.installDir, 60), detachedName);
}

StepCommand listProcesses(const HostStepInput &in)
{
    return shell(HostCommands::listServerProcesses(in.installDir));
}

StepCommand backupProbe(const HostStepInput &in)
{
    return shell(HostCommands::probeBackup(in.backupDir, in.backupItems));
}

StepCommand backupAndVerify(const HostStepInput &in)
{
    return shell(HostCommands::backupMetadata(in.backupDir, in.backupItems) + u"\n"_s
                     + HostCommands::verifyBackup(in.backupDir),
                 stepKey(StepId::Backup));
}

StepCommand verifyBackup(const HostStepInput &in)
{
    return shell(HostCommands::verifyBackup(in.backupDir));
}

StepCommand install(const HostStepInput &in)
{
    return shell(HostCommands::installPackage(in.installDir, in.stagedPackage, in.fromVersion),
                 stepKey(StepId::Install));
}

StepCommand startScripts(const HostStepInput &in, const QString &stepName)
{
    return shell(HostCommands::startControllerAndAgent(in.installDir, !in.controllers.isEmpty(), !in.agents.isEmpty()),
                 stepName + u"-scripts"_s);
}

StepCommand startThroughLeader(const QStringList &dataNodes)
{
    return ddb(LEADER, Scripts::startDataNodes(dataNodes).valueOr(QString()));
}

StepCommand processCheck(const HostStepInput &in)
{
    StepCommand c = listProcesses(in);
    c.when = u"while a node has not answered for 5 s (is its process still running?)"_s;
    return c;
}

StepCommand restore(const HostStepInput &in)
{
    // The binaries only when they were replaced (a copy of the old ones was kept).
    const QString script = u"if [ -d "_s + shellQuote(in.installDir + u".bak-"_s + in.fromVersion)
                           + u" ]; then\n(\n"_s + HostCommands::restoreBinaries(in.installDir, in.fromVersion)
                           + u"\n)\nfi\n"_s + HostCommands::restoreMetadata(in.backupDir, in.backupItems);
    return shell(script, stepKey(StepId::RollbackRestore));
}

} // namespace StepCommands

QList<StepCommand> stepCommands(StepId id, const HostStepInput &in)
{
    using namespace StepCommands;
    QList<StepCommand> out;
    switch (id) {
    case StepId::Disk: return {diskCheck(in)};
    case StepId::Stage:
        // A package already staged (same SHA-256) skips the record and the upload.
        return {stagedSha256(in), stagingRecord(in, false), upload(in), preparePackage(in)};
    case StepId::Gate:
        // Chunks COMPLETE (waited for), a leader, then checkHostGate(): the leader's view of the
        // nodes, each node on a fresh connection, the chunks' replicas, recovery tasks; last the
        // metadata paths of this host's own nodes.
        out << ddb(LEADER, Scripts::clusterChunksStatus()) << ddb(CONTROLLERS, Scripts::activeMaster())
            << ddb(LEADER, Scripts::clusterPerf(true)) << versionsOf(in.clusterNodes)
            << ddb(LEADER, Scripts::recoveryTasks());
        for (const QString &a : in.dataNodes) {
            out << metadataPath(a, false);
        }
        for (const QString &a : in.controllers) {
            out << metadataPath(a, true);
        }
        return out;
    case StepId::Stop:
        out << ddb(LEADER, Scripts::clusterPerf(true));
        if (!(in.dataNodes + in.computeNodes).isEmpty()) {
            out << stopThroughLeader(in.dataNodes + in.computeNodes);
        }
        out << stopScript(in, stepKey(StepId::Stop));
        return out;
    case StepId::VerifyStopped: return {listProcesses(in)};
    case StepId::Backup: return {backupProbe(in), backupAndVerify(in)};
    case StepId::Install: return {install(in)};
    case StepId::Start: return startCommands(in, stepKey(StepId::Start));
    case StepId::VerifyVersion: return versionsOf(in.hostNodes);
    case StepId::Recovery: return {ddb(LEADER, Scripts::clusterChunksStatus())};
    case StepId::Continuity: return {continuityRead(in)};
    case StepId::Restart: return startCommands(in, stepKey(StepId::Restart));
    case StepId::RollbackStop: return {stopScript(in, stepKey(StepId::RollbackStop))};
    case StepId::RollbackRestore: return {verifyBackup(in), restore(in)};
    case StepId::RollbackStart:
        out = startCommands(in, stepKey(StepId::RollbackStart));
        for (const StepCommand &c : versionsOf(in.hostNodes)) {
            appendOnce(out, c);
        }
        return out;
    }
    return out;
}

} // namespace GrayStep::Engine
