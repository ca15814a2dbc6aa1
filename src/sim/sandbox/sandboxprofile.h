// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/sandbox/sandboxpackages.h"
#include "sim/sandbox/sandboxspec.h"

#include <QJsonObject>
#include <QString>

namespace GrayStep::Sim {

// The upgrade profile `up` writes to D/sandbox.graystep.json (DESIGN.md §7 "Upgrade
// profile"). It is the engine's input, so its format is fixed here. Paths are absolute.
//
// {
//   "formatVersion": 1,                        // integer; readers refuse other versions
//   "sandbox": true,                           // the only case where api.password may be the
//                                              // published default
//   "name": "GrayStep sandbox (3 hosts)",
//   "topology": {                              // the config files to parse (host 1's copies;
//     "configDir": ".../host1/server/clusterDemo/config",   //  cluster.nodes is the same on
//     "controllerCfg": ".../controller.cfg",   //  every host; each host's controller.cfg and
//     "clusterNodes": ".../cluster.nodes",     //  agent.cfg differ only in localSite, and
//     "clusterCfg": ".../cluster.cfg",         //  agent.cfg in controllerSite)
//     "agentCfg": ".../agent.cfg"
//   },
//   "hosts": [                                 // one entry per host, in host order
//     { "address": "127.0.10.1",               // what cluster.nodes calls the host
//       "installDir": ".../host1/server",      // the server/ directory (binaries, clusterDemo/)
//       "access": "ssh",                       // "ssh", or "local" (--no-ssh: run commands
//                                              //  locally, e.g. LocalShell, cwd-independent)
//       "ssh": {                               // present when access is "ssh"
//         "address": "127.0.10.1", "port": 2222, "user": "root",
//         "auth": "key",                       // key | agent | password | keyboard-interactive
//         "keyFile": ".../ssh/id_ed25519",     // private key, no passphrase
//         "knownHostsFile": ".../ssh/known_hosts"   // pins every host's key ([addr]:port lines)
//       } } ],
//   "api": { "user": "admin",
//            "password": { "sandbox-default": true } },  // a REFERENCE, never the password:
//                                              //  {"env": "VAR"} | {"keychain": "id"} | {"ask": true}
//                                              //  | {"sandbox-default": true} (only with "sandbox": true)
//   "package": { "path": ".../packages/DolphinDB_Linux64_V2.00.8.12.zip",
//                "sha256": "<64 hex>", "version": "2.00.8.12" },
//   "targetVersion": "2.00.8.12",
//   "writer": { "table": "dfs://stock/stock",  // database path + "/" + table name
//               "rate": 10 },                  // rows per second, 1..1000
//   "gates": { "maxLostRows": 0,               // acknowledged rows that may be missing
//              "maxGapMs": 5000,               // largest tolerated time gap between writes
//              "recoveryTimeoutSec": 600,      // wait for chunks to be COMPLETE, per host
//              "stallTimeoutSec": 120 },       // RECOVERING count unchanged this long = stall
//   "order": "leader-last",                    // host order policy
//   "canary": false,                           // pause after the first host
//   "approvePerHost": false,                   // ask the operator before each host
//   "sandboxInfo": {                           // what the launcher did; the engine may ignore it
//     "dir": "<D>",
//     "packages": { "2.00.7.4": {...}, "2.00.8.12": {...}, "broken": {...} },  // path, sha256
//     "fromConfig": "<user's config dir>",     // --from-config only (else absent)
//     "remap": { "10.10.11.1": "127.0.10.1" }, // --from-config: user's address -> loopback
//     "droppedSettings": [ "cluster.cfg:4: volumes=/ssd1 (names a path ...)" ]
//   }
// }
//
// Every field above is required except hosts[].ssh (when access is "local") and the
// sandboxInfo members marked optional; an engine reading the profile treats unknown fields
// as errors (with their JSON path), so new fields need formatVersion 2.
struct SandboxProfileInput
{
    QString directory;                  // D, absolute
    QString sshUser;
    QString keyFile;
    QString knownHostsFile;
    QList<SandboxPackage> packages;
};

QJsonObject sandboxProfile(const SandboxSpec &spec, const SandboxProfileInput &input);

} // namespace GrayStep::Sim
