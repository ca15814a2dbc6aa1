// SPDX-License-Identifier: GPL-3.0-or-later
// Rolling one host back from its verified backup: within a run (a failed host) and on its own
// (graystep-cli rollback), each claim checked live.
#include "engine/runwork_p.h"

namespace GrayStep::Engine {

Status UpgradeRunner::Work::rollback(const QString &host, const QList<BackupItem> &items)
{
    HostStepInput in = hostInput(host);
    in.backupItems = items;
    const QString backupDir = in.backupDir;
    message(u"rolling %1 back to %2 from the verified backup %3"_s.arg(host, m_fromVersion, backupDir), host);
    const QString rollbackStop = stepKey(StepId::RollbackStop);
    Result<QJsonObject> r = step(host, rollbackStop, [&]() -> Result<QJsonObject> {
        hostDown(host, rollbackStop, u"stopping the host's nodes for the rollback"_s);
        Result<QString> s = detached(host, StepCommands::stopScript(in, rollbackStop), u"stopped"_s);
        if (!s) {
            return s.error();
        }
        return QJsonObject{};
    });
    if (!r) {
        return r.error();
    }
    const QString rollbackRestore = stepKey(StepId::RollbackRestore);
    r = step(host, rollbackRestore, [&]() -> Result<QJsonObject> {
        Result<Ssh::ExecResult> v = exec(host, rollbackRestore, StepCommands::verifyBackup(in).text);
        if (!v || !v->succeeded()) {
            return stepError(host, rollbackRestore, u"the backup %1 does not verify; nothing restored"_s.arg(backupDir));
        }
        Result<QString> s = detached(host, StepCommands::restore(in), u"restored-metadata"_s);
        if (!s) {
            // restoreMetadata prints its own marker; accept "restore-metadata" too.
            return s.error();
        }
        return QJsonObject{{u"backup"_s, backupDir}};
    });
    if (!r) {
        return r.error();
    }
    const QString rollbackStart = stepKey(StepId::RollbackStart);
    r = step(host, rollbackStart, [&]() -> Result<QJsonObject> {
        if (Status s = startHostNodes(host, rollbackStart); !s) {
            return s.error();
        }
        QJsonObject versions;
        for (const QString &alias : in.hostNodes) {
            Result<QString> v = m_cluster->nodeVersion(alias);
            if (!v || versionNumber(*v) != m_fromVersion) {
                return stepError(host, rollbackStart,
                                 u"%1 reports %2 after the rollback, expected %3"_s.arg(alias, v ? *v : v.error().message,
                                                                                       m_fromVersion));
            }
            versions.insert(alias, *v);
        }
        return QJsonObject{{u"versions"_s, versions}};
    });
    if (!r) {
        return r.error();
    }
    hostUp(host, Outcome::Warn, rollbackStart, u"rolled back to "_s + m_fromVersion);
    m_summary.hostsRolledBack << host;
    return {};
}

RunSummary UpgradeRunner::Work::rollbackOnly(const QString &host)
{
    m_wall.start();
    m_options.resume = true;
    m_options.command = u"rollback"_s;
    const auto refuse = [&](const Error &e) { return end(RunEnd::Refused, e); };
    if (Status opened = openJournalAndCluster(); !opened) {
        return refuse(opened.error());
    }
    for (const JournalRecord &r : m_journal->records()) {
        if (r.kind == u"run"_s) {
            m_runId = r.data.value(u"runId"_s).toString();
            m_fromVersion = r.data.value(u"fromVersion"_s).toString();
            break;
        }
    }
    if (m_runId.isEmpty()) {
        return refuse(Error(ErrorCode::InvalidInput, u"the journal holds no run"_s, m_options.journalPath));
    }
    if (!m_profile.host(host)) {
        QStringList hosts;
        for (const HostAccess &h : m_profile.hosts) {
            hosts << h.address;
        }
        return refuse(Error(ErrorCode::InvalidInput, u"host %1 is not in the cluster (its hosts: %2)"_s.arg(host, hosts.join(u", "_s))));
    }
    // Every host: the cluster lock is on all of them.
    if (Status connected = connectAllHosts(); !connected) {
        return end(RunEnd::Failed, connected.error());
    }
    if (Status locked = takeClusterLock(); !locked) {
        return end(locked.error().code == ErrorCode::Busy ? RunEnd::Refused : RunEnd::Failed, locked.error());
    }
    journalClusterLock();
    const QString rolledBackText = u"host %1 rolled back: its nodes answer with %2 (checked live)"_s.arg(host, m_fromVersion);

    if (rolledBackLast(host)) {
        // Rolled back before, says the journal: look. A node that is not running is started
        // again (the binaries and metadata on disk are the rolled-back ones).
        QStringList diff = checkLive(m_fromVersion, {host}, false);
        if (!diff.isEmpty()) {
            message(u"the journal says host %1 was rolled back, but now: %2. Starting its nodes again"_s.arg(
                        host, diff.join(u"; "_s)),
                    host);
            const QString restart = rollbackRestartKey(m_journal->lastSeq() + 1);
            Result<QJsonObject> r = step(host, restart, [&]() -> Result<QJsonObject> {
                if (Status st = startHostNodes(host, restart); !st) {
                    return st.error();
                }
                return QJsonObject{};
            });
            diff = checkLive(m_fromVersion, {host}, false);
            if (!r || !diff.isEmpty()) {
                return end(RunEnd::Failed, Error(ErrorCode::Failed,
                                                 u"host %1 is rolled back on disk, but not running: %2"_s.arg(
                                                     host, (r ? diff : QStringList{r.error().toString()}).join(u"; "_s))));
            }
        }
        m_summary.hostsRolledBack << host;
        return end(RunEnd::Finished, {}, rolledBackText);
    }

    // Only inside the safe window: the backup is done and the host's nodes have not rejoined
    // with the new version (after that the new version has written data).
    if (!isDone(host, stepKey(StepId::Backup))) {
        return end(RunEnd::Failed, Error(ErrorCode::Failed,
                                         u"host %1 has no verified backup in this run: nothing to roll back"_s.arg(host)));
    }
    if (isDone(host, stepKey(StepId::VerifyVersion))) {
        return end(RunEnd::Failed,
                   Error(ErrorCode::Failed, u"host %1 is past the point of no return: its nodes rejoined with the new "
                                            "version and wrote data; a rollback would lose it"_s.arg(host)));
    }
    const QList<BackupItem> items = journaledBackupItems(
        host, backupItemsForHost(m_cluster->topology(), *m_profile.host(host), journaledPaths(host)));
    if (Status st = rollback(host, items); !st) {
        return end(RunEnd::Failed, withWayOut(st.error()));
    }
    if (const QStringList diff = checkLive(m_fromVersion, {host}, false); !diff.isEmpty()) {
        return end(RunEnd::Failed, Error(ErrorCode::Failed, u"host %1 was rolled back, but: %2"_s.arg(host, diff.join(u"; "_s))));
    }
    return end(RunEnd::Finished, {}, rolledBackText);
}

} // namespace GrayStep::Engine
