// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "core/upgradeprofile.h"
#include "ssh/remoteshell.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace GrayStep::Engine {

// Who holds the cluster: one run of one operator (DESIGN.md §6, "one operator at a time").
// Written as key=value lines into <host state dir>/cluster.lock on every host.
struct ClusterLockHolder
{
    QString runId;
    QString user;         // the operator's account on their machine
    QString machine;      // the operator's machine
    qint64 pid = 0;       // the process that took it
    qint64 sinceEpochS = 0;
    QString journal;      // the run's journal, on `machine`
    QString command;      // run, resume, rollback

    // "run 3fa… of alice on ops-laptop (pid 4242, run since 2026-12-08 10:02:11 UTC, journal /…)"
    QString describe() const;
    QJsonObject toJson() const;
    QString toText() const;                         // the file's contents
    static ClusterLockHolder fromText(const QString &text);
    // This process, for run RUNID writing JOURNAL.
    static ClusterLockHolder thisProcess(const QString &runId, const QString &journal, const QString &command);
};

// The lock file on a host.
QString clusterLockPath(const Core::HostAccess &host);

struct ClusterLockHost
{
    QString address;
    Core::HostAccess access;
    std::shared_ptr<Ssh::RemoteShell> shell;   // connected
};

// What taking the lock found and did, for the journal.
struct ClusterLockTaken
{
    QStringList takenOver;                     // hosts whose lock this same run held already (a resume)
    QList<std::pair<QString, ClusterLockHolder>> broken;   // hosts whose foreign lock was broken
};

// How a foreign lock may be broken.
struct ClusterLockPolicy
{
    // The operator confirmed (--break-lock): break any other run's lock, journaled.
    bool breakForeign = false;
    // A foreign lock whose journal is on this machine, not in use, and shows its run finished
    // (or never started) is stale and broken without asking (journaled). Tests turn this off.
    bool breakFinishedRuns = true;
    // The journal this process holds open (its own lock on it is no sign of another user).
    QString ownJournal;
};

// Takes the lock on every host, in the given order, atomically per host (a file created with
// O_EXCL). A lock of the same run id is taken over (a resume or rollback of that run). Another
// run's lock refuses with ErrorCode::Busy naming the holder and since when (the locks this call
// took are released again), unless the policy breaks it. Blocking (SSH).
Core::Result<ClusterLockTaken> acquireClusterLock(const QList<ClusterLockHost> &hosts, const ClusterLockHolder &me,
                                                  const ClusterLockPolicy &policy = {});

// Removes the lock from every host where it is RUNID's (another run's lock is left alone).
// Returns the hosts where it could not be removed (unreachable), each with the reason.
QStringList releaseClusterLock(const QList<ClusterLockHost> &hosts, const QString &runId);

// The lock on one host, if any. Blocking (SSH).
Core::Result<std::optional<ClusterLockHolder>> readClusterLock(Ssh::RemoteShell &shell, const Core::HostAccess &host);

// Whether the journal at PATH (on this machine) shows run RUNID over: not open in a live
// process (OPENHERE: this process has it open, which does not count), and finished
// successfully or holding no record of that run (it stopped between taking the lock and
// writing its run record). False when it cannot be read.
bool journalShowsRunOver(const QString &path, const QString &runId, bool openHere = false);

} // namespace GrayStep::Engine
