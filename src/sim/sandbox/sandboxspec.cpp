// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxspec.h"

#include "core/configparsers.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QSet>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;

namespace GrayStep::Sim {

QString SandboxHost::controllerAlias() const
{
    for (const SandboxNode &n : nodes) {
        if (n.mode == "controller"_L1) {
            return n.alias;
        }
    }
    return {};
}

QString SandboxHost::agentAlias() const
{
    for (const SandboxNode &n : nodes) {
        if (n.mode == "agent"_L1) {
            return n.alias;
        }
    }
    return {};
}

QStringList SandboxHost::dataNodeAliases() const
{
    QStringList out;
    for (const SandboxNode &n : nodes) {
        if (n.mode == "datanode"_L1 || n.mode == "computenode"_L1) {
            out << n.alias;
        }
    }
    return out;
}

const SandboxNode *SandboxHost::node(const QString &alias) const
{
    for (const SandboxNode &n : nodes) {
        if (n.alias == alias) {
            return &n;
        }
    }
    return nullptr;
}

QList<SandboxNode> SandboxSpec::allNodes() const
{
    QList<SandboxNode> out;
    for (const SandboxHost &h : hosts) {
        out << h.nodes;
    }
    return out;
}

const SandboxHost *SandboxSpec::hostOf(const QString &alias) const
{
    for (const SandboxHost &h : hosts) {
        if (h.node(alias)) {
            return &h;
        }
    }
    return nullptr;
}

QStringList SandboxSpec::controllerSites() const
{
    QStringList out;
    for (const SandboxHost &h : hosts) {
        for (const SandboxNode &n : h.nodes) {
            if (n.mode == "controller"_L1) {
                out << h.site(n);
            }
        }
    }
    return out;
}

QStringList SandboxSpec::dataNodeAliases() const
{
    QStringList out;
    for (const SandboxHost &h : hosts) {
        out << h.dataNodeAliases();
    }
    return out;
}

QString buildDateOf(const QString &version)
{
    if (version == "2.00.7.4"_L1) {
        return u"2022.12.08"_s;
    }
    if (version == "2.00.8.12"_L1) {
        return u"2023.01.10"_s;
    }
    return {};
}

QStringList knownVersions()
{
    return {u"2.00.7.4"_s, u"2.00.8.12"_s};
}

Result<QStringList> loopbackAddresses(const QString &base, int count)
{
    QHostAddress addr;
    if (!addr.setAddress(base) || addr.protocol() != QAbstractSocket::IPv4Protocol) {
        return Error(ErrorCode::InvalidInput, u"not an IPv4 address: %1"_s.arg(base), u"--base-address"_s);
    }
    const quint32 ip = addr.toIPv4Address();
    if ((ip >> 24) != 127) {
        return Error(ErrorCode::InvalidInput,
                     u"%1 is not a loopback address (the sandbox only binds 127.0.0.0/8)"_s.arg(base),
                     u"--base-address"_s);
    }
    if (count < 1 || (ip & 0xff) == 0 || (ip & 0xff) + quint32(count) - 1 > 254) {
        return Error(ErrorCode::InvalidInput,
                     u"%1 hosts from %2 do not fit below .254 of that block"_s.arg(count).arg(base),
                     u"--base-address"_s);
    }
    QStringList out;
    for (int i = 0; i < count; ++i) {
        out << QHostAddress(ip + quint32(i)).toString();
    }
    return out;
}

Result<SandboxSpec> seedSpec(int hosts, const QString &baseAddress, int controllers)
{
    if (hosts < 1 || hosts > 200) {
        return Error(ErrorCode::InvalidInput, u"--hosts must be between 1 and 200"_s, u"--hosts"_s);
    }
    if (controllers <= 0) {
        controllers = qMin(hosts, 3);
    }
    if (controllers > hosts) {
        return Error(ErrorCode::InvalidInput, u"more controllers than hosts"_s, u"--controllers"_s);
    }
    const auto addresses = loopbackAddresses(baseAddress, hosts);
    if (!addresses) {
        return addresses.error();
    }
    SandboxSpec spec;
    for (int i = 1; i <= hosts; ++i) {
        SandboxHost h;
        h.index = i;
        h.address = addresses->at(i - 1);
        const QString n = QString::number(42 + i);
        if (i <= controllers) {
            h.nodes << SandboxNode{u"HActl"_s + n, u"controller"_s, 8920};
        }
        h.nodes << SandboxNode{u"agent"_s + n, u"agent"_s, 8921};
        h.nodes << SandboxNode{u"node"_s + n, u"datanode"_s, 8922};
        spec.hosts << h;
    }
    return spec;
}

namespace {

// Settings that name files or directories on the user's real machines, or addresses:
// they must not leak into the sandbox (the sandbox chooses its own paths under D).
bool isHostSpecificKey(const QString &fullKey)
{
    const QString key = fullKey.section(u'.', -1).toLower();
    return key.endsWith("dir"_L1) || key == "volumes"_L1 || key == "logfile"_L1 || key == "home"_L1
        || key == "publicname"_L1 || key == "jobfile"_L1 || key == "joblogfile"_L1
        || key == "webroot"_L1 || key == "tzdb"_L1 || key == "init"_L1 || key == "run"_L1
        || key == "startup"_L1 || key == "preloadmodules"_L1;
}

// Keys the sandbox writes itself (per host, or the knobs): a user's value is replaced.
bool isGeneratedKey(const QString &key)
{
    const QString k = key.toLower();
    return k == "mode"_L1 || k == "localsite"_L1 || k == "controllersite"_L1 || k == "sites"_L1
        || k.startsWith("sim"_L1);
}

// Keeps a parsed file's settings except the generated and host-specific ones.
QList<QPair<QString, QString>> keptSettings(const Core::ConfigFile &file, QStringList *dropped)
{
    QList<QPair<QString, QString>> out;
    for (const Core::ConfigSetting &s : file.settings) {
        const QString key = s.aliasPattern.isEmpty() ? s.key : s.aliasPattern + u'.' + s.key;
        if (isGeneratedKey(s.key)) {
            continue;
        }
        if (isHostSpecificKey(s.key)) {
            dropped->append(u"%1:%2: %3=%4 (names a path or address on the real host)"_s.arg(file.file)
                                .arg(s.line).arg(key, s.value));
            continue;
        }
        out << qMakePair(key, s.value);
    }
    return out;
}

Result<QByteArray> readConfigFile(const QString &path)
{
    if (path.isEmpty()) {
        return QByteArray();
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, f.errorString(), path);
    }
    return f.readAll();
}

} // namespace

Result<SandboxSpec> specFromConfigDir(const QString &dirPath, const QString &baseAddress)
{
    // The foundation's parsers (core/configparsers.h): the same validation the tool applies
    // to a real cluster, with file:line problems.
    const auto paths = Core::findTopologyFiles(dirPath);
    if (!paths) {
        return paths.error();
    }
    const auto topology = Core::loadTopology(*paths);
    if (!topology) {
        return topology.error();
    }
    if (topology->hasErrors()) {
        QStringList errors;
        const Core::TopologyProblem *first = nullptr;
        for (const Core::TopologyProblem &p : topology->problems) {
            if (p.severity == Core::Severity::Error) {
                errors << p.toString();
                if (!first) {
                    first = &p;
                }
            }
        }
        return Error(ErrorCode::InvalidInput, errors.join(u"; "_s),
                     QDir(QFileInfo(paths->clusterNodes).absolutePath()).filePath(first->file)
                         + (first->line > 0 ? u':' + QString::number(first->line) : QString()));
    }
    const auto addresses = loopbackAddresses(baseAddress, int(topology->hosts.size()));
    if (!addresses) {
        return addresses.error();
    }
    SandboxSpec spec;
    spec.fromConfigDir = QFileInfo(paths->clusterNodes).absolutePath();
    const QList<Core::NodeMode> modeOrder{Core::NodeMode::Controller, Core::NodeMode::Agent,
                                          Core::NodeMode::DataNode, Core::NodeMode::ComputeNode};
    for (int i = 0; i < topology->hosts.size(); ++i) {
        const Core::ClusterHost &ch = topology->hosts.at(i);
        SandboxHost h;
        h.index = i + 1;
        h.address = addresses->at(i);
        h.originalAddress = ch.address;
        const QList<Core::ClusterNode> nodes = topology->nodesOnHost(ch.address);
        for (Core::NodeMode mode : modeOrder) {
            for (const Core::ClusterNode &n : nodes) {
                if (n.mode == mode) {
                    h.nodes << SandboxNode{n.alias, Core::nodeModeName(n.mode), n.port};
                }
            }
        }
        if (std::count_if(h.nodes.cbegin(), h.nodes.cend(), [](const SandboxNode &n) { return n.mode == "agent"_L1; }) > 1) {
            return Error(ErrorCode::InvalidInput, u"host %1 has two agents"_s.arg(h.originalAddress), paths->clusterNodes);
        }
        if (!h.dataNodeAliases().isEmpty() && h.agentAlias().isEmpty()) {
            return Error(ErrorCode::InvalidInput,
                         u"host %1 has data nodes but no agent to start them"_s.arg(h.originalAddress), paths->clusterNodes);
        }
        spec.remap.insert(h.originalAddress, h.address);
        spec.hosts << h;
    }
    const auto ctl = readConfigFile(paths->controllerCfg);
    const auto cluster = readConfigFile(paths->clusterCfg);
    const auto agent = readConfigFile(paths->agentCfg);
    for (const auto *r : {&ctl, &cluster, &agent}) {
        if (!*r) {
            return r->error();
        }
    }
    spec.controllerSettings = keptSettings(Core::parseControllerCfg(*ctl), &spec.droppedSettings);
    spec.clusterSettings = keptSettings(Core::parseClusterCfg(*cluster), &spec.droppedSettings);
    spec.agentSettings = keptSettings(Core::parseAgentCfg(*agent), &spec.droppedSettings);
    return spec;
}

namespace {

QString knobs(const SandboxSpec &spec, bool controller)
{
    QString out;
    if (controller) {
        out += u"raftElectionTick="_s + (spec.fast ? u"50"_s : u"300"_s) + u'\n';
    }
    if (spec.fast) {
        out += u"simHeartbeatIntervalMs=100\n"
               "simStartupDelayMs=50\n"
               "simRecoveryBaseMs=100\n"
               "simRecoveryRowsPerSec=200000\n"_s;
    }
    return out;
}

QString settingsText(const QList<QPair<QString, QString>> &settings)
{
    QString out;
    for (const auto &kv : settings) {
        out += kv.first + u'=' + kv.second + u'\n';
    }
    return out;
}

bool hasKey(const QList<QPair<QString, QString>> &settings, QLatin1StringView key)
{
    for (const auto &kv : settings) {
        if (kv.first.compare(key, Qt::CaseInsensitive) == 0) {
            return true;
        }
    }
    return false;
}

} // namespace

QString controllerCfgText(const SandboxSpec &spec, const SandboxHost &host)
{
    const SandboxNode *ctl = host.node(host.controllerAlias());
    QString out = u"mode=controller\n"_s;
    out += u"localSite="_s + (ctl ? host.site(*ctl) : QString()) + u'\n';
    if (spec.fromConfigDir.isEmpty()) {
        out += u"dfsHAMode=Raft\n"
               "dfsReplicationFactor=2\n"
               "dfsReplicaReliabilityLevel=1\n"
               "dataSync=1\n"
               "workerNum=4\n"
               "localExecutors=3\n"
               "maxConnections=512\n"
               "maxMemSize=8\n"
               "lanCluster=0\n"
               "dfsRecoveryWaitTime=30000\n"_s;
    } else {
        out += settingsText(spec.controllerSettings);
    }
    if (spec.fromConfigDir.isEmpty() || !hasKey(spec.controllerSettings, "raftElectionTick"_L1) || spec.fast) {
        out += knobs(spec, true);
    } else {
        out += knobs(spec, false);
    }
    return out;
}

QString clusterNodesText(const SandboxSpec &spec)
{
    QString out = u"localSite,mode\n"_s;
    for (const QString &mode : QStringList{u"controller"_s, u"agent"_s, u"datanode"_s, u"computenode"_s}) {
        for (const SandboxHost &h : spec.hosts) {
            for (const SandboxNode &n : h.nodes) {
                if (n.mode == mode) {
                    out += h.site(n) + u',' + n.mode + u'\n';
                }
            }
        }
    }
    return out;
}

QString clusterCfgText(const SandboxSpec &spec)
{
    QString out;
    if (spec.fromConfigDir.isEmpty()) {
        out += u"maxMemSize=8\n"
               "maxConnections=512\n"
               "workerNum=4\n"
               "chunkCacheEngineMemSize=2\n"
               "newValuePartitionPolicy=add\n"
               "dataSync=1\n"_s;
    } else {
        out += settingsText(spec.clusterSettings);
    }
    out += knobs(spec, false);
    return out;
}

QString agentCfgText(const SandboxSpec &spec, const SandboxHost &host)
{
    const SandboxNode *agent = host.node(host.agentAlias());
    const QStringList controllers = spec.controllerSites();
    // controllerSite must equal some controller's localSite: this host's own, else the first.
    QString controllerSite = controllers.value(0);
    if (const SandboxNode *ctl = host.node(host.controllerAlias())) {
        controllerSite = host.site(*ctl);
    }
    QStringList sites;
    if (agent) {
        sites << host.site(*agent) + u":agent"_s;
    }
    for (const QString &c : controllers) {
        sites << c + u":controller"_s;
    }
    QString out = u"mode=agent\n"_s;
    out += u"localSite="_s + (agent ? host.site(*agent) : QString()) + u'\n';
    out += u"controllerSite="_s + controllerSite + u'\n';
    out += u"sites="_s + sites.join(u',') + u'\n';
    if (spec.fromConfigDir.isEmpty()) {
        out += u"workerNum=4\n"
               "maxMemSize=4\n"
               "lanCluster=0\n"_s;
    } else {
        out += settingsText(spec.agentSettings);
    }
    out += knobs(spec, false);
    return out;
}

} // namespace GrayStep::Sim
