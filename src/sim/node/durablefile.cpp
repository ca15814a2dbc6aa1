// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/durablefile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim::DurableFile {

using Core::Error;
using Core::ErrorCode;

namespace {

// write(2) until every byte is out; 0, or the errno that stopped it (a write of 0 bytes
// counts as ENOSPC).
int writeAll(int fd, const QByteArray &bytes)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n > 0) {
            done += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return n < 0 ? errno : ENOSPC;
        }
    }
    return 0;
}

} // namespace

Core::Status append(const QString &path, const QByteArray &bytes, qint64 *previousSize)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    // Plain write(2): a failed write is seen at once with its errno (a QFile in buffered mode
    // would fail later, in unbuffered mode it loses errno after a short write), and nothing is
    // left in a buffer to be written behind later lines.
    const QByteArray name = QFile::encodeName(path);
    const int fd = ::open(name.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return Error(ErrorCode::Io, QString::fromLocal8Bit(std::strerror(errno)), path);
    const off_t before = ::lseek(fd, 0, SEEK_END);
    if (previousSize)
        *previousSize = qint64(before);
    int err = writeAll(fd, bytes);
    if (err != 0 && before >= 0)
        (void)::ftruncate(fd, before); // shrinking needs no space: no torn line stays behind
    ::close(fd);
    if (err != 0)
        return Error(ErrorCode::Io, QString::fromLocal8Bit(std::strerror(err)), path);
    return {};
}

void undo(const QString &path, qint64 size)
{
    QFile file(path);
    if (size >= 0 && file.exists())
        (void)file.resize(size);
}

Core::Status replace(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    // A temporary file beside it, renamed over it (rename needs no space): on failure the old
    // file is untouched and the temporary file is removed.
    const QByteArray tmp = QFile::encodeName(path) + ".tmp" + QByteArray::number(qint64(::getpid()));
    const int fd = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return Error(ErrorCode::Io, QString::fromLocal8Bit(std::strerror(errno)), path);
    int err = writeAll(fd, bytes);
    if (::close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && ::rename(tmp.constData(), QFile::encodeName(path).constData()) != 0)
        err = errno;
    if (err != 0) {
        ::unlink(tmp.constData());
        return Error(ErrorCode::Io, QString::fromLocal8Bit(std::strerror(err)), path);
    }
    return {};
}

bool isNoSpace(const Core::Error &error)
{
    return error.message.contains("No space left on device"_L1);
}

} // namespace GrayStep::Sim::DurableFile
