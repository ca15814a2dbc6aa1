// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/result.h"
#include "engine/preflight.h"
#include "ssh/remoteshell.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

// Read-only checks the runner and the pre-flight make on hosts: free disk space before
// staging, node ports closed after a stop, clock offsets and their spread across hosts.
namespace GrayStep::Engine {

// ---- disk space before staging

// The sum of the uncompressed sizes of a zip file's entries (read from its central directory).
// Fails for files that are not zips and for ZIP64 archives (sizes not in the 32-bit fields).
Core::Result<qint64> zipUncompressedSize(const QString &zipPath);

// One file system area a step writes to, with what it needs there.
struct DiskArea
{
    QStringList paths;       // the directories that live on this file system
    QString mount;           // its mount point (df)
    qint64 freeBytes = 0;    // available to the user (df)
    qint64 neededBytes = 0;
    QStringList needs;       // "package 12345 B", "backup estimate …", for the message
};

struct StageDiskNeeds
{
    qint64 packageBytes = 0;      // the zip staged in the state directory
    qint64 unpackedBytes = 0;     // the zip unpacked there during install, and copied over the install
    QStringList metadataDirs;     // this host's metadata directories (the backup copies them)
    qint64 marginBytes = 16ll * 1024 * 1024;
};

// Measures, with one command on the host, the free space of the install directory's and the
// state directory's file systems (the nearest existing ancestor when a directory does not
// exist yet), the size of the metadata directories (backup estimate) and of the install's
// binaries (kept as <installDir>.bak-<old> by the install). Needs per area:
//   state directory: package + unpacked package + backup estimate + margin
//   install directory: kept binaries + unpacked package + margin
// Areas on the same file system are merged (their needs add up).
Core::Result<QList<DiskArea>> measureStageDisk(Ssh::RemoteShell &shell, const QString &installDir,
                                               const QString &stateDir, const StageDiskNeeds &needs);

// The same measurement in two halves, for a caller that runs the script inside a larger
// command (the pre-flight): the script prints "df 0|1 <KiB> <mount>", "du meta <i> <KiB>|absent"
// per metadata directory (in needs.metadataDirs order), "du backup <KiB>" and "du binaries <KiB>".
QString stageDiskScript(const QString &installDir, const QString &stateDir, const QStringList &metadataDirs);
struct StageDiskMeasurement
{
    QList<DiskArea> areas;
    QList<qint64> metadataKiB;   // per metadata directory: its size, -1 when it does not exist
    qint64 binariesBytes = 0;    // the install's binaries, kept as <installDir>.bak-<old>
};
// `where` names the host in errors. Fails when a line is missing (naming what was read).
Core::Result<StageDiskMeasurement> parseStageDisk(const QString &output, const QString &installDir,
                                                  const QString &stateDir, const StageDiskNeeds &needs,
                                                  const QString &where);

// Fails when an area has less free space than it needs, naming host, path, free and needed bytes.
Core::Status checkDiskAreas(const QString &host, const QList<DiskArea> &areas);

// ---- node ports after a stop

struct PortProbe
{
    enum class State { Closed, Open, NoAnswer };
    QString alias;
    QString host;
    int port = 0;
    State state = State::Closed;
    QString describe() const;   // "node43 (127.0.0.1:8848): open"
};

// Tries to connect to every node's port (blocking; worker threads only): refused means closed.
// A port that accepts a connection is Open; one that neither accepts nor refuses within
// timeoutMs is NoAnswer (not proven closed).
QList<PortProbe> probeNodePorts(const QList<Core::ClusterNode> &nodes, int timeoutMs = 2000);

// verify-stopped: every node port of the host is closed, probed again until graceMs passed.
// Fails naming each node and port that still accepts a connection (or does not answer).
Core::Status verifyPortsClosed(const QString &host, const QList<Core::ClusterNode> &nodes, int graceMs = 5000,
                               int probeTimeoutMs = 2000);

// ---- clocks

struct HostClock
{
    QString host;
    qint64 offsetMs = 0;        // host clock minus this machine's, at the middle of the round trip
    qint64 uncertaintyMs = 0;   // half the round trip
    QString evidence;           // what was read
};

// From the host's clock read between the local times before and after: milliseconds since
// 1970 (`date +%s%3N`) or seconds with a fraction (bash's $EPOCHREALTIME, `date +%s.%N`).
Core::Result<HostClock> hostClockFromDate(const QString &host, const QString &dateOutput, qint64 beforeMs,
                                          qint64 afterMs);
// Runs `date +%s%3N` on the host.
Core::Result<HostClock> sampleHostClock(Ssh::RemoteShell &shell, const QString &host);

// The pre-flight item "clock-spread": max - min of the hosts' offsets (less the measurement
// uncertainty), with each host's offset as evidence. Warn above warnMs, fail above failMs.
// `unread` (host -> why) lists the hosts whose clock could not be read: the spread between the
// others is no verdict on the cluster, so the item fails naming them.
PreflightItem clockSpreadItem(const QList<HostClock> &clocks, qint64 warnMs, qint64 failMs,
                              const QMap<QString, QString> &unread = {});

// ---- plugins

// A plugin installed on a host: one directory under <installDir>/plugins with its descriptor,
// whose first line reads "name,library[,version]" (Plugin<Name>.txt; older plugins: no version).
struct InstalledPlugin
{
    QString directory;   // "mysql" (the directory under plugins/)
    QString name;        // the descriptor's first field
    QString version;     // "2.00.8" (empty when the descriptor has none)
};

// The plugins in `listing`: lines "<dir>/<file>\t<first line of the file>" (what the
// pre-flight's host command prints for plugins/*/*.txt and *.cfg). Lines whose first line is
// not a descriptor (a README, ...) are skipped; one plugin per directory.
QList<InstalledPlugin> parsePluginListing(const QString &listing);

// The plugins a node loads at start: the "plugins::name" entries of its preloadModules.
QStringList preloadedPlugins(const QString &preloadModules);

// The pre-flight item "plugins:<host>". A plugin must match the target's first three version
// components after the upgrade (PROCEDURE.md), unless the new package brings its own build
// (packagePluginDirs: the directories under server/plugins/ in the zip). A mismatch warns; a
// mismatch in a plugin that a node of this host preloads fails (that node would not start).
// preloadedBy: plugin name (lower case) -> the aliases of this host's nodes that preload it.
PreflightItem pluginItem(const QString &host, const QString &installDir, const QList<InstalledPlugin> &plugins,
                         const QStringList &packagePluginDirs, const QMap<QString, QStringList> &preloadedBy,
                         const QString &targetVersion);

} // namespace GrayStep::Engine
