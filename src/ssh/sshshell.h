// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ssh/remoteshell.h"

#include <QList>

#include <memory>
#include <optional>

namespace GrayStep::Ssh {

// What the trust callback is shown for a host key that is not in known_hosts yet.
struct HostKeyInfo
{
    QString host;
    quint16 port = 22;
    QString keyType;            // "ssh-ed25519", "ecdsa-sha2-nistp256", ...
    QString sha256Fingerprint;  // "SHA256:..." exactly as `ssh-keygen -lf` prints it
    QString knownHostsFile;
};

// One prompt of keyboard-interactive authentication.
struct KbdPrompt
{
    QString text;
    bool echo = false;
};

struct SshAuth
{
    enum class Method { Agent, KeyFile, Password, KeyboardInteractive };
    // Tried in this order, each once; the next one only when the server said no.
    QList<Method> methods{Method::Agent, Method::KeyFile};

    QString keyFile;
    // Asked only for an encrypted key file. Return std::nullopt to give up. The buffer is wiped
    // after use. Runs on the shell's thread (relay to the GUI with a blocking queued call).
    std::function<std::optional<QByteArray>(const QString &keyFile)> passphrase;
    std::function<std::optional<QByteArray>()> password;
    // One call per server round; return one answer per prompt, or std::nullopt to give up.
    std::function<std::optional<QList<QByteArray>>(const QString &instruction, const QList<KbdPrompt> &prompts)>
        keyboardInteractive;
};

struct SshConfig
{
    QString host;               // address or name
    quint16 port = 22;
    QString user;
    // Host keys are checked against this file only (the global file is not used). Required.
    QString knownHostsFile;
    // Called for an unknown host key; return true only on an explicit "yes, trust it".
    // Without it, unknown keys are refused. Changed keys are always refused.
    std::function<bool(const HostKeyInfo &)> trustUnknownHost;
    SshAuth auth;

    int connectTimeoutMs = 10000;
    // Default bound for every blocking libssh wait when a call has no tighter deadline.
    int operationTimeoutMs = 30000;
    // Kernel dead-peer detection on the socket (libssh 0.10 has no working keepalive):
    // SO_KEEPALIVE with these values, plus TCP_USER_TIMEOUT.
    int keepAliveIdleS = 10;
    int keepAliveIntervalS = 3;
    int keepAliveCount = 3;
    int tcpUserTimeoutMs = 20000;
    // SFTP write size; capped at 64 KiB (OpenSSH closes the channel above 256 KiB, and 64 KiB
    // with TCP_NODELAY is the fast spot measured on loopback).
    int sftpChunkBytes = 64 * 1024;
};

// RemoteShell over libssh 0.10 (libssh stays in the .cpp). One session per instance, connected
// on demand and reused; after a transport error the next call reconnects (host key checked again).
// Every remote command is wrapped so that its process group can be killed on cancel/deadline.
class SshShell final : public RemoteShell
{
public:
    explicit SshShell(SshConfig config);
    ~SshShell() override;

    QString describe() const override;
    Core::Status connect() override;
    void disconnect() override;
    bool isConnected() const override;

    Core::Result<ExecResult> exec(const QString &command, const ExecOptions &options = {}) override;
    Core::Result<UploadResult> upload(const QString &localPath, const QString &remotePath,
                                      const UploadOptions &options = {}) override;
    Core::Result<QByteArray> download(const QString &remotePath, qint64 maxBytes = 4 * 1024 * 1024) override;
    Core::Result<FreeSpace> freeSpace(const QString &remoteDir) override;

    // Host key of the last connection attempt (also when it was refused).
    HostKeyInfo lastHostKey() const;

protected:
    void interruptBlockingCall() override;

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace GrayStep::Ssh
