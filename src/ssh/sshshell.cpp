// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/sshshell.h"

#include "core/filedigest.h"
#include "ssh/busyguard.h"
#include "ssh/logging.h"
#include "ssh/outputsink.h"
#include "ssh/uploadprogress.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMessageAuthenticationCode>
#include <QMutex>
#include <QThread>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <fcntl.h>
#include <thread>
#ifdef Q_OS_WIN
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#endif

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Ssh {

namespace {

#ifdef Q_OS_WIN
constexpr int SHUTDOWN_BOTH = SD_BOTH;
int pollSocket(socket_t s, int timeoutMs)
{
    WSAPOLLFD pfd{s, POLLIN, 0};
    return WSAPoll(&pfd, 1, timeoutMs);
}
void setIntOption(socket_t s, int level, int name, int value)
{
    ::setsockopt(s, level, name, reinterpret_cast<const char *>(&value), sizeof value);
}
#else
constexpr int SHUTDOWN_BOTH = SHUT_RDWR;
int pollSocket(socket_t s, int timeoutMs)
{
    pollfd pfd{s, POLLIN, 0};
    return ::poll(&pfd, 1, timeoutMs);
}
void setIntOption(socket_t s, int level, int name, int value)
{
    ::setsockopt(s, level, name, &value, sizeof value);
}
#endif

constexpr int MAX_SFTP_CHUNK = 64 * 1024;
// exec read slices: the wait for stdout does not wake up for stderr data, so it starts short
// and grows while nothing happens; cancel and deadlines are checked at least every 100 ms.
constexpr int READ_POLL_MIN_MS = 2;
constexpr int READ_POLL_MAX_MS = 100;
constexpr int KILL_TIMEOUT_MS = 600;       // bound for opening the channel that kills a cancelled command
const char PGID_MARKER[] = "GRAYSTEP-PGID ";

struct SftpAttrDeleter { void operator()(sftp_attributes a) const { if (a) { sftp_attributes_free(a); } } };
struct SftpStatvfsDeleter { void operator()(sftp_statvfs_t s) const { if (s) { sftp_statvfs_free(s); } } };
struct KeyDeleter { void operator()(ssh_key k) const { if (k) { ssh_key_free(k); } } };
using SftpAttrPtr = std::unique_ptr<sftp_attributes_struct, SftpAttrDeleter>;
using SftpStatvfsPtr = std::unique_ptr<sftp_statvfs_struct, SftpStatvfsDeleter>;
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyDeleter>;

// libssh's log level and callback are thread-local: set them on every entry. libssh 0.10 logs
// every error it records at WARN, including expected ones ("Access denied for 'none'"); the
// errors that matter reach the caller as Result values, so libssh's text goes to debug only.
void logCallback(int priority, const char *function, const char *buffer, void *)
{
    Q_UNUSED(function)
    qCDebug(lcSsh).noquote() << "libssh[" << priority << "]:" << QString::fromUtf8(buffer);
}

void setupThreadLogging()
{
    ssh_set_log_level(SSH_LOG_WARN);
    ssh_set_log_callback(logCallback);
}

void wipe(QByteArray &secret)
{
    secret.fill('\0');
    secret.clear();
}

// True when the key file is protected by a passphrase (OpenSSH or PEM format).
bool keyFileEncrypted(const QByteArray &text)
{
    if (text.contains("ENCRYPTED")) {
        return true;
    }
    const QByteArray begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    const QByteArray end = "-----END OPENSSH PRIVATE KEY-----";
    const qsizetype b = text.indexOf(begin);
    const qsizetype e = text.indexOf(end);
    if (b < 0 || e < 0 || e < b) {
        return false;
    }
    const QByteArray blob = QByteArray::fromBase64(text.mid(b + begin.size(), e - b - begin.size()).simplified().replace(' ', ""));
    const QByteArray magic("openssh-key-v1\0", 15);
    if (!blob.startsWith(magic) || blob.size() < 19) {
        return false;
    }
    const auto *p = reinterpret_cast<const uchar *>(blob.constData() + 15);
    const quint32 len = (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]);
    if (19 + qsizetype(len) > blob.size()) {
        return false;
    }
    return blob.mid(19, len) != "none";
}

QString mb(qint64 bytes)
{
    return QString::number(double(bytes) / (1024.0 * 1024.0), 'f', 1) + u" MiB"_s;
}

QString remoteDirOf(const QString &path)
{
    const qsizetype slash = path.lastIndexOf(u'/');
    if (slash < 0) {
        return u"."_s;
    }
    return slash == 0 ? u"/"_s : path.left(slash);
}

struct PinnedKeys
{
    QStringList keys;     // "type SHA256:..."
    QList<int> badLines;  // lines naming the host whose key cannot be read
};

// Every key KNOWN_HOSTS pins for HOST:PORT (plain or hashed entries). libssh skips a malformed
// line silently, which would make a pinned host look merely "unknown": this finds such lines.
PinnedKeys pinnedKeys(const QString &knownHosts, const QString &host, quint16 port)
{
    PinnedKeys out;
    QFile f(knownHosts);
    if (!f.open(QIODevice::ReadOnly)) {
        return out;
    }
    const QByteArray token = port == 22 ? host.toUtf8() : QByteArray('[' + host.toUtf8() + "]:" + QByteArray::number(port));
    int lineNo = 0;
    while (!f.atEnd()) {
        ++lineNo;
        const QList<QByteArray> fields = f.readLine().simplified().split(' ');
        if (fields.isEmpty() || fields.at(0).isEmpty() || fields.at(0).startsWith('#') || fields.at(0).startsWith('@')) {
            continue;
        }
        bool match = false;
        for (const QByteArray &pattern : fields.at(0).split(',')) {
            if (pattern.startsWith("|1|")) {
                const QList<QByteArray> parts = pattern.split('|');
                if (parts.size() == 4) {
                    const QByteArray mac = QMessageAuthenticationCode::hash(token, QByteArray::fromBase64(parts.at(2)),
                                                                            QCryptographicHash::Sha1);
                    match = mac == QByteArray::fromBase64(parts.at(3));
                }
            } else {
                match = pattern == token;
            }
            if (match) {
                break;
            }
        }
        if (!match) {
            continue;
        }
        ssh_key raw = nullptr;
        if (fields.size() < 3
            || ssh_pki_import_pubkey_base64(fields.at(2).constData(), ssh_key_type_from_name(fields.at(1).constData()),
                                            &raw) != SSH_OK
            || !raw) {
            out.badLines << lineNo;
            continue;
        }
        KeyPtr key(raw);
        unsigned char *h = nullptr;
        size_t hl = 0;
        if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &h, &hl) == SSH_OK) {
            char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, h, hl);
            out.keys << QString::fromLatin1(fields.at(1)) + u' ' + QString::fromLatin1(fp ? fp : "");
            if (fp) {
                ssh_string_free_char(fp);
            }
            ssh_clean_pubkey_hash(&h);
        }
    }
    return out;
}

// SHA-256 of a local file, computed on its own thread from construction on.
class LocalHasher
{
public:
    explicit LocalHasher(const QString &path)
        : m_thread([this, path] { run(path); })
    {}
    ~LocalHasher()
    {
        m_stop.store(true);
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    LocalHasher(const LocalHasher &) = delete;
    LocalHasher &operator=(const LocalHasher &) = delete;

    // Hex digest; empty when the file could not be read. Waits for the thread.
    QString result()
    {
        if (m_thread.joinable()) {
            m_thread.join();
        }
        return m_result;
    }

private:
    void run(const QString &path)
    {
        m_result = Core::fileSha256(path, [this] { return m_stop.load(); }).valueOr(QString());
    }

    std::atomic<bool> m_stop{false};
    QString m_result;
    std::thread m_thread; // last: starts after the members it uses exist
};

struct ExitInfo
{
    QString signal;
    bool core = false;
};

void onExitSignal(ssh_session, ssh_channel, const char *signal, int core, const char *, const char *, void *userdata)
{
    auto *info = static_cast<ExitInfo *>(userdata);
    info->signal = QString::fromLatin1(signal ? signal : "UNKNOWN");
    info->core = core != 0;
}

} // namespace

class SshShell::Private
{
public:
    explicit Private(SshShell *owner, SshConfig c)
        : q(owner)
        , cfg(std::move(c))
    {}

    SshShell *q;
    SshConfig cfg;
    ssh_session session = nullptr;
    sftp_session sftp = nullptr;   // while an SFTP call runs
    sftp_file file = nullptr;
    bool authenticated = false;
    HostKeyInfo lastKey;

    std::atomic<bool> busy{false};
    std::atomic<bool> inBlockingCall{false};
    std::atomic<bool> socketShutDown{false};
    QMutex fdMutex;
    int fd = -1;

    QString where() const { return q->describe(); }

    // Marks "inside a blocking libssh call" so cancel() may shut the socket down. A cancel that
    // came just before the mark is caught here (both sides use sequentially consistent atomics).
    class BlockingScope
    {
    public:
        explicit BlockingScope(Private *d, const RemoteShell *shell)
            : m_d(d)
        {
            m_d->inBlockingCall.store(true);
            if (shell->isCancelled()) {
                m_d->shutdownSocket();
            }
        }
        ~BlockingScope() { m_d->inBlockingCall.store(false); }
        BlockingScope(const BlockingScope &) = delete;
        BlockingScope &operator=(const BlockingScope &) = delete;

    private:
        Private *m_d;
    };

    // Makes a blocking libssh call return at once (from any thread); the session is dropped after.
    void shutdownSocket()
    {
        QMutexLocker lock(&fdMutex);
        if (fd >= 0) {
            ::shutdown(fd, SHUTDOWN_BOTH);
            socketShutDown.store(true);
        }
    }
    QString sessionError() const
    {
        return session ? QString::fromUtf8(ssh_get_error(session)) : QString();
    }

    void setTimeoutMs(qint64 ms)
    {
        if (!session) {
            return;
        }
        ms = qMax<qint64>(ms, 1);
        long sec = long(ms / 1000);
        long usec = long((ms % 1000) * 1000);
        if (sec == 0 && usec == 0) {
            usec = 1000;
        }
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &sec);
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &usec);
    }

    // Frees the SFTP objects (before their session, which would free their channel too).
    void closeSftp()
    {
        if (file) {
            sftp_close(file);
            file = nullptr;
        }
        if (sftp) {
            sftp_free(sftp);
            sftp = nullptr;
        }
    }

    // Ends the session. Not graceful by default: a dead or hung peer must not make the frees
    // below wait for replies, so the socket is shut down first.
    void drop(bool graceful = false)
    {
        graceful = graceful && session && authenticated && ssh_is_connected(session) && !socketShutDown.load();
        {
            QMutexLocker lock(&fdMutex);
            if (fd >= 0 && !graceful) {
                ::shutdown(fd, SHUTDOWN_BOTH);
            }
            fd = -1;
        }
        closeSftp();
        if (session) {
            if (graceful) {
                setTimeoutMs(1000);
                ssh_disconnect(session); // sends SSH_MSG_DISCONNECT, then closes
            } else {
                ssh_silent_disconnect(session);
            }
            ssh_free(session);
            session = nullptr;
        }
        authenticated = false;
        socketShutDown.store(false);
    }

    Status ensureConnected();
    Status openSession();
    Status verifyHostKey();
    Status authenticate();
    void tuneSocket();
    // Acknowledges at once what was just read. sshd does not set TCP_NODELAY on command
    // sessions: right after authentication it sends hostkeys-00@openssh.com, then holds the
    // channel confirmation until that is acknowledged, and Linux delays the ACK by 40 ms
    // (measured: the first command on a connection took 46 ms, 3 ms with this).
    void quickAck()
    {
#ifdef TCP_QUICKACK
        if (fd >= 0) {
            setIntOption(socket_t(fd), IPPROTO_TCP, TCP_QUICKACK, 1);
        }
#endif
    }
    // Runs a libssh call that waits for the server in non-blocking mode, acknowledging each
    // read (see quickAck()). Returns SSH_AGAIN when cancelled or out of time.
    template<typename Call>
    int pumpNonBlocking(Call call, qint64 timeoutMs)
    {
        ssh_set_blocking(session, 0);
        QDeadlineTimer deadline(qMax<qint64>(1, timeoutMs));
        int rc = SSH_AGAIN;
        for (;;) {
            rc = call();
            quickAck();
            if (rc != SSH_AGAIN || q->isCancelled() || deadline.hasExpired()) {
                break;
            }
            if (const socket_t s = ssh_get_fd(session); s != SSH_INVALID_SOCKET) {
                pollSocket(s, int(qBound(qint64(1), deadline.remainingTime(), qint64(50))));
            } else {
                break;
            }
        }
        ssh_set_blocking(session, 1);
        return rc;
    }
    Result<ExecResult> execImpl(const QString &command, const ExecOptions &options);
    bool killRemoteGroup(qint64 pgid);
    Result<UploadResult> uploadImpl(const QString &localPath, const QString &remotePath, const UploadOptions &options);
    Status openSftp();
    Error transportError(const QString &what);
};

SshShell::SshShell(SshConfig config)
    : d(std::make_unique<Private>(this, std::move(config)))
{
    d->cfg.sftpChunkBytes = qBound(4096, d->cfg.sftpChunkBytes, MAX_SFTP_CHUNK);
}

SshShell::~SshShell()
{
    d->drop(!d->busy.load());
}

QString SshShell::describe() const
{
    return u"%1@%2:%3"_s.arg(d->cfg.user, d->cfg.host).arg(d->cfg.port);
}

HostKeyInfo SshShell::lastHostKey() const
{
    return d->lastKey;
}

bool SshShell::isConnected() const
{
    return d->session && d->authenticated && ssh_is_connected(d->session);
}

void SshShell::interruptBlockingCall()
{
    if (d->inBlockingCall.load()) {
        d->shutdownSocket();
    }
}

namespace {
Error busyError(const QString &where)
{
    return Error(ErrorCode::Internal, u"this SSH session is already in use by another call (one thread at a time)"_s,
                 where);
}
} // namespace

Status SshShell::connect()
{
    BusyGuard guard(d->busy);
    if (!guard.acquired()) {
        return busyError(describe());
    }
    setupThreadLogging();
    return d->ensureConnected();
}

void SshShell::disconnect()
{
    BusyGuard guard(d->busy);
    if (guard.acquired()) {
        d->drop(true);
    }
}

Error SshShell::Private::transportError(const QString &what)
{
    const QString err = sessionError();
    const bool cancelled = q->isCancelled();
    drop();
    if (cancelled) {
        return q->cancelledError(what);
    }
    return Error(ErrorCode::Network, u"%1: connection lost (%2)"_s.arg(what, err.isEmpty() ? u"no detail"_s : err),
                 where());
}

Status SshShell::Private::ensureConnected()
{
    if (q->isCancelled()) {
        return q->cancelledError(u"connect"_s);
    }
    if (session && (socketShutDown.load() || !ssh_is_connected(session))) {
        drop();
    }
    if (session && authenticated) {
        return {};
    }
    drop();
    if (Status s = openSession(); !s) {
        drop();
        return s;
    }
    if (Status s = verifyHostKey(); !s) {
        // Nothing was sent beyond the key exchange: no authentication, no command.
        drop();
        return s;
    }
    if (Status s = authenticate(); !s) {
        drop();
        return s;
    }
    authenticated = true;
    qCInfo(lcSsh).noquote() << "connected to" << where();
    return {};
}

Status SshShell::Private::openSession()
{
    if (const QString why = userNameProblem(cfg.user); !why.isEmpty()) {
        return Error(ErrorCode::InvalidInput, why, where());
    }
    if (cfg.host.isEmpty() || cfg.host.startsWith(u'-') || cfg.host.contains(u' ') || cfg.host.contains(u'@')) {
        return Error(ErrorCode::InvalidInput, u"invalid host name '%1'"_s.arg(cfg.host), where());
    }
    if (cfg.port == 0) {
        return Error(ErrorCode::InvalidInput, u"invalid SSH port 0"_s, where());
    }
    if (cfg.knownHostsFile.isEmpty()) {
        return Error(ErrorCode::InvalidInput, u"no known_hosts file configured"_s, where());
    }
    session = ssh_new();
    if (!session) {
        return Error(ErrorCode::Internal, u"ssh_new failed"_s, where());
    }
    const QByteArray host = cfg.host.toUtf8();
    const QByteArray user = cfg.user.toUtf8();
    const QByteArray known = QFile::encodeName(QDir::toNativeSeparators(cfg.knownHostsFile));
    unsigned int port = cfg.port;
    int nodelay = 1;
    bool processConfig = false;
    int verbosity = SSH_LOG_WARN;
    if (ssh_options_set(session, SSH_OPTIONS_HOST, host.constData()) != SSH_OK
        || ssh_options_set(session, SSH_OPTIONS_PORT, &port) != SSH_OK
        || ssh_options_set(session, SSH_OPTIONS_USER, user.constData()) != SSH_OK
        || ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, known.constData()) != SSH_OK
        // Only the configured file counts: the global one points at it too (no system-wide pins).
        || ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, known.constData()) != SSH_OK
        || ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig) != SSH_OK
        || ssh_options_set(session, SSH_OPTIONS_NODELAY, &nodelay) != SSH_OK
        || ssh_options_set(session, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) != SSH_OK) {
        return Error(ErrorCode::InvalidInput, u"cannot set SSH options: %1"_s.arg(sessionError()), where());
    }
    setTimeoutMs(cfg.connectTimeoutMs);

    // Non-blocking connect, so cancel() is seen within a few ms even while the peer is silent.
    ssh_set_blocking(session, 0);
    QDeadlineTimer deadline(cfg.connectTimeoutMs);
    int rc = SSH_AGAIN;
    for (;;) {
        rc = ssh_connect(session);
        if (rc != SSH_AGAIN) {
            break;
        }
        if (q->isCancelled()) {
            return q->cancelledError(u"connect"_s);
        }
        if (deadline.hasExpired()) {
            return Error(ErrorCode::Timeout, u"no SSH answer from %1:%2 within %3 s"_s.arg(cfg.host).arg(cfg.port)
                                                 .arg(cfg.connectTimeoutMs / 1000.0),
                         where());
        }
        const socket_t s = ssh_get_fd(session);
        if (s != SSH_INVALID_SOCKET) {
            pollSocket(s, 5);
        } else {
            QThread::msleep(5);
        }
    }
    ssh_set_blocking(session, 1);
    if (rc != SSH_OK) {
        return Error(ErrorCode::Network, u"cannot connect to %1:%2: %3"_s.arg(cfg.host).arg(cfg.port).arg(sessionError()),
                     where());
    }
    {
        QMutexLocker lock(&fdMutex);
        fd = int(ssh_get_fd(session));
    }
    tuneSocket();
    setTimeoutMs(cfg.operationTimeoutMs);
    return {};
}

void SshShell::Private::tuneSocket()
{
    const socket_t s = socket_t(fd);
    if (fd < 0) {
        return;
    }
    // libssh 0.10's own keepalive does not detect a dead peer: let the kernel do it.
    setIntOption(s, SOL_SOCKET, SO_KEEPALIVE, 1);
#ifdef TCP_KEEPIDLE
    setIntOption(s, IPPROTO_TCP, TCP_KEEPIDLE, qMax(1, cfg.keepAliveIdleS));
    setIntOption(s, IPPROTO_TCP, TCP_KEEPINTVL, qMax(1, cfg.keepAliveIntervalS));
    setIntOption(s, IPPROTO_TCP, TCP_KEEPCNT, qMax(1, cfg.keepAliveCount));
#endif
#ifdef TCP_USER_TIMEOUT
    if (cfg.tcpUserTimeoutMs > 0) {
        setIntOption(s, IPPROTO_TCP, TCP_USER_TIMEOUT, cfg.tcpUserTimeoutMs);
    }
#endif
}

Status SshShell::Private::verifyHostKey()
{
    ssh_key raw = nullptr;
    if (ssh_get_server_publickey(session, &raw) != SSH_OK || !raw) {
        return Error(ErrorCode::HostKey, u"the server sent no host key: %1"_s.arg(sessionError()), where());
    }
    KeyPtr key(raw);
    unsigned char *hash = nullptr;
    size_t hashLen = 0;
    if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &hashLen) != SSH_OK) {
        return Error(ErrorCode::HostKey, u"cannot hash the host key"_s, where());
    }
    char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hashLen);
    ssh_clean_pubkey_hash(&hash);
    lastKey = HostKeyInfo{};
    lastKey.host = cfg.host;
    lastKey.port = cfg.port;
    lastKey.keyType = QString::fromLatin1(ssh_key_type_to_char(ssh_key_type(key.get())));
    lastKey.sha256Fingerprint = QString::fromLatin1(fp ? fp : "");
    lastKey.knownHostsFile = cfg.knownHostsFile;
    if (fp) {
        ssh_string_free_char(fp);
    }
    const QString shown = lastKey.keyType + u' ' + lastKey.sha256Fingerprint;

    const enum ssh_known_hosts_e state = ssh_session_is_known_server(session);
    switch (state) {
    case SSH_KNOWN_HOSTS_OK:
        return {};
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        const QString known = pinnedKeys(cfg.knownHostsFile, cfg.host, cfg.port).keys.join(u", "_s);
        qCWarning(lcSsh).noquote() << "host key CHANGED for" << where() << "now" << shown;
        return Error(ErrorCode::HostKey,
                     u"HOST KEY CHANGED for %1:%2: the server now presents %3, but %4 pins %5. This can mean "
                     "someone is intercepting the connection; nothing was sent to the host. If the host was "
                     "reinstalled, remove its line from %4 and connect again."_s
                         .arg(cfg.host).arg(cfg.port).arg(shown, cfg.knownHostsFile,
                                                          known.isEmpty() ? u"a different key"_s : known),
                     where());
    }
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND: {
        if (const PinnedKeys pinned = pinnedKeys(cfg.knownHostsFile, cfg.host, cfg.port); !pinned.badLines.isEmpty()) {
            QStringList lines;
            for (int n : pinned.badLines) {
                lines << QString::number(n);
            }
            return Error(ErrorCode::HostKey,
                         u"%1 line %2 pins %3:%4 but cannot be read (malformed key); the host is not trusted and "
                         "nothing was sent. Fix or remove that line."_s
                             .arg(cfg.knownHostsFile, lines.join(u", "_s), cfg.host).arg(cfg.port),
                         where());
        }
        if (!cfg.trustUnknownHost || !cfg.trustUnknownHost(lastKey)) {
            return Error(ErrorCode::HostKey,
                         u"host key of %1:%2 is not known (%3); it was not trusted, nothing was sent. Compare the "
                         "fingerprint with `ssh-keygen -lf` on the host and trust it explicitly."_s
                             .arg(cfg.host).arg(cfg.port).arg(shown),
                         where());
        }
        const QString dir = QFileInfo(cfg.knownHostsFile).absolutePath();
        if (!QDir().mkpath(dir) || ssh_session_update_known_hosts(session) != SSH_OK) {
            return Error(ErrorCode::Io, u"cannot add the host key to %1: %2"_s.arg(cfg.knownHostsFile, sessionError()),
                         where());
        }
        qCInfo(lcSsh).noquote() << "trusted new host key for" << where() << shown;
        return {};
    }
    case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    return Error(ErrorCode::HostKey, u"cannot check the host key against %1: %2"_s.arg(cfg.knownHostsFile, sessionError()),
                 where());
}

Status SshShell::Private::authenticate()
{
    BlockingScope blocking(this, q);
    int rc = ssh_userauth_none(session, nullptr);
    if (rc == SSH_AUTH_SUCCESS) {
        return {};
    }
    if (rc == SSH_AUTH_ERROR) {
        return transportError(u"authentication"_s);
    }
    const int offered = ssh_userauth_list(session, nullptr);
    QStringList notes;
    auto denied = [&](const QString &note) { notes << note; };

    for (SshAuth::Method method : std::as_const(cfg.auth.methods)) {
        if (q->isCancelled()) {
            return q->cancelledError(u"authentication"_s);
        }
        switch (method) {
        case SshAuth::Method::Agent: {
            if (!(offered & SSH_AUTH_METHOD_PUBLICKEY)) {
                denied(u"the server does not accept public keys, so the SSH agent cannot be used"_s);
                break;
            }
            const QByteArray sock = qgetenv("SSH_AUTH_SOCK");
            if (sock.isEmpty()) {
                denied(u"no SSH agent is running (SSH_AUTH_SOCK is not set)"_s);
                break;
            }
            if (!QFileInfo::exists(QFile::decodeName(sock))) {
                denied(u"no SSH agent is running (SSH_AUTH_SOCK points to a missing socket)"_s);
                break;
            }
            rc = ssh_userauth_agent(session, nullptr);
            if (rc == SSH_AUTH_SUCCESS) {
                return {};
            }
            if (rc == SSH_AUTH_ERROR) {
                if (!ssh_is_connected(session)) {
                    return transportError(u"authentication"_s);
                }
                denied(u"the SSH agent could not be used: %1"_s.arg(sessionError()));
            } else {
                denied(u"the SSH agent holds no key this server accepts for user %1"_s.arg(cfg.user));
            }
            break;
        }
        case SshAuth::Method::KeyFile: {
            const QString path = cfg.auth.keyFile;
            if (path.isEmpty()) {
                denied(u"no key file configured"_s);
                break;
            }
            if (!(offered & SSH_AUTH_METHOD_PUBLICKEY)) {
                denied(u"the server does not accept public keys"_s);
                break;
            }
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly)) {
                denied(u"cannot read key file %1: %2"_s.arg(path, f.errorString()));
                break;
            }
            const bool encrypted = keyFileEncrypted(f.read(1024 * 1024));
            f.close();
            QByteArray passphrase;
            if (encrypted) {
                std::optional<QByteArray> given = cfg.auth.passphrase ? cfg.auth.passphrase(path) : std::nullopt;
                if (!given) {
                    denied(u"key file %1 is protected by a passphrase and none was given"_s.arg(path));
                    break;
                }
                passphrase = std::move(*given);
                wipe(*given);
            }
            ssh_key raw = nullptr;
            const QByteArray nativePath = QFile::encodeName(path);
            const int irc = ssh_pki_import_privkey_file(nativePath.constData(),
                                                        encrypted ? passphrase.constData() : nullptr, nullptr,
                                                        nullptr, &raw);
            wipe(passphrase);
            KeyPtr key(raw);
            if (irc != SSH_OK || !key) {
                denied(encrypted ? u"wrong passphrase for key file %1"_s.arg(path)
                                 : u"key file %1 is not a private key libssh can read"_s.arg(path));
                break;
            }
            rc = ssh_userauth_publickey(session, nullptr, key.get());
            if (rc == SSH_AUTH_SUCCESS) {
                return {};
            }
            if (rc == SSH_AUTH_ERROR) {
                return transportError(u"authentication"_s);
            }
            denied(u"the server refused key %1 for user %2"_s.arg(path, cfg.user));
            break;
        }
        case SshAuth::Method::Password: {
            if (!(offered & SSH_AUTH_METHOD_PASSWORD)) {
                denied(u"the server does not allow password authentication"_s);
                break;
            }
            std::optional<QByteArray> given = cfg.auth.password ? cfg.auth.password() : std::nullopt;
            if (!given) {
                denied(u"no password was given"_s);
                break;
            }
            QByteArray password = std::move(*given);
            wipe(*given);
            rc = ssh_userauth_password(session, nullptr, password.constData());
            wipe(password);
            if (rc == SSH_AUTH_SUCCESS) {
                return {};
            }
            if (rc == SSH_AUTH_ERROR) {
                return transportError(u"authentication"_s);
            }
            denied(u"password rejected for user %1"_s.arg(cfg.user));
            break;
        }
        case SshAuth::Method::KeyboardInteractive: {
            if (!(offered & SSH_AUTH_METHOD_INTERACTIVE)) {
                denied(u"the server does not allow keyboard-interactive authentication"_s);
                break;
            }
            if (!cfg.auth.keyboardInteractive) {
                denied(u"keyboard-interactive authentication needs answers and none can be given"_s);
                break;
            }
            rc = ssh_userauth_kbdint(session, nullptr, nullptr);
            bool gaveUp = false;
            for (int round = 0; rc == SSH_AUTH_INFO && round < 10; ++round) {
                const int n = ssh_userauth_kbdint_getnprompts(session);
                QList<KbdPrompt> prompts;
                for (int i = 0; i < n; ++i) {
                    char echo = 0;
                    const char *text = ssh_userauth_kbdint_getprompt(session, unsigned(i), &echo);
                    prompts << KbdPrompt{QString::fromUtf8(text ? text : ""), echo != 0};
                }
                std::optional<QList<QByteArray>> answers =
                    cfg.auth.keyboardInteractive(QString::fromUtf8(ssh_userauth_kbdint_getinstruction(session)), prompts);
                if (!answers || answers->size() != n) {
                    gaveUp = true;
                    break;
                }
                for (int i = 0; i < n; ++i) {
                    ssh_userauth_kbdint_setanswer(session, unsigned(i), (*answers)[i].constData());
                    wipe((*answers)[i]);
                }
                rc = ssh_userauth_kbdint(session, nullptr, nullptr);
            }
            if (rc == SSH_AUTH_SUCCESS) {
                return {};
            }
            if (rc == SSH_AUTH_ERROR) {
                return transportError(u"authentication"_s);
            }
            denied(gaveUp ? u"keyboard-interactive authentication was abandoned"_s
                          : u"keyboard-interactive authentication was rejected for user %1"_s.arg(cfg.user));
            break;
        }
        }
        if (rc == SSH_AUTH_PARTIAL) {
            notes << u"partial success, the server wants another method"_s;
        }
    }
    if (notes.isEmpty()) {
        notes << u"no authentication method configured"_s;
    }
    QStringList offeredNames;
    if (offered & SSH_AUTH_METHOD_PUBLICKEY) {
        offeredNames << u"publickey"_s;
    }
    if (offered & SSH_AUTH_METHOD_PASSWORD) {
        offeredNames << u"password"_s;
    }
    if (offered & SSH_AUTH_METHOD_INTERACTIVE) {
        offeredNames << u"keyboard-interactive"_s;
    }
    return Error(ErrorCode::Auth,
                 u"authentication failed for %1: %2 (the server offers: %3)"_s
                     .arg(where(), notes.join(u"; "_s), offeredNames.isEmpty() ? u"nothing"_s : offeredNames.join(u", "_s)),
                 where());
}

// ---------------------------------------------------------------------------------------------
// exec
// ---------------------------------------------------------------------------------------------

Result<ExecResult> SshShell::exec(const QString &command, const ExecOptions &options)
{
    BusyGuard guard(d->busy);
    if (!guard.acquired()) {
        return busyError(describe());
    }
    setupThreadLogging();
    return d->execImpl(command, options);
}

bool SshShell::Private::killRemoteGroup(qint64 pgid)
{
    if (!session) {
        return false;
    }
    if (pgid <= 1) {
        return true; // nothing known to kill; the channel close below is all we can do
    }
    // One budget for the whole kill, so that cancel stays within 1 s even on a slow host.
    const QDeadlineTimer budget(KILL_TIMEOUT_MS);
    setTimeoutMs(KILL_TIMEOUT_MS);
    ssh_channel ch = ssh_channel_new(session);
    if (!ch) {
        return false;
    }
    bool ok = false;
    // TERM now, KILL 2 s later from a background job (we do not wait for it).
    const QByteArray cmd = QByteArrayLiteral("kill -TERM -- -") + QByteArray::number(pgid)
                           + QByteArrayLiteral(" 2>/dev/null; (sleep 2; kill -KILL -- -") + QByteArray::number(pgid)
                           + QByteArrayLiteral(") >/dev/null 2>&1 </dev/null &");
    bool opened = ssh_channel_open_session(ch) == SSH_OK;
    if (opened && !budget.hasExpired()) {
        setTimeoutMs(qMax<qint64>(1, budget.remainingTime()));
    }
    if (opened && !budget.hasExpired() && ssh_channel_request_exec(ch, cmd.constData()) == SSH_OK) {
        ok = true;
        ssh_channel_send_eof(ch);
        char buf[256];
        // The kill runs once sshd started it; waiting for its end is only a courtesy.
        const QDeadlineTimer t(qMin<qint64>(300, qMax<qint64>(0, budget.remainingTime())));
        while (!ssh_channel_is_eof(ch) && !t.hasExpired()) {
            if (ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 50) == SSH_ERROR) {
                break;
            }
        }
        ssh_channel_close(ch);
    }
    ssh_channel_free(ch);
    return ok;
}

Result<ExecResult> SshShell::Private::execImpl(const QString &command, const ExecOptions &options)
{
    const QString what = u"command on %1"_s.arg(where());
    if (Status s = ensureConnected(); !s) {
        return s.error();
    }
    QElapsedTimer clock;
    clock.start();
    QDeadlineTimer total = options.totalTimeoutMs > 0 ? QDeadlineTimer(options.totalTimeoutMs)
                                                      : QDeadlineTimer(QDeadlineTimer::Forever);
    auto boundedTimeout = [&](qint64 cap) {
        qint64 t = cfg.operationTimeoutMs;
        if (cap > 0) {
            t = qMin(t, cap);
        }
        if (!total.isForever()) {
            t = qMin(t, qMax<qint64>(1, total.remainingTime()));
        }
        return t;
    };
    setTimeoutMs(boundedTimeout(options.idleTimeoutMs));

    ssh_channel ch = ssh_channel_new(session);
    if (!ch) {
        return transportError(what);
    }
    ExitInfo exitInfo;
    ssh_channel_callbacks_struct callbacks{};
    callbacks.userdata = &exitInfo;
    callbacks.channel_exit_signal_function = onExitSignal;
    ssh_callbacks_init(&callbacks);
    ssh_set_channel_callbacks(ch, &callbacks);

    auto freeChannel = [&](bool graceful) {
        if (graceful && ssh_is_connected(session)) {
            setTimeoutMs(1000);
            ssh_channel_close(ch);
        }
        // libssh may keep the channel (and call its callbacks) until the peer's close arrives:
        // the callbacks live on this stack frame, so unregister them first.
        ssh_remove_channel_callbacks(ch, &callbacks);
        ssh_channel_free(ch);
        ch = nullptr;
    };

    // The marker gives us the process group (sshd runs each command in its own session) so a
    // cancelled or timed-out command can be killed as a whole.
    const QByteArray wrapped = QByteArrayLiteral("printf '") + PGID_MARKER + QByteArrayLiteral("%s\\n' \"$$\" >&2; ")
                               + command.toUtf8();
    int openRc;
    qint64 startBudgetMs = 0;
    {
        BlockingScope blocking(this, q);
        startBudgetMs = boundedTimeout(options.idleTimeoutMs);
        QElapsedTimer opening;
        opening.start();
        openRc = pumpNonBlocking([&] { return ssh_channel_open_session(ch); }, startBudgetMs);
        if (openRc == SSH_OK) {
            const int rc = pumpNonBlocking([&] { return ssh_channel_request_exec(ch, wrapped.constData()); },
                                           qMax<qint64>(1, startBudgetMs - opening.elapsed()));
            openRc = rc == SSH_OK ? SSH_OK : rc == SSH_AGAIN ? SSH_AGAIN : SSH_ERROR - 1;
        }
    }
    if (openRc == SSH_ERROR - 1) {
        freeChannel(false);
        return transportError(what);
    }
    if (openRc == SSH_AGAIN && !q->isCancelled()) {
        freeChannel(false);
        drop();
        return Error(ErrorCode::Timeout,
                     u"the server did not confirm the start of the command within %1 s (it may still run)"_s.arg(
                         startBudgetMs / 1000.0),
                     where());
    }
    if (openRc != SSH_OK) {
        const Error e = Error(ErrorCode::Network, u"cannot open a channel: %1"_s.arg(sessionError()), where());
        freeChannel(false);
        if (!ssh_is_connected(session) || q->isCancelled()) {
            return transportError(what);
        }
        return e;
    }
    if (!options.stdinData.isEmpty()) {
        // Blocks while the command does not read its stdin (channel window full): cancellable.
        BlockingScope blocking(this, q);
        const QByteArray &in = options.stdinData;
        qsizetype off = 0;
        while (off < in.size()) {
            const int n = ssh_channel_write(ch, in.constData() + off, uint32_t(qMin<qsizetype>(in.size() - off, 32768)));
            if (n <= 0) {
                freeChannel(false);
                return transportError(what);
            }
            off += n;
        }
    }
    ssh_channel_send_eof(ch);

    ExecResult result;
    OutputSink sink(options, result);
    QByteArray stderrHead;       // until the marker line is seen
    bool markerSeen = false;
    qint64 pgid = -1;
    QElapsedTimer idle;
    idle.start();
    int pollMs = READ_POLL_MIN_MS;
    QByteArray buf(64 * 1024, Qt::Uninitialized);

    auto handleStderr = [&](const char *data, int n) -> bool {
        if (markerSeen) {
            return sink.add(data, n, true);
        }
        stderrHead.append(data, n);
        const qsizetype nl = stderrHead.indexOf('\n');
        if (nl < 0) {
            if (stderrHead.size() > 256) { // not our marker: pass it on
                markerSeen = true;
                const QByteArray rest = std::exchange(stderrHead, {});
                return sink.add(rest.constData(), rest.size(), true);
            }
            return true;
        }
        markerSeen = true;
        const QByteArray first = stderrHead.left(nl);
        QByteArray rest = stderrHead.mid(nl + 1);
        stderrHead.clear();
        if (first.startsWith(PGID_MARKER)) {
            pgid = first.mid(int(sizeof PGID_MARKER) - 1).trimmed().toLongLong();
        } else {
            rest.prepend(first + '\n');
        }
        return rest.isEmpty() || sink.add(rest.constData(), rest.size(), true);
    };

    auto abortWith = [&](Error e) -> Result<ExecResult> {
        const bool killed = killRemoteGroup(pgid);
        if (!killed || !ssh_is_connected(session) || e.code == ErrorCode::Timeout) {
            // A peer that stopped answering leaves the session unusable; start afresh next time.
            freeChannel(false);
            drop();
            return e;
        }
        freeChannel(true);
        return e;
    };

    for (;;) {
        if (q->isCancelled()) {
            return abortWith(q->cancelledError(u"command"_s));
        }
        if (total.hasExpired()) {
            return abortWith(Error(ErrorCode::Timeout,
                                   u"command ran longer than %1 s and was stopped"_s.arg(options.totalTimeoutMs / 1000.0),
                                   where()));
        }
        if (options.idleTimeoutMs > 0 && idle.elapsed() > options.idleTimeoutMs) {
            return abortWith(Error(ErrorCode::Timeout,
                                   u"no output from the command for %1 s (host not answering?); it was stopped"_s
                                       .arg(options.idleTimeoutMs / 1000.0),
                                   where()));
        }
        const int n = ssh_channel_read_timeout(ch, buf.data(), uint32_t(buf.size()), 0, pollMs);
        quickAck();
        if (n == SSH_ERROR) {
            freeChannel(false);
            return transportError(u"command"_s);
        }
        bool progressed = n > 0;
        bool withinLimit = n <= 0 || sink.add(buf.constData(), n, false);
        for (;;) {
            const int m = ssh_channel_read_nonblocking(ch, buf.data(), uint32_t(buf.size()), 1);
            if (m == SSH_ERROR) {
                freeChannel(false);
                return transportError(u"command"_s);
            }
            if (m <= 0) {
                break;
            }
            progressed = true;
            withinLimit = handleStderr(buf.constData(), m) && withinLimit;
        }
        if (!withinLimit) {
            return abortWith(Error(ErrorCode::Failed,
                                   u"command produced more than %1 of output and was stopped"_s.arg(mb(options.maxOutputBytes)),
                                   where()));
        }
        if (progressed) {
            idle.restart();
            pollMs = READ_POLL_MIN_MS;
            continue;
        }
        pollMs = qMin(READ_POLL_MAX_MS, pollMs * 2);
        if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) {
            // Drain whatever is still buffered.
            for (bool more = true; more;) {
                more = false;
                int a = ssh_channel_read_nonblocking(ch, buf.data(), uint32_t(buf.size()), 0);
                if (a > 0) {
                    more = true;
                    sink.add(buf.constData(), a, false);
                }
                int b = ssh_channel_read_nonblocking(ch, buf.data(), uint32_t(buf.size()), 1);
                if (b > 0) {
                    more = true;
                    handleStderr(buf.constData(), b);
                }
            }
            break;
        }
    }
    if (!stderrHead.isEmpty()) {
        sink.add(stderrHead.constData(), stderrHead.size(), true);
    }
    sink.finish();
    setTimeoutMs(boundedTimeout(5000));
    const int status = ssh_channel_get_exit_status(ch);
    if (!exitInfo.signal.isEmpty()) {
        result.signalName = exitInfo.signal;
        result.coreDumped = exitInfo.core;
    } else if (status < 0) {
        if (!ssh_is_connected(session)) {
            freeChannel(false);
            return transportError(u"command"_s);
        }
        freeChannel(true);
        return Error(ErrorCode::Protocol, u"the server reported no exit status for the command"_s, where());
    }
    result.exitCode = status;
    result.durationMs = clock.elapsed();
    freeChannel(true);
    setTimeoutMs(cfg.operationTimeoutMs);
    return result;
}

// ---------------------------------------------------------------------------------------------
// SFTP
// ---------------------------------------------------------------------------------------------

Status SshShell::Private::openSftp()
{
    BlockingScope blocking(this, q);
    closeSftp();
    sftp = sftp_new(session);
    if (!sftp) {
        return transportError(u"SFTP"_s);
    }
    if (sftp_init(sftp) != SSH_OK) {
        const QString err = sessionError();
        if (!ssh_is_connected(session) || q->isCancelled()) {
            return transportError(u"SFTP"_s);
        }
        closeSftp();
        return Error(ErrorCode::Server, u"the server has no SFTP subsystem: %1"_s.arg(err), where());
    }
    return {};
}

Result<UploadResult> SshShell::upload(const QString &localPath, const QString &remotePath, const UploadOptions &options)
{
    BusyGuard guard(d->busy);
    if (!guard.acquired()) {
        return busyError(describe());
    }
    setupThreadLogging();
    Result<UploadResult> r = d->uploadImpl(localPath, remotePath, options);
    d->closeSftp();
    return r;
}

Result<UploadResult> SshShell::Private::uploadImpl(const QString &localPath, const QString &remotePath,
                                                   const UploadOptions &options)
{
    QElapsedTimer clock;
    clock.start();
    QDeadlineTimer total = options.totalTimeoutMs > 0 ? QDeadlineTimer(options.totalTimeoutMs)
                                                      : QDeadlineTimer(QDeadlineTimer::Forever);
    const QString what = u"upload of %1"_s.arg(remotePath);
    if (remotePath.isEmpty() || remotePath.endsWith(u'/')) {
        return Error(ErrorCode::InvalidInput, u"invalid remote path '%1'"_s.arg(remotePath), where());
    }
    QFile local(localPath);
    if (!local.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, u"cannot read %1: %2"_s.arg(localPath, local.errorString()));
    }
    const qint64 size = local.size();

    // The local SHA-256 is computed on a helper thread while the data goes out, so hashing does
    // not slow the transfer down (when a second core is free).
    QString expected = options.expectedSha256.toLower();
    LocalHasher localHash(localPath);

    if (Status s = ensureConnected(); !s) {
        return s.error();
    }
    if (Status s = openSftp(); !s) {
        return s.error();
    }
    const QString part = remotePath + u".part"_s;
    const QByteArray partName = part.toUtf8();
    const QString dir = remoteDirOf(remotePath);
    const QByteArray dirName = dir.toUtf8();
    auto available = [&](sftp_statvfs_t st) {
        return qint64(st->f_bavail) * qint64(st->f_frsize ? st->f_frsize : st->f_bsize);
    };

    UploadResult result;
    result.bytes = size;
    qint64 offset = 0;
    {
        BlockingScope blocking(this, q);
        if (options.resume) {
            SftpAttrPtr attr(sftp_stat(sftp, partName.constData()));
            if (attr) {
                offset = qint64(attr->size);
            } else if (!ssh_is_connected(session) || q->isCancelled()) {
                return transportError(what);
            }
        }
        if (offset > size) {
            offset = 0; // a stale, longer part: start over
        }
        if (options.checkFreeSpace) {
            SftpStatvfsPtr st(sftp_statvfs(sftp, dirName.constData()));
            if (!st) {
                if (!ssh_is_connected(session) || q->isCancelled()) {
                    return transportError(what);
                }
                return Error(ErrorCode::NotFound, u"cannot check free space in %1 (does the directory exist?): %2"_s
                                                      .arg(dir, sessionError()),
                             where());
            }
            const qint64 avail = available(st.get());
            const qint64 need = size - offset + options.freeSpaceMarginBytes;
            if (avail < need) {
                return Error(ErrorCode::Failed,
                             u"not enough disk space in %1: the upload needs %2 (incl. a %3 margin), %4 is available. "
                             "Nothing was written."_s
                                 .arg(dir, mb(need), mb(options.freeSpaceMarginBytes), mb(avail)),
                             where());
            }
        }
        const int flags = O_WRONLY | O_CREAT | (offset == 0 ? O_TRUNC : 0);
        file = sftp_open(sftp, partName.constData(), flags, 0644);
        if (!file) {
            if (!ssh_is_connected(session) || q->isCancelled()) {
                return transportError(what);
            }
            return Error(ErrorCode::Server, u"cannot create %1: %2"_s.arg(part, sessionError()), where());
        }
        if (offset > 0 && sftp_seek64(file, quint64(offset)) != 0) {
            return Error(ErrorCode::Server, u"cannot seek in %1"_s.arg(part), where());
        }
    }
    result.resumedFrom = offset;
    if (!local.seek(offset)) {
        return Error(ErrorCode::Io, u"cannot seek in %1"_s.arg(localPath));
    }

    UploadProgress progress(options.onProgress, size, offset);
    auto report = [&progress](qint64 done, bool force) { progress.report(done, force); };
    report(offset, true);

    QByteArray buf(cfg.sftpChunkBytes, Qt::Uninitialized);
    qint64 done = offset;
    while (done < size) {
        if (q->isCancelled()) {
            return transportError(what); // drops the session; the part stays for resume
        }
        if (total.hasExpired()) {
            drop();
            return Error(ErrorCode::Timeout, u"upload did not finish within %1 s; %2 of %3 are on the host and "
                                             "the next attempt resumes from there"_s
                                                 .arg(options.totalTimeoutMs / 1000.0).arg(mb(done), mb(size)),
                         where());
        }
        const qint64 n = local.read(buf.data(), buf.size());
        if (n <= 0) {
            return Error(ErrorCode::Io, u"cannot read %1 at offset %2"_s.arg(localPath).arg(done));
        }
        qint64 waitCap = options.idleTimeoutMs > 0 ? options.idleTimeoutMs : cfg.operationTimeoutMs;
        if (!total.isForever()) {
            waitCap = qMin(waitCap, qMax<qint64>(1, total.remainingTime()));
        }
        setTimeoutMs(waitCap);
        QElapsedTimer writeClock;
        writeClock.start();
        ssize_t w;
        {
            BlockingScope blocking(this, q);
            w = sftp_write(file, buf.constData(), size_t(n));
        }
        ++result.writes;
        if (w != n) {
            const int sftpErr = sftp_get_error(sftp);
            if (q->isCancelled() || !ssh_is_connected(session) || socketShutDown.load()) {
                return transportError(u"upload of %1 at %2 of %3 (the next attempt resumes)"_s
                                          .arg(remotePath, mb(done), mb(size)));
            }
            if (writeClock.elapsed() >= waitCap - 50) {
                drop();
                return Error(ErrorCode::Timeout, u"the host stopped accepting data for %1 s during the upload of %2 "
                                                 "(%3 of %4 sent; the next attempt resumes)"_s
                                                     .arg(waitCap / 1000.0).arg(remotePath, mb(done), mb(size)),
                             where());
            }
            // SFTP v3 reports a full disk as a generic failure: ask the file system.
            BlockingScope blocking(this, q);
            sftp_close(file);
            file = nullptr;
            SftpStatvfsPtr st(sftp_statvfs(sftp, dirName.constData()));
            if (st && available(st.get()) < n) {
                bool removed = false;
                if (options.removePartialOnDiskFull) {
                    removed = sftp_unlink(sftp, partName.constData()) == 0;
                }
                return Error(ErrorCode::Io,
                             u"the disk of %1 is full: the upload of %2 stopped after %3 of %4. %2 was not changed; "
                             "%5. Free at least %6 and upload again."_s
                                 .arg(dir, remotePath, mb(done), mb(size),
                                      removed ? u"the partial file was removed"_s
                                              : u"the partial file %1 is kept for resume"_s.arg(part),
                                      mb(size - (removed ? 0 : done))),
                             where());
            }
            return Error(ErrorCode::Server, u"writing %1 failed at %2 (SFTP error %3: %4)"_s
                                                .arg(part, mb(done)).arg(sftpErr).arg(sessionError()),
                         where());
        }
        done += n;
        result.bytesSent += n;
        report(done, false);
    }
    {
        BlockingScope blocking(this, q);
        const int rc = sftp_close(file);
        file = nullptr;
        if (rc != 0) {
            if (!ssh_is_connected(session) || q->isCancelled()) {
                return transportError(what);
            }
            return Error(ErrorCode::Server, u"closing %1 failed: %2"_s.arg(part, sessionError()), where());
        }
    }
    closeSftp();

    // Verify on the target, then move into place (SFTP rename does not overwrite in libssh 0.10).
    ExecOptions eo;
    eo.totalTimeoutMs = total.isForever() ? 300000 : int(qMax<qint64>(1000, total.remainingTime()));
    const QString quotedPart = shellQuote(part);
    const QString actual = localHash.result();
    if (actual.isEmpty()) {
        return Error(ErrorCode::Io, u"cannot read %1 to compute its SHA-256"_s.arg(localPath));
    }
    if (!expected.isEmpty() && expected != actual) {
        (void)execImpl(u"rm -f -- %1"_s.arg(quotedPart), eo);
        return Error(ErrorCode::Failed, u"%1 has SHA-256 %2, expected %3; the uploaded copy was removed"_s
                                            .arg(localPath, actual, expected),
                     where());
    }
    expected = actual;
    Result<ExecResult> sum = execImpl(u"sync -- %1 2>/dev/null; sha256sum -- %1"_s.arg(quotedPart), eo);
    if (!sum) {
        return sum.error();
    }
    const QString remoteSha = QString::fromLatin1(sum->stdoutData.left(64)).toLower();
    if (!sum->succeeded() || remoteSha != expected) {
        (void)execImpl(u"rm -f -- %1"_s.arg(quotedPart), eo);
        return Error(ErrorCode::Failed,
                     u"checksum mismatch after uploading %1: the host has %2, expected %3. The partial file was removed; "
                     "upload again."_s
                         .arg(remotePath, remoteSha.isEmpty() ? u"nothing"_s : remoteSha, expected),
                     where());
    }
    Result<ExecResult> mv = execImpl(u"mv -f -- %1 %2"_s.arg(quotedPart, shellQuote(remotePath)), eo);
    if (!mv) {
        return mv.error();
    }
    if (!mv->succeeded()) {
        return Error(ErrorCode::Failed, u"cannot move %1 to %2: %3"_s.arg(part, remotePath,
                                                                          QString::fromUtf8(mv->stderrData.trimmed())),
                     where());
    }
    result.sha256 = expected;
    result.durationMs = clock.elapsed();
    report(size, true);
    qCInfo(lcSsh).noquote() << "uploaded" << remotePath << "to" << where() << size << "bytes, resumed from"
                            << result.resumedFrom << "sha256" << expected;
    return result;
}

Result<QByteArray> SshShell::download(const QString &remotePath, qint64 maxBytes)
{
    BusyGuard guard(d->busy);
    if (!guard.acquired()) {
        return busyError(describe());
    }
    setupThreadLogging();
    const QString what = u"download of %1"_s.arg(remotePath);
    if (Status s = d->ensureConnected(); !s) {
        return s.error();
    }
    if (Status s = d->openSftp(); !s) {
        return s.error();
    }
    auto fail = [&](Error e) -> Result<QByteArray> {
        d->closeSftp();
        return e;
    };
    Private::BlockingScope blocking(d.get(), this);
    const QByteArray name = remotePath.toUtf8();
    d->file = sftp_open(d->sftp, name.constData(), O_RDONLY, 0);
    if (!d->file) {
        if (!ssh_is_connected(d->session) || isCancelled()) {
            return d->transportError(what);
        }
        return fail(Error(ErrorCode::NotFound, u"cannot open %1: %2"_s.arg(remotePath, d->sessionError()), describe()));
    }
    QByteArray data;
    char buf[16384];
    for (;;) {
        if (isCancelled()) {
            return d->transportError(what);
        }
        const ssize_t n = sftp_read(d->file, buf, sizeof buf);
        if (n < 0) {
            return d->transportError(what);
        }
        if (n == 0) {
            break;
        }
        if (data.size() + n > maxBytes) {
            return fail(Error(ErrorCode::Failed, u"%1 is larger than %2 bytes"_s.arg(remotePath).arg(maxBytes), describe()));
        }
        data.append(buf, n);
    }
    d->closeSftp();
    return data;
}

Result<FreeSpace> SshShell::freeSpace(const QString &remoteDir)
{
    BusyGuard guard(d->busy);
    if (!guard.acquired()) {
        return busyError(describe());
    }
    setupThreadLogging();
    if (Status s = d->ensureConnected(); !s) {
        return s.error();
    }
    if (Status s = d->openSftp(); !s) {
        return s.error();
    }
    Private::BlockingScope blocking(d.get(), this);
    SftpStatvfsPtr st(sftp_statvfs(d->sftp, remoteDir.toUtf8().constData()));
    if (!st) {
        if (!ssh_is_connected(d->session) || isCancelled()) {
            return d->transportError(u"free space check"_s);
        }
        const QString err = d->sessionError();
        d->closeSftp();
        return Error(ErrorCode::NotFound, u"cannot check free space in %1: %2"_s.arg(remoteDir, err), describe());
    }
    const qint64 frsize = qint64(st->f_frsize ? st->f_frsize : st->f_bsize);
    FreeSpace fs{qint64(st->f_bavail) * frsize, qint64(st->f_blocks) * frsize};
    st.reset();
    d->closeSftp();
    return fs;
}

} // namespace GrayStep::Ssh
