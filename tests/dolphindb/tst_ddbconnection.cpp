// SPDX-License-Identifier: GPL-3.0-or-later
// DdbConnection against the loopback replay server (captured replies of PROTOCOL.md), on
// this helper's loopback block 127.0.20.x.
#include "dolphindb/ddbconnection.h"
#include "support/ddbreplayserver.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;
using GrayStep::Test::DdbReplayReply;
using GrayStep::Test::DdbReplayServer;

namespace {

const QHostAddress ADDR(u"127.0.20.1"_s);

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

QByteArray pnodeRunReply()
{
    return DdbReplayServer::SESSION_ID + " 1 1\nOK\n"
        + hex("00 06 02 00 00 00 02 00 00 00 00 6e 6f 64 65 00 76 61 6c 75 65 00"
              "12 01 02 00 00 00 01 00 00 00 6e 6f 64 65 34 33 00 6e 6f 64 65 34 34 00"
              "12 01 02 00 00 00 01 00 00 00")
        + "2.00.8.12 2023.01.10" + '\0' + "2.00.8.12 2023.01.10" + '\0';
}

DdbCredentials admin()
{
    DdbCredentials c;
    c.user = u"admin"_s;
    c.password = u"123456"_s;
    return c;
}

// Opens conn on server; returns false (with a failure) if it does not open.
bool openOn(DdbConnection &conn, DdbReplayServer &server, const DdbCredentials &cred = admin())
{
    QSignalSpy opened(&conn, &DdbConnection::opened);
    QSignalSpy failed(&conn, &DdbConnection::openFailed);
    conn.open(server.site(), cred);
    if (!opened.wait(5000) && opened.isEmpty()) {
        qWarning() << "open failed:" << (failed.isEmpty() ? QString() : failed.first().first().value<Core::Error>().message);
        return false;
    }
    return true;
}

DdbReply waitReply(DdbConnection &conn, quint64 id, int timeoutMs = 5000)
{
    QSignalSpy spy(&conn, &DdbConnection::requestFinished);
    QElapsedTimer t;
    t.start();
    for (;;) {
        for (const auto &args : std::as_const(spy)) {
            const auto r = args.first().value<DdbReply>();
            if (r.id == id) {
                return r;
            }
        }
        if (t.elapsed() > timeoutMs || !spy.wait(timeoutMs)) {
            for (const auto &args : std::as_const(spy)) {
                const auto r = args.first().value<DdbReply>();
                if (r.id == id) {
                    return r;
                }
            }
            DdbReply none;
            none.error = Core::Error(Core::ErrorCode::Internal, u"test: no reply"_s);
            return none;
        }
    }
}

} // namespace

class tst_DdbConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void openSendsTheCapturedConnectSequence();
    void scriptReturnsTheCapturedInt();
    void serverErrorTextIsKeptVerbatim();
    void msgFramesAreSurfacedAsProgress();
    void splitReplyDecodesTheSame_data();
    void splitReplyDecodesTheSame();
    void functionArgumentsAndUploadReachTheServer();
    void wrongPasswordIsAnAuthErrorWithTheServerText();
    void connectTimeout();
    void connectionRefused();
    void requestTimeoutClosesAndReportsSent();
    void cancelAbortsInFlightAndQueued();
    void serverClosingAfterTheRequestMeansSent();
    void headerWithoutStatusLineIsAClearError();
    void requestsWaitForOpen();
    void versionGatesClientId_data();
    void versionGatesClientId();
    void blockingFacadeFromAWorkerThread();
    void siteParsing();

private:
    std::unique_ptr<DdbReplayServer> m_server;
};

void tst_DdbConnection::init()
{
    m_server = std::make_unique<DdbReplayServer>();
    QVERIFY(m_server->listen(ADDR));
}

void tst_DdbConnection::openSendsTheCapturedConnectSequence()
{
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    QCOMPARE(conn.serverVersion(), u"2.00.8.12 2023.01.10"_s);
    QCOMPARE(conn.sessionId(), DdbReplayServer::SESSION_ID);
    const auto got = m_server->received();
    QCOMPARE(got.size(), 3);
    QCOMPARE(got.at(0).key, u"connect"_s);
    QCOMPARE(got.at(0).request.verb, QByteArray("API"));
    QCOMPARE(got.at(0).rawOptions, QByteArray("32_1_4_2"));
    QCOMPARE(encodeRequest(got.at(0).request), QByteArray("API 0 8 / 32_1_4_2\nconnect\n"));
    QCOMPARE(got.at(1).key, u"function:login"_s);
    QCOMPARE(got.at(1).request.sessionId, DdbReplayServer::SESSION_ID);
    QCOMPARE(got.at(1).request.arguments.size(), 3);
    QCOMPARE(got.at(1).request.arguments.at(0).toString(), u"admin"_s);
    QCOMPARE(got.at(1).request.arguments.at(2).toBool(), false);
    QCOMPARE(got.at(2).key, u"function:version"_s);
    QVERIFY(!conn.supportsClientId());
}

void tst_DdbConnection::scriptReturnsTheCapturedInt()
{
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    const DdbReply r = waitReply(conn, conn.runScript(u"1+1"_s));
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->message : QString()));
    QCOMPARE(r.value.type(), DataType::Int);
    QCOMPARE(r.value.toInt64(), 2);
    QVERIFY(r.sent);
}

void tst_DdbConnection::serverErrorTextIsKeptVerbatim()
{
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    m_server->on(u"script:bad"_s,
                 DdbReplayReply::raw("1000000001 0 1\nSyntax Error: [line #1] Cannot recognize the token bad\n"));
    const DdbReply r = waitReply(conn, conn.runScript(u"bad"_s));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->code, Core::ErrorCode::Server);
    QCOMPARE(r.error->message, u"Syntax Error: [line #1] Cannot recognize the token bad"_s);
    // The session stays usable and takes the new session id.
    QCOMPARE(conn.sessionId(), QByteArray("1000000001"));
    QCOMPARE(waitReply(conn, conn.runScript(u"1+1"_s)).value.toInt64(), 2);
}

void tst_DdbConnection::msgFramesAreSurfacedAsProgress()
{
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    DdbReplayReply reply = DdbReplayReply::raw(encodeMessageFrame(u"step 1"_s) + encodeMessageFrame(u"step 2"_s)
                                               + DdbReplayServer::SESSION_ID + " 1 1\nOK\n" + hex("04 00 02 00 00 00"));
    reply.chunkSizes = {3, 9, 2};
    reply.chunkDelayMs = 5;
    m_server->on(u"script:long()"_s, reply);
    QSignalSpy progress(&conn, &DdbConnection::progressMessage);
    const DdbReply r = waitReply(conn, conn.runScript(u"long()"_s));
    QVERIFY(r.ok());
    QCOMPARE(r.value.toInt64(), 2);
    QCOMPARE(r.messages, (QStringList{u"step 1"_s, u"step 2"_s}));
    QCOMPARE(progress.size(), 2);
    QCOMPARE(progress.at(1).first().toString(), u"step 2"_s);
}

void tst_DdbConnection::splitReplyDecodesTheSame_data()
{
    QTest::addColumn<int>("chunk");
    QTest::newRow("one byte at a time") << 1;
    QTest::newRow("seven bytes at a time") << 7;
    QTest::newRow("header and object apart") << 18;
}

void tst_DdbConnection::splitReplyDecodesTheSame()
{
    QFETCH(int, chunk);
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    DdbReplayReply reply = DdbReplayReply::raw(pnodeRunReply());
    for (int i = 0; i < reply.bytes.size() / chunk + 1; ++i) {
        reply.chunkSizes << chunk;
    }
    reply.chunkDelayMs = 1;
    m_server->on(u"script:pnodeRun(version)"_s, reply);
    const DdbReply r = waitReply(conn, conn.runScript(u"pnodeRun(version)"_s), 10000);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->message : QString()));
    QVERIFY(r.value.isTable());
    QCOMPARE(r.value.columnNames(), (QStringList{u"node"_s, u"value"_s}));
    QCOMPARE(r.value.column(0).stringAt(1), u"node44"_s);
    QCOMPARE(r.value.column(u"value")->stringAt(0), u"2.00.8.12 2023.01.10"_s);
}

void tst_DdbConnection::functionArgumentsAndUploadReachTheServer()
{
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    const auto table = DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                                       {DdbVector::int64s(DataType::Timestamp, {1672531200000LL}),
                                        DdbVector::symbols({u"Apple"_s}), DdbVector::int32s(DataType::Int, {1})});
    QVERIFY(table.ok());
    const QString fn = u"tableInsert{loadTable('dfs://stock','stock')}"_s;
    m_server->on(u"function:"_s + fn, DdbReplayReply::raw(DdbReplayServer::SESSION_ID + " 1 1\nOK\n" + hex("04 00 01 00 00 00")));
    const DdbReply r = waitReply(conn, conn.callFunction(fn, {*table}));
    QVERIFY(r.ok());
    QCOMPARE(r.value.toInt64(), 1);
    const auto got = m_server->received(u"function:"_s + fn);
    QCOMPARE(got.size(), 1);
    QVERIFY(got.first().request.arguments.first() == *table);
    QCOMPARE(got.first().rawOptions, QByteArray("32_1_4_64__0"));

    const DdbReply up = waitReply(conn, conn.upload({u"v1"_s}, {DdbValue::string(u"hello"_s)}));
    QVERIFY(!up.ok());  // the replay server has no reply for it: its error text comes back
    QCOMPARE(m_server->received(u"variable:v1"_s).size(), 1);
    QCOMPARE(m_server->received(u"variable:v1"_s).first().request.arguments.first().toString(), u"hello"_s);
}

void tst_DdbConnection::wrongPasswordIsAnAuthErrorWithTheServerText()
{
    m_server->on(u"function:login"_s, DdbReplayReply::error(u"The user name or password is incorrect."_s));
    DdbConnection conn;
    QSignalSpy failed(&conn, &DdbConnection::openFailed);
    DdbCredentials cred = admin();
    cred.password = u"canary-Xq93"_s;
    conn.open(m_server->site(), cred);
    QVERIFY(failed.wait(5000));
    const auto e = failed.first().first().value<Core::Error>();
    QCOMPARE(e.code, Core::ErrorCode::Auth);
    QCOMPARE(e.message, u"The user name or password is incorrect."_s);
    QVERIFY(!e.toString().contains(u"canary-Xq93"_s));
    QCOMPARE(conn.state(), DdbConnection::State::Disconnected);
}

void tst_DdbConnection::connectTimeout()
{
    m_server->on(u"connect"_s, DdbReplayReply::noReply());
    DdbConnection conn;
    conn.setSettings({300, 1000});
    QSignalSpy failed(&conn, &DdbConnection::openFailed);
    QElapsedTimer t;
    t.start();
    conn.open(m_server->site(), admin());
    QVERIFY(failed.wait(5000));
    QCOMPARE(failed.first().first().value<Core::Error>().code, Core::ErrorCode::Timeout);
    QVERIFY(t.elapsed() < 3000);
}

void tst_DdbConnection::connectionRefused()
{
    const DdbSite site = m_server->site();
    m_server->stop();
    DdbConnection conn;
    QSignalSpy failed(&conn, &DdbConnection::openFailed);
    conn.open(site, admin());
    QVERIFY(failed.wait(5000));
    QCOMPARE(failed.first().first().value<Core::Error>().code, Core::ErrorCode::Network);
    QCOMPARE(failed.first().first().value<Core::Error>().where, site.toString());
}

void tst_DdbConnection::requestTimeoutClosesAndReportsSent()
{
    m_server->on(u"script:sleep(100000)"_s, DdbReplayReply::noReply());
    DdbConnection conn;
    conn.setSettings({5000, 300});
    QVERIFY(openOn(conn, *m_server));
    const DdbReply r = waitReply(conn, conn.runScript(u"sleep(100000)"_s));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->code, Core::ErrorCode::Timeout);
    QVERIFY(r.sent);
    QCOMPARE(conn.state(), DdbConnection::State::Disconnected);
}

void tst_DdbConnection::cancelAbortsInFlightAndQueued()
{
    m_server->on(u"script:sleep(100000)"_s, DdbReplayReply::noReply());
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    QSignalSpy received(m_server.get(), &DdbReplayServer::requestReceived);
    QSignalSpy finished(&conn, &DdbConnection::requestFinished);
    const quint64 first = conn.runScript(u"sleep(100000)"_s);
    const quint64 second = conn.runScript(u"1+1"_s);
    QVERIFY(received.wait(5000));
    conn.cancel();
    QTRY_COMPARE(finished.size(), 2);
    const auto a = finished.at(0).first().value<DdbReply>();
    const auto b = finished.at(1).first().value<DdbReply>();
    QCOMPARE(a.id, first);
    QCOMPARE(a.error->code, Core::ErrorCode::Cancelled);
    QVERIFY(a.sent);
    QCOMPARE(b.id, second);
    QCOMPARE(b.error->code, Core::ErrorCode::Cancelled);
    QVERIFY(!b.sent);
    QCOMPARE(m_server->received(u"script:1+1"_s).size(), 0);
}

void tst_DdbConnection::serverClosingAfterTheRequestMeansSent()
{
    m_server->on(u"script:x"_s, DdbReplayReply::closeAfterRequest());
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    QSignalSpy lost(&conn, &DdbConnection::disconnected);
    const DdbReply r = waitReply(conn, conn.runScript(u"x"_s));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->code, Core::ErrorCode::Network);
    QVERIFY(r.sent);
    QCOMPARE(lost.size(), 1);
}

void tst_DdbConnection::headerWithoutStatusLineIsAClearError()
{
    m_server->on(u"script:x"_s, DdbReplayReply::partThenClose(DdbReplayServer::SESSION_ID + " 1 1\n"));
    DdbConnection conn;
    QVERIFY(openOn(conn, *m_server));
    const DdbReply r = waitReply(conn, conn.runScript(u"x"_s));
    QVERIFY(!r.ok());
    QVERIFY2(r.error->message.contains(u"before the status line"_s), qPrintable(r.error->message));
    QVERIFY(r.sent);
}

void tst_DdbConnection::requestsWaitForOpen()
{
    DdbConnection conn;
    QSignalSpy finished(&conn, &DdbConnection::requestFinished);
    // Not connected: fails (asynchronously) without sending.
    const quint64 early = conn.runScript(u"1+1"_s);
    QVERIFY(finished.wait(2000));
    QCOMPARE(finished.first().first().value<DdbReply>().id, early);
    QVERIFY(!finished.first().first().value<DdbReply>().sent);
    finished.clear();
    conn.open(m_server->site(), admin());
    const quint64 queued = conn.runScript(u"1+1"_s);
    QVERIFY(finished.wait(5000));
    const auto r = finished.first().first().value<DdbReply>();
    QCOMPARE(r.id, queued);
    QCOMPARE(r.value.toInt64(), 2);
}

void tst_DdbConnection::versionGatesClientId_data()
{
    QTest::addColumn<QString>("version");
    QTest::addColumn<bool>("supported");
    QTest::newRow("2.00.8.12 does not") << u"2.00.8.12 2023.01.10"_s << false;
    QTest::newRow("2.00.9 does") << u"2.00.9 2023.02.10"_s << true;
    QTest::newRow("2.00.9.2 JIT does") << u"2.00.9.2 2023.03.10 JIT"_s << true;
    QTest::newRow("2.00.10 does") << u"2.00.10.1 2023.06.01"_s << true;
    QTest::newRow("1.30.20.4 does not") << u"1.30.20.4 2022.12.01"_s << false;
    QTest::newRow("1.30.20.5 does") << u"1.30.20.5 2023.01.01"_s << true;
    QTest::newRow("1.30.21 does") << u"1.30.21.1 2023.03.01"_s << true;
    QTest::newRow("3.00.0 does") << u"3.00.0 2024.03.31 LINUX x86_64"_s << true;
    QTest::newRow("garbage does not") << u"unknown"_s << false;
}

void tst_DdbConnection::versionGatesClientId()
{
    QFETCH(QString, version);
    QFETCH(bool, supported);
    QCOMPARE(DdbConnection::versionSupportsClientId(version), supported);
}

void tst_DdbConnection::blockingFacadeFromAWorkerThread()
{
    // The replay server lives in this thread; the blocking calls run in another one.
    m_server->on(u"script:pnodeRun(version)"_s, DdbReplayReply::raw(pnodeRunReply()));
    const DdbSite site = m_server->site();
    Core::Status openStatus = Core::Error(Core::ErrorCode::Internal, u"not run"_s);
    QString version;
    qint64 rows = -1;
    QString err;
    std::unique_ptr<QThread> worker(QThread::create([&] {
        DdbBlockingConnection b;
        openStatus = b.open(site, admin());
        const auto r = b.run(u"pnodeRun(version)"_s);
        if (r) {
            rows = r->rowCount();
        }
        const auto e = b.run(u"nonsense"_s);
        err = e.ok() ? QString() : e.error().message;
        version = b.serverVersion();
    }));
    worker->start();
    QTRY_VERIFY_WITH_TIMEOUT(worker->isFinished(), 10000);
    QVERIFY(openStatus.ok());
    QCOMPARE(rows, qint64(2));
    QCOMPARE(version, u"2.00.8.12 2023.01.10"_s);
    QVERIFY2(err.startsWith(u"Syntax Error"_s), qPrintable(err));
}

void tst_DdbConnection::siteParsing()
{
    const auto s = DdbSite::parse(u"10.10.11.1:8920:HActl43"_s);
    QVERIFY(s.ok());
    QCOMPARE(s->host, u"10.10.11.1"_s);
    QCOMPARE(s->port, quint16(8920));
    QCOMPARE(s->alias, u"HActl43"_s);
    QVERIFY(DdbSite::parse(u"127.0.0.1:8922"_s).ok());
    QVERIFY(!DdbSite::parse(u"127.0.0.1"_s).ok());
    QVERIFY(!DdbSite::parse(u"127.0.0.1:99999"_s).ok());
    QVERIFY(!DdbSite::parse(u":80"_s).ok());
}

QTEST_GUILESS_MAIN(tst_DdbConnection)

#include "tst_ddbconnection.moc"
