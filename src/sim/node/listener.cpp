// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/listener.h"

#include <QHostAddress>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

Listener::Listener(RawHandler raw, WebSocketHandler ws, PeerConnection::Handler peer, QObject *parent)
    : QObject(parent)
    , m_ws(new QWebSocketServer(u"DolphinDB"_s, QWebSocketServer::NonSecureMode, this))
    , m_raw(std::move(raw))
    , m_wsHandler(std::move(ws))
    , m_peer(std::move(peer))
{
    connect(&m_server, &QTcpServer::newConnection, this, &Listener::onNewConnection);
    connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *socket = m_ws->nextPendingConnection())
            m_wsHandler(socket);
    });
}

Listener::~Listener() = default;

bool Listener::listen(const QString &host, int port, QString *error)
{
    m_server.setMaxPendingConnections(1024);
    if (!m_server.listen(QHostAddress(host), quint16(port))) {
        *error = m_server.errorString();
        return false;
    }
    return true;
}

void Listener::close()
{
    m_server.close();
}

void Listener::onNewConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        if (socket->bytesAvailable() >= 4) {
            route(socket);
            continue;
        }
        auto conn = std::make_shared<QMetaObject::Connection>();
        *conn = connect(socket, &QTcpSocket::readyRead, this, [this, socket, conn] {
            if (socket->bytesAvailable() < 4)
                return;
            disconnect(*conn);
            route(socket);
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void Listener::route(QTcpSocket *socket)
{
    const QByteArray head = socket->peek(4);
    if (head == "SIM1") {
        new PeerConnection(socket, m_peer, this);
    } else if (head == "GET ") {
        m_ws->handleConnection(socket);
    } else if (head.startsWith("API")) {
        m_raw(socket);
    } else {
        socket->abort();
        socket->deleteLater();
    }
}

} // namespace GrayStep::Sim
