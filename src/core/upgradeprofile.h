// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace GrayStep::Core {

// Where a secret comes from. The profile never holds a password itself, except the
// sandbox's published default (kind SandboxDefault, allowed only in a sandbox profile).
struct SecretRef
{
    enum class Kind { None, Env, Keychain, Ask, SandboxDefault };
    Kind kind = Kind::None;
    QString name;   // the environment variable or keychain entry

    bool operator==(const SecretRef &) const = default;
};

enum class SshAuthMethod { Key, Agent, Password, KeyboardInteractive };

// How to reach one host and where DolphinDB is installed there.
struct HostAccess
{
    QString address;          // the host's address as cluster.nodes names it
    QString sshAddress;       // where to connect; defaults to address
    int sshPort = 22;
    QString sshUser;
    SshAuthMethod auth = SshAuthMethod::Key;
    QString keyFile;          // for Key (absolute after loading)
    QString knownHostsFile;   // absolute after loading; empty = ~/.ssh/known_hosts
    SecretRef sshSecret;      // password or key passphrase
    QString installDir;       // the server/ directory (holds dolphindb and clusterDemo/)
    // "access": "local" — commands run on this machine (a sandbox started with --no-ssh);
    // then there is no "ssh" object. Default "ssh".
    bool local = false;

    bool operator==(const HostAccess &) const = default;
};

// An original host address mapped onto a sandbox loopback address (up --from-config).
struct AddressMapping
{
    QString original;
    QString sandbox;
    bool operator==(const AddressMapping &) const = default;
};

// The upgrade profile (`*.graystep.json`, DESIGN.md §7): everything a run needs,
// saved by the wizard and by `graystep-sandbox up`, read by the CLI and the engine.
// Relative paths in the file are relative to the file's directory; load() makes them
// absolute. Unknown fields are errors that name the field's path.
struct UpgradeProfile
{
    static constexpr int FORMAT_VERSION = 1;

    bool sandbox = false;
    QString name;

    // The cluster's configuration files: a folder, or the files one by one.
    QString configDir;
    QString controllerCfg;
    QString clusterNodes;
    QString clusterCfg;
    QString agentCfg;

    QList<HostAccess> hosts;

    QString apiUser = QStringLiteral("admin");
    SecretRef apiPassword;

    QString packagePath;
    QString packageSha256;     // lower-case hex
    QString targetVersion;     // "2.00.8.12 2023.01.10" or "2.00.8.12"

    struct Writer
    {
        bool enabled = true;
        QString database = QStringLiteral("dfs://stock");
        QString table = QStringLiteral("stock");
        int rowsPerSecond = 10;
        bool longIds = false;   // "idType": "LONG" — the id column of a table the writer creates
        bool operator==(const Writer &) const = default;
    } writer;

    struct Gates
    {
        qint64 maxLostRows = 0;
        qint64 maxGapMs = 5000;
        int recoveryTimeoutS = 900;
        int stallTimeoutS = 180;
        bool operator==(const Gates &) const = default;
    } gates;

    QString orderPolicy = QStringLiteral("leader-last");
    bool canary = false;
    bool approvalPerHost = false;
    QList<AddressMapping> addressMap;

    bool operator==(const UpgradeProfile &) const = default;

    const HostAccess *host(const QString &address) const;

    // Parses and validates. `fileName` is used in messages and to resolve relative paths.
    // Every problem found is listed (one per line) in the error, each with its field path.
    static Result<UpgradeProfile> fromJson(const QByteArray &json, const QString &fileName);
    static Result<UpgradeProfile> load(const QString &path);

    // Paths are written relative to `baseDir` when they lie below it.
    QByteArray toJson(const QString &baseDir = {}) const;
    // Atomic write (temporary file + rename).
    Status save(const QString &path) const;
};

QString secretRefToString(const SecretRef &ref);
QString sshAuthMethodName(SshAuthMethod method);

} // namespace GrayStep::Core
