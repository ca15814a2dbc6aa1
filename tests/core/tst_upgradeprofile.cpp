// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/upgradeprofile.h"

#include "support/testdata.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;

class tst_UpgradeProfile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void loadsTheTutorialProfile();
    void saveAndLoadGiveTheSameProfile();
    void badProfiles_data();
    void badProfiles();
    void allProblemsAreListed();

private:
    static QByteArray minimal(const QJsonObject &patch, const QStringList &remove = {})
    {
        QJsonObject o{
            {u"formatVersion"_s, 1},
            {u"topology"_s, QJsonObject{{u"configDir"_s, u"cfg"_s}}},
            {u"hosts"_s, QJsonArray{QJsonObject{
                             {u"address"_s, u"127.0.10.1"_s},
                             {u"installDir"_s, u"/opt/ddb/server"_s},
                             {u"ssh"_s, QJsonObject{{u"user"_s, u"dba"_s}, {u"auth"_s, u"agent"_s}}}}}},
            {u"package"_s, QJsonObject{{u"path"_s, u"p.zip"_s}}},
            {u"targetVersion"_s, u"2.00.8.12"_s},
        };
        for (auto it = patch.begin(); it != patch.end(); ++it) {
            o.insert(it.key(), it.value());
        }
        for (const QString &key : remove) {
            o.remove(key);
        }
        return QJsonDocument(o).toJson();
    }
};

void tst_UpgradeProfile::loadsTheTutorialProfile()
{
    const QString path = GrayStep::Test::testDataPath(u"profiles/tutorial.graystep.json"_s);
    auto p = UpgradeProfile::load(path);
    QVERIFY2(p.ok(), qPrintable(p.ok() ? QString() : p.error().toString()));
    QCOMPARE(p->hosts.size(), 3);
    QCOMPARE(p->hosts[0].address, u"10.10.11.1"_s);
    QCOMPARE(p->hosts[0].sshAddress, u"10.10.11.1"_s);
    QCOMPARE(p->hosts[0].keyFile, QDir::homePath() + u"/.ssh/id_ed25519"_s);
    QCOMPARE(p->hosts[0].knownHostsFile, QFileInfo(path).absolutePath() + u"/known_hosts"_s);
    QCOMPARE(p->hosts[1].auth, SshAuthMethod::Agent);
    QCOMPARE(p->hosts[1].sshPort, 22);
    QCOMPARE(p->hosts[2].sshSecret, (SecretRef{SecretRef::Kind::Env, u"HOST3_SSH_PASSWORD"_s}));
    QCOMPARE(p->apiPassword.kind, SecretRef::Kind::Env);
    QCOMPARE(p->configDir, QDir::cleanPath(QFileInfo(path).absolutePath() + u"/../tutorial"_s));
    QCOMPARE(p->packageSha256, u"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"_s);
    QCOMPARE(p->writer.rowsPerSecond, 1);
    QCOMPARE(p->gates.maxGapMs, 3000);
    QVERIFY(p->canary);
    QVERIFY(p->host(u"10.10.11.3"_s) != nullptr);
    QVERIFY(p->host(u"10.10.11.9"_s) == nullptr);
}

void tst_UpgradeProfile::saveAndLoadGiveTheSameProfile()
{
    auto original = UpgradeProfile::load(GrayStep::Test::testDataPath(u"profiles/tutorial.graystep.json"_s));
    QVERIFY(original.ok());
    QTemporaryDir dir;
    UpgradeProfile p = *original;
    p.sandbox = true;
    p.apiPassword = {SecretRef::Kind::SandboxDefault, {}};
    p.addressMap = {{u"10.10.11.1"_s, u"127.0.10.1"_s}};
    p.packagePath = dir.filePath(u"packages/DolphinDB_Linux64_V2.00.8.12.zip"_s);
    p.writer.longIds = true;
    const QString path = dir.filePath(u"sandbox.graystep.json"_s);
    QVERIFY(p.save(path).ok());
    const QByteArray text = [&] {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }();
    QVERIFY2(text.contains("\"packages/DolphinDB_Linux64_V2.00.8.12.zip\""), "paths below the file are relative");
    auto loaded = UpgradeProfile::load(path);
    QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error().toString()));
    QCOMPARE(loaded->packagePath, p.packagePath);
    QCOMPARE(*loaded, p);
}

void tst_UpgradeProfile::badProfiles_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");

    QTest::newRow("broken JSON names the line")
        << QByteArray("{\n \"formatVersion\": 1,\n oops\n}") << u"x.graystep.json:3: not valid JSON"_s;
    QTest::newRow("a misspelt field is named with its path")
        << minimal({{u"gates"_s, QJsonObject{{u"maxLostRow"_s, 0}}}}) << u"gates.maxLostRow: unknown field"_s;
    QTest::newRow("a port out of range names the host")
        << minimal({{u"hosts"_s, QJsonArray{QJsonObject{
                         {u"address"_s, u"h"_s}, {u"installDir"_s, u"/x"_s},
                         {u"ssh"_s, QJsonObject{{u"user"_s, u"u"_s}, {u"auth"_s, u"agent"_s}, {u"port"_s, 70000}}}}}}})
        << u"hosts[0].ssh.port: expected a whole number from 1 to 65535"_s;
    QTest::newRow("a user name with shell characters is refused")
        << minimal({{u"hosts"_s, QJsonArray{QJsonObject{
                         {u"address"_s, u"h"_s}, {u"installDir"_s, u"/x"_s},
                         {u"ssh"_s, QJsonObject{{u"user"_s, u"a;rm -rf"_s}, {u"auth"_s, u"agent"_s}}}}}}})
        << u"hosts[0].ssh.user: 'a;rm -rf' is not a valid user name"_s;
    QTest::newRow("a password in the profile is refused")
        << minimal({{u"api"_s, QJsonObject{{u"user"_s, u"admin"_s},
                                           {u"password"_s, QJsonObject{{u"password"_s, u"123456"_s}}}}}})
        << u"api.password: a profile never holds a password"_s;
    QTest::newRow("the sandbox default password only in a sandbox profile")
        << minimal({{u"api"_s, QJsonObject{{u"password"_s, QJsonObject{{u"sandboxDefault"_s, true}}}}}})
        << u"api.password.sandboxDefault: only allowed in a sandbox profile"_s;
    QTest::newRow("two password sources at once")
        << minimal({{u"api"_s, QJsonObject{{u"password"_s, QJsonObject{{u"env"_s, u"A"_s}, {u"ask"_s, true}}}}}})
        << u"api.password: give exactly one of"_s;
    QTest::newRow("key auth without a key file")
        << minimal({{u"hosts"_s, QJsonArray{QJsonObject{
                         {u"address"_s, u"h"_s}, {u"installDir"_s, u"/x"_s},
                         {u"ssh"_s, QJsonObject{{u"user"_s, u"u"_s}}}}}}})
        << u"hosts[0].ssh.keyFile: missing (needed for auth \"key\")"_s;
    QTest::newRow("an unknown auth method")
        << minimal({{u"hosts"_s, QJsonArray{QJsonObject{
                         {u"address"_s, u"h"_s}, {u"installDir"_s, u"/x"_s},
                         {u"ssh"_s, QJsonObject{{u"user"_s, u"u"_s}, {u"auth"_s, u"kerberos"_s}}}}}}})
        << u"hosts[0].ssh.auth: unknown method 'kerberos'"_s;
    QTest::newRow("the same host twice")
        << minimal({{u"hosts"_s, QJsonArray{
                         QJsonObject{{u"address"_s, u"h"_s}, {u"installDir"_s, u"/x"_s},
                                     {u"ssh"_s, QJsonObject{{u"user"_s, u"u"_s}, {u"auth"_s, u"agent"_s}}}},
                         QJsonObject{{u"address"_s, u"h"_s}, {u"installDir"_s, u"/x"_s},
                                     {u"ssh"_s, QJsonObject{{u"user"_s, u"u"_s}, {u"auth"_s, u"agent"_s}}}}}}})
        << u"hosts[1].address: host h is listed twice"_s;
    QTest::newRow("a writer rate above 1000 rows/s")
        << minimal({{u"writer"_s, QJsonObject{{u"rowsPerSecond"_s, 5000}}}})
        << u"writer.rowsPerSecond: expected a whole number from 1 to 1000"_s;
    QTest::newRow("a writer id type other than INT or LONG")
        << minimal({{u"writer"_s, QJsonObject{{u"idType"_s, u"SHORT"_s}}}})
        << u"writer.idType: expected INT or LONG"_s;
    QTest::newRow("a checksum that is not SHA-256")
        << minimal({{u"package"_s, QJsonObject{{u"path"_s, u"p.zip"_s}, {u"sha256"_s, u"abc"_s}}}})
        << u"package.sha256: expected 64 hexadecimal digits"_s;
    QTest::newRow("a profile from a newer GrayStep")
        << minimal({{u"formatVersion"_s, 7}}) << u"formatVersion: version 7 is newer"_s;
    QTest::newRow("no target version") << minimal({}, {u"targetVersion"_s})
                                       << u"targetVersion: missing"_s;
    QTest::newRow("no hosts") << minimal({{u"hosts"_s, QJsonArray{}}}) << u"hosts: missing"_s;
    QTest::newRow("an unknown order policy")
        << minimal({{u"orderPolicy"_s, u"random"_s}}) << u"orderPolicy: unknown policy 'random'"_s;
    QTest::newRow("a top-level array") << QByteArray("[1]") << u"expected a JSON object"_s;
}

void tst_UpgradeProfile::badProfiles()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    auto p = UpgradeProfile::fromJson(json, u"x.graystep.json"_s);
    QVERIFY(!p.ok());
    QCOMPARE(p.error().code, ErrorCode::InvalidInput);
    QVERIFY2(p.error().toString().contains(expected), qPrintable(p.error().toString()));
}

void tst_UpgradeProfile::allProblemsAreListed()
{
    auto p = UpgradeProfile::fromJson(minimal({{u"canary"_s, u"yes"_s}, {u"extra"_s, 1}}, {u"package"_s}),
                                      u"x.graystep.json"_s);
    QVERIFY(!p.ok());
    const QStringList lines = p.error().message.split(u'\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines.contains(u"canary: expected true or false"_s));
    QVERIFY(lines.contains(u"extra: unknown field"_s));
    QVERIFY(lines.contains(u"package: missing (an object with path and sha256)"_s));
}

QTEST_APPLESS_MAIN(tst_UpgradeProfile)
#include "tst_upgradeprofile.moc"
