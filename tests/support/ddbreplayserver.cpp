// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/ddbreplayserver.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Test {

DdbReplayReply DdbReplayReply::raw(const QByteArray &bytes)
{
    DdbReplayReply r;
    r.bytes = bytes;
    return r;
}

DdbReplayReply DdbReplayReply::value(const DdbValue &value)
{
    if (value.isVoid() && !value.isNull()) {
        return raw(DdbReplayServer::SESSION_ID + " 0 1\nOK\n");
    }
    return raw(encodeResponse(DdbReplayServer::SESSION_ID, value));
}

DdbReplayReply DdbReplayReply::error(const QString &text)
{
    return raw(encodeErrorResponse(DdbReplayServer::SESSION_ID, text));
}

DdbReplayReply DdbReplayReply::noReply()
{
    DdbReplayReply r;
    r.action = Action::NoReply;
    return r;
}

DdbReplayReply DdbReplayReply::closeAfterRequest()
{
    DdbReplayReply r;
    r.action = Action::CloseAfterRequest;
    return r;
}

DdbReplayReply DdbReplayReply::partThenClose(const QByteArray &bytes)
{
    DdbReplayReply r;
    r.action = Action::SendPartThenClose;
    r.bytes = bytes;
    return r;
}

struct DdbReplayServer::Client
{
    int index = 0;
    QPointer<QTcpSocket> socket;
    DdbRequestParser parser;
};

DdbReplayServer::DdbReplayServer(QObject *parent)
    : QObject(parent)
{
    // The captured conversation of PROTOCOL.md §0 / §3.1.
    on(u"connect"_s, DdbReplayReply::raw(SESSION_ID + " 0 1\nOK\n"));
    on(u"function:login"_s, DdbReplayReply::raw(SESSION_ID + " 1 1\nOK\n" + QByteArray::fromHex("010001")));
    on(u"function:version"_s,
       DdbReplayReply::raw(SESSION_ID + " 1 1\nOK\n" + QByteArray::fromHex("1200") + "2.00.8.12 2023.01.10" + '\0'));
    on(u"function:isNodeInitialized"_s, DdbReplayReply::raw(SESSION_ID + " 1 1\nOK\n" + QByteArray::fromHex("010001")));
    on(u"script:1+1"_s, DdbReplayReply::raw(QByteArray::fromHex("31313636393533323231203120310a4f4b0a0400020000 00")));
    connect(&m_server, &QTcpServer::newConnection, this, &DdbReplayServer::onNewConnection);
}

DdbReplayServer::~DdbReplayServer()
{
    stop();
}

bool DdbReplayServer::listen(const QHostAddress &address, quint16 port)
{
    return m_server.listen(address, port);
}

quint16 DdbReplayServer::port() const
{
    return m_server.serverPort();
}

DdbSite DdbReplayServer::site() const
{
    DdbSite s;
    s.host = m_server.serverAddress().toString();
    s.port = m_server.serverPort();
    return s;
}

void DdbReplayServer::on(const QString &key, const DdbReplayReply &reply)
{
    m_standing.insert(key, reply);
}

void DdbReplayServer::onOnce(const QString &key, const DdbReplayReply &reply)
{
    m_once[key].append(reply);
}

void DdbReplayServer::setFallback(std::function<DdbReplayReply(const DdbRequest &)> fallback)
{
    m_fallback = std::move(fallback);
}

QList<DdbReplayServer::Received> DdbReplayServer::received() const
{
    return m_received;
}

QList<DdbReplayServer::Received> DdbReplayServer::received(const QString &key) const
{
    QList<Received> out;
    for (const Received &r : m_received) {
        if (r.key == key) {
            out << r;
        }
    }
    return out;
}

int DdbReplayServer::connectionCount() const
{
    return m_connections;
}

void DdbReplayServer::closeAll()
{
    const QList<Client *> clients = std::exchange(m_clients, {});
    for (Client *c : clients) {
        if (c->socket) {
            c->socket->disconnect(this);
            c->socket->abort();
            c->socket->deleteLater();
        }
        delete c;
    }
}

void DdbReplayServer::stop()
{
    m_server.close();
    closeAll();
}

QString DdbReplayServer::keyOf(const DdbRequest &request)
{
    switch (request.kind) {
    case DdbRequestKind::Connect:
        return u"connect"_s;
    case DdbRequestKind::Script:
        return u"script:"_s + request.script;
    case DdbRequestKind::Function:
        return u"function:"_s + request.function;
    case DdbRequestKind::Variable:
        return u"variable:"_s + request.variableNames.join(u',');
    }
    return {};
}

void DdbReplayServer::onNewConnection()
{
    while (QTcpSocket *s = m_server.nextPendingConnection()) {
        auto *c = new Client;
        c->index = m_connections++;
        c->socket = s;
        s->setParent(this);
        m_clients << c;
        connect(s, &QTcpSocket::readyRead, this, [this, c] { onReadyRead(c); });
        connect(s, &QTcpSocket::disconnected, this, [this, c] {
            if (m_clients.removeOne(c)) {
                if (c->socket) {
                    c->socket->disconnect(this);   // no readyRead for a deleted client
                    c->socket->deleteLater();
                }
                delete c;
            }
        });
    }
}

DdbReplayReply DdbReplayServer::replyFor(const DdbRequest &request, const QString &key)
{
    auto once = m_once.find(key);
    if (once != m_once.end() && !once->isEmpty()) {
        return once->takeFirst();
    }
    auto it = m_standing.constFind(key);
    if (it != m_standing.constEnd()) {
        return *it;
    }
    if (m_fallback) {
        return m_fallback(request);
    }
    if (request.kind == DdbRequestKind::Function) {
        return DdbReplayReply::error(u"Can't recognize function name "_s + request.function);
    }
    return DdbReplayReply::error(u"Syntax Error: [line #1] Cannot recognize the token "_s
                                 + request.script.section(u' ', 0, 0));
}

void DdbReplayServer::onReadyRead(Client *c)
{
    if (!c->socket) {
        return;
    }
    const QByteArray data = c->socket->readAll();
    qsizetype pos = 0;
    while (pos < data.size()) {
        qsizetype used = 0;
        const auto s = c->parser.feed(data.constData() + pos, data.size() - pos, &used);
        pos += used;
        if (s == DdbRequestParser::Status::NeedMore) {
            break;
        }
        if (s == DdbRequestParser::Status::Failed) {
            c->socket->write(encodeErrorResponse(SESSION_ID, c->parser.error().message));
            c->socket->disconnectFromHost();
            return;
        }
        Received r;
        r.connection = c->index;
        r.rawOptions = c->parser.rawOptions();
        r.request = c->parser.takeRequest();
        r.key = keyOf(r.request);
        c->parser.reset();
        m_received << r;
        const DdbReplayReply reply = replyFor(r.request, r.key);
        Q_EMIT requestReceived(r.key);
        // A handler may have stopped the server or dropped the connections: `c` is gone then.
        if (!m_clients.contains(c)) {
            return;
        }
        respond(c, reply);
        if (!m_clients.contains(c)) {
            return;
        }
    }
}

void DdbReplayServer::respond(Client *c, const DdbReplayReply &reply)
{
    QPointer<QTcpSocket> socket = c->socket;
    switch (reply.action) {
    case DdbReplayReply::Action::NoReply:
        return;
    case DdbReplayReply::Action::CloseAfterRequest:
        socket->abort();
        return;
    case DdbReplayReply::Action::SendPartThenClose:
        socket->write(reply.bytes);
        socket->flush();
        socket->disconnectFromHost();
        return;
    case DdbReplayReply::Action::Send:
        break;
    }
    QList<QByteArray> pieces;
    qsizetype pos = 0;
    for (int n : reply.chunkSizes) {
        if (pos >= reply.bytes.size()) {
            break;
        }
        pieces << reply.bytes.mid(pos, n);
        pos += n;
    }
    if (pos < reply.bytes.size()) {
        pieces << reply.bytes.mid(pos);
    }
    if (reply.delayMs == 0 && reply.chunkDelayMs == 0) {
        for (const QByteArray &p : std::as_const(pieces)) {
            socket->write(p);
            socket->flush();
        }
        return;
    }
    int at = reply.delayMs;
    for (const QByteArray &p : std::as_const(pieces)) {
        QTimer::singleShot(at, this, [socket, p] {
            if (socket) {
                socket->write(p);
                socket->flush();
            }
        });
        at += reply.chunkDelayMs;
    }
}

} // namespace GrayStep::Test
