// SPDX-License-Identifier: GPL-3.0-or-later
// The runner's public face: its thread and controls (pause, abort, approval), rollback on its own,
// and reading a run's options from its journal.
#include "engine/runwork_p.h"

namespace GrayStep::Engine {

UpgradeRunner::UpgradeRunner(UpgradeProfile profile, QString apiPassword, RunOptions options, QObject *parent)
    : QObject(parent)
    , m_profile(std::move(profile))
    , m_password(std::move(apiPassword))
    , m_options(std::move(options))
{
    qRegisterMetaType<GrayStep::Engine::EngineEvent>();
}

UpgradeRunner::~UpgradeRunner()
{
    if (m_thread) {
        m_abort = true;
        m_thread->wait();
    }
}

void UpgradeRunner::emitEvent(EngineEvent e)
{
    e = m_timeline.record(std::move(e));
    Q_EMIT event(e);
}

RunSummary UpgradeRunner::runBlocking()
{
    Work w(this);
    RunSummary s = w.run();
    {
        QMutexLocker lock(&m_mutex);
        m_summary = s;
    }
    return s;
}

void UpgradeRunner::start()
{
    m_thread.reset(QThread::create([this] {
        const RunSummary s = runBlocking();
        Q_EMIT finished(s.ok);
    }));
    m_thread->start();
}

void UpgradeRunner::requestPause()
{
    m_pause = true;
}

void UpgradeRunner::requestAbort()
{
    m_abort = true;
}

QString UpgradeRunner::pendingApproval() const
{
    QMutexLocker lock(&m_mutex);
    return m_pendingHost;
}

void UpgradeRunner::approve()
{
    QMutexLocker lock(&m_mutex);
    if (m_approvalAsked.load() > m_approvalAnswered.load()) {
        m_approvalGranted = true;
        m_approvalAnswered = m_approvalAsked.load();
    }
}

void UpgradeRunner::declineApproval(const QString &reason, bool nobodyToAsk)
{
    QMutexLocker lock(&m_mutex);
    if (m_approvalAsked.load() > m_approvalAnswered.load()) {
        m_approvalGranted = false;
        m_approvalNobody = nobodyToAsk;
        m_declineReason = reason.isEmpty() ? u"host %1 was not approved"_s.arg(m_pendingHost) : reason;
        m_approvalAnswered = m_approvalAsked.load();
    }
}

bool UpgradeRunner::wait(unsigned long ms)
{
    return !m_thread || m_thread->wait(ms);
}

RunSummary UpgradeRunner::summary() const
{
    QMutexLocker lock(&m_mutex);
    return m_summary;
}

RunSummary UpgradeRunner::rollbackHost(const UpgradeProfile &profile, const QString &apiPassword,
                                       const QString &journalPath, const QString &host,
                                       const std::function<void(const EngineEvent &)> &onEvent, bool breakLock)
{
    RunOptions o;
    o.journalPath = journalPath;
    o.resume = true;
    o.breakLock = breakLock;
    o.command = u"rollback"_s;
    UpgradeRunner runner(profile, apiPassword, o);
    if (onEvent) {
        QObject::connect(&runner, &UpgradeRunner::event, &runner, onEvent, Qt::DirectConnection);
    }
    Work w(&runner);
    return w.rollbackOnly(host);
}

QString runEndName(RunEnd end)
{
    switch (end) {
    case RunEnd::Finished: return u"finished"_s;
    case RunEnd::Failed: return u"failed"_s;
    case RunEnd::Paused: return u"paused"_s;
    case RunEnd::AwaitingApproval: return u"awaiting-approval"_s;
    case RunEnd::Interrupted: return u"interrupted"_s;
    case RunEnd::Refused: return u"refused"_s;
    }
    return u"failed"_s;
}

Result<RunOptions> runOptionsFromJournal(const QString &journalPath)
{
    Result<JournalContents> c = Journal::read(journalPath);
    if (!c) {
        return c.error();
    }
    for (const JournalRecord &r : c->records) {
        if (r.kind == u"run"_s) {
            RunOptions o;
            o.journalPath = journalPath;
            o.resume = true;
            o.profilePath = r.data.value(u"profile"_s).toString();
            o.canary = false;
            o.writer = r.data.value(u"writer"_s).toBool(true);
            o.acceptCompatibilityRisk = r.data.value(u"compatibilityAccepted"_s).toBool();
            o.compatibilityConfirmedBy = r.data.value(u"compatibilityConfirmedBy"_s).toString();
            const QJsonObject pkgs = r.data.value(u"packageForHost"_s).toObject();
            for (auto it = pkgs.begin(); it != pkgs.end(); ++it) {
                o.packageForHost.insert(it.key(), it.value().toString());
            }
            return o;
        }
    }
    return Error(ErrorCode::InvalidInput, u"the journal holds no run record"_s, journalPath);
}

Result<RunOptions> optionsForNewRun(const RunOptions &requested, const QString &targetVersion)
{
    if (!QFileInfo::exists(requested.journalPath)) {
        return requested;
    }
    Result<JournalContents> c = Journal::read(requested.journalPath);
    if (!c) {
        return c.error();
    }
    for (const JournalRecord &r : c->records) {
        if (r.kind != u"run"_s) {
            continue;
        }
        const QString profile = r.data.value(u"profile"_s).toString();
        const QString target = r.data.value(u"targetVersion"_s).toString();
        const bool sameProfile = QFileInfo(profile).canonicalFilePath() == QFileInfo(requested.profilePath).canonicalFilePath()
                                 && !profile.isEmpty();
        if (!sameProfile || versionNumber(target) != versionNumber(targetVersion)) {
            return Error(ErrorCode::InvalidInput,
                         u"the journal already holds run %1 of %2 (target %3): give a new journal for a new run, or "
                         "continue that one with: graystep-cli resume --journal %4"_s.arg(
                             r.data.value(u"runId"_s).toString(), profile, target, requested.journalPath),
                         requested.journalPath);
        }
        Result<RunOptions> o = runOptionsFromJournal(requested.journalPath);
        if (o) {
            o->breakLock = requested.breakLock;
            o->writer = requested.writer && o->writer;
        }
        return o;
    }
    return requested;
}

} // namespace GrayStep::Engine
