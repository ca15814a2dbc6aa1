// SPDX-License-Identifier: GPL-3.0-or-later
// The test fixture itself: a handler of requestReceived may stop the server or drop every
// connection (the connection that carried the request is freed then; nothing may touch it
// afterwards, which ASan checks: cmake -DGRAYSTEP_SANITIZE=ON). Loopback 127.0.40.201.
#include "support/ddbreplayserver.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;
using GrayStep::Test::DdbReplayServer;

class tst_DdbReplayServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aHandlerMayStopOrDropConnectionsInsideRequestReceived_data();
    void aHandlerMayStopOrDropConnectionsInsideRequestReceived();
};

void tst_DdbReplayServer::aHandlerMayStopOrDropConnectionsInsideRequestReceived_data()
{
    QTest::addColumn<bool>("stopServer");
    QTest::newRow("the handler stops the server") << true;
    QTest::newRow("the handler closes every connection") << false;
}

void tst_DdbReplayServer::aHandlerMayStopOrDropConnectionsInsideRequestReceived()
{
    QFETCH(bool, stopServer);
    const QHostAddress address(u"127.0.40.201"_s);
    DdbReplayServer server;
    QVERIFY(server.listen(address));
    int handled = 0;
    connect(&server, &DdbReplayServer::requestReceived, &server, [&](const QString &key) {
        if (key == "connect"_L1) {
            ++handled;
            if (stopServer)
                server.stop();
            else
                server.closeAll();
        }
    });
    QTcpSocket socket;
    socket.connectToHost(address, server.port());
    QVERIFY(socket.waitForConnected(3000));
    // Two requests in one write: the second is in the same read as the first, after the
    // connection was freed by the handler; it must be dropped, not parsed or answered.
    socket.write(encodeRequest(DdbRequest::connect())
                 + encodeRequest(DdbRequest::runScript(DdbReplayServer::SESSION_ID, u"1+1"_s)));
    QTRY_COMPARE(handled, 1);
    QTRY_COMPARE(socket.state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(server.received().size(), 1);
    QCOMPARE(socket.bytesAvailable(), 0);   // no reply was written on the dropped connection
}

QTEST_GUILESS_MAIN(tst_DdbReplayServer)
#include "tst_ddbreplayserver.moc"
