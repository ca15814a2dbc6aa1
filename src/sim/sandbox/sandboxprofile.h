// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/sandbox/sandboxpackages.h"
#include "sim/sandbox/sandboxspec.h"

#include "core/upgradeprofile.h"

#include <QJsonObject>
#include <QString>

namespace GrayStep::Sim {

// The upgrade profile `up` writes to D/sandbox.graystep.json (DESIGN.md §7) is a
// Core::UpgradeProfile (core/upgradeprofile.h owns the format and its strict loader):
// "sandbox": true, the API password as the reference {"sandboxDefault": true}, every host
// with its installDir and either "ssh" (port 2222, the sandbox's key and known_hosts) or
// "access": "local" (--no-ssh), the 2.00.8.12 package with its SHA-256, the tutorial's
// writer (dfs://stock/stock, 10 rows/s), gates, "orderPolicy": "leader-last", and for
// --from-config the address remapping ("addressMap"). Paths are absolute.
//
// What the launcher did beyond the profile (every package it built, --from-config's
// dropped settings) goes to D/sandbox.info.json (sandboxInfo()):
// { "dir": "<D>", "packages": { "2.00.7.4": {path, sha256, version, versionLine}, ... },
//   "fromConfig": "<dir>", "remap": {"10.10.11.1": "127.0.10.1"}, "droppedSettings": [...] }
struct SandboxProfileInput
{
    QString directory;                  // D, absolute
    QString sshUser;
    QString keyFile;
    QString knownHostsFile;
    QList<SandboxPackage> packages;
};

Core::UpgradeProfile sandboxProfile(const SandboxSpec &spec, const SandboxProfileInput &input);
QJsonObject sandboxInfo(const SandboxSpec &spec, const SandboxProfileInput &input);

} // namespace GrayStep::Sim
