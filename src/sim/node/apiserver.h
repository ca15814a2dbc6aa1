// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/interpreter.h"
#include "sim/node/peerlink.h"

#include "dolphindb/ddbprotocol.h"

#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <memory>

class QTcpSocket;
class QWebSocket;

namespace GrayStep::Sim {

class SimNode;

// One API connection (raw TCP or WebSocket): parses requests with the protocol library's
// DdbRequestParser, runs each in a worker thread through the Interpreter and writes exactly one
// response per request (none for asynchronous requests, flag 4). Strictly one request in flight.
class ApiSession final : public QObject
{
    Q_OBJECT

public:
    ApiSession(SimNode *node, QThreadPool *workers, QTcpSocket *socket, QObject *parent);
    ApiSession(SimNode *node, QThreadPool *workers, QWebSocket *socket, QObject *parent);
    ~ApiSession() override;

    void abort();

Q_SIGNALS:
    void closed();

private:
    void onBytes(const QByteArray &bytes);
    void pump();
    void dispatch(DolphinDb::DdbRequest request);
    void send(const QByteArray &bytes);
    void finished(const QByteArray &reply);

    SimNode *m_node;
    QThreadPool *m_workers;
    QPointer<QTcpSocket> m_tcp;
    QPointer<QWebSocket> m_ws;
    DolphinDb::DdbRequestParser m_parser;
    QByteArray m_input;
    bool m_busy = false;
    std::shared_ptr<Session> m_session;
};

// Owns the sessions and the worker pool; also runs internal {"op":"eval"} requests.
class ApiServer final : public QObject
{
    Q_OBJECT

public:
    explicit ApiServer(SimNode *node, QObject *parent = nullptr);
    ~ApiServer() override;

    void acceptRaw(QTcpSocket *socket);
    void acceptWebSocket(QWebSocket *socket);
    int sessionCount() const { return int(m_sessions.size()); }
    void closeAll();
    void handleEval(const QJsonObject &request, const PeerConnection::Reply &reply);

    // Runs one request (worker thread); returns the response bytes, or empty for no response.
    static QByteArray execute(SimNode *node, Session &session, const DolphinDb::DdbRequest &request);

private:
    void track(ApiSession *session);

    SimNode *m_node;
    QThreadPool m_workers;
    QList<ApiSession *> m_sessions;
};

} // namespace GrayStep::Sim
