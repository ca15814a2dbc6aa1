// SPDX-License-Identifier: GPL-3.0-or-later
// The runner: its controls (thread, pause, abort, approval) and the host steps (stage, stop,
// backup, install, start, verify, recovery, continuity checkpoint) with the run's writer.
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

Result<DdbValue> UpgradeRunner::Work::runOnAnyDataNode(const QString &script, int timeoutMs)
{
    QStringList errors;
    for (const Core::ClusterNode &n : m_cluster->topology().nodesWithMode(Core::NodeMode::DataNode)) {
        Result<DdbValue> r = m_cluster->runOn(n.alias, script, timeoutMs);
        if (r) {
            return r;
        }
        errors << n.alias + u": "_s + r.error().message;
    }
    return Error(ErrorCode::Network, errors.join(u"; "_s));
}

namespace {

// The continuity verdict of a run, tied to the profile's gates: more than gates.maxLostRows
// lost rows, a gap in the table's time column or an append slower than gates.maxGapMs (no
// acknowledged write for that long), missing ids or no rows at all fail it.
ContinuityOptions gateOptions(const Core::UpgradeProfile::Gates &gates)
{
    ContinuityOptions co;
    co.timeGapMs = gates.maxGapMs;
    co.stallMs = gates.maxGapMs;
    co.fatalKinds |= findingBit(FindingKind::TimeGap) | findingBit(FindingKind::Stall);
    co.allowedLost = gates.maxLostRows;
    return co;
}

QString idsOf(const QList<ContinuityFinding> &findings)
{
    QStringList ids;
    for (const ContinuityFinding &f : findings.mid(0, 10)) {
        ids << (f.firstId == f.lastId ? QString::number(f.firstId) : u"%1..%2"_s.arg(f.firstId).arg(f.lastId));
    }
    return ids.join(u", "_s);
}

} // namespace

// Before the next host: every attempt the writer sent since the last checkpoint, up to the
// end of this host's window (its stop to its recovery done, as journaled), against this run's
// rows (its tag) read back over their id range (and the id before it, so a gap at the
// boundary counts). The profile's gates decide (gateOptions: lost rows, time gaps and stalls
// beyond gates.maxGapMs); a breach stops the run, saying what and where; findings are tied to
// this host's window when they fall in it. Each attempt is judged by exactly one checkpoint
// (the last one's end is journaled).
Result<QJsonObject> UpgradeRunner::Work::continuityCheckpoint(const QString &host)
{
    HostWindow window{host, NULL_VALUE, QDateTime::currentMSecsSinceEpoch()};
    qint64 fromMs = NULL_VALUE;
    for (const JournalRecord &r : m_journal->records()) {
        if (r.kind == u"done"_s && r.step == stepKey(StepId::Continuity) && r.data.contains(u"toMs"_s)) {
            fromMs = qint64(r.data.value(u"toMs"_s).toDouble());
        }
    }
    for (const TimelineSpan &s : hostWindowsFromJournal(m_journal->records())) {
        if (s.host == host) {
            window.startMs = s.startMs;
            window.endMs = s.isOpen() ? window.endMs : s.endMs;
        }
    }
    if (window.startMs == NULL_VALUE) {
        return QJsonObject{{u"skipped"_s, u"no window in the journal"_s}};
    }
    // No wait for the appends still in flight: they are indeterminate here (never "lost"), and
    // the run's final check judges every attempt again.
    (void)m_writerLog->sync();
    const WriterLogContents log = m_writerLog->snapshot();
    const WindowAttempts w = attemptsInWindow(log.attempts, fromMs == NULL_VALUE ? std::numeric_limits<qint64>::min() : fromMs + 1,
                                              window.endMs);
    if (w.attempts.empty()) {
        message(u"continuity %1: the writer made no attempt since the last checkpoint"_s.arg(host), host);
        emitEvent(EngineEvent::Kind::CheckResult, Outcome::Warn, host, stepKey(StepId::Continuity),
                  u"no write attempt since the last checkpoint"_s);
        return QJsonObject{{u"attempts"_s, 0}, {u"toMs"_s, window.endMs}};
    }
    // The id before the window's first (the previous window's last attempt) is read too.
    const bool earlier = !log.attempts.empty() && log.attempts.front().id < w.firstId;
    const qint64 readFirst = earlier ? w.firstId - 1 : w.firstId;
    const QString tag = log.tag();
    Result<QString> script = Scripts::idRange(m_profile.writer.database, m_profile.writer.table, u"id"_s, u"time"_s,
                                              readFirst, w.lastId, Scripts::RowFilter{u"name"_s, tag});
    if (!script) {
        return script.error();
    }
    const std::vector<qint64> restarts = log.restartIds();
    ContinuityReport report;
    for (int attempt = 0;; ++attempt) {
        Result<DdbValue> v = runOnAnyDataNode(*script, 60000);
        Result<IdTimePage> page = v ? readIdTimePage(*v, u"id"_s, u"time"_s) : Result<IdTimePage>(v.error());
        ContinuityColumns cols;
        Status read = page ? appendColumns(page->ids, page->times, cols) : Status(page.error());
        if (!read) {
            // Not judged here; the run's final check reads the whole table again.
            message(u"continuity %1: cannot read ids %2..%3 back: %4"_s.arg(host).arg(w.firstId).arg(w.lastId).arg(
                        read.error().message),
                    host);
            emitEvent(EngineEvent::Kind::CheckResult, Outcome::Warn, host, stepKey(StepId::Continuity),
                      u"the window could not be read back: "_s + read.error().message);
            return QJsonObject{{u"error"_s, read.error().message}};
        }
        ContinuityInput in = cols.input();
        in.attempts = w.attempts;
        in.hasWriterLog = true;
        in.writerRestartIds = restarts;
        in.windows = {window};
        report = ContinuityAnalyzer(gateOptions(m_profile.gates)).analyze(in);
        if (report.total(FindingKind::Lost) > 0 && attempt == 0) {
            QThread::msleep(3000); // rule out a read that raced the last appends' visibility
            continue;
        }
        break;
    }
    const qint64 lost = report.total(FindingKind::Lost);
    const bool breach = report.isFatal();
    const QStringList reasons = continuityVerdictReasons(report, {window});
    QString text = u"writer up to the end of %1's window (ids %2..%3, rows tagged %4): %5 attempts, %6 acknowledged, "
                   "%7 lost, %8 duplicate, %9 time gap(s) beyond %10 ms, max latency %11 ms"_s
                       .arg(host)
                       .arg(w.firstId)
                       .arg(w.lastId)
                       .arg(tag.isEmpty() ? u"(untagged)"_s : tag)
                       .arg(report.attempts)
                       .arg(report.acknowledged)
                       .arg(lost)
                       .arg(report.total(FindingKind::Duplicate) + report.total(FindingKind::LateDuplicate))
                       .arg(report.total(FindingKind::TimeGap))
                       .arg(m_profile.gates.maxGapMs)
                       .arg(report.latencyMaxMs == NULL_VALUE ? 0 : report.latencyMaxMs);
    if (breach) {
        text += u"; FAILS: "_s + reasons.join(u"; "_s);
    }
    emitEvent(EngineEvent::Kind::CheckResult, breach ? Outcome::Failed : Outcome::Ok, host, stepKey(StepId::Continuity), text,
              continuityReportToJson(report, {window}, log.nodes));
    if (breach) {
        QString why;
        if (report.isFatal(FindingKind::Lost)) {
            why = u"%1 acknowledged row(s) lost up to the end of the host's window (ids %2; gate: at most %3)"_s.arg(lost)
                      .arg(idsOf(report.findingsOf(FindingKind::Lost)))
                      .arg(m_profile.gates.maxLostRows);
        }
        QStringList others;
        for (const QString &r : reasons) {
            if (!r.startsWith(u"lost:"_s)) {
                others << r;
            }
        }
        if (!others.isEmpty()) {
            why += (why.isEmpty() ? u"the writer's continuity up to the end of the host's window fails the gates: "_s
                                  : u"; "_s)
                + others.join(u"; "_s);
        }
        return stepError(host, stepKey(StepId::Continuity),
                         why + u"; the run stops before the next host. To go on anyway, raise gates.maxLostRows or "
                               "gates.maxGapMs in the profile and resume"_s);
    }
    return QJsonObject{{u"attempts"_s, report.attempts}, {u"acknowledged"_s, report.acknowledged},
                       {u"lost"_s, lost},                {u"duplicate"_s, report.total(FindingKind::Duplicate)},
                       {u"timeGaps"_s, report.total(FindingKind::TimeGap)},
                       {u"firstId"_s, w.firstId},        {u"lastId"_s, w.lastId},
                       {u"tag"_s, tag},
                       {u"fromMs"_s, fromMs == NULL_VALUE ? QJsonValue() : QJsonValue(double(fromMs))},
                       {u"toMs"_s, double(window.endMs)}};
}

// The writer: an HA session over the data nodes writing this run's rows (tagged with the run
// id, ids above the table's largest) into the profile's table. Its log lies next to the
// journal; the log's meta names the table and the tag, each writer start is a session in it.
void UpgradeRunner::Work::startWriter()
{
    if (!m_options.writer || !m_profile.writer.enabled) {
        return;
    }
    QList<DdbSite> sites;
    for (const Core::ClusterNode &n : m_cluster->topology().nodesWithMode(Core::NodeMode::DataNode)) {
        sites.append(DdbSite{n.host, n.port, n.alias});
    }
    const DdbCredentials cred{m_profile.apiUser, m_cluster->apiPassword()};
    const QString tag = writerRunTag(m_runId);
    m_writerLog = std::make_unique<WriterLog>();
    const QString logPath = m_options.journalPath + u".writer"_s;
    if (Status s = m_writerLog->open(logPath, QJsonObject{{u"table"_s, QString(m_profile.writer.database + u'/' + m_profile.writer.table)},
                                                          {u"tag"_s, tag}});
        !s) {
        message(u"writer log: "_s + s.error().message);
        m_writerLog.reset();
        return;
    }
    m_writer = std::make_unique<WriterProbe>(
        [sites, cred]() -> std::unique_ptr<WriterTransport> { return std::make_unique<DdbWriterTransport>(sites, cred); },
        m_writerLog.get());
    WriterSettings ws;
    ws.database = m_profile.writer.database;
    ws.table = m_profile.writer.table;
    ws.rowsPerSecond = m_options.writerRate > 0 ? m_options.writerRate : m_profile.writer.rowsPerSecond;
    ws.idType = m_profile.writer.longIds ? WriterIdType::Long : WriterIdType::Int;
    ws.firstId = m_writerLog->attemptCount() > 0 ? 0 : 1;
    ws.aboveTableMaxId = true;
    // A resumed run's log keeps the tag it started with.
    const QString loggedTag = m_writerLog->snapshot().tag();
    ws.name = loggedTag.isEmpty() ? tag : loggedTag;
    m_writer->start(ws);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 15000 && m_writer->acknowledged() == 0 && m_writer->state() != WriterProbe::State::Failed) {
        QThread::msleep(50);
    }
    const std::vector<WriterSession> sessions = m_writerLog->sessions();
    const QString from = sessions.empty() ? u"(not started)"_s
        : sessions.back().tableMaxId == NULL_VALUE
            ? QString::number(sessions.back().firstId)
            : u"%1 (above the table's largest id %2)"_s.arg(sessions.back().firstId).arg(sessions.back().tableMaxId);
    message(u"writer: %1 rows/s into %2/%3, rows tagged %4, ids from %5 (%6 acknowledged so far)"_s.arg(ws.rowsPerSecond)
                .arg(ws.database, ws.table, ws.name, from)
                .arg(m_writer->acknowledged()));
}

// The run's final continuity check: every attempt of the writer log against this run's rows
// (its tag) read back, judged by the profile's gates (gateOptions); a breach fails the run,
// saying what and where. The verdict, its reasons and the findings go to the summary (report).
void UpgradeRunner::Work::finishWriter()
{
    if (!m_writer) {
        return;
    }
    m_writer->stop();
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 30000 && m_writer->state() != WriterProbe::State::Stopped
           && m_writer->state() != WriterProbe::State::Failed) {
        QThread::msleep(50);
    }
    m_writer.reset();
    (void)m_writerLog->sync();
    const WriterLogContents log = m_writerLog->snapshot();
    // Read this run's rows back through a data node and classify every attempt.
    Result<ContinuityTableRef> ref = ContinuityTableRef::parse(m_profile.writer.database + u'/' + m_profile.writer.table,
                                                               u"id"_s, u"time"_s);
    if (!ref) {
        message(u"continuity: "_s + ref.error().message);
        return;
    }
    ref->tag = log.tag();
    if (ref->tag.isEmpty()) {
        message(u"continuity: the writer log names no run tag (written before runs tagged their rows): every row of "
                "the table is counted, so older rows with the same ids can hide a loss"_s);
    }
    // Findings are tied to the hosts' windows as the journal has them (those a crashed process
    // opened too), each lasting until the host's recovery is done: writes that stall while its
    // chunks recover belong to that host. These are the windows `graystep-cli continuity
    // --journal` reports, so the live report and a later one attribute alike. (The timeline's
    // HostDown..HostUp band is the shorter time the host's nodes were not serving.)
    const QList<TimelineSpan> spans = hostWindowsFromJournal(m_journal->records());
    QList<HostWindow> windows;
    for (const TimelineSpan &s : spans) {
        windows.append({s.host, s.startMs, s.isOpen() ? QDateTime::currentMSecsSinceEpoch() : s.endMs});
    }
    const std::vector<qint64> restarts = log.restartIds();
    for (int attempt = 0;; ++attempt) {
        Result<ContinuityColumns> cols = readContinuityColumns(
            [&](const QString &script) -> Result<DdbValue> { return runOnAnyDataNode(script, 60000); }, *ref);
        if (!cols) {
            // Fallback: one read of both columns (servers without `top`/`order by`).
            message(u"continuity: paged read failed (%1); reading the columns in one request"_s.arg(cols.error().message));
            Result<QString> script = Scripts::idTimeAll(ref->database, ref->table, ref->idColumn, ref->timeColumn,
                                                        ref->filter());
            Result<DdbValue> all = script ? runOnAnyDataNode(*script, 120000) : Result<DdbValue>(script.error());
            if (all) {
                Result<IdTimePage> page = readIdTimePage(*all, ref->idColumn, ref->timeColumn);
                if (page) {
                    ContinuityColumns c;
                    if (Status st = appendColumns(page->ids, page->times, c); st) {
                        cols = std::move(c);
                    }
                }
            }
        }
        if (!cols) {
            message(u"continuity: cannot read the table back: "_s + cols.error().message);
            m_summary.continuity = QJsonObject{{u"error"_s, cols.error().message}};
            return;
        }
        ContinuityInput in = cols->input();
        in.attempts = log.attempts;
        in.hasWriterLog = true;
        in.writerRestartIds = restarts;
        in.windows = windows;
        const ContinuityReport report = ContinuityAnalyzer(gateOptions(m_profile.gates)).analyze(in);
        m_summary.continuity = continuityReportToJson(report, windows, log.nodes);
        m_summary.continuity.insert(u"table"_s, ref->path());
        m_summary.continuity.insert(u"tag"_s, ref->tag);
        const qint64 lost = report.total(FindingKind::Lost);
        if (lost > 0 && attempt == 0) {
            // Rule out a read that raced the last appends' visibility: read once more.
            message(u"continuity: %1 acknowledged id(s) not found (%2); reading the table again in 3 s"_s.arg(lost).arg(
                idsOf(report.findingsOf(FindingKind::Lost))));
            QThread::msleep(3000);
            continue;
        }
        const bool breach = report.isFatal();
        const QStringList reasons = continuityVerdictReasons(report, windows);
        QString text = u"writer: %1 attempts, %2 acknowledged, %3 lost, %4 duplicate, %5 time gap(s) beyond %6 ms, "
                       "max latency %7 ms"_s.arg(report.attempts)
                           .arg(report.acknowledged)
                           .arg(lost)
                           .arg(report.total(FindingKind::Duplicate) + report.total(FindingKind::LateDuplicate))
                           .arg(report.total(FindingKind::TimeGap))
                           .arg(m_profile.gates.maxGapMs)
                           .arg(report.latencyMaxMs == NULL_VALUE ? 0 : report.latencyMaxMs);
        if (breach) {
            text += u"; FAILS: "_s + reasons.join(u"; "_s);
        }
        emitEvent(EngineEvent::Kind::CheckResult, breach ? Outcome::Failed : Outcome::Ok, {}, stepKey(StepId::Continuity), text,
                  m_summary.continuity);
        if (breach && m_summary.ok) {
            m_summary.ok = false;
            m_summary.failure = u"the writer's continuity fails the gates: "_s + reasons.join(u"; "_s);
        }
        return;
    }
}

// ------------------------------------------------------------------------------------------

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
