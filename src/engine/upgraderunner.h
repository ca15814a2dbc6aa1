// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "core/upgradeprofile.h"
#include "engine/engineevent.h"
#include "engine/timelinerecorder.h"

#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>

class QThread;

namespace GrayStep::Engine {

struct RunOptions
{
    QString profilePath;          // the profile file (recorded in the journal for resume)
    QString journalPath;          // required
    bool resume = false;          // continue the run recorded in journalPath
    bool canary = false;          // stop after the first host (resumable: `resume` continues)
    bool acceptCompatibilityRisk = false;  // below level 4: must be given explicitly
    // How the operator confirmed it ("--accept-compatibility-risk", "--yes", "prompt", "gui"):
    // journaled with the run record. Sandbox profiles are asked like any other.
    QString compatibilityConfirmedBy;
    bool writer = true;           // run the built-in writer when the profile enables it
    int writerRate = 0;           // rows/s; 0: the profile's
    bool rollbackOnFailure = true;  // roll the failing host back when inside the safe window
    // Rehearsal: a different package for a host (e.g. the sandbox's broken package).
    QMap<QString, QString> packageForHost;
    int pollIntervalMs = 250;
    // Break another run's cluster lock (the operator confirmed it is over); journaled.
    bool breakLock = false;
    // What this process does, for the cluster lock ("run", "resume", "rollback").
    QString command = QStringLiteral("run");
};

// How a run (or resume, or rollback) ended. Only Finished means "done and checked live".
enum class RunEnd {
    Finished,          // every host done and the cluster checked live: it is as the run says
    Failed,            // a step, a gate or the final live check found a problem
    Paused,            // canary, pause or a declined approval: resumable
    AwaitingApproval,  // stopped before a host that needs an approval nobody could give: resumable
    Interrupted,       // aborted on request (Ctrl-C twice, SIGTERM, the GUI's Abort): resumable
    Refused,           // nothing was done: bad input, or the cluster/journal is held by another run
};
QString runEndName(RunEnd end);

// The result of a run (or resume).
struct RunSummary
{
    bool ok = false;              // end == Finished
    bool paused = false;          // canary/pause/approval/interrupt: stopped, resumable
    RunEnd end = RunEnd::Failed;
    Core::ErrorCode failureCode = Core::ErrorCode::Failed;
    QString failure;              // one line, when !ok
    QJsonObject live;             // the live check the final claim rests on (LiveClusterState::toJson)
    QStringList hostsDone;
    QStringList hostsRolledBack;
    QJsonObject continuity;       // the final verdict (when the writer ran)
    qint64 wallMs = 0;
    qint64 unavoidableMs = 0;     // node stop/start and recovery waits (journal)
};

// The host-by-host upgrade (DESIGN.md §3) on its own worker thread. Every step is journaled
// ("intent" before it acts, "done"/"failed" after); mutating host steps run as detached steps
// with ids derived from the run id (a second launch adopts the first: never twice), each one
// appending "<step id> <pid> <epoch>" to the host's execution record (.graystep/executions.log).
// Resume re-verifies on the hosts before skipping a journaled step.
//
// Events are emitted from the worker thread: connect with a context object (queued).
class UpgradeRunner final : public QObject
{
    Q_OBJECT

public:
    UpgradeRunner(Core::UpgradeProfile profile, QString apiPassword, RunOptions options, QObject *parent = nullptr);
    ~UpgradeRunner() override;

    // Starts the worker thread. finished() follows.
    void start();
    // Blocking variant: runs on the calling thread (must not be the GUI thread).
    RunSummary runBlocking();

    // Thread-safe controls.
    void requestPause();          // stop after the current host (resumable)
    void requestAbort();          // stop at the next step boundary (resumable)

    // The host awaiting approval (approvalPerHost), empty when none. Thread-safe.
    QString pendingApproval() const;

public Q_SLOTS:
    // approvalPerHost: continue with the host that awaits approval (no-op when none does).
    // Thread-safe and non-blocking: call from any thread, e.g. the GUI's.
    void approve();
    // Declines the pending approval: the run stops before that host's stop, paused and
    // resumable; `reason` becomes the run's failure text. No-op when no host awaits approval.
    // `nobodyToAsk`: not a "no" but no one could answer (no terminal): the run ends
    // AwaitingApproval instead of Paused.
    void declineApproval(const QString &reason = {}, bool nobodyToAsk = false);
    // Stops at the next step boundary or while waiting for an approval (resumable).
    void abort() { requestAbort(); }

public:

    bool wait(unsigned long ms);
    RunSummary summary() const;
    const TimelineRecorder &timeline() const { return m_timeline; }

    // Rolls one host back from the journal's verified backup (the CLI's `rollback`), under the
    // run's cluster lock; a host rolled back before is checked live (and its nodes started again
    // when they do not run).
    static RunSummary rollbackHost(const Core::UpgradeProfile &profile, const QString &apiPassword,
                                   const QString &journalPath, const QString &host,
                                   const std::function<void(const EngineEvent &)> &onEvent = {}, bool breakLock = false);

Q_SIGNALS:
    void event(const GrayStep::Engine::EngineEvent &event);
    // approvalPerHost: emitted (from the worker thread) after HOST's gate passed, before any of
    // its nodes is stopped; the worker waits for approve(), declineApproval() or abort().
    // Also sent as an EngineEvent of kind ApprovalRequested.
    void approvalRequested(const QString &host, const QStringList &aliases);
    void finished(bool ok);

private:
    class Work;
    friend class Work;
    void emitEvent(EngineEvent e);

    Core::UpgradeProfile m_profile;
    QString m_password;
    RunOptions m_options;
    TimelineRecorder m_timeline;
    std::unique_ptr<QThread> m_thread;
    std::atomic<bool> m_pause{false};
    std::atomic<bool> m_abort{false};
    // Approval handshake: m_approvalAsked is the pending request's number (0: none),
    // m_approvalAnswered the number approve()/declineApproval() answered.
    std::atomic<qint64> m_approvalAsked{0};
    std::atomic<qint64> m_approvalAnswered{0};
    std::atomic<bool> m_approvalGranted{false};
    std::atomic<bool> m_approvalNobody{false};
    QString m_pendingHost;        // under m_mutex
    QString m_declineReason;      // under m_mutex
    mutable QMutex m_mutex;
    RunSummary m_summary;
};

// Reads a run's profile path and options from its journal (for `resume`).
Core::Result<RunOptions> runOptionsFromJournal(const QString &journalPath);

// A new run asked to write REQUESTED.journalPath: a journal without a run (or none) keeps the
// request; a journal holding the same run of the same profile (same profile file and target)
// gives that run's options, to resume it; a journal holding another run is refused
// (InvalidInput, naming it).
Core::Result<RunOptions> optionsForNewRun(const RunOptions &requested, const QString &targetVersion);

} // namespace GrayStep::Engine
