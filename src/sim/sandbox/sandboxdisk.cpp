// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxdisk.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Sim::SandboxDisk {

namespace {

// Runs a system tool; its output on failure.
Status run(const QString &program, const QStringList &args, int timeoutMs = 60000)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForStarted(5000))
        return Error(ErrorCode::Io, u"cannot run %1: %2"_s.arg(program, p.errorString()), program);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        return Error(ErrorCode::Timeout, u"%1 did not finish"_s.arg(program), program);
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const QString out = QString::fromLocal8Bit(p.readAll()).trimmed();
        return Error(ErrorCode::Io, u"%1 %2 failed: %3"_s.arg(program, args.join(u' '), out), program);
    }
    return {};
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
QString unescapeMountField(const QByteArray &field)
{
    QByteArray out;
    for (qsizetype i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            bool ok = false;
            const int c = field.mid(i + 1, 3).toInt(&ok, 8);
            if (ok) {
                out += char(c);
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return QString::fromLocal8Bit(out);
}

QString canonical(const QString &dir)
{
    const QString c = QFileInfo(dir).canonicalFilePath();
    return c.isEmpty() ? QDir::cleanPath(QDir(dir).absolutePath()) : c;
}

} // namespace

QString tmpfsUnavailableReason()
{
#ifndef Q_OS_LINUX
    return u"tmpfs needs Linux"_s;
#else
    if (qEnvironmentVariable("GRAYSTEP_SANDBOX_TMPFS") == "0"_L1)
        return u"GRAYSTEP_SANDBOX_TMPFS=0"_s;
    if (::geteuid() != 0)
        return u"not root (mounting tmpfs needs root)"_s;
    return {};
#endif
}

bool isMountPoint(const QString &dir)
{
    QFile info(u"/proc/self/mountinfo"_s);
    if (!info.open(QIODevice::ReadOnly))
        return false;
    const QString want = canonical(dir);
    for (const QByteArray &line : info.readAll().split('\n')) {
        const QList<QByteArray> f = line.split(' ');
        if (f.size() > 4 && unescapeMountField(f.at(4)) == want)
            return true;
    }
    return false;
}

Status mountTmpfs(const QString &dirIn, qint64 sizeMiB)
{
    const QString dir = QDir::cleanPath(QDir(dirIn).absolutePath());
    if (isMountPoint(dir))
        return {};
    const QString aside = dir + u".disk"_s;
    if (QFileInfo::exists(aside))
        return Error(ErrorCode::Failed, u"%1 exists (left by an interrupted mount or unmount): move its contents back"_s.arg(aside), aside);
    QDir().mkpath(dir);
    if (!QDir().rename(dir, aside))
        return Error(ErrorCode::Io, u"cannot move %1 aside"_s.arg(dir), dir);
    const auto restore = [&] {
        QDir(dir).removeRecursively();
        QDir().rename(aside, dir);
    };
    QDir().mkpath(dir);
    if (Status s = run(u"mount"_s, {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"size=%1m,mode=0755"_s.arg(sizeMiB),
                                    u"graystep-sandbox"_s, dir});
        !s) {
        restore();
        return s;
    }
    if (Status s = run(u"cp"_s, {u"-a"_s, aside + u"/."_s, dir + u'/'}); !s) {
        (void)run(u"umount"_s, {dir});
        restore();
        return s;
    }
    QDir(aside).removeRecursively();
    return {};
}

Status unmountTmpfs(const QString &dirIn)
{
    const QString dir = QDir::cleanPath(QDir(dirIn).absolutePath());
    if (!isMountPoint(dir))
        return {};
    (void)removeBallast(dir);
    const QString aside = dir + u".disk"_s;
    if (QFileInfo::exists(aside))
        QDir(aside).removeRecursively();
    QDir().mkpath(aside);
    if (Status s = run(u"cp"_s, {u"-a"_s, dir + u"/."_s, aside + u'/'}); !s) {
        QDir(aside).removeRecursively();
        return s;
    }
    if (Status s = run(u"umount"_s, {dir}); !s) {
        QDir(aside).removeRecursively();
        return s;
    }
    // The real directory under the mount: replaced by the copy.
    QDir(dir).removeRecursively();
    if (!QDir().rename(aside, dir))
        return Error(ErrorCode::Io, u"cannot move %1 back to %2"_s.arg(aside, dir), dir);
    return {};
}

Result<qint64> fillWithBallast(const QString &dir)
{
    const QString path = dir + u'/' + QLatin1StringView(BallastFile);
    const QByteArray name = QFile::encodeName(path);
    const int fd = ::open(name.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return Error(ErrorCode::Io, QString::fromLocal8Bit(std::strerror(errno)), path);
    static const QByteArray block(1 << 20, '\0');
    qint64 total = 0;
    int err = 0;
    // Big blocks first, then single pages, then bytes: until the kernel refuses.
    for (qsizetype size : {qsizetype(1) << 20, qsizetype(4096), qsizetype(1)}) {
        while (true) {
            const ssize_t n = ::write(fd, block.constData(), size_t(size));
            if (n > 0) {
                total += n;
                continue;
            }
            err = n < 0 ? errno : ENOSPC;
            if (err == EINTR)
                continue;
            break;
        }
        if (err != ENOSPC)
            break;
    }
    ::close(fd);
    if (err != ENOSPC)
        return Error(ErrorCode::Io, QString::fromLocal8Bit(std::strerror(err)), path);
    return total;
}

qint64 removeBallast(const QString &dir)
{
    QFile f(dir + u'/' + QLatin1StringView(BallastFile));
    const qint64 size = f.exists() ? f.size() : 0;
    f.remove();
    return size;
}

qint64 freeBytes(const QString &dir)
{
    struct statvfs st;
    if (::statvfs(QFile::encodeName(dir).constData(), &st) != 0)
        return -1;
    return qint64(st.f_bavail) * qint64(st.f_frsize);
}

} // namespace GrayStep::Sim::SandboxDisk
