// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/result.h"
#include "core/upgradeprofile.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace GrayStep::Engine {

// One item of the pre-flight checklist (DESIGN.md §3).
struct PreflightItem
{
    enum class Verdict { Pass, Warn, Fail };
    QString id;         // "ssh:127.0.10.1", "ha-raft", "versions", "compatibility", "whatif:127.0.10.2", ...
                        // (the ids follow from the profile and its topology alone: preflightItemIds())
    QString title;
    Verdict verdict = Verdict::Pass;
    QString evidence;   // what was read, from which node or host
    QString fixHint;    // empty when passing
    bool needsConfirmation = false;  // a warn the operator must accept explicitly (compatibility)
    qint64 finishedAtMs = 0;         // when the answer came, from the start of the checklist

    QJsonObject toJson() const;
    static QString verdictName(Verdict v);
};

struct PreflightReport
{
    QList<PreflightItem> items;    // sorted by id
    qint64 elapsedMs = 0;
    QString leaderAlias;
    QString leaderHost;

    bool anyFailed() const;
    bool needsConfirmation() const;
    QJsonObject toJson() const;
    QString toText() const;
};

// How long one host is expected to be down (its nodes stopped until they run again), against
// which dfsRecoveryWaitTime is judged.
struct DowntimeEstimate
{
    qint64 ms = 0;
    QString source;   // said in the evidence: where the figure comes from
};
// The documented default: 120 s (a stop of up to 60 s for the stop script, the backup, the
// install and a start with a redo-log replay), for a cluster whose hosts were never measured.
// Rehearse on the sandbox, or give an earlier run's journal, to replace it.
DowntimeEstimate defaultHostDowntime();
// The longest host window of an earlier run: from the "intent" record of a host's "stop" step to
// the "done" record of its "start" step (the runner's step ids). Fails naming the file when it
// cannot be read or holds no complete window.
Core::Result<DowntimeEstimate> hostDowntimeFromJournal(const QString &journalPath);

struct PreflightOptions
{
    // The whole checklist. Every item has an answer when it returns: one that did not complete
    // by then fails, naming what did not answer; the set of items never depends on timing.
    int timeoutMs = 60000;
    DowntimeEstimate hostDowntime = defaultHostDowntime();
    int maxThreads = 64;     // the private pool's size (the checks wait on the network, not the CPU)
    qint64 clockSkewWarnMs = 2000;
    // The spread of the hosts' clock offsets (max - min, less the measurement uncertainty).
    qint64 clockSpreadWarnMs = 1000;
    qint64 clockSpreadFailMs = 30000;
};

// The ids of every item runPreflight() returns for this profile and topology (sorted), whatever
// answers and however fast: cluster items, per host (ssh, install, clock, disk, plugins,
// metadata, config, whatif), per node (api).
QStringList preflightItemIds(const Core::UpgradeProfile &profile, const Core::ClusterTopology &topology);

// Runs every check, in parallel across hosts and nodes on a private QThreadPool, with a
// bounded time. Read-only. Blocking: call from a worker thread, not the GUI thread.
PreflightReport runPreflight(const Core::UpgradeProfile &profile, const QString &apiPassword,
                             const PreflightOptions &options = {});

} // namespace GrayStep::Engine
