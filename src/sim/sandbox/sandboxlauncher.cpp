// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxlauncher.h"

#include "sim/sandbox/sandboxclient.h"
#include "sim/sandbox/sandboxdisk.h"
#include "sim/sandbox/sandboxpackages.h"
#include "sim/sandbox/sandboxprofile.h"
#include "sim/sandbox/sandboxscripts.h"
#include "sim/sshd/sshdserver.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QProcess>
#include <QTcpSocket>
#include <QThread>

#include <csignal>
#include <sys/types.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSandbox, "graystep.simsandbox")

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Sim {

namespace {

constexpr auto StateFile = "sandbox.state.json";
constexpr auto ProfileFile = "sandbox.graystep.json";

Status writeFile(const QString &path, const QByteArray &bytes, bool executable = false)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size()) {
        return Error(ErrorCode::Io, u"cannot write: %1"_s.arg(f.errorString()), path);
    }
    f.close();
    if (executable) {
        f.setPermissions(f.permissions() | QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther);
    }
    return {};
}

QString shellQuote(const QString &s)
{
    QString out = s;
    out.replace(u"'"_s, u"'\\''"_s);
    return u'\'' + out + u'\'';
}

QString readLink(const QString &path)
{
    return QFileInfo(path).symLinkTarget();
}

QByteArray readSmallFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void sleepMs(int ms)
{
    QThread::msleep(ulong(ms));
}

QJsonObject specToJson(const SandboxSpec &spec)
{
    QJsonArray hosts;
    for (const SandboxHost &h : spec.hosts) {
        QJsonArray nodes;
        for (const SandboxNode &n : h.nodes) {
            nodes.append(QJsonObject{{u"alias"_s, n.alias}, {u"mode"_s, n.mode}, {u"port"_s, int(n.port)}});
        }
        QJsonObject host{{u"index"_s, h.index}, {u"address"_s, h.address}, {u"nodes"_s, nodes}};
        if (!h.originalAddress.isEmpty()) {
            host[u"originalAddress"_s] = h.originalAddress;
        }
        hosts.append(host);
    }
    QJsonObject remap;
    for (auto it = spec.remap.cbegin(); it != spec.remap.cend(); ++it) {
        remap[it.key()] = it.value();
    }
    return QJsonObject{{u"formatVersion"_s, 1}, {u"hosts"_s, hosts}, {u"version"_s, spec.version},
                       {u"ssh"_s, spec.ssh}, {u"fast"_s, spec.fast}, {u"sshPort"_s, int(spec.sshPort)},
                       {u"fromConfig"_s, spec.fromConfigDir}, {u"remap"_s, remap}};
}

SandboxSpec specFromJson(const QJsonObject &o)
{
    SandboxSpec spec;
    spec.version = o.value(u"version"_s).toString();
    spec.ssh = o.value(u"ssh"_s).toBool();
    spec.fast = o.value(u"fast"_s).toBool();
    spec.sshPort = quint16(o.value(u"sshPort"_s).toInt(2222));
    spec.fromConfigDir = o.value(u"fromConfig"_s).toString();
    const QJsonObject remap = o.value(u"remap"_s).toObject();
    for (auto it = remap.begin(); it != remap.end(); ++it) {
        spec.remap.insert(it.key(), it.value().toString());
    }
    for (const QJsonValue &hv : o.value(u"hosts"_s).toArray()) {
        const QJsonObject ho = hv.toObject();
        SandboxHost h;
        h.index = ho.value(u"index"_s).toInt();
        h.address = ho.value(u"address"_s).toString();
        h.originalAddress = ho.value(u"originalAddress"_s).toString();
        for (const QJsonValue &nv : ho.value(u"nodes"_s).toArray()) {
            const QJsonObject no = nv.toObject();
            h.nodes << SandboxNode{no.value(u"alias"_s).toString(), no.value(u"mode"_s).toString(),
                                   quint16(no.value(u"port"_s).toInt())};
        }
        spec.hosts << h;
    }
    return spec;
}

// "<NotLeader>127.0.10.2:8920:HActl44..." -> {"127.0.10.2", 8920}
bool parseNotLeader(const QString &message, QString *host, quint16 *port)
{
    const qsizetype at = message.indexOf("<NotLeader>"_L1);
    if (at < 0) {
        return false;
    }
    const QStringList parts = message.mid(at + 11).trimmed().section(u' ', 0, 0).split(u':');
    if (parts.size() < 2) {
        return false;
    }
    *host = parts[0];
    *port = quint16(parts[1].toUInt());
    return *port != 0;
}

bool portAnswers(const QString &address, quint16 port)
{
    QTcpSocket s;
    s.connectToHost(address, port);
    const bool ok = s.waitForConnected(300);
    s.abort();
    return ok;
}

} // namespace

SandboxLauncher::SandboxLauncher(const QString &directory)
    : m_dir(QDir(directory).absolutePath())
{}

void SandboxLauncher::progress(const QString &line) const
{
    if (m_progress) {
        m_progress(line);
    } else {
        qCDebug(lcSandbox).noquote() << line;
    }
}

QString SandboxLauncher::profilePath() const { return m_dir + u'/' + QLatin1StringView(ProfileFile); }
QString SandboxLauncher::hostDir(const SandboxHost &host) const { return m_dir + u"/host%1"_s.arg(host.index); }
QString SandboxLauncher::installDir(const SandboxHost &host) const { return hostDir(host) + u"/server"_s; }
QString SandboxLauncher::clusterDemoDir(const SandboxHost &host) const { return installDir(host) + u"/clusterDemo"_s; }
QString SandboxLauncher::sshdDir(const SandboxHost &host) const { return m_dir + u"/host%1/sshd"_s.arg(host.index); }
QString SandboxLauncher::keyFile() const { return m_dir + u"/ssh/id_ed25519"_s; }
QString SandboxLauncher::knownHostsFile() const { return m_dir + u"/ssh/known_hosts"_s; }

bool SandboxLauncher::isLaidOut() const
{
    return QFileInfo::exists(m_dir + u'/' + QLatin1StringView(StateFile));
}

Result<SandboxSpec> SandboxLauncher::loadSpec() const
{
    const QString path = m_dir + u'/' + QLatin1StringView(StateFile);
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::NotFound, u"no sandbox here (run graystep-sandbox up --dir %1)"_s.arg(m_dir), path);
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (!doc.isObject() || doc.object().value(u"formatVersion"_s).toInt() != 1) {
        return Error(ErrorCode::InvalidInput, u"unreadable sandbox state: %1"_s.arg(pe.errorString()), path);
    }
    SandboxSpec spec = specFromJson(doc.object());
    if (spec.hosts.isEmpty()) {
        return Error(ErrorCode::InvalidInput, u"sandbox state lists no host"_s, path);
    }
    return spec;
}

Status SandboxLauncher::saveState(const SandboxSpec &spec, bool databaseCreated) const
{
    QJsonObject o = specToJson(spec);
    o[u"databaseCreated"_s] = databaseCreated;
    return writeFile(m_dir + u'/' + QLatin1StringView(StateFile), QJsonDocument(o).toJson());
}

QString SandboxLauncher::findNodeBinary(const QString &explicitPath)
{
    if (!explicitPath.isEmpty()) {
        return QFileInfo(explicitPath).absoluteFilePath();
    }
    const QString env = qEnvironmentVariable("GRAYSTEP_DDBSIM");
    if (!env.isEmpty()) {
        return QFileInfo(env).absoluteFilePath();
    }
    return QCoreApplication::applicationDirPath() + u"/ddbsim"_s;
}

QStringList SandboxLauncher::sshCommand(const SandboxHost &host, quint16 port, const QString &command) const
{
    return {u"-F"_s, u"/dev/null"_s, u"-i"_s, keyFile(), u"-o"_s, u"IdentitiesOnly=yes"_s,
            u"-o"_s, u"BatchMode=yes"_s, u"-o"_s, u"StrictHostKeyChecking=yes"_s,
            u"-o"_s, u"UserKnownHostsFile="_s + knownHostsFile(), u"-o"_s, u"GlobalKnownHostsFile=/dev/null"_s,
            u"-o"_s, u"ConnectTimeout=5"_s, u"-o"_s, u"LogLevel=ERROR"_s,
            u"-p"_s, QString::number(port), SshdServer::currentUser() + u'@' + host.address, command};
}

Result<QByteArray> SandboxLauncher::runOnHost(const SandboxHost &host, const QString &command, int timeoutMs) const
{
    auto spec = loadSpec();
    const bool ssh = spec ? spec->ssh : false;
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (ssh) {
        p.start(u"ssh"_s, sshCommand(host, spec->sshPort, command));
    } else {
        p.setWorkingDirectory(clusterDemoDir(host));
        p.start(u"sh"_s, {u"-c"_s, command});
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        return Error(ErrorCode::Timeout, u"command did not finish in %1 ms: %2"_s.arg(timeoutMs).arg(command),
                     u"host %1"_s.arg(host.address));
    }
    const QByteArray out = p.readAll();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        return Error(ErrorCode::Failed,
                     u"exit %1: %2 (%3)"_s.arg(p.exitCode()).arg(command, QString::fromUtf8(out).trimmed()),
                     u"host %1"_s.arg(host.address));
    }
    return out;
}

Status SandboxLauncher::runOnHosts(const QList<QPair<const SandboxHost *, QString>> &jobs, int timeoutMs) const
{
    // Parallel: one ssh (or sh) per host; all are waited for.
    QList<QProcess *> procs;
    auto spec = loadSpec();
    if (!spec) {
        return spec.error();
    }
    for (const auto &job : jobs) {
        auto *p = new QProcess;
        p->setProcessChannelMode(QProcess::MergedChannels);
        if (spec->ssh) {
            p->start(u"ssh"_s, sshCommand(*job.first, spec->sshPort, job.second));
        } else {
            p->setWorkingDirectory(clusterDemoDir(*job.first));
            p->start(u"sh"_s, {u"-c"_s, job.second});
        }
        procs << p;
    }
    Status result;
    QDeadlineTimer deadline(timeoutMs);
    for (int i = 0; i < procs.size(); ++i) {
        QProcess *p = procs[i];
        const bool finished = p->waitForFinished(int(qMax<qint64>(1, deadline.remainingTime())));
        if (result && (!finished || p->exitStatus() != QProcess::NormalExit || p->exitCode() != 0)) {
            result = Error(finished ? ErrorCode::Failed : ErrorCode::Timeout,
                           u"%1 failed: %2"_s.arg(jobs[i].second, QString::fromUtf8(p->readAll()).trimmed()),
                           u"host %1"_s.arg(jobs[i].first->address));
        }
        if (!finished) {
            p->kill();
            p->waitForFinished(1000);
        }
        delete p;
    }
    return result;
}

qint64 SandboxLauncher::nodePid(const SandboxHost &host, const QString &alias) const
{
    const QString dir = clusterDemoDir(host);
    bool ok = false;
    const qint64 pid = readSmallFile(dir + u"/data/"_s + alias + u".pid"_s).trimmed().toLongLong(&ok);
    if (!ok || pid <= 0) {
        return -1;
    }
    const QString cwd = readLink(u"/proc/%1/cwd"_s.arg(pid));
    const QString canonicalDir = QFileInfo(dir).canonicalFilePath();
    if (cwd.isEmpty() || !(cwd == canonicalDir || cwd.startsWith(canonicalDir + u'/'))) {
        return -1;   // gone, a zombie, or the pid now belongs to another process
    }
    return pid;
}

QList<qint64> SandboxLauncher::processesUnderDirectory() const
{
    // What the sandbox starts: node processes (their executable lies under D, also after an
    // upgrade replaced it: "... (deleted)") and sshd processes configured from D. A user's
    // shell or editor that merely has its working directory in D is not ours.
    QList<qint64> out;
    const QString root = QFileInfo(m_dir).canonicalFilePath();
    if (root.isEmpty()) {
        return out;
    }
    const QByteArray rootBytes = root.toUtf8();
    const qint64 self = qint64(::getpid());
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (!ok || pid == self) {
            continue;
        }
        const QString base = u"/proc/"_s + e;
        const QString exe = readLink(base + u"/exe"_s);
        const QByteArray cmdline = readSmallFile(base + u"/cmdline"_s);
        const bool exeUnder = exe.startsWith(root + u'/');
        const bool sshdOfOurs = (exe.endsWith("/sshd"_L1) || cmdline.startsWith("sshd:"))
            && (cmdline.contains(QByteArray(rootBytes + '/')));
        if (exeUnder || sshdOfOurs) {
            out << pid;
        }
    }
    return out;
}

Status SandboxLauncher::layOut(const SandboxSpec &spec, const QString &builtBinary, QJsonObject *packagesOut)
{
    progress(u"laying out %1 hosts in %2"_s.arg(spec.hosts.size()).arg(m_dir));
    // The node binary as a vendor ships it: without debug information (31 MB -> 1.3 MB for a
    // RelWithDebInfo build), so packages, installs and staging carry what a release would.
    // Without objcopy (binutils) the binary is used as built.
    QString nodeBinary = builtBinary;
    const QString stripped = m_dir + u"/packages/.dolphindb-node"_s;
    QDir().mkpath(m_dir + u"/packages"_s);
    QFile::remove(stripped);
    QProcess strip;
    strip.setStandardOutputFile(QProcess::nullDevice());
    strip.setStandardErrorFile(QProcess::nullDevice());
    strip.start(u"objcopy"_s, {u"--strip-debug"_s, builtBinary, stripped});
    if (strip.waitForFinished(60000) && strip.exitStatus() == QProcess::NormalExit && strip.exitCode() == 0
        && QFileInfo(stripped).isExecutable()) {
        nodeBinary = stripped;
    }
    auto packages = buildPackages(m_dir + u"/packages"_s, nodeBinary);
    if (!packages) {
        return packages.error();
    }
    for (const SandboxPackage &p : *packages) {
        (*packagesOut)[p.kind] = p.path;
    }
    const QByteArray nodeNodes = clusterNodesText(spec).toUtf8();
    const QByteArray clusterCfg = clusterCfgText(spec).toUtf8();
    for (const SandboxHost &h : spec.hosts) {
        const QString server = installDir(h);
        const QString demo = clusterDemoDir(h);
        for (const QString &d : QStringList{demo + u"/config"_s, demo + u"/data"_s, demo + u"/log"_s}) {
            if (!QDir().mkpath(d)) {
                return Error(ErrorCode::Io, u"cannot create directory"_s, d);
            }
        }
        // A copy per host (not a hard link): an install step that overwrites the binary in
        // place must change this host only, as on real machines.
        QFile::remove(server + u"/dolphindb"_s);
        if (!QFile::copy(nodeBinary, server + u"/dolphindb"_s)) {
            return Error(ErrorCode::Io, u"cannot copy the node binary %1"_s.arg(nodeBinary), server);
        }
        QFile::setPermissions(server + u"/dolphindb"_s, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                  | QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther);
        QList<QPair<QString, QByteArray>> files{
            {server + u"/ddbsim.version"_s, (versionLine(spec.version) + u'\n').toUtf8()},
            {server + u"/libDolphinDB.so"_s, serverLibraryStandIn(versionLine(spec.version))},
            {server + u"/dolphindb.lic"_s, sandboxLicenceText().toUtf8()},
            {server + u"/dolphindb.cfg"_s, "localSite=localhost:8848:local8848\nmode=single\nmaxMemSize=8\n"},
            {server + u"/dolphindb.dos"_s, "// startup script (empty)\n"},
            {demo + u"/config/cluster.nodes"_s, nodeNodes},
            {demo + u"/config/cluster.cfg"_s, clusterCfg},
            {demo + u"/config/agent.cfg"_s, agentCfgText(spec, h).toUtf8()},
        };
        if (!h.controllerAlias().isEmpty()) {
            files << qMakePair(demo + u"/config/controller.cfg"_s, controllerCfgText(spec, h).toUtf8());
        }
        for (const auto &f : files) {
            if (Status s = writeFile(f.first, f.second); !s) {
                return s;
            }
        }
        QList<QPair<QString, QString>> scripts{
            {demo + u"/startAgent.sh"_s, startAgentScript()},
            {demo + u"/stopAllNode.sh"_s, stopAllNodeScript()},
            {demo + u"/upgrade.sh"_s, upgradeScript()},
        };
        if (!h.controllerAlias().isEmpty()) {
            scripts << qMakePair(demo + u"/startController.sh"_s, startControllerScript());
        }
        for (const auto &s : scripts) {
            if (Status st = writeFile(s.first, s.second.toUtf8(), true); !st) {
                return st;
            }
        }
    }
    if (spec.ssh) {
        if (Status s = prepareSsh(spec); !s) {
            return s;
        }
    }
    SandboxProfileInput in;
    in.directory = m_dir;
    in.sshUser = SshdServer::currentUser();
    in.keyFile = keyFile();
    in.knownHostsFile = knownHostsFile();
    in.packages = *packages;
    if (Status s = writeFile(QDir(m_dir).filePath(u"sandbox.info.json"_s),
                             QJsonDocument(sandboxInfo(spec, in)).toJson());
        !s) {
        return s;
    }
    return writeFile(profilePath(), sandboxProfile(spec, in).toJson());
}

Status SandboxLauncher::prepareSsh(const SandboxSpec &spec)
{
    if (const QString why = SshdServer::unavailableReason(); !why.isEmpty()) {
        return Error(ErrorCode::NotFound, why + u" (use --no-ssh to run without sshd)"_s, u"sshd"_s);
    }
    QDir().mkpath(m_dir + u"/ssh"_s);
    if (!QFileInfo::exists(keyFile())) {
        QProcess kg;
        kg.start(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(), u"-C"_s,
                                   u"graystep-sandbox"_s, u"-f"_s, keyFile()});
        if (!kg.waitForFinished(30000) || kg.exitCode() != 0) {
            return Error(ErrorCode::Io, u"ssh-keygen failed: %1"_s.arg(QString::fromUtf8(kg.readAllStandardError())),
                         keyFile());
        }
    }
    QByteArray knownHosts;
    for (const SandboxHost &h : spec.hosts) {
        SshdServer srv(sshdDir(h), h.address, spec.sshPort);
        QDir().mkpath(sshdDir(h) + u"/client"_s);
        for (const QString &suffix : {QString(), u".pub"_s}) {
            QFile::remove(srv.clientKeyPath() + suffix);
            if (!QFile::copy(keyFile() + suffix, srv.clientKeyPath() + suffix)) {
                return Error(ErrorCode::Io, u"cannot copy the client key"_s, srv.clientKeyPath());
            }
        }
        QFile::setPermissions(srv.clientKeyPath(), QFile::ReadOwner | QFile::WriteOwner);
        if (Status s = srv.prepare(); !s) {
            return s;
        }
        auto line = srv.knownHostsLine();
        if (!line) {
            return line.error();
        }
        knownHosts += line->toUtf8() + '\n';
    }
    return writeFile(knownHostsFile(), knownHosts);
}

Status SandboxLauncher::startSshd(const SandboxSpec &spec)
{
    for (const SandboxHost &h : spec.hosts) {
        SshdServer srv(sshdDir(h), h.address, spec.sshPort);
        if (srv.isRunning()) {
            continue;
        }
        if (Status s = srv.start(); !s) {
            return Error(s.error().code, s.error().message, u"sshd of host %1"_s.arg(h.address));
        }
    }
    return {};
}

Result<QString> SandboxLauncher::findLeader(const SandboxSpec &spec, int timeoutMs) const
{
    QDeadlineTimer deadline(timeoutMs);
    QString lastError = u"no controller answered"_s;
    do {
        for (const SandboxHost &h : spec.hosts) {
            const SandboxNode *ctl = h.node(h.controllerAlias());
            if (!ctl) {
                continue;
            }
            SandboxClient c(1000);
            if (Status s = c.open(h.address, ctl->port); !s) {
                lastError = s.error().toString();
                continue;
            }
            auto leader = c.call(u"getActiveMaster"_s);
            if (leader && !leader->toString().isEmpty()) {
                const QString alias = leader->toString();
                if (spec.hostOf(alias)) {
                    return alias;
                }
                lastError = u"getActiveMaster named an unknown controller %1"_s.arg(alias);
            } else if (!leader) {
                lastError = leader.error().toString();
            }
        }
        sleepMs(100);
    } while (!deadline.hasExpired());
    return Error(ErrorCode::Timeout, u"no Raft leader elected: %1"_s.arg(lastError), u"controllers"_s);
}

Status SandboxLauncher::startCluster(const SandboxSpec &spec, int timeoutMs, QString *leaderOut)
{
    QDeadlineTimer deadline(timeoutMs);
    const auto remaining = [&deadline] { return int(qMax<qint64>(1, deadline.remainingTime())); };
    QList<QPair<const SandboxHost *, QString>> controllers;
    QList<QPair<const SandboxHost *, QString>> agents;
    for (const SandboxHost &h : spec.hosts) {
        const QString cd = u"cd "_s + shellQuote(clusterDemoDir(h)) + u" && "_s;
        if (!h.controllerAlias().isEmpty() && nodePid(h, h.controllerAlias()) < 0) {
            controllers << qMakePair(&h, cd + u"sh startController.sh"_s);
        }
        if (!h.agentAlias().isEmpty() && nodePid(h, h.agentAlias()) < 0) {
            agents << qMakePair(&h, cd + u"sh startAgent.sh"_s);
        }
    }
    progress(u"starting %1 controllers (startController.sh%2)"_s.arg(controllers.size())
                 .arg(spec.ssh ? u" over SSH"_s : QString()));
    if (Status s = runOnHosts(controllers, remaining()); !s) {
        return s;
    }
    progress(u"starting %1 agents (startAgent.sh)"_s.arg(agents.size()));
    if (Status s = runOnHosts(agents, remaining()); !s) {
        return s;
    }
    auto leader = findLeader(spec, remaining());
    if (!leader) {
        return leader.error();
    }
    *leaderOut = *leader;
    progress(u"leader controller: %1"_s.arg(*leader));

    QStringList toStart;
    for (const SandboxHost &h : spec.hosts) {
        for (const QString &a : h.dataNodeAliases()) {
            if (nodePid(h, a) < 0) {
                toStart << a;
            }
        }
    }
    if (!toStart.isEmpty()) {
        progress(u"startDataNode(%1) on the leader"_s.arg(toStart.join(u',')));
        const SandboxHost *lh = spec.hostOf(*leader);
        QString host = lh->address;
        quint16 port = lh->node(*leader)->port;
        QString lastError;
        bool started = false;
        while (!started && !deadline.hasExpired()) {
            SandboxClient c(2000);
            Status s = c.open(host, port);
            if (s) {
                auto r = c.call(u"startDataNode"_s, {DolphinDb::DdbValue::vector(DolphinDb::DdbVector::strings(toStart))});
                if (r) {
                    started = true;
                    break;
                }
                lastError = r.error().message;
                QString nh;
                quint16 np = 0;
                if (parseNotLeader(lastError, &nh, &np)) {
                    host = nh;
                    port = np;
                    continue;
                }
            } else {
                lastError = s.error().message;
            }
            sleepMs(200);   // agents may not have registered with the leader yet
        }
        if (!started) {
            return Error(ErrorCode::Timeout, u"startDataNode failed: %1"_s.arg(lastError), u"leader %1"_s.arg(*leader));
        }
    }
    // Wait until every data node answers the API and the leader sees it up.
    progress(u"waiting for %1 data nodes"_s.arg(spec.dataNodeAliases().size()));
    for (const SandboxHost &h : spec.hosts) {
        for (const QString &a : h.dataNodeAliases()) {
            QString lastError;
            bool up = false;
            while (!deadline.hasExpired()) {
                SandboxClient c(1000);
                Status s = c.open(h.address, h.node(a)->port);
                if (s) {
                    auto v = c.call(u"version"_s);
                    if (v) {
                        up = true;
                        break;
                    }
                    lastError = v.error().message;
                } else {
                    lastError = s.error().message;
                }
                sleepMs(100);
            }
            if (!up) {
                QString logTail = QString::fromUtf8(readSmallFile(clusterDemoDir(h) + u"/log/"_s + a + u".log"_s)).right(400);
                return Error(ErrorCode::Timeout, u"data node %1 did not come up: %2; log: %3"_s.arg(a, lastError, logTail),
                             u"host %1"_s.arg(h.address));
            }
        }
    }
    const SandboxHost *lh = spec.hostOf(*leader);
    QStringList notUp = spec.dataNodeAliases();
    while (!notUp.isEmpty() && !deadline.hasExpired()) {
        SandboxClient c(1000);
        if (c.open(lh->address, lh->node(*leader)->port)) {
            auto perf = c.call(u"getClusterPerf"_s);
            const DolphinDb::DdbVector *state = perf && perf->isTable() ? perf->column(u"state") : nullptr;
            const DolphinDb::DdbVector *name = perf && perf->isTable() ? perf->column(u"name") : nullptr;
            if (state && name) {
                for (qint64 r = 0; r < perf->rowCount(); ++r) {
                    if (!state->isNull(r) && state->intAt(r) == 1) {
                        notUp.removeAll(name->stringAt(r));
                    }
                }
            } else if (perf && perf->isTable()) {
                notUp.clear();   // no state column to wait on
            }
        }
        if (!notUp.isEmpty()) {
            sleepMs(100);
        }
    }
    if (!notUp.isEmpty()) {
        return Error(ErrorCode::Timeout, u"the leader does not see data nodes up: %1"_s.arg(notUp.join(u',')),
                     u"leader %1"_s.arg(*leader));
    }
    return {};
}

Status SandboxLauncher::createTutorialTable(const SandboxSpec &spec, int timeoutMs)
{
    // The tutorial's script, verbatim (grayscale-upgrade-tutorial.txt).
    const QString script = u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
                           "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n"
                           "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s;
    QDeadlineTimer deadline(timeoutMs);
    QString lastError;
    const SandboxHost *host = nullptr;
    for (const SandboxHost &h : spec.hosts) {
        if (!h.dataNodeAliases().isEmpty()) {
            host = &h;
            break;
        }
    }
    if (!host) {
        return {};
    }
    const SandboxNode *node = host->node(host->dataNodeAliases().first());
    progress(u"creating dfs://stock/stock on %1"_s.arg(node->alias));
    while (!deadline.hasExpired()) {
        SandboxClient c(5000);
        Status s = c.open(host->address, node->port);
        if (s) {
            auto r = c.run(script);
            if (r || r.error().message.contains("already exist"_L1, Qt::CaseInsensitive)) {
                return {};
            }
            lastError = r.error().message;
        } else {
            lastError = s.error().message;
        }
        sleepMs(200);
    }
    return Error(ErrorCode::Failed, u"cannot create dfs://stock/stock: %1"_s.arg(lastError), node->alias);
}

QJsonObject SandboxLauncher::upReport(const SandboxSpec &spec, bool alreadyRunning) const
{
    QJsonArray hosts;
    for (const SandboxHost &h : spec.hosts) {
        QJsonArray nodes;
        QJsonObject ports;
        for (const SandboxNode &n : h.nodes) {
            nodes.append(QJsonObject{{u"alias"_s, n.alias}, {u"mode"_s, n.mode}, {u"port"_s, int(n.port)}});
            if (!ports.contains(n.mode)) {
                ports[n.mode] = int(n.port);
            }
        }
        QJsonObject host{{u"index"_s, h.index}, {u"address"_s, h.address},
                         {u"sshPort"_s, spec.ssh ? QJsonValue(int(spec.sshPort)) : QJsonValue()},
                         {u"installDir"_s, installDir(h)}, {u"ports"_s, ports}, {u"nodes"_s, nodes}};
        if (!h.originalAddress.isEmpty()) {
            host[u"originalAddress"_s] = h.originalAddress;
        }
        hosts.append(host);
    }
    QJsonObject packages;
    const QDir pdir(m_dir + u"/packages"_s);
    for (const QString &f : pdir.entryList({u"DolphinDB_Linux64_V*.zip"_s}, QDir::Files, QDir::Name)) {
        const QString kind = f.endsWith("_broken.zip"_L1) ? u"broken"_s : f.mid(19).chopped(4);
        packages[kind] = pdir.filePath(f);
    }
    QJsonObject o{{u"directory"_s, m_dir}, {u"profile"_s, profilePath()}, {u"alreadyRunning"_s, alreadyRunning},
                  {u"version"_s, spec.version}, {u"ssh"_s, spec.ssh}, {u"hosts"_s, hosts},
                  {u"packages"_s, packages}};
    if (spec.ssh) {
        o[u"sshKey"_s] = keyFile();
        o[u"knownHosts"_s] = knownHostsFile();
        o[u"sshUser"_s] = SshdServer::currentUser();
    }
    if (!spec.remap.isEmpty()) {
        QJsonObject remap;
        for (auto it = spec.remap.cbegin(); it != spec.remap.cend(); ++it) {
            remap[it.key()] = it.value();
        }
        o[u"remap"_s] = remap;
        o[u"droppedSettings"_s] = QJsonArray::fromStringList(spec.droppedSettings);
    }
    return o;
}

Result<SandboxSpec> SandboxLauncher::prepare(const UpOptions &options)
{
    if (isLaidOut()) {
        auto spec = loadSpec();
        if (spec && options.fromConfig.isEmpty()
            && (spec->hosts.size() != options.hosts || spec->hosts.first().address != options.baseAddress
                || spec->ssh != options.ssh)) {
            progress(u"%1 is laid out already (%2 hosts from %3%4): its layout is used, other options are "
                     "ignored (down, remove the directory and up again to change it)"_s
                         .arg(m_dir).arg(spec->hosts.size()).arg(spec->hosts.first().address,
                                                                   spec->ssh ? QString() : u", no SSH"_s));
        }
        return spec;
    }
    if (!knownVersions().contains(options.version)) {
        return Error(ErrorCode::InvalidInput, u"unknown version %1 (known: %2)"_s.arg(options.version,
                                              knownVersions().join(u", "_s)), u"--version"_s);
    }
    auto built = options.fromConfig.isEmpty() ? seedSpec(options.hosts, options.baseAddress, options.controllers)
                                              : specFromConfigDir(options.fromConfig, options.baseAddress);
    if (!built) {
        return built.error();
    }
    SandboxSpec spec = *built;
    for (const SandboxHost &h : spec.hosts) {
        if (!h.originalAddress.isEmpty()) {
            progress(u"host %1 (%2) -> %3"_s.arg(h.index).arg(h.originalAddress, h.address));
        }
    }
    for (const QString &d : spec.droppedSettings) {
        progress(u"not copied: "_s + d);
    }
    spec.version = options.version;
    spec.ssh = options.ssh;
    spec.fast = options.fast;
    const QString nodeBinary = findNodeBinary(options.nodeBinary);
    if (!QFileInfo(nodeBinary).isExecutable()) {
        return Error(ErrorCode::NotFound, u"node binary not found or not executable: %1 "
                                          "(build ddbsim, or pass --node-binary / set GRAYSTEP_DDBSIM)"_s.arg(nodeBinary),
                     u"ddbsim"_s);
    }
    // Another sandbox (or anything) on this address block would make the nodes fail to bind.
    for (const SandboxHost &h : spec.hosts) {
        for (const SandboxNode &n : h.nodes) {
            if (portAnswers(h.address, n.port)) {
                return Error(ErrorCode::InvalidInput,
                             u"%1:%2 is already in use (another sandbox on this address block? "
                             "use --base-address)"_s.arg(h.address).arg(n.port), u"--base-address"_s);
            }
        }
        if (spec.ssh && portAnswers(h.address, spec.sshPort)) {
            return Error(ErrorCode::InvalidInput,
                         u"%1:%2 is already in use (an sshd of another sandbox?)"_s.arg(h.address).arg(spec.sshPort),
                         u"--base-address"_s);
        }
    }
    if (!QDir().mkpath(m_dir)) {
        return Error(ErrorCode::Io, u"cannot create the sandbox directory"_s, m_dir);
    }
    QJsonObject packages;
    if (Status s = layOut(spec, nodeBinary, &packages); !s) {
        return s.error();
    }
    if (Status s = saveState(spec, false); !s) {
        return s.error();
    }
    return spec;
}

Result<QJsonObject> SandboxLauncher::up(const UpOptions &options)
{
    QElapsedTimer clock;
    clock.start();
    const int timeoutMs = options.timeoutMs > 0 ? options.timeoutMs : (options.fast ? 30000 : 120000);
    bool databaseCreated = false;
    if (isLaidOut()) {
        auto loaded = loadSpec();
        if (!loaded) {
            return loaded.error();
        }
        QJsonParseError pe;
        databaseCreated = QJsonDocument::fromJson(readSmallFile(m_dir + u'/' + QLatin1StringView(StateFile)), &pe)
                              .object().value(u"databaseCreated"_s).toBool();
        bool allUp = true;
        bool anyUp = false;
        for (const SandboxHost &h : loaded->hosts) {
            for (const SandboxNode &n : h.nodes) {
                const bool up = nodePid(h, n.alias) > 0;
                allUp = allUp && up;
                anyUp = anyUp || up;
            }
        }
        if (loaded->ssh) {
            for (const SandboxHost &h : loaded->hosts) {
                allUp = allUp && SshdServer(sshdDir(h), h.address, loaded->sshPort).isRunning();
            }
        }
        if (allUp) {
            QJsonObject report = upReport(*loaded, true);
            report[u"elapsedMs"_s] = clock.elapsed();
            return report;
        }
        progress(anyUp ? u"sandbox partly running: starting the missing nodes"_s
                       : u"sandbox laid out but stopped: starting it (the data is kept)"_s);
    }
    auto prepared = prepare(options);
    if (!prepared) {
        return prepared.error();
    }
    const SandboxSpec &spec = *prepared;
    const QJsonObject disk = mountDisks(spec, options);
    progress(disk.value(u"method"_s).toString() == "tmpfs"_L1
                 ? u"hosts on tmpfs (%1 MiB each)"_s.arg(options.diskMiB)
                 : u"hosts on the real file system (disk-full is emulated: %1)"_s.arg(disk.value(u"reason"_s).toString()));
    // A failed up leaves nothing behind: no process, no mount.
    const auto failed = [this](const Error &e) -> Result<QJsonObject> {
        progress(u"up failed, stopping what was started: "_s + e.toString());
        (void)down();
        return e;
    };
    if (spec.ssh) {
        progress(u"starting %1 sshd"_s.arg(spec.hosts.size()));
        if (Status s = startSshd(spec); !s) {
            return failed(s.error());
        }
    }
    QString leader;
    if (Status s = startCluster(spec, timeoutMs, &leader); !s) {
        return failed(s.error());
    }
    if (!databaseCreated) {
        if (Status s = createTutorialTable(spec, qMax(5000, timeoutMs / 2)); !s) {
            return failed(s.error());
        }
        if (Status s = saveState(spec, true); !s) {
            return failed(s.error());
        }
    }
    QJsonObject report = upReport(spec, false);
    report[u"disk"_s] = disk;
    report[u"leader"_s] = leader;
    report[u"elapsedMs"_s] = clock.elapsed();
    return report;
}

QJsonObject SandboxLauncher::mountDisks(const SandboxSpec &spec, const UpOptions &options)
{
    QString reason = options.tmpfs ? SandboxDisk::tmpfsUnavailableReason() : u"--no-tmpfs"_s;
    QJsonArray mounted;
    QList<const SandboxHost *> mountedNow;
    if (reason.isEmpty()) {
        const bool running = !processesUnderDirectory().isEmpty();
        for (const SandboxHost &h : spec.hosts) {
            if (SandboxDisk::isMountPoint(hostDir(h))) {
                mounted.append(h.address);
                continue;
            }
            if (running) {
                // Moving a host's files under its running processes would cut them off.
                reason = u"processes of the sandbox run on the real directories"_s;
                break;
            }
            if (Status s = SandboxDisk::mountTmpfs(hostDir(h), options.diskMiB); !s) {
                reason = u"mount refused: "_s + s.error().message;
                break;
            }
            mountedNow << &h;
            mounted.append(h.address);
        }
    }
    if (!reason.isEmpty()) {
        // All hosts alike: no half-mounted sandbox.
        for (const SandboxHost *h : std::as_const(mountedNow)) {
            (void)SandboxDisk::unmountTmpfs(hostDir(*h));
        }
        bool anyMounted = false;
        for (const SandboxHost &h : spec.hosts) {
            anyMounted = anyMounted || SandboxDisk::isMountPoint(hostDir(h));
        }
        if (!anyMounted) {
            mounted = {};
        }
    }
    const QString method = reason.isEmpty() ? u"tmpfs"_s : (mounted.isEmpty() ? u"emulated"_s : u"mixed"_s);
    QJsonObject disk{{u"method"_s, method}, {u"mounted"_s, mounted}};
    if (reason.isEmpty()) {
        disk[u"sizeMiB"_s] = options.diskMiB;
    } else {
        disk[u"reason"_s] = reason;
    }
    return disk;
}

QStringList SandboxLauncher::unmountDisks(const SandboxSpec &spec, QJsonArray *unmounted) const
{
    QStringList errors;
    for (const SandboxHost &h : spec.hosts) {
        if (!SandboxDisk::isMountPoint(hostDir(h))) {
            continue;
        }
        if (Status s = SandboxDisk::unmountTmpfs(hostDir(h)); !s) {
            errors << s.error().toString();
        } else if (unmounted) {
            unmounted->append(h.address);
        }
    }
    return errors;
}

Result<QJsonObject> SandboxLauncher::down()
{
    auto spec = loadSpec();
    if (!spec) {
        return spec.error();
    }
    // stopAllNode.sh of every host, locally (works when an sshd is down too), in parallel.
    QList<QProcess *> procs;
    for (const SandboxHost &h : spec->hosts) {
        auto *p = new QProcess;
        p->setProcessChannelMode(QProcess::MergedChannels);
        p->setWorkingDirectory(clusterDemoDir(h));
        p->start(u"sh"_s, {u"stopAllNode.sh"_s});
        procs << p;
    }
    QJsonArray hosts;
    for (int i = 0; i < procs.size(); ++i) {
        procs[i]->waitForFinished(30000);
        hosts.append(QJsonObject{{u"address"_s, spec->hosts[i].address},
                                 {u"stopAllNode"_s, QString::fromUtf8(procs[i]->readAll()).trimmed()},
                                 {u"exitCode"_s, procs[i]->exitCode()}});
        delete procs[i];
    }
    QStringList sshdErrors;
    for (const SandboxHost &h : spec->hosts) {
        if (!QFileInfo::exists(sshdDir(h))) {
            continue;
        }
        SshdServer srv(sshdDir(h), h.address, spec->sshPort);
        if (Status s = srv.stop(); !s) {
            sshdErrors << s.error().toString();
        }
    }
    // Anything still running from D (a node that ignored SIGTERM, a stray session): SIGKILL.
    QJsonArray leftovers;
    for (qint64 pid : processesUnderDirectory()) {
        leftovers.append(QJsonObject{{u"pid"_s, pid},
                                     {u"cmdline"_s, QString::fromUtf8(readSmallFile(u"/proc/%1/cmdline"_s.arg(pid)).replace('\0', ' ')).trimmed()}});
        ::kill(pid_t(pid), SIGKILL);
    }
    QDeadlineTimer deadline(5000);
    while (!processesUnderDirectory().isEmpty() && !deadline.hasExpired()) {
        sleepMs(50);
    }
    const QList<qint64> remaining = processesUnderDirectory();
    QJsonArray remainingJson;
    for (qint64 pid : remaining) {
        remainingJson.append(pid);
    }
    QJsonArray unmounted;
    const QStringList unmountErrors = unmountDisks(*spec, &unmounted);
    return QJsonObject{{u"directory"_s, m_dir}, {u"hosts"_s, hosts}, {u"leftoversKilled"_s, leftovers},
                       {u"sshdErrors"_s, QJsonArray::fromStringList(sshdErrors)},
                       {u"unmounted"_s, unmounted}, {u"unmountErrors"_s, QJsonArray::fromStringList(unmountErrors)},
                       {u"remaining"_s, remainingJson}, {u"stopped"_s, remaining.isEmpty() && unmountErrors.isEmpty()}};
}

Result<QJsonObject> SandboxLauncher::status()
{
    auto spec = loadSpec();
    if (!spec) {
        return spec.error();
    }
    QString leader;
    QJsonArray nodes;
    QJsonArray hosts;
    int upCount = 0;
    for (const SandboxHost &h : spec->hosts) {
        bool sshdUp = false;
        if (spec->ssh) {
            sshdUp = SshdServer(sshdDir(h), h.address, spec->sshPort).isRunning();
        }
        hosts.append(QJsonObject{{u"index"_s, h.index}, {u"address"_s, h.address},
                                 {u"sshPort"_s, spec->ssh ? QJsonValue(int(spec->sshPort)) : QJsonValue()},
                                 {u"sshd"_s, spec->ssh ? QJsonValue(sshdUp ? u"up"_s : u"down"_s) : QJsonValue()},
                                 {u"disk"_s, SandboxDisk::isMountPoint(hostDir(h)) ? u"tmpfs"_s : u"real"_s},
                                 {u"freeBytes"_s, SandboxDisk::freeBytes(hostDir(h))}});
        for (const SandboxNode &n : h.nodes) {
            // Up means running: its pid file names a live process, or (a pid file that someone
            // removed is no proof of anything) the node answers on its port.
            const qint64 pid = nodePid(h, n.alias);
            SandboxClient c(1500);
            const bool answers = bool(c.open(h.address, n.port));
            QJsonObject row{{u"host"_s, h.address}, {u"alias"_s, n.alias}, {u"mode"_s, n.mode},
                            {u"port"_s, int(n.port)}, {u"state"_s, pid > 0 || answers ? u"up"_s : u"down"_s},
                            {u"pid"_s, pid > 0 ? QJsonValue(pid) : QJsonValue()}};
            if (pid <= 0 && answers) {
                row[u"pidFile"_s] = u"missing"_s;
            }
            if (pid > 0 || answers) {
                ++upCount;
                if (answers) {
                    if (auto v = c.call(u"version"_s)) {
                        row[u"version"_s] = v->toString();
                    }
                    if (n.mode == "controller"_L1) {
                        if (auto m = c.call(u"getActiveMaster"_s)) {
                            row[u"leader"_s] = m->toString() == n.alias;
                            if (m->toString() == n.alias) {
                                leader = n.alias;
                            }
                        }
                    }
                } else {
                    row[u"api"_s] = u"not answering"_s;
                }
            }
            nodes.append(row);
        }
    }
    return QJsonObject{{u"directory"_s, m_dir}, {u"leader"_s, leader}, {u"nodesUp"_s, upCount},
                       {u"nodes"_s, nodes}, {u"hosts"_s, hosts}};
}

QStringList SandboxLauncher::faultKinds()
{
    return {u"slow-recovery"_s, u"stuck-recovery"_s, u"normal-recovery"_s, u"fail-start"_s, u"kill"_s,
            u"disk-full"_s, u"stop-sshd"_s, u"start-sshd"_s, u"election-storm"_s, u"lose-write"_s};
}

Result<QJsonObject> SandboxLauncher::fault(const QString &kind, const QStringList &argsIn)
{
    auto spec = loadSpec();
    if (!spec) {
        return spec.error();
    }
    QStringList args = argsIn;
    const bool clear = args.removeAll(u"--clear"_s) > 0;
    const auto hostArg = [&]() -> const SandboxHost * {
        const QString a = args.value(0);
        for (const SandboxHost &h : spec->hosts) {
            if (a == h.address || a == QString::number(h.index) || a == u"host"_s + QString::number(h.index)
                || (!h.originalAddress.isEmpty() && a == h.originalAddress)) {
                return &h;
            }
        }
        return nullptr;
    };
    const auto setFault = [&](const SandboxHost &h, const SandboxNode &n, const QString &k, const QString &v) -> Status {
        SandboxClient c(3000);
        if (Status s = c.open(h.address, n.port); !s) {
            return s;
        }
        auto r = c.call(u"simSetFault"_s, {DolphinDb::DdbValue::string(k), DolphinDb::DdbValue::string(v)});
        if (!r) {
            return r.error();
        }
        return {};
    };
    QJsonObject out{{u"fault"_s, kind}, {u"cleared"_s, clear}};

    if (kind == "slow-recovery"_L1 || kind == "stuck-recovery"_L1 || kind == "normal-recovery"_L1) {
        const QString value = clear ? u"normal"_s : kind.section(u'-', 0, 0);
        auto leader = findLeader(*spec, 5000);
        if (!leader) {
            return leader.error();
        }
        const SandboxHost *h = spec->hostOf(*leader);
        if (Status s = setFault(*h, *h->node(*leader), u"recovery"_s, value); !s) {
            return s.error();
        }
        out[u"target"_s] = *leader;
        out[u"value"_s] = value;
        return out;
    }
    if (kind == "fail-start"_L1 || kind == "kill"_L1) {
        const QString alias = args.value(0);
        const SandboxHost *h = spec->hostOf(alias);
        if (!h) {
            return Error(ErrorCode::InvalidInput, u"unknown node alias \"%1\""_s.arg(alias), kind);
        }
        out[u"target"_s] = alias;
        if (kind == "fail-start"_L1) {
            const QString marker = clusterDemoDir(*h) + u"/data/"_s + alias + u".failstart"_s;
            if (clear) {
                QFile::remove(marker);
            } else if (Status s = writeFile(marker, "GrayStep sandbox fault: this node fails to start\n"); !s) {
                return s.error();
            }
            out[u"file"_s] = marker;
            return out;
        }
        const qint64 pid = nodePid(*h, alias);
        if (pid <= 0) {
            return Error(ErrorCode::NotFound, u"%1 is not running"_s.arg(alias), kind);
        }
        ::kill(pid_t(pid), SIGKILL);
        out[u"pid"_s] = pid;
        return out;
    }
    if (kind == "lose-write"_L1) {
        // Every running data node (or the one named) acknowledges its next append and stores
        // nothing: acknowledged rows for a continuity check to find missing.
        QJsonArray targets;
        for (const SandboxHost &h : spec->hosts) {
            for (const QString &a : h.dataNodeAliases()) {
                if ((!args.value(0).isEmpty() && a != args.value(0)) || nodePid(h, a) <= 0) {
                    continue;
                }
                if (Status s = setFault(h, *h.node(a), u"loseNextAppend"_s, clear ? u"0"_s : u"1"_s); !s) {
                    return s.error();
                }
                targets.append(a);
            }
        }
        if (targets.isEmpty()) {
            return Error(ErrorCode::NotFound, u"no running data node%1"_s.arg(args.value(0).isEmpty() ? QString() : u" "_s + args.value(0)),
                         kind);
        }
        out[u"nodes"_s] = targets;
        return out;
    }
    if (kind == "disk-full"_L1) {
        const SandboxHost *h = hostArg();
        if (!h) {
            return Error(ErrorCode::InvalidInput, u"unknown host \"%1\" (address or index)"_s.arg(args.value(0)), kind);
        }
        out[u"target"_s] = h->address;
        if (SandboxDisk::isMountPoint(hostDir(*h))) {
            // The host's own tmpfs: filled with a ballast file until the kernel says ENOSPC.
            out[u"method"_s] = u"tmpfs"_s;
            if (clear) {
                out[u"ballastRemovedBytes"_s] = SandboxDisk::removeBallast(hostDir(*h));
            } else {
                auto filled = SandboxDisk::fillWithBallast(hostDir(*h));
                if (!filled) {
                    return filled.error();
                }
                out[u"ballastBytes"_s] = *filled;
            }
            out[u"freeBytes"_s] = SandboxDisk::freeBytes(hostDir(*h));
            return out;
        }
        // No tmpfs: the node's emulated quota, writes fail with "No space left on device".
        const QString reason = SandboxDisk::tmpfsUnavailableReason();
        out[u"reason"_s] = reason.isEmpty() ? u"the host is not on a tmpfs (sandbox started with --no-tmpfs, or mount was refused)"_s
                                            : reason;
        QJsonArray targets;
        for (const QString &a : h->dataNodeAliases()) {
            if (Status s = setFault(*h, *h->node(a), u"diskFull"_s, clear ? u"0"_s : u"1"_s); !s) {
                return s.error();
            }
            targets.append(a);
        }
        out[u"nodes"_s] = targets;
        out[u"method"_s] = u"emulated"_s;
        out[u"how"_s] = u"simSetFault(diskFull)"_s;
        return out;
    }
    if (kind == "stop-sshd"_L1 || kind == "start-sshd"_L1) {
        const SandboxHost *h = hostArg();
        if (!h) {
            return Error(ErrorCode::InvalidInput, u"unknown host \"%1\" (address or index)"_s.arg(args.value(0)), kind);
        }
        if (!spec->ssh) {
            return Error(ErrorCode::InvalidInput, u"this sandbox runs without sshd (--no-ssh)"_s, kind);
        }
        SshdServer srv(sshdDir(*h), h->address, spec->sshPort);
        // A host whose sshd stops: the listener and the open connections go, the nodes (started
        // through SSH, so they carry its SSH_CONNECTION) stay up, as on a real host. Ending
        // everything SSH started is `down`'s job, not an SSH fault's.
        Status s = kind == "stop-sshd"_L1 ? srv.stop(5000, SshdServer::StopScope::ListenerAndConnections) : srv.start();
        if (!s) {
            return s.error();
        }
        out[u"target"_s] = h->address;
        return out;
    }
    if (kind == "election-storm"_L1) {
        QJsonArray targets;
        for (const SandboxHost &h : spec->hosts) {
            const SandboxNode *ctl = h.node(h.controllerAlias());
            if (!ctl || nodePid(h, ctl->alias) < 0) {
                continue;
            }
            if (Status s = setFault(h, *ctl, u"electionStorm"_s, clear ? u"0"_s : u"1"_s); !s) {
                return s.error();
            }
            targets.append(ctl->alias);
        }
        out[u"nodes"_s] = targets;
        return out;
    }
    return Error(ErrorCode::InvalidInput, u"unknown fault \"%1\" (known: %2)"_s.arg(kind, faultKinds().join(u", "_s)),
                 u"fault"_s);
}

} // namespace GrayStep::Sim
