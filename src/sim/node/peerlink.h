// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>

#include <functional>

namespace GrayStep::Sim {

// The nodes' internal protocol (our own; the real server's internal RPC is undocumented):
// on the node's normal port, a connection that starts with "SIM1 " carries one request
//   "SIM1 <length>\n<compact JSON object>"
// and gets one reply "<length>\n<compact JSON object>", then the connection closes.
// Errors are replies with a string member "error".
namespace PeerLink {

constexpr int kDefaultTimeoutMs = 2000;

// Blocking call; usable from any thread (the socket lives in the calling thread).
Core::Result<QJsonObject> call(const QString &host, int port, const QJsonObject &request,
                               int timeoutMs = kDefaultTimeoutMs);

QJsonObject errorReply(const QString &message);
inline bool isError(const QJsonObject &reply) { return reply.contains(QLatin1String("error")); }

} // namespace PeerLink

// Server side of one internal connection, created by the listener after it saw "SIM1 ".
class PeerConnection final : public QObject
{
    Q_OBJECT

public:
    using Reply = std::function<void(const QJsonObject &)>;
    using Handler = std::function<void(const QJsonObject &request, Reply reply)>;

    PeerConnection(QTcpSocket *socket, Handler handler, QObject *parent = nullptr);

private:
    void onReadyRead();
    void sendReply(const QJsonObject &reply);

    QPointer<QTcpSocket> m_socket;
    Handler m_handler;
    QByteArray m_buffer;
    bool m_dispatched = false;
};

} // namespace GrayStep::Sim
