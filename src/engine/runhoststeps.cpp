// SPDX-License-Identifier: GPL-3.0-or-later
// The host steps of a run: the disk check and staging before any stop, then per host gate, stop,
// verify-stopped, backup, install, start, verify-version, recovery and the continuity checkpoint.
#include "engine/runwork_p.h"

namespace GrayStep::Engine {

// Before the first upload: every host that still has to stage has room for the package, its
// unpacked copy and the metadata backup (state directory) and the kept old binaries plus the
// new ones (install directory). Read-only; a host short of space stops the run before any stop.
Status UpgradeRunner::Work::checkStageDisk()
{
    QStringList hosts;
    for (const HostAccess &h : m_profile.hosts) {
        if (!isDone(h.address, stepKey(StepId::Stage))) {
            hosts << h.address;
        }
    }
    QMap<QString, qint64> unpackedFor;   // local package -> unpacked size
    for (const QString &host : hosts) {
        const QString pkg = packageFor(host);
        if (unpackedFor.contains(pkg)) {
            continue;
        }
        Result<qint64> unpacked = zipUncompressedSize(pkg);
        if (!unpacked) {
            // Not readable as a plain zip: assume it unpacks to four times its size.
            unpackedFor.insert(pkg, 4 * QFileInfo(pkg).size());
            message(u"disk check: %1; assuming the package unpacks to 4x its size"_s.arg(unpacked.error().message));
        } else {
            unpackedFor.insert(pkg, *unpacked);
        }
    }
    QThreadPool pool;
    pool.setMaxThreadCount(qMax(1, int(hosts.size())));
    QList<QFuture<Status>> futures;
    for (const QString &host : hosts) {
        futures << QtConcurrent::run(&pool, [this, host, &unpackedFor]() -> Status {
            const QString disk = stepKey(StepId::Disk);
            const HostStepInput in = hostInput(host);
            StageDiskNeeds needs;
            needs.packageBytes = QFileInfo(packageFor(host)).size();
            needs.unpackedBytes = unpackedFor.value(packageFor(host));
            needs.metadataDirs = in.metadataDirs;
            // measureStageDisk runs StepCommands::diskCheck's script (stageDiskScript) for these.
            announce(host, disk, StepCommands::diskCheck(in));
            Result<QList<DiskArea>> areas = measureStageDisk(shell(host), in.installDir, in.stateDir, needs);
            if (!areas) {
                return stepError(host, disk, areas.error().message);
            }
            const Status ok = checkDiskAreas(host, *areas);
            QJsonArray details;
            for (const DiskArea &d : *areas) {
                details.append(QJsonObject{{u"paths"_s, QJsonArray::fromStringList(d.paths)},
                                           {u"mount"_s, d.mount},
                                           {u"freeBytes"_s, d.freeBytes},
                                           {u"neededBytes"_s, d.neededBytes}});
            }
            emitEvent(EngineEvent::Kind::GateResult, ok ? Outcome::Ok : Outcome::Failed, host, disk,
                      ok ? u"enough disk space for staging, install and backup"_s : ok.error().message,
                      QJsonObject{{u"areas"_s, details}});
            return ok;
        });
    }
    QStringList problems;
    for (auto &f : futures) {
        f.waitForFinished();
    }
    for (auto &f : futures) {
        if (!f.result()) {
            problems << f.result().error().message;
        }
    }
    if (!problems.isEmpty()) {
        return Error(ErrorCode::Failed, problems.join(u"; "_s) + u"; nothing was uploaded or stopped"_s);
    }
    return {};
}

// After the stop: no node port of the host accepts connections any more (a port still open
// means something still serves it: the host is not really down). Retried for 5 s.
Status UpgradeRunner::Work::checkPortsClosed(const QString &host)
{
    Status s = verifyPortsClosed(host, m_cluster->nodesOnHost(host), 5000, 2000);
    if (!s) {
        Error e = s.error();
        e.message += u". The host's nodes are stopped and nothing was installed; find what still serves the port "
                     "(ss -ltnp on the host), end it, then resume"_s;
        return e;
    }
    return s;
}

// ------------------------------------------------------------------------------------------

Result<QJsonObject> UpgradeRunner::Work::stage(const QString &host)
{
    const QString id = stepKey(StepId::Stage);
    const HostStepInput in = hostInput(host);
    const QString local = in.localPackage;
    QString expected = local == m_profile.packagePath ? m_profile.packageSha256 : QString();
    if (expected.isEmpty()) {
        // Hashed once (remembered for the process while the file is unchanged), not once per host.
        const Result<QString> sha = cachedFileSha256(local);
        if (!sha) {
            return stepError(host, id, u"cannot read the package: %1"_s.arg(sha.error().message));
        }
        expected = *sha;
    }
    const QString remote = in.stagedPackage;
    // Keep the old binaries and unpack the package now, while the nodes still run, so that the
    // host's window only copies files (install repeats it when this did not happen).
    auto prepare = [&](QJsonObject done) -> Result<QJsonObject> {
        Result<Ssh::ExecResult> p = exec(host, id, StepCommands::preparePackage(in).text, 600000);
        if (!p || !p->succeeded() || !p->stdoutData.contains(HostCommands::okMarker(u"prepared"_s).toUtf8())) {
            return stepError(host, id,
                             u"unpacking the staged package failed: %1"_s.arg(
                                 p ? lastLines(p->stdoutData + p->stderrData) : p.error().message));
        }
        done.insert(u"prepared"_s, true);
        return done;
    };
    // Staged already (a package staged before, or an upload that finished before a crash)?
    Result<Ssh::ExecResult> have = exec(host, id, StepCommands::stagedSha256(in).text);
    if (have && have->succeeded() && QString::fromLatin1(have->stdoutData.trimmed()).toLower() == expected.toLower()) {
        return prepare(QJsonObject{{u"path"_s, remote}, {u"sha256"_s, expected}, {u"uploaded"_s, false}});
    }
    // An upload cut by a crash is continued from its .part (not started again): recorded as such.
    if (Result<Ssh::ExecResult> mk = exec(host, id, StepCommands::stagingRecord(in, stageContinues.contains(host)).text);
        !mk || !mk->succeeded()) {
        return stepError(host, id, u"cannot create the staging directory"_s);
    }
    Ssh::UploadOptions o;
    o.expectedSha256 = expected;
    announce(host, id, StepCommands::upload(in));
    Result<Ssh::UploadResult> up = shell(host).upload(local, remote, o);
    if (!up) {
        return stepError(host, id, up.error().message);
    }
    return prepare(QJsonObject{{u"path"_s, remote}, {u"sha256"_s, up->sha256}, {u"uploaded"_s, true}, {u"bytes"_s, up->bytes}});
}

QMap<QString, QString> UpgradeRunner::Work::journaledPaths(const QString &host) const
{
    QMap<QString, QString> paths;
    auto r = lastRecord(host, stepKey(StepId::Gate));
    if (r && r->kind == u"done"_s) {
        const QJsonObject p = r->data.value(u"paths"_s).toObject();
        for (auto it = p.begin(); it != p.end(); ++it) {
            paths.insert(it.key(), it.value().toString());
        }
    }
    return paths;
}

Status UpgradeRunner::Work::startHostNodes(const QString &host, const QString &stepName)
{
    const HostStepInput in = hostInput(host);
    const QStringList dataNodes = in.dataNodes + in.computeNodes;
    const StepCommand scripts = StepCommands::startScripts(in, stepName);
    m_detachedLost = false;
    Result<QString> started = detached(host, scripts, u"started"_s, 120000);
    if (!started && m_detachedLost) {
        // The host cannot even record a detached step (a full disk): its service comes first,
        // so the start scripts run in this SSH session (they put the nodes in the background).
        message(u"%1; starting the controller and agent directly instead"_s.arg(started.error().message), host);
        Result<Ssh::ExecResult> direct = exec(host, stepName, scripts.text, 120000);
        if (!direct || !direct->succeeded() || !direct->stdoutData.contains(HostCommands::okMarker(u"started"_s).toUtf8())) {
            return Error(ErrorCode::Failed, u"%1; starting directly failed too: %2"_s.arg(
                                                started.error().toString(),
                                                direct ? lastLines(direct->stdoutData + direct->stderrData) : direct.error().message));
        }
        started = QString::fromUtf8(direct->stdoutData);
    }
    if (!started) {
        return started.error();
    }
    if (Status s = waitNodesAnswer(host, in.controllers + in.agents, 120000); !s) {
        return s;
    }
    if (!dataNodes.isEmpty()) {
        // A node the leader still lists as alive may be gone (its heartbeat has not timed out
        // yet): one that does not answer on a fresh connection is started too.
        Result<QSet<QString>> alive = aliveNodes();
        QStringList toStart;
        for (const QString &d : dataNodes) {
            m_cluster->close(d);
            if (!alive || !alive->contains(d) || !m_cluster->nodeVersion(d)) {
                toStart << d;
            }
        }
        if (!toStart.isEmpty()) {
            const StepCommand startNodes = StepCommands::startThroughLeader(toStart);
            if (startNodes.text.isEmpty()) {
                return stepError(host, stepName, u"cannot write startDataNode for %1"_s.arg(toStart.join(u", "_s)));
            }
            if (Result<DdbValue> r = onLeader(startNodes.text); !r) {
                return stepError(host, stepName, u"startDataNode through the leader: %1"_s.arg(r.error().message));
            }
        }
        if (Status s = waitNodesAnswer(host, dataNodes, 120000); !s) {
            return s;
        }
    }
    return {};
}

Status UpgradeRunner::Work::upgradeHost(const QString &host)
{
    const QString target = versionNumber(m_profile.targetVersion);
    const QString gate = stepKey(StepId::Gate);
    emitEvent(EngineEvent::Kind::HostStarted, Outcome::None, host, {}, u"upgrading "_s + host);

    // 1. Gate (read-only; skipped once the host's window began).
    if (!hasAnyRecord(host, stepKey(StepId::Stop))) {
        const HostStepInput in = hostInput(host);
        Result<QJsonObject> g = step(host, gate, [&]() -> Result<QJsonObject> {
            if (Status s = waitChunksComplete(host, gate); !s) {
                return s.error();
            }
            // A leader must be present; an election in progress gets up to 30 s.
            QElapsedTimer waited;
            waited.start();
            Result<QString> leader = m_cluster->findLeader();
            while (!leader && waited.elapsed() < 30000) {
                QThread::msleep(300);
                leader = m_cluster->findLeader();
            }
            if (!leader) {
                return stepError(host, gate, u"no Raft leader: "_s + leader.error().message);
            }
            // Everything the pre-flight checked that can have changed since, live, for this host:
            // every node up, the what-if with the replicas alive now, no recovery task, the
            // leader. A node that is rejoining gets a moment (bounded); then the run stops here,
            // before any of this host's nodes is stopped.
            HostGateResult live = checkHostGate(*m_cluster, host);
            QElapsedTimer settling;
            settling.start();
            const qint64 patienceMs = std::clamp<qint64>(qint64(m_profile.gates.stallTimeoutS) * 1000, 2000, 30000);
            while (!live.passed() && settling.elapsed() < patienceMs && !m_abortRequested()) {
                QThread::msleep(500);
                live = checkHostGate(*m_cluster, host);
            }
            if (!live.passed()) {
                emitEvent(EngineEvent::Kind::GateResult, Outcome::Failed, host, gate, live.problems.join(u"; "_s),
                          live.evidence);
                return stepError(host, gate,
                                 u"%1; none of this host's nodes was stopped"_s.arg(live.problems.join(u"; "_s)));
            }
            if (m_writer) {
                // Writer healthy: it has not failed and acknowledges writes (one within the max gap).
                if (m_writer->state() == WriterProbe::State::Failed) {
                    return stepError(host, gate, u"the writer failed; the cluster is not writable"_s);
                }
                // An acknowledgement within the last max gap passes at once; else wait up to that long.
                const auto recent = [&] {
                    const qint64 last = m_writer->lastAcknowledgedMs();
                    return last != NULL_VALUE && Core::Clock::system().wallMs() - last <= m_profile.gates.maxGapMs;
                };
                const qint64 before = m_writer->acknowledged();
                QElapsedTimer w;
                w.start();
                while (!recent() && m_writer->acknowledged() == before && w.elapsed() < m_profile.gates.maxGapMs) {
                    QThread::msleep(50);
                }
                if (!recent() && m_writer->acknowledged() == before) {
                    return stepError(host, gate, u"the writer got no acknowledged write for %1 ms"_s.arg(
                                                          m_profile.gates.maxGapMs));
                }
            }
            // This host's own metadata paths, read live from its nodes.
            QJsonObject paths;
            const auto readPath = [&](const QString &alias, bool controller) {
                Result<DdbValue> v = m_cluster->runOn(alias, StepCommands::metadataPath(alias, controller).text);
                if (v) {
                    if (Result<QString> t = readText(*v); t && !t->isEmpty()) {
                        paths.insert(alias, *t);
                    }
                }
            };
            for (const QString &alias : in.dataNodes) {
                readPath(alias, false);
            }
            for (const QString &alias : in.controllers) {
                readPath(alias, true);
            }
            emitEvent(EngineEvent::Kind::GateResult, Outcome::Ok, host, gate,
                      u"all chunks COMPLETE, every node up, no chunk loses its last live replica with this host "
                      "down, no recovery task pending, leader %1"_s.arg(live.leader),
                      live.evidence);
            return QJsonObject{{u"leader"_s, live.leader}, {u"paths"_s, paths}, {u"live"_s, live.evidence}};
        }, {}, true);
        if (!g) {
            return g.error();
        }
        if (m_profile.approvalPerHost) {
            if (Status s = awaitApproval(host); !s) {
                return s;
            }
        }
    }
    // The metadata paths the gate read (journaled) decide what the backup copies.
    const HostStepInput in = hostInput(host);
    QList<BackupItem> items = in.backupItems;
    const QString backupDir = in.backupDir;
    const QString stop = stepKey(StepId::Stop);
    const StepCommand stopScript = StepCommands::stopScript(in, stop);

    // 2. Stop.
    Result<QJsonObject> r = step(host, stop, [&]() -> Result<QJsonObject> {
        hostDown(host, stop, u"stopping the host's nodes"_s);
        if (detachedState(host, stopScript.detached) != Ssh::DetachedStatus::State::Absent) {
            // Launched before a crash: adopt it (never stop twice, never call the leader again).
            Result<QString> s = detached(host, stopScript, u"stopped"_s, 120000);
            if (!s) {
                return s.error();
            }
            return QJsonObject{{u"adopted"_s, true}};
        }
        const QStringList dataNodes = in.dataNodes + in.computeNodes;
        Result<QSet<QString>> alive = aliveNodes();
        QStringList toStop;
        for (const QString &d : dataNodes) {
            if (alive && alive->contains(d)) {
                toStop << d;
            }
        }
        if (!toStop.isEmpty()) {
            const StepCommand script = StepCommands::stopThroughLeader(toStop);
            if (script.text.isEmpty()) {
                return stepError(host, stop, u"cannot write stopDataNode for %1"_s.arg(toStop.join(u", "_s)));
            }
            if (Result<DdbValue> s = onLeader(script.text); !s) {
                message(u"stopDataNode through the leader failed (%1); the stop script ends them"_s.arg(s.error().message), host);
            } else {
                // Wait (bounded) until the leader sees them down.
                QElapsedTimer t;
                t.start();
                while (t.elapsed() < 20000) {
                    Result<QSet<QString>> now = aliveNodes();
                    bool anyUp = false;
                    for (const QString &d : toStop) {
                        anyUp = anyUp || (now && now->contains(d));
                    }
                    if (!anyUp) {
                        break;
                    }
                    QThread::msleep(200);
                }
            }
        }
        for (const QString &alias : aliasesOn(host)) {
            m_cluster->close(alias);
        }
        Result<QString> s = detached(host, stopScript, u"stopped"_s, 120000);
        if (!s) {
            return s.error();
        }
        return QJsonObject{{u"stoppedThroughLeader"_s, QJsonArray::fromStringList(toStop)}};
    });
    if (!r) {
        return r.error();
    }

    // 3. Verify the processes are gone (read-only; always re-checked unless started again).
    const QString start = stepKey(StepId::Start);
    if (!isDone(host, start) && detachedState(host, StepCommands::startScripts(in, start).detached) == Ssh::DetachedStatus::State::Absent) {
        const QString verifyStopped = stepKey(StepId::VerifyStopped);
        r = step(host, verifyStopped, [&]() -> Result<QJsonObject> {
            Result<Ssh::ExecResult> e = exec(host, verifyStopped, StepCommands::listProcesses(in).text);
            if (!e) {
                return e.error();
            }
            const QString pids = QString::fromUtf8(e->stdoutData).trimmed();
            if (!pids.isEmpty()) {
                return stepError(host, verifyStopped, u"processes of %1 still run: %2"_s.arg(in.installDir, pids));
            }
            if (Status ports = checkPortsClosed(host); !ports) {
                return ports.error();
            }
            QJsonArray closed;
            for (const Core::ClusterNode &n : m_cluster->nodesOnHost(host)) {
                closed.append(u"%1:%2"_s.arg(n.alias).arg(n.port));
            }
            return QJsonObject{{u"portsClosed"_s, closed}};
        });
        if (!r) {
            return r.error();
        }
    }

    // 4. Backup of this host's own metadata, verified.
    const QString backup = stepKey(StepId::Backup);
    r = step(
        host, backup,
        [&]() -> Result<QJsonObject> {
            // One probe: is there a complete backup already, which source directories are absent.
            const StepCommand probe = StepCommands::backupProbe(in);
            announce(host, backup, probe);
            Result<Ssh::ExecResult> probed = shell(host).exec(probe.text);
            if (!probed) {
                return probed.error();
            }
            const QStringList probeLines = QString::fromUtf8(probed->stdoutData).split(u'\n', Qt::SkipEmptyParts);
            const bool manifestExists = probeLines.contains(u"manifest"_s);
            // A data node that never held a chunk has no CHUNK_METADATA yet: nothing to back up
            // for it (said in the journal) - when the controller, asked now, lists no replica on
            // it. One that holds chunks without its metadata could not be rolled back: the step
            // fails (nothing was installed). Controllers' directories must exist.
            QList<BackupItem> present;
            QJsonArray omitted;
            std::optional<Result<QList<ChunkStatus>>> chunks;
            for (int i = 0; i < items.size(); ++i) {
                const BackupItem &b = items[i];
                if (probeLines.contains(u"absent:"_s + QString::number(i)) && b.label.endsWith(u"/CHUNK_METADATA"_s)) {
                    const QString alias = b.label.section(u'/', 0, 0);
                    if (!chunks) {
                        chunks = m_cluster->chunks();
                    }
                    if (!*chunks) {
                        return stepError(host, backup,
                                         u"%1 does not exist, and whether %2 holds chunks cannot be read from the "
                                         "controller: %3"_s.arg(b.sourceDir, alias, chunks->error().message));
                    }
                    int held = 0;
                    for (const ChunkStatus &c : **chunks) {
                        for (const ChunkReplica &rep : c.replicas) {
                            held += rep.node == alias ? 1 : 0;
                        }
                    }
                    if (held > 0) {
                        return stepError(host, backup,
                                         u"%1 holds %2 chunk replica(s) (getClusterChunksStatus), but its chunk metadata "
                                         "directory %3 does not exist: a rollback of this host would have none. Find "
                                         "the node's real chunkMetaDir (or restore the directory), then resume"_s.arg(
                                             alias)
                                             .arg(held)
                                             .arg(b.sourceDir));
                    }
                    omitted.append(b.label);
                    message(u"%1 does not exist and the controller lists no replica on %2: not backed up"_s.arg(b.sourceDir, alias),
                            host);
                    continue;
                }
                present << b;
            }
            items = present;
            HostStepInput presentIn = in;
            presentIn.backupItems = present;
            const StepCommand backupScript = StepCommands::backupAndVerify(presentIn);
            if (!manifestExists || detachedState(host, backupScript.detached) != Ssh::DetachedStatus::State::Absent) {
                // Back up and verify in one detached step (adopted after a crash, never run twice).
                Result<QString> s = detached(host, backupScript, u"verified"_s);
                if (!s) {
                    return s.error();
                }
            } else {
                Result<Ssh::ExecResult> v = exec(host, backup, StepCommands::verifyBackup(in).text);
                if (!v || !v->succeeded()) {
                    return stepError(host, backup, u"the backup does not verify: "_s
                                                            + (v ? lastLines(v->stdoutData + v->stderrData) : v.error().message));
                }
            }
            QJsonArray labels;
            for (const BackupItem &b : items) {
                labels.append(QJsonObject{{u"label"_s, b.label}, {u"source"_s, b.sourceDir}});
            }
            return QJsonObject{{u"dir"_s, backupDir}, {u"items"_s, labels}, {u"omitted"_s, omitted}};
        },
        [&]() -> Status {
            Result<Ssh::ExecResult> v = exec(host, backup, StepCommands::verifyBackup(in).text);
            if (!v || !v->succeeded()) {
                return stepError(host, backup, u"the backup manifest does not verify"_s);
            }
            return {};
        });
    if (!r) {
        if (r.error().code == ErrorCode::Cancelled) {
            return r.error();
        }
        // Nothing was changed on the host yet: its service comes first. Start its nodes again on
        // the old version; the journaled restart ends this attempt (a resume starts the host
        // afresh: gate, stop, backup).
        message(u"the backup failed: starting the host's nodes again (nothing was installed)"_s, host);
        const QString restart = stepKey(StepId::Restart);
        Result<QJsonObject> restarted = step(host, restart, [&]() -> Result<QJsonObject> {
            if (Status st = startHostNodes(host, restart); !st) {
                return st.error();
            }
            return QJsonObject{{u"reason"_s, r.error().toString()}};
        });
        if (!restarted) {
            return Error(ErrorCode::Failed, u"%1; starting the host again failed too: %2"_s.arg(r.error().toString(),
                                                                                                 restarted.error().toString()));
        }
        hostUp(host, Outcome::Warn, restart, u"started again on the old version"_s);
        return Error(ErrorCode::Failed, u"%1; nothing was installed, the host's nodes were started again on %2. Fix the "
                                        "cause, then resume (the host is tried again from its gate)"_s.arg(
                                            r.error().toString(), m_fromVersion));
    }
    items = journaledBackupItems(host, items);

    // 5-7: install, start, verify the version: the safe window for a rollback.
    Status windowStatus = [&]() -> Status {
        Result<QJsonObject> s = step(host, stepKey(StepId::Install), [&]() -> Result<QJsonObject> {
            Result<QString> out = detached(host, StepCommands::install(in), u"installed"_s);
            if (!out) {
                return out.error();
            }
            return QJsonObject{{u"package"_s, in.stagedPackage},
                               {u"kept"_s, QString(in.installDir + u".bak-"_s + m_fromVersion)}};
        });
        if (!s) {
            return s.error();
        }
        s = step(
            host, start,
            [&]() -> Result<QJsonObject> {
                if (Status st = startHostNodes(host, start); !st) {
                    return st.error();
                }
                return QJsonObject{};
            },
            [&]() -> Status { return waitNodesAnswer(host, aliasesOn(host), 60000); });
        if (!s) {
            return s.error();
        }
        const QString verifyVersion = stepKey(StepId::VerifyVersion);
        s = step(host, verifyVersion, [&]() -> Result<QJsonObject> {
            QJsonObject versions;
            for (const QString &alias : in.hostNodes) {
                Result<QString> v = m_cluster->nodeVersion(alias);
                if (!v) {
                    return stepError(host, verifyVersion, u"%1: %2"_s.arg(alias, v.error().message));
                }
                if (versionNumber(*v) != target) {
                    return stepError(host, verifyVersion,
                                     u"%1 reports %2, expected %3"_s.arg(alias, *v, target));
                }
                versions.insert(alias, *v);
            }
            return QJsonObject{{u"versions"_s, versions}};
        });
        if (!s) {
            return s.error();
        }
        return {};
    }();
    if (!windowStatus) {
        if (windowStatus.error().code == ErrorCode::Cancelled) {
            return windowStatus;
        }
        if (m_options.rollbackOnFailure) {
            if (Status rb = rollback(host, items); !rb) {
                return Error(ErrorCode::Failed,
                             u"%1; the rollback failed too: %2"_s.arg(windowStatus.error().toString(), rb.error().toString()));
            }
            return Error(ErrorCode::Failed, u"%1; host %2 was rolled back to %3 and runs again"_s.arg(
                                                windowStatus.error().toString(), host, m_fromVersion));
        }
        return windowStatus;
    }
    hostUp(host, Outcome::Ok, start, u"the host's nodes answer with "_s + target);

    // 8. Recovery.
    const QString recovery = stepKey(StepId::Recovery);
    r = step(host, recovery, [&]() -> Result<QJsonObject> {
        if (Status s = waitChunksComplete(host, recovery); !s) {
            return s.error();
        }
        return QJsonObject{};
    });
    if (!r) {
        return r.error();
    }

    // 9. Continuity checkpoint: the writer's attempts in this host's window against the table.
    const QString continuity = stepKey(StepId::Continuity);
    if (m_writer && m_writerLog) {
        r = step(host, continuity, [&]() -> Result<QJsonObject> { return continuityCheckpoint(host); });
        if (!r) {
            return r.error();
        }
    } else if (lastRecord(host, continuity) && lastRecord(host, continuity)->kind == u"failed"_s) {
        // A failed checkpoint is not passed by resuming without the writer.
        return stepError(host, continuity,
                         u"this host's continuity checkpoint failed; resume with the writer (raise gates.maxLostRows "
                         "or gates.maxGapMs in the profile to accept what it found)"_s);
    }
    if (Status s = record(u"host-done"_s, host); !s) {
        return s;
    }
    emitEvent(EngineEvent::Kind::HostFinished, Outcome::Ok, host, {}, host + u" runs "_s + target);
    return {};
}

} // namespace GrayStep::Engine
