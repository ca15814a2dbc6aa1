// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/peerlink.h"

#include <QObject>
#include <QTcpServer>

#include <functional>

class QWebSocket;
class QWebSocketServer;

namespace GrayStep::Sim {

// The node's one port (PROTOCOL.md §8.3): peeks the first bytes of every connection and hands it
// to the raw API session ("API"), the WebSocket server ("GET ", binary messages only) or the
// internal peer protocol ("SIM1 "). Anything else is dropped.
class Listener final : public QObject
{
    Q_OBJECT

public:
    using RawHandler = std::function<void(QTcpSocket *)>;
    using WebSocketHandler = std::function<void(QWebSocket *)>;

    Listener(RawHandler raw, WebSocketHandler ws, PeerConnection::Handler peer, QObject *parent = nullptr);
    ~Listener() override;

    bool listen(const QString &host, int port, QString *error);
    void close();
    int connectionCount() const { return m_connections; }
    void connectionClosed() { --m_connections; }
    void connectionOpened() { ++m_connections; }

private:
    void onNewConnection();
    void route(QTcpSocket *socket);

    QTcpServer m_server;
    QWebSocketServer *m_ws = nullptr;
    RawHandler m_raw;
    WebSocketHandler m_wsHandler;
    PeerConnection::Handler m_peer;
    int m_connections = 0;
};

} // namespace GrayStep::Sim
