// SPDX-License-Identifier: GPL-3.0-or-later
// The pre-flight's host task: one SSH connection and one command per host (each command costs
// the host a login shell), whose answer gives the install check, the clock, the disk and
// metadata measurement, the configuration files and the plugins; then the configuration on
// disk against the live values of the host's nodes.
#include "engine/clusteraccess.h"
#include "engine/hostcommands.h"
#include "engine/preflight_p.h"
#include "engine/upgradeplan.h"

#include "dolphindb/scripts.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Engine::PreflightDetail {

using V = PreflightItem::Verdict;

namespace {

const QStringList CONFIG_FILES{u"controller.cfg"_s, u"cluster.nodes"_s, u"cluster.cfg"_s, u"agent.cfg"_s};

QString mib(qint64 bytes)
{
    return u"%1 MiB"_s.arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

QString configDirOf(const HostAccess &host)
{
    return QDir::cleanPath(host.installDir) + u"/clusterDemo/config"_s;
}

// What the check command printed, by tag.
struct HostAnswer
{
    QStringList missing;
    QString now;
    QString stage;
    std::optional<QString> plugins;
    QMap<QString, QByteArray> configFiles;
    QStringList configAbsent;
    bool complete = false;   // "@end" seen: every part answered
};

HostAnswer parseAnswer(const QByteArray &stdoutData)
{
    HostAnswer a;
    QString section;
    for (const QString &line : QString::fromUtf8(stdoutData).split(u'\n', Qt::SkipEmptyParts)) {
        if (line.startsWith(u'@')) {
            const QString tag = line.section(u' ', 0, 0);
            const QString value = line.section(u' ', 1).trimmed();
            section.clear();
            if (tag == u"@missing"_s) {
                a.missing << value;
            } else if (tag == u"@now"_s) {
                a.now = value;
            } else if (tag == u"@stage"_s) {
                section = u"stage"_s;
            } else if (tag == u"@plugins"_s) {
                section = u"plugins"_s;
                a.plugins = QString();
            } else if (tag == u"@cfg"_s) {
                a.configFiles.insert(value.section(u' ', 0, 0), QByteArray::fromBase64(value.section(u' ', 1).toLatin1()));
            } else if (tag == u"@nocfg"_s) {
                a.configAbsent << value;
            } else if (tag == u"@end"_s) {
                a.complete = true;
            }
        } else if (section == u"stage"_s) {
            a.stage += line + u'\n';
        } else if (section == u"plugins"_s) {
            *a.plugins += line + u'\n';
        }
    }
    return a;
}

} // namespace

PreflightItem diskItem(const HostAccess &host, const HostFindings &findings, const std::optional<PackageInfo> &package)
{
    const QString id = u"disk:"_s + host.address;
    const QString title = u"Free disk for the package, the kept old binaries and the backups"_s;
    StageDiskNeeds needs;
    needs.packageBytes = package ? package->bytes : 0;
    needs.unpackedBytes = package ? package->unpackedBytes : 0;
    needs.metadataDirs = findings.metadataDirs;
    const QString install = QDir::cleanPath(host.installDir);
    Result<StageDiskMeasurement> m =
        parseStageDisk(findings.stageDiskOutput, install, hostStateDir(host), needs, u"host "_s + host.address);
    if (!m) {
        return item(id, title, V::Fail, m.error().message, u"df and du must work on the host"_s);
    }
    QStringList areas;
    for (const DiskArea &a : m->areas) {
        areas << u"%1 (file system %2): free %3, needs %4 = %5"_s.arg(a.paths.join(u" and "_s), a.mount, mib(a.freeBytes),
                                                                      mib(a.neededBytes), a.needs.join(u" + "_s));
    }
    const Status enough = checkDiskAreas(host.address, m->areas);
    QString evidence = areas.join(u"; "_s);
    V verdict = enough ? V::Pass : V::Fail;
    if (!package) {
        evidence += u"; the package could not be read: its size and unpacked size are not counted"_s;
        verdict = enough ? V::Warn : V::Fail;
    }
    return item(id, title, verdict, evidence,
                u"free space on the host before the upgrade (the old install is kept as %1.bak-<old version> until the "
                "upgrade is done)"_s.arg(install));
}

void checkHost(ClusterAccess &cluster, const HostAccess &host, const PreflightOptions &options, Checklist &out)
{
    const QString id = host.address;
    const QStringList all = hostItemIds(id);
    std::shared_ptr<Ssh::RemoteShell> shell(makeHostShell(host).release());
    out.addShell(shell);
    out.waitFor(all, u"the SSH connection to %1"_s.arg(shell->describe()));
    if (Status s = shell->connect(); !s) {
        out.set(item(u"ssh:"_s + id, u"SSH reachable, host key verified, shell answers"_s, V::Fail,
                     u"%1: %2"_s.arg(shell->describe(), s.error().message),
                     s.error().code == ErrorCode::HostKey
                         ? u"verify the host's key out of band and update the profile's known_hosts file"_s
                         : u"check the address, port, user and key in the profile"_s));
        out.setHostProblem(id, u"no SSH connection"_s);
        out.failUnset(all, u"not checked: no SSH connection to %1 (%2)"_s.arg(id, s.error().message),
                      u"make the host reachable over SSH (see ssh:%1)"_s.arg(id));
        return;
    }
    const qint64 connectedAt = out.elapsedMs();

    // The metadata directories of this host's own nodes, read live as the runner reads them.
    const ClusterTopology &topo = cluster.topology();
    out.waitFor(all, u"the nodes of %1 (getConfig of their metadata paths)"_s.arg(id));
    QMap<QString, QString> paths;
    QMap<QString, QString> pathErrors;
    for (const Core::ClusterNode &n : topo.nodesOnHost(id)) {
        const QString key = n.mode == Core::NodeMode::DataNode ? u"chunkMetaDir"_s
                            : n.mode == Core::NodeMode::Controller ? u"dfsMetaDir"_s
                                                             : QString();
        if (key.isEmpty()) {
            continue;
        }
        const SettingRead r = SettingRead::fromReply(cluster.runOn(n.alias, *Scripts::localConfig(key), out.remainingMs()));
        if (r.state == SettingRead::State::Value) {
            paths.insert(n.alias, r.value);
        } else {
            pathErrors.insert(n.alias, r.state == SettingRead::State::Unset ? u"%1 unset"_s.arg(key) : r.error);
        }
    }
    const QList<BackupItem> backup = backupItemsForHost(topo, host, paths);
    QStringList metadataDirs;
    for (const BackupItem &b : backup) {
        metadataDirs << b.sourceDir;
    }

    // The scripts this host needs: startController.sh only where a controller runs, startAgent.sh
    // where an agent runs.
    const QString install = QDir::cleanPath(host.installDir);
    QStringList files{u"dolphindb"_s, u"clusterDemo/stopAllNode.sh"_s};
    for (const Core::ClusterNode &n : topo.nodesOnHost(id)) {
        const QString f = n.mode == Core::NodeMode::Controller ? u"clusterDemo/startController.sh"_s
                          : n.mode == Core::NodeMode::Agent    ? u"clusterDemo/startAgent.sh"_s
                                                         : QString();
        if (!f.isEmpty() && !files.contains(f)) {
            files << f;
        }
    }
    // The clock first (builtin, bash's EPOCHREALTIME or `date`), its arrival timed by the line
    // callback; then the files, the disk and metadata measurement (hostchecks.h), the
    // configuration files (base64, one line each) and the plugins' descriptors. "@end" last:
    // an answer without it is not complete.
    QString script = u"echo \"@now ${EPOCHREALTIME:-$(date +%s.%N)}\"\n"_s;
    script += u"if cd "_s + shellQuote(install) + u"; then in=1; for f in "_s + files.join(u' ')
              + u"; do [ -e \"$f\" ] || echo \"@missing $f\"; done; else in=; echo @missing "_s + shellQuote(install) + u"; fi\n"_s;
    script += u"echo @stage\n"_s + stageDiskScript(install, hostStateDir(host), metadataDirs);
    script += u"for f in "_s + CONFIG_FILES.join(u' ') + u"; do p="_s + shellQuote(configDirOf(host))
              + u"/$f; if [ -f \"$p\" ] && [ -r \"$p\" ]; then printf '@cfg %s ' \"$f\"; base64 < \"$p\" | tr -d '\\n'; echo; "
                "else echo \"@nocfg $f\"; fi; done\n"_s;
    script += u"if [ -n \"$in\" ]; then echo @plugins; for f in plugins/*/*.txt plugins/*/*.cfg; do [ -f \"$f\" ] || continue; "
              "l=; IFS= read -r l < \"$f\"; printf '%s\\t%s\\n' \"$f\" \"$l\"; done; fi\necho @end\n"_s;

    out.waitFor(all, u"%1's shell (the check command; connected to %2 and host key verified at %3 ms)"_s.arg(id, shell->describe())
                         .arg(connectedAt));
    Ssh::ExecOptions o;
    o.totalTimeoutMs = out.remainingMs();
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    qint64 clockAt = 0;
    o.onStdoutLine = [&clockAt](const QString &line) {
        if (clockAt == 0 && line.startsWith(u"@now "_s)) {
            clockAt = QDateTime::currentMSecsSinceEpoch();
        }
    };
    Result<Ssh::ExecResult> r = shell->exec(script, o);
    const HostAnswer a = r ? parseAnswer(r->stdoutData) : HostAnswer();
    if (!r || !a.complete) {
        const QString why = !r ? r.error().message
                               : u"its answer ended early (%1; stderr: %2)"_s.arg(r->statusText(),
                                                                                  QString::fromUtf8(r->stderrData).trimmed().left(500));
        out.set(item(u"ssh:"_s + id, u"SSH reachable, host key verified, shell answers"_s, V::Fail,
                     u"connected to %1 (host key verified) at %2 ms, but the shell did not answer the check command: %3"_s.arg(
                         shell->describe()).arg(connectedAt).arg(why),
                     u"find out what slows or stops the login shell on the host (profile scripts, load, a full disk)"_s));
        out.setHostProblem(id, u"the shell did not answer: "_s + why);
        out.failUnset(all, u"not checked: %1's shell did not answer the check command (%2)"_s.arg(id, why),
                      u"see ssh:%1"_s.arg(id));
        return;
    }
    out.set(item(u"ssh:"_s + id, u"SSH reachable, host key verified, shell answers"_s, V::Pass,
                 u"%1: connected at %2 ms, the check command answered in %3 ms"_s.arg(shell->describe()).arg(connectedAt)
                     .arg(r->durationMs)));

    HostFindings findings;
    // Install directory and scripts.
    if (!a.missing.isEmpty()) {
        out.set(item(u"install:"_s + id, u"Install directory and scripts present"_s, V::Fail,
                     u"%1: missing %2"_s.arg(install, a.missing.join(u", "_s)),
                     u"correct hosts[].installDir (the server/ directory)"_s));
    } else {
        out.set(item(u"install:"_s + id, u"Install directory and scripts present"_s, V::Pass,
                     install + u": "_s + files.join(u", "_s)));
    }
    // Clock against this machine.
    Result<HostClock> clock = hostClockFromDate(id, a.now, before, clockAt > 0 ? clockAt : QDateTime::currentMSecsSinceEpoch());
    if (clock) {
        const V v = qAbs(clock->offsetMs) > options.clockSkewWarnMs + clock->uncertaintyMs ? V::Warn : V::Pass;
        out.set(item(u"clock:"_s + id, u"Clock skew against this machine"_s, v,
                     u"%1 ms (± %2 ms)"_s.arg(clock->offsetMs).arg(clock->uncertaintyMs),
                     u"synchronise the host's clock (NTP); timelines would be skewed"_s));
        findings.clock = *clock;
    } else {
        out.set(item(u"clock:"_s + id, u"Clock skew against this machine"_s, V::Fail, clock.error().message,
                     u"the host must answer bash's $EPOCHREALTIME or `date +%s.%N`"_s));
        findings.clockError = clock.error().message;
    }
    // Disk and metadata: the measurement is judged with the package's sizes at the end.
    findings.stageDiskOutput = a.stage;
    findings.metadataDirs = metadataDirs;
    StageDiskNeeds sizesOnly;
    sizesOnly.metadataDirs = metadataDirs;
    Result<StageDiskMeasurement> measured = parseStageDisk(a.stage, install, hostStateDir(host), sizesOnly, u"host "_s + id);
    if (!measured) {
        out.set(item(u"metadata:"_s + id, u"The metadata a rollback needs is on the host"_s, V::Fail,
                     u"not checked: "_s + measured.error().message, u"du and df must work on the host"_s));
    } else {
        for (qsizetype i = 0; i < backup.size(); ++i) {
            const QString alias = backup.at(i).label.section(u'/', 0, 0);
            const Core::ClusterNode *n = topo.node(alias);
            const QString key = n && n->mode == Core::NodeMode::Controller ? u"dfsMetaDir"_s : u"chunkMetaDir"_s;
            const bool raft = backup.at(i).label.endsWith(u"/raft"_s);
            findings.metadata << MetadataDirState{
                alias, n ? n->mode : Core::NodeMode::DataNode, backup.at(i).label, backup.at(i).sourceDir,
                raft ? u"the controller's home (<home>/<alias>/raft)"_s
                : paths.contains(alias)
                    ? u"getConfig(`%1) of %2"_s.arg(key, alias)
                    : u"the configuration or DolphinDB's default (%1: %2)"_s.arg(alias, pathErrors.value(alias)),
                measured->metadataKiB.value(i, -1)};
        }
    }
    if (a.plugins) {
        findings.plugins = parsePluginListing(*a.plugins);
    }

    // Configuration on disk (what a restart applies) against the live values.
    const QString configDir = configDirOf(host);
    QStringList problems;
    for (const QString &f : a.configAbsent) {
        // cluster.cfg and agent.cfg may be absent when no node of this host reads them.
        const bool needed = f == u"cluster.nodes"_s
                            || std::any_of(topo.nodes.cbegin(), topo.nodes.cend(), [&](const Core::ClusterNode &n) {
                                   return n.host == id
                                          && ((f == u"controller.cfg"_s && n.mode == Core::NodeMode::Controller)
                                              || (f == u"agent.cfg"_s && n.mode == Core::NodeMode::Agent)
                                              || (f == u"cluster.cfg"_s
                                                  && (n.mode == Core::NodeMode::DataNode || n.mode == Core::NodeMode::ComputeNode)));
                               });
        if (needed) {
            problems << u"%1/%2 does not exist or cannot be read"_s.arg(configDir, f);
        }
    }
    QList<ConfigComparison> rows = configExpectations(a.configFiles, configDir, topo.nodesOnHost(id));
    out.waitFor({u"config:"_s + id}, u"the nodes of %1 (getConfig of the settings in their files)"_s.arg(id));
    QMap<QString, QString> unreachable;   // a node that does not answer is not asked again
    for (ConfigComparison &c : rows) {
        if (unreachable.contains(c.node)) {
            c.live = SettingRead::unreadable(unreachable.value(c.node));
            continue;
        }
        Result<QString> get = Scripts::localConfig(c.key);
        if (!get) {
            c.live = SettingRead::unreadable(get.error().message);
            continue;
        }
        Result<DdbValue> v = cluster.runOn(c.node, *get, out.remainingMs());
        if (!v && v.error().code != ErrorCode::Server) {
            unreachable.insert(c.node, v.error().message);
        }
        c.live = SettingRead::fromReply(v);
    }
    out.set(configDriftItem(id, rows, problems));
    out.setHostFindings(id, findings);
}

} // namespace GrayStep::Engine::PreflightDetail
