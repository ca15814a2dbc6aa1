// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/shellhost.h"

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Ssh {

ShellHost::ShellHost(std::unique_ptr<RemoteShell> shell, QObject *parent)
    : QObject(parent)
    , m_shell(std::move(shell))
    , m_thread(std::make_unique<QThread>())
    , m_describe(m_shell->describe())
{
    m_thread->setObjectName(u"shell "_s + m_describe);
    m_context = new QObject;
    m_context->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

ShellHost::~ShellHost()
{
    m_closing->store(true);
    m_shell->cancel();
    m_thread->quit();
    m_thread->wait();
    // Calls that never ran: their promises are destroyed unfinished, which cancels the futures.
    m_thread.reset();
    m_shell.reset();
}

QFuture<Status> ShellHost::connectToHost()
{
    return run([](RemoteShell &s) { return s.connect(); });
}

QFuture<Result<ExecResult>> ShellHost::exec(const QString &command, ExecOptions options, const QString &tag)
{
    return run([this, command, options = std::move(options), tag](RemoteShell &s) {
        ExecOptions o = options;
        o.onStdoutLine = [this, &options, tag](const QString &line) {
            if (options.onStdoutLine) {
                options.onStdoutLine(line);
            }
            Q_EMIT outputLine(tag, false, line);
        };
        o.onStderrLine = [this, &options, tag](const QString &line) {
            if (options.onStderrLine) {
                options.onStderrLine(line);
            }
            Q_EMIT outputLine(tag, true, line);
        };
        return s.exec(command, o);
    });
}

QFuture<Result<UploadResult>> ShellHost::upload(const QString &localPath, const QString &remotePath,
                                                UploadOptions options, const QString &tag)
{
    return run([this, localPath, remotePath, options = std::move(options), tag](RemoteShell &s) {
        UploadOptions o = options;
        o.onProgress = [this, &options, tag](const TransferProgress &p) {
            if (options.onProgress) {
                options.onProgress(p);
            }
            Q_EMIT uploadProgress(tag, p);
        };
        return s.upload(localPath, remotePath, o);
    });
}

QFuture<Result<QByteArray>> ShellHost::download(const QString &remotePath, qint64 maxBytes)
{
    return run([remotePath, maxBytes](RemoteShell &s) { return s.download(remotePath, maxBytes); });
}

QFuture<Result<FreeSpace>> ShellHost::freeSpace(const QString &remoteDir)
{
    return run([remoteDir](RemoteShell &s) { return s.freeSpace(remoteDir); });
}

QFuture<Result<DetachedStatus>> ShellHost::startDetached(const DetachedStep &step)
{
    return run([step](RemoteShell &s) { return s.startDetached(step); });
}

QFuture<Result<DetachedStatus>> ShellHost::detachedStatus(const QString &stepId, const QString &stateDir)
{
    return run([stepId, stateDir](RemoteShell &s) { return s.detachedStatus(stepId, stateDir); });
}

QFuture<Result<DetachedStatus>> ShellHost::waitDetached(const QString &stepId, const QString &stateDir,
                                                        const WaitOptions &options)
{
    return run([stepId, stateDir, options](RemoteShell &s) { return s.waitDetached(stepId, stateDir, options); });
}

} // namespace GrayStep::Ssh
