// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/nodeoptions.h"

#include <QFile>
#include <QRegularExpression>

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

bool Settings::aliasMatches(const QString &pattern, const QString &alias)
{
    if (!pattern.contains(u'%') && !pattern.contains(u'?'))
        return pattern == alias;
    QString re;
    for (QChar c : pattern) {
        if (c == u'%')
            re += ".*"_L1;
        else if (c == u'?')
            re += u'.';
        else
            re += QRegularExpression::escape(QString(c));
    }
    return QRegularExpression(QRegularExpression::anchoredPattern(re)).match(alias).hasMatch();
}

Core::Status Settings::load(const QString &path, const QString &alias)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return Error(ErrorCode::Io, u"cannot read config file: %1"_s.arg(file.errorString()), path);
    QHash<QString, QString> overrides;
    int lineNo = 0;
    while (!file.atEnd()) {
        ++lineNo;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0)
            return Error(ErrorCode::InvalidInput, u"expected key=value"_s, path + u':' + QString::number(lineNo));
        const QString key = line.left(eq).trimmed();
        const QString value = line.mid(eq + 1).trimmed();
        const qsizetype dot = key.lastIndexOf(u'.');
        if (dot > 0) {
            if (!alias.isEmpty() && aliasMatches(key.left(dot), alias))
                overrides.insert(key.mid(dot + 1), value);
            continue;
        }
        m_values.insert(key, value);
    }
    for (auto it = overrides.cbegin(); it != overrides.cend(); ++it)
        m_values.insert(it.key(), it.value());
    return {};
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

Core::Result<QList<SiteInfo>> parseClusterNodesText(const QString &text, const QString &where)
{
    QList<SiteInfo> sites;
    const QStringList lines = text.split(u'\n');
    bool header = true;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString line = lines.at(i).trimmed();
        const QString at = where + u':' + QString::number(i + 1);
        if (header) {
            if (!line.startsWith("localSite"_L1))
                return Error(ErrorCode::InvalidInput, u"the first line must be the header 'localSite,mode'"_s, at);
            header = false;
            continue;
        }
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const QStringList fields = line.split(u',');
        if (fields.size() < 2)
            return Error(ErrorCode::InvalidInput, u"expected 'host:port:alias,mode'"_s, at);
        const QString modeText = fields.at(1).trimmed().toLower();
        NodeMode mode;
        if (modeText == "controller"_L1)
            mode = NodeMode::Controller;
        else if (modeText == "agent"_L1)
            mode = NodeMode::Agent;
        else if (modeText == "datanode"_L1 || modeText == "computenode"_L1)
            mode = NodeMode::DataNode;
        else
            return Error(ErrorCode::InvalidInput, u"unknown mode '%1'"_s.arg(fields.at(1)), at);
        auto site = parseSite(fields.at(0), mode);
        if (!site)
            return Error(ErrorCode::InvalidInput, site.error().message, at);
        sites << *site;
    }
    if (header)
        return Error(ErrorCode::InvalidInput, u"empty cluster.nodes"_s, where);
    return sites;
}

Core::Result<QList<SiteInfo>> parseClusterNodes(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return Error(ErrorCode::Io, u"cannot read cluster nodes file: %1"_s.arg(file.errorString()), path);
    return parseClusterNodesText(QString::fromUtf8(file.readAll()), path);
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
