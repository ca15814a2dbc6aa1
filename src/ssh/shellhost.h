// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ssh/remoteshell.h"

#include <QFuture>
#include <QObject>
#include <QPromise>
#include <QThread>

#include <atomic>
#include <memory>
#include <type_traits>

namespace GrayStep::Ssh {

// One host's RemoteShell on its own QThread, for the engine and the GUI.
//
// Every call returns at once with a QFuture; the work runs on the host's thread, strictly one
// call after another in the order they were made (libssh's one-thread-per-session rule holds by
// construction). Output lines and upload progress are also emitted as signals from that thread,
// so receivers in the GUI thread get them queued; consume futures with a context object
// (`future.then(this, ...)`). cancel() works from any thread and ends the running call within
// 1 s (and all later ones until clearCancel()). Destroying the host cancels, waits for the
// thread, and cancels the futures of calls that never ran.
class ShellHost final : public QObject
{
    Q_OBJECT

public:
    explicit ShellHost(std::unique_ptr<RemoteShell> shell, QObject *parent = nullptr);
    ~ShellHost() override;
    ShellHost(const ShellHost &) = delete;
    ShellHost &operator=(const ShellHost &) = delete;

    QString describe() const { return m_describe; }
    // The worker thread (e.g. to check where work runs).
    QThread *workerThread() const { return m_thread.get(); }

    QFuture<Core::Status> connectToHost();
    // TAG is passed back with outputLine() (a step id, say). The options' own callbacks, if
    // any, run on the worker thread.
    QFuture<Core::Result<ExecResult>> exec(const QString &command, ExecOptions options = {}, const QString &tag = {});
    QFuture<Core::Result<UploadResult>> upload(const QString &localPath, const QString &remotePath,
                                               UploadOptions options = {}, const QString &tag = {});
    QFuture<Core::Result<QByteArray>> download(const QString &remotePath, qint64 maxBytes = 4 * 1024 * 1024);
    QFuture<Core::Result<FreeSpace>> freeSpace(const QString &remoteDir);
    QFuture<Core::Result<DetachedStatus>> startDetached(const DetachedStep &step);
    QFuture<Core::Result<DetachedStatus>> detachedStatus(const QString &stepId, const QString &stateDir);
    QFuture<Core::Result<DetachedStatus>> waitDetached(const QString &stepId, const QString &stateDir,
                                                       const WaitOptions &options = {});

    // Any blocking work with the shell, on the worker thread: F is called as f(RemoteShell &).
    template<typename F>
    auto run(F &&f) -> QFuture<std::invoke_result_t<F, RemoteShell &>>
    {
        using R = std::invoke_result_t<F, RemoteShell &>;
        auto promise = std::make_shared<QPromise<R>>();
        QFuture<R> future = promise->future();
        // Started here, not on the worker: a future that is still queued must already count as
        // running, or waitForFinished()/result() would return at once without a result.
        promise->start();
        RemoteShell *shell = m_shell.get();
        QMetaObject::invokeMethod(
            m_context,
            [promise, shell, closing = m_closing, fn = std::forward<F>(f)]() mutable {
                if (closing->load() || promise->isCanceled()) {
                    promise->future().cancel(); // never ran
                } else {
                    promise->addResult(fn(*shell));
                }
                promise->finish();
            },
            Qt::QueuedConnection);
        return future;
    }

    void cancel() { m_shell->cancel(); }
    void clearCancel() { m_shell->clearCancel(); }

Q_SIGNALS:
    void outputLine(const QString &tag, bool isStderr, const QString &line);
    void uploadProgress(const QString &tag, const GrayStep::Ssh::TransferProgress &progress);

private:
    std::unique_ptr<RemoteShell> m_shell;
    std::unique_ptr<QThread> m_thread;
    QObject *m_context = nullptr; // lives in m_thread; deleted when it finishes
    std::shared_ptr<std::atomic<bool>> m_closing = std::make_shared<std::atomic<bool>>(false);
    QString m_describe;
};

} // namespace GrayStep::Ssh

Q_DECLARE_METATYPE(GrayStep::Ssh::TransferProgress)
