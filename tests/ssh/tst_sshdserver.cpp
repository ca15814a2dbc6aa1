// SPDX-License-Identifier: GPL-3.0-or-later
// The private sshd fixture itself: starts, lets the generated client key in, stops leaving no
// process, rotates its host key, and can freeze its sessions. Uses OpenSSH's own `ssh` client
// as the oracle, so it does not depend on graystep_ssh.
#include "sim/sshd/sshdserver.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Sim::SshdServer;

namespace {

const QString ADDRESS = u"127.0.30.1"_s;
constexpr quint16 PORT = 2222;

struct SshRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QStringList sshArgs(const SshdServer &server, const QString &knownHosts)
{
    return {u"-F"_s, u"/dev/null"_s, u"-o"_s, u"BatchMode=yes"_s, u"-o"_s, u"StrictHostKeyChecking=yes"_s,
            u"-o"_s, u"UserKnownHostsFile="_s + knownHosts, u"-o"_s, u"GlobalKnownHostsFile=/dev/null"_s,
            u"-o"_s, u"ConnectTimeout=5"_s, u"-i"_s, server.clientKeyPath(), u"-p"_s, QString::number(server.port()),
            u"-l"_s, SshdServer::currentUser(), server.address()};
}

SshRun runSsh(const SshdServer &server, const QString &knownHosts, const QString &command)
{
    QProcess p;
    p.start(u"ssh"_s, sshArgs(server, knownHosts) << command);
    SshRun r;
    if (!p.waitForFinished(20000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

bool writeKnownHosts(const SshdServer &server, const QString &path)
{
    const auto line = server.knownHostsLine();
    if (!line) {
        return false;
    }
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(line->toUtf8() + '\n') > 0;
}

// Alive = /proc/PID exists and is not a zombie (PID 1 here may not reap orphans).
bool processAlive(qint64 pid)
{
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    return close > 0 && close + 2 < stat.size() && stat.at(close + 2) != 'Z';
}

} // namespace

class tst_SshdServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void startsAndLetsTheClientKeyIn();
    void stopLeavesNoProcess();
    void rotatedHostKeyIsRefusedByStrictClients();
    void suspendedSessionsStopAnswering();
    void aTakenPortIsReportedAtOnce();

private:
    QTemporaryDir m_tmp;
};

void tst_SshdServer::initTestCase()
{
    if (const QString why = SshdServer::unavailableReason(); !why.isEmpty()) {
        QSKIP(qPrintable(u"real sshd tests skipped: "_s + why));
    }
    QVERIFY(m_tmp.isValid());
}

void tst_SshdServer::startsAndLetsTheClientKeyIn()
{
    SshdServer server(m_tmp.filePath(u"host1"_s), ADDRESS, PORT);
    server.setStopOnDestruction(true);
    const auto started = server.start();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().message));
    QVERIFY(server.isRunning());
    QVERIFY(QFileInfo::exists(u"/run/sshd"_s));
    QVERIFY(server.hostKeyFingerprint().ok());
    QVERIFY(server.hostKeyFingerprint()->startsWith(u"SHA256:"_s));

    const QString kh = m_tmp.filePath(u"known_hosts1"_s);
    QVERIFY(writeKnownHosts(server, kh));
    const SshRun r = runSsh(server, kh, u"echo hello-from-$USER; exit 7"_s);
    QCOMPARE(r.exitCode, 7);
    QCOMPARE(r.out.trimmed(), "hello-from-" + SshdServer::currentUser().toUtf8());
    QTRY_COMPARE(server.sessionsStarted(), 1);
    QVERIFY(server.log().contains("Accepted publickey"));

    // A second start while running is a no-op; stop works.
    QVERIFY(server.start().ok());
    QVERIFY(server.stop().ok());
    QVERIFY(!server.isRunning());
}

void tst_SshdServer::stopLeavesNoProcess()
{
    SshdServer server(m_tmp.filePath(u"host2"_s), u"127.0.30.2"_s, PORT);
    server.setStopOnDestruction(true);
    QVERIFY(server.start().ok());
    const qint64 listener = server.pid();
    QVERIFY(listener > 0);

    // A client that keeps a session open, and a detached process started by a session.
    const QString kh = m_tmp.filePath(u"known_hosts2"_s);
    QVERIFY(writeKnownHosts(server, kh));
    QProcess longRunning;
    longRunning.start(u"ssh"_s, sshArgs(server, kh) << u"sleep 300"_s);
    QVERIFY(longRunning.waitForStarted());
    const SshRun detached = runSsh(server, kh, u"setsid nohup sleep 301 >/dev/null 2>&1 </dev/null & echo $!"_s);
    QCOMPARE(detached.exitCode, 0);
    const qint64 detachedPid = detached.out.trimmed().toLongLong();
    QVERIFY(detachedPid > 0);
    QTRY_VERIFY(server.sessionPids().size() >= 3); // sshd monitor + child + sleep 300, plus sleep 301
    const QList<qint64> sessions = server.sessionPids();
    QVERIFY(sessions.contains(detachedPid));

    QVERIFY(server.stop().ok());
    QVERIFY(!server.isRunning());
    QVERIFY(server.sessionPids().isEmpty());
    for (qint64 p : sessions) {
        QVERIFY2(!processAlive(p), qPrintable(u"process %1 left behind"_s.arg(p)));
    }
    QVERIFY(longRunning.waitForFinished(10000));
    QVERIFY(longRunning.exitCode() != 0);
    // The port is closed now.
    const SshRun after = runSsh(server, kh, u"true"_s);
    QCOMPARE(after.exitCode, 255);
}

void tst_SshdServer::rotatedHostKeyIsRefusedByStrictClients()
{
    SshdServer server(m_tmp.filePath(u"host3"_s), u"127.0.30.3"_s, PORT);
    server.setStopOnDestruction(true);
    QVERIFY(server.start().ok());
    const QString kh = m_tmp.filePath(u"known_hosts3"_s);
    QVERIFY(writeKnownHosts(server, kh));
    const QString before = *server.hostKeyFingerprint();
    QCOMPARE(runSsh(server, kh, u"true"_s).exitCode, 0);

    QVERIFY(server.regenerateHostKey().ok());
    QVERIFY(server.isRunning());
    QVERIFY(*server.hostKeyFingerprint() != before);
    const SshRun r = runSsh(server, kh, u"touch /tmp/should-not-exist"_s);
    QCOMPARE(r.exitCode, 255);
    QVERIFY(r.err.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"));
    QCOMPARE(server.sessionsStarted(), 1); // only the first, before the rotation
}

void tst_SshdServer::suspendedSessionsStopAnswering()
{
    SshdServer server(m_tmp.filePath(u"host4"_s), u"127.0.30.4"_s, PORT);
    server.setStopOnDestruction(true);
    QVERIFY(server.start().ok());
    const QString kh = m_tmp.filePath(u"known_hosts4"_s);
    QVERIFY(writeKnownHosts(server, kh));

    QProcess p;
    p.start(u"ssh"_s, sshArgs(server, kh) << u"while true; do echo tick; sleep 0.1; done"_s);
    QVERIFY(p.waitForStarted());
    QTRY_VERIFY(p.waitForReadyRead(100) || p.bytesAvailable() > 0);
    QVERIFY(server.suspendSessions().ok());
    // Drain what was in flight, then nothing more arrives while the session processes are stopped.
    for (int i = 0; i < 20 && p.waitForReadyRead(300); ++i) {
        p.readAllStandardOutput();
    }
    p.readAllStandardOutput();
    QVERIFY(!p.waitForReadyRead(1000));
    QVERIFY(server.resumeSessions().ok());
    QVERIFY(p.waitForReadyRead(5000));
    QVERIFY(server.stop().ok());
    QVERIFY(p.waitForFinished(10000));
}

void tst_SshdServer::aTakenPortIsReportedAtOnce()
{
    SshdServer first(m_tmp.filePath(u"host5"_s), u"127.0.30.5"_s, PORT);
    first.setStopOnDestruction(true);
    QVERIFY(first.start().ok());
    SshdServer second(m_tmp.filePath(u"host5b"_s), u"127.0.30.5"_s, PORT);
    QElapsedTimer t;
    t.start();
    const auto r = second.start(10000);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.contains(u"bind"_s, Qt::CaseInsensitive), qPrintable(r.error().message));
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    QVERIFY(first.isRunning());
}

QTEST_GUILESS_MAIN(tst_SshdServer)
#include "tst_sshdserver.moc"
