// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxpackages.h"

#include "sim/sandbox/sandboxspec.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Sim {

QString sandboxLicenceText()
{
    return u"# GrayStep sandbox licence file (placeholder; the ddbsim emulator checks no licence)\n"
           "licenseType=sandbox\n"
           "expiration=2099.12.31\n"_s;
}

QByteArray serverLibraryStandIn(const QString &versionLine)
{
    QByteArray lib("\x7f" "GrayStep sandbox stand-in for libDolphinDB.so (the DolphinDB server library).\n"
                   "The emulated node runs from server/dolphindb; it checks that this file carries its version.\n");
    lib += QByteArray(16, '\0');
    lib += "DolphinDB Server " + versionLine.toLatin1();
    lib += QByteArray(16, '\0');
    return lib;
}

Result<QString> sha256OfFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, f.errorString(), path);
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&f)) {
        return Error(ErrorCode::Io, u"cannot read"_s, path);
    }
    return QString::fromLatin1(hash.result().toHex());
}

namespace {

Status writeText(const QString &path, const QString &text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text.toUtf8()) < 0) {
        return Error(ErrorCode::Io, f.errorString(), path);
    }
    return {};
}

Status buildOne(const QString &directory, const QString &nodeBinary, const QString &zipName,
                const QString &versionLine, const QString &brokenText)
{
    const QString staging = QDir(directory).filePath(u".staging-"_s + zipName);
    QDir(staging).removeRecursively();
    const QString server = staging + u"/server"_s;
    if (!QDir().mkpath(server + u"/clusterDemo/config"_s)) {
        return Error(ErrorCode::Io, u"cannot create the staging directory"_s, staging);
    }
    if (!QFile::copy(nodeBinary, server + u"/dolphindb"_s)) {
        return Error(ErrorCode::Io, u"cannot copy the node binary %1"_s.arg(nodeBinary), staging);
    }
    QFile::setPermissions(server + u"/dolphindb"_s, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                              | QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther);
    Status s = writeText(server + u"/ddbsim.version"_s, versionLine + u'\n');
    if (s) {
        QFile lib(server + u"/libDolphinDB.so"_s);
        if (!lib.open(QIODevice::WriteOnly | QIODevice::Truncate) || lib.write(serverLibraryStandIn(versionLine)) < 0) {
            s = Error(ErrorCode::Io, lib.errorString(), lib.fileName());
        }
    }
    if (s) {
        s = writeText(server + u"/dolphindb.dos"_s, u"// startup script (empty)\n"_s);
    }
    if (s) {
        s = writeText(server + u"/dolphindb.cfg"_s,
                      u"# package default single-node config; upgrade.sh keeps the installed one\nlocalSite=localhost:8848:local8848\nmode=single\n"_s);
    }
    if (s) {
        s = writeText(server + u"/dolphindb.lic"_s, u"# package licence; upgrade.sh keeps the installed one\n"_s);
    }
    if (s) {
        s = writeText(server + u"/clusterDemo/config/controller.cfg"_s,
                      u"# package template; upgrade.sh keeps the installed clusterDemo/\nmode=controller\nlocalSite=localhost:8920:controller8920\n"_s);
    }
    if (s && !brokenText.isEmpty()) {
        s = writeText(server + u"/ddbsim.broken"_s, brokenText + u'\n');
    }
    if (!s) {
        return s;
    }
    const QString zipPath = QDir(directory).filePath(zipName);
    QFile::remove(zipPath);
    QProcess zip;
    zip.setWorkingDirectory(staging);
    zip.start(u"zip"_s, {u"-q"_s, u"-r"_s, u"-X"_s, u"-0"_s, zipPath, u"server"_s});   // stored (-0): 3 x 30 MB in well under a second
    if (!zip.waitForFinished(60000) || zip.exitStatus() != QProcess::NormalExit || zip.exitCode() != 0) {
        const QString why = zip.error() == QProcess::FailedToStart ? u"the zip command is not installed"_s
                                                                    : QString::fromUtf8(zip.readAllStandardError());
        return Error(ErrorCode::Io, u"zip failed: %1"_s.arg(why.trimmed()), zipPath);
    }
    QDir(staging).removeRecursively();
    return {};
}

} // namespace

Result<QList<SandboxPackage>> buildPackages(const QString &directory, const QString &nodeBinary)
{
    if (!QDir().mkpath(directory)) {
        return Error(ErrorCode::Io, u"cannot create the packages directory"_s, directory);
    }
    const QString dir = QDir(directory).absolutePath();
    QList<SandboxPackage> out;
    struct Want { QString kind; QString version; QString broken; };
    const QList<Want> wants{
        {u"2.00.7.4"_s, u"2.00.7.4"_s, {}},
        {u"2.00.8.12"_s, u"2.00.8.12"_s, {}},
        {u"broken"_s, u"2.00.8.12"_s,
         u"Failed to load the server library: libDolphinDB.so: undefined symbol "
         "_ZN9DolphinDB7Session4initEv (GrayStep sandbox: the broken package)"_s},
    };
    for (const Want &w : wants) {
        SandboxPackage p;
        p.kind = w.kind;
        p.version = w.version;
        p.versionLine = versionLine(w.version);
        const QString name = u"DolphinDB_Linux64_V"_s + w.version + (w.broken.isEmpty() ? QString() : u"_broken"_s) + u".zip"_s;
        p.path = dir + u'/' + name;
        if (Status s = buildOne(dir, nodeBinary, name, p.versionLine, w.broken); !s) {
            return s.error();
        }
        auto sum = sha256OfFile(p.path);
        if (!sum) {
            return sum.error();
        }
        p.sha256 = *sum;
        out << p;
    }
    return out;
}

} // namespace GrayStep::Sim
