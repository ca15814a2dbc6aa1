// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/simnode.h"
#include "sim/node/durablefile.h"

#include "sim/node/agentservice.h"
#include "sim/node/apiserver.h"
#include "sim/node/controllerservice.h"
#include "sim/node/datanodeservice.h"
#include "sim/node/heartbeat.h"
#include "sim/node/listener.h"
#include "sim/node/nodelog.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QTimer>
#include <QWebSocket>

#include <csignal>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

SimNode::SimNode(QObject *parent)
    : QObject(parent)
{
    m_background.setMaxThreadCount(16);
    m_background.setExpiryTimeout(5000);
    m_ctx.background = &m_background;
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
}

SimNode::~SimNode()
{
    m_background.clear();
    m_background.waitForDone(1000);
}

bool SimNode::fail(const QString &message)
{
    NodeLog::instance().error(message);
    return false;
}

bool SimNode::init(const QStringList &args, const QString &argv0)
{
    auto cl = parseCommandLine(args);
    if (!cl) {
        NodeLog::instance().error(cl.error().toString());
        return false;
    }
    m_ctx.workDir = QDir::currentPath();
    if (!cl->logFile.isEmpty()) {
        const QString logPath = QFileInfo(cl->logFile).isAbsolute() ? cl->logFile : m_ctx.workDir + u'/' + cl->logFile;
        if (!NodeLog::instance().open(logPath)) {
            std::fprintf(stderr, "cannot open log file %s\n", qPrintable(logPath));
            return false;
        }
    }
    NodeLog &log = NodeLog::instance();
    // The executable as invoked (server/dolphindb), not the resolved target of a link.
    m_ctx.executable = argv0.contains(u'/') ? QFileInfo(argv0).absoluteFilePath() : QCoreApplication::applicationFilePath();
    const QString serverDir = QFileInfo(m_ctx.executable).absolutePath();
    log.info(u"---------------------------------------------------------------------"_s);
    for (const QString &flag : std::as_const(cl->unknownFlags))
        log.warning(u"Unknown command line option %1 is ignored."_s.arg(flag));

    QFile broken(serverDir + "/ddbsim.broken"_L1);
    if (broken.exists()) {
        (void)broken.open(QIODevice::ReadOnly);
        const QString text = QString::fromUtf8(broken.readAll()).trimmed();
        return fail(text.isEmpty() ? u"The server failed to start."_s : text);
    }
    QFile versionFile(serverDir + "/ddbsim.version"_L1);
    if (!versionFile.open(QIODevice::ReadOnly))
        return fail(u"Failed to read the version file %1: %2"_s.arg(versionFile.fileName(), versionFile.errorString()));
    m_ctx.version = QString::fromUtf8(versionFile.readLine()).trimmed();
    if (m_ctx.version.isEmpty())
        return fail(u"The version file %1 is empty."_s.arg(versionFile.fileName()));
    // The server library's stand-in carries the version as a real package's library does: an
    // executable next to a library of another version does not start (as with the real server).
    QFile library(serverDir + "/libDolphinDB.so"_L1);
    if (library.exists()) {
        if (!library.open(QIODevice::ReadOnly))
            return fail(u"Failed to load the server library %1: %2"_s.arg(library.fileName(), library.errorString()));
        if (!library.readAll().contains(m_ctx.version.toLatin1()))
            return fail(u"Failed to load the server library %1: it is not version %2 of this executable."_s.arg(
                library.fileName(), m_ctx.version));
    }
    log.info(u"DolphinDB Server version %1 (emulated by ddbsim)"_s.arg(m_ctx.version));

    NodeMode mode;
    if (cl->mode == "controller"_L1)
        mode = NodeMode::Controller;
    else if (cl->mode == "agent"_L1)
        mode = NodeMode::Agent;
    else if (cl->mode == "datanode"_L1 || cl->mode == "computenode"_L1)
        mode = NodeMode::DataNode;
    else
        return fail(u"Invalid mode '%1'; the emulator runs controller, agent or datanode."_s.arg(cl->mode));

    const auto resolve = [this](const QString &p) { return QFileInfo(p).isAbsolute() ? p : m_ctx.workDir + u'/' + p; };
    m_ctx.home = QDir::cleanPath(resolve(cl->home.isEmpty() ? u"data"_s : cl->home));
    QString localSite = cl->localSite;
    if (!cl->config.isEmpty()) {
        Settings probe;
        auto problems = probe.load(resolve(cl->config), {});
        if (!problems)
            return fail(problems.error().toString());
        if (localSite.isEmpty())
            localSite = probe.value(u"localSite"_s);
    }
    if (localSite.isEmpty())
        return fail(u"localSite is not set (command line -localSite or localSite= in the config file)."_s);
    auto site = parseSite(localSite, mode);
    if (!site)
        return fail(u"Invalid localSite: "_s + site.error().message);
    m_ctx.self = *site;

    QFile failstart(m_ctx.home + u'/' + m_ctx.self.alias + ".failstart"_L1);
    if (failstart.exists()) {
        (void)failstart.open(QIODevice::ReadOnly);
        const QString text = QString::fromUtf8(failstart.readAll()).trimmed();
        return fail(text.isEmpty() ? u"Failed to initialize the node %1."_s.arg(m_ctx.self.alias) : text);
    }

    // Settings: the role's config file; cluster.cfg for data nodes (with alias overrides).
    if (!cl->config.isEmpty()) {
        auto problems = m_ctx.settings.load(resolve(cl->config), m_ctx.self.alias);
        for (const QString &p : problems.valueOr({}))
            log.warning(p);
    }
    if (mode == NodeMode::Controller && !cl->clusterConfig.isEmpty()) {
        // The controller reads cluster.cfg too (replication settings may live there); own keys win.
        Settings cluster;
        if (cluster.load(resolve(cl->clusterConfig), {}).ok()) {
            const auto all = cluster.all();
            for (auto it = all.cbegin(); it != all.cend(); ++it)
                m_ctx.settings.setDefault(it.key(), it.value());
        }
    }
    m_ctx.settings.set(u"localSite"_s, m_ctx.self.site());
    m_ctx.settings.set(u"mode"_s, nodeModeName(mode));
    m_ctx.knobs = Knobs::fromSettings(m_ctx.settings);

    QString nodesFile = cl->nodesFile;
    if (nodesFile.isEmpty() && QFile::exists(m_ctx.workDir + "/config/cluster.nodes"_L1))
        nodesFile = u"config/cluster.nodes"_s;
    if (!nodesFile.isEmpty()) {
        auto nodes = parseClusterNodes(resolve(nodesFile));
        if (!nodes)
            return fail(u"Failed to read the cluster nodes file: "_s + nodes.error().toString());
        m_ctx.cluster = *nodes;
    } else if (mode == NodeMode::Agent || mode == NodeMode::DataNode) {
        // Without cluster.nodes: agent.cfg's sites= names the controllers.
        Settings agentCfg;
        if (agentCfg.load(m_ctx.workDir + "/config/agent.cfg"_L1, {}).ok()) {
            for (const QString &entry : agentCfg.value(u"sites"_s).split(u',', Qt::SkipEmptyParts)) {
                const qsizetype colon = entry.lastIndexOf(u':');
                if (colon < 0 || entry.mid(colon + 1) != "controller"_L1)
                    continue;
                auto ctl = parseSite(entry.left(colon), NodeMode::Controller);
                if (ctl)
                    m_ctx.cluster << *ctl;
            }
            if (!m_ctx.settings.contains(u"controllerSite"_s))
                m_ctx.settings.set(u"controllerSite"_s, agentCfg.value(u"controllerSite"_s));
        }
    }
    if (mode == NodeMode::Controller && m_ctx.sitesOf(NodeMode::Controller).isEmpty())
        m_ctx.cluster << m_ctx.self;
    log.info(u"Node %1, mode %2, home %3, %4 nodes in the cluster"_s.arg(m_ctx.self.site(), nodeModeName(mode), m_ctx.home)
                 .arg(m_ctx.cluster.size()));

    QDir().mkpath(m_ctx.nodeHome(m_ctx.self.alias));
    // The pid file names the running instance of this node. A second instance (a start asked
    // twice) must not take it over: it fails to bind the port and exits, and would otherwise
    // leave the running node without its pid file (`fault kill`, status read it).
    const QString pidFile = m_ctx.home + u'/' + m_ctx.self.alias + ".pid"_L1;
    bool ownerOk = false;
    const qint64 owner = [&] {
        QFile f(pidFile);
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong(&ownerOk) : 0;
    }();
    // Alive: it exists and is not a zombie (a killed node whose parent did not reap it yet).
    const auto alive = [](qint64 pid) {
        QFile stat(u"/proc/%1/stat"_s.arg(pid));
        if (::kill(pid_t(pid), 0) != 0 || !stat.open(QIODevice::ReadOnly))
            return false;
        const QByteArray text = stat.readAll();
        const qsizetype close = text.lastIndexOf(')');
        return close > 0 && close + 2 < text.size() && text.at(close + 2) != 'Z' && text.at(close + 2) != 'X';
    };
    if (ownerOk && owner > 1 && owner != ::getpid() && alive(owner)) {
        log.warning(u"The pid file %1 names the running process %2: another instance of %3 may be running."_s.arg(pidFile)
                        .arg(owner)
                        .arg(m_ctx.self.alias));
    } else {
        m_pidFile = pidFile;
        if (auto st = DurableFile::replace(m_pidFile, QByteArray::number(qint64(::getpid())) + '\n'); !st)
            return fail(u"Failed to write the pid file %1: %2"_s.arg(m_pidFile, st.error().message));
    }

    switch (mode) {
    case NodeMode::Controller:
        m_controller = new ControllerService(m_ctx, this);
        log.info(u"Loading DFS metadata from %1 and raft state from %2"_s.arg(m_ctx.dfsMetaDir(), m_ctx.raftDir()));
        break;
    case NodeMode::DataNode:
        m_dataNode = new DataNodeService(m_ctx, this);
        if (auto st = m_dataNode->start(); !st)
            return fail(u"Failed to load chunk metadata: "_s + st.error().toString());
        m_heartbeat = new HeartbeatSender(m_ctx, [this] {
            QJsonObject payload = m_dataNode->heartbeatPayload();
            payload.insert(u"incarnation"_s, m_startedMs);
            payload.insert(u"perf"_s, perf());
            return payload;
        }, this);
        break;
    case NodeMode::Agent:
        m_agent = new AgentService(m_ctx, this);
        m_heartbeat = new HeartbeatSender(m_ctx, [this] { return QJsonObject{{u"perf"_s, perf()}}; }, this);
        break;
    }
    m_api = new ApiServer(this, this);
    setEvalHandler([this](const QJsonObject &req, const PeerConnection::Reply &reply) { m_api->handleEval(req, reply); });
    setConnectionCounter([this] { return m_api->sessionCount(); });
    m_listener = new Listener(
        [this](QTcpSocket *socket) { m_api->acceptRaw(socket); },
        [this](QWebSocket *socket) { m_api->acceptWebSocket(socket); },
        [this](const QJsonObject &req, const PeerConnection::Reply &reply) { handlePeer(req, reply); }, this);
    return true;
}

void SimNode::start()
{
    NodeLog &log = NodeLog::instance();
    log.info(u"Initializing the storage engine and the job scheduler ..."_s);
    QTimer::singleShot(int(m_ctx.knobs.startupDelayMs), this, [this] {
        NodeLog &l = NodeLog::instance();
        if (m_controller) {
            if (auto st = m_controller->start(); !st) {
                l.error(u"Failed to load the DFS metadata: "_s + st.error().toString());
                QFile::remove(m_pidFile);
                QCoreApplication::exit(1);
                return;
            }
        }
        QString error;
        if (!m_listener->listen(m_ctx.self.host, m_ctx.self.port, &error)) {
            l.error(u"Failed to bind %1:%2: %3"_s.arg(m_ctx.self.host).arg(m_ctx.self.port).arg(error));
            QFile::remove(m_pidFile);
            QCoreApplication::exit(1);
            return;
        }
        l.info(u"Listening on %1:%2"_s.arg(m_ctx.self.host).arg(m_ctx.self.port));
        if (m_heartbeat)
            m_heartbeat->start();
        m_initialized = true;
        l.info(u"Job scheduler initialization completed."_s);
    });
}

void SimNode::shutdown()
{
    NodeLog::instance().info(u"Shutting down the node %1 (SIGTERM received) ..."_s.arg(m_ctx.self.alias));
    if (m_listener)
        m_listener->close();
    if (m_api)
        m_api->closeAll();
    QFile::remove(m_pidFile);
    NodeLog::instance().info(u"The node %1 is shut down."_s.arg(m_ctx.self.alias));
    QCoreApplication::quit();
}

QString SimNode::localFault(const QString &kind) const
{
    return m_localFaults.value(kind);
}

void SimNode::setLocalFault(const QString &kind, const QString &value)
{
    m_localFaults.insert(kind, value);
    if (kind == "diskFull"_L1 && m_dataNode)
        m_dataNode->store().setDiskFull(value == "1"_L1);
    if (m_controller)
        m_controller->setLocalFault(kind, value);
}

QJsonObject SimNode::perf() const
{
    qint64 rss = 0;
    QFile statm(u"/proc/self/statm"_s);
    if (statm.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> f = statm.readAll().split(' ');
        if (f.size() > 1)
            rss = f.at(1).toLongLong() * qint64(::sysconf(_SC_PAGESIZE));
    }
    double load = 0;
    QFile loadavg(u"/proc/loadavg"_s);
    if (loadavg.open(QIODevice::ReadOnly))
        load = loadavg.readAll().split(' ').value(0).toDouble();
    const int workers = m_ctx.knobs.workerNum;
    return QJsonObject{{u"maxConnections"_s, m_ctx.knobs.maxConnections},
                       {u"workerNum"_s, workers},
                       {u"executorNum"_s, int(m_ctx.settings.intValue(u"localExecutors"_s, qMax(0, workers - 1)))},
                       {u"connectionNum"_s, m_connectionCounter ? m_connectionCounter() : 0},
                       {u"memoryUsed"_s, rss},
                       {u"memoryAlloc"_s, rss},
                       {u"maxMemSize"_s, m_ctx.knobs.maxMemSize},
                       {u"avgLoad"_s, load},
                       {u"cpuUsage"_s, 0.0},
                       {u"publicName"_s, m_ctx.settings.value(u"publicName"_s, m_ctx.self.host)}};
}

QJsonObject SimNode::statusJson() const
{
    QJsonObject o{{u"alias"_s, m_ctx.self.alias},
                  {u"mode"_s, nodeModeName(m_ctx.mode())},
                  {u"version"_s, m_ctx.version},
                  {u"initialized"_s, m_initialized},
                  {u"pid"_s, qint64(::getpid())}};
    if (m_controller) {
        o.insert(u"role"_s, raftRoleName(m_controller->raft().role()));
        o.insert(u"leader"_s, m_controller->leaderAlias());
        o.insert(u"term"_s, m_controller->raft().term());
        o.insert(u"commit"_s, m_controller->raft().commitIndex());
    } else if (m_heartbeat) {
        o.insert(u"leader"_s, m_heartbeat->leaderAlias());
    }
    return o;
}

void SimNode::handlePeer(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const QString op = req.value(u"op"_s).toString();
    if (op == "status"_L1)
        return reply(statusJson());
    if (op == "eval"_L1) {
        if (!m_evalHandler)
            return reply(PeerLink::errorReply(u"<DataNodeNotReady>The node is not ready."_s));
        return m_evalHandler(req, reply);
    }
    if (m_controller && m_controller->handles(op))
        return m_controller->handlePeer(req, reply);
    if (m_dataNode && m_dataNode->handles(op))
        return m_dataNode->handlePeer(req, reply);
    if (m_agent && m_agent->handles(op))
        return m_agent->handlePeer(req, reply);
    reply(PeerLink::errorReply(u"The node %1 (%2) does not handle '%3'."_s.arg(m_ctx.self.alias, nodeModeName(m_ctx.mode()), op)));
}

} // namespace GrayStep::Sim
