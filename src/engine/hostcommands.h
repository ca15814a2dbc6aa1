// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace GrayStep::Engine {

// Quotes one word for a POSIX shell: 'text', with ' written as '\''.
QString shellQuote(const QString &word);

// One directory of metadata to back up, e.g. {"node43/CHUNK_METADATA",
// "/…/clusterDemo/data/node43/storage/CHUNK_METADATA"}.
struct BackupItem
{
    QString label;       // relative path inside the backup directory
    QString sourceDir;   // absolute path on the host
    bool operator==(const BackupItem &) const = default;
};

// The shell commands the engine runs on a host (POSIX sh, GNU/BusyBox userland), in one
// place so the plan can show every command before it runs and tests can run them for
// real against a scratch install tree. Every path is quoted; every script is idempotent
// (running it twice leaves the same state) and ends by printing a marker line
// ("GRAYSTEP-OK <what>") so success is read from the output, not only the exit status.
//
// `installDir` is the server/ directory of an install (holds dolphindb, dolphindb.cfg,
// dolphindb.lic and clusterDemo/).
namespace HostCommands {

// The marker a successful script prints last.
QString okMarker(const QString &what);

// Prints one line "<pid>" per running process whose executable is installDir/dolphindb
// (also when that file has been replaced since the process started).
QString listServerProcesses(const QString &installDir);

// Runs clusterDemo/stopAllNode.sh, then waits up to timeoutS for this install's processes
// to end. Exit 0 and the marker when none is left; exit 4 listing the survivors otherwise.
QString stopAllNodes(const QString &installDir, int timeoutS);

// Starts the controller and/or the agent with the install's own scripts (in clusterDemo/).
QString startControllerAndAgent(const QString &installDir, bool controller, bool agent);

// Copies each item into backupDir/<label> (cp -a) and writes backupDir/MANIFEST: one line
// per file "<sha256>  <size>  <relative path>". Refuses to overwrite a complete backup
// (one with a MANIFEST), so a backup taken before the first install is never replaced by
// one taken after it. Missing source directories are an error (exit 3), never skipped.
QString backupMetadata(const QString &backupDir, const QList<BackupItem> &items);

// Read-only, before a backup: prints "manifest" when backupDir holds a complete backup, and
// "absent:<i>" for each item i whose source directory does not exist.
QString probeBackup(const QString &backupDir, const QList<BackupItem> &items);

// Re-reads every file of the backup and compares with MANIFEST (exit 5 on any difference).
QString verifyBackup(const QString &backupDir);

// Keeps the running binaries in <installDir>.bak-<oldVersion> (everything but clusterDemo/,
// once), unpacks the staged package and copies its server/ files over the install, except
// dolphindb.cfg, dolphindb.lic and clusterDemo/. Exit 3 when the package holds no
// server/dolphindb.
QString installPackage(const QString &installDir, const QString &packageZip, const QString &oldVersion);
// What installPackage does before it touches the install: keep the old binaries and unpack
// the package beside it. Run at stage time (nodes still up) so that the host's window only
// copies files; installPackage skips what this did unless the zip changed since.
QString preparePackage(const QString &installDir, const QString &packageZip, const QString &oldVersion);

// Makes the install equal to <installDir>.bak-<oldVersion> again (except clusterDemo/,
// dolphindb.cfg, dolphindb.lic), removing files the new package added.
QString restoreBinaries(const QString &installDir, const QString &oldVersion);

// Replaces each item's sourceDir by its copy from the (verified) backup.
QString restoreMetadata(const QString &backupDir, const QList<BackupItem> &items);

// "<available KiB>" of the file system holding path (df -Pk).
QString freeSpaceKiB(const QString &path);

// "<sha256>" of a file.
QString sha256OfFile(const QString &path);

} // namespace HostCommands

} // namespace GrayStep::Engine
