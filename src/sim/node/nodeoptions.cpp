// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/nodeoptions.h"

#include "core/configparsers.h"

#include <QFile>
#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

QString nodeModeName(NodeMode mode)
{
    switch (mode) {
    case NodeMode::DataNode:
        return u"datanode"_s;
    case NodeMode::Agent:
        return u"agent"_s;
    case NodeMode::Controller:
        return u"controller"_s;
    }
    return {};
}

QString SiteInfo::site() const
{
    return host + u':' + QString::number(port) + u':' + alias;
}

Core::Result<SiteInfo> parseSite(const QString &text, NodeMode mode)
{
    const QStringList parts = text.trimmed().split(u':');
    bool ok = false;
    const int port = parts.size() == 3 ? parts.at(1).toInt(&ok) : 0;
    if (parts.size() != 3 || !ok || port <= 0 || port > 65535 || parts.at(0).isEmpty() || parts.at(2).isEmpty())
        return Error(ErrorCode::InvalidInput, u"invalid site '%1', expected host:port:alias"_s.arg(text));
    SiteInfo site;
    site.host = parts.at(0);
    site.port = port;
    site.alias = parts.at(2);
    site.mode = mode;
    return site;
}

Core::Result<CommandLine> parseCommandLine(const QStringList &args)
{
    CommandLine cl;
    const QHash<QString, QString CommandLine::*> known = {
        {u"-mode"_s, &CommandLine::mode},
        {u"-home"_s, &CommandLine::home},
        {u"-config"_s, &CommandLine::config},
        {u"-logFile"_s, &CommandLine::logFile},
        {u"-nodesFile"_s, &CommandLine::nodesFile},
        {u"-clusterConfig"_s, &CommandLine::clusterConfig},
        {u"-localSite"_s, &CommandLine::localSite},
        {u"-script"_s, &CommandLine::script},
    };
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString &flag = args.at(i);
        if (!flag.startsWith(u'-'))
            return Error(ErrorCode::InvalidInput, u"unexpected argument '%1'"_s.arg(flag));
        const bool hasValue = i + 1 < args.size();
        if (!hasValue)
            return Error(ErrorCode::InvalidInput, u"flag %1 needs a value"_s.arg(flag));
        const QString value = args.at(++i);
        auto it = known.constFind(flag);
        if (it != known.constEnd())
            cl.*(it.value()) = value;
        else if (flag != "-console"_L1)
            cl.unknownFlags << flag;
    }
    return cl;
}

Core::Result<QStringList> Settings::load(const QString &path, const QString &alias)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error(ErrorCode::Io, u"cannot read config file: %1"_s.arg(file.errorString()), path);
    const Core::ConfigFile parsed = Core::parseClusterCfg(file.readAll(), QFileInfo(path).fileName());
    QStringList problems;
    for (const Core::TopologyProblem &p : parsed.problems)
        problems << p.toString();
    for (const Core::ConfigSetting &setting : parsed.settings) {
        if (setting.aliasPattern.isEmpty())
            m_values.insert(setting.key, setting.value);
    }
    for (const Core::ConfigSetting &setting : parsed.settings) {
        if (!setting.aliasPattern.isEmpty() && !alias.isEmpty() && Core::aliasMatches(setting.aliasPattern, alias))
            m_values.insert(setting.key, setting.value);
    }
    return problems;
}

void Settings::setDefault(const QString &key, const QString &value)
{
    if (!m_values.contains(key))
        m_values.insert(key, value);
}

QString Settings::value(const QString &key, const QString &fallback) const
{
    return m_values.value(key, fallback);
}

qint64 Settings::intValue(const QString &key, qint64 fallback) const
{
    bool ok = false;
    const qint64 v = m_values.value(key).toLongLong(&ok);
    return ok ? v : fallback;
}

Core::Result<QList<SiteInfo>> parseClusterNodes(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error(ErrorCode::Io, u"cannot read cluster nodes file: %1"_s.arg(file.errorString()), path);
    const Core::NodesFile parsed = Core::parseClusterNodes(file.readAll(), QFileInfo(path).fileName());
    for (const Core::TopologyProblem &p : parsed.problems) {
        if (p.severity == Core::Severity::Error)
            return Error(ErrorCode::InvalidInput, p.toString(), path);
    }
    QList<SiteInfo> sites;
    for (const Core::ClusterNode &n : parsed.nodes) {
        SiteInfo site;
        site.host = n.host;
        site.port = n.port;
        site.alias = n.alias;
        site.mode = n.mode == Core::NodeMode::Controller ? NodeMode::Controller
                    : n.mode == Core::NodeMode::Agent    ? NodeMode::Agent
                                                         : NodeMode::DataNode;
        sites << site;
    }
    return sites;
}

Knobs Knobs::fromSettings(const Settings &s)
{
    Knobs k;
    k.heartbeatIntervalMs = qMax<qint64>(10, s.intValue(u"simHeartbeatIntervalMs"_s, k.heartbeatIntervalMs));
    k.startupDelayMs = qMax<qint64>(0, s.intValue(u"simStartupDelayMs"_s, k.startupDelayMs));
    k.recoveryBaseMs = qMax<qint64>(0, s.intValue(u"simRecoveryBaseMs"_s, k.recoveryBaseMs));
    k.recoveryRowsPerSec = qMax<qint64>(1, s.intValue(u"simRecoveryRowsPerSec"_s, k.recoveryRowsPerSec));
    k.writeBlockMaxMs = qMax<qint64>(0, s.intValue(u"simWriteBlockMaxMs"_s, k.writeBlockMaxMs));
    k.electionTimeoutMs = qMax<qint64>(1, s.intValue(u"raftElectionTick"_s, 800)) * 10;
    k.replicationFactor = int(qBound(qint64(1), s.intValue(u"dfsReplicationFactor"_s, k.replicationFactor), qint64(8)));
    k.reliabilityLevel = int(s.intValue(u"dfsReplicaReliabilityLevel"_s, k.reliabilityLevel));
    k.maxConnections = int(s.intValue(u"maxConnections"_s, k.maxConnections));
    k.workerNum = int(s.intValue(u"workerNum"_s, k.workerNum));
    bool ok = false;
    const double mem = s.value(u"maxMemSize"_s).toDouble(&ok);
    if (ok)
        k.maxMemSize = mem;
    return k;
}

} // namespace GrayStep::Sim
