// SPDX-License-Identifier: GPL-3.0-or-later
// The sandbox's per-host sshd: real OpenSSH on ADDR:2222 accepting only the generated key,
// pinned by the generated known_hosts; stop-sshd/start-sshd; down leaves no process.
// Loopback block 127.0.50.21-23. Needs root and /usr/sbin/sshd (CI installs openssh-server).
#include "sim/sandbox/sandboxlauncher.h"
#include "sim/sshd/sshdserver.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;

class tst_SandboxSshd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void generatedKeyIsAccepted_data();
    void generatedKeyIsAccepted();
    void otherKeyIsRefused();
    void unknownHostKeyIsRefused();
    void stopAndStartOneSshd();
    void downLeavesNoProcess();

private:
    struct Ssh
    {
        int exitCode = -1;
        QString output;
    };
    Ssh ssh(const QString &address, const QString &command, const QString &key, const QString &knownHosts) const;

    QTemporaryDir m_tmp;
    QString m_dir;
    std::unique_ptr<SandboxLauncher> m_launcher;
};

void tst_SandboxSshd::initTestCase()
{
    if (!SshdServer::sshdAvailable()) {
        QSKIP(qPrintable(u"sshd cannot run here: "_s + SshdServer::unavailableReason()));
    }
    QVERIFY(m_tmp.isValid());
    m_dir = m_tmp.filePath(u"sbx"_s);
    m_launcher = std::make_unique<SandboxLauncher>(m_dir);
    UpOptions o;
    o.baseAddress = u"127.0.50.21"_s;
    o.nodeBinary = u"/bin/true"_s;   // no nodes are started here
    auto spec = m_launcher->prepare(o);
    QVERIFY2(spec.ok(), qPrintable(spec ? QString() : spec.error().toString()));
    for (int i = 1; i <= 3; ++i) {
        auto r = m_launcher->fault(u"start-sshd"_s, {QString::number(i)});
        QVERIFY2(r.ok(), qPrintable(r ? QString() : r.error().toString()));
    }
}

void tst_SandboxSshd::cleanupTestCase()
{
    if (m_launcher) {
        (void)m_launcher->down();
    }
}

tst_SandboxSshd::Ssh tst_SandboxSshd::ssh(const QString &address, const QString &command, const QString &key,
                                          const QString &knownHosts) const
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(u"ssh"_s, {u"-F"_s, u"/dev/null"_s, u"-i"_s, key, u"-o"_s, u"IdentitiesOnly=yes"_s,
                       u"-o"_s, u"BatchMode=yes"_s, u"-o"_s, u"StrictHostKeyChecking=yes"_s,
                       u"-o"_s, u"UserKnownHostsFile="_s + knownHosts, u"-o"_s, u"GlobalKnownHostsFile=/dev/null"_s,
                       u"-o"_s, u"ConnectTimeout=5"_s, u"-p"_s, u"2222"_s,
                       SshdServer::currentUser() + u'@' + address, command});
    p.waitForFinished(20000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAll())};
}

void tst_SandboxSshd::generatedKeyIsAccepted_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("host");
    QTest::newRow("host 1") << u"127.0.50.21"_s << 1;
    QTest::newRow("host 2") << u"127.0.50.22"_s << 2;
    QTest::newRow("host 3") << u"127.0.50.23"_s << 3;
}

void tst_SandboxSshd::generatedKeyIsAccepted()
{
    QFETCH(QString, address);
    QFETCH(int, host);
    const QJsonObject profile = QJsonDocument::fromJson([this] {
        QFile f(m_launcher->profilePath());
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }()).object();
    const QJsonObject hostEntry = profile.value(u"hosts"_s).toArray().at(host - 1).toObject();
    const QJsonObject access = hostEntry.value(u"ssh"_s).toObject();
    // ssh.address is written only when it differs from the host's address (Core::UpgradeProfile).
    QCOMPARE(access.value(u"address"_s).toString(hostEntry.value(u"address"_s).toString()), address);
    QCOMPARE(access.value(u"port"_s).toInt(), 2222);
    QCOMPARE(access.value(u"auth"_s).toString(), u"key"_s);
    // The profile's key and known_hosts are what the client uses.
    const Ssh r = ssh(address, u"cat "_s + m_dir + u"/host%1/server/ddbsim.version"_s.arg(host),
                      access.value(u"keyFile"_s).toString(), access.value(u"knownHosts"_s).toString());
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.output, u"2.00.7.4 2022.12.08\n"_s);
}

void tst_SandboxSshd::otherKeyIsRefused()
{
    const QString other = m_tmp.filePath(u"other_key"_s);
    QProcess kg;
    kg.start(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(), u"-f"_s, other});
    QVERIFY(kg.waitForFinished(20000) && kg.exitCode() == 0);
    const Ssh r = ssh(u"127.0.50.21"_s, u"true"_s, other, m_launcher->knownHostsFile());
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.output.contains(u"Permission denied"_s), qPrintable(r.output));
}

void tst_SandboxSshd::unknownHostKeyIsRefused()
{
    const QString empty = m_tmp.filePath(u"empty_known_hosts"_s);
    QFile f(empty);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    const Ssh r = ssh(u"127.0.50.22"_s, u"true"_s, m_launcher->keyFile(), empty);
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.output.contains(u"Host key verification failed"_s), qPrintable(r.output));
}

void tst_SandboxSshd::stopAndStartOneSshd()
{
    auto stopped = m_launcher->fault(u"stop-sshd"_s, {u"127.0.50.22"_s});
    QVERIFY(stopped.ok());
    Ssh r = ssh(u"127.0.50.22"_s, u"true"_s, m_launcher->keyFile(), m_launcher->knownHostsFile());
    QCOMPARE(r.exitCode, 255);
    QVERIFY2(r.output.contains(u"refused"_s), qPrintable(r.output));
    // The other hosts are not affected.
    QCOMPARE(ssh(u"127.0.50.23"_s, u"true"_s, m_launcher->keyFile(), m_launcher->knownHostsFile()).exitCode, 0);
    auto status = m_launcher->status();
    QVERIFY(status.ok());
    QCOMPARE(status->value(u"hosts"_s).toArray().at(1).toObject().value(u"sshd"_s).toString(), u"down"_s);
    QVERIFY(m_launcher->fault(u"start-sshd"_s, {u"2"_s}).ok());
    r = ssh(u"127.0.50.22"_s, u"true"_s, m_launcher->keyFile(), m_launcher->knownHostsFile());
    QCOMPARE(r.exitCode, 0);   // same host key after a restart: known_hosts still matches
}

void tst_SandboxSshd::downLeavesNoProcess()
{
    QVERIFY(!m_launcher->processesUnderDirectory().isEmpty());   // the three sshd
    auto r = m_launcher->down();
    QVERIFY(r.ok());
    QVERIFY(r->value(u"stopped"_s).toBool());
    // An independent scan: no process mentions D on its command line.
    const QByteArray needle = QDir(m_dir).canonicalPath().toUtf8();
    for (const QString &pid : QDir(u"/proc"_s).entryList(QDir::Dirs)) {
        QFile f(u"/proc/"_s + pid + u"/cmdline"_s);
        if (pid.toInt() > 0 && f.open(QIODevice::ReadOnly)) {
            QByteArray cmd = f.readAll();
            QVERIFY2(!cmd.contains(needle), cmd.replace('\0', ' ').constData());
        }
    }
}

QTEST_GUILESS_MAIN(tst_SandboxSshd)
#include "tst_sandboxsshd.moc"
