// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace GrayStep::Sim {

// A private OpenSSH sshd for one emulated host, laid out in its own directory:
//
//   DIR/ssh_host_ed25519_key(.pub)   the host key (ssh-keygen)
//   DIR/client/id_ed25519(.pub)      a client key for the current user, listed in authorized_keys
//   DIR/authorized_keys
//   DIR/sshd_config                  ListenAddress ADDR:PORT, StrictModes no, UsePAM no,
//                                    key-only auth unless setPasswordAuthentication(true)
//   DIR/sshd.pid, DIR/sshd.log       PidFile and the -E log (LogLevel VERBOSE: a test oracle)
//
// start() runs `/usr/sbin/sshd -f DIR/sshd_config -E DIR/sshd.log` (sshd daemonises, so the
// server outlives this object's process if wanted, e.g. `graystep-sandbox up`), then waits
// until the port answers with an SSH banner. stop() works from the pid file, so another
// process can stop a server this one started; it ends the listener, every per-connection
// sshd process and every process still running with this server's SSH_CONNECTION
// (including detached `setsid` steps), and waits until none is left (see StopScope for less).
//
// Blocking calls, meant for tests, the sandbox launcher and worker threads. Needs root
// (sshd switches users) and /usr/sbin/sshd; sshdAvailable() tells whether it can work here.
// The destructor does NOT stop the server (call stop(), or setStopOnDestruction(true)).
class SshdServer final
{
public:
    SshdServer(QString directory, QString address, quint16 port = 2222);
    ~SshdServer();
    SshdServer(const SshdServer &) = delete;
    SshdServer &operator=(const SshdServer &) = delete;

    // Empty when this machine can run the server, otherwise why not ("/usr/sbin/sshd not found").
    static QString unavailableReason();
    static bool sshdAvailable() { return unavailableReason().isEmpty(); }
    // The user sshd lets in (the current user) and the paths of the tools used.
    static QString currentUser();
    static QString sshdPath();

    // Configuration, effective at the next prepare()/start().
    void setPasswordAuthentication(bool enabled) { m_passwordAuth = enabled; }
    // Keyboard-interactive authentication; in OpenSSH it needs PAM, so this also sets UsePAM yes
    // (Debian's /etc/pam.d/sshd). Tests only.
    void setKeyboardInteractive(bool enabled) { m_kbdInteractive = enabled; }
    void setStopOnDestruction(bool enabled) { m_stopOnDestruction = enabled; }
    // Users sshd lets in (AllowUsers); default: currentUser() only.
    void setAllowUsers(const QStringList &users) { m_allowUsers = users; }
    // Extra lines appended to sshd_config (tests only).
    void setExtraConfig(const QString &lines) { m_extraConfig = lines; }

    // Creates the directory, host key and client key (kept if they already exist),
    // authorized_keys and sshd_config, and checks the config with `sshd -t`.
    Core::Status prepare();
    // prepare() when needed, start sshd and wait (up to timeoutMs) until it answers.
    Core::Status start(int timeoutMs = 10000);
    enum class StopScope {
        Listener,               // only the listening sshd; open sessions go on
        ListenerAndConnections, // plus every per-connection sshd process: the connections drop,
                                // but the commands they ran and whatever those started keep
                                // running (a real host whose sshd stops: its nodes stay up)
        Everything,             // plus every process still carrying this server's SSH_CONNECTION,
                                // detached ones included (e.g. emulated nodes started over SSH)
    };
    // Ends the server (by default: everything it started, leaving no process); waits up to
    // timeoutMs for the processes to go, then SIGKILLs what is left.
    Core::Status stop(int timeoutMs = 5000, StopScope scope = StopScope::Everything);
    bool isRunning() const;
    // Pid of the listening sshd, or -1.
    qint64 pid() const;

    // Replaces the host key with a new one of the same type; restarts the listening sshd when it
    // was running (sessions and processes started through it are not touched).
    Core::Status regenerateHostKey();

    // Per-connection sshd processes and everything below them (commands included).
    QList<qint64> sessionPids() const;
    // SIGSTOP / SIGCONT every session process (a server that stops answering, TCP still up).
    Core::Status suspendSessions();
    Core::Status resumeSessions();
    // SIGKILL every session process (a dropped connection).
    Core::Status killSessions();

    // Generates an additional client key (optionally passphrase-protected) under DIR/client
    // and adds it to authorized_keys. Returns the private key's path.
    Core::Result<QString> addClientKey(const QString &name, const QByteArray &passphrase = {});

    QString directory() const { return m_directory; }
    QString address() const { return m_address; }
    quint16 port() const { return m_port; }
    QString configPath() const;
    QString logPath() const;
    QString pidFilePath() const;
    QString hostKeyPath() const;          // private key
    QString hostPublicKeyPath() const;
    QString clientKeyPath() const;        // private key for currentUser(), no passphrase
    QString clientPublicKeyPath() const;
    QString authorizedKeysPath() const;

    // "ssh-ed25519 AAAA..." of the host key, and "SHA256:..." as `ssh-keygen -lf` prints it.
    Core::Result<QString> hostPublicKey() const;
    Core::Result<QString> hostKeyFingerprint() const;
    // A known_hosts line pinning this server: "[ADDR]:PORT ssh-ed25519 AAAA...".
    Core::Result<QString> knownHostsLine() const;
    // The sshd log so far (empty if none).
    QByteArray log() const;
    // How many sessions sshd started so far ("Starting session:" log lines: commands, shells,
    // subsystems such as sftp). A refused host key or failed login starts none.
    int sessionsStarted() const;

private:
    Core::Status writeConfig();
    Core::Status runTool(const QString &program, const QStringList &args, QByteArray *output = nullptr) const;
    QList<qint64> listenerPids() const;
    QList<qint64> connectionProcesses() const;
    QList<qint64> connectionSshdProcesses() const;
    bool waitForBanner(int timeoutMs) const;

    QString m_directory;
    QString m_address;
    quint16 m_port = 2222;
    bool m_passwordAuth = false;
    bool m_kbdInteractive = false;
    bool m_stopOnDestruction = false;
    QString m_extraConfig;
    QStringList m_allowUsers;
};

} // namespace GrayStep::Sim
