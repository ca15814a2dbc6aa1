// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "core/upgradeprofile.h"

#include <QByteArrayView>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

// What a DolphinDB server package (the vendor's DolphinDB_Linux64_V<version>.zip) is, read from
// inside the file and never from its name: one implementation for the pre-flight and the runner.
//
// Where the version lives in a real package (researched; what is inferred is marked):
//  - The zip holds server/ with the `dolphindb` executable, the server library libDolphinDB.so
//    (libDolphinDB.dll on Windows) that plugins link against, dolphindb.cfg, dolphindb.lic,
//    dolphindb.dos, web/, tzdb/, plugins/ and clusterDemo/ (vendor deployment tutorials).
//  - The vendor documents no version file in the package and no command line flag that prints
//    the version without starting a server; the version is what the server's version()
//    answers, "2.00.8.12 2023.01.10" (number and release date). INFERRED: that text is built
//    into the server library (the engine the executable runs), so it is searched there as
//    "<number> <yyyy.mm.dd>", and in the executable when the package has no library.
//  - The sandbox's packages (src/sim/sandbox) carry a stand-in server/libDolphinDB.so holding
//    that text the same way, and the emulated node refuses to start when it disagrees.
//
// What cannot be known without starting the new server: whether it starts at all on the host
// (missing shared libraries, a library that does not match the executable, the licence, a
// plugin of another version). The sandbox's "broken" package is such a case: version 2.00.8.12
// inside, a dolphindb binary present, and a node that fails at start; no static check finds it.
namespace GrayStep::Engine {

// One entry of a zip's central directory.
struct ZipEntry
{
    QString name;
    qint64 compressedSize = 0;
    qint64 uncompressedSize = 0;
    int method = 0;   // 0 stored, 8 deflated
};

// Reads the central directory (no extraction, no external tool). Fails for files that are
// not zips, damaged directories and ZIP64 archives, naming the file.
Core::Result<QList<ZipEntry>> readZipDirectory(const QString &zipPath);

// The distinct "<number> <yyyy.mm.dd>" texts (e.g. "2.00.8.12 2023.01.10") in `data`, in order of
// first appearance: a number of 3 or 4 dot-separated parts (1, 2, 1-2[, 1-3] digits), one space,
// a date; neither side touching another digit or dot.
QStringList findVersionStrings(QByteArrayView data);

// The same search over a stream fed in chunks of any size (a library of 100+ MB is not read
// into memory); a text split across chunks is found.
class VersionTextScanner final
{
public:
    void feed(QByteArrayView chunk);
    void finish();   // after the last chunk
    QStringList found() const { return m_found; }

private:
    static constexpr qsizetype CARRY = 32;   // longer than any match
    void scan(QByteArrayView chunk, bool atEnd);
    QByteArray m_carry;
    qsizetype m_resumeAt = 0;
    QStringList m_found;
};

struct PackageInfo
{
    QString path;
    QString sha256;
    qint64 bytes = 0;
    qint64 unpackedBytes = 0;     // sum of the entries' uncompressed sizes
    int entries = 0;
    QString binaryEntry;          // "server/dolphindb" (or dolphindb.exe); empty when absent
    QString version;              // "2.00.8.12", read from inside; empty when not found
    QString versionLine;          // "2.00.8.12 2023.01.10"
    QString versionSource;        // the entry it was read from, "server/libDolphinDB.so"
    QStringList pluginDirs;       // the directories under server/plugins/
    QStringList problems;         // what makes the package unusable whatever the target
    // Why the version could not be read from inside (none or several texts found), when it
    // could not: a warning to confirm, since where a real package keeps it is inferred.
    QString versionUnknown;

    bool hasServerBinary() const { return !binaryEntry.isEmpty(); }
    // The problems, plus a version that is not the target's number ("2.00.8.12" or
    // "2.00.8.12 2023.01.10"). Each names the package file.
    QStringList problemsFor(const QString &targetVersion) const;
};

// Reads a package: SHA-256 (cached by file identity), the zip's directory, the server binary,
// the version inside (streamed through `unzip -p`, the Info-ZIP tool the pre-flight already
// needs). Fails only when the file cannot be read as a zip at all; everything else found
// wrong is in problems. Blocking (hashing and unzip): worker threads only.
Core::Result<PackageInfo> inspectPackage(const QString &zipPath);

// The runner's check before the first host stops: every package the run would install (the
// profile's, for the hosts without their own, and each `--package-for HOST=ZIP`) is inspected
// and must be usable for profile.targetVersion; the profile's package must also match
// profile.packageSha256 when one is recorded. A host in packageForHost that is not in the
// profile is bad input. Fails (ErrorCode::InvalidInput) listing every problem with the hosts
// concerned and the file; nothing is touched. What only a start shows is not checked (above).
Core::Status checkPackagesBeforeStop(const Core::UpgradeProfile &profile, const QMap<QString, QString> &packageForHost);

} // namespace GrayStep::Engine
