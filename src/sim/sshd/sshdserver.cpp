// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sshd/sshdserver.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QProcess>
#include <QSaveFile>
#include <QThread>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Sim {

namespace {

const QString SSHD = u"/usr/sbin/sshd"_s;
const QString SSH_KEYGEN = u"/usr/bin/ssh-keygen"_s;
const QString SFTP_SERVER = u"/usr/lib/openssh/sftp-server"_s;

// State and parent of a process from /proc/PID/stat; state 0 when it is gone.
struct ProcInfo
{
    char state = 0;
    qint64 ppid = -1;
};

ProcInfo procInfo(qint64 pid)
{
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0 || close + 4 >= stat.size()) {
        return {};
    }
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    if (fields.size() < 2) {
        return {};
    }
    ProcInfo info;
    info.state = fields.at(0).isEmpty() ? char(0) : fields.at(0).at(0);
    info.ppid = fields.at(1).toLongLong();
    return info;
}

bool alive(qint64 pid)
{
    const ProcInfo info = procInfo(pid);
    return info.state != 0 && info.state != 'Z' && info.state != 'X';
}

QList<qint64> allPids()
{
    QList<qint64> pids;
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (ok) {
            pids << pid;
        }
    }
    return pids;
}

QList<qint64> descendantsOf(qint64 root)
{
    QHash<qint64, QList<qint64>> children;
    for (qint64 pid : allPids()) {
        const ProcInfo info = procInfo(pid);
        if (info.state != 0) {
            children[info.ppid] << pid;
        }
    }
    QList<qint64> out;
    QList<qint64> queue{root};
    while (!queue.isEmpty()) {
        const qint64 p = queue.takeFirst();
        const QList<qint64> kids = children.value(p);
        for (qint64 k : kids) {
            if (!out.contains(k)) {
                out << k;
                queue << k;
            }
        }
    }
    return out;
}

// Processes whose environment says they were started by a session of ADDR:PORT.
QList<qint64> processesOfServer(const QString &address, quint16 port)
{
    QList<qint64> out;
    const QByteArray suffix = ' ' + address.toLatin1() + ' ' + QByteArray::number(port);
    for (qint64 pid : allPids()) {
        if (pid == getpid()) {
            continue;
        }
        QFile f(u"/proc/%1/environ"_s.arg(pid));
        if (!f.open(QIODevice::ReadOnly)) {
            continue;
        }
        const QList<QByteArray> vars = f.readAll().split('\0');
        for (const QByteArray &v : vars) {
            if (v.startsWith("SSH_CONNECTION=") && v.endsWith(suffix)) {
                if (alive(pid)) {
                    out << pid;
                }
                break;
            }
        }
    }
    return out;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return f.readAll();
}

Status writeFile(const QString &path, const QByteArray &data)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        return Error(ErrorCode::Io, u"cannot write %1: %2"_s.arg(path, f.errorString()));
    }
    return {};
}

QByteArray tail(const QByteArray &text, int lines)
{
    QList<QByteArray> all = text.trimmed().split('\n');
    while (all.size() > lines) {
        all.removeFirst();
    }
    return all.join('\n');
}

} // namespace

SshdServer::SshdServer(QString directory, QString address, quint16 port)
    : m_directory(QDir(directory).absolutePath())
    , m_address(std::move(address))
    , m_port(port)
{}

SshdServer::~SshdServer()
{
    if (m_stopOnDestruction) {
        (void)stop();
    }
}

QString SshdServer::unavailableReason()
{
    if (!QFileInfo(SSHD).isExecutable()) {
        return u"%1 not found (install openssh-server)"_s.arg(SSHD);
    }
    if (!QFileInfo(SSH_KEYGEN).isExecutable()) {
        return u"%1 not found (install openssh-client)"_s.arg(SSH_KEYGEN);
    }
    if (geteuid() != 0) {
        return u"sshd needs root to switch users; running as uid %1"_s.arg(geteuid());
    }
    return {};
}

QString SshdServer::currentUser()
{
    if (const passwd *pw = getpwuid(geteuid())) {
        return QString::fromLocal8Bit(pw->pw_name);
    }
    return qEnvironmentVariable("USER");
}

QString SshdServer::sshdPath()
{
    return SSHD;
}

QString SshdServer::configPath() const { return m_directory + u"/sshd_config"_s; }
QString SshdServer::logPath() const { return m_directory + u"/sshd.log"_s; }
QString SshdServer::pidFilePath() const { return m_directory + u"/sshd.pid"_s; }
QString SshdServer::hostKeyPath() const { return m_directory + u"/ssh_host_ed25519_key"_s; }
QString SshdServer::hostPublicKeyPath() const { return hostKeyPath() + u".pub"_s; }
QString SshdServer::clientKeyPath() const { return m_directory + u"/client/id_ed25519"_s; }
QString SshdServer::clientPublicKeyPath() const { return clientKeyPath() + u".pub"_s; }
QString SshdServer::authorizedKeysPath() const { return m_directory + u"/authorized_keys"_s; }

Status SshdServer::runTool(const QString &program, const QStringList &args, QByteArray *output) const
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForStarted(5000)) {
        return Error(ErrorCode::Io, u"cannot run %1: %2"_s.arg(program, p.errorString()));
    }
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished(1000);
        return Error(ErrorCode::Timeout, u"%1 did not finish within 30 s"_s.arg(program));
    }
    const QByteArray out = p.readAll();
    if (output) {
        *output = out;
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        return Error(ErrorCode::Failed,
                     u"%1 failed (exit %2): %3"_s.arg(program).arg(p.exitCode())
                         .arg(QString::fromLocal8Bit(out.trimmed())));
    }
    return {};
}

Status SshdServer::writeConfig()
{
    const QString user = currentUser();
    QString cfg;
    cfg += u"# Generated by GrayStep::Sim::SshdServer for one emulated host\n"_s;
    cfg += u"ListenAddress %1:%2\n"_s.arg(m_address).arg(m_port);
    cfg += u"HostKey %1\n"_s.arg(hostKeyPath());
    cfg += u"PidFile %1\n"_s.arg(pidFilePath());
    cfg += u"AuthorizedKeysFile %1\n"_s.arg(authorizedKeysPath());
    cfg += u"StrictModes no\n"_s;
    cfg += u"UsePAM %1\n"_s.arg(m_kbdInteractive ? u"yes"_s : u"no"_s);
    cfg += u"PubkeyAuthentication yes\n"_s;
    cfg += u"PasswordAuthentication %1\n"_s.arg(m_passwordAuth ? u"yes"_s : u"no"_s);
    cfg += u"KbdInteractiveAuthentication %1\n"_s.arg(m_kbdInteractive ? u"yes"_s : u"no"_s);
    cfg += u"PermitEmptyPasswords no\n"_s;
    cfg += u"PermitRootLogin %1\n"_s.arg(m_passwordAuth || m_kbdInteractive ? u"yes"_s : u"prohibit-password"_s);
    const QStringList allowed = m_allowUsers.isEmpty() ? QStringList{user} : m_allowUsers;
    if (!allowed.join(QString()).isEmpty()) {
        cfg += u"AllowUsers %1\n"_s.arg(allowed.join(u' '));
    }
    cfg += u"Subsystem sftp %1\n"_s.arg(SFTP_SERVER);
    cfg += u"UseDNS no\n"_s;
    cfg += u"PrintMotd no\n"_s;
    cfg += u"PrintLastLog no\n"_s;
    cfg += u"X11Forwarding no\n"_s;
    cfg += u"AllowTcpForwarding no\n"_s;
    cfg += u"PermitUserEnvironment no\n"_s;
    cfg += u"MaxStartups 50:30:100\n"_s;
    cfg += u"MaxSessions 50\n"_s;
    // An emulated host has no login profile of its own: without this, bash (run by sshd for
    // every command) sources the invoking user's ~/.bashrc, whatever this machine put there
    // (pyenv init here: 200-300 ms per command). bash skips it when SHLVL says it is nested.
    cfg += u"SetEnv SHLVL=1\n"_s;
    cfg += u"LogLevel VERBOSE\n"_s;
    if (!m_extraConfig.isEmpty()) {
        cfg += m_extraConfig;
        if (!cfg.endsWith(u'\n')) {
            cfg += u'\n';
        }
    }
    return writeFile(configPath(), cfg.toUtf8());
}

Status SshdServer::prepare()
{
    if (!QDir().mkpath(m_directory + u"/client"_s)) {
        return Error(ErrorCode::Io, u"cannot create %1"_s.arg(m_directory));
    }
    if (!QFileInfo::exists(hostKeyPath())) {
        const Status s = runTool(SSH_KEYGEN, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(), u"-C"_s,
                                              u"graystep-sim-host-%1"_s.arg(m_address), u"-f"_s, hostKeyPath()});
        if (!s) {
            return s;
        }
    }
    if (!QFileInfo::exists(clientKeyPath())) {
        const Status s = runTool(SSH_KEYGEN, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(), u"-C"_s,
                                              u"graystep-sim-client"_s, u"-f"_s, clientKeyPath()});
        if (!s) {
            return s;
        }
    }
    // authorized_keys = every public key under client/.
    QByteArray keys;
    const QStringList pubs = QDir(m_directory + u"/client"_s).entryList({u"*.pub"_s}, QDir::Files, QDir::Name);
    for (const QString &pub : pubs) {
        QByteArray line = readFile(m_directory + u"/client/"_s + pub).trimmed();
        if (!line.isEmpty()) {
            keys += line + '\n';
        }
    }
    if (Status s = writeFile(authorizedKeysPath(), keys); !s) {
        return s;
    }
    if (Status s = writeConfig(); !s) {
        return s;
    }
    if (getuid() == 0 && !QFileInfo::exists(u"/run/sshd"_s)) {
        // Debian's sshd refuses to start without its privilege separation directory.
        if (::mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
            return Error(ErrorCode::Io, u"cannot create /run/sshd (privilege separation directory)"_s);
        }
    }
    QByteArray out;
    if (Status s = runTool(SSHD, {u"-t"_s, u"-f"_s, configPath()}, &out); !s) {
        return Error(ErrorCode::Failed, u"sshd rejects %1: %2"_s.arg(configPath(), QString::fromLocal8Bit(out.trimmed())));
    }
    return {};
}

QList<qint64> SshdServer::listenerPids() const
{
    bool ok = false;
    const qint64 pid = readFile(pidFilePath()).trimmed().toLongLong(&ok);
    if (!ok || pid <= 1 || !alive(pid)) {
        return {};
    }
    return {pid};
}

qint64 SshdServer::pid() const
{
    const QList<qint64> pids = listenerPids();
    return pids.isEmpty() ? -1 : pids.first();
}

bool SshdServer::isRunning() const
{
    return pid() > 0;
}

bool SshdServer::waitForBanner(int timeoutMs) const
{
    QDeadlineTimer deadline(timeoutMs);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(m_port);
    if (inet_pton(AF_INET, m_address.toLatin1().constData(), &sa.sin_addr) != 1) {
        return false;
    }
    while (!deadline.hasExpired()) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        bool banner = false;
        if (::connect(fd, reinterpret_cast<const sockaddr *>(&sa), sizeof sa) == 0) {
            pollfd pfd{fd, POLLIN, 0};
            if (::poll(&pfd, 1, int(qBound(qint64(1), deadline.remainingTime(), qint64(2000)))) > 0) {
                char buf[64] = {};
                const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
                banner = n >= 4 && qstrncmp(buf, "SSH-", 4) == 0;
            }
        }
        ::close(fd);
        if (banner) {
            return true;
        }
        QThread::msleep(30);
    }
    return false;
}

Status SshdServer::start(int timeoutMs)
{
    if (const QString why = unavailableReason(); !why.isEmpty()) {
        return Error(ErrorCode::NotFound, why);
    }
    if (isRunning()) {
        return {};
    }
    if (Status s = prepare(); !s) {
        return s;
    }
    // Processes started through an earlier run (emulated nodes, detached steps) are left alone:
    // they do not hold the port, and a restart (host key rotation) must not kill them.
    QFile::remove(pidFilePath());
    const qint64 logSizeBefore = QFileInfo(logPath()).size();

    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(SSHD, {u"-f"_s, configPath(), u"-E"_s, logPath()});
    if (!p.waitForStarted(5000) || !p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        return Error(ErrorCode::Failed, u"sshd for %1:%2 did not start"_s.arg(m_address).arg(m_port));
    }
    const QByteArray out = p.readAll();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const QByteArray logTail = tail(readFile(logPath()).mid(logSizeBefore), 5);
        return Error(ErrorCode::Failed, u"sshd for %1:%2 failed to start: %3 %4"_s.arg(m_address).arg(m_port)
                                           .arg(QString::fromLocal8Bit(out.trimmed()), QString::fromLocal8Bit(logTail)));
    }
    QDeadlineTimer deadline(timeoutMs);
    while (!isRunning() && !deadline.hasExpired()) {
        // The daemonised sshd binds after forking: a taken port only shows in its log.
        const QByteArray fresh = readFile(logPath()).mid(logSizeBefore);
        if (fresh.contains("Cannot bind any address") || fresh.contains("fatal")) {
            return Error(ErrorCode::Failed, u"sshd for %1:%2 failed to start: %3"_s.arg(m_address).arg(m_port)
                                               .arg(QString::fromLocal8Bit(tail(fresh, 3))));
        }
        QThread::msleep(10);
    }
    if (!isRunning() || !waitForBanner(int(qMax<qint64>(1, deadline.remainingTime())))) {
        const QByteArray logTail = tail(readFile(logPath()).mid(logSizeBefore), 5);
        (void)stop();
        return Error(ErrorCode::Timeout, u"sshd for %1:%2 did not answer within %3 ms: %4"_s.arg(m_address)
                                             .arg(m_port).arg(timeoutMs).arg(QString::fromLocal8Bit(logTail)));
    }
    return {};
}

QList<qint64> SshdServer::connectionProcesses() const
{
    QList<qint64> out;
    for (qint64 l : listenerPids()) {
        out += descendantsOf(l);
    }
    return out;
}

QList<qint64> SshdServer::connectionSshdProcesses() const
{
    // The per-connection sshd processes ("sshd: user [priv]", "sshd: user@notty"; OpenSSH 9.8+
    // runs them as sshd-session): the descendants of the listener that are sshd themselves.
    QList<qint64> out;
    for (qint64 p : connectionProcesses()) {
        if (readFile(u"/proc/%1/comm"_s.arg(p)).startsWith("sshd")) {
            out << p;
        }
    }
    return out;
}

QList<qint64> SshdServer::sessionPids() const
{
    QList<qint64> out = connectionProcesses();
    for (qint64 p : processesOfServer(m_address, m_port)) {
        if (!out.contains(p)) {
            out << p;
        }
    }
    return out;
}

Status SshdServer::stop(int timeoutMs, StopScope scope)
{
    QList<qint64> targets = listenerPids();
    if (scope == StopScope::ListenerAndConnections) {
        targets += connectionSshdProcesses();
    } else if (scope == StopScope::Everything) {
        targets += sessionPids();
    }
    for (qint64 p : std::as_const(targets)) {
        ::kill(pid_t(p), SIGTERM);
        ::kill(pid_t(p), SIGCONT); // a stopped process only acts on SIGTERM once continued
    }
    QDeadlineTimer deadline(timeoutMs);
    bool killed = false;
    for (;;) {
        // Sessions can still fork while dying; pick up anything new that belongs to this server.
        const QList<qint64> late = scope == StopScope::Everything ? processesOfServer(m_address, m_port) : QList<qint64>();
        for (qint64 p : late) {
            if (!targets.contains(p)) {
                targets << p;
                ::kill(pid_t(p), SIGTERM);
                ::kill(pid_t(p), SIGCONT);
            }
        }
        QList<qint64> left;
        for (qint64 p : std::as_const(targets)) {
            if (alive(p)) {
                left << p;
            }
        }
        if (left.isEmpty()) {
            break;
        }
        if (deadline.hasExpired()) {
            if (killed) {
                return Error(ErrorCode::Timeout, u"sshd for %1:%2: %3 process(es) still alive after SIGKILL"_s
                                                     .arg(m_address).arg(m_port).arg(left.size()));
            }
            for (qint64 p : std::as_const(left)) {
                ::kill(pid_t(p), SIGKILL);
            }
            killed = true;
            deadline = QDeadlineTimer(2000);
        } else if (deadline.remainingTime() < timeoutMs / 2 && !killed) {
            // Half the time gone: do not wait for stubborn sessions any longer.
            for (qint64 p : std::as_const(left)) {
                ::kill(pid_t(p), SIGKILL);
            }
            killed = true;
            deadline = QDeadlineTimer(2000);
        }
        QThread::msleep(10);
    }
    QFile::remove(pidFilePath());
    return {};
}

Status SshdServer::regenerateHostKey()
{
    const bool wasRunning = isRunning();
    if (wasRunning) {
        // Only the listener: open sessions and whatever was started through them keep running.
        if (Status s = stop(5000, StopScope::Listener); !s) {
            return s;
        }
    }
    QFile::remove(hostKeyPath());
    QFile::remove(hostPublicKeyPath());
    if (Status s = prepare(); !s) {
        return s;
    }
    return wasRunning ? start() : Status();
}

static Status signalAll(const QList<qint64> &pids, int sig, const char *what)
{
    if (pids.isEmpty()) {
        return Error(ErrorCode::NotFound, u"no session process to %1"_s.arg(QLatin1StringView(what)));
    }
    for (qint64 p : pids) {
        ::kill(pid_t(p), sig);
    }
    return {};
}

Status SshdServer::suspendSessions()
{
    return signalAll(sessionPids(), SIGSTOP, "stop");
}

Status SshdServer::resumeSessions()
{
    return signalAll(sessionPids(), SIGCONT, "continue");
}

Status SshdServer::killSessions()
{
    return signalAll(connectionProcesses(), SIGKILL, "kill");
}

Result<QString> SshdServer::addClientKey(const QString &name, const QByteArray &passphrase)
{
    if (name.isEmpty() || name.contains(u'/') || name.startsWith(u'.')) {
        return Error(ErrorCode::InvalidInput, u"bad key name"_s);
    }
    if (!QDir().mkpath(m_directory + u"/client"_s)) {
        return Error(ErrorCode::Io, u"cannot create %1/client"_s.arg(m_directory));
    }
    const QString path = m_directory + u"/client/"_s + name;
    QFile::remove(path);
    QFile::remove(path + u".pub"_s);
    // The passphrase goes on ssh-keygen's command line: fine for throw-away test keys only.
    const Status s = runTool(SSH_KEYGEN, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString::fromUtf8(passphrase),
                                          u"-C"_s, u"graystep-sim-"_s + name, u"-f"_s, path});
    if (!s) {
        return Error(ErrorCode::Failed, u"ssh-keygen failed for key %1"_s.arg(name));
    }
    QFile ak(authorizedKeysPath());
    if (!ak.open(QIODevice::Append)) {
        return Error(ErrorCode::Io, u"cannot write %1"_s.arg(authorizedKeysPath()));
    }
    ak.write(readFile(path + u".pub"_s).trimmed() + '\n');
    return path;
}

Result<QString> SshdServer::hostPublicKey() const
{
    const QList<QByteArray> parts = readFile(hostPublicKeyPath()).trimmed().split(' ');
    if (parts.size() < 2) {
        return Error(ErrorCode::NotFound, u"no host key in %1"_s.arg(hostPublicKeyPath()));
    }
    return QString::fromLatin1(parts.at(0) + ' ' + parts.at(1));
}

Result<QString> SshdServer::hostKeyFingerprint() const
{
    QByteArray out;
    if (Status s = runTool(SSH_KEYGEN, {u"-l"_s, u"-E"_s, u"sha256"_s, u"-f"_s, hostPublicKeyPath()}, &out); !s) {
        return s.error();
    }
    const QList<QByteArray> parts = out.trimmed().split(' ');
    if (parts.size() < 2) {
        return Error(ErrorCode::Protocol, u"unexpected ssh-keygen output"_s);
    }
    return QString::fromLatin1(parts.at(1));
}

Result<QString> SshdServer::knownHostsLine() const
{
    const Result<QString> key = hostPublicKey();
    if (!key) {
        return key;
    }
    return u"[%1]:%2 %3"_s.arg(m_address).arg(m_port).arg(*key);
}

QByteArray SshdServer::log() const
{
    return readFile(logPath());
}

int SshdServer::sessionsStarted() const
{
    return int(log().count("Starting session:"));
}

} // namespace GrayStep::Sim
