// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/clusteraccess.h"

#include "core/configparsers.h"
#include "ssh/localshell.h"
#include "ssh/sshshell.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Engine {

Result<QString> resolveApiPassword(const UpgradeProfile &profile)
{
    switch (profile.apiPassword.kind) {
    case SecretRef::Kind::SandboxDefault:
        if (!profile.sandbox) {
            return Error(ErrorCode::InvalidInput, u"api.password: the sandbox default is only for sandbox profiles"_s);
        }
        return u"123456"_s;
    case SecretRef::Kind::Env: {
        const QByteArray v = qgetenv(profile.apiPassword.name.toLocal8Bit().constData());
        if (v.isNull()) {
            return Error(ErrorCode::InvalidInput,
                         u"api.password: the environment variable %1 is not set"_s.arg(profile.apiPassword.name));
        }
        return QString::fromLocal8Bit(v);
    }
    case SecretRef::Kind::None:
        return QString();
    case SecretRef::Kind::Keychain:
    case SecretRef::Kind::Ask:
        break;
    }
    return Error(ErrorCode::InvalidInput,
                 u"api.password: %1 is not available on the command line; use {\"env\": \"VAR\"}"_s.arg(
                     secretRefToString(profile.apiPassword)));
}

std::unique_ptr<Ssh::RemoteShell> makeHostShell(const HostAccess &host)
{
    if (host.local) {
        return std::make_unique<Ssh::LocalShell>();
    }
    Ssh::SshConfig c;
    c.host = host.sshAddress.isEmpty() ? host.address : host.sshAddress;
    c.port = quint16(host.sshPort);
    c.user = host.sshUser;
    c.knownHostsFile = host.knownHostsFile.isEmpty() ? QDir::homePath() + u"/.ssh/known_hosts"_s : host.knownHostsFile;
    c.connectTimeoutMs = 10000;
    switch (host.auth) {
    case SshAuthMethod::Key:
        c.auth.methods = {Ssh::SshAuth::Method::KeyFile};
        c.auth.keyFile = host.keyFile;
        break;
    case SshAuthMethod::Agent:
        c.auth.methods = {Ssh::SshAuth::Method::Agent};
        break;
    case SshAuthMethod::Password:
        c.auth.methods = {Ssh::SshAuth::Method::Password};
        break;
    case SshAuthMethod::KeyboardInteractive:
        c.auth.methods = {Ssh::SshAuth::Method::KeyboardInteractive};
        break;
    }
    if (host.sshSecret.kind == SecretRef::Kind::Env) {
        const QByteArray name = host.sshSecret.name.toLocal8Bit();
        c.auth.password = [name]() -> std::optional<QByteArray> {
            const QByteArray v = qgetenv(name.constData());
            return v.isNull() ? std::nullopt : std::optional<QByteArray>(v);
        };
        c.auth.passphrase = [name](const QString &) -> std::optional<QByteArray> {
            const QByteArray v = qgetenv(name.constData());
            return v.isNull() ? std::nullopt : std::optional<QByteArray>(v);
        };
    }
    return std::make_unique<Ssh::SshShell>(std::move(c));
}

QString hostStateDir(const HostAccess &host)
{
    return QFileInfo(QDir::cleanPath(host.installDir)).absolutePath() + u"/.graystep"_s;
}

QString hostStepDir(const HostAccess &host)
{
    return hostStateDir(host) + u"/steps"_s;
}

QString hostExecutionLog(const HostAccess &host)
{
    return hostStateDir(host) + u"/executions.log"_s;
}

QString hostHomeDir(const HostAccess &host)
{
    return QDir::cleanPath(host.installDir) + u"/clusterDemo/data"_s;
}

struct ClusterAccess::Link
{
    QMutex mutex;
    std::unique_ptr<DdbBlockingConnection> connection;
};

Result<std::unique_ptr<ClusterAccess>> ClusterAccess::create(const UpgradeProfile &profile, const QString &apiPassword)
{
    Result<ClusterTopology> topo = [&]() -> Result<ClusterTopology> {
        if (!profile.controllerCfg.isEmpty() && !profile.clusterNodes.isEmpty()) {
            TopologyPaths paths{profile.controllerCfg, profile.clusterNodes, profile.clusterCfg, profile.agentCfg};
            return loadTopology(paths);
        }
        return loadTopologyFromDirectory(profile.configDir);
    }();
    if (!topo) {
        return topo.error();
    }
    if (topo->hasErrors()) {
        QStringList lines;
        for (const TopologyProblem &p : topo->problems) {
            if (p.severity == Severity::Error) {
                lines << p.toString();
            }
        }
        return Error(ErrorCode::InvalidInput, u"the cluster configuration has errors:\n"_s + lines.join(u'\n'));
    }
    std::unique_ptr<ClusterAccess> a(new ClusterAccess);
    a->m_profile = profile;
    a->m_topology = *topo;
    a->m_password = apiPassword;
    return a;
}

ClusterAccess::~ClusterAccess() = default;

std::shared_ptr<ClusterAccess::Link> ClusterAccess::link(const QString &alias)
{
    QMutexLocker lock(&m_mutex);
    auto &l = m_links[alias];
    if (!l) {
        l = std::make_shared<Link>();
    }
    return l;
}

Result<DdbValue> ClusterAccess::runOn(const QString &alias, const QString &script, int timeoutMs)
{
    observe(alias, script);
    return send(alias, script, timeoutMs);
}

Result<DdbValue> ClusterAccess::send(const QString &alias, const QString &script, int timeoutMs)
{
    const Core::ClusterNode *node = m_topology.node(alias);
    if (!node) {
        return Error(ErrorCode::NotFound, u"no node %1 in the cluster configuration"_s.arg(alias));
    }
    std::shared_ptr<Link> l = link(alias);
    QMutexLocker lock(&l->mutex);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!l->connection) {
            auto c = std::make_unique<DdbBlockingConnection>();
            DdbConnectionSettings s;
            s.connectTimeoutMs = 3000;
            s.requestTimeoutMs = timeoutMs;
            DdbSite site{node->host, node->port, node->alias};
            DdbCredentials cred{m_profile.apiUser, m_password};
            if (Status st = c->open(site, cred, s); !st) {
                return Error(st.error().code, u"%1 (%2:%3): %4"_s.arg(alias, node->host).arg(node->port).arg(st.error().message));
            }
            l->connection = std::move(c);
        }
        Result<DdbValue> r = l->connection->run(script);
        if (r || r.error().code == ErrorCode::Server) {
            return r;
        }
        // Transport problem: the node may have restarted; reconnect once.
        l->connection.reset();
        if (attempt == 1) {
            return Error(r.error().code, u"%1: %2"_s.arg(alias, r.error().message));
        }
    }
    return Error(ErrorCode::Internal, u"unreachable"_s);
}

Result<QString> ClusterAccess::findLeader()
{
    observe(u"<controllers>"_s, Scripts::activeMaster());
    return leaderFromControllers();
}

Result<QString> ClusterAccess::leaderFromControllers()
{
    QStringList problems;
    for (const Core::ClusterNode &c : m_topology.nodesWithMode(Core::NodeMode::Controller)) {
        Result<DdbValue> r = send(c.alias, Scripts::activeMaster(), 5000);
        if (r) {
            Result<QString> alias = readText(*r);
            if (alias && !alias->isEmpty()) {
                QMutexLocker lock(&m_mutex);
                m_leader = *alias;
                return *alias;
            }
            continue;
        }
        const QString msg = r.error().message;
        const qsizetype at = msg.indexOf(u"<NotLeader>"_s);
        if (at >= 0) {
            const QString alias = msg.mid(at + 11).section(u':', 2).trimmed();
            if (!alias.isEmpty() && m_topology.node(alias)) {
                // Confirm with the named controller itself.
                Result<DdbValue> again = send(alias, Scripts::activeMaster(), 5000);
                if (again) {
                    QMutexLocker lock(&m_mutex);
                    m_leader = alias;
                    return alias;
                }
            }
        }
        problems << u"%1: %2"_s.arg(c.alias, msg);
    }
    return Error(ErrorCode::Network, u"no Raft leader found (%1)"_s.arg(problems.join(u"; "_s)));
}

Result<DdbValue> ClusterAccess::runOnLeader(const QString &script, int timeoutMs)
{
    observe(u"<leader>"_s, script);
    QString leader;
    {
        QMutexLocker lock(&m_mutex);
        leader = m_leader;
    }
    if (leader.isEmpty()) {
        Result<QString> l = leaderFromControllers();
        if (!l) {
            return l.error();
        }
        leader = *l;
    }
    Result<DdbValue> r = send(leader, script, timeoutMs);
    if (r || (r.error().code == ErrorCode::Server && !r.error().message.contains(u"NotLeader"_s))) {
        return r;
    }
    Result<QString> l = leaderFromControllers();
    if (!l) {
        return l.error();
    }
    return send(*l, script, timeoutMs);
}

Result<QList<ChunkStatus>> ClusterAccess::chunks()
{
    Result<DdbValue> r = runOnLeader(Scripts::clusterChunksStatus());
    if (!r) {
        return r.error();
    }
    return readChunkStatus(*r);
}

Result<QList<DolphinDb::ClusterNode>> ClusterAccess::clusterPerf()
{
    Result<DdbValue> r = runOnLeader(Scripts::clusterPerf(true));
    if (!r) {
        return r.error();
    }
    return readClusterPerf(*r);
}

Result<QString> ClusterAccess::nodeVersion(const QString &alias)
{
    Result<DdbValue> r = runOn(alias, Scripts::version(), 5000);
    if (!r) {
        return r.error();
    }
    return readText(*r);
}

QString ClusterAccess::hostOf(const QString &alias) const
{
    const Core::ClusterNode *n = m_topology.node(alias);
    return n ? n->host : QString();
}

void ClusterAccess::closeAll()
{
    QMutexLocker lock(&m_mutex);
    m_links.clear();
}

void ClusterAccess::close(const QString &alias)
{
    QMutexLocker lock(&m_mutex);
    m_links.remove(alias);
}

} // namespace GrayStep::Engine
