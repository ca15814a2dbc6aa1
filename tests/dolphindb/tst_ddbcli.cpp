// SPDX-License-Identifier: GPL-3.0-or-later
// `graystep-cli ddb` end to end against the loopback replay server (127.0.20.4).
#include "dolphindb/ddbformat.h"
#include "support/ddbreplayserver.h"
#include "support/testdata.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;
using GrayStep::Test::DdbReplayReply;
using GrayStep::Test::DdbReplayServer;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

} // namespace

class tst_DdbCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void tableIsPrintedAsText();
    void jsonOutput();
    void passwordComesFromTheEnvironment();
    void defaultPasswordIsTheSandboxOne();
    void passwordOnTheCommandLineIsRefused();
    void serverErrorExitsWithProblem();
    void badUsage_data();
    void badUsage();
    void formatting();

private:
    Run run(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
    std::unique_ptr<DdbReplayServer> m_server;
};

void tst_DdbCli::init()
{
    m_server = std::make_unique<DdbReplayServer>();
    QVERIFY(m_server->listen(QHostAddress(u"127.0.20.4"_s)));
    m_server->on(u"script:pnodeRun(version)"_s,
                 DdbReplayReply::raw(DdbReplayServer::SESSION_ID + " 1 1\nOK\n"
                                     + QByteArray::fromHex("0006020000000200000000 6e6f646500 76616c756500"
                                                           "120102000000010000006e6f6465343300 6e6f6465343400"
                                                           "120102000000 01000000")
                                     + "2.00.8.12 2023.01.10" + '\0' + "2.00.8.12 2023.01.10" + '\0'));
}

Run tst_DdbCli::run(const QStringList &args, const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    QSignalSpy finished(&p, &QProcess::finished);
    p.start(Test::binDir() + u"/graystep-cli"_s, args);
    // The replay server needs this thread's event loop while the CLI runs.
    if (!finished.wait(15000)) {
        p.kill();
        p.waitForFinished();
    }
    Run r{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
          QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    if (r.exitCode < 0) {
        qWarning() << "graystep-cli" << args << "did not exit normally:" << p.errorString() << r.err;
    }
    return r;
}

void tst_DdbCli::tableIsPrintedAsText()
{
    const Run r = run({u"ddb"_s, m_server->site().toString(), u"pnodeRun(version)"_s});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, u"node    value\n------  --------------------\nnode43  2.00.8.12 2023.01.10\nnode44  2.00.8.12 2023.01.10\n"_s);
}

void tst_DdbCli::jsonOutput()
{
    const Run r = run({u"ddb"_s, m_server->site().toString(), u"1+1"_s, u"--json"_s});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o.value(u"form"_s).toString(), u"SCALAR"_s);
    QCOMPARE(o.value(u"type"_s).toString(), u"INT"_s);
    QCOMPARE(o.value(u"value"_s).toInt(), 2);
    const Run t = run({u"ddb"_s, m_server->site().toString(), u"pnodeRun(version)"_s, u"--json"_s});
    const QJsonObject table = QJsonDocument::fromJson(t.out.toUtf8()).object();
    QCOMPARE(table.value(u"rows"_s).toInt(), 2);
    QCOMPARE(table.value(u"value"_s).toObject().value(u"rows"_s).toArray().at(1).toArray().at(0).toString(), u"node44"_s);
}

void tst_DdbCli::passwordComesFromTheEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"GS_TEST_DDB_PW"_s, u"canary-7Hq2"_s);
    const Run r = run({u"ddb"_s, m_server->site().toString(), u"--user"_s, u"ops"_s, u"--password-env"_s,
                       u"GS_TEST_DDB_PW"_s, u"1+1"_s}, env);
    QCOMPARE(r.exitCode, 0);
    const auto login = m_server->received(u"function:login"_s);
    QCOMPARE(login.size(), 1);
    QCOMPARE(login.first().request.arguments.at(0).toString(), u"ops"_s);
    QCOMPARE(login.first().request.arguments.at(1).toString(), u"canary-7Hq2"_s);
    QVERIFY(!r.out.contains(u"canary"_s) && !r.err.contains(u"canary"_s));
    // Refused login: the server's text, never the password.
    m_server->on(u"function:login"_s, DdbReplayReply::error(u"The user name or password is incorrect."_s));
    const Run bad = run({u"ddb"_s, m_server->site().toString(), u"--password-env"_s, u"GS_TEST_DDB_PW"_s, u"1+1"_s}, env);
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains(u"The user name or password is incorrect."_s), qPrintable(bad.err));
    QVERIFY(!bad.err.contains(u"canary"_s));
}

void tst_DdbCli::defaultPasswordIsTheSandboxOne()
{
    const Run r = run({u"ddb"_s, m_server->site().toString(), u"1+1"_s});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, u"2\n"_s);
    const auto login = m_server->received(u"function:login"_s);
    QCOMPARE(login.first().request.arguments.at(0).toString(), u"admin"_s);
    QCOMPARE(login.first().request.arguments.at(1).toString(), u"123456"_s);
}

void tst_DdbCli::passwordOnTheCommandLineIsRefused()
{
    const Run r = run({u"ddb"_s, m_server->site().toString(), u"--password"_s, u"x"_s, u"1+1"_s});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(u"--password-env"_s));
    QCOMPARE(m_server->connectionCount(), 0);
}

void tst_DdbCli::serverErrorExitsWithProblem()
{
    const Run r = run({u"ddb"_s, m_server->site().toString(), u"bad"_s, u"--json"_s});
    QCOMPARE(r.exitCode, 1);
    const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o.value(u"error"_s).toString(), u"Syntax Error: [line #1] Cannot recognize the token bad"_s);
    QCOMPARE(o.value(u"code"_s).toString(), Core::errorCodeName(Core::ErrorCode::Server));
}

void tst_DdbCli::badUsage_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("no script") << QStringList{u"ddb"_s, u"127.0.20.4:1"_s};
    QTest::newRow("site without port") << QStringList{u"ddb"_s, u"127.0.20.4"_s, u"1+1"_s};
    QTest::newRow("unset password variable") << QStringList{u"ddb"_s, u"127.0.20.4:1"_s, u"--password-env"_s,
                                                            u"GS_SURELY_UNSET_VARIABLE"_s, u"1+1"_s};
    QTest::newRow("unknown option") << QStringList{u"ddb"_s, u"127.0.20.4:1"_s, u"--frobnicate"_s, u"1+1"_s};
    QTest::newRow("bad timeout") << QStringList{u"ddb"_s, u"127.0.20.4:1"_s, u"--timeout"_s, u"-3"_s, u"1+1"_s};
}

void tst_DdbCli::badUsage()
{
    QFETCH(QStringList, args);
    const Run r = run(args);
    QCOMPARE(r.exitCode, 2);
}

void tst_DdbCli::formatting()
{
    QCOMPARE(formatText(DdbValue::vector(DdbVector::int32s(DataType::Int, {1, NULL_INT, 30}))),
             u"INT\n---\n1\n\n30\n"_s);
    QCOMPARE(formatText(DdbValue::string(u"2.00.8.12 2023.01.10"_s)), u"2.00.8.12 2023.01.10\n"_s);
    const QString many = formatText(DdbValue::vector(DdbVector::int32s(DataType::Int, {1, 2, 3})), 2);
    QVERIFY2(many.endsWith(u"... 1 more rows (3 in total)\n"_s), qPrintable(many));
    QCOMPARE(formatText(DdbValue::dictionary(DdbVector::strings({u"a"_s}), DdbVector::int32s(DataType::Int, {1}))),
             u"key  value\n---  -----\na    1\n"_s);
}

QTEST_GUILESS_MAIN(tst_DdbCli)

#include "tst_ddbcli.moc"
