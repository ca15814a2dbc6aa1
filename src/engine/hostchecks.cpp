// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/hostchecks.h"

#include "core/ddbversion.h"
#include "engine/hostcommands.h"
#include "engine/packageinspection.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QThread>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;

namespace GrayStep::Engine {

namespace {

QString bytesText(qint64 bytes)
{
    return u"%1 B (%2 MiB)"_s.arg(bytes).arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

} // namespace

Result<qint64> zipUncompressedSize(const QString &zipPath)
{
    Result<QList<ZipEntry>> entries = readZipDirectory(zipPath);
    if (!entries) {
        return entries.error();
    }
    qint64 total = 0;
    for (const ZipEntry &e : *entries) {
        total += e.uncompressedSize;
    }
    return total;
}

QString stageDiskScript(const QString &installDir, const QString &stateDir, const QStringList &metadataDirs)
{
    // df of the nearest existing ancestor: "df <index> <available KiB> <mount point>".
    QString script = u"gs_df() { p=$2; while [ ! -e \"$p\" ] && [ \"$p\" != / ]; do p=$(dirname \"$p\"); done\n"
                     "  df -Pk \"$p\" | awk -v i=\"$1\" 'NR==2 {print \"df\", i, $4, $6}'; }\n"_s;
    script += u"gs_df 0 "_s + shellQuote(installDir) + u"\ngs_df 1 "_s + shellQuote(stateDir) + u'\n';
    // One du per metadata directory (the backup copies each apart); an absent one is said so.
    script += u"b=0; i=0; for d in"_s;
    for (const QString &d : metadataDirs) {
        script += u' ' + shellQuote(d);
    }
    script += u"; do if [ -e \"$d\" ]; then k=$(du -sk -- \"$d\" | cut -f1); b=$((b + k)); echo \"du meta $i $k\"; "
              "else echo \"du meta $i absent\"; fi; i=$((i + 1)); done; echo \"du backup $b\"\n"_s;
    script += u"k=0; for f in "_s + shellQuote(installDir) + u"/* "_s + shellQuote(installDir)
              + u"/.[!.]*; do [ -e \"$f\" ] || continue; case \"${f##*/}\" in clusterDemo) continue ;; esac; "
                "k=$((k + $(du -sk \"$f\" | cut -f1))); done; echo \"du binaries $k\"\n"_s;
    return script;
}

Result<StageDiskMeasurement> parseStageDisk(const QString &output, const QString &installDir, const QString &stateDir,
                                            const StageDiskNeeds &needs, const QString &where)
{
    qint64 freeKiB[2] = {-1, -1};
    QString mount[2];
    qint64 backupKiB = -1;
    qint64 binariesKiB = -1;
    StageDiskMeasurement m;
    m.metadataKiB = QList<qint64>(needs.metadataDirs.size(), -2);   // -2: not reported
    for (const QString &line : output.split(u'\n', Qt::SkipEmptyParts)) {
        const QStringList w = line.split(u' ', Qt::SkipEmptyParts);
        if (w.size() >= 4 && w[0] == u"df"_s && (w[1] == u"0"_s || w[1] == u"1"_s)) {
            const int i = w[1].toInt();
            freeKiB[i] = w[2].toLongLong();
            mount[i] = w.mid(3).join(u' ');
        } else if (w.size() == 4 && w[0] == u"du"_s && w[1] == u"meta"_s) {
            const int i = w[2].toInt();
            if (i >= 0 && i < m.metadataKiB.size()) {
                m.metadataKiB[i] = w[3] == u"absent"_s ? -1 : w[3].toLongLong();
            }
        } else if (w.size() == 3 && w[0] == u"du"_s && w[1] == u"backup"_s) {
            backupKiB = w[2].toLongLong();
        } else if (w.size() == 3 && w[0] == u"du"_s && w[1] == u"binaries"_s) {
            binariesKiB = w[2].toLongLong();
        }
    }
    if (freeKiB[0] < 0 || freeKiB[1] < 0 || backupKiB < 0 || binariesKiB < 0 || m.metadataKiB.contains(-2)) {
        return Error(ErrorCode::Failed, u"cannot read the free space on %1: %2"_s.arg(where, output.trimmed().left(2000)));
    }
    m.binariesBytes = binariesKiB * 1024;
    DiskArea install;
    install.paths << installDir;
    install.mount = mount[0];
    install.freeBytes = freeKiB[0] * 1024;
    install.neededBytes = binariesKiB * 1024 + needs.unpackedBytes + needs.marginBytes;
    install.needs << u"old binaries kept as %1.bak-<old version> %2"_s.arg(installDir, bytesText(binariesKiB * 1024))
                  << u"new binaries %1"_s.arg(bytesText(needs.unpackedBytes));
    DiskArea state;
    state.paths << stateDir;
    state.mount = mount[1];
    state.freeBytes = freeKiB[1] * 1024;
    state.neededBytes = needs.packageBytes + needs.unpackedBytes + backupKiB * 1024 + needs.marginBytes;
    state.needs << u"package %1"_s.arg(bytesText(needs.packageBytes))
                << u"unpacked package %1"_s.arg(bytesText(needs.unpackedBytes))
                << u"metadata backup estimate %1"_s.arg(bytesText(backupKiB * 1024));
    if (install.mount == state.mount) {
        // One file system: everything adds up (one margin).
        install.paths += state.paths;
        install.neededBytes += state.neededBytes - needs.marginBytes;
        install.needs += state.needs;
        m.areas = {install};
    } else {
        m.areas = {install, state};
    }
    return m;
}

Result<QList<DiskArea>> measureStageDisk(Ssh::RemoteShell &shell, const QString &installDir, const QString &stateDir,
                                         const StageDiskNeeds &needs)
{
    Ssh::ExecOptions o;
    o.totalTimeoutMs = 60000;
    Result<Ssh::ExecResult> r = shell.exec(stageDiskScript(installDir, stateDir, needs.metadataDirs), o);
    if (!r) {
        return r.error();
    }
    Result<StageDiskMeasurement> m = parseStageDisk(QString::fromUtf8(r->stdoutData), installDir, stateDir, needs,
                                                    u"%1 (%2, stderr: %3)"_s.arg(shell.describe(), r->statusText(),
                                                                                 QString::fromUtf8(r->stderrData).trimmed()));
    if (!m) {
        return m.error();
    }
    return m->areas;
}

Status checkDiskAreas(const QString &host, const QList<DiskArea> &areas)
{
    QStringList problems;
    for (const DiskArea &a : areas) {
        if (a.freeBytes < a.neededBytes) {
            problems << u"%1 (file system %2): free %3, needed %4 (%5)"_s.arg(
                a.paths.join(u" and "_s), a.mount, bytesText(a.freeBytes), bytesText(a.neededBytes), a.needs.join(u", "_s));
        }
    }
    if (problems.isEmpty()) {
        return {};
    }
    return Error(ErrorCode::Failed, u"host %1 has too little disk space: %2"_s.arg(host, problems.join(u"; "_s)),
                 u"host %1, step disk"_s.arg(host));
}

QString PortProbe::describe() const
{
    const QString what = state == State::Open ? u"open"_s : state == State::Closed ? u"closed"_s : u"no answer"_s;
    return u"%1 (%2:%3): %4"_s.arg(alias, host).arg(port).arg(what);
}

QList<PortProbe> probeNodePorts(const QList<Core::ClusterNode> &nodes, int timeoutMs)
{
    QList<PortProbe> out;
    for (const Core::ClusterNode &n : nodes) {
        PortProbe p{n.alias, n.host, n.port, PortProbe::State::Closed};
        QTcpSocket s;
        s.connectToHost(n.host, n.port);
        if (s.waitForConnected(timeoutMs)) {
            p.state = PortProbe::State::Open;
            s.abort();
        } else if (s.error() == QAbstractSocket::SocketTimeoutError) {
            p.state = PortProbe::State::NoAnswer;
        }
        out << p;
    }
    return out;
}

Status verifyPortsClosed(const QString &host, const QList<Core::ClusterNode> &nodes, int graceMs, int probeTimeoutMs)
{
    QElapsedTimer t;
    t.start();
    for (;;) {
        QStringList notClosed;
        for (const PortProbe &p : probeNodePorts(nodes, probeTimeoutMs)) {
            if (p.state != PortProbe::State::Closed) {
                notClosed << p.describe();
            }
        }
        if (notClosed.isEmpty()) {
            return {};
        }
        if (t.elapsed() >= graceMs) {
            return Error(ErrorCode::Failed,
                         u"node port(s) still accept connections after the stop: %1"_s.arg(notClosed.join(u", "_s)),
                         u"host %1, step verify-stopped"_s.arg(host));
        }
        QThread::msleep(250);
    }
}

Result<HostClock> hostClockFromDate(const QString &host, const QString &dateOutput, qint64 beforeMs, qint64 afterMs)
{
    // Milliseconds (`date +%s%3N`) or seconds with a fraction (bash's EPOCHREALTIME, whose
    // separator follows the locale; `date +%s.%N`).
    static const QRegularExpression re(u"^(\\d{10,13})(?:[.,](\\d{1,9}))?$"_s);
    const QString text = dateOutput.trimmed();
    const QRegularExpressionMatch m = re.match(text);
    qint64 remoteMs = 0;
    if (m.hasMatch() && m.hasCaptured(2) && m.captured(1).size() <= 11) {
        remoteMs = m.captured(1).toLongLong() * 1000 + QString(m.captured(2) + u"00"_s).left(3).toLongLong();
    } else if (m.hasMatch() && !m.hasCaptured(2)) {
        remoteMs = m.captured(1).toLongLong();
    }
    if (remoteMs < 1000000000000ll) {
        return Error(ErrorCode::Failed, u"host %1: the clock answered '%2', not the time since 1970"_s.arg(
                                            host, text.left(40)));
    }
    HostClock c;
    c.host = host;
    c.offsetMs = remoteMs - (beforeMs + afterMs) / 2;
    c.uncertaintyMs = (afterMs - beforeMs + 1) / 2;
    c.evidence = u"%1: %2 ms (± %3 ms)"_s.arg(host).arg(c.offsetMs).arg(c.uncertaintyMs);
    return c;
}

Result<HostClock> sampleHostClock(Ssh::RemoteShell &shell, const QString &host)
{
    Ssh::ExecOptions o;
    o.totalTimeoutMs = 15000;
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    Result<Ssh::ExecResult> r = shell.exec(u"date +%s%3N"_s, o);
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    if (!r) {
        return r.error();
    }
    return hostClockFromDate(host, QString::fromUtf8(r->stdoutData), before, after);
}

QList<InstalledPlugin> parsePluginListing(const QString &listing)
{
    static const QRegularExpression descriptor(u"^\\s*([A-Za-z0-9_]+)\\s*,\\s*([^,\\s]+\\.(?:so|dll|dylib))\\s*(?:,\\s*([0-9][0-9.]*))?"_s);
    QList<InstalledPlugin> out;
    for (const QString &line : listing.split(u'\n', Qt::SkipEmptyParts)) {
        const QString path = line.section(u'\t', 0, 0);
        const QString first = line.section(u'\t', 1);
        const QString dir = path.section(u'/', -2, -2);
        const QRegularExpressionMatch m = descriptor.match(first);
        if (dir.isEmpty() || !m.hasMatch()
            || std::any_of(out.cbegin(), out.cend(), [&](const InstalledPlugin &p) { return p.directory == dir; })) {
            continue;
        }
        out.append(InstalledPlugin{dir, m.captured(1), m.captured(3)});
    }
    std::sort(out.begin(), out.end(), [](const InstalledPlugin &a, const InstalledPlugin &b) { return a.directory < b.directory; });
    return out;
}

QStringList preloadedPlugins(const QString &preloadModules)
{
    QStringList names;
    for (const QString &entry : preloadModules.split(u',', Qt::SkipEmptyParts)) {
        const QString e = entry.trimmed();
        if (e.startsWith(u"plugins::"_s, Qt::CaseInsensitive) && e.size() > 9) {
            names << e.mid(9).toLower();
        }
    }
    return names;
}

PreflightItem pluginItem(const QString &host, const QString &installDir, const QList<InstalledPlugin> &plugins,
                         const QStringList &packagePluginDirs, const QMap<QString, QStringList> &preloadedBy,
                         const QString &targetVersion)
{
    // "2.00.8.12 2023.01.10" -> "2.00.8"; empty when the text is not a version.
    const auto release = [](const QString &v) {
        const Result<Core::DdbVersion> parsed = Core::DdbVersion::parse(v);
        return parsed ? parsed->release() : QString();
    };
    const QString target = release(targetVersion);
    PreflightItem item;
    item.id = u"plugins:"_s + host;
    item.title = u"Plugins match the target version"_s;
    const QString dir = installDir + u"/plugins"_s;
    if (plugins.isEmpty()) {
        item.verdict = PreflightItem::Verdict::Pass;
        item.evidence = u"no plugin in %1"_s.arg(dir);
        return item;
    }
    QStringList evidence;
    QStringList stale;
    bool preloadedStale = false;
    for (const InstalledPlugin &p : plugins) {
        const QStringList by = preloadedBy.value(p.name.toLower()) + preloadedBy.value(p.directory.toLower());
        QStringList nodes = by;
        nodes.removeDuplicates();
        const QString who = nodes.isEmpty() ? QString() : u", preloaded by "_s + nodes.join(u", "_s);
        const QString shown = p.version.isEmpty() ? u"%1 (no version)"_s.arg(p.name) : u"%1 %2"_s.arg(p.name, p.version);
        if (packagePluginDirs.contains(p.directory, Qt::CaseInsensitive)) {
            evidence << u"%1: the package brings its own%2"_s.arg(shown, who);
        } else if (!target.isEmpty() && release(p.version) == target) {
            evidence << u"%1: matches%2"_s.arg(shown, who);
        } else {
            evidence << u"%1: does not match %2%3"_s.arg(shown, target, who);
            stale << p.directory;
            preloadedStale = preloadedStale || !nodes.isEmpty();
        }
    }
    item.verdict = preloadedStale ? PreflightItem::Verdict::Fail
                   : stale.isEmpty() ? PreflightItem::Verdict::Pass
                                     : PreflightItem::Verdict::Warn;
    item.evidence = dir + u": "_s + evidence.join(u"; "_s);
    if (!stale.isEmpty()) {
        item.fixHint = u"put the %1 build of %2 into %3 before the upgrade (%4)"_s.arg(
            target, stale.join(u", "_s), dir,
            preloadedStale ? u"a node that preloads a plugin of another version does not start"_s
                           : u"loadPlugin fails on a version mismatch"_s);
    }
    return item;
}

PreflightItem clockSpreadItem(const QList<HostClock> &clocks, qint64 warnMs, qint64 failMs,
                              const QMap<QString, QString> &unread)
{
    PreflightItem item;
    item.id = u"clock-spread"_s;
    item.title = u"Clock skew between the hosts"_s;
    if (!unread.isEmpty()) {
        QStringList missing;
        for (auto it = unread.cbegin(); it != unread.cend(); ++it) {
            missing << u"%1 (%2)"_s.arg(it.key(), it.value());
        }
        QStringList read;
        for (const HostClock &c : clocks) {
            read << c.evidence;
        }
        item.verdict = PreflightItem::Verdict::Fail;
        item.evidence = u"not judged: no clock reading from %1; read: %2"_s.arg(
            missing.join(u", "_s), read.isEmpty() ? u"none"_s : read.join(u"; "_s));
        item.fixHint = u"make every host answer over SSH, then run the pre-flight again"_s;
        return item;
    }
    if (clocks.size() < 2) {
        item.verdict = PreflightItem::Verdict::Pass;
        item.evidence = u"%1 host clock(s) read: nothing to compare"_s.arg(clocks.size());
        return item;
    }
    const auto [lo, hi] = std::minmax_element(clocks.begin(), clocks.end(), [](const HostClock &a, const HostClock &b) {
        return a.offsetMs < b.offsetMs;
    });
    const qint64 spread = hi->offsetMs - lo->offsetMs;
    // What the measurement cannot tell apart from no skew.
    const qint64 uncertainty = hi->uncertaintyMs + lo->uncertaintyMs;
    const qint64 surely = std::max<qint64>(0, spread - uncertainty);
    QList<HostClock> sorted = clocks;
    std::sort(sorted.begin(), sorted.end(), [](const HostClock &a, const HostClock &b) { return a.host < b.host; });
    QStringList perHost;
    for (const HostClock &c : sorted) {
        perHost << c.evidence;
    }
    item.verdict = surely > failMs   ? PreflightItem::Verdict::Fail
                   : surely > warnMs ? PreflightItem::Verdict::Warn
                                     : PreflightItem::Verdict::Pass;
    item.evidence = u"spread %1 ms (± %2 ms) between %3 (slowest) and %4 (fastest); offsets against this machine: %5"_s
                        .arg(spread)
                        .arg(uncertainty)
                        .arg(lo->host, hi->host, perHost.join(u"; "_s));
    if (item.verdict != PreflightItem::Verdict::Pass) {
        item.fixHint = u"synchronise the hosts' clocks (NTP/chrony): above %1 ms the hosts' logs and the timeline "
                       "disagree; above %2 ms the pre-flight fails"_s.arg(warnMs).arg(failMs);
    }
    return item;
}

} // namespace GrayStep::Engine
