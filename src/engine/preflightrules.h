// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/result.h"
#include "dolphindb/ddbvalue.h"
#include "engine/packageinspection.h"
#include "engine/preflight.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

// The pre-flight's judgements as pure functions of what was read (no network, no clock):
// what the checks gather on hosts and nodes goes in, an item comes out. Tested with tables
// (tests/engine/tst_preflightrules.cpp); preflight*.cpp only gathers.
namespace GrayStep::Engine {

// A configuration value as a node answered it: a value, no value (the node has it unset), or
// nothing at all (the read failed). An unreadable value is never shown as 0 or "(unset)".
struct SettingRead
{
    enum class State { Value, Unset, Unreadable };
    State state = State::Unreadable;
    QString value;   // State::Value
    QString error;   // State::Unreadable: why

    static SettingRead of(const QString &value) { return {State::Value, value, {}}; }
    static SettingRead unset() { return {State::Unset, {}, {}}; }
    static SettingRead unreadable(const QString &why) { return {State::Unreadable, {}, why}; }
    // From a getConfig answer: a text scalar is a value, VOID/NULL/empty is unset, an error
    // or another form is unreadable.
    static SettingRead fromReply(const Core::Result<DolphinDb::DdbValue> &reply);
    // "30000", "(unset)", "could not read (<why>)".
    QString shown() const;
};

// ---- HA configuration (live values, from the leader or the data nodes)

PreflightItem haRaftItem(const QString &leader, const SettingRead &haMode, int controllers);
// dfsReplicationFactor, DolphinDB's default 2 when unset.
PreflightItem haReplicationItem(const QString &leader, const SettingRead &factor);
// dfsReplicaReliabilityLevel, default 0 when unset.
PreflightItem haReliabilityItem(const QString &leader, const SettingRead &level);
// dataSync on each data node (alias -> read), default 0 when unset. `readError` when the
// per-node read as a whole failed.
PreflightItem haDataSyncItem(const QMap<QString, SettingRead> &perNode, const QString &readError = {});

// dfsRecoveryWaitTime (ms) against the expected downtime: unset, 0 or shorter warns (recovery
// not automatic / re-replication starts mid-upgrade); unreadable fails.
PreflightItem haRecoveryWaitItem(const QString &leader, const SettingRead &wait, const DowntimeEstimate &downtime);

// ---- versions, read from every node (controllers, agents, data and compute nodes)

struct NodeVersionRead
{
    QString alias;
    Core::NodeMode mode = Core::NodeMode::DataNode;
    QString version;   // version() as answered, "2.00.7.4 2022.12.08"; empty when not read
    QString error;     // why it could not be read
};
// "versions": every node answered, one version, the target newer.
PreflightItem versionsItem(const QList<NodeVersionRead> &nodes, const QString &targetVersion);
// "compatibility": the published level of the path (needs confirmation below level 4); a
// same-version target is "nothing to upgrade", an older one a downgrade; both fail, as does
// a cluster whose version could not be established.
PreflightItem compatibilityItem(const QList<NodeVersionRead> &nodes, const QString &targetVersion);

// ---- metadata a host's backup copies

struct MetadataDirState
{
    QString node;
    Core::NodeMode mode = Core::NodeMode::DataNode;
    QString label;        // "node43/CHUNK_METADATA" (BackupItem::label)
    QString path;         // on the host
    QString pathSource;   // "live getConfig(`chunkMetaDir)" or "configuration/defaults (node did not answer: …)"
    qint64 kib = -1;      // its size; -1 when it does not exist
};
// "metadata:<host>": a data node that holds chunk replicas (chunkReplicas: alias -> count, from
// getClusterChunksStatus; std::nullopt when that could not be read, with chunkError) must have
// its CHUNK_METADATA directory; one without chunks and without the directory passes with a note.
// A controller's dfsMeta or raft directory that is missing fails (the backup would stop there).
PreflightItem metadataItem(const QString &host, const QList<MetadataDirState> &dirs,
                           const std::optional<QMap<QString, int>> &chunkReplicas, const QString &chunkError = {});

// ---- configuration on disk against the live values

struct ConfigComparison
{
    QString node;
    QString file;   // the file on the host, "/…/clusterDemo/config/cluster.cfg"
    int line = 0;
    QString key;
    QString disk;   // the value in the file (what a restart applies)
    SettingRead live;
};
// What each node of `aliases` would run with after a restart, from the host's own files
// (filename -> contents; absent = the file does not exist): controllers controller.cfg,
// agents agent.cfg, data and compute nodes cluster.cfg (global settings with <ALIAS>, then
// matching alias.key lines, last wins). mode and localSite are left out (they come from
// cluster.nodes). `configDir` names the files in the rows. The live values are left unread.
QList<ConfigComparison> configExpectations(const QMap<QString, QByteArray> &files, const QString &configDir,
                                           const QList<Core::ClusterNode> &nodes);
// Equal as DolphinDB reads them: trimmed; true/false and 1/0 alike; a relative path on disk
// equal to the end of an absolute live path; lists compared item by item.
bool sameSetting(const QString &disk, const QString &live);
// "config:<host>": warns on every difference a restart would apply (file, line, key, disk and
// live values), passes when every key is equal; `problems` (files that could not be read)
// fail it. Live values that could not be read are listed and keep it from passing.
PreflightItem configDriftItem(const QString &host, const QList<ConfigComparison> &rows, const QStringList &problems);

// ---- the package

// "package", "package-sha256", "package-version" from an inspection (or its error).
QList<PreflightItem> packageItems(const Core::Result<PackageInfo> &info, const QString &expectedSha256,
                                  const QString &targetVersion);

} // namespace GrayStep::Engine
