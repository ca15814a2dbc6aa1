// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/preflightrules.h"

#include "core/configparsers.h"
#include "core/ddbversion.h"
#include "dolphindb/scripts.h"
#include "engine/journal.h"
#include "engine/preflight_p.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;

namespace GrayStep::Engine {

using V = PreflightItem::Verdict;
using PreflightDetail::item;

namespace {

QString kibText(qint64 kib)
{
    return kib >= 10 * 1024 ? u"%1 MiB"_s.arg(kib / 1024) : u"%1 KiB"_s.arg(kib);
}

QString modeName(NodeMode m)
{
    return nodeModeName(m);
}

} // namespace

SettingRead SettingRead::fromReply(const Result<DolphinDb::DdbValue> &reply)
{
    if (!reply) {
        return unreadable(reply.error().message);
    }
    Result<QString> text = DolphinDb::readText(*reply);
    if (!text) {
        return unreadable(text.error().message);
    }
    return text->trimmed().isEmpty() ? unset() : of(text->trimmed());
}

QString SettingRead::shown() const
{
    switch (state) {
    case State::Value: return value;
    case State::Unset: return u"(unset)"_s;
    case State::Unreadable: return u"could not read (%1)"_s.arg(error);
    }
    return {};
}

// ---- HA configuration

PreflightItem haRaftItem(const QString &leader, const SettingRead &haMode, int controllers)
{
    const QString title = u"dfsHAMode=Raft with at least 3 controllers"_s;
    const QString evidence = u"leader %1: dfsHAMode=%2; cluster.nodes: %3 controllers"_s.arg(leader, haMode.shown()).arg(controllers);
    if (haMode.state == SettingRead::State::Unreadable) {
        return item(u"ha-raft"_s, title, V::Fail, evidence, u"the leader must answer getConfig(`dfsHAMode); check the API user"_s);
    }
    const bool ok = haMode.state == SettingRead::State::Value && haMode.value.compare(u"Raft"_s, Qt::CaseInsensitive) == 0
                    && controllers >= 3;
    return item(u"ha-raft"_s, title, ok ? V::Pass : V::Fail, evidence,
                u"a rolling upgrade needs a Raft group of >= 3 controllers"_s);
}

PreflightItem haReplicationItem(const QString &leader, const SettingRead &factor)
{
    const QString title = u"dfsReplicationFactor >= 2"_s;
    if (factor.state == SettingRead::State::Unreadable) {
        return item(u"ha-replication"_s, title, V::Fail, u"leader %1: dfsReplicationFactor %2"_s.arg(leader, factor.shown()),
                    u"the leader must answer getConfig(`dfsReplicationFactor); check the API user"_s);
    }
    bool number = true;
    const int rf = factor.state == SettingRead::State::Unset ? 2 : factor.value.toInt(&number);
    const QString shown = factor.state == SettingRead::State::Unset ? u"(unset: DolphinDB's default 2)"_s : factor.value;
    return item(u"ha-replication"_s, title, number && rf >= 2 ? V::Pass : V::Fail,
                u"leader %1: dfsReplicationFactor=%2"_s.arg(leader, shown),
                number ? u"with one replica, stopping a host takes its chunks offline"_s
                       : u"dfsReplicationFactor is not a number"_s);
}

PreflightItem haReliabilityItem(const QString &leader, const SettingRead &level)
{
    const QString title = u"dfsReplicaReliabilityLevel = 1"_s;
    if (level.state == SettingRead::State::Unreadable) {
        return item(u"ha-reliability"_s, title, V::Fail, u"leader %1: dfsReplicaReliabilityLevel %2"_s.arg(leader, level.shown()),
                    u"the leader must answer getConfig(`dfsReplicaReliabilityLevel); check the API user"_s);
    }
    const QString shown = level.state == SettingRead::State::Unset ? u"(unset: DolphinDB's default 0)"_s : level.value;
    return item(u"ha-reliability"_s, title, level.state == SettingRead::State::Value && level.value == u"1"_s ? V::Pass : V::Fail,
                u"leader %1: dfsReplicaReliabilityLevel=%2"_s.arg(leader, shown),
                u"0 lets both replicas of a chunk sit on one host; set it to 1"_s);
}

PreflightItem haDataSyncItem(const QMap<QString, SettingRead> &perNode, const QString &readError)
{
    const QString title = u"dataSync = 1 on every data node"_s;
    const QString fix = u"set dataSync=1 in cluster.cfg (redo log), or a crash loses acknowledged writes"_s;
    if (!readError.isEmpty()) {
        return item(u"ha-datasync"_s, title, V::Fail, u"pnodeRun(getConfig{`dataSync}): could not read (%1)"_s.arg(readError),
                    u"the data nodes must answer getConfig(`dataSync)"_s);
    }
    if (perNode.isEmpty()) {
        return item(u"ha-datasync"_s, title, V::Fail, u"pnodeRun(getConfig{`dataSync}) named no data node"_s, fix);
    }
    QStringList bad;
    bool unreadable = false;
    for (auto it = perNode.cbegin(); it != perNode.cend(); ++it) {
        const SettingRead &r = it.value();
        if (r.state == SettingRead::State::Value && r.value == u"1"_s) {
            continue;
        }
        unreadable = unreadable || r.state == SettingRead::State::Unreadable;
        bad << u"%1=%2"_s.arg(it.key(), r.state == SettingRead::State::Unset ? u"(unset: default 0)"_s : r.shown());
    }
    return item(u"ha-datasync"_s, title, bad.isEmpty() ? V::Pass : V::Fail,
                bad.isEmpty() ? u"%1 data nodes: dataSync=1"_s.arg(perNode.size()) : bad.join(u", "_s),
                unreadable ? u"every data node must answer getConfig(`dataSync); "_s + fix : fix);
}

DowntimeEstimate defaultHostDowntime()
{
    return {120000, u"the documented default for hosts never measured: a stop of up to 60 s, backup, install, start"_s};
}

Result<DowntimeEstimate> hostDowntimeFromJournal(const QString &journalPath)
{
    Result<JournalContents> j = Journal::read(journalPath);
    if (!j) {
        return j.error();
    }
    QMap<QString, qint64> down;   // host -> first stop intent
    QString longestHost;
    qint64 longest = -1;
    int windows = 0;
    for (const JournalRecord &r : j->records) {
        if (r.host.isEmpty()) {
            continue;
        }
        if (r.step == u"stop"_s && r.kind == u"intent"_s && !down.contains(r.host)) {
            down.insert(r.host, r.wallMs);
        } else if (r.step == u"start"_s && r.kind == u"done"_s && down.contains(r.host)) {
            const qint64 ms = r.wallMs - down.take(r.host);
            ++windows;
            if (ms > longest) {
                longest = ms;
                longestHost = r.host;
            }
        }
    }
    if (longest < 0) {
        return Error(ErrorCode::InvalidInput,
                     u"the journal holds no host that was stopped and started again (steps stop and start)"_s, journalPath);
    }
    return DowntimeEstimate{longest, u"measured in %1: host %2 was down %3 s (the longest of %4 host window(s))"_s.arg(
                                         QFileInfo(journalPath).fileName(), longestHost)
                                         .arg(double(longest) / 1000.0, 0, 'f', 1)
                                         .arg(windows)};
}

PreflightItem haRecoveryWaitItem(const QString &leader, const SettingRead &wait, const DowntimeEstimate &downtime)
{
    const QString id = u"ha-recoverywait"_s;
    const QString title = u"dfsRecoveryWaitTime set and longer than a host's downtime"_s;
    const QString expected = u"expected host downtime %1 ms (%2)"_s.arg(downtime.ms).arg(downtime.source);
    if (wait.state == SettingRead::State::Unreadable) {
        return item(id, title, V::Fail, u"leader %1: dfsRecoveryWaitTime %2"_s.arg(leader, wait.shown()),
                    u"the leader must answer getConfig(`dfsRecoveryWaitTime); check the API user"_s);
    }
    bool number = true;
    const qint64 ms = wait.state == SettingRead::State::Value ? wait.value.toLongLong(&number) : 0;
    if (!number) {
        return item(id, title, V::Fail, u"leader %1: dfsRecoveryWaitTime=%2 is not a number"_s.arg(leader, wait.value),
                    u"set dfsRecoveryWaitTime to milliseconds longer than a host's downtime"_s);
    }
    if (ms <= 0) {
        return item(id, title, V::Warn, u"leader %1: dfsRecoveryWaitTime=%2: recovery is not started automatically; %3"_s.arg(
                                            leader, wait.shown(), expected),
                    u"set dfsRecoveryWaitTime longer than %1 ms, or start recovery by hand after each host"_s.arg(downtime.ms));
    }
    if (ms <= downtime.ms) {
        return item(id, title, V::Warn, u"leader %1: dfsRecoveryWaitTime=%2 ms is not longer than the %3"_s.arg(leader).arg(ms).arg(
                                            expected),
                    u"raise dfsRecoveryWaitTime above %1 ms, or re-replication starts while a host is down"_s.arg(downtime.ms));
    }
    return item(id, title, V::Pass, u"leader %1: dfsRecoveryWaitTime=%2 ms, longer than the %3"_s.arg(leader).arg(ms).arg(expected));
}

// ---- versions

PreflightItem versionsItem(const QList<NodeVersionRead> &nodes, const QString &targetVersion)
{
    const QString title = u"All nodes on one version, target newer"_s;
    QMap<QString, QStringList> byVersion;
    QStringList unread;
    for (const NodeVersionRead &n : nodes) {
        if (n.version.isEmpty()) {
            unread << u"%1 (%2): %3"_s.arg(n.alias, modeName(n.mode), n.error.isEmpty() ? u"no answer"_s : n.error);
        } else {
            byVersion[n.version.section(u' ', 0, 0)] << n.alias;
        }
    }
    QStringList ev;
    for (auto it = byVersion.cbegin(); it != byVersion.cend(); ++it) {
        ev << u"%1: %2"_s.arg(it.key(), it.value().join(u", "_s));
    }
    QString evidence = u"version() of %1 node(s): %2; target %3"_s.arg(nodes.size() - unread.size())
                           .arg(ev.isEmpty() ? u"none"_s : ev.join(u"; "_s), targetVersion);
    if (!unread.isEmpty()) {
        return item(u"versions"_s, title, V::Fail, evidence + u"; could not read: "_s + unread.join(u"; "_s),
                    u"every node (controllers, agents, data and compute nodes) must answer version()"_s);
    }
    if (byVersion.size() != 1) {
        return item(u"versions"_s, title, V::Fail, evidence, u"finish or roll back the earlier upgrade first"_s);
    }
    const Result<DdbVersion> from = DdbVersion::parse(byVersion.firstKey());
    const Result<DdbVersion> to = DdbVersion::parse(targetVersion);
    const bool newer = from && to && *from < *to;
    return item(u"versions"_s, title, newer ? V::Pass : V::Fail, evidence,
                u"the target must be newer than the cluster"_s);
}

PreflightItem compatibilityItem(const QList<NodeVersionRead> &nodes, const QString &targetVersion)
{
    const QString id = u"compatibility"_s;
    const QString title = u"Compatibility level allows a rolling upgrade (4-5)"_s;
    QStringList numbers;
    bool unread = nodes.isEmpty();
    for (const NodeVersionRead &n : nodes) {
        unread = unread || n.version.isEmpty();
        const QString number = n.version.section(u' ', 0, 0);
        if (!number.isEmpty() && !numbers.contains(number)) {
            numbers << number;
        }
    }
    const Result<DdbVersion> to = DdbVersion::parse(targetVersion);
    if (!to) {
        return item(id, title, V::Fail, u"the target '%1' is not a version: %2"_s.arg(targetVersion, to.error().message),
                    u"correct targetVersion in the profile"_s);
    }
    if (unread || numbers.size() != 1) {
        return item(id, title, V::Fail,
                    unread ? u"not judged: the version of every node could not be read (see versions)"_s
                           : u"not judged: the nodes run %1 (see versions)"_s.arg(numbers.join(u", "_s)),
                    u"the cluster must run one version before its upgrade path can be judged"_s);
    }
    const Result<DdbVersion> from = DdbVersion::parse(numbers.first());
    if (!from) {
        return item(id, title, V::Fail, u"not judged: the nodes answer '%1', not a version"_s.arg(numbers.first()));
    }
    if (from->parts() == to->parts()) {
        return item(id, u"Nothing to upgrade: the cluster already runs the target version"_s, V::Fail,
                    u"every node runs %1; the target is %2"_s.arg(from->number(), to->number()),
                    u"there is nothing to do; to upgrade, set a newer targetVersion and package"_s);
    }
    if (*to < *from) {
        return item(id, u"DOWNGRADE: the target is older than the cluster"_s, V::Fail,
                    u"every node runs %1; the target %2 is older"_s.arg(from->number(), to->number()),
                    u"a downgrade is not an upgrade: roll back with the backups of the upgrade instead"_s);
    }
    const CompatibilityVerdict verdict = compatibilityOfUpgrade(*from, *to);
    PreflightItem c = item(id, title, verdict.rollingUpgradePromised() ? V::Pass : V::Warn, verdict.explanation);
    if (!verdict.rollingUpgradePromised()) {
        c.title = u"BELOW LEVEL 4: DolphinDB does not promise a rolling upgrade on this path"_s;
        c.fixHint = u"get the vendor's risk assessment for %1 -> %2, then confirm explicitly "
                    "(--accept-compatibility-risk)"_s.arg(from->number(), to->number());
        c.needsConfirmation = true;
    }
    return c;
}

// ---- metadata

PreflightItem metadataItem(const QString &host, const QList<MetadataDirState> &dirs,
                           const std::optional<QMap<QString, int>> &chunkReplicas, const QString &chunkError)
{
    const QString id = u"metadata:"_s + host;
    const QString title = u"The metadata a rollback needs is on the host"_s;
    QStringList failures;
    QStringList notes;
    for (const MetadataDirState &d : dirs) {
        const bool dataNode = d.mode == NodeMode::DataNode || d.mode == NodeMode::ComputeNode;
        if (d.kib >= 0) {
            QString line = u"%1 %2 (%3)"_s.arg(d.label, d.path, kibText(d.kib));
            if (dataNode && chunkReplicas) {
                line += u", %1 chunk replica(s)"_s.arg(chunkReplicas->value(d.node));
            }
            notes << line;
            continue;
        }
        if (!dataNode) {
            failures << u"%1: %2 does not exist (path from %3); the backup of this host would stop there"_s.arg(
                d.label, d.path, d.pathSource);
        } else if (!chunkReplicas) {
            failures << u"%1: %2 does not exist (path from %3), and the chunk list could not be read (%4), so it is "
                        "unknown whether %5 holds chunks"_s.arg(d.label, d.path, d.pathSource, chunkError, d.node);
        } else if (const int n = chunkReplicas->value(d.node); n > 0) {
            failures << u"%1: %2 does not exist (path from %3), while the controller lists %4 as a replica holder of "
                        "%5 chunk(s): a rollback of this host would have no chunk metadata"_s.arg(
                            d.label, d.path, d.pathSource, d.node).arg(n);
        } else {
            notes << u"%1: %2 does not exist; %3 holds no chunk (getClusterChunksStatus), nothing to back up"_s.arg(
                d.label, d.path, d.node);
        }
    }
    if (!failures.isEmpty()) {
        return item(id, title, V::Fail, failures.join(u"; "_s) + (notes.isEmpty() ? QString() : u"; present: "_s + notes.join(u"; "_s)),
                    u"find where the node keeps its metadata (chunkMetaDir/dfsMetaDir, volumes) and restore it before "
                    "stopping the host; the backup copies those directories"_s);
    }
    return item(id, title, V::Pass, dirs.isEmpty() ? u"no controller or data node on this host"_s : notes.join(u"; "_s));
}

// ---- configuration drift

QList<ConfigComparison> configExpectations(const QMap<QString, QByteArray> &files, const QString &configDir,
                                           const QList<ClusterNode> &nodes)
{
    QList<ConfigComparison> rows;
    const auto path = [&](const QString &name) { return QDir::cleanPath(configDir + u'/' + name); };
    const auto add = [&](const ClusterNode &n, const QString &file, const ConfigSetting &s, const QString &value) {
        if (s.key == u"mode"_s || s.key == u"localSite"_s) {
            return;
        }
        // Last one wins: replace an earlier row for the same node and key.
        for (ConfigComparison &r : rows) {
            if (r.node == n.alias && r.key == s.key) {
                r.file = file;
                r.line = s.line;
                r.disk = value;
                return;
            }
        }
        rows.append(ConfigComparison{n.alias, file, s.line, s.key, value, SettingRead::unset()});
    };
    for (const ClusterNode &n : nodes) {
        QString name;
        ConfigFile parsed;
        switch (n.mode) {
        case NodeMode::Controller:
            name = u"controller.cfg"_s;
            if (files.contains(name)) {
                parsed = parseControllerCfg(files.value(name), name);
            }
            break;
        case NodeMode::Agent:
            name = u"agent.cfg"_s;
            if (files.contains(name)) {
                parsed = parseAgentCfg(files.value(name), name);
            }
            break;
        case NodeMode::DataNode:
        case NodeMode::ComputeNode:
            name = u"cluster.cfg"_s;
            if (files.contains(name)) {
                parsed = parseClusterCfg(files.value(name), name);
            }
            break;
        }
        for (const ConfigSetting &s : parsed.settings) {
            if (s.aliasPattern.isEmpty()) {
                add(n, path(name), s, QString(s.value).replace(u"<ALIAS>"_s, n.alias));
            } else if (aliasMatches(s.aliasPattern, n.alias)) {
                add(n, path(name), s, s.value);
            }
        }
    }
    return rows;
}

bool sameSetting(const QString &disk, const QString &live)
{
    const QString a = disk.trimmed();
    const QString b = live.trimmed();
    if (a == b) {
        return true;
    }
    const auto boolean = [](const QString &v) -> int {
        if (v == u"1"_s || v.compare(u"true"_s, Qt::CaseInsensitive) == 0) {
            return 1;
        }
        if (v == u"0"_s || v.compare(u"false"_s, Qt::CaseInsensitive) == 0) {
            return 0;
        }
        return -1;
    };
    if (boolean(a) >= 0 && boolean(a) == boolean(b)) {
        return true;
    }
    if (a.contains(u',') || b.contains(u',')) {
        const QStringList x = DolphinDb::splitConfigList(a);
        const QStringList y = DolphinDb::splitConfigList(b);
        if (x.size() != y.size() || x.isEmpty()) {
            return false;
        }
        for (qsizetype i = 0; i < x.size(); ++i) {
            if (!sameSetting(x.at(i), y.at(i))) {
                return false;
            }
        }
        return true;
    }
    // A relative path on disk, resolved by the node against its working or home directory.
    if (!a.isEmpty() && !QDir::isAbsolutePath(a) && QDir::isAbsolutePath(b)) {
        const QString rel = QDir::cleanPath(a);
        return rel != u"."_s && !rel.startsWith(u"../"_s) && QDir::cleanPath(b).endsWith(u'/' + rel);
    }
    return false;
}

PreflightItem configDriftItem(const QString &host, const QList<ConfigComparison> &rows, const QStringList &problems)
{
    const QString id = u"config:"_s + host;
    const QString title = u"Configuration on disk matches what the nodes run"_s;
    if (!problems.isEmpty()) {
        return item(id, title, V::Fail, u"not compared: "_s + problems.join(u"; "_s),
                    u"the configuration files in clusterDemo/config must be readable on the host: a restart reads them"_s);
    }
    QStringList differences;
    QStringList unreadable;
    int equal = 0;
    for (const ConfigComparison &r : rows) {
        if (r.live.state == SettingRead::State::Unreadable) {
            unreadable << u"%1 %2 (%3)"_s.arg(r.node, r.key, r.live.error);
        } else if (r.live.state == SettingRead::State::Value && sameSetting(r.disk, r.live.value)) {
            ++equal;
        } else {
            differences << u"%1:%2 %3=%4 on disk, %5 runs %6"_s.arg(r.file).arg(r.line).arg(r.key, r.disk, r.node, r.live.shown());
        }
    }
    QString evidence = u"%1 setting(s) compared, %2 equal"_s.arg(rows.size()).arg(equal);
    if (!differences.isEmpty()) {
        evidence += u"; a restart would apply: "_s + differences.join(u"; "_s);
    }
    if (!unreadable.isEmpty()) {
        evidence += u"; live value could not be read: "_s + unreadable.join(u"; "_s);
    }
    if (differences.isEmpty() && unreadable.isEmpty()) {
        return item(id, title, V::Pass, evidence);
    }
    return item(id, title, V::Warn, evidence,
                differences.isEmpty() ? u"compare the settings that could not be read by hand before the restart"_s
                                      : u"the upgrade's restart applies the files' values: correct the files, or accept "
                                        "the change knowingly"_s);
}

// ---- the package

QList<PreflightItem> packageItems(const Result<PackageInfo> &info, const QString &expectedSha256, const QString &targetVersion)
{
    const QString readable = u"Package is a readable zip with server/dolphindb"_s;
    const QString shaTitle = u"Package SHA-256 matches the profile"_s;
    const QString versionTitle = u"Package version (read inside the package) matches the target"_s;
    if (!info) {
        const QString why = u"not checked: the package could not be read"_s;
        return {item(u"package"_s, readable, V::Fail, info.error().message, u"check package.path in the profile"_s),
                item(u"package-sha256"_s, shaTitle, V::Fail, why, u"check package.path in the profile"_s),
                item(u"package-version"_s, versionTitle, V::Fail, why, u"check package.path in the profile"_s)};
    }
    const QString name = QFileInfo(info->path).fileName();
    QList<PreflightItem> out;
    out << (info->hasServerBinary()
                ? item(u"package"_s, readable, V::Pass, u"%1: %2 entries incl. %3"_s.arg(name).arg(info->entries).arg(info->binaryEntry))
                : item(u"package"_s, readable, V::Fail, u"%1: %2 entries, no server/dolphindb"_s.arg(name).arg(info->entries),
                       u"use the Linux64 server package"_s));
    if (expectedSha256.isEmpty()) {
        out << item(u"package-sha256"_s, shaTitle, V::Warn, u"sha256 %1 (the profile records none)"_s.arg(info->sha256),
                    u"record package.sha256 in the profile"_s);
    } else if (info->sha256.compare(expectedSha256, Qt::CaseInsensitive) != 0) {
        out << item(u"package-sha256"_s, shaTitle, V::Fail,
                    u"%1 has %2, the profile expects %3"_s.arg(info->path, info->sha256, expectedSha256),
                    u"download the package again or correct package.sha256"_s);
    } else {
        out << item(u"package-sha256"_s, shaTitle, V::Pass, u"sha256 %1"_s.arg(info->sha256));
    }
    const QStringList problems = info->problemsFor(targetVersion);
    QStringList versionProblems;
    for (const QString &p : problems) {
        if (!p.contains(u"no server/dolphindb"_s)) {
            versionProblems << p;
        }
    }
    if (info->version.isEmpty() && versionProblems.isEmpty()) {
        PreflightItem unknown = item(u"package-version"_s, versionTitle, V::Warn,
                                     info->versionUnknown.isEmpty() ? u"%1: no version found inside"_s.arg(name)
                                                                    : info->versionUnknown,
                                     u"confirm that %1 is the vendor's %2 server package (its version could not be read "
                                     "from inside it)"_s.arg(name, targetVersion));
        unknown.needsConfirmation = true;
        out << unknown;
    } else if (!versionProblems.isEmpty()) {
        out << item(u"package-version"_s, versionTitle, V::Fail,
                    versionProblems.isEmpty() ? u"%1: no version found inside"_s.arg(name) : versionProblems.join(u"; "_s),
                    info->version.isEmpty() ? u"use the vendor's server package; the version is not taken from the file name"_s
                                            : u"use the package of the target version (a renamed file is still its old version)"_s);
    } else {
        out << item(u"package-version"_s, versionTitle, V::Pass,
                    u"%1 in %2 says %3; target %4"_s.arg(info->versionSource, name, info->versionLine, targetVersion));
    }
    return out;
}

} // namespace GrayStep::Engine
