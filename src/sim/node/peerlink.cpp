// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/peerlink.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonDocument>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

namespace PeerLink {

QJsonObject errorReply(const QString &message)
{
    return QJsonObject{{u"error"_s, message}};
}

Core::Result<QJsonObject> call(const QString &host, int port, const QJsonObject &request, int timeoutMs)
{
    const QString where = host + u':' + QString::number(port);
    QDeadlineTimer deadline(timeoutMs);
    QTcpSocket socket;
    socket.connectToHost(host, quint16(port));
    if (!socket.waitForConnected(int(qMax<qint64>(1, deadline.remainingTime()))))
        return Error(ErrorCode::Network, socket.errorString(), where);
    const QByteArray body = QJsonDocument(request).toJson(QJsonDocument::Compact);
    socket.write("SIM1 " + QByteArray::number(body.size()) + '\n' + body);
    QByteArray buffer;
    qsizetype expected = -1;
    qsizetype headerLen = 0;
    while (true) {
        buffer += socket.readAll();
        if (expected < 0) {
            const qsizetype nl = buffer.indexOf('\n');
            if (nl >= 0) {
                bool ok = false;
                expected = buffer.left(nl).toLongLong(&ok);
                headerLen = nl + 1;
                if (!ok || expected < 0)
                    return Error(ErrorCode::Protocol, u"malformed peer reply header"_s, where);
            }
        }
        if (expected >= 0 && buffer.size() - headerLen >= expected)
            break;
        if (deadline.hasExpired())
            return Error(ErrorCode::Timeout, u"no reply within %1 ms"_s.arg(timeoutMs), where);
        if (!socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())))) {
            buffer += socket.readAll();
            if (expected < 0 || buffer.size() - headerLen < expected) {
                if (socket.state() != QAbstractSocket::ConnectedState)
                    return Error(ErrorCode::Network, u"connection closed before the reply"_s, where);
                if (deadline.hasExpired())
                    return Error(ErrorCode::Timeout, u"no reply within %1 ms"_s.arg(timeoutMs), where);
            }
        }
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(buffer.mid(headerLen, expected), &err);
    if (!doc.isObject())
        return Error(ErrorCode::Protocol, u"malformed peer reply: %1"_s.arg(err.errorString()), where);
    socket.disconnectFromHost();
    return doc.object();
}

} // namespace PeerLink

PeerConnection::PeerConnection(QTcpSocket *socket, Handler handler, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_handler(std::move(handler))
{
    socket->setParent(this);
    connect(socket, &QTcpSocket::readyRead, this, &PeerConnection::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
    onReadyRead();
}

void PeerConnection::onReadyRead()
{
    if (!m_socket || m_dispatched)
        return;
    m_buffer += m_socket->readAll();
    const qsizetype nl = m_buffer.indexOf('\n');
    if (nl < 0) {
        if (m_buffer.size() > 64)
            m_socket->abort();
        return;
    }
    bool ok = false;
    const qsizetype len = m_buffer.mid(5, nl - 5).trimmed().toLongLong(&ok);
    if (!m_buffer.startsWith("SIM1 ") || !ok || len < 0 || len > 256 * 1024 * 1024) {
        m_socket->abort();
        return;
    }
    if (m_buffer.size() - nl - 1 < len)
        return;
    const QJsonDocument doc = QJsonDocument::fromJson(m_buffer.mid(nl + 1, len));
    m_dispatched = true;
    m_buffer.clear();
    if (!doc.isObject()) {
        sendReply(PeerLink::errorReply(u"malformed request"_s));
        return;
    }
    QPointer<PeerConnection> self(this);
    // The reply may come from a worker thread: always deliver it in the connection's thread.
    m_handler(doc.object(), [self](const QJsonObject &reply) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, reply] {
                if (self)
                    self->sendReply(reply);
            },
            Qt::QueuedConnection);
    });
}

void PeerConnection::sendReply(const QJsonObject &reply)
{
    if (!m_socket)
        return;
    const QByteArray body = QJsonDocument(reply).toJson(QJsonDocument::Compact);
    m_socket->write(QByteArray::number(body.size()) + '\n' + body);
    m_socket->disconnectFromHost();
}

} // namespace GrayStep::Sim
