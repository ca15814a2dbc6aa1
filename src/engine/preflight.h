// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

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
    QString id;         // "ssh:127.0.10.1", "ha-config", "versions", "compatibility", "whatif:127.0.10.2", ...
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

struct PreflightOptions
{
    int timeoutMs = 60000;   // the whole checklist; items not finished by then fail
    int maxThreads = 64;     // the private pool's size (the checks wait on the network, not the CPU)
    qint64 clockSkewWarnMs = 2000;
    // The spread of the hosts' clock offsets (max - min, less the measurement uncertainty).
    qint64 clockSpreadWarnMs = 1000;
    qint64 clockSpreadFailMs = 30000;
};

// Runs every check, in parallel across hosts and nodes on a private QThreadPool, with a
// bounded time. Read-only. Blocking: call from a worker thread, not the GUI thread.
PreflightReport runPreflight(const Core::UpgradeProfile &profile, const QString &apiPassword,
                             const PreflightOptions &options = {});

} // namespace GrayStep::Engine
