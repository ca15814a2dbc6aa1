// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxprofile.h"

#include <QDir>
#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

QJsonObject sandboxProfile(const SandboxSpec &spec, const SandboxProfileInput &input)
{
    const QDir d(input.directory);
    const QString configDir = d.filePath(u"host1/server/clusterDemo/config"_s);
    QJsonObject topology{
        {u"configDir"_s, configDir},
        {u"controllerCfg"_s, QString(configDir + u"/controller.cfg"_s)},
        {u"clusterNodes"_s, QString(configDir + u"/cluster.nodes"_s)},
        {u"clusterCfg"_s, QString(configDir + u"/cluster.cfg"_s)},
        {u"agentCfg"_s, QString(configDir + u"/agent.cfg"_s)},
    };
    // Host 1 may have no controller in a --from-config layout: point at a host that has one.
    for (const SandboxHost &h : spec.hosts) {
        if (!h.controllerAlias().isEmpty()) {
            topology[u"controllerCfg"_s] = d.filePath(u"host%1/server/clusterDemo/config/controller.cfg"_s.arg(h.index));
            break;
        }
    }
    QJsonArray hosts;
    for (const SandboxHost &h : spec.hosts) {
        QJsonObject host{
            {u"address"_s, h.address},
            {u"installDir"_s, d.filePath(u"host%1/server"_s.arg(h.index))},
            {u"access"_s, spec.ssh ? u"ssh"_s : u"local"_s},
        };
        if (spec.ssh) {
            host[u"ssh"_s] = QJsonObject{
                {u"address"_s, h.address},
                {u"port"_s, int(spec.sshPort)},
                {u"user"_s, input.sshUser},
                {u"auth"_s, u"key"_s},
                {u"keyFile"_s, input.keyFile},
                {u"knownHostsFile"_s, input.knownHostsFile},
            };
        }
        hosts.append(host);
    }
    QJsonObject package;
    QJsonObject packages;
    for (const SandboxPackage &p : input.packages) {
        const QJsonObject entry{{u"path"_s, p.path}, {u"sha256"_s, p.sha256}, {u"version"_s, p.version},
                                {u"versionLine"_s, p.versionLine}};
        packages[p.kind] = entry;
        if (p.kind == QLatin1StringView(TargetVersion)) {
            package = QJsonObject{{u"path"_s, p.path}, {u"sha256"_s, p.sha256}, {u"version"_s, p.version}};
        }
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
    return QJsonObject{
        {u"formatVersion"_s, 1},
        {u"sandbox"_s, true},
        {u"name"_s, u"GrayStep sandbox (%1 hosts)"_s.arg(spec.hosts.size())},
        {u"topology"_s, topology},
        {u"hosts"_s, hosts},
        {u"api"_s, QJsonObject{{u"user"_s, u"admin"_s},
                               {u"password"_s, QJsonObject{{u"sandbox-default"_s, true}}}}},
        {u"package"_s, package},
        {u"targetVersion"_s, QString::fromLatin1(TargetVersion)},
        {u"writer"_s, QJsonObject{{u"table"_s, u"dfs://stock/stock"_s}, {u"rate"_s, 10}}},
        {u"gates"_s, QJsonObject{{u"maxLostRows"_s, 0}, {u"maxGapMs"_s, 5000},
                                 {u"recoveryTimeoutSec"_s, spec.fast ? 120 : 600},
                                 {u"stallTimeoutSec"_s, spec.fast ? 30 : 120}}},
        {u"order"_s, u"leader-last"_s},
        {u"canary"_s, false},
        {u"approvePerHost"_s, false},
        {u"sandboxInfo"_s, info},
    };
}

} // namespace GrayStep::Sim
