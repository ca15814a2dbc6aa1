// SPDX-License-Identifier: GPL-3.0-or-later
// The run from start to end: journal, cluster lock, staging, host by host, the final live check.
#include "engine/runwork_p.h"

namespace GrayStep::Engine {

// How this process ends: the summary, the journal's "finished" record (not for a refusal,
// which did nothing), the event, and the cluster lock given back when the cluster is left
// consistent (finished, or nothing upgraded and no host down) and kept otherwise.
RunSummary UpgradeRunner::Work::end(RunEnd how, const Error &e, const QString &finishedText)
{
    m_summary.end = how;
    m_summary.ok = how == RunEnd::Finished;
    m_summary.paused = how == RunEnd::Paused || how == RunEnd::AwaitingApproval || how == RunEnd::Interrupted;
    m_summary.failure = m_summary.ok ? QString() : e.toString();
    m_summary.failureCode = m_summary.ok ? ErrorCode::Failed : e.code;
    m_summary.wallMs = m_wall.elapsed();
    const bool rollbackCommand = m_options.command == u"rollback"_s;
    if (m_journal && m_recordEnd && how != RunEnd::Refused && (how != RunEnd::Finished || rollbackCommand)) {
        (void)record(rollbackCommand ? u"rollback-ended"_s : m_summary.paused ? u"paused"_s : u"finished"_s, {}, {},
                     QJsonObject{{u"ok"_s, m_summary.ok}, {u"end"_s, runEndName(how)}, {u"error"_s, m_summary.failure}});
    }
    if (!m_lockHosts.isEmpty()) {
        bool anyHostDone = false;
        for (const JournalRecord &r : m_journal->records()) {
            anyHostDone = anyHostDone || r.kind == u"host-done"_s;
        }
        if (m_summary.ok || (!anyHostDone && m_down.isEmpty())) {
            const QStringList left = releaseClusterLock(m_lockHosts, m_runId);
            if (!left.isEmpty()) {
                message(u"the cluster lock could not be removed from %1; the next run sees this run's journal as "
                        "finished and takes it over"_s.arg(left.join(u", "_s)));
            }
        } else {
            message(u"the cluster stays locked by run %1 (hosts upgraded or down): only this run's journal can "
                    "resume or roll back; another run needs --break-lock"_s.arg(m_runId));
        }
    }
    const Outcome outcome = how == RunEnd::Finished ? Outcome::Ok
                            : m_summary.paused      ? Outcome::Cancelled
                                                    : Outcome::Failed;
    emitEvent(EngineEvent::Kind::RunFinished, outcome, {}, {},
              how != RunEnd::Finished    ? m_summary.failure
              : !finishedText.isEmpty() ? finishedText
                                        : u"every node runs %1 (checked live)"_s.arg(m_profile.targetVersion),
              QJsonObject{{u"end"_s, runEndName(how)}, {u"live"_s, m_summary.live}, {u"wallMs"_s, m_summary.wallMs}});
    return m_summary;
}

// A failure that leaves hosts down says so, and how to go on from here.
Error UpgradeRunner::Work::withWayOut(Error e) const
{
    for (const QString &host : m_down) {
        const bool safeWindow = isDone(host, stepKey(StepId::Backup)) && !isDone(host, stepKey(StepId::VerifyVersion));
        e.message += u". Host %1's nodes are stopped: the cluster runs without them. Fix the cause, then continue "
                     "with: graystep-cli resume --journal %2 (it re-checks the host and goes on)"_s.arg(host, m_options.journalPath);
        if (safeWindow) {
            e.message += u", or roll the host back: graystep-cli rollback --journal %1 --host %2"_s.arg(m_options.journalPath, host);
        }
    }
    return e;
}

// The live check a final claim rests on: versions on fresh connections, the leader's view,
// the chunks, the hosts' processes. Empty: it holds.
QStringList UpgradeRunner::Work::checkLive(const QString &version, const QSet<QString> &hosts, bool chunksComplete)
{
    const LiveClusterState live = readLiveClusterState(*m_cluster, m_shells);
    m_summary.live = live.toJson();
    return differencesFromExpected(*m_cluster, live, version, hosts, chunksComplete);
}

Status UpgradeRunner::Work::takeClusterLock()
{
    for (const HostAccess &h : m_profile.hosts) {
        m_lockHosts.append({h.address, h, m_shells.value(h.address)});
    }
    ClusterLockPolicy policy;
    policy.breakForeign = m_options.breakLock;
    policy.ownJournal = m_options.journalPath;
    const ClusterLockHolder me = ClusterLockHolder::thisProcess(m_runId, m_options.journalPath, m_options.command);
    Result<ClusterLockTaken> taken = acquireClusterLock(m_lockHosts, me, policy);
    if (!taken) {
        m_lockHosts.clear();
        return taken.error();
    }
    m_lockTaken = *taken;
    m_lockHolder = me;
    return {};
}

// After the run (or resume) record: what taking the lock found, in the journal.
void UpgradeRunner::Work::journalClusterLock()
{
    for (const auto &[host, holder] : m_lockTaken.broken) {
        (void)record(u"lock-broken"_s, host, {},
                     QJsonObject{{u"holder"_s, holder.toJson()},
                                 {u"by"_s, m_options.breakLock ? u"--break-lock"_s : u"its journal shows it is over"_s}});
        message(u"broke the cluster lock of %1 (%2)"_s.arg(holder.describe(), m_options.breakLock
                                                                                  ? u"--break-lock"_s
                                                                                  : u"its journal shows it is over"_s),
                host);
    }
    (void)record(u"locked"_s, {}, {},
                 QJsonObject{{u"holder"_s, m_lockHolder.toJson()},
                             {u"takenOver"_s, QJsonArray::fromStringList(m_lockTaken.takenOver)}});
}

Status UpgradeRunner::Work::openJournalAndCluster()
{
    Result<std::unique_ptr<Journal>> j = Journal::open(m_options.journalPath);
    if (!j) {
        return j.error();
    }
    m_journal = std::move(*j);
    if (!q->m_password.isEmpty()) {
        m_journal->addSecret(q->m_password);
    }
    if (!m_journal->notice().isEmpty()) {
        message(m_journal->notice());
    }
    Result<std::unique_ptr<ClusterAccess>> c = ClusterAccess::create(m_profile, q->m_password);
    if (!c) {
        return c.error();
    }
    m_cluster = std::move(*c);
    announceClusterScripts();
    return {};
}

// Every host first: a refused host key stops the work before any command.
Status UpgradeRunner::Work::connectAllHosts()
{
    for (const HostAccess &h : m_profile.hosts) {
        std::shared_ptr<Ssh::RemoteShell> s(makeHostShell(h).release());
        if (Status st = s->connect(); !st) {
            return Error(st.error().code, u"host %1: %2 (no command was sent)"_s.arg(h.address, st.error().message));
        }
        m_shells.insert(h.address, s);
    }
    return {};
}

RunSummary UpgradeRunner::Work::run()
{
    m_wall.start();
    const auto fail = [&](const Error &e) { return end(RunEnd::Failed, withWayOut(e)); };
    if (Status opened = openJournalAndCluster(); !opened) {
        return end(RunEnd::Refused, opened.error());
    }

    // The run record: new run, or the one being resumed.
    const QList<JournalRecord> existing = m_journal->records();
    const JournalRecord *runRecord = nullptr;
    const JournalRecord *finishedOk = nullptr;
    for (const JournalRecord &r : existing) {
        if (r.kind == u"run"_s && !runRecord) {
            runRecord = &r;
        } else if (r.kind == u"finished"_s) {
            finishedOk = r.data.value(u"ok"_s).toBool() ? &r : nullptr;
        } else if (r.kind == u"resume"_s || r.kind == u"intent"_s) {
            finishedOk = nullptr;
        }
    }
    if (m_options.resume && !runRecord) {
        return end(RunEnd::Refused, Error(ErrorCode::InvalidInput, u"the journal holds no run to resume"_s, m_options.journalPath));
    }
    if (!m_options.resume && runRecord) {
        return end(RunEnd::Refused, Error(ErrorCode::InvalidInput,
                                          u"the journal already holds run %1: resume it (graystep-cli resume --journal %2) "
                                          "or give another journal"_s.arg(runRecord->data.value(u"runId"_s).toString(),
                                                                          m_options.journalPath),
                                          m_options.journalPath));
    }

    if (Status connected = connectAllHosts(); !connected) {
        return fail(connected.error());
    }

    if (runRecord && finishedOk) {
        // The journal says the run finished: a record, not proof. Look before saying so.
        m_runId = runRecord->data.value(u"runId"_s).toString();
        replayHostWindows(existing);
        for (const JournalRecord &h : existing) {
            if (h.kind == u"host-done"_s && !m_summary.hostsDone.contains(h.host)) {
                m_summary.hostsDone << h.host;
            }
        }
        const QString when = QDateTime::fromMSecsSinceEpoch(finishedOk->wallMs).toString(Qt::ISODate);
        const QStringList diff = checkLive(m_profile.targetVersion);
        if (!diff.isEmpty()) {
            // The look is journaled; the run's own end stays as it was recorded.
            m_summary.hostsDone.clear();
            (void)record(u"verified"_s, {}, {},
                         QJsonObject{{u"ok"_s, false}, {u"differences"_s, QJsonArray::fromStringList(diff)},
                                     {u"live"_s, m_summary.live}});
            m_recordEnd = false;
            return end(RunEnd::Failed,
                       Error(ErrorCode::Failed, u"the journal says run %1 finished at %2, but the cluster is not in that "
                                                "state now: %3. The journal describes another state of the cluster: start "
                                                "a new run with a new journal (after the pre-flight)"_s.arg(m_runId, when,
                                                                                                          diff.join(u"; "_s))));
        }
        message(u"the journal's run %1 finished at %2; checked live now: every node answers with %3, every chunk is "
                "COMPLETE"_s.arg(m_runId, when, m_profile.targetVersion));
        (void)record(u"verified"_s, {}, {}, QJsonObject{{u"ok"_s, true}, {u"live"_s, m_summary.live}});
        return end(RunEnd::Finished, {});
    }

    m_runId = runRecord ? runRecord->data.value(u"runId"_s).toString()
                        : QString::number(QRandomGenerator::global()->generate64() & 0xffffffffffffull, 16);
    // A new run may only refuse before the lock: nothing of it reaches a host then.
    const auto refuseNamingTheHolder = [&](const Error &e) {
        // A cluster that another run left mid-upgrade (mixed versions, say): name that run.
        for (const HostAccess &h : m_profile.hosts) {
            Result<std::optional<ClusterLockHolder>> held = readClusterLock(*m_shells.value(h.address), h);
            if (held && *held) {
                return end(RunEnd::Refused,
                           Error(ErrorCode::Busy, u"%1; the cluster is locked by %2: resume or roll back that run with its "
                                                  "journal"_s.arg(e.message, (*held)->describe())));
            }
        }
        return end(RunEnd::Refused, e);
    };
    // Every package this run would install, read from inside before any host is touched: a
    // package for the wrong version, or no server in it, is found now, not after a stop.
    if (Status packages = checkPackagesBeforeStop(m_profile, m_options.packageForHost); !packages) {
        return end(RunEnd::Refused, packages.error());
    }
    CompatibilityVerdict verdict;
    if (runRecord) {
        m_fromVersion = runRecord->data.value(u"fromVersion"_s).toString();
    } else {
        Result<UpgradePlan> plan = buildUpgradePlan(*m_cluster);
        if (!plan) {
            return refuseNamingTheHolder(plan.error());
        }
        m_fromVersion = plan->fromVersion;
        const Result<DdbVersion> from = DdbVersion::parse(m_fromVersion);
        const Result<DdbVersion> to = DdbVersion::parse(m_profile.targetVersion);
        if (!from || !to || !(*from < *to)) {
            return refuseNamingTheHolder(Error(ErrorCode::InvalidInput, u"the target %1 is not newer than %2: nothing to "
                                                                       "upgrade (a downgrade is not a rolling upgrade)"_s.arg(
                                                                           m_profile.targetVersion, m_fromVersion)));
        }
        verdict = compatibilityOfUpgrade(*from, *to);
        if (!verdict.rollingUpgradePromised() && !m_options.acceptCompatibilityRisk) {
            return end(RunEnd::Refused,
                       Error(ErrorCode::InvalidInput,
                             u"compatibility: %1 Confirm the vendor's risk assessment with --accept-compatibility-risk."_s.arg(
                                 verdict.explanation)));
        }
    }

    // One operator at a time: the lock on every host, before anything changes on any of them.
    if (Status locked = takeClusterLock(); !locked) {
        return end(locked.error().code == ErrorCode::Busy ? RunEnd::Refused : RunEnd::Failed, locked.error());
    }

    if (runRecord) {
        emitEvent(EngineEvent::Kind::RunStarted, Outcome::None, {}, {}, u"resuming run "_s + m_runId);
        (void)record(u"resume"_s);
        journalClusterLock();
        // The windows the earlier process opened (and closed) belong to this run's timeline.
        replayHostWindows(existing);
    } else {
        if (!verdict.rollingUpgradePromised()) {
            message(u"compatibility: %1 Confirmed by %2 (journaled)."_s.arg(
                verdict.explanation,
                m_options.compatibilityConfirmedBy.isEmpty() ? u"RunOptions.acceptCompatibilityRisk"_s
                                                             : m_options.compatibilityConfirmedBy));
        }
        QJsonObject pkgs;
        for (auto it = m_options.packageForHost.cbegin(); it != m_options.packageForHost.cend(); ++it) {
            pkgs.insert(it.key(), it.value());
        }
        if (Status s = record(u"run"_s, {}, {},
                              QJsonObject{{u"runId"_s, m_runId},
                                          {u"profile"_s, m_options.profilePath},
                                          {u"fromVersion"_s, m_fromVersion},
                                          {u"targetVersion"_s, m_profile.targetVersion},
                                          {u"compatibility"_s, verdict.explanation},
                                          {u"compatibilityPromised"_s, verdict.rollingUpgradePromised()},
                                          {u"compatibilityAccepted"_s, m_options.acceptCompatibilityRisk},
                                          {u"compatibilityConfirmedBy"_s,
                                           verdict.rollingUpgradePromised() ? QString()
                                           : !m_options.compatibilityConfirmedBy.isEmpty()
                                               ? m_options.compatibilityConfirmedBy
                                               : u"RunOptions.acceptCompatibilityRisk"_s},
                                          {u"canary"_s, m_options.canary},
                                          {u"writer"_s, m_options.writer},
                                          {u"packageForHost"_s, pkgs}});
            !s) {
            return fail(s.error());
        }
        journalClusterLock();
        emitEvent(EngineEvent::Kind::RunStarted, Outcome::None, {}, {},
                  u"run %1: %2 -> %3"_s.arg(m_runId, m_fromVersion, m_profile.targetVersion));
    }

    if (Status disk = checkStageDisk(); !disk) {
        return fail(disk.error());
    }

    startWriter();

    // Stage the package on every host (in parallel, each host on its own shell) before any stop.
    {
        QThreadPool pool;
        pool.setMaxThreadCount(qMax(1, int(m_profile.hosts.size())));
        QList<QFuture<Result<QJsonObject>>> futures;
        for (const HostAccess &h : m_profile.hosts) {
            auto rec = lastRecord(h.address, stepKey(StepId::Stage));
            if (rec && rec->kind == u"intent"_s) {
                stageContinues.insert(h.address);
            }
        }
        for (const HostAccess &h : m_profile.hosts) {
            const QString host = h.address;
            futures << QtConcurrent::run(&pool, [this, host] {
                return step(host, stepKey(StepId::Stage), [this, host] { return stage(host); },
                            [this, host]() -> Status {
                                Result<QString> sha = shell(host).sha256(stagedPackagePath(access(host), packageFor(host)));
                                if (!sha) {
                                    return sha.error();
                                }
                                auto rec = lastRecord(host, stepKey(StepId::Stage));
                                const QString want = rec ? rec->data.value(u"sha256"_s).toString() : QString();
                                if (*sha != want) {
                                    return Error(ErrorCode::Failed, u"the staged package's SHA-256 is %1, the journal says %2"_s.arg(*sha, want));
                                }
                                return {};
                            });
            });
        }
        for (auto &f : futures) {
            f.waitForFinished();
        }
        for (auto &f : futures) {
            if (!f.result()) {
                finishWriter();
                return fail(f.result().error());
            }
        }
    }

    // Host by host, the leader's host last (re-read before each host).
    QStringList remaining;
    for (const HostAccess &h : m_profile.hosts) {
        remaining << h.address;
    }
    bool first = true;
    while (!remaining.isEmpty()) {
        Result<QString> leader = m_cluster->findLeader();
        const QString leaderHost = leader ? m_cluster->hostOf(*leader) : QString();
        QStringList order = remaining;
        if (m_profile.orderPolicy == u"leader-last"_s && order.removeAll(leaderHost) > 0) {
            order << leaderHost;
        }
        // A host the journal shows as in progress goes first (resume).
        for (const QString &h : remaining) {
            if (!hostFinished(h) && hasAnyRecord(h, stepKey(StepId::Gate))) {
                order.removeAll(h);
                order.prepend(h);
                break;
            }
        }
        const QString host = order.first();
        remaining.removeAll(host);
        if (hostFinished(host)) {
            // Verify before skipping: every node of the host runs the target.
            for (const QString &alias : aliasesOn(host)) {
                Result<QString> v = m_cluster->nodeVersion(alias);
                if (!v || versionNumber(*v) != versionNumber(m_profile.targetVersion)) {
                    finishWriter();
                    return fail(stepError(host, u"host-done"_s,
                                          u"the journal says the host is done, but %1 reports %2"_s.arg(
                                              alias, v ? *v : v.error().message)));
                }
            }
            emitEvent(EngineEvent::Kind::HostFinished, Outcome::Skipped, host, {}, u"already upgraded (verified)"_s);
            m_summary.hostsDone << host;
            first = false;
            continue;
        }
        if (Status s = upgradeHost(host); !s) {
            finishWriter();
            if (s.error().code == ErrorCode::Cancelled) {
                const RunEnd how = q->m_abort.load()            ? RunEnd::Interrupted
                                   : q->m_approvalNobody.load() ? RunEnd::AwaitingApproval
                                                                : RunEnd::Paused;
                Error e = s.error();
                e.message += u"; continue with: graystep-cli resume --journal "_s + m_options.journalPath;
                return end(how, withWayOut(e));
            }
            return fail(s.error());
        }
        m_summary.hostsDone << host;
        const bool canaryStop = first && m_options.canary && !remaining.isEmpty();
        first = false;
        if (!remaining.isEmpty() && (canaryStop || q->m_pause.load())) {
            finishWriter();
            const QString why = canaryStop ? u"canary: stopped after the first host (%1)"_s.arg(host)
                                           : u"paused after host %1 as asked"_s.arg(host);
            return end(RunEnd::Paused, Error(ErrorCode::Cancelled, why + u"; continue with: graystep-cli resume --journal "_s
                                                                       + m_options.journalPath));
        }
    }

    // Finally: the writer's verdict, then the claim "every node runs the target", checked live.
    m_summary.ok = true;
    finishWriter();
    if (!m_summary.ok) {
        return fail(Error(ErrorCode::Failed, m_summary.failure));
    }
    const QStringList diff = checkLive(m_profile.targetVersion);
    if (!diff.isEmpty()) {
        return fail(Error(ErrorCode::Failed, u"every host's steps are done, but the cluster is not as they leave it: %1"_s.arg(
                                                 diff.join(u"; "_s))));
    }
    // Unavoidable waits from the journal (this process's records): stop, start, recovery.
    qint64 unavoidable = 0;
    for (const JournalRecord &r : m_journal->records()) {
        if (r.kind == u"done"_s
            && (r.step == stepKey(StepId::Stop) || r.step == stepKey(StepId::Start) || r.step == stepKey(StepId::Recovery))) {
            unavoidable += qint64(r.data.value(u"ms"_s).toDouble());
        }
    }
    m_summary.unavoidableMs = unavoidable;
    m_summary.wallMs = m_wall.elapsed();
    (void)record(u"finished"_s, {}, {},
                 QJsonObject{{u"ok"_s, true}, {u"end"_s, runEndName(RunEnd::Finished)}, {u"live"_s, m_summary.live},
                             {u"versions"_s, m_summary.live.value(u"versions"_s)}, {u"wallMs"_s, m_summary.wallMs},
                             {u"unavoidableMs"_s, unavoidable}});
    return end(RunEnd::Finished, {});
}

} // namespace GrayStep::Engine
