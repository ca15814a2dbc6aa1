// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/upgradeprofile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Core {

namespace {

// Reads one JSON object, remembering the path of every field it is asked for, so
// that problems name the field ("hosts[1].ssh.port") and unknown fields are found.
class ObjectReader
{
public:
    ObjectReader(const QJsonObject &object, QString path, QStringList &problems)
        : m_object(object)
        , m_path(std::move(path))
        , m_problems(problems)
    {}

    QString fieldPath(const QString &key) const { return m_path.isEmpty() ? key : m_path + u'.' + key; }

    void problem(const QString &key, const QString &message)
    {
        m_problems.append(fieldPath(key) + u": "_s + message);
    }

    bool has(const QString &key)
    {
        m_seen.insert(key);
        return m_object.contains(key);
    }

    QString string(const QString &key, const QString &fallback = {}, bool required = false)
    {
        if (!has(key)) {
            if (required) {
                problem(key, u"missing (a text value is required)"_s);
            }
            return fallback;
        }
        const QJsonValue v = m_object.value(key);
        if (!v.isString()) {
            problem(key, u"expected text"_s);
            return fallback;
        }
        return v.toString();
    }

    bool boolean(const QString &key, bool fallback)
    {
        if (!has(key)) {
            return fallback;
        }
        const QJsonValue v = m_object.value(key);
        if (!v.isBool()) {
            problem(key, u"expected true or false"_s);
            return fallback;
        }
        return v.toBool();
    }

    qint64 integer(const QString &key, qint64 fallback, qint64 min, qint64 max)
    {
        if (!has(key)) {
            return fallback;
        }
        const QJsonValue v = m_object.value(key);
        const double d = v.toDouble();
        if (!v.isDouble() || d != double(qint64(d)) || d < double(min) || d > double(max)) {
            problem(key, u"expected a whole number from %1 to %2"_s.arg(min).arg(max));
            return fallback;
        }
        return qint64(d);
    }

    QJsonValue value(const QString &key)
    {
        m_seen.insert(key);
        return m_object.value(key);
    }

    // Call last: every key not asked for is a problem.
    void rejectUnknown()
    {
        for (auto it = m_object.begin(); it != m_object.end(); ++it) {
            if (!m_seen.contains(it.key())) {
                problem(it.key(), u"unknown field"_s);
            }
        }
    }

private:
    QJsonObject m_object;
    QString m_path;
    QStringList &m_problems;
    QSet<QString> m_seen;
};

QString resolvePath(const QString &path, const QDir &base)
{
    if (path.isEmpty()) {
        return path;
    }
    QString p = path;
    if (p.startsWith(u"~/"_s)) {
        p = QDir::homePath() + p.mid(1);
    }
    return QDir::cleanPath(base.absoluteFilePath(p));
}

QString relativePath(const QString &path, const QString &baseDir)
{
    if (baseDir.isEmpty() || path.isEmpty()) {
        return path;
    }
    const QString rel = QDir(baseDir).relativeFilePath(path);
    return rel.startsWith(u"../"_s) || QDir::isAbsolutePath(rel) ? path : rel;
}

SecretRef readSecretRef(const QJsonValue &v, const QString &path, bool sandbox, QStringList &problems)
{
    SecretRef ref;
    if (v.isUndefined() || v.isNull()) {
        return ref;
    }
    if (!v.isObject()) {
        problems.append(path + u": expected an object such as {\"env\": \"DDB_PASSWORD\"}"_s);
        return ref;
    }
    QStringList local;
    ObjectReader r(v.toObject(), path, local);
    int forms = 0;
    if (r.has(u"env"_s)) {
        ref = {SecretRef::Kind::Env, r.string(u"env"_s)};
        ++forms;
    }
    if (r.has(u"keychain"_s)) {
        ref = {SecretRef::Kind::Keychain, r.string(u"keychain"_s)};
        ++forms;
    }
    if (r.has(u"ask"_s)) {
        if (r.boolean(u"ask"_s, false)) {
            ref = {SecretRef::Kind::Ask, {}};
        }
        ++forms;
    }
    if (r.has(u"sandboxDefault"_s)) {
        if (r.boolean(u"sandboxDefault"_s, false)) {
            ref = {SecretRef::Kind::SandboxDefault, {}};
            if (!sandbox) {
                r.problem(u"sandboxDefault"_s, u"only allowed in a sandbox profile (\"sandbox\": true)"_s);
            }
        }
        ++forms;
    }
    if (r.has(u"password"_s) || r.has(u"value"_s) || r.has(u"passphrase"_s)) {
        local.append(path + u": a profile never holds a password; use {\"env\": VAR}, "
                            "{\"keychain\": NAME} or {\"ask\": true}"_s);
    } else {
        r.rejectUnknown();
    }
    if (forms > 1) {
        local.append(path + u": give exactly one of env, keychain, ask, sandboxDefault"_s);
    }
    if ((ref.kind == SecretRef::Kind::Env || ref.kind == SecretRef::Kind::Keychain) && ref.name.isEmpty()) {
        local.append(path + u": the name must not be empty"_s);
    }
    problems += local;
    return ref;
}

QJsonValue secretRefToJson(const SecretRef &ref)
{
    switch (ref.kind) {
    case SecretRef::Kind::None: return QJsonValue::Null;
    case SecretRef::Kind::Env: return QJsonObject{{u"env"_s, ref.name}};
    case SecretRef::Kind::Keychain: return QJsonObject{{u"keychain"_s, ref.name}};
    case SecretRef::Kind::Ask: return QJsonObject{{u"ask"_s, true}};
    case SecretRef::Kind::SandboxDefault: return QJsonObject{{u"sandboxDefault"_s, true}};
    }
    return QJsonValue::Null;
}

const QList<std::pair<SshAuthMethod, QString>> &authNames()
{
    static const QList<std::pair<SshAuthMethod, QString>> names{
        {SshAuthMethod::Key, u"key"_s},
        {SshAuthMethod::Agent, u"agent"_s},
        {SshAuthMethod::Password, u"password"_s},
        {SshAuthMethod::KeyboardInteractive, u"keyboard-interactive"_s},
    };
    return names;
}

bool isSafeUserName(const QString &user)
{
    static const QRegularExpression re(u"^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$"_s);
    return re.match(user).hasMatch();
}

HostAccess readHost(const QJsonValue &v, const QString &path, const QDir &base, QStringList &problems)
{
    HostAccess h;
    if (!v.isObject()) {
        problems.append(path + u": expected an object"_s);
        return h;
    }
    ObjectReader r(v.toObject(), path, problems);
    h.address = r.string(u"address"_s, {}, true);
    h.installDir = resolvePath(r.string(u"installDir"_s, {}, true), base);
    const QString access = r.string(u"access"_s, u"ssh"_s);
    if (access == u"local"_s) {
        h.local = true;
    } else if (access != u"ssh"_s) {
        r.problem(u"access"_s, u"unknown access '%1' (ssh, local)"_s.arg(access));
    }
    const QJsonValue ssh = r.value(u"ssh"_s);
    if (h.local && !r.has(u"ssh"_s)) {
        // nothing more to read
    } else if (ssh.isObject()) {
        ObjectReader s(ssh.toObject(), path + u".ssh"_s, problems);
        h.sshAddress = s.string(u"address"_s, h.address);
        h.sshPort = int(s.integer(u"port"_s, 22, 1, 65535));
        h.sshUser = s.string(u"user"_s, {}, true);
        if (!h.sshUser.isEmpty() && !isSafeUserName(h.sshUser)) {
            s.problem(u"user"_s, u"'%1' is not a valid user name (letters, digits, '.', '_', '-')"_s.arg(h.sshUser));
        }
        const QString auth = s.string(u"auth"_s, u"key"_s);
        bool known = false;
        for (const auto &[method, name] : authNames()) {
            if (name == auth) {
                h.auth = method;
                known = true;
            }
        }
        if (!known) {
            s.problem(u"auth"_s, u"unknown method '%1' (key, agent, password, keyboard-interactive)"_s.arg(auth));
        }
        h.keyFile = resolvePath(s.string(u"keyFile"_s), base);
        if (h.auth == SshAuthMethod::Key && h.keyFile.isEmpty()) {
            s.problem(u"keyFile"_s, u"missing (needed for auth \"key\")"_s);
        }
        h.knownHostsFile = resolvePath(s.string(u"knownHosts"_s), base);
        h.sshSecret = readSecretRef(s.value(u"secret"_s), path + u".ssh.secret"_s, false, problems);
        s.rejectUnknown();
    } else {
        r.problem(u"ssh"_s, u"missing (an object with port, user, auth, keyFile, knownHosts)"_s);
    }
    r.rejectUnknown();
    return h;
}

} // namespace

QString secretRefToString(const SecretRef &ref)
{
    switch (ref.kind) {
    case SecretRef::Kind::None: return u"none"_s;
    case SecretRef::Kind::Env: return u"environment variable "_s + ref.name;
    case SecretRef::Kind::Keychain: return u"keychain entry "_s + ref.name;
    case SecretRef::Kind::Ask: return u"ask"_s;
    case SecretRef::Kind::SandboxDefault: return u"sandbox default"_s;
    }
    return {};
}

QString sshAuthMethodName(SshAuthMethod method)
{
    for (const auto &[m, name] : authNames()) {
        if (m == method) {
            return name;
        }
    }
    return {};
}

const HostAccess *UpgradeProfile::host(const QString &address) const
{
    for (const HostAccess &h : hosts) {
        if (h.address == address) {
            return &h;
        }
    }
    return nullptr;
}

Result<UpgradeProfile> UpgradeProfile::fromJson(const QByteArray &json, const QString &fileName)
{
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        // Name the line of the byte offset, as an editor would show it.
        const int line = int(json.left(perr.offset).count('\n')) + 1;
        return Error(ErrorCode::InvalidInput, u"not valid JSON: %1"_s.arg(perr.errorString()),
                     u"%1:%2"_s.arg(fileName).arg(line));
    }
    if (!doc.isObject()) {
        return Error(ErrorCode::InvalidInput, u"expected a JSON object at the top level"_s, fileName);
    }
    const QDir base = QFileInfo(fileName).absoluteDir();
    QStringList problems;
    UpgradeProfile p;
    ObjectReader r(doc.object(), {}, problems);
    const qint64 format = r.integer(u"formatVersion"_s, 0, 1, 1000);
    if (!r.has(u"formatVersion"_s)) {
        r.problem(u"formatVersion"_s, u"missing"_s);
    } else if (format > FORMAT_VERSION) {
        r.problem(u"formatVersion"_s,
                  u"version %1 is newer than this GrayStep understands (%2)"_s.arg(format).arg(FORMAT_VERSION));
    }
    p.sandbox = r.boolean(u"sandbox"_s, false);
    p.name = r.string(u"name"_s);

    const QJsonValue topo = r.value(u"topology"_s);
    if (topo.isObject()) {
        ObjectReader t(topo.toObject(), u"topology"_s, problems);
        p.configDir = resolvePath(t.string(u"configDir"_s), base);
        p.controllerCfg = resolvePath(t.string(u"controllerCfg"_s), base);
        p.clusterNodes = resolvePath(t.string(u"clusterNodes"_s), base);
        p.clusterCfg = resolvePath(t.string(u"clusterCfg"_s), base);
        p.agentCfg = resolvePath(t.string(u"agentCfg"_s), base);
        if (p.configDir.isEmpty() && (p.controllerCfg.isEmpty() || p.clusterNodes.isEmpty())) {
            problems.append(u"topology: give configDir, or controllerCfg and clusterNodes"_s);
        }
        t.rejectUnknown();
    } else {
        r.problem(u"topology"_s, u"missing (an object with configDir or the config files)"_s);
    }

    const QJsonValue hosts = r.value(u"hosts"_s);
    if (hosts.isArray() && !hosts.toArray().isEmpty()) {
        const QJsonArray arr = hosts.toArray();
        QSet<QString> seen;
        for (qsizetype i = 0; i < arr.size(); ++i) {
            const QString path = u"hosts[%1]"_s.arg(i);
            HostAccess h = readHost(arr.at(i), path, base, problems);
            if (!h.address.isEmpty() && seen.contains(h.address)) {
                problems.append(path + u".address: host %1 is listed twice"_s.arg(h.address));
            }
            seen.insert(h.address);
            p.hosts.append(h);
        }
    } else {
        r.problem(u"hosts"_s, u"missing (a non-empty list of hosts)"_s);
    }

    const QJsonValue api = r.value(u"api"_s);
    if (api.isObject()) {
        ObjectReader a(api.toObject(), u"api"_s, problems);
        p.apiUser = a.string(u"user"_s, p.apiUser);
        p.apiPassword = readSecretRef(a.value(u"password"_s), u"api.password"_s, p.sandbox, problems);
        a.rejectUnknown();
    }

    const QJsonValue pkg = r.value(u"package"_s);
    if (pkg.isObject()) {
        ObjectReader k(pkg.toObject(), u"package"_s, problems);
        p.packagePath = resolvePath(k.string(u"path"_s, {}, true), base);
        p.packageSha256 = k.string(u"sha256"_s).toLower();
        static const QRegularExpression hex(u"^[0-9a-f]{64}$"_s);
        if (!p.packageSha256.isEmpty() && !hex.match(p.packageSha256).hasMatch()) {
            k.problem(u"sha256"_s, u"expected 64 hexadecimal digits"_s);
        }
        k.rejectUnknown();
    } else {
        r.problem(u"package"_s, u"missing (an object with path and sha256)"_s);
    }
    p.targetVersion = r.string(u"targetVersion"_s, {}, true);

    const QJsonValue writer = r.value(u"writer"_s);
    if (writer.isObject()) {
        ObjectReader w(writer.toObject(), u"writer"_s, problems);
        p.writer.enabled = w.boolean(u"enabled"_s, p.writer.enabled);
        p.writer.database = w.string(u"database"_s, p.writer.database);
        p.writer.table = w.string(u"table"_s, p.writer.table);
        p.writer.rowsPerSecond = int(w.integer(u"rowsPerSecond"_s, p.writer.rowsPerSecond, 1, 1000));
        const QString idType = w.string(u"idType"_s, u"INT"_s);
        if (idType == u"INT"_s || idType == u"LONG"_s) {
            p.writer.longIds = idType == u"LONG"_s;
        } else {
            w.problem(u"idType"_s, u"expected INT or LONG"_s);
        }
        if (!p.writer.database.startsWith(u"dfs://"_s)) {
            w.problem(u"database"_s, u"expected a DFS path such as dfs://stock"_s);
        }
        w.rejectUnknown();
    }

    const QJsonValue gates = r.value(u"gates"_s);
    if (gates.isObject()) {
        ObjectReader g(gates.toObject(), u"gates"_s, problems);
        p.gates.maxLostRows = g.integer(u"maxLostRows"_s, p.gates.maxLostRows, 0, 1'000'000'000);
        p.gates.maxGapMs = g.integer(u"maxGapMs"_s, p.gates.maxGapMs, 1, 86'400'000);
        p.gates.recoveryTimeoutS = int(g.integer(u"recoveryTimeoutS"_s, p.gates.recoveryTimeoutS, 1, 604'800));
        p.gates.stallTimeoutS = int(g.integer(u"stallTimeoutS"_s, p.gates.stallTimeoutS, 1, 604'800));
        g.rejectUnknown();
    }

    p.orderPolicy = r.string(u"orderPolicy"_s, p.orderPolicy);
    if (p.orderPolicy != u"leader-last"_s && p.orderPolicy != u"as-listed"_s) {
        r.problem(u"orderPolicy"_s, u"unknown policy '%1' (leader-last, as-listed)"_s.arg(p.orderPolicy));
    }
    p.canary = r.boolean(u"canary"_s, false);
    p.approvalPerHost = r.boolean(u"approvalPerHost"_s, false);

    const QJsonValue map = r.value(u"addressMap"_s);
    if (map.isArray()) {
        const QJsonArray arr = map.toArray();
        for (qsizetype i = 0; i < arr.size(); ++i) {
            ObjectReader m(arr.at(i).toObject(), u"addressMap[%1]"_s.arg(i), problems);
            p.addressMap.append({m.string(u"original"_s, {}, true), m.string(u"sandbox"_s, {}, true)});
            m.rejectUnknown();
        }
    } else if (!map.isUndefined()) {
        r.problem(u"addressMap"_s, u"expected a list"_s);
    }
    r.rejectUnknown();

    if (!problems.isEmpty()) {
        return Error(ErrorCode::InvalidInput, problems.join(u'\n'), fileName);
    }
    return p;
}

Result<UpgradeProfile> UpgradeProfile::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, u"cannot read the profile: %1"_s.arg(file.errorString()), path);
    }
    return fromJson(file.readAll(), QFileInfo(path).absoluteFilePath());
}

QByteArray UpgradeProfile::toJson(const QString &baseDir) const
{
    const auto rel = [&](const QString &p) { return relativePath(p, baseDir); };
    QJsonObject o;
    o.insert(u"formatVersion"_s, FORMAT_VERSION);
    if (sandbox) {
        o.insert(u"sandbox"_s, true);
    }
    if (!name.isEmpty()) {
        o.insert(u"name"_s, name);
    }
    QJsonObject topo;
    const auto putPath = [&](QJsonObject &obj, const QString &key, const QString &value) {
        if (!value.isEmpty()) {
            obj.insert(key, rel(value));
        }
    };
    putPath(topo, u"configDir"_s, configDir);
    putPath(topo, u"controllerCfg"_s, controllerCfg);
    putPath(topo, u"clusterNodes"_s, clusterNodes);
    putPath(topo, u"clusterCfg"_s, clusterCfg);
    putPath(topo, u"agentCfg"_s, agentCfg);
    o.insert(u"topology"_s, topo);

    QJsonArray hostArray;
    for (const HostAccess &h : hosts) {
        QJsonObject ssh{{u"port"_s, h.sshPort}, {u"user"_s, h.sshUser},
                        {u"auth"_s, sshAuthMethodName(h.auth)}};
        if (!h.sshAddress.isEmpty() && h.sshAddress != h.address) {
            ssh.insert(u"address"_s, h.sshAddress);
        }
        putPath(ssh, u"keyFile"_s, h.keyFile);
        putPath(ssh, u"knownHosts"_s, h.knownHostsFile);
        if (h.sshSecret.kind != SecretRef::Kind::None) {
            ssh.insert(u"secret"_s, secretRefToJson(h.sshSecret));
        }
        if (h.local) {
            hostArray.append(QJsonObject{{u"address"_s, h.address}, {u"installDir"_s, rel(h.installDir)},
                                         {u"access"_s, u"local"_s}});
        } else {
            hostArray.append(QJsonObject{{u"address"_s, h.address}, {u"installDir"_s, rel(h.installDir)},
                                         {u"ssh"_s, ssh}});
        }
    }
    o.insert(u"hosts"_s, hostArray);
    QJsonObject api{{u"user"_s, apiUser}};
    if (apiPassword.kind != SecretRef::Kind::None) {
        api.insert(u"password"_s, secretRefToJson(apiPassword));
    }
    o.insert(u"api"_s, api);
    QJsonObject pkg{{u"path"_s, rel(packagePath)}};
    if (!packageSha256.isEmpty()) {
        pkg.insert(u"sha256"_s, packageSha256);
    }
    o.insert(u"package"_s, pkg);
    o.insert(u"targetVersion"_s, targetVersion);
    o.insert(u"writer"_s, QJsonObject{{u"enabled"_s, writer.enabled}, {u"database"_s, writer.database},
                                      {u"table"_s, writer.table}, {u"rowsPerSecond"_s, writer.rowsPerSecond},
                                      {u"idType"_s, writer.longIds ? u"LONG"_s : u"INT"_s}});
    o.insert(u"gates"_s, QJsonObject{{u"maxLostRows"_s, gates.maxLostRows}, {u"maxGapMs"_s, gates.maxGapMs},
                                     {u"recoveryTimeoutS"_s, gates.recoveryTimeoutS},
                                     {u"stallTimeoutS"_s, gates.stallTimeoutS}});
    o.insert(u"orderPolicy"_s, orderPolicy);
    o.insert(u"canary"_s, canary);
    o.insert(u"approvalPerHost"_s, approvalPerHost);
    if (!addressMap.isEmpty()) {
        QJsonArray arr;
        for (const AddressMapping &m : addressMap) {
            arr.append(QJsonObject{{u"original"_s, m.original}, {u"sandbox"_s, m.sandbox}});
        }
        o.insert(u"addressMap"_s, arr);
    }
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

Status UpgradeProfile::save(const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return Error(ErrorCode::Io, u"cannot write the profile: %1"_s.arg(file.errorString()), path);
    }
    file.write(toJson(QFileInfo(path).absolutePath()));
    if (!file.commit()) {
        return Error(ErrorCode::Io, u"cannot write the profile: %1"_s.arg(file.errorString()), path);
    }
    return {};
}

} // namespace GrayStep::Core
