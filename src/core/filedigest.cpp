// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/filedigest.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QMutex>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Core {

namespace {

// What must not change for a remembered digest to stay valid.
QString identityOf(const QString &path)
{
    const QFileInfo fi(path);
    QString id = u"%1|%2|%3"_s.arg(fi.absoluteFilePath()).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch());
#ifdef Q_OS_UNIX
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) == 0) {
        // ctime too: a rewrite in place that restores size and mtime (cp -p, touch -r) changes it.
        id += u"|%1|%2|%3|%4.%5"_s.arg(qulonglong(st.st_dev))
                  .arg(qulonglong(st.st_ino))
                  .arg(qlonglong(st.st_mtim.tv_nsec))
                  .arg(qlonglong(st.st_ctim.tv_sec))
                  .arg(qlonglong(st.st_ctim.tv_nsec));
    }
#endif
    return id;
}

} // namespace

Result<QString> fileSha256(const QString &path, const std::function<bool()> &cancelled)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::NotFound, u"cannot read %1: %2"_s.arg(path, f.errorString()));
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QByteArray buf(1024 * 1024, Qt::Uninitialized);
    for (;;) {
        if (cancelled && cancelled()) {
            return Error(ErrorCode::Cancelled, u"checksum of %1 cancelled"_s.arg(path));
        }
        const qint64 n = f.read(buf.data(), buf.size());
        if (n < 0) {
            return Error(ErrorCode::Io, u"cannot read %1: %2"_s.arg(path, f.errorString()));
        }
        if (n == 0) {
            break;
        }
        hash.addData(QByteArrayView(buf.constData(), n));
    }
    return QString::fromLatin1(hash.result().toHex());
}

Result<QString> cachedFileSha256(const QString &path)
{
    static QMutex mutex;
    static QHash<QString, QString> digests; // identity -> digest
    const QString before = identityOf(path);
    {
        QMutexLocker lock(&mutex);
        if (const auto it = digests.constFind(before); it != digests.cend()) {
            return *it;
        }
    }
    Result<QString> sha = fileSha256(path);
    // Remembered only when the file did not change while it was read.
    if (sha && identityOf(path) == before) {
        QMutexLocker lock(&mutex);
        digests.insert(before, *sha);
    }
    return sha;
}

} // namespace GrayStep::Core
