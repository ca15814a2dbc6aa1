// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/localshell.h"

#include "core/filedigest.h"
#include "ssh/busyguard.h"
#include "ssh/logging.h"
#include "ssh/outputsink.h"
#include "ssh/uploadprogress.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStorageInfo>

#ifdef Q_OS_UNIX
#include <csignal>
#include <cstdio>
#include <unistd.h>
#endif

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Ssh {

namespace {

QString signalName(int sig)
{
#ifdef Q_OS_UNIX
    switch (sig) {
    case SIGHUP: return u"HUP"_s;
    case SIGINT: return u"INT"_s;
    case SIGQUIT: return u"QUIT"_s;
    case SIGILL: return u"ILL"_s;
    case SIGABRT: return u"ABRT"_s;
    case SIGFPE: return u"FPE"_s;
    case SIGKILL: return u"KILL"_s;
    case SIGSEGV: return u"SEGV"_s;
    case SIGPIPE: return u"PIPE"_s;
    case SIGALRM: return u"ALRM"_s;
    case SIGTERM: return u"TERM"_s;
    case SIGUSR1: return u"USR1"_s;
    case SIGUSR2: return u"USR2"_s;
    case SIGBUS: return u"BUS"_s;
    default: break;
    }
#endif
    return QString::number(sig);
}

QString mb(qint64 bytes)
{
    return QString::number(double(bytes) / (1024.0 * 1024.0), 'f', 1) + u" MiB"_s;
}

} // namespace

LocalShell::LocalShell(QString shellProgram)
    : m_shell(std::move(shellProgram))
{}

LocalShell::~LocalShell() = default;

QString LocalShell::describe() const
{
    return u"local"_s;
}

Status LocalShell::connect()
{
    return {};
}

void LocalShell::disconnect() {}

bool LocalShell::isConnected() const
{
    return true;
}

QString LocalShell::expand(const QString &path) const
{
    if (path == u"~"_s) {
        return QDir::homePath();
    }
    if (path.startsWith(u"~/"_s)) {
        return QDir::homePath() + path.mid(1);
    }
    return path;
}

Result<ExecResult> LocalShell::exec(const QString &command, const ExecOptions &options)
{
    BusyGuard guard(m_busy);
    if (!guard.acquired()) {
        return Error(ErrorCode::Internal, u"this shell is already in use by another call (one thread at a time)"_s,
                     describe());
    }
    if (isCancelled()) {
        return cancelledError(u"command"_s);
    }
    QElapsedTimer clock;
    clock.start();
    QDeadlineTimer total = options.totalTimeoutMs > 0 ? QDeadlineTimer(options.totalTimeoutMs)
                                                      : QDeadlineTimer(QDeadlineTimer::Forever);
    QProcess p;
#ifdef Q_OS_UNIX
    // Own session and process group, like a command under sshd: the group can be killed as a whole.
    p.setChildProcessModifier([] { ::setsid(); });
#endif
    p.start(m_shell, {u"-c"_s, command});
    if (!p.waitForStarted(10000)) {
        return Error(ErrorCode::Io, u"cannot start %1: %2"_s.arg(m_shell, p.errorString()), describe());
    }
    const qint64 pid = p.processId();
    if (!options.stdinData.isEmpty()) {
        p.write(options.stdinData);
    }
    p.closeWriteChannel();

    ExecResult result;
    OutputSink sink(options, result);
    QElapsedTimer idle;
    idle.start();

    auto killGroup = [&] {
#ifdef Q_OS_UNIX
        if (pid > 0) {
            ::kill(pid_t(-pid), SIGTERM);
            ::kill(pid_t(-pid), SIGCONT);
        }
        if (!p.waitForFinished(300) && pid > 0) {
            ::kill(pid_t(-pid), SIGKILL);
        }
#else
        p.kill();
#endif
        p.waitForFinished(500);
    };
    auto drain = [&]() -> bool {
        bool any = false;
        bool within = true;
        QByteArray out = p.readAllStandardOutput();
        if (!out.isEmpty()) {
            any = true;
            within = sink.add(out.constData(), out.size(), false) && within;
        }
        QByteArray err = p.readAllStandardError();
        if (!err.isEmpty()) {
            any = true;
            within = sink.add(err.constData(), err.size(), true) && within;
        }
        if (any) {
            idle.restart();
        }
        return within;
    };

    for (;;) {
        if (isCancelled()) {
            killGroup();
            return cancelledError(u"command"_s);
        }
        if (total.hasExpired()) {
            killGroup();
            return Error(ErrorCode::Timeout,
                         u"command ran longer than %1 s and was stopped"_s.arg(options.totalTimeoutMs / 1000.0), describe());
        }
        if (options.idleTimeoutMs > 0 && idle.elapsed() > options.idleTimeoutMs) {
            killGroup();
            return Error(ErrorCode::Timeout,
                         u"no output from the command for %1 s; it was stopped"_s.arg(options.idleTimeoutMs / 1000.0),
                         describe());
        }
        p.waitForReadyRead(50);
        if (!drain()) {
            killGroup();
            return Error(ErrorCode::Failed,
                         u"command produced more than %1 of output and was stopped"_s.arg(mb(options.maxOutputBytes)),
                         describe());
        }
        if (p.state() == QProcess::NotRunning) {
            drain();
            break;
        }
    }
    sink.finish();
    if (p.exitStatus() == QProcess::CrashExit) {
        result.signalName = signalName(p.exitCode());
    } else {
        result.exitCode = p.exitCode();
    }
    result.durationMs = clock.elapsed();
    return result;
}

Result<UploadResult> LocalShell::upload(const QString &localPath, const QString &remotePath, const UploadOptions &options)
{
    BusyGuard guard(m_busy);
    if (!guard.acquired()) {
        return Error(ErrorCode::Internal, u"this shell is already in use by another call"_s, describe());
    }
    QElapsedTimer clock;
    clock.start();
    QDeadlineTimer total = options.totalTimeoutMs > 0 ? QDeadlineTimer(options.totalTimeoutMs)
                                                      : QDeadlineTimer(QDeadlineTimer::Forever);
    const QString target = expand(remotePath);
    if (target.isEmpty() || target.endsWith(u'/')) {
        return Error(ErrorCode::InvalidInput, u"invalid destination path '%1'"_s.arg(remotePath), describe());
    }
    Result<QString> localSum = Core::fileSha256(localPath, [this] { return isCancelled(); });
    if (!localSum) {
        return localSum.error();
    }
    const QString expected = options.expectedSha256.toLower();
    if (!expected.isEmpty() && expected != *localSum) {
        return Error(ErrorCode::Failed, u"%1 has SHA-256 %2, expected %3"_s.arg(localPath, *localSum, expected));
    }
    QFile in(localPath);
    if (!in.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, u"cannot read %1: %2"_s.arg(localPath, in.errorString()));
    }
    const qint64 size = in.size();
    const QString part = target + u".part"_s;
    const QString dir = QFileInfo(target).absolutePath();
    if (!QFileInfo(dir).isDir()) {
        return Error(ErrorCode::NotFound, u"directory %1 does not exist"_s.arg(dir), describe());
    }
    qint64 offset = options.resume && QFileInfo::exists(part) ? QFileInfo(part).size() : 0;
    if (offset > size) {
        offset = 0;
    }
    if (options.checkFreeSpace) {
        const qint64 avail = QStorageInfo(dir).bytesAvailable();
        const qint64 need = size - offset + options.freeSpaceMarginBytes;
        if (avail < need) {
            return Error(ErrorCode::Failed,
                         u"not enough disk space in %1: the upload needs %2 (incl. a %3 margin), %4 is available. "
                         "Nothing was written."_s
                             .arg(dir, mb(need), mb(options.freeSpaceMarginBytes), mb(avail)),
                         describe());
        }
    }
    QFile out(part);
    const QIODevice::OpenMode mode = QIODevice::WriteOnly | QIODevice::Unbuffered
                                     | (offset > 0 ? QIODevice::Append : QIODevice::Truncate);
    if (!out.open(mode)) {
        return Error(ErrorCode::Io, u"cannot create %1: %2"_s.arg(part, out.errorString()), describe());
    }
    if (!in.seek(offset)) {
        return Error(ErrorCode::Io, u"cannot seek in %1"_s.arg(localPath));
    }
    UploadResult result;
    result.bytes = size;
    result.resumedFrom = offset;

    UploadProgress progress(options.onProgress, size, offset);
    auto report = [&progress](qint64 done, bool force) { progress.report(done, force); };
    report(offset, true);

    QByteArray buf(64 * 1024, Qt::Uninitialized);
    qint64 done = offset;
    while (done < size) {
        if (isCancelled()) {
            return cancelledError(u"upload of %1"_s.arg(remotePath));
        }
        if (total.hasExpired()) {
            return Error(ErrorCode::Timeout, u"upload did not finish within %1 s"_s.arg(options.totalTimeoutMs / 1000.0),
                         describe());
        }
        const qint64 n = in.read(buf.data(), buf.size());
        if (n <= 0) {
            return Error(ErrorCode::Io, u"cannot read %1 at offset %2"_s.arg(localPath).arg(done));
        }
        const qint64 w = out.write(buf.constData(), n);
        ++result.writes;
        if (w != n) {
            const QString why = out.errorString();
            out.close();
            if (QStorageInfo(dir).bytesAvailable() < n) {
                bool removed = false;
                if (options.removePartialOnDiskFull) {
                    removed = QFile::remove(part);
                }
                return Error(ErrorCode::Io,
                             u"the disk of %1 is full: the upload of %2 stopped after %3 of %4. %2 was not changed; "
                             "%5. Free at least %6 and upload again."_s
                                 .arg(dir, remotePath, mb(done), mb(size),
                                      removed ? u"the partial file was removed"_s
                                              : u"the partial file %1 is kept for resume"_s.arg(part),
                                      mb(size - (removed ? 0 : done))),
                             describe());
            }
            return Error(ErrorCode::Io, u"writing %1 failed: %2"_s.arg(part, why), describe());
        }
        done += n;
        result.bytesSent += n;
        report(done, false);
    }
    out.flush();
#ifdef Q_OS_UNIX
    ::fsync(out.handle());
#endif
    out.close();
    Result<QString> remoteSum = Core::fileSha256(part, [this] { return isCancelled(); });
    if (!remoteSum || *remoteSum != *localSum) {
        QFile::remove(part);
        return Error(ErrorCode::Failed,
                     u"checksum mismatch after copying %1: expected %2. The partial file was removed; copy again."_s
                         .arg(remotePath, *localSum),
                     describe());
    }
#ifdef Q_OS_UNIX
    if (::rename(QFile::encodeName(part).constData(), QFile::encodeName(target).constData()) != 0) {
#else
    QFile::remove(target);
    if (!QFile::rename(part, target)) {
#endif
        return Error(ErrorCode::Io, u"cannot move %1 to %2"_s.arg(part, target), describe());
    }
    result.sha256 = *localSum;
    result.durationMs = clock.elapsed();
    report(size, true);
    return result;
}

Result<QByteArray> LocalShell::download(const QString &remotePath, qint64 maxBytes)
{
    QFile f(expand(remotePath));
    if (!f.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::NotFound, u"cannot open %1: %2"_s.arg(remotePath, f.errorString()), describe());
    }
    QByteArray data = f.read(maxBytes + 1);
    if (data.size() > maxBytes) {
        return Error(ErrorCode::Failed, u"%1 is larger than %2 bytes"_s.arg(remotePath).arg(maxBytes), describe());
    }
    return data;
}

Result<FreeSpace> LocalShell::freeSpace(const QString &remoteDir)
{
    const QString dir = expand(remoteDir);
    if (!QFileInfo(dir).isDir()) {
        return Error(ErrorCode::NotFound, u"cannot check free space in %1: no such directory"_s.arg(remoteDir), describe());
    }
    const QStorageInfo info(dir);
    return FreeSpace{info.bytesAvailable(), info.bytesTotal()};
}

Result<QString> LocalShell::sha256(const QString &remotePath)
{
    return Core::fileSha256(expand(remotePath), [this] { return isCancelled(); });
}

} // namespace GrayStep::Ssh
