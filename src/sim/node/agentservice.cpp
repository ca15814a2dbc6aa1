// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/agentservice.h"

#include "sim/node/nodelog.h"

#include <QFile>
#include <QProcess>

#include <csignal>
#include <sys/types.h>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

AgentService::AgentService(const NodeContext &ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
{}

qint64 AgentService::runningPid(const QString &home, const QString &alias)
{
    QFile file(home + u'/' + alias + ".pid"_L1);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    bool ok = false;
    const qint64 pid = file.readAll().trimmed().toLongLong(&ok);
    if (!ok || pid <= 0)
        return 0;
    if (::kill(pid_t(pid), 0) != 0)
        return 0;
    // A zombie (not yet reaped) or a reused pid is not the node.
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray text = stat.readAll();
        const qsizetype close = text.lastIndexOf(')');
        if (close > 0 && close + 2 < text.size() && (text.at(close + 2) == 'Z' || text.at(close + 2) == 'X'))
            return 0;
    }
    QFile cmdline(u"/proc/%1/cmdline"_s.arg(pid));
    if (cmdline.open(QIODevice::ReadOnly) && !cmdline.readAll().contains(alias.toUtf8()))
        return 0;
    return pid;
}

void AgentService::handlePeer(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const QString op = req.value(u"op"_s).toString();
    if (op == "agentStart"_L1)
        return reply(startNode(req.value(u"site"_s).toString()));
    reply(stopNode(req.value(u"alias"_s).toString()));
}

QJsonObject AgentService::startNode(const QString &siteText)
{
    auto site = parseSite(siteText, NodeMode::DataNode);
    if (!site)
        return PeerLink::errorReply(site.error().message);
    if (const qint64 pid = runningPid(m_ctx.home, site->alias))
        return QJsonObject{{u"ok"_s, true}, {u"pid"_s, pid}, {u"already"_s, true}};
    // The real agent's command line for a data node (sim-contract.md), relative to clusterDemo.
    const QStringList args{u"-console"_s, u"0"_s,
                           u"-mode"_s, u"datanode"_s,
                           u"-home"_s, u"data"_s,
                           u"-config"_s, u"config/cluster.cfg"_s,
                           u"-logFile"_s, u"log/"_s + site->alias + ".log"_L1,
                           u"-localSite"_s, site->site()};
    qint64 pid = 0;
    QProcess process;
    process.setProgram(m_ctx.executable);
    process.setArguments(args);
    process.setWorkingDirectory(m_ctx.workDir);
    process.setStandardOutputFile(QProcess::nullDevice());
    process.setStandardErrorFile(m_ctx.workDir + "/log/"_L1 + site->alias + ".nohup"_L1, QIODevice::Append);
    if (!process.startDetached(&pid))
        return PeerLink::errorReply(u"Failed to start data node %1: %2"_s.arg(site->alias, process.errorString()));
    NodeLog::instance().info(u"Started data node %1 (pid %2)"_s.arg(site->site()).arg(pid));
    return QJsonObject{{u"ok"_s, true}, {u"pid"_s, pid}};
}

QJsonObject AgentService::stopNode(const QString &alias)
{
    const qint64 pid = runningPid(m_ctx.home, alias);
    if (pid == 0)
        return QJsonObject{{u"ok"_s, true}, {u"already"_s, true}};
    if (::kill(pid_t(pid), SIGTERM) != 0)
        return PeerLink::errorReply(u"Failed to stop data node %1 (pid %2)"_s.arg(alias).arg(pid));
    NodeLog::instance().info(u"Sent SIGTERM to data node %1 (pid %2)"_s.arg(alias).arg(pid));
    return QJsonObject{{u"ok"_s, true}, {u"pid"_s, pid}};
}

} // namespace GrayStep::Sim
