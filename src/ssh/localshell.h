// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ssh/remoteshell.h"

namespace GrayStep::Ssh {

// RemoteShell on this machine (QProcess): for a sandbox without sshd and for Windows.
// Same semantics as SshShell where they apply: commands run by `/bin/sh -c` in their own
// session (setsid) so deadlines and cancel kill the whole process group; stdout and stderr
// apart, line callbacks, exit code or signal, output limits; uploads are copies to
// DEST.part with resume, SHA-256 check and an atomic rename over DEST. Paths starting
// with "~/" are relative to the home directory. Blocking, one thread at a time.
class LocalShell final : public RemoteShell
{
public:
    explicit LocalShell(QString shellProgram = QStringLiteral("/bin/sh"));
    ~LocalShell() override;

    QString describe() const override;
    Core::Status connect() override;
    void disconnect() override;
    bool isConnected() const override;

    Core::Result<ExecResult> exec(const QString &command, const ExecOptions &options = {}) override;
    Core::Result<UploadResult> upload(const QString &localPath, const QString &remotePath,
                                      const UploadOptions &options = {}) override;
    Core::Result<QByteArray> download(const QString &remotePath, qint64 maxBytes = 4 * 1024 * 1024) override;
    Core::Result<FreeSpace> freeSpace(const QString &remoteDir) override;
    Core::Result<QString> sha256(const QString &remotePath) override;

private:
    QString expand(const QString &path) const;

    QString m_shell;
    std::atomic<bool> m_busy{false};
};

} // namespace GrayStep::Ssh
