// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/packageinspection.h"

#include "core/ddbversion.h"
#include "core/filedigest.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSet>
#include <QtEndian>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;

namespace GrayStep::Engine {

namespace {

quint32 le32(const QByteArray &data, qsizetype at)
{
    return qFromLittleEndian<quint32>(data.constData() + at);
}
quint16 le16(const QByteArray &data, qsizetype at)
{
    return qFromLittleEndian<quint16>(data.constData() + at);
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// The version number part: 1 digit . 2 digits . 1-2 digits [. 1-3 digits] (0.99 .. 3.00.x).
bool isVersionNumber(QByteArrayView v)
{
    const QList<QByteArrayView> parts = [&] {
        QList<QByteArrayView> out;
        qsizetype start = 0;
        for (qsizetype i = 0; i <= v.size(); ++i) {
            if (i == v.size() || v.at(i) == '.') {
                out << v.sliced(start, i - start);
                start = i + 1;
            }
        }
        return out;
    }();
    static constexpr int maxLen[] = {1, 2, 2, 3};
    if (parts.size() != 3 && parts.size() != 4) {
        return false;
    }
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QByteArrayView p = parts.at(i);
        if (p.isEmpty() || p.size() > maxLen[i] || (i == 1 && p.size() != 2)
            || !std::all_of(p.begin(), p.end(), isDigit)) {
            return false;
        }
    }
    return true;
}

// Streams one entry through `unzip -p` into the scanner.
Result<QStringList> versionStringsOfEntry(const QString &zipPath, const QString &entry)
{
    QProcess p;
    p.setReadChannel(QProcess::StandardOutput);
    p.start(u"unzip"_s, {u"-p"_s, zipPath, entry});
    if (!p.waitForStarted(10000)) {
        return Error(ErrorCode::Io, u"cannot run unzip to read %1 in %2: %3"_s.arg(entry, zipPath, p.errorString()));
    }
    VersionTextScanner scanner;
    QElapsedTimer t;
    t.start();
    while (p.state() != QProcess::NotRunning || p.bytesAvailable() > 0) {
        if (p.bytesAvailable() == 0 && !p.waitForReadyRead(1000) && p.state() != QProcess::NotRunning
            && t.elapsed() > 300000) {
            p.kill();
            p.waitForFinished(2000);
            return Error(ErrorCode::Timeout, u"reading %1 from %2 took more than 300 s"_s.arg(entry, zipPath));
        }
        const QByteArray chunk = p.read(4 << 20);
        if (!chunk.isEmpty()) {
            scanner.feed(chunk);
        }
    }
    p.waitForFinished(10000);
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        return Error(ErrorCode::InvalidInput, u"unzip could not read %1 from %2: %3"_s.arg(
                                                  entry, zipPath, QString::fromLocal8Bit(p.readAllStandardError()).trimmed()));
    }
    scanner.finish();
    return scanner.found();
}

} // namespace

void VersionTextScanner::feed(QByteArrayView chunk)
{
    scan(chunk, false);
}

void VersionTextScanner::finish()
{
    scan({}, true);
}

void VersionTextScanner::scan(QByteArrayView chunk, bool atEnd)
{
    QByteArray buf = m_carry + chunk.toByteArray();
    const qsizetype n = buf.size();
    // A date needs 10 bytes after the space and one more to see its end (or the stream's end).
    qsizetype unjudged = n;
    for (qsizetype i = m_resumeAt; i < n; ++i) {
        if (buf.at(i) != ' ') {
            continue;
        }
        if (i + 11 > n || (i + 11 == n && !atEnd)) {
            unjudged = i;   // completed with the next chunk
            break;
        }
        const char *d = buf.constData() + i + 1;
        const bool date = isDigit(d[0]) && isDigit(d[1]) && isDigit(d[2]) && isDigit(d[3]) && d[4] == '.'
                          && isDigit(d[5]) && isDigit(d[6]) && d[7] == '.' && isDigit(d[8]) && isDigit(d[9])
                          && (i + 11 == n || (!isDigit(d[10]) && d[10] != '.'));
        if (!date) {
            continue;
        }
        qsizetype b = i;
        while (b > 0 && i - b < 16 && (isDigit(buf.at(b - 1)) || buf.at(b - 1) == '.')) {
            --b;
        }
        if (b > 0 && (isDigit(buf.at(b - 1)) || buf.at(b - 1) == '.')) {
            continue;   // part of a longer run of digits and dots
        }
        const QByteArrayView number(buf.constData() + b, i - b);
        if (!isVersionNumber(number)) {
            continue;
        }
        const QString text = QString::fromLatin1(buf.constData() + b, i + 11 - b);
        if (!m_found.contains(text)) {
            m_found << text;
        }
    }
    // Keep the tail (the first unjudged space lies in its last 11 bytes, the number before it
    // in the 16 before those); positions already judged are not judged again.
    const qsizetype keep = qMin(n, CARRY);
    m_carry = buf.right(keep);
    m_resumeAt = qMax<qsizetype>(0, unjudged - (n - keep));
}

Result<QList<ZipEntry>> readZipDirectory(const QString &zipPath)
{
    QFile f(zipPath);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, u"cannot read %1: %2"_s.arg(zipPath, f.errorString()));
    }
    const qint64 size = f.size();
    // The end of central directory record: 22 bytes plus a comment of at most 65535.
    const qint64 tailSize = std::min<qint64>(size, 22 + 65535);
    if (!f.seek(size - tailSize)) {
        return Error(ErrorCode::Io, u"cannot read %1"_s.arg(zipPath));
    }
    const QByteArray tail = f.read(tailSize);
    qsizetype eocd = -1;
    for (qsizetype i = tail.size() - 22; i >= 0; --i) {
        if (le32(tail, i) == 0x06054b50u) {
            eocd = i;
            break;
        }
    }
    if (eocd < 0) {
        return Error(ErrorCode::InvalidInput, u"%1 is not a zip file (no end of central directory)"_s.arg(zipPath));
    }
    const quint16 entries = le16(tail, eocd + 10);
    const quint32 cdSize = le32(tail, eocd + 12);
    const quint32 cdOffset = le32(tail, eocd + 16);
    if (entries == 0xffff || cdSize == 0xffffffffu || cdOffset == 0xffffffffu) {
        return Error(ErrorCode::InvalidInput, u"%1 is a ZIP64 archive"_s.arg(zipPath));
    }
    if (qint64(cdOffset) + cdSize > size || !f.seek(cdOffset)) {
        return Error(ErrorCode::InvalidInput, u"%1: the central directory lies outside the file"_s.arg(zipPath));
    }
    const QByteArray cd = f.read(cdSize);
    QList<ZipEntry> out;
    out.reserve(entries);
    qsizetype at = 0;
    for (int i = 0; i < entries; ++i) {
        if (at + 46 > cd.size() || le32(cd, at) != 0x02014b50u) {
            return Error(ErrorCode::InvalidInput, u"%1: central directory entry %2 is damaged"_s.arg(zipPath).arg(i));
        }
        ZipEntry e;
        e.method = le16(cd, at + 10);
        e.compressedSize = le32(cd, at + 20);
        e.uncompressedSize = le32(cd, at + 24);
        const quint16 nameLen = le16(cd, at + 28);
        if (quint32(e.uncompressedSize) == 0xffffffffu || quint32(e.compressedSize) == 0xffffffffu) {
            return Error(ErrorCode::InvalidInput, u"%1 is a ZIP64 archive"_s.arg(zipPath));
        }
        if (at + 46 + nameLen > cd.size()) {
            return Error(ErrorCode::InvalidInput, u"%1: central directory entry %2 is damaged"_s.arg(zipPath).arg(i));
        }
        e.name = QString::fromUtf8(cd.constData() + at + 46, nameLen);
        out << e;
        at += 46 + nameLen + le16(cd, at + 30) + le16(cd, at + 32);
    }
    return out;
}

QStringList findVersionStrings(QByteArrayView data)
{
    VersionTextScanner s;
    s.feed(data);
    s.finish();
    return s.found();
}

QStringList PackageInfo::problemsFor(const QString &targetVersion) const
{
    QStringList out = problems;
    const Result<DdbVersion> target = DdbVersion::parse(targetVersion);
    if (!target) {
        out << u"the target version '%1' is not a DolphinDB version"_s.arg(targetVersion);
    } else if (!version.isEmpty() && version != target->number()) {
        out << u"%1 holds version %2 (%3 in %4), the target is %5"_s.arg(QFileInfo(path).fileName(), version, versionLine,
                                                                       versionSource, target->number());
    }
    return out;
}

Result<PackageInfo> inspectPackage(const QString &zipPath)
{
    PackageInfo info;
    info.path = zipPath;
    const QString name = QFileInfo(zipPath).fileName();
    if (!QFileInfo(zipPath).isFile()) {
        return Error(ErrorCode::NotFound, u"package %1 does not exist or is not a file"_s.arg(zipPath));
    }
    Result<QList<ZipEntry>> entries = readZipDirectory(zipPath);
    if (!entries) {
        return Error(entries.error().code, u"package %1: %2"_s.arg(zipPath, entries.error().message));
    }
    Result<QString> sha = cachedFileSha256(zipPath);
    if (!sha) {
        return sha.error();
    }
    info.sha256 = *sha;
    info.bytes = QFileInfo(zipPath).size();
    info.entries = int(entries->size());
    QHash<QString, ZipEntry> byName;
    for (const ZipEntry &e : *entries) {
        info.unpackedBytes += e.uncompressedSize;
        byName.insert(e.name, e);
        if (e.name.startsWith(u"server/plugins/"_s) && e.name.count(u'/') >= 3) {
            const QString dir = e.name.section(u'/', 2, 2);
            if (!info.pluginDirs.contains(dir)) {
                info.pluginDirs << dir;
            }
        }
    }
    for (const QString &bin : {u"server/dolphindb"_s, u"server/dolphindb.exe"_s}) {
        if (byName.contains(bin) && byName.value(bin).uncompressedSize > 0) {
            info.binaryEntry = bin;
            break;
        }
    }
    if (info.binaryEntry.isEmpty()) {
        info.problems << u"%1 holds no server/dolphindb (%2 entries): not a DolphinDB server package"_s.arg(name).arg(
            info.entries);
    }
    // The version: from the server library, else from the executable (see the header).
    QStringList sources;
    for (const QString &lib : {u"server/libDolphinDB.so"_s, u"server/libDolphinDB.dll"_s}) {
        if (byName.contains(lib)) {
            sources << lib;
        }
    }
    if (!info.binaryEntry.isEmpty()) {
        sources << info.binaryEntry;
    }
    QStringList looked;
    for (const QString &source : std::as_const(sources)) {
        Result<QStringList> found = versionStringsOfEntry(zipPath, source);
        if (!found) {
            info.problems << found.error().message;
            break;
        }
        looked << source;
        if (found->size() == 1) {
            info.versionLine = found->first();
            info.version = info.versionLine.section(u' ', 0, 0);
            info.versionSource = source;
            break;
        }
        if (found->size() > 1) {
            info.versionUnknown = u"%1: %2 holds several version texts (%3); cannot tell which is the server's"_s.arg(
                name, source, found->join(u", "_s));
            break;
        }
    }
    // Where a real package keeps its version is inferred (above): not finding it is not proof
    // of a wrong package, so it is said (and the pre-flight asks to confirm), not refused.
    if (info.version.isEmpty() && info.versionUnknown.isEmpty() && info.problems.isEmpty()) {
        info.versionUnknown = looked.isEmpty()
                                  ? u"%1: no server library or executable to read the version from"_s.arg(name)
                                  : u"%1: no version text (\"<number> <yyyy.mm.dd>\") in %2; the version is not taken "
                                    "from the file name"_s.arg(name, looked.join(u" or "_s));
    }
    return info;
}

Status checkPackagesBeforeStop(const UpgradeProfile &profile, const QMap<QString, QString> &packageForHost)
{
    // zip -> the hosts that would install it.
    QMap<QString, QStringList> users;
    for (auto it = packageForHost.cbegin(); it != packageForHost.cend(); ++it) {
        if (!profile.host(it.key())) {
            return Error(ErrorCode::InvalidInput,
                         u"--package-for names host %1, which is not in the profile"_s.arg(it.key()), it.value());
        }
    }
    for (const HostAccess &h : profile.hosts) {
        users[packageForHost.value(h.address, profile.packagePath)] << h.address;
    }
    QStringList problems;
    for (auto it = users.cbegin(); it != users.cend(); ++it) {
        const QString who = u"host%1 %2"_s.arg(it.value().size() > 1 ? u"s"_s : QString(), it.value().join(u", "_s));
        if (it.key().isEmpty()) {
            problems << u"%1: no package (package.path is empty)"_s.arg(who);
            continue;
        }
        Result<PackageInfo> info = inspectPackage(it.key());
        if (!info) {
            problems << u"%1: %2"_s.arg(who, info.error().message);
            continue;
        }
        QStringList found = info->problemsFor(profile.targetVersion);
        if (it.key() == profile.packagePath && !profile.packageSha256.isEmpty()
            && info->sha256.compare(profile.packageSha256, Qt::CaseInsensitive) != 0) {
            found << u"%1 has SHA-256 %2, the profile records %3"_s.arg(QFileInfo(it.key()).fileName(), info->sha256,
                                                                        profile.packageSha256);
        }
        for (const QString &p : std::as_const(found)) {
            problems << u"%1: %2"_s.arg(who, p);
        }
    }
    if (problems.isEmpty()) {
        return {};
    }
    return Error(ErrorCode::InvalidInput,
                 u"%1 package problem(s), found before any host stopped: %2"_s.arg(problems.size()).arg(problems.join(u"; "_s)),
                 u"package check before the first stop"_s);
}

} // namespace GrayStep::Engine
