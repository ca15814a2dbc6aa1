// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "sim/sandbox/sandboxspec.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>

namespace GrayStep::Sim {

struct UpOptions
{
    int hosts = 3;
    int controllers = 0;                 // 0 = min(hosts, 3)
    QString version = QStringLiteral("2.00.7.4");
    QString baseAddress = QStringLiteral("127.0.10.1");
    bool ssh = true;
    bool fast = false;
    QString fromConfig;                  // a user's config directory (up --from-config)
    QString nodeBinary;                  // ddbsim; empty = findNodeBinary()
    int timeoutMs = 0;                   // 0 = 30 s with --fast, else 120 s
    bool tmpfs = true;                   // each host on its own size-limited tmpfs where possible
    qint64 diskMiB = 512;                // that tmpfs's size
};

// The sandbox launcher behind `graystep-sandbox` (DESIGN.md §5, §7). One object per sandbox
// directory D:
//
//   D/sandbox.graystep.json     the upgrade profile (sandboxprofile.h)
//   D/sandbox.state.json        what `up` built (hosts, nodes, ssh) for down/status/fault
//   D/host<N>/server/           a real install tree per host (dolphindb = ddbsim, clusterDemo/...)
//   D/host<N>/sshd/             the host's private sshd (SshdServer)
//   D/ssh/id_ed25519, known_hosts   the client key every sshd accepts, and their host keys
//   D/packages/*.zip            DolphinDB_Linux64_V2.00.7.4.zip, ..._V2.00.8.12.zip, ..._broken.zip
//
// Disks: where root may mount tmpfs, `up` puts each D/host<N> on its own size-limited tmpfs
// (UpOptions::diskMiB) so `fault disk-full` fills it for real; `down` (and a failed `up`) copies
// the contents back to the real directory and unmounts. Elsewhere disk-full is the nodes'
// emulated quota. `up` reports which one in "disk".
//
// Blocking calls (a command-line tool); progress lines go to the progress callback.
class SandboxLauncher final
{
public:
    explicit SandboxLauncher(const QString &directory);

    void setProgress(std::function<void(const QString &)> progress) { m_progress = std::move(progress); }

    // Lays out (first time) and starts the sandbox; when it already runs, reports that
    // ("alreadyRunning": true) without starting anything twice.
    Core::Result<QJsonObject> up(const UpOptions &options);
    // Lays the sandbox out (install trees, packages, keys, sshd configs, profile, state) without
    // starting anything; when D is already laid out, returns what it holds.
    Core::Result<SandboxSpec> prepare(const UpOptions &options);
    // Stops every node (stopAllNode.sh per host), every sshd, then SIGKILLs any process of the
    // sandbox still left (processesUnderDirectory(); reported as "leftoversKilled").
    Core::Result<QJsonObject> down();
    // Every node: up/down, pid, role, version (API), leader.
    Core::Result<QJsonObject> status();
    // Injects a fault; see faultKinds().
    Core::Result<QJsonObject> fault(const QString &kind, const QStringList &args);
    static QStringList faultKinds();

    bool isLaidOut() const;
    Core::Result<SandboxSpec> loadSpec() const;
    QString directory() const { return m_dir; }
    QString profilePath() const;
    QString hostDir(const SandboxHost &host) const;        // D/host<N> (its tmpfs mount point)
    QString installDir(const SandboxHost &host) const;     // D/host<N>/server
    QString clusterDemoDir(const SandboxHost &host) const;
    QString sshdDir(const SandboxHost &host) const;
    QString keyFile() const;
    QString knownHostsFile() const;

    // Runs a shell command on a host: over its sshd (ssh client, key, known_hosts) when the
    // sandbox has SSH, else locally with sh -c. Returns stdout+stderr; an error on exit != 0.
    Core::Result<QByteArray> runOnHost(const SandboxHost &host, const QString &command, int timeoutMs = 30000) const;
    // The ssh client's arguments for running `command` on a host (key, known_hosts, batch mode).
    QStringList sshCommand(const SandboxHost &host, quint16 port, const QString &command) const;

    // Pid of a node from its pid file when that process is alive and runs from the host's
    // clusterDemo; -1 otherwise.
    qint64 nodePid(const SandboxHost &host, const QString &alias) const;
    // Processes the sandbox started that still run: executable under D (nodes, also after an
    // upgrade replaced the file) or an sshd whose command line names D.
    QList<qint64> processesUnderDirectory() const;

    // The ddbsim binary: explicit path, else $GRAYSTEP_DDBSIM, else ddbsim next to this executable.
    static QString findNodeBinary(const QString &explicitPath = {});

private:
    Core::Status layOut(const SandboxSpec &spec, const QString &nodeBinary, QJsonObject *packagesOut);
    Core::Status prepareSsh(const SandboxSpec &spec);
    Core::Status startSshd(const SandboxSpec &spec);
    Core::Status startCluster(const SandboxSpec &spec, int timeoutMs, QString *leaderOut);
    Core::Status createTutorialTable(const SandboxSpec &spec, int timeoutMs);
    Core::Result<QString> findLeader(const SandboxSpec &spec, int timeoutMs) const;
    Core::Status runOnHosts(const QList<QPair<const SandboxHost *, QString>> &jobs, int timeoutMs) const;
    Core::Status saveState(const SandboxSpec &spec, bool databaseCreated) const;
    QJsonObject upReport(const SandboxSpec &spec, bool alreadyRunning) const;
    // Puts every host on its own tmpfs (sandboxdisk.h) or says why not: {"method": "tmpfs"|"emulated",
    // "sizeMiB", "reason", "mounted": [addresses]}.
    QJsonObject mountDisks(const SandboxSpec &spec, const UpOptions &options);
    // Unmounts every host tmpfs (contents kept on the real directories); errors as text.
    QStringList unmountDisks(const SandboxSpec &spec, QJsonArray *unmounted) const;
    void progress(const QString &line) const;

    QString m_dir;
    std::function<void(const QString &)> m_progress;
};

} // namespace GrayStep::Sim
