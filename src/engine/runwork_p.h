// SPDX-License-Identifier: GPL-3.0-or-later
// The work of one run on the worker thread (private to the runner's files): journaled steps,
// host command execution, cluster waits. runflow.cpp holds the run from start to end,
// runhoststeps.cpp the host steps, runwriter.cpp the writer and its checks, runrollback.cpp
// rollback, upgraderunner.cpp the runner's public controls.
#pragma once

#include "engine/upgraderunner.h"

#include "core/ddbversion.h"
#include "core/filedigest.h"
#include "dolphindb/scripts.h"
#include "engine/clusteraccess.h"
#include "engine/clusterlock.h"
#include "engine/continuityanalyzer.h"
#include "engine/continuityreader.h"
#include "engine/ddbwritertransport.h"
#include "engine/hostchecks.h"
#include "engine/hostcommands.h"
#include "engine/hostgate.h"
#include "engine/journal.h"
#include "engine/livecheck.h"
#include "engine/packageinspection.h"
#include "engine/upgradeplan.h"
#include "engine/upgradesteps.h"
#include "engine/writerlog.h"
#include "engine/writerprobe.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QThread>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <functional>
#include <limits>

// Private to the runner's .cpp files, which all read better with these.
using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

using namespace GrayStep::Core;
using namespace GrayStep::DolphinDb;
using Outcome = EngineEvent::Outcome;

namespace RunDetail {

inline Core::Error stepError(const QString &host, const QString &step, const QString &message)
{
    return Core::Error(Core::ErrorCode::Failed, message, u"host %1, step %2"_s.arg(host, step));
}

inline QString lastLines(const QByteArray &data, int n = 8)
{
    QStringList lines = QString::fromUtf8(data).split(u'\n', Qt::SkipEmptyParts);
    if (lines.size() > n) {
        lines = lines.mid(lines.size() - n);
    }
    return lines.join(u" | "_s);
}

} // namespace RunDetail

using RunDetail::lastLines;
using RunDetail::stepError;

// ------------------------------------------------------------------------------------------
// The work of one run, on the worker thread.
// ------------------------------------------------------------------------------------------
class UpgradeRunner::Work
{
public:
    Work(UpgradeRunner *owner)
        : q(owner)
        , m_profile(owner->m_profile)
        , m_options(owner->m_options)
    {}

    RunSummary run();
    RunSummary rollbackOnly(const QString &host);

    // ---- how a run ends (runflow.cpp)
    RunSummary end(RunEnd how, const Error &e, const QString &finishedText = {});
    Error withWayOut(Error e) const;
    QStringList checkLive(const QString &version, const QSet<QString> &hosts = {}, bool chunksComplete = true);
    Status openJournalAndCluster();
    Status connectAllHosts();
    Status takeClusterLock();
    void journalClusterLock();

    UpgradeRunner *q;
    UpgradeProfile m_profile;
    RunOptions m_options;
    std::unique_ptr<Journal> m_journal;
    std::unique_ptr<ClusterAccess> m_cluster;
    QMap<QString, std::shared_ptr<Ssh::RemoteShell>> m_shells;
    QString m_runId;
    QString m_fromVersion;
    RunSummary m_summary;
    std::unique_ptr<WriterLog> m_writerLog;
    std::unique_ptr<WriterProbe> m_writer;
    QElapsedTimer m_wall;
    QSet<QString> stageContinues;   // hosts whose upload a crash cut short
    QList<ClusterLockHost> m_lockHosts;   // where this process holds the cluster lock
    ClusterLockTaken m_lockTaken;
    ClusterLockHolder m_lockHolder;
    bool m_detachedLost = false;   // the last detached() could not run its step at all
    bool m_recordEnd = true;       // end() journals how the process ended

    // ---- events and journal
    void emitEvent(EngineEvent::Kind kind, Outcome outcome, const QString &host, const QString &step,
                   const QString &text, const QJsonObject &details = {})
    {
        EngineEvent e;
        e.kind = kind;
        e.outcome = outcome;
        e.host = host;
        e.step = step;
        e.text = text;
        e.details = details;
        q->emitEvent(e);
    }
    void message(const QString &text, const QString &host = {}) { emitEvent(EngineEvent::Kind::Message, Outcome::None, host, {}, text); }

    // A host's window of unavailability: opened once (HostDown), closed once (HostUp), also
    // across a resume, whose replay of the journal opens/closes the windows of the earlier
    // process with the journal's times (wallMs != 0).
    QSet<QString> m_down;
    QSet<QString> m_windowSeen;
    void hostDown(const QString &host, const QString &step, const QString &text, qint64 wallMs = 0)
    {
        if (m_down.contains(host)) {
            return;
        }
        m_down.insert(host);
        m_windowSeen.insert(host);
        EngineEvent e;
        e.kind = EngineEvent::Kind::HostDown;
        e.host = host;
        e.step = step;
        e.text = text;
        e.wallMs = wallMs;
        q->emitEvent(e);
    }
    void hostUp(const QString &host, Outcome outcome, const QString &step, const QString &text, qint64 wallMs = 0)
    {
        if (!m_down.remove(host)) {
            return;
        }
        EngineEvent e;
        e.kind = EngineEvent::Kind::HostUp;
        e.outcome = outcome;
        e.host = host;
        e.step = step;
        e.text = text;
        e.wallMs = wallMs;
        q->emitEvent(e);
    }
    void replayHostWindows(const QList<JournalRecord> &records)
    {
        for (const EngineEvent &e : hostWindowEventsFromJournal(records)) {
            if (e.kind == EngineEvent::Kind::HostDown) {
                hostDown(e.host, e.step, e.text, e.wallMs);
            } else {
                hostUp(e.host, e.outcome, e.step, e.text, e.wallMs);
            }
        }
    }

    // approvalPerHost: asks for HOST and waits (polling, abortable) for the answer.
    Status awaitApproval(const QString &host)
    {
        const QStringList aliases = aliasesOn(host);
        qint64 token = 0;
        {
            QMutexLocker lock(&q->m_mutex);
            q->m_pendingHost = host;
            q->m_declineReason.clear();
            q->m_approvalGranted = false;
            q->m_approvalNobody = false;
            token = q->m_approvalAnswered.load() + 1;
            q->m_approvalAsked = token;
        }
        emitEvent(EngineEvent::Kind::ApprovalRequested, Outcome::None, host, u"approval"_s,
                  u"Upgrade host %1 (%2) now?"_s.arg(host, aliases.join(u", "_s)),
                  QJsonObject{{u"aliases"_s, QJsonArray::fromStringList(aliases)}});
        Q_EMIT q->approvalRequested(host, aliases);
        while (q->m_approvalAnswered.load() < token && !m_abortRequested()) {
            QThread::msleep(50);
        }
        bool granted = false;
        QString reason;
        {
            QMutexLocker lock(&q->m_mutex);
            granted = q->m_approvalAnswered.load() >= token && q->m_approvalGranted.load();
            reason = q->m_declineReason;
            q->m_pendingHost.clear();
            q->m_approvalAsked = 0;
        }
        if (!granted) {
            if (reason.isEmpty()) {
                reason = u"host %1 was not approved (aborted while it awaited approval)"_s.arg(host);
            }
            message(reason + u"; none of its nodes was stopped"_s, host);
            return Error(ErrorCode::Cancelled, reason + u"; none of its nodes was stopped (resume asks again)"_s);
        }
        if (Status s = record(u"approved"_s, host); !s) {
            return s;
        }
        message(u"host %1 approved"_s.arg(host), host);
        return {};
    }

    Status record(const QString &kind, const QString &host = {}, const QString &step = {}, const QJsonObject &data = {})
    {
        Result<JournalRecord> r = m_journal->append(kind, host, step, data);
        if (!r) {
            return r.error();
        }
        return {};
    }

    // A finished rollback, or the restart after a failed backup, returns the host to the old
    // version: the attempt is over.
    static bool endsAttempt(const JournalRecord &r)
    {
        return r.kind == u"done"_s && (r.step == stepKey(StepId::RollbackStart) || r.step == stepKey(StepId::Restart));
    }
    // A host that was rolled back starts a new attempt: the records of the attempt before (up
    // to its finished rollback) no longer describe the host. Returns that record's seq (0: none).
    qint64 epochOf(const QString &host) const
    {
        qint64 epoch = 0;
        for (const JournalRecord &r : m_journal->records()) {
            if (r.host == host && endsAttempt(r)) {
                epoch = r.seq;
            }
        }
        return epoch;
    }
    int attemptOf(const QString &host) const
    {
        int n = 1;
        for (const JournalRecord &r : m_journal->records()) {
            n += r.host == host && endsAttempt(r) ? 1 : 0;
        }
        return n;
    }
    // The host's last attempt ended in a finished rollback and nothing was started since.
    bool rolledBackLast(const QString &host) const
    {
        const qint64 epoch = epochOf(host);
        if (epoch == 0) {
            return false;
        }
        for (const JournalRecord &r : m_journal->records()) {
            if (r.seq > epoch && r.host == host && r.kind == u"intent"_s && !r.step.startsWith(u"rollback"_s)) {
                return false;
            }
        }
        return true;
    }
    // The run id, with the host's attempt when it is a retry: names its detached steps and its
    // backup directory, so a retry never adopts (or overwrites) what the attempt before left.
    QString runTag(const QString &host) const
    {
        const int attempt = attemptOf(host);
        return attempt > 1 ? u"%1-a%2"_s.arg(m_runId).arg(attempt) : m_runId;
    }

    // The last intent/done/failed record of a step in the host's current attempt.
    std::optional<JournalRecord> lastRecord(const QString &host, const QString &step) const
    {
        const qint64 epoch = epochOf(host);
        std::optional<JournalRecord> found;
        for (const JournalRecord &r : m_journal->records()) {
            if (r.host == host && r.step == step && r.seq > epoch
                && (r.kind == u"intent"_s || r.kind == u"done"_s || r.kind == u"failed"_s)) {
                found = r;
            }
        }
        return found;
    }
    bool isDone(const QString &host, const QString &step) const
    {
        auto r = lastRecord(host, step);
        return r && r->kind == u"done"_s;
    }
    bool hasAnyRecord(const QString &host, const QString &step) const { return lastRecord(host, step).has_value(); }
    bool hostFinished(const QString &host) const
    {
        for (const JournalRecord &r : m_journal->records()) {
            if (r.kind == u"host-done"_s && r.host == host) {
                return true;
            }
        }
        return false;
    }

    // Runs one journaled step. `verify` (optional) re-checks a journaled "done" on the host
    // before skipping it; `act` is idempotent (check -> act -> verify) and returns details.
    // A read-only check (`check`) is never skipped: what it found before may not hold now.
    Result<QJsonObject> step(const QString &host, const QString &id, const std::function<Result<QJsonObject>()> &act,
                             const std::function<Status()> &verify = {}, bool check = false)
    {
        StepScope scope{host, id, {}, t_scope};
        t_scope = &scope;
        const auto leave = qScopeGuard([&scope] { t_scope = scope.outer; });
        if (m_options.resume && !check) {
            std::optional<JournalRecord> last = lastRecord(host, id);
            if (last && last->kind == u"done"_s) {
                if (verify) {
                    if (Status v = verify(); !v) {
                        return stepError(host, id,
                                         u"the journal says this step is done, but the host does not show it: %1"_s.arg(
                                             v.error().message));
                    }
                }
                emitEvent(EngineEvent::Kind::StepFinished, Outcome::Skipped, host, id, u"already done (verified)"_s);
                return last->data;
            }
        }
        if (m_abortRequested()) {
            return Error(ErrorCode::Cancelled, u"aborted before step %1 on %2 (resume continues)"_s.arg(id, host));
        }
        emitEvent(EngineEvent::Kind::StepStarted, Outcome::None, host, id, id);
        if (Status s = record(u"intent"_s, host, id); !s) {
            return s.error();
        }
        QElapsedTimer t;
        t.start();
        Result<QJsonObject> r = act();
        if (!r) {
            (void)record(u"failed"_s, host, id, QJsonObject{{u"error"_s, r.error().message}, {u"ms"_s, t.elapsed()}});
            emitEvent(EngineEvent::Kind::StepFinished, Outcome::Failed, host, id, r.error().message);
            return r;
        }
        QJsonObject data = *r;
        data.insert(u"ms"_s, t.elapsed());
        if (Status s = record(u"done"_s, host, id, data); !s) {
            return s.error();
        }
        emitEvent(EngineEvent::Kind::StepFinished, Outcome::Ok, host, id, u"done in %1 ms"_s.arg(t.elapsed()), data);
        return data;
    }

    bool m_abortRequested() const { return q->m_abort.load(); }

    // ---- commands: each command a step runs is announced (a Command event) before it first
    // runs in that step; a repeat (a poll, a retry) is not announced again. The step in flight
    // is per thread (hosts stage in parallel).
    struct StepScope
    {
        QString host;
        QString step;
        QSet<QString> announced;
        StepScope *outer = nullptr;
    };
    static inline thread_local StepScope *t_scope = nullptr;
    void announce(const QString &host, const QString &step, const StepCommand &c, const QString &detachedStep = {})
    {
        StepScope *scope = t_scope && (host.isEmpty() || t_scope->host == host) ? t_scope : nullptr;
        const QString text = c.display();
        if (scope) {
            if (scope->announced.contains(text)) {
                return;
            }
            scope->announced.insert(text);
        }
        QJsonObject details{{u"kind"_s, StepCommand::kindName(c.kind)}};
        if (!c.target.isEmpty()) {
            details.insert(u"target"_s, c.target);
        }
        if (!detachedStep.isEmpty()) {
            details.insert(u"detached"_s, detachedStep);
        }
        if (!c.when.isEmpty()) {
            details.insert(u"when"_s, c.when);
        }
        emitEvent(EngineEvent::Kind::Command, Outcome::None, scope ? scope->host : host, scope ? scope->step : step, text,
                  details);
    }
    // The DolphinDB scripts a step sends (through m_cluster, also from checkHostGate and the
    // waits); scripts sent outside a step (choosing the next host, the final live check) are
    // not a step's commands.
    void announceClusterScripts()
    {
        m_cluster->setScriptObserver([this](const QString &target, const QString &script) {
            if (t_scope) {
                announce({}, {}, StepCommands::ddb(target, script));
            }
        });
    }
    // The commands' input for a host: its configuration, this run's ids, the metadata paths its
    // gate read (journaled).
    HostStepInput hostInput(const QString &host) const
    {
        return hostStepInput(m_cluster->topology(), m_profile, access(host), packageFor(host), m_fromVersion, runTag(host),
                             journaledPaths(host));
    }

    // ---- host shells
    Ssh::RemoteShell &shell(const QString &host) { return *m_shells.value(host); }
    const HostAccess &access(const QString &host) const { return *m_profile.host(host); }
    int hostIndex(const QString &host) const
    {
        for (int i = 0; i < m_profile.hosts.size(); ++i) {
            if (m_profile.hosts[i].address == host) {
                return i + 1;
            }
        }
        return 0;
    }

    Result<Ssh::ExecResult> exec(const QString &host, const QString &step, const QString &script, int timeoutMs = 60000)
    {
        announce(host, step, StepCommands::shell(script));
        Ssh::ExecOptions o;
        o.totalTimeoutMs = timeoutMs;
        o.onStdoutLine = [this, host, step](const QString &line) {
            emitEvent(EngineEvent::Kind::StepOutput, Outcome::None, host, step, line);
        };
        o.onStderrLine = o.onStdoutLine;
        return shell(host).exec(script, o);
    }

    // A mutating host command as a detached step: launched at most once per (run, host, name)
    // — a later call (after a crash) adopts it, waits for it and reads its result. The command
    // first appends its id to the host's execution record.
    Result<QString> detached(const QString &host, const StepCommand &c, const QString &okWhat, int timeoutMs = 300000)
    {
        return detached(host, c.detached, c.text, okWhat, timeoutMs);
    }
    Result<QString> detached(const QString &host, const QString &name, const QString &script, const QString &okWhat,
                             int timeoutMs = 300000)
    {
        announce(host, name, StepCommands::shell(script, name), detachedId(host, name));
        const HostAccess &a = access(host);
        Ssh::DetachedStep d;
        d.stateDir = hostStepDir(a);
        d.holdMs = 2000;   // a short step is launched, waited for and read in one command
        Result<Ssh::DetachedStatus> st = Error(ErrorCode::Internal, u"not launched"_s);
        // A launch whose runner is gone without a result (lost: killed, a reboot, a disk too full
        // to record its start) is not running: the step runs again under the next retry id (the
        // host commands are idempotent); one still running or finished is adopted, never twice.
        for (int retry = 1;; ++retry) {
            d.id = detachedId(host, name) + (retry > 1 ? u"-r%1"_s.arg(retry) : QString());
            d.command = u"echo \"%1 $$ $(date +%s)\" >> %2\n"_s.arg(d.id, shellQuote(hostExecutionLog(a))) + script;
            st = shell(host).startDetached(d);
            if (!st) {
                return st.error();
            }
            if (st->state != Ssh::DetachedStatus::State::Lost || st->launchedNow || retry >= 5) {
                break;
            }
            message(u"step %1 was launched before, but its process is gone without a result: running it again as %1-r%2"_s.arg(
                        detachedId(host, name)).arg(retry + 1),
                    host);
        }
        if (st->state == Ssh::DetachedStatus::State::Lost) {
            m_detachedLost = true;
            return stepError(host, name, u"%1 could not run: its process is gone without a result%2"_s.arg(
                                             name, diskHint(host)));
        }
        if (!st->launchedNow) {
            message(u"step %1 was already launched on the host (state %2): adopting it, not starting it again"_s.arg(
                        d.id, Ssh::DetachedStatus::stateName(st->state)),
                    host);
        }
        Result<Ssh::DetachedStatus> done = st;
        if (st->state != Ssh::DetachedStatus::State::Finished) {
            Ssh::WaitOptions w;
            w.totalTimeoutMs = timeoutMs;
            done = shell(host).waitDetached(d.id, d.stateDir, w);
            if (!done) {
                return done.error();
            }
        }
        // RemoteShell's status read can see "running" in the status file and then a runner that
        // has just exited after writing "finished" (a check-then-read race): read it again.
        for (int again = 0; again < 3 && done->state == Ssh::DetachedStatus::State::Lost; ++again) {
            QThread::msleep(200);
            Result<Ssh::DetachedStatus> st2 = shell(host).detachedStatus(d.id, d.stateDir);
            if (st2) {
                done = st2;
            }
        }
        Result<QByteArray> out = done->hasOutput ? Result<QByteArray>(done->output) : shell(host).detachedOutput(d.id, d.stateDir);
        const QByteArray outText = out ? *out : QByteArray();
        for (const QString &line : QString::fromUtf8(outText).split(u'\n', Qt::SkipEmptyParts)) {
            emitEvent(EngineEvent::Kind::StepOutput, Outcome::None, host, name, line);
        }
        if (done->state != Ssh::DetachedStatus::State::Finished || done->exitCode != 0
            || !QString::fromUtf8(outText).contains(HostCommands::okMarker(okWhat))) {
            Result<QByteArray> err = shell(host).detachedOutput(d.id, d.stateDir, true);
            return stepError(host, name,
                             u"%1 failed (%2, exit %3): %4 %5%6"_s.arg(name, Ssh::DetachedStatus::stateName(done->state))
                                 .arg(done->exitCode)
                                 .arg(lastLines(outText), err ? lastLines(*err) : QString(),
                                      done->state == Ssh::DetachedStatus::State::Lost || done->exitCode != 0 ? diskHint(host)
                                                                                                             : QString()));
        }
        return QString::fromUtf8(outText);
    }

    // "; the file system of /x is full (0 KiB free)" when the host's state or install directory
    // has (almost) no space left: the usual reason a step dies without a word. Empty otherwise.
    QString diskHint(const QString &host)
    {
        const HostAccess &a = access(host);
        Ssh::ExecOptions o;
        o.totalTimeoutMs = 10000;
        QStringList full;
        for (const QString &dir : {hostStateDir(a), QDir::cleanPath(a.installDir)}) {
            Result<Ssh::ExecResult> r = shell(host).exec(HostCommands::freeSpaceKiB(dir), o);
            bool ok = false;
            const qint64 kib = r && r->succeeded() ? QString::fromUtf8(r->stdoutData).trimmed().toLongLong(&ok) : -1;
            if (ok && kib < 1024) {
                full << u"%1 (%2 KiB free)"_s.arg(dir).arg(kib);
            }
        }
        return full.isEmpty() ? QString() : u"; the file system is full: %1. Free space on the host"_s.arg(full.join(u", "_s));
    }

    QString detachedId(const QString &host, const QString &name) const
    {
        return detachedStepId(runTag(host), hostIndex(host), name);
    }
    // The host-side state of a detached step of this run (Absent when never launched).
    Ssh::DetachedStatus::State detachedState(const QString &host, const QString &name)
    {
        Result<Ssh::DetachedStatus> st = shell(host).detachedStatus(detachedId(host, name), hostStepDir(access(host)));
        return st ? st->state : Ssh::DetachedStatus::State::Absent;
    }

    // ---- cluster helpers
    // Retries a leader call while an election runs.
    Result<DdbValue> onLeader(const QString &script, int patienceMs = 30000)
    {
        QElapsedTimer t;
        t.start();
        for (;;) {
            Result<DdbValue> r = m_cluster->runOnLeader(script);
            if (r || t.elapsed() > patienceMs || m_abortRequested()) {
                return r;
            }
            if (r.error().code == ErrorCode::Server && !r.error().message.contains(u"NotLeader"_s)
                && !r.error().message.contains(u"ControllerNotAvail"_s)) {
                return r;
            }
            QThread::msleep(200);
        }
    }

    Result<QSet<QString>> aliveNodes()
    {
        Result<DdbValue> v = onLeader(Scripts::clusterPerf(true));
        if (!v) {
            return v.error();
        }
        Result<QList<DolphinDb::ClusterNode>> perf = readClusterPerf(*v);
        if (!perf) {
            return perf.error();
        }
        QSet<QString> alive;
        for (const DolphinDb::ClusterNode &n : *perf) {
            if (n.alive) {
                alive.insert(n.name);
            }
        }
        return alive;
    }

    // Waits until every chunk is COMPLETE. Stall: the set of incomplete chunks unchanged for
    // stallTimeoutS; timeout: recoveryTimeoutS. Errors name the chunks.
    Status waitChunksComplete(const QString &host, const QString &step)
    {
        QElapsedTimer total;
        total.start();
        QElapsedTimer sinceChange;
        sinceChange.start();
        QStringList previous;
        bool first = true;
        for (;;) {
            Result<DdbValue> v = onLeader(Scripts::clusterChunksStatus());
            QStringList incomplete;
            QString lastError;
            if (v) {
                Result<QList<ChunkStatus>> chunks = readChunkStatus(*v);
                if (!chunks) {
                    return chunks.error();
                }
                for (const ChunkStatus &c : *chunks) {
                    if (!c.isComplete()) {
                        incomplete << u"%1 (%2, %3)"_s.arg(c.chunkId, c.file, c.state);
                    }
                }
                if (incomplete.isEmpty()) {
                    return {};
                }
            } else {
                lastError = v.error().message;
                incomplete << u"<unreadable: %1>"_s.arg(lastError);
            }
            if (first || incomplete != previous) {
                emitEvent(EngineEvent::Kind::GateResult, Outcome::Warn, host, step,
                          u"%1 chunk(s) not COMPLETE: %2"_s.arg(incomplete.size()).arg(incomplete.mid(0, 5).join(u", "_s)));
                previous = incomplete;
                sinceChange.restart();
                first = false;
            }
            if (sinceChange.elapsed() > qint64(m_profile.gates.stallTimeoutS) * 1000) {
                return stepError(host, step,
                                 u"recovery stalled: no progress for %1 s; chunks not COMPLETE: %2"_s.arg(
                                     m_profile.gates.stallTimeoutS).arg(incomplete.join(u", "_s)));
            }
            if (total.elapsed() > qint64(m_profile.gates.recoveryTimeoutS) * 1000) {
                return stepError(host, step,
                                 u"recovery timed out after %1 s; chunks not COMPLETE: %2"_s.arg(
                                     m_profile.gates.recoveryTimeoutS).arg(incomplete.join(u", "_s)));
            }
            if (m_abortRequested()) {
                return Error(ErrorCode::Cancelled, u"aborted while waiting for recovery"_s);
            }
            QThread::msleep(uint(m_options.pollIntervalMs));
        }
    }

    // Until every alias answers (fresh connections), the deadline, or the host shows that a node
    // cannot come: fewer processes of its install run than nodes should (one exited at start,
    // e.g. a full disk or a broken binary), twice in a row from 5 s on.
    Status waitNodesAnswer(const QString &host, const QStringList &aliases, int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        QSet<QString> answered;
        qint64 nextProcessCheck = 5000;
        int shortChecks = 0;
        for (;;) {
            QString waitingFor;
            QString lastError;
            for (const QString &a : aliases) {
                if (answered.contains(a)) {
                    continue;
                }
                m_cluster->close(a);
                if (Result<QString> v = m_cluster->nodeVersion(a); v) {
                    answered.insert(a);
                } else if (waitingFor.isEmpty()) {
                    waitingFor = a;
                    lastError = v.error().message;
                }
            }
            if (answered.size() == aliases.size()) {
                return {};
            }
            if (t.elapsed() > timeoutMs) {
                return stepError(host, stepKey(StepId::Start),
                                 u"%1 does not answer after %2 s: %3"_s.arg(waitingFor).arg(timeoutMs / 1000).arg(lastError));
            }
            if (m_abortRequested()) {
                return Error(ErrorCode::Cancelled, u"aborted while waiting for %1 to answer"_s.arg(waitingFor));
            }
            if (t.elapsed() >= nextProcessCheck) {
                nextProcessCheck = t.elapsed() + 2000;
                // Nodes that should run: those waited for, and the host's others that answer.
                int expected = int(aliases.size());
                for (const QString &other : aliasesOn(host)) {
                    expected += !aliases.contains(other) && m_cluster->nodeVersion(other) ? 1 : 0;
                }
                Ssh::ExecOptions o;
                o.totalTimeoutMs = 15000;
                const StepCommand check = StepCommands::processCheck(hostInput(host));
                announce(host, stepKey(StepId::Start), check);
                Result<Ssh::ExecResult> ps = shell(host).exec(check.text, o);
                const int running = ps && ps->succeeded()
                                        ? int(QString::fromUtf8(ps->stdoutData).split(u'\n', Qt::SkipEmptyParts).size())
                                        : expected;
                shortChecks = running < expected ? shortChecks + 1 : 0;
                if (shortChecks >= 2) {
                    return stepError(host, stepKey(StepId::Start),
                                     u"%1 does not answer (%2), and only %3 of the %4 node processes that should run on "
                                     "the host do: it exited at start. Its log is under %5/clusterDemo/log%6"_s.arg(waitingFor, lastError)
                                         .arg(running)
                                         .arg(expected)
                                         .arg(QDir::cleanPath(access(host).installDir), diskHint(host)));
                }
            }
            QThread::msleep(200);
        }
    }

    QStringList aliasesOn(const QString &host, std::optional<Core::NodeMode> mode = std::nullopt) const
    {
        QStringList out;
        for (const Core::ClusterNode &n : m_cluster->nodesOnHost(host)) {
            if (!mode || n.mode == *mode) {
                out << n.alias;
            }
        }
        return out;
    }

    QString packageFor(const QString &host) const { return m_options.packageForHost.value(host, m_profile.packagePath); }

    // ---- the steps
    Result<QJsonObject> stage(const QString &host);
    Status upgradeHost(const QString &host);
    Status rollback(const QString &host, const QList<BackupItem> &items);
    Status startHostNodes(const QString &host, const QString &stepName);
    QMap<QString, QString> journaledPaths(const QString &host) const;
    QList<BackupItem> journaledBackupItems(const QString &host, const QList<BackupItem> &fallback) const
    {
        auto r = lastRecord(host, stepKey(StepId::Backup));
        if (!r || r->kind != u"done"_s) {
            return fallback;
        }
        QList<BackupItem> items;
        for (const QJsonValue &v : r->data.value(u"items"_s).toArray()) {
            items.append({v.toObject().value(u"label"_s).toString(), v.toObject().value(u"source"_s).toString()});
        }
        return items;
    }
    void startWriter();
    void finishWriter();
    Result<QJsonObject> continuityCheckpoint(const QString &host);
    // One script on the first data node that answers (reads that any replica can serve).
    Result<DdbValue> runOnAnyDataNode(const QString &script, int timeoutMs);
    Status checkStageDisk();
    Status checkPortsClosed(const QString &host);
};

} // namespace GrayStep::Engine
