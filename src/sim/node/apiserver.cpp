// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/apiserver.h"

#include "sim/node/dfsmeta.h"
#include "sim/node/nodelog.h"
#include "sim/node/simnode.h"

#include "dolphindb/ddbcodec.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QWebSocket>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim {

namespace {

QByteArray newSessionId()
{
    return QByteArray::number(QRandomGenerator::global()->bounded(1000000000u, 2000000000u));
}

} // namespace

ApiSession::ApiSession(SimNode *node, QThreadPool *workers, QTcpSocket *socket, QObject *parent)
    : QObject(parent)
    , m_node(node)
    , m_workers(workers)
    , m_tcp(socket)
    , m_session(std::make_shared<Session>())
{
    socket->setParent(this);
    connect(socket, &QTcpSocket::readyRead, this, [this] {
        if (m_tcp)
            onBytes(m_tcp->readAll());
    });
    connect(socket, &QTcpSocket::disconnected, this, &ApiSession::closed);
    if (socket->bytesAvailable())
        onBytes(socket->readAll());
}

ApiSession::ApiSession(SimNode *node, QThreadPool *workers, QWebSocket *socket, QObject *parent)
    : QObject(parent)
    , m_node(node)
    , m_workers(workers)
    , m_ws(socket)
    , m_session(std::make_shared<Session>())
{
    socket->setParent(this);
    connect(socket, &QWebSocket::binaryMessageReceived, this, &ApiSession::onBytes);
    connect(socket, &QWebSocket::textMessageReceived, this, [this](const QString &) {
        if (m_ws)
            m_ws->close(QWebSocketProtocol::CloseCodeDatatypeNotSupported, u"binary messages only"_s);
    });
    connect(socket, &QWebSocket::disconnected, this, &ApiSession::closed);
}

ApiSession::~ApiSession() = default;

void ApiSession::abort()
{
    if (m_tcp)
        m_tcp->abort();
    if (m_ws)
        m_ws->abort();
}

void ApiSession::onBytes(const QByteArray &bytes)
{
    m_input += bytes;
    pump();
}

void ApiSession::pump()
{
    if (m_busy || m_input.isEmpty())
        return;
    qsizetype consumed = 0;
    const auto status = m_parser.feed(m_input.constData(), m_input.size(), &consumed);
    m_input.remove(0, consumed);
    if (status == DdbRequestParser::Status::NeedMore)
        return;
    if (status == DdbRequestParser::Status::Failed) {
        NodeLog::instance().warning(u"Malformed API request: "_s + m_parser.error().message);
        send(encodeErrorResponse(m_session->id.isEmpty() ? QByteArray("0") : m_session->id, m_parser.error().message));
        abort();
        return;
    }
    DdbRequest request = m_parser.takeRequest();
    m_parser.reset();
    dispatch(std::move(request));
}

void ApiSession::dispatch(DdbRequest request)
{
    m_busy = true;
    QPointer<ApiSession> self(this);
    std::shared_ptr<Session> session = m_session;
    SimNode *node = m_node;
    m_workers->start([self, session, node, request = std::move(request)] {
        const QByteArray reply = ApiServer::execute(node, *session, request);
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, reply] {
                if (self)
                    self->finished(reply);
            },
            Qt::QueuedConnection);
    });
}

void ApiSession::finished(const QByteArray &reply)
{
    m_busy = false;
    if (!reply.isEmpty())
        send(reply);
    pump();
}

void ApiSession::send(const QByteArray &bytes)
{
    if (m_tcp)
        m_tcp->write(bytes);
    else if (m_ws)
        m_ws->sendBinaryMessage(bytes);
}

ApiServer::ApiServer(SimNode *node, QObject *parent)
    : QObject(parent)
    , m_node(node)
{
    m_workers.setMaxThreadCount(qMax(8, node->context().knobs.workerNum * 2));
    m_workers.setExpiryTimeout(10000);
}

ApiServer::~ApiServer()
{
    closeAll();
}

void ApiServer::track(ApiSession *session)
{
    m_sessions << session;
    connect(session, &ApiSession::closed, this, [this, session] {
        m_sessions.removeAll(session);
        session->deleteLater();
    });
}

void ApiServer::acceptRaw(QTcpSocket *socket)
{
    track(new ApiSession(m_node, &m_workers, socket, this));
}

void ApiServer::acceptWebSocket(QWebSocket *socket)
{
    track(new ApiSession(m_node, &m_workers, socket, this));
}

void ApiServer::closeAll()
{
    const QList<ApiSession *> sessions = m_sessions;
    for (ApiSession *s : sessions)
        s->abort();
}

void ApiServer::handleEval(const QJsonObject &request, const PeerConnection::Reply &reply)
{
    SimNode *node = m_node;
    m_workers.start([node, request, reply] {
        QList<DdbValue> args;
        for (const QJsonValue &v : request.value(u"args"_s).toArray()) {
            auto value = DdbDecoder::decode(QByteArray::fromBase64(v.toString().toLatin1()));
            if (!value) {
                reply(PeerLink::errorReply(value.error().message));
                return;
            }
            args << *value;
        }
        ExecContext ctx;
        ctx.node = node;
        Interpreter in(ctx);
        auto r = in.runFunction(request.value(u"fn"_s).toString(), args);
        if (!r) {
            reply(PeerLink::errorReply(r.error().message));
            return;
        }
        reply(QJsonObject{{u"result"_s, QString::fromLatin1(DdbEncoder::encode(*r).toBase64())}});
    });
}

QByteArray ApiServer::execute(SimNode *node, Session &session, const DdbRequest &request)
{
    const bool async = request.options && request.options->isAsync();
    if (request.kind == DdbRequestKind::Connect) {
        session.id = newSessionId();
        if (request.inlineLogin) {
            if (request.user != "admin"_L1 || request.password != "123456"_L1)
                return encodeErrorResponse(session.id, u"The user name or password is incorrect."_s);
            session.user = request.user;
            session.loggedIn = true;
            return encodeResponse(session.id, DdbValue::boolean(true));
        }
        return encodeResponse(session.id, QList<DdbValue>());
    }
    if (session.id.isEmpty())
        session.id = request.sessionId == "0" ? newSessionId() : request.sessionId;
    if (request.kind == DdbRequestKind::Variable) {
        for (qsizetype i = 0; i < request.variableNames.size() && i < request.arguments.size(); ++i)
            session.variables.insert(request.variableNames.at(i), Value::of(request.arguments.at(i)));
        return async ? QByteArray() : encodeResponse(session.id, QList<DdbValue>());
    }
    ExecContext ctx;
    ctx.node = node;
    ctx.session = &session;
    Interpreter in(ctx);
    qint64 seq = 0;
    if (request.options && !request.options->clientId.isEmpty() && request.options->seqNo) {
        ctx.clientId = request.options->clientId;
        seq = *request.options->seqNo;
        ctx.seqNo = qAbs(seq);
    }
    if (seq < 0) {
        // A resend (PROTOCOL.md §5.3): answer with the stored result when that job completed.
        auto found = in.leaderCall(QJsonObject{{u"op"_s, u"dfsResendLookup"_s},
                                               {u"client"_s, QString::fromLatin1(ctx.clientId)},
                                               {u"seq"_s, ctx.seqNo}});
        if (found && found->value(u"found"_s).toBool()) {
            const QByteArray stored = QByteArray::fromBase64(found->value(u"result"_s).toString().toLatin1());
            auto value = DdbDecoder::decode(stored);
            if (value) {
                NodeLog::instance().info(u"Resent job %1 of client %2 already completed: returning its result"_s
                                             .arg(ctx.seqNo)
                                             .arg(QString::fromLatin1(ctx.clientId)));
                return async ? QByteArray() : encodeResponse(session.id, value->isVoid() ? QList<DdbValue>() : QList<DdbValue>{*value});
            }
        }
    }
    Core::Result<DdbValue> result = request.kind == DdbRequestKind::Script ? in.runScript(request.script)
                                                                           : in.runFunction(request.function, request.arguments);
    if (!result)
        return async ? QByteArray() : encodeErrorResponse(session.id, result.error().message);
    if (!ctx.clientId.isEmpty() && ctx.mutated) {
        const QByteArray encoded = DdbEncoder::encode(*result);
        if (!ctx.resultRecorded || encoded != ctx.recordedResult) {
            (void)in.leaderCall(QJsonObject{{u"op"_s, u"dfsPropose"_s},
                                            {u"ops"_s, QJsonArray{DfsOp::resend(QString::fromLatin1(ctx.clientId), ctx.seqNo, encoded)}}});
        }
    }
    if (async)
        return {};
    if (result->isVoid())
        return encodeResponse(session.id, QList<DdbValue>());
    return encodeResponse(session.id, *result);
}

} // namespace GrayStep::Sim
