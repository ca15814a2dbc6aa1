// SPDX-License-Identifier: GPL-3.0-or-later
// SshShell against a real OpenSSH sshd on 127.0.30.20-29: host key verification, authentication
// failures, dead and hung peers, uploads cut by a dropped connection, detached steps that survive
// a killed client, and canary secrets that must never show up anywhere.
#include "ssh/sshshell.h"

#include "sshtestenv.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <cstdio>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using Core::ErrorCode;
using Sim::SshdServer;
using Ssh::DetachedStatus;
using Ssh::ExecOptions;
using Ssh::HostKeyInfo;
using Ssh::SshAuth;
using Ssh::SshConfig;
using Ssh::SshShell;

namespace {

QByteArray randomCanary()
{
    const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    QByteArray s = "cnry";
    for (int i = 0; i < 28; ++i) {
        s += alphabet[QRandomGenerator::global()->bounded(int(sizeof alphabet) - 1)];
    }
    return s;
}

int countInLog(const SshdServer &server, const QByteArray &needle)
{
    return int(server.log().count(needle));
}

} // namespace

class tst_SshShell : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void unknownHostKeyIsRefusedUnlessTrusted();
    void trustedHostKeyIsStoredAndThenKnown();
    void changedHostKeyIsRefusedAndNoCommandRuns();
    void otherTypeHostKeyIsRefused();
    void hashedPinsWorkAndMalformedPinsAreNotUnknown();
    void authenticationFailuresAreClear_data();
    void authenticationFailuresAreClear();
    void rightPassphraseAndAgentLogIn();
    void rightPasswordLogsIn();
    void keyboardInteractivePromptsReachTheCallback();
    void shellCharactersInUserNameAreRejectedUpFront_data();
    void shellCharactersInUserNameAreRejectedUpFront();
    void closedPortAndSilentListenerFailWithinTheConnectTimeout();
    void kernelKeepaliveIsArmedOnTheSocket();
    void stoppedServerIsDetectedWithinTheDeadline();
    void killedConnectionIsReportedAndTheNextCallReconnects();
    void uploadCutByDroppedConnectionResumesWithOneWriteAtMost();
    void cancelInterruptsAStalledUploadWithinOneSecond();
    void secretOnStdinReachesTheCommandOnly();
    void detachedStepSurvivesKilledClientAndIsAdopted();
    void canarySecretsNeverAppearAnywhere();

private:
    void remember(const Core::Error &e) { m_texts << e.message << e.where; }
    SshdServer &startServer(const QString &name, const QString &address, bool passwordAuth = false);

    QTemporaryDir m_tmp;
    std::vector<std::unique_ptr<SshdServer>> m_servers;
    SshdServer *m_main = nullptr;
    SshdServer *m_password = nullptr;
    QString m_knownHosts;
    QByteArray m_canaryPassword;
    QByteArray m_canaryPassphrase;
    QByteArray m_canaryStdin;
    QStringList m_texts; // every error message and callback text seen
};

SshdServer &tst_SshShell::startServer(const QString &name, const QString &address, bool passwordAuth)
{
    auto server = std::make_unique<SshdServer>(m_tmp.filePath(name), address, 2222);
    server->setStopOnDestruction(true);
    server->setPasswordAuthentication(passwordAuth);
    const auto s = server->start();
    if (!s) {
        qFatal("cannot start sshd %s: %s", qPrintable(address), qPrintable(s.error().message));
    }
    m_servers.push_back(std::move(server));
    return *m_servers.back();
}

void tst_SshShell::initTestCase()
{
    if (const QString why = SshdServer::unavailableReason(); !why.isEmpty()) {
        QSKIP(qPrintable(u"real sshd tests skipped: "_s + why));
    }
    QVERIFY(m_tmp.isValid());
    Test::LogCapture::install();
    m_canaryPassword = randomCanary();
    m_canaryPassphrase = randomCanary();
    m_canaryStdin = randomCanary();
    m_main = &startServer(u"main"_s, u"127.0.30.20"_s);
    m_password = &startServer(u"password"_s, u"127.0.30.21"_s, true);
    m_knownHosts = m_tmp.filePath(u"known_hosts"_s);
    const QByteArray pins = m_main->knownHostsLine()->toUtf8() + '\n' + m_password->knownHostsLine()->toUtf8() + '\n';
    QVERIFY(Test::writeText(m_knownHosts, pins));
}

void tst_SshShell::cleanupTestCase()
{
    for (auto &s : m_servers) {
        QVERIFY(s->stop().ok());
    }
}

void tst_SshShell::unknownHostKeyIsRefusedUnlessTrusted()
{
    const QString kh = m_tmp.filePath(u"unknown/known_hosts"_s);
    SshConfig cfg = Test::keyConfig(*m_main, kh);
    QList<HostKeyInfo> shown;
    cfg.trustUnknownHost = [&](const HostKeyInfo &info) {
        shown << info;
        return false; // the user said no
    };
    const int sessionsBefore = m_main->sessionsStarted();
    const int acceptedBefore = countInLog(*m_main, "Accepted publickey");
    SshShell shell(cfg);
    const auto r = shell.exec(u"touch /tmp/graystep-must-not-exist"_s);
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::HostKey);
    QCOMPARE(shown.size(), 1);
    QCOMPARE(shown.first().keyType, u"ssh-ed25519"_s);
    QCOMPARE(shown.first().sha256Fingerprint, *m_main->hostKeyFingerprint()); // as ssh-keygen -lf prints it
    QCOMPARE(shown.first().host, m_main->address());
    QCOMPARE(shown.first().port, quint16(2222));
    QVERIFY(r.error().message.contains(shown.first().sha256Fingerprint));
    QVERIFY(r.error().message.contains(u"not known"_s));
    QVERIFY(!QFileInfo::exists(kh));
    // Without a trust callback at all: refused too.
    cfg.trustUnknownHost = nullptr;
    SshShell noCallback(cfg);
    QCOMPARE(noCallback.connect().error().code, ErrorCode::HostKey);
    QCOMPARE(m_main->sessionsStarted(), sessionsBefore);
    QCOMPARE(countInLog(*m_main, "Accepted publickey"), acceptedBefore); // never got as far as logging in
}

void tst_SshShell::trustedHostKeyIsStoredAndThenKnown()
{
    const QString kh = m_tmp.filePath(u"trusted/known_hosts"_s);
    SshConfig cfg = Test::keyConfig(*m_main, kh);
    int asked = 0;
    cfg.trustUnknownHost = [&](const HostKeyInfo &) {
        ++asked;
        return true; // explicit yes
    };
    {
        SshShell shell(cfg);
        const auto r = shell.exec(u"echo hi"_s);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->stdoutData, "hi\n");
    }
    QCOMPARE(asked, 1);
    QVERIFY(Test::readText(kh).contains("[127.0.30.20]:2222 ssh-ed25519 "));
    SshShell again(cfg);
    QVERIFY(again.connect().ok());
    QCOMPARE(asked, 1); // known now: not asked again
}

void tst_SshShell::changedHostKeyIsRefusedAndNoCommandRuns()
{
    SshdServer &server = startServer(u"rotating"_s, u"127.0.30.22"_s);
    const QString kh = m_tmp.filePath(u"rotating_known_hosts"_s);
    QVERIFY(Test::pinHostKey(server, kh));
    SshConfig cfg = Test::keyConfig(server, kh);
    bool asked = false;
    cfg.trustUnknownHost = [&](const HostKeyInfo &) {
        asked = true;
        return true; // even a careless "yes" must not matter for a CHANGED key
    };
    {
        SshShell shell(cfg);
        QVERIFY(shell.exec(u"true"_s).ok());
    }
    const QString oldFp = *server.hostKeyFingerprint();
    QVERIFY(server.regenerateHostKey().ok());
    const QString newFp = *server.hostKeyFingerprint();
    QVERIFY(oldFp != newFp);
    const int sessionsBefore = server.sessionsStarted();
    const int acceptedBefore = countInLog(server, "Accepted publickey");
    const QString marker = m_tmp.filePath(u"changed-key-marker"_s);
    const QByteArray pinned = Test::readText(kh);

    SshShell shell(cfg);
    const auto r = shell.exec(u"touch "_s + marker);
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::HostKey);
    QVERIFY2(r.error().message.contains(u"HOST KEY CHANGED"_s), qPrintable(r.error().message));
    QVERIFY(r.error().message.contains(newFp));
    QVERIFY(r.error().message.contains(oldFp)); // what known_hosts pins
    QVERIFY(r.error().message.contains(kh));    // where to fix it
    QVERIFY(!asked);
    QCOMPARE(shell.lastHostKey().sha256Fingerprint, newFp);
    // Nothing ran: no login and no session in sshd's own log (sshd logs an accepted login before
    // it answers the client, so there is no race here), no side effect.
    QCOMPARE(server.sessionsStarted(), sessionsBefore);
    QCOMPARE(countInLog(server, "Accepted publickey"), acceptedBefore);
    QVERIFY(!QFileInfo::exists(marker));
    QCOMPARE(Test::readText(kh), pinned); // known_hosts was not touched
}

void tst_SshShell::otherTypeHostKeyIsRefused()
{
    // known_hosts pins an ECDSA key for the host, which only has ed25519.
    const QString keyPath = m_tmp.filePath(u"other-type-key"_s);
    QCOMPARE(QProcess::execute(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ecdsa"_s, u"-N"_s, QString(), u"-f"_s, keyPath}), 0);
    const QByteArray pub = Test::readText(keyPath + u".pub"_s).trimmed();
    const QList<QByteArray> parts = pub.split(' ');
    const QString kh = m_tmp.filePath(u"other_known_hosts"_s);
    QVERIFY(Test::writeText(kh, "[127.0.30.20]:2222 " + parts.at(0) + ' ' + parts.at(1) + '\n'));
    SshConfig cfg = Test::keyConfig(*m_main, kh);
    bool asked = false;
    cfg.trustUnknownHost = [&](const HostKeyInfo &) {
        asked = true;
        return true;
    };
    const int sessionsBefore = m_main->sessionsStarted();
    SshShell shell(cfg);
    const auto r = shell.connect();
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::HostKey);
    QVERIFY2(r.error().message.contains(u"HOST KEY CHANGED"_s), qPrintable(r.error().message));
    QVERIFY(!asked);
    QCOMPARE(m_main->sessionsStarted(), sessionsBefore);
}

void tst_SshShell::hashedPinsWorkAndMalformedPinsAreNotUnknown()
{
    // Hashed entries, as OpenSSH writes them with HashKnownHosts, are honoured.
    const QString hashed = m_tmp.filePath(u"hashed_known_hosts"_s);
    QVERIFY(Test::pinHostKey(*m_main, hashed));
    QCOMPARE(QProcess::execute(u"ssh-keygen"_s, {u"-q"_s, u"-H"_s, u"-f"_s, hashed}), 0);
    QVERIFY(Test::readText(hashed).startsWith("|1|"));
    {
        SshShell shell(Test::keyConfig(*m_main, hashed));
        const auto r = shell.connect();
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    }
    // A pin whose key is damaged must not turn into "unknown, trust it?".
    const QString broken = m_tmp.filePath(u"broken_known_hosts"_s);
    QVERIFY(Test::writeText(broken, "# pins\n[127.0.30.20]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI-damaged\n"));
    SshConfig cfg = Test::keyConfig(*m_main, broken);
    bool asked = false;
    cfg.trustUnknownHost = [&](const HostKeyInfo &) {
        asked = true;
        return true;
    };
    SshShell shell(cfg);
    const auto r = shell.connect();
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::HostKey);
    QVERIFY2(r.error().message.contains(u"line 2"_s), qPrintable(r.error().message));
    QVERIFY(!asked);
}

void tst_SshShell::authenticationFailuresAreClear_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("expected");
    QTest::newRow("a wrong password is reported as a rejected password") << u"wrong-password"_s << u"password rejected for user"_s;
    QTest::newRow("a wrong passphrase is reported before anything is sent")
        << u"wrong-passphrase"_s << u"wrong passphrase for key file"_s;
    QTest::newRow("an encrypted key without a passphrase says so") << u"no-passphrase"_s << u"protected by a passphrase"_s;
    QTest::newRow("no agent running is said plainly") << u"no-agent"_s << u"no SSH agent is running"_s;
    QTest::newRow("an agent socket that is gone is said plainly")
        << u"dead-agent"_s << u"SSH_AUTH_SOCK points to a missing socket"_s;
    QTest::newRow("a key the server does not know is reported as refused") << u"refused-key"_s << u"the server refused key"_s;
    QTest::newRow("password on a key-only server says the server does not allow it")
        << u"password-not-offered"_s << u"does not allow password authentication"_s;
    QTest::newRow("a missing key file is named") << u"missing-key"_s << u"cannot read key file"_s;
}

void tst_SshShell::authenticationFailuresAreClear()
{
    QFETCH(QString, scenario);
    QFETCH(QString, expected);
    SshdServer *server = m_main;
    SshConfig cfg;
    const QByteArray savedSock = qgetenv("SSH_AUTH_SOCK");
    auto restore = qScopeGuard([&] {
        if (savedSock.isEmpty()) {
            qunsetenv("SSH_AUTH_SOCK");
        } else {
            qputenv("SSH_AUTH_SOCK", savedSock);
        }
    });
    int passwordAsked = 0;
    int passphraseAsked = 0;
    auto givePassword = [&]() -> std::optional<QByteArray> {
        ++passwordAsked;
        return m_canaryPassword;
    };
    auto givePassphrase = [&](const QString &) -> std::optional<QByteArray> {
        ++passphraseAsked;
        return m_canaryPassphrase;
    };
    if (scenario == u"wrong-password"_s) {
        server = m_password;
        cfg = Test::keyConfig(*server, m_knownHosts);
        cfg.auth.methods = {SshAuth::Method::Password};
        cfg.auth.password = givePassword;
    } else if (scenario == u"wrong-passphrase"_s || scenario == u"no-passphrase"_s) {
        const auto key = server->addClientKey(u"encrypted"_s, "the-right-passphrase");
        QVERIFY(key.ok());
        cfg = Test::keyConfig(*server, m_knownHosts);
        cfg.auth.keyFile = *key;
        if (scenario == u"wrong-passphrase"_s) {
            cfg.auth.passphrase = givePassphrase;
        }
    } else if (scenario == u"no-agent"_s) {
        qunsetenv("SSH_AUTH_SOCK");
        cfg = Test::keyConfig(*server, m_knownHosts);
        cfg.auth.methods = {SshAuth::Method::Agent};
    } else if (scenario == u"dead-agent"_s) {
        qputenv("SSH_AUTH_SOCK", QFile::encodeName(m_tmp.filePath(u"no-agent.sock"_s)));
        cfg = Test::keyConfig(*server, m_knownHosts);
        cfg.auth.methods = {SshAuth::Method::Agent};
    } else if (scenario == u"refused-key"_s) {
        const QString stranger = m_tmp.filePath(u"stranger_key"_s);
        QFile::remove(stranger);
        QCOMPARE(QProcess::execute(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(), u"-f"_s, stranger}), 0);
        cfg = Test::keyConfig(*server, m_knownHosts);
        cfg.auth.keyFile = stranger;
    } else if (scenario == u"password-not-offered"_s) {
        cfg = Test::keyConfig(*server, m_knownHosts);
        cfg.auth.methods = {SshAuth::Method::Password};
        cfg.auth.password = givePassword;
    } else if (scenario == u"missing-key"_s) {
        cfg = Test::keyConfig(*server, m_knownHosts);
        cfg.auth.keyFile = m_tmp.filePath(u"no-such-key"_s);
    }
    const int sessionsBefore = server->sessionsStarted();
    const int failuresBefore = countInLog(*server, "Failed password");
    SshShell shell(cfg);
    QElapsedTimer t;
    t.start();
    const auto r = shell.exec(u"echo should-not-run"_s);
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::Auth);
    QVERIFY2(r.error().message.contains(expected), qPrintable(r.error().message));
    QVERIFY(r.error().message.contains(u"the server offers:"_s));
    QVERIFY2(t.elapsed() < 5000, "no retry loops, no long waits");
    QCOMPARE(server->sessionsStarted(), sessionsBefore);
    // Each secret was asked for once and tried once.
    QVERIFY(passwordAsked <= 1);
    QVERIFY(passphraseAsked <= 1);
    if (scenario == u"wrong-password"_s) {
        QCOMPARE(passwordAsked, 1);
        QTRY_COMPARE(countInLog(*server, "Failed password"), failuresBefore + 1);
    }
    if (scenario == u"wrong-passphrase"_s) {
        QCOMPARE(passphraseAsked, 1);
    }
}

void tst_SshShell::rightPassphraseAndAgentLogIn()
{
    // Passphrase-protected key with the right passphrase.
    const auto key = m_main->addClientKey(u"encrypted2"_s, "correct horse");
    QVERIFY(key.ok());
    SshConfig cfg = Test::keyConfig(*m_main, m_knownHosts);
    cfg.auth.keyFile = *key;
    cfg.auth.passphrase = [](const QString &) -> std::optional<QByteArray> { return QByteArray("correct horse"); };
    {
        SshShell shell(cfg);
        const auto r = shell.exec(u"echo key-ok"_s);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->stdoutData, "key-ok\n");
    }

    // A real ssh-agent holding the client key; methods tried in order: agent first.
    const QString sock = m_tmp.filePath(u"agent.sock"_s);
    QProcess agent;
    agent.start(u"ssh-agent"_s, {u"-D"_s, u"-a"_s, sock});
    if (!agent.waitForStarted(5000)) {
        QSKIP("ssh-agent not available");
    }
    auto stopAgent = qScopeGuard([&] {
        agent.kill();
        agent.waitForFinished(5000);
    });
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(sock), 5000);
    QProcess add;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"SSH_AUTH_SOCK"_s, sock);
    add.setProcessEnvironment(env);
    add.start(u"ssh-add"_s, {m_main->clientKeyPath()});
    QVERIFY(add.waitForFinished(10000));
    QCOMPARE(add.exitCode(), 0);
    const QByteArray savedSock = qgetenv("SSH_AUTH_SOCK");
    qputenv("SSH_AUTH_SOCK", QFile::encodeName(sock));
    auto restore = qScopeGuard([&] {
        if (savedSock.isEmpty()) {
            qunsetenv("SSH_AUTH_SOCK");
        } else {
            qputenv("SSH_AUTH_SOCK", savedSock);
        }
    });
    SshConfig agentCfg = Test::keyConfig(*m_main, m_knownHosts);
    agentCfg.auth.methods = {SshAuth::Method::Agent};
    agentCfg.auth.keyFile.clear();
    SshShell shell(agentCfg);
    const auto r = shell.exec(u"echo agent-ok"_s);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QCOMPARE(r->stdoutData, "agent-ok\n");
}

void tst_SshShell::rightPasswordLogsIn()
{
    // Needs a throw-away account with a known password (the canary itself).
    if (::geteuid() != 0 || QStandardPaths::findExecutable(u"useradd"_s, {u"/usr/sbin"_s, u"/sbin"_s}).isEmpty()) {
        QSKIP("needs root and useradd to create a throw-away account");
    }
    const QString user = u"gstpw%1"_s.arg(QRandomGenerator::global()->bounded(100000, 999999));
    QCOMPARE(QProcess::execute(u"useradd"_s, {u"-M"_s, u"-d"_s, u"/tmp"_s, u"-s"_s, u"/bin/sh"_s, user}), 0);
    auto removeUser = qScopeGuard([&] { QProcess::execute(u"userdel"_s, {user}); });
    QProcess chpasswd;
    chpasswd.start(u"chpasswd"_s, {});
    QVERIFY(chpasswd.waitForStarted());
    chpasswd.write(user.toUtf8() + ':' + m_canaryPassword + '\n'); // on stdin, never on a command line
    chpasswd.closeWriteChannel();
    QVERIFY(chpasswd.waitForFinished(10000));
    QCOMPARE(chpasswd.exitCode(), 0);

    auto server = std::make_unique<SshdServer>(m_tmp.filePath(u"pwok"_s), u"127.0.30.31"_s, 2222);
    server->setStopOnDestruction(true);
    server->setPasswordAuthentication(true);
    server->setAllowUsers({SshdServer::currentUser(), user});
    QVERIFY(server->start().ok());
    const QString kh = m_tmp.filePath(u"pwok_known_hosts"_s);
    QVERIFY(Test::pinHostKey(*server, kh));
    SshConfig cfg = Test::keyConfig(*server, kh);
    cfg.user = user;
    cfg.auth.methods = {SshAuth::Method::KeyFile, SshAuth::Method::Password}; // key refused, then password
    int asked = 0;
    cfg.auth.password = [&]() -> std::optional<QByteArray> {
        ++asked;
        return m_canaryPassword;
    };
    {
        SshShell shell(cfg);
        const auto r = shell.exec(u"id -un"_s);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->stdoutData.trimmed(), user.toUtf8());
        QCOMPARE(asked, 1);
    }
    QVERIFY(server->log().contains(QByteArray("Accepted password for " + user.toUtf8())));
    QVERIFY(server->stop().ok()); // ends the user's processes before userdel
    m_servers.push_back(std::move(server)); // its log joins the canary scan
}

void tst_SshShell::keyboardInteractivePromptsReachTheCallback()
{
    if (!QFileInfo::exists(u"/etc/pam.d/sshd"_s)) {
        QSKIP("no /etc/pam.d/sshd: keyboard-interactive needs PAM");
    }
    auto server = std::make_unique<SshdServer>(m_tmp.filePath(u"kbdint"_s), u"127.0.30.27"_s, 2222);
    server->setStopOnDestruction(true);
    server->setKeyboardInteractive(true);
    QVERIFY(server->start().ok());
    const QString kh = m_tmp.filePath(u"kbdint_known_hosts"_s);
    QVERIFY(Test::pinHostKey(*server, kh));
    SshConfig cfg = Test::keyConfig(*server, kh);
    cfg.auth.methods = {SshAuth::Method::KeyboardInteractive};
    QList<Ssh::KbdPrompt> seen;
    int rounds = 0;
    cfg.auth.keyboardInteractive = [&](const QString &, const QList<Ssh::KbdPrompt> &prompts)
        -> std::optional<QList<QByteArray>> {
        ++rounds;
        seen += prompts;
        QList<QByteArray> answers;
        for (int i = 0; i < prompts.size(); ++i) {
            answers << m_canaryPassword;
        }
        return answers;
    };
    SshShell shell(cfg);
    const auto r = shell.connect();
    QVERIFY(!r.ok());
    remember(r.error());
    for (const auto &p : std::as_const(seen)) {
        m_texts << p.text;
    }
    QCOMPARE(r.error().code, ErrorCode::Auth);
    QVERIFY2(r.error().message.contains(u"keyboard-interactive authentication was rejected"_s),
             qPrintable(r.error().message));
    QVERIFY(rounds >= 1);
    QVERIFY(!seen.isEmpty());
    QVERIFY2(seen.first().text.contains(u"assword"_s), qPrintable(seen.first().text)); // PAM's "Password: "
    QVERIFY(!seen.first().echo);
    // Giving up is reported as such.
    cfg.auth.keyboardInteractive = [](const QString &, const QList<Ssh::KbdPrompt> &) -> std::optional<QList<QByteArray>> {
        return std::nullopt;
    };
    SshShell giveUp(cfg);
    const auto r2 = giveUp.connect();
    QVERIFY(!r2.ok());
    remember(r2.error());
    QVERIFY2(r2.error().message.contains(u"abandoned"_s), qPrintable(r2.error().message));
    m_servers.push_back(std::move(server)); // its log joins the canary scan
}

void tst_SshShell::shellCharactersInUserNameAreRejectedUpFront_data()
{
    QTest::addColumn<QString>("user");
    QTest::newRow("a semicolon") << u"root;id"_s;
    QTest::newRow("a command substitution") << u"$(id)"_s;
    QTest::newRow("backticks") << u"a`id`"_s;
    QTest::newRow("a space") << u"a b"_s;
    QTest::newRow("a leading dash (option injection)") << u"-oProxyCommand=id"_s;
    QTest::newRow("a pipe") << u"a|b"_s;
    QTest::newRow("a quote") << u"o'neil"_s;
    QTest::newRow("empty") << QString();
}

void tst_SshShell::shellCharactersInUserNameAreRejectedUpFront()
{
    QFETCH(QString, user);
    const int connectionsBefore = countInLog(*m_main, "Connection from");
    SshConfig cfg = Test::keyConfig(*m_main, m_knownHosts);
    cfg.user = user;
    SshShell shell(cfg);
    const auto r = shell.connect();
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::InvalidInput);
    QVERIFY2(r.error().message.contains(u"user name"_s), qPrintable(r.error().message));
    QCOMPARE(countInLog(*m_main, "Connection from"), connectionsBefore); // never connected
    QVERIFY(Ssh::userNameProblem(u"dolphindb"_s).isEmpty());
    QVERIFY(Ssh::userNameProblem(u"svc.ddb-01@CORP"_s).isEmpty());
}

void tst_SshShell::closedPortAndSilentListenerFailWithinTheConnectTimeout()
{
    SshConfig cfg = Test::keyConfig(*m_main, m_knownHosts);
    cfg.host = u"127.0.30.28"_s; // nothing listens here
    cfg.connectTimeoutMs = 2000;
    {
        SshShell shell(cfg);
        QElapsedTimer t;
        t.start();
        const auto r = shell.connect();
        QVERIFY(!r.ok());
        remember(r.error());
        QCOMPARE(r.error().code, ErrorCode::Network);
        QVERIFY(t.elapsed() < 1500);
    }
    // A listener that accepts (kernel backlog) but never speaks SSH.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress(u"127.0.30.29"_s), 2222));
    cfg.host = u"127.0.30.29"_s;
    SshShell shell(cfg);
    QElapsedTimer t;
    t.start();
    const auto r = shell.connect();
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::Timeout);
    QVERIFY(t.elapsed() >= 1900);
    QVERIFY2(t.elapsed() < 4000, qPrintable(QString::number(t.elapsed())));
}

void tst_SshShell::kernelKeepaliveIsArmedOnTheSocket()
{
    if (QStandardPaths::findExecutable(u"ss"_s).isEmpty()) {
        QSKIP("ss (iproute2) not installed");
    }
    SshShell shell(Test::keyConfig(*m_main, m_knownHosts)); // keepalive idle 2 s, interval 1 s
    QVERIFY(shell.connect().ok());
    QProcess ss;
    ss.start(u"ss"_s, {u"-tnoH"_s, u"state"_s, u"established"_s, u"( dst 127.0.30.20 and dport = :2222 )"_s});
    QVERIFY(ss.waitForFinished(5000));
    const QByteArray out = ss.readAllStandardOutput();
    QVERIFY2(out.contains("timer:(keepalive"), out.constData());
}

void tst_SshShell::stoppedServerIsDetectedWithinTheDeadline()
{
    SshdServer &server = startServer(u"frozen"_s, u"127.0.30.23"_s);
    const QString kh = m_tmp.filePath(u"frozen_known_hosts"_s);
    QVERIFY(Test::pinHostKey(server, kh));
    SshShell shell(Test::keyConfig(server, kh));
    int ticks = 0;
    QElapsedTimer sinceStop;
    ExecOptions opts;
    opts.idleTimeoutMs = 2000;
    opts.onStdoutLine = [&](const QString &) {
        if (++ticks == 3) {
            QVERIFY(server.suspendSessions().ok()); // the peer stops answering; TCP stays up
            sinceStop.start();
        }
    };
    const auto r = shell.exec(u"while true; do echo tick; sleep 0.2; done"_s, opts);
    const qint64 detectedAfter = sinceStop.isValid() ? sinceStop.elapsed() : -1;
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::Timeout);
    QVERIFY2(r.error().message.contains(u"no output"_s), qPrintable(r.error().message));
    qInfo("hung peer detected after %lld ms (idle deadline 2000 ms)", detectedAfter);
    QVERIFY(detectedAfter >= 1500);
    QVERIFY2(detectedAfter < 2000 + 1500, qPrintable(QString::number(detectedAfter)));
    QVERIFY(!shell.isConnected());
    QVERIFY(server.resumeSessions().ok());
    // A fresh connection works once the host answers again.
    const auto again = shell.exec(u"echo back"_s);
    QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().message));
    QVERIFY(server.stop().ok());
}

void tst_SshShell::killedConnectionIsReportedAndTheNextCallReconnects()
{
    SshdServer &server = startServer(u"killed"_s, u"127.0.30.25"_s);
    const QString kh = m_tmp.filePath(u"killed_known_hosts"_s);
    QVERIFY(Test::pinHostKey(server, kh));
    SshShell shell(Test::keyConfig(server, kh));
    QElapsedTimer sinceKill;
    ExecOptions opts;
    opts.onStdoutLine = [&](const QString &) {
        if (!sinceKill.isValid()) {
            QVERIFY(server.killSessions().ok());
            sinceKill.start();
        }
    };
    const auto r = shell.exec(u"echo started; sleep 30"_s, opts);
    QVERIFY(!r.ok());
    remember(r.error());
    QCOMPARE(r.error().code, ErrorCode::Network);
    QVERIFY2(sinceKill.elapsed() < 2000, qPrintable(QString::number(sinceKill.elapsed())));
    const auto again = shell.exec(u"echo reconnected"_s);
    QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().message));
    QCOMPARE(again->stdoutData, "reconnected\n");
}

void tst_SshShell::uploadCutByDroppedConnectionResumesWithOneWriteAtMost()
{
    SshdServer &server = startServer(u"upload"_s, u"127.0.30.24"_s);
    const QString kh = m_tmp.filePath(u"upload_known_hosts"_s);
    QVERIFY(Test::pinHostKey(server, kh));
    SshShell shell(Test::keyConfig(server, kh));
    const qint64 size = 50ll * 1024 * 1024;
    const QString src = m_tmp.filePath(u"fifty.bin"_s);
    const QString sha = Test::makeRandomFile(src, size, 1234);
    const QString dest = m_tmp.filePath(u"remote/fifty.bin"_s);
    QVERIFY(QDir().mkpath(m_tmp.filePath(u"remote"_s)));

    qint64 resumedFrom = 0;
    int resends = 0;
    for (int percent : {25, 50, 75}) {
        qint64 cutAt = -1;
        qint64 startedFrom = -1;
        Ssh::UploadOptions opts;
        opts.onProgress = [&](const Ssh::TransferProgress &p) {
            if (startedFrom < 0) {
                startedFrom = p.resumedFrom;
            }
            if (cutAt < 0 && p.bytesDone >= size * percent / 100) {
                cutAt = p.bytesDone; // acknowledged by the server
                QVERIFY(server.killSessions().ok()); // the connection drops (sshd + sftp-server killed)
            }
        };
        const auto r = shell.upload(src, dest, opts);
        QVERIFY(!r.ok());
        remember(r.error());
        QCOMPARE(r.error().code, ErrorCode::Network);
        QVERIFY2(r.error().message.contains(u"resumes"_s), qPrintable(r.error().message));
        QVERIFY(cutAt > 0);
        QCOMPARE(startedFrom, resumedFrom);
        QVERIFY(!QFileInfo::exists(dest));
        resumedFrom = QFileInfo(dest + u".part"_s).size();
        // Everything acknowledged is on disk; at most the one write in flight is missing.
        QVERIFY2(resumedFrom >= cutAt && resumedFrom <= cutAt + 64 * 1024,
                 qPrintable(u"part %1, cut at %2"_s.arg(resumedFrom).arg(cutAt)));
        if (resumedFrom == cutAt) {
            ++resends; // the write in flight (if any) will be sent again
        }
    }
    const auto r = shell.upload(src, dest);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QCOMPARE(r->resumedFrom, resumedFrom);
    QCOMPARE(r->bytesSent, size - resumedFrom);
    QCOMPARE(r->sha256, sha);
    QCOMPARE(Test::fileSha256(dest), sha);
    QVERIFY(!QFileInfo::exists(dest + u".part"_s));
    qInfo("3 cuts, resumed each time from the acknowledged size; writes re-sent: at most %d", resends);
}

void tst_SshShell::cancelInterruptsAStalledUploadWithinOneSecond()
{
    SshdServer &server = startServer(u"stall"_s, u"127.0.30.26"_s);
    const QString kh = m_tmp.filePath(u"stall_known_hosts"_s);
    QVERIFY(Test::pinHostKey(server, kh));
    SshShell shell(Test::keyConfig(server, kh));
    const qint64 size = 20ll * 1024 * 1024;
    const QString src = m_tmp.filePath(u"twenty.bin"_s);
    const QString sha = Test::makeRandomFile(src, size, 99);
    const QString dest = m_tmp.filePath(u"remote/twenty.bin"_s);
    QVERIFY(QDir().mkpath(m_tmp.filePath(u"remote"_s)));

    std::atomic<bool> stalled{false};
    std::atomic<qint64> lastProgressMs{0};
    QElapsedTimer clock;
    clock.start();
    std::optional<Core::Result<Ssh::UploadResult>> result;
    QThread *worker = QThread::create([&] {
        Ssh::UploadOptions opts;
        opts.idleTimeoutMs = 60000; // the deadline alone would take a minute
        opts.onProgress = [&](const Ssh::TransferProgress &p) {
            lastProgressMs = clock.elapsed();
            if (!stalled && p.bytesDone > size / 10) {
                QVERIFY(server.suspendSessions().ok());
                stalled = true;
            }
        };
        result = shell.upload(src, dest, opts);
    });
    worker->start();
    QTRY_VERIFY_WITH_TIMEOUT(stalled.load(), 20000);
    // No progress for a while: the worker sits in a blocking sftp_write.
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() - lastProgressMs.load() > 300, 5000);
    QElapsedTimer t;
    t.start();
    shell.cancel();
    QVERIFY(worker->wait(10000));
    const qint64 latency = t.elapsed();
    delete worker;
    qInfo("cancel of a stalled upload took %lld ms", latency);
    QVERIFY2(latency <= 1000, qPrintable(QString::number(latency)));
    QVERIFY(result.has_value() && !result->ok());
    QCOMPARE(result->error().code, ErrorCode::Cancelled);
    QVERIFY(server.resumeSessions().ok());
    shell.clearCancel();
    const auto again = shell.upload(src, dest);
    QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().message));
    QVERIFY(again->resumedFrom > 0);
    QCOMPARE(Test::fileSha256(dest), sha);
}

void tst_SshShell::secretOnStdinReachesTheCommandOnly()
{
    SshShell shell(Test::keyConfig(*m_main, m_knownHosts));
    ExecOptions opts;
    opts.stdinData = m_canaryStdin + '\n';
    opts.onStdoutLine = [&](const QString &l) { m_texts << l; };
    // The command proves it got the secret without echoing it.
    const auto r = shell.exec(u"read -r s; [ ${#s} -eq 32 ] && echo got-32-chars"_s, opts);
    QVERIFY(r.ok());
    QCOMPARE(r->stdoutData, "got-32-chars\n");
}

void tst_SshShell::detachedStepSurvivesKilledClientAndIsAdopted()
{
    const QString dir = m_tmp.filePath(u"detached-steps"_s);
    const QString counter = m_tmp.filePath(u"detached-counter"_s);
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"GRAYSTEP_TST_CHILD"_s, u"detached"_s);
    env.insert(u"GRAYSTEP_TST_ADDR"_s, m_main->address());
    env.insert(u"GRAYSTEP_TST_KNOWN"_s, m_knownHosts);
    env.insert(u"GRAYSTEP_TST_KEY"_s, m_main->clientKeyPath());
    env.insert(u"GRAYSTEP_TST_DIR"_s, dir);
    env.insert(u"GRAYSTEP_TST_COUNTER"_s, counter);
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForStarted());
    QByteArray line;
    QElapsedTimer t;
    t.start();
    while (!line.contains('\n') && t.elapsed() < 20000) {
        child.waitForReadyRead(200);
        line += child.readAllStandardOutput();
    }
    QVERIFY2(line.startsWith("launched "), line.constData());
    const qint64 pid = line.mid(9).trimmed().toLongLong();
    QVERIFY(pid > 0);
    // The client dies hard, mid-step.
    child.kill();
    QVERIFY(child.waitForFinished(5000));
    QVERIFY(Test::processAlive(pid));

    // A later connection (a resumed upgrade) finds the step running and adopts it.
    SshShell shell(Test::keyConfig(*m_main, m_knownHosts));
    const auto st = shell.detachedStatus(u"install-host1"_s, dir);
    QVERIFY(st.ok());
    QCOMPARE(st->state, DetachedStatus::State::Running);
    QCOMPARE(st->pid, pid);
    const auto adopted = shell.startDetached({u"install-host1"_s, u"echo run >> "_s + counter, dir});
    QVERIFY(adopted.ok());
    QVERIFY(!adopted->launchedNow);
    Ssh::WaitOptions wait;
    wait.pollIntervalMs = 200;
    wait.totalTimeoutMs = 30000;
    const auto done = shell.waitDetached(u"install-host1"_s, dir, wait);
    QVERIFY(done.ok());
    QCOMPARE(done->state, DetachedStatus::State::Finished);
    QCOMPARE(done->exitCode, 0);
    QCOMPARE(shell.detachedOutput(u"install-host1"_s, dir).valueOr({}), "finished\n");
    QCOMPARE(Test::readText(counter), "run\n"); // exactly once
}

void tst_SshShell::canarySecretsNeverAppearAnywhere()
{
    const QList<QByteArray> canaries{m_canaryPassword, m_canaryPassphrase, m_canaryStdin};
    // Every log message this process produced (libssh's included, at debug level too).
    const QStringList messages = Test::LogCapture::messages();
    QVERIFY(messages.size() > 10);
    // Every error message and callback text the tests saw.
    QVERIFY(m_texts.size() > 10);
    // sshd's logs at LogLevel VERBOSE.
    QByteArray serverLogs;
    for (const auto &s : m_servers) {
        serverLogs += s->log();
    }
    QVERIFY(serverLogs.contains("Failed password")); // the canary password was really used
    for (const QByteArray &canary : canaries) {
        const QString c = QString::fromLatin1(canary);
        for (const QString &m : messages) {
            QVERIFY2(!m.contains(c), "canary found in a log message");
        }
        for (const QString &m : m_texts) {
            QVERIFY2(!m.contains(c), "canary found in an error or callback text");
        }
        QVERIFY2(!serverLogs.contains(canary), "canary found in sshd's log");
    }
}

// Child mode for detachedStepSurvivesKilledClientAndIsAdopted: launch a step, report, wait to be killed.
static int detachedChild()
{
    SshConfig cfg;
    cfg.host = qEnvironmentVariable("GRAYSTEP_TST_ADDR");
    cfg.port = 2222;
    cfg.user = SshdServer::currentUser();
    cfg.knownHostsFile = qEnvironmentVariable("GRAYSTEP_TST_KNOWN");
    cfg.auth.methods = {SshAuth::Method::KeyFile};
    cfg.auth.keyFile = qEnvironmentVariable("GRAYSTEP_TST_KEY");
    SshShell shell(cfg);
    const QString counter = qEnvironmentVariable("GRAYSTEP_TST_COUNTER");
    const auto st = shell.startDetached({u"install-host1"_s,
                                         u"echo run >> '%1'; sleep 3; echo finished"_s.arg(counter),
                                         qEnvironmentVariable("GRAYSTEP_TST_DIR")});
    if (!st || !st->launchedNow) {
        std::fprintf(stdout, "failed %s\n", st ? "adopted" : qPrintable(st.error().message));
        std::fflush(stdout);
        return 1;
    }
    std::fprintf(stdout, "launched %lld\n", st->pid);
    std::fflush(stdout);
    // Keep the SSH connection open until the parent kills this process.
    for (int i = 0; i < 600; ++i) {
        QThread::msleep(100);
    }
    return 0;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (qEnvironmentVariable("GRAYSTEP_TST_CHILD") == u"detached"_s) {
        return detachedChild();
    }
    tst_SshShell tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_sshshell.moc"
