// SPDX-License-Identifier: GPL-3.0-or-later
// Shared helpers for the SSH tests: a private sshd (GrayStep::Sim::SshdServer), a known_hosts
// file pinned to it, an SshConfig for its client key, and a capture of every Qt log message
// (to prove that canary secrets never reach a log).
#pragma once

#include "sim/sshd/sshdserver.h"
#include "ssh/sshshell.h"

#include <QCryptographicHash>
#include <QFile>
#include <QMutex>
#include <QRandomGenerator>
#include <QStringList>

#include <memory>

namespace GrayStep::Test {

// Every message that goes through qDebug/qInfo/qWarning, also forwarded to the previous handler.
class LogCapture
{
public:
    static void install()
    {
        static bool installed = false;
        if (!installed) {
            installed = true;
            s_previous = qInstallMessageHandler(&LogCapture::handler);
        }
    }
    static QStringList messages()
    {
        QMutexLocker lock(&s_mutex);
        return s_messages;
    }

private:
    static void handler(QtMsgType type, const QMessageLogContext &ctx, const QString &msg)
    {
        {
            QMutexLocker lock(&s_mutex);
            s_messages << msg;
        }
        if (s_previous) {
            s_previous(type, ctx, msg);
        }
    }
    static inline QMutex s_mutex;
    static inline QStringList s_messages;
    static inline QtMessageHandler s_previous = nullptr;
};

inline bool writeText(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
}

inline QByteArray readText(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A known_hosts file that pins SERVER's current host key.
inline bool pinHostKey(const Sim::SshdServer &server, const QString &knownHosts)
{
    const auto line = server.knownHostsLine();
    return line.ok() && writeText(knownHosts, line->toUtf8() + '\n');
}

// Key authentication with the server's generated client key, host key pinned in KNOWNHOSTS.
inline Ssh::SshConfig keyConfig(const Sim::SshdServer &server, const QString &knownHosts)
{
    Ssh::SshConfig cfg;
    cfg.host = server.address();
    cfg.port = server.port();
    cfg.user = Sim::SshdServer::currentUser();
    cfg.knownHostsFile = knownHosts;
    cfg.auth.methods = {Ssh::SshAuth::Method::KeyFile};
    cfg.auth.keyFile = server.clientKeyPath();
    cfg.connectTimeoutMs = 5000;
    cfg.operationTimeoutMs = 10000;
    cfg.keepAliveIdleS = 2;
    cfg.keepAliveIntervalS = 1;
    cfg.keepAliveCount = 3;
    cfg.tcpUserTimeoutMs = 5000;
    return cfg;
}

// A file of SIZE pseudo-random bytes (fixed seed); returns its SHA-256 hex.
inline QString makeRandomFile(const QString &path, qint64 size, quint32 seed = 42)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    QRandomGenerator gen(seed);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QByteArray block(1024 * 1024, Qt::Uninitialized);
    for (qint64 left = size; left > 0;) {
        const qint64 n = qMin<qint64>(left, block.size());
        gen.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        f.write(block.constData(), n);
        hash.addData(QByteArrayView(block.constData(), n));
        left -= n;
    }
    return QString::fromLatin1(hash.result().toHex());
}

inline QString fileSha256(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&f);
    return QString::fromLatin1(hash.result().toHex());
}

// Alive = /proc/PID exists and is not a zombie.
inline bool processAlive(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !f.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    return close > 0 && close + 2 < stat.size() && stat.at(close + 2) != 'Z';
}

} // namespace GrayStep::Test
