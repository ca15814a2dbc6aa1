// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxprofile.h"

#include <QDir>
#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

Core::UpgradeProfile sandboxProfile(const SandboxSpec &spec, const SandboxProfileInput &input)
{
    const QDir d(input.directory);
    Core::UpgradeProfile p;
    p.sandbox = true;
    p.name = u"GrayStep sandbox (%1 hosts)"_s.arg(spec.hosts.size());
    const QString configDir = d.filePath(u"host1/server/clusterDemo/config"_s);
    p.configDir = configDir;
    p.controllerCfg = configDir + u"/controller.cfg"_s;
    p.clusterNodes = configDir + u"/cluster.nodes"_s;
    p.clusterCfg = configDir + u"/cluster.cfg"_s;
    p.agentCfg = configDir + u"/agent.cfg"_s;
    // Host 1 may have no controller in a --from-config layout: point at a host that has one.
    for (const SandboxHost &h : spec.hosts) {
        if (!h.controllerAlias().isEmpty()) {
            p.controllerCfg = d.filePath(u"host%1/server/clusterDemo/config/controller.cfg"_s.arg(h.index));
            break;
        }
    }
    for (const SandboxHost &h : spec.hosts) {
        Core::HostAccess a;
        a.address = h.address;
        a.installDir = d.filePath(u"host%1/server"_s.arg(h.index));
        a.local = !spec.ssh;
        a.sshAddress = h.address;
        a.sshPort = spec.ssh ? int(spec.sshPort) : 22;
        a.sshUser = spec.ssh ? input.sshUser : QString();
        a.auth = Core::SshAuthMethod::Key;
        if (spec.ssh) {
            a.keyFile = input.keyFile;
            a.knownHostsFile = input.knownHostsFile;
        }
        p.hosts.append(a);
    }
    p.apiUser = u"admin"_s;
    p.apiPassword = {Core::SecretRef::Kind::SandboxDefault, {}};
    for (const SandboxPackage &k : input.packages) {
        if (k.kind == QLatin1StringView(TargetVersion)) {
            p.packagePath = k.path;
            p.packageSha256 = k.sha256;
        }
    }
    p.targetVersion = QString::fromLatin1(TargetVersion);
    p.writer.enabled = true;
    p.writer.database = u"dfs://stock"_s;
    p.writer.table = u"stock"_s;
    p.writer.rowsPerSecond = 10;
    p.gates.maxLostRows = 0;
    p.gates.maxGapMs = 5000;
    p.gates.recoveryTimeoutS = spec.fast ? 120 : 600;
    p.gates.stallTimeoutS = spec.fast ? 30 : 120;
    p.orderPolicy = u"leader-last"_s;
    for (auto it = spec.remap.cbegin(); it != spec.remap.cend(); ++it) {
        p.addressMap.append({it.key(), it.value()});
    }
    return p;
}

QJsonObject sandboxInfo(const SandboxSpec &spec, const SandboxProfileInput &input)
{
    const QDir d(input.directory);
    QJsonObject packages;
    for (const SandboxPackage &p : input.packages) {
        packages[p.kind] = QJsonObject{{u"path"_s, p.path}, {u"sha256"_s, p.sha256}, {u"version"_s, p.version},
                                       {u"versionLine"_s, p.versionLine}};
    }
    QJsonObject info{{u"dir"_s, d.absolutePath()}, {u"packages"_s, packages}};
    if (!spec.fromConfigDir.isEmpty()) {
        info[u"fromConfig"_s] = spec.fromConfigDir;
        QJsonObject remap;
        for (auto it = spec.remap.cbegin(); it != spec.remap.cend(); ++it) {
            remap[it.key()] = it.value();
        }
        info[u"remap"_s] = remap;
        info[u"droppedSettings"_s] = QJsonArray::fromStringList(spec.droppedSettings);
    }
    return info;
}

} // namespace GrayStep::Sim
