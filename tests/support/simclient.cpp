// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/simclient.h"

#include "sim/node/peerlink.h"
#include "support/testdata.h"

#include "dolphindb/scripts.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QThread>

#include <csignal>
#include <sys/types.h>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Test {

using Core::Error;
using Core::ErrorCode;

SimClient::~SimClient()
{
    close();
}

void SimClient::close()
{
    m_socket.abort();
}

Core::Status SimClient::open(const QString &host, int port, const QString &user, const QString &password, int timeoutMs)
{
    m_socket.connectToHost(host, quint16(port));
    if (!m_socket.waitForConnected(timeoutMs))
        return Error(ErrorCode::Network, m_socket.errorString());
    auto connected = send(DdbRequest::connect(), timeoutMs);
    if (!connected)
        return connected.error();
    if (!connected->isOk())
        return Error(ErrorCode::Server, connected->status);
    if (user.isEmpty())
        return {};
    auto login = call(u"login"_s, {DdbValue::string(user), DdbValue::string(password), DdbValue::boolean(false)}, timeoutMs);
    if (!login)
        return login.error();
    return {};
}

Core::Result<DdbResponse> SimClient::send(const DdbRequest &request, int timeoutMs)
{
    DdbRequest r = request;
    if (r.kind != DdbRequestKind::Connect)
        r.sessionId = m_sessionId;
    m_socket.write(encodeRequest(r));
    if (!m_socket.waitForBytesWritten(timeoutMs))
        return Error(ErrorCode::Network, m_socket.errorString());
    DdbResponseParser parser;
    QDeadlineTimer deadline(timeoutMs);
    QByteArray buffer = m_rest;
    m_rest.clear();
    while (true) {
        qsizetype consumed = 0;
        auto st = parser.feed(buffer.constData(), buffer.size(), &consumed);
        buffer.remove(0, consumed);
        if (st == DdbResponseParser::Status::Message) {
            (void)parser.takeMessage();
            continue;
        }
        if (st == DdbResponseParser::Status::Done) {
            m_rest = buffer;
            DdbResponse resp = parser.takeResponse();
            m_sessionId = resp.sessionId;
            return resp;
        }
        if (st == DdbResponseParser::Status::Failed)
            return parser.error();
        if (deadline.hasExpired())
            return Error(ErrorCode::Timeout, u"no response within %1 ms"_s.arg(timeoutMs));
        if (!m_socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())))) {
            if (m_socket.state() != QAbstractSocket::ConnectedState && m_socket.bytesAvailable() == 0)
                return Error(ErrorCode::Network, u"connection closed"_s);
        }
        buffer += m_socket.readAll();
    }
}

Core::Result<DdbValue> SimClient::run(const QString &script, int timeoutMs)
{
    auto resp = send(DdbRequest::runScript(m_sessionId, script), timeoutMs);
    if (!resp)
        return resp.error();
    if (!resp->isOk())
        return Error(ErrorCode::Server, resp->status);
    return resp->value();
}

Core::Result<DdbValue> SimClient::call(const QString &function, const QList<DdbValue> &args, int timeoutMs)
{
    auto resp = send(DdbRequest::callFunction(m_sessionId, function, args), timeoutMs);
    if (!resp)
        return resp.error();
    if (!resp->isOk())
        return Error(ErrorCode::Server, resp->status);
    return resp->value();
}

Core::Result<DdbValue> runOnce(const QString &host, int port, const QString &script, int timeoutMs)
{
    SimClient c;
    if (auto st = c.open(host, port); !st)
        return st.error();
    return c.run(script, timeoutMs);
}

Core::Result<QJsonObject> simStatus(const QString &host, int port)
{
    return Sim::PeerLink::call(host, port, QJsonObject{{u"op"_s, u"status"_s}}, 1000);
}

bool copyDirectory(const QString &from, const QString &to)
{
    QDir src(from);
    if (!src.exists() || !QDir().mkpath(to))
        return false;
    for (const QFileInfo &fi : src.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString target = to + u'/' + fi.fileName();
        if (fi.isDir() ? !copyDirectory(fi.filePath(), target) : !QFile::copy(fi.filePath(), target))
            return false;
    }
    return true;
}

SimCluster::SimCluster(int hosts, const QString &addressPrefix, int firstAddress)
    : m_prefix(addressPrefix)
    , m_hosts(hosts)
    , m_first(firstAddress)
{
    m_extra = {{u"raftElectionTick"_s, u"40"_s},
               {u"simHeartbeatIntervalMs"_s, u"100"_s},
               {u"simStartupDelayMs"_s, u"50"_s},
               {u"simRecoveryBaseMs"_s, u"300"_s},
               {u"simRecoveryRowsPerSec"_s, u"200000"_s}};
}

SimCluster::~SimCluster()
{
    killAll();
}

QString SimCluster::serverDir(int i) const
{
    return m_dir.path() + u"/host"_s + QString::number(i) + u"/server"_s;
}

QString SimCluster::clusterDemo(int i) const
{
    return serverDir(i) + u"/clusterDemo"_s;
}

Core::Status SimCluster::layout(const QString &version)
{
    // Ports taken (e.g. by processes a crashed run left behind) would mix clusters: refuse.
    for (int i = 1; i <= m_hosts; ++i) {
        for (int port : {8920, 8921, 8922}) {
            QTcpServer probe;
            if (!probe.listen(QHostAddress(host(i)), quint16(port)))
                return Error(ErrorCode::Failed, u"%1:%2 is already in use: %3"_s.arg(host(i)).arg(port).arg(probe.errorString()));
        }
    }
    QString nodes = u"localSite,mode\n"_s;
    for (int i = 1; i <= m_hosts; ++i)
        nodes += u"%1:8920:ctl%2,controller\n"_s.arg(host(i)).arg(i);
    for (int i = 1; i <= m_hosts; ++i)
        nodes += u"%1:8921:agent%2,agent\n"_s.arg(host(i)).arg(i);
    for (int i = 1; i <= m_hosts; ++i)
        nodes += u"%1:8922:node%2,datanode\n"_s.arg(host(i)).arg(i);
    QString knobs;
    for (auto it = m_extra.cbegin(); it != m_extra.cend(); ++it)
        knobs += it.key() + u'=' + it.value() + u'\n';
    for (int i = 1; i <= m_hosts; ++i) {
        const QString demo = clusterDemo(i);
        for (const QString &d : {u"/config"_s, u"/data"_s, u"/log"_s})
            QDir().mkpath(demo + d);
        const QString exe = serverDir(i) + u"/dolphindb"_s;
        QFile::remove(exe);
        if (!QFile::link(binDir() + u"/ddbsim"_s, exe))
            return Error(ErrorCode::Io, u"cannot link ddbsim"_s, exe);
        const auto write = [](const QString &path, const QString &text) {
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
                return false;
            f.write(text.toUtf8());
            return true;
        };
        QString sites = u"%1:8921:agent%2:agent"_s.arg(host(i)).arg(i);
        for (int c = 1; c <= m_hosts; ++c)
            sites += u",%1:8920:ctl%2:controller"_s.arg(host(c)).arg(c);
        if (!write(serverDir(i) + u"/ddbsim.version"_s, version + u'\n')
            || !write(demo + u"/config/cluster.nodes"_s, nodes)
            || !write(demo + u"/config/controller.cfg"_s,
                      u"mode=controller\nlocalSite=%1:8920:ctl%2\ndfsHAMode=Raft\ndfsReplicationFactor=2\n"
                      "dfsReplicaReliabilityLevel=1\ndataSync=1\nworkerNum=4\nmaxConnections=512\nmaxMemSize=8\n"
                      "dfsRecoveryWaitTime=30000\n"_s.arg(host(i)).arg(i) + knobs)
            || !write(demo + u"/config/cluster.cfg"_s, u"maxConnections=512\nmaxMemSize=8\nworkerNum=4\n"_s + knobs)
            || !write(demo + u"/config/agent.cfg"_s,
                      u"mode=agent\nlocalSite=%1:8921:agent%2\ncontrollerSite=%3:8920:ctl1\nsites=%4\n"_s.arg(host(i)).arg(i).arg(host(1), sites) + knobs))
            return Error(ErrorCode::Io, u"cannot write the configuration"_s, demo);
    }
    return {};
}

Core::Status SimCluster::spawn(int i, const QStringList &args)
{
    qint64 pid = 0;
    QProcess p;
    p.setProgram(u"./../dolphindb"_s);
    p.setArguments(args);
    p.setWorkingDirectory(clusterDemo(i));
    p.setStandardOutputFile(QProcess::nullDevice());
    p.setStandardErrorFile(clusterDemo(i) + u"/log/stderr.log"_s, QIODevice::Append);
    if (!p.startDetached(&pid))
        return Error(ErrorCode::Failed, p.errorString());
    m_started << pid;
    return {};
}

Core::Status SimCluster::startController(int i)
{
    return spawn(i, {u"-console"_s, u"0"_s, u"-mode"_s, u"controller"_s, u"-home"_s, u"data"_s, u"-script"_s,
                     u"dolphindb.dos"_s, u"-config"_s, u"config/controller.cfg"_s, u"-logFile"_s,
                     u"log/controller.log"_s, u"-nodesFile"_s, u"config/cluster.nodes"_s, u"-clusterConfig"_s,
                     u"config/cluster.cfg"_s});
}

Core::Status SimCluster::startAgent(int i)
{
    return spawn(i, {u"-console"_s, u"0"_s, u"-mode"_s, u"agent"_s, u"-home"_s, u"data"_s, u"-script"_s,
                     u"dolphindb.dos"_s, u"-config"_s, u"config/agent.cfg"_s, u"-logFile"_s, u"log/agent.log"_s});
}

Core::Status SimCluster::startDataNodeDirect(int i)
{
    return spawn(i, {u"-console"_s, u"0"_s, u"-mode"_s, u"datanode"_s, u"-home"_s, u"data"_s, u"-config"_s,
                     u"config/cluster.cfg"_s, u"-logFile"_s, u"log/node%1.log"_s.arg(i), u"-localSite"_s,
                     u"%1:8922:node%2"_s.arg(host(i)).arg(i)});
}

qint64 SimCluster::pidOf(int i, const QString &alias) const
{
    QFile f(dataDir(i) + u'/' + alias + u".pid"_s);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return f.readAll().trimmed().toLongLong();
}

void SimCluster::kill(int i, const QString &alias, int signal)
{
    const qint64 pid = pidOf(i, alias);
    if (pid > 0)
        ::kill(pid_t(pid), signal);
}

bool SimCluster::stopAll(int timeoutMs)
{
    for (int i = 1; i <= m_hosts; ++i) {
        const QStringList pids = QDir(dataDir(i)).entryList({u"*.pid"_s}, QDir::Files);
        for (const QString &f : pids)
            kill(i, f.chopped(4), SIGTERM);
    }
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        bool any = false;
        for (int i = 1; i <= m_hosts; ++i)
            any = any || !QDir(dataDir(i)).entryList({u"*.pid"_s}, QDir::Files).isEmpty();
        if (!any) {
            QThread::msleep(100); // the processes exit right after removing their pid files
            return true;
        }
        QThread::msleep(20);
    }
    return false;
}

void SimCluster::killAll()
{
    // Everything that wrote a pid file under our tree (data nodes are started by agents).
    for (int i = 1; i <= m_hosts; ++i) {
        const QStringList pids = QDir(dataDir(i)).entryList({u"*.pid"_s}, QDir::Files);
        for (const QString &f : pids)
            kill(i, f.chopped(4), SIGKILL);
    }
    for (qint64 pid : std::as_const(m_started))
        ::kill(pid_t(pid), SIGKILL);
    m_started.clear();
    // Wait until they are gone (their ports free) so that the next test can bind them.
    QDeadlineTimer deadline(3000);
    for (const QString &host : hostsAddresses()) {
        for (int port : {8920, 8921, 8922}) {
            while (!deadline.hasExpired()) {
                QTcpServer probe;
                if (probe.listen(QHostAddress(host), quint16(port)))
                    break;
                QThread::msleep(10);
            }
        }
    }
}

QStringList SimCluster::hostsAddresses() const
{
    QStringList out;
    for (int i = 1; i <= m_hosts; ++i)
        out << host(i);
    return out;
}

bool SimCluster::waitUp(const QString &h, int port, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        auto st = simStatus(h, port);
        if (st && st->value(u"initialized"_s).toBool())
            return true;
        QThread::msleep(50);
    }
    return false;
}

QString SimCluster::leader(const QList<int> &hostList)
{
    QList<int> list = hostList;
    if (list.isEmpty())
        for (int i = 1; i <= m_hosts; ++i)
            list << i;
    QString agreed;
    bool any = false;
    for (int i : list) {
        auto st = simStatus(host(i), 8920);
        if (!st)
            continue;
        const QString l = st->value(u"leader"_s).toString();
        if (l.isEmpty())
            return {};
        if (any && l != agreed)
            return {};
        agreed = l;
        any = true;
    }
    return agreed;
}

Core::Status SimCluster::startAll(int timeoutMs)
{
    using Core::Error;
    using Core::ErrorCode;
    for (int i = 1; i <= m_hosts; ++i) {
        if (Core::Status st = startController(i); !st) {
            return st;
        }
        if (Core::Status st = startAgent(i); !st) {
            return st;
        }
    }
    QString leaderAlias;
    if (!waitLeader(&leaderAlias, {}, timeoutMs)) {
        return Error(ErrorCode::Timeout, QStringLiteral("no leader elected"));
    }
    QStringList dataNodes;
    for (int i = 1; i <= m_hosts; ++i) {
        if (!waitUp(host(i), 8921, timeoutMs)) {
            return Error(ErrorCode::Timeout, QStringLiteral("agent %1 did not come up").arg(i));
        }
        dataNodes << QStringLiteral("\"node%1\"").arg(i);
    }
    const auto r = runOnce(host(leaderAlias.right(1).toInt()), 8920,
                           QStringLiteral("startDataNode([%1])").arg(dataNodes.join(u',')));
    if (!r) {
        return r.error();
    }
    for (int i = 1; i <= m_hosts; ++i) {
        if (!waitUp(host(i), 8922, timeoutMs)) {
            return Error(ErrorCode::Timeout,
                         QStringLiteral("data node %1 did not come up: %2").arg(i).arg(log(i, QStringLiteral("node%1").arg(i))));
        }
    }
    return {};
}

bool SimCluster::waitLeader(QString *out, const QList<int> &hostList, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const QString l = leader(hostList);
        if (!l.isEmpty()) {
            *out = l;
            return true;
        }
        QThread::msleep(50);
    }
    return false;
}

QString SimCluster::log(int i, const QString &alias) const
{
    QFile f(clusterDemo(i) + u"/log/"_s + (alias.startsWith(u"ctl"_s) ? u"controller"_s : alias.startsWith(u"agent"_s) ? u"agent"_s : alias) + u".log"_s);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

Core::Status insertOneRowPerDay(const QString &host, int port, int firstId, QTime at)
{
    SimClient client;
    if (Core::Status st = client.open(host, port); !st) {
        return st;
    }
    QList<qint64> times;
    QList<qint32> ids;
    const qint64 day0 = QDateTime(QDate(2023, 1, 1), at, Qt::UTC).toMSecsSinceEpoch();
    for (int i = 0; i < 10; ++i) {
        times << day0 + qint64(i) * 86400000;
        ids << firstId + i;
    }
    using namespace DolphinDb;
    const auto table = DdbValue::table({QStringLiteral("time"), QStringLiteral("name"), QStringLiteral("id")},
                                       {DdbVector::int64s(DataType::Timestamp, times),
                                        DdbVector::symbols(QStringList(10, QStringLiteral("Apple"))),
                                        DdbVector::int32s(DataType::Int, ids)});
    if (!table) {
        return table.error();
    }
    const auto inserted =
        client.call(*Scripts::tableInsertFunction(QStringLiteral("dfs://stock"), QStringLiteral("stock")), {*table});
    if (!inserted) {
        return inserted.error();
    }
    return {};
}

} // namespace GrayStep::Test
