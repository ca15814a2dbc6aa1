// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QList>
#include <QString>

namespace GrayStep::Sim {

// A package zip named like the vendor's (DolphinDB_Linux64_V<version>.zip). Its server/ holds
// `dolphindb` (the ddbsim binary), `ddbsim.version` ("2.00.8.12 2023.01.10"), `libDolphinDB.so`
// (a stand-in for the server library, carrying the version text where a real package carries it,
// see engine/packageinspection.h; ddbsim refuses to start when it disagrees), dolphindb.dos,
// a package dolphindb.cfg / dolphindb.lic and a clusterDemo/ template (which upgrade.sh must
// NOT copy over an install). The broken package (DolphinDB_Linux64_V2.00.8.12_broken.zip)
// also holds `ddbsim.broken`: its node logs that text as an error and exits 1 at start.
//
// The zips are made with the `zip` command (Info-ZIP, in .ci/setup's package list), stored
// without compression so `up` stays fast; the
// sandbox is a Linux-with-sshd tool anyway, and upgrade.sh unpacks them with `unzip`.
struct SandboxPackage
{
    QString kind;          // "2.00.7.4", "2.00.8.12" or "broken"
    QString version;       // version the package installs
    QString versionLine;   // what version() answers after installing it
    QString path;          // absolute path of the zip
    QString sha256;        // hex
};

// Builds the three packages into `directory` (created), from the node binary at `nodeBinary`.
// Existing zips are rebuilt.
Core::Result<QList<SandboxPackage>> buildPackages(const QString &directory, const QString &nodeBinary);

// Hex SHA-256 of a file.
Core::Result<QString> sha256OfFile(const QString &path);

// The contents of the stand-in server/libDolphinDB.so for `versionLine` ("2.00.8.12 2023.01.10"):
// not a shared library, but the version text inside a binary file, as the real library has it.
QByteArray serverLibraryStandIn(const QString &versionLine);

// The text of the sandbox's dolphindb.lic (no real licence: the emulator does not check it).
QString sandboxLicenceText();

} // namespace GrayStep::Sim
