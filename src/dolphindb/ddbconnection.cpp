// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/ddbconnection.h"

#include "dolphindb/logging.h"

#include <QCoreApplication>
#include <QHash>
#include <QMutex>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <future>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::DolphinDb {

// ---------------------------------------------------------------- DdbSite

Core::Result<DdbSite> DdbSite::parse(const QString &text)
{
    const QStringList parts = text.trimmed().split(u':');
    if (parts.size() < 2 || parts.size() > 3 || parts.at(0).isEmpty()) {
        return Core::Error(Core::ErrorCode::InvalidInput,
                           u"'%1' is not a site (expected host:port or host:port:alias)"_s.arg(text));
    }
    bool ok = false;
    const uint port = parts.at(1).toUInt(&ok);
    if (!ok || port == 0 || port > 65535) {
        return Core::Error(Core::ErrorCode::InvalidInput, u"'%1' has an invalid port"_s.arg(text));
    }
    DdbSite s;
    s.host = parts.at(0);
    s.port = quint16(port);
    if (parts.size() == 3) {
        s.alias = parts.at(2);
    }
    return s;
}

QString DdbSite::toString() const
{
    return host + u':' + QString::number(port);
}

// ---------------------------------------------------------------- DdbConnection

namespace {

enum class Internal { None, Connect, Login, Version };

struct Pending
{
    quint64 id = 0;
    DdbRequest request;
    Internal internal = Internal::None;
    int timeoutMs = -1;
    qint64 unwritten = 0;
    bool sent = false;
    QStringList messages;
};

} // namespace

struct DdbConnection::Private
{
    DdbConnection *q;
    DdbConnectionSettings settings;
    QTcpSocket *socket = nullptr;
    QTimer *connectTimer;   // children of q: they move with it to another thread
    QTimer *requestTimer;
    State state = State::Disconnected;
    DdbSite site;
    DdbCredentials credentials;
    QByteArray sessionId = "0";
    QString version;
    QList<Pending> queue;
    bool inFlight = false;
    DdbResponseParser parser;
    quint64 nextId = 1;

    explicit Private(DdbConnection *qq)
        : q(qq)
        , connectTimer(new QTimer(qq))
        , requestTimer(new QTimer(qq))
    {
        connectTimer->setSingleShot(true);
        requestTimer->setSingleShot(true);
    }

    QString where() const { return site.toString(); }

    void pump();
    void onReadyRead();
    void onBytesWritten(qint64 n);
    void complete(const DdbResponse &response);
    void handleInternal(const Pending &p, const DdbReply &reply);
    // Fails everything, drops the socket, emits openFailed/disconnected as appropriate.
    void fatal(const Core::Error &error, bool deliberate = false);
    void dropSocket();
    void enqueueInternalFront(Internal kind, DdbRequest request);
};

DdbConnection::DdbConnection(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this))
{
    connect(d->connectTimer, &QTimer::timeout, this, [this] {
        d->fatal(Core::Error(Core::ErrorCode::Timeout,
                             u"could not open a session within %1 ms"_s.arg(d->settings.connectTimeoutMs),
                             d->where()));
    });
    connect(d->requestTimer, &QTimer::timeout, this, [this] {
        const int ms = d->queue.isEmpty() ? 0 : d->queue.first().timeoutMs;
        d->fatal(Core::Error(Core::ErrorCode::Timeout, u"no reply within %1 ms"_s.arg(ms), d->where()));
    });
}

DdbConnection::~DdbConnection()
{
    if (d->socket) {
        d->socket->disconnect(this);
        d->socket->abort();
    }
}

void DdbConnection::setSettings(const DdbConnectionSettings &settings)
{
    d->settings = settings;
}

DdbConnectionSettings DdbConnection::settings() const
{
    return d->settings;
}

DdbConnection::State DdbConnection::state() const
{
    return d->state;
}

DdbSite DdbConnection::site() const
{
    return d->site;
}

QByteArray DdbConnection::sessionId() const
{
    return d->sessionId;
}

QString DdbConnection::serverVersion() const
{
    return d->version;
}

bool DdbConnection::supportsClientId() const
{
    return versionSupportsClientId(d->version);
}

bool DdbConnection::versionSupportsClientId(const QString &version)
{
    static const QRegularExpression re(u"^\\s*(\\d+)\\.(\\d+)\\.(\\d+)(?:\\.(\\d+))?"_s);
    const auto m = re.match(version);
    if (!m.hasMatch()) {
        return false;
    }
    const int a = m.captured(1).toInt();
    const int b = m.captured(2).toInt();
    const int c = m.captured(3).toInt();
    const int e = m.captured(4).isEmpty() ? 0 : m.captured(4).toInt();
    if (a >= 3) {
        return true;
    }
    if (a == 2) {
        return b > 0 || c >= 9;  // 2.00.9 and later
    }
    if (a == 1 && b == 30) {
        return c > 20 || (c == 20 && e >= 5);  // 1.30.20.5 and later
    }
    return false;
}

void DdbConnection::open(const DdbSite &site, const DdbCredentials &credentials)
{
    if (d->state != State::Disconnected) {
        d->fatal(Core::Error(Core::ErrorCode::Cancelled, u"connection reopened"_s, d->where()), true);
    }
    d->site = site;
    d->credentials = credentials;
    d->sessionId = "0";
    d->version.clear();
    d->state = State::Connecting;
    d->parser.reset();
    d->socket = new QTcpSocket(this);
    QTcpSocket *s = d->socket;
    connect(s, &QTcpSocket::connected, this, [this] {
        d->socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        d->socket->setSocketOption(QAbstractSocket::KeepAliveOption, 1);
        d->enqueueInternalFront(Internal::Connect, DdbRequest::connect());
        d->pump();
    });
    connect(s, &QTcpSocket::readyRead, this, [this] { d->onReadyRead(); });
    connect(s, &QTcpSocket::bytesWritten, this, [this](qint64 n) { d->onBytesWritten(n); });
    connect(s, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError err) {
        if (!d->socket) {
            return;
        }
        if (err == QAbstractSocket::RemoteHostClosedError) {
            d->fatal(Core::Error(Core::ErrorCode::Network, d->inFlight ? d->parser.truncatedError().message
                                                                       : u"connection closed by the server"_s,
                                 d->where()));
        } else {
            d->fatal(Core::Error(Core::ErrorCode::Network, d->socket->errorString(), d->where()));
        }
    });
    connect(s, &QTcpSocket::disconnected, this, [this] {
        if (d->socket) {
            d->fatal(Core::Error(Core::ErrorCode::Network, d->inFlight ? d->parser.truncatedError().message
                                                                       : u"connection closed by the server"_s,
                                 d->where()));
        }
    });
    if (d->settings.connectTimeoutMs > 0) {
        d->connectTimer->start(d->settings.connectTimeoutMs);
    }
    qCDebug(lcDdb) << "opening" << d->where();
    s->connectToHost(site.host, site.port);
}

void DdbConnection::close()
{
    if (d->state == State::Disconnected && d->queue.isEmpty()) {
        return;
    }
    d->fatal(Core::Error(Core::ErrorCode::Cancelled, u"connection closed"_s, d->where()), true);
}

void DdbConnection::cancel()
{
    d->fatal(Core::Error(Core::ErrorCode::Cancelled, u"cancelled"_s, d->where()), true);
}

quint64 DdbConnection::runScript(const QString &script)
{
    return submit(DdbRequest::runScript(QByteArray(), script));
}

quint64 DdbConnection::callFunction(const QString &function, const QList<DdbValue> &arguments)
{
    return submit(DdbRequest::callFunction(QByteArray(), function, arguments));
}

quint64 DdbConnection::upload(const QStringList &names, const QList<DdbValue> &values)
{
    return submit(DdbRequest::upload(QByteArray(), names, values));
}

quint64 DdbConnection::submit(DdbRequest request, int timeoutMs)
{
    Pending p;
    p.id = d->nextId++;
    p.request = std::move(request);
    p.timeoutMs = timeoutMs < 0 ? d->settings.requestTimeoutMs : timeoutMs;
    if (d->state == State::Disconnected || d->state == State::Closing) {
        DdbReply r;
        r.id = p.id;
        r.error = Core::Error(Core::ErrorCode::Network, u"not connected"_s, d->where());
        QMetaObject::invokeMethod(this, [this, r] { Q_EMIT requestFinished(r); }, Qt::QueuedConnection);
        return p.id;
    }
    d->queue.append(std::move(p));
    const quint64 id = d->queue.last().id;
    d->pump();
    return id;
}

void DdbConnection::Private::enqueueInternalFront(Internal kind, DdbRequest request)
{
    Pending p;
    p.id = nextId++;
    p.request = std::move(request);
    p.internal = kind;
    p.timeoutMs = 0;  // covered by the connect timer
    queue.prepend(std::move(p));
}

void DdbConnection::Private::pump()
{
    if (inFlight || queue.isEmpty() || !socket || socket->state() != QAbstractSocket::ConnectedState) {
        return;
    }
    Pending &p = queue.first();
    if (p.internal == Internal::None && state != State::Ready) {
        return;
    }
    if (p.request.kind != DdbRequestKind::Connect) {
        p.request.sessionId = sessionId;
    }
    const QByteArray bytes = encodeRequest(p.request);
    qCDebug(lcDdb) << where() << "->" << p.request.describe();
    parser.reset();
    inFlight = true;
    p.unwritten = bytes.size();
    p.sent = false;
    if (p.internal == Internal::None && p.timeoutMs > 0) {
        requestTimer->start(p.timeoutMs);
    }
    socket->write(bytes);
}

void DdbConnection::Private::onBytesWritten(qint64 n)
{
    if (!inFlight || queue.isEmpty()) {
        return;
    }
    Pending &p = queue.first();
    p.unwritten -= n;
    if (p.unwritten <= 0 && !p.sent) {
        p.sent = true;
        if (p.request.options && p.request.options->isAsync()) {
            // Asynchronous request: the server sends nothing back.
            DdbResponse none;
            none.status = u"OK"_s;
            complete(none);
        }
    }
}

void DdbConnection::Private::onReadyRead()
{
    if (!socket) {
        return;
    }
    const QByteArray data = socket->readAll();
    qsizetype pos = 0;
    while (pos < data.size()) {
        if (!inFlight) {
            fatal(Core::Error(Core::ErrorCode::Protocol,
                              u"the server sent %1 bytes nobody asked for"_s.arg(data.size() - pos), where()));
            return;
        }
        qsizetype used = 0;
        const auto s = parser.feed(data.constData() + pos, data.size() - pos, &used);
        pos += used;
        switch (s) {
        case DdbResponseParser::Status::NeedMore:
            break;
        case DdbResponseParser::Status::Message: {
            const QString msg = parser.takeMessage();
            queue.first().messages << msg;
            QPointer<DdbConnection> guard(q);
            Q_EMIT q->progressMessage(msg);
            if (!guard || !socket) {
                return;
            }
            continue;
        }
        case DdbResponseParser::Status::Done: {
            const DdbResponse r = parser.takeResponse();
            parser.reset();
            QPointer<DdbConnection> guard(q);
            QTcpSocket *current = socket;
            complete(r);
            if (!guard || socket != current) {
                return;  // closed or reopened by a slot
            }
            continue;
        }
        case DdbResponseParser::Status::Failed:
            fatal(Core::Error(Core::ErrorCode::Protocol, parser.error().message, where()));
            return;
        }
        if (s == DdbResponseParser::Status::NeedMore) {
            break;
        }
    }
}

void DdbConnection::Private::complete(const DdbResponse &response)
{
    requestTimer->stop();
    inFlight = false;
    Pending p = queue.takeFirst();
    if (!response.sessionId.isEmpty()) {
        sessionId = response.sessionId;
    }
    DdbReply r;
    r.id = p.id;
    r.sent = true;
    r.messages = p.messages;
    if (response.isOk()) {
        r.value = response.value();
    } else {
        r.error = Core::Error(Core::ErrorCode::Server, response.status, where());
    }
    qCDebug(lcDdb) << where() << "<-" << (r.ok() ? r.value.describe() : r.error->message);
    if (p.internal != Internal::None) {
        handleInternal(p, r);
        return;
    }
    QPointer<DdbConnection> guard(q);
    Q_EMIT q->requestFinished(r);
    if (guard) {
        pump();
    }
}

void DdbConnection::Private::handleInternal(const Pending &p, const DdbReply &reply)
{
    switch (p.internal) {
    case Internal::Connect:
        if (!reply.ok()) {
            fatal(Core::Error(Core::ErrorCode::Server, reply.error->message, where()));
            return;
        }
        if (!credentials.user.isEmpty()) {
            enqueueInternalFront(Internal::Login,
                                 DdbRequest::callFunction(sessionId, u"login"_s,
                                                          {DdbValue::string(credentials.user),
                                                           DdbValue::string(credentials.password),
                                                           DdbValue::boolean(false)}));
        } else {
            enqueueInternalFront(Internal::Version, DdbRequest::callFunction(sessionId, u"version"_s, {}));
        }
        pump();
        return;
    case Internal::Login: {
        if (!reply.ok()) {
            // The server's text verbatim (it never contains the password).
            fatal(Core::Error(Core::ErrorCode::Auth, reply.error->message, where()));
            return;
        }
        const DdbValue &v = reply.value;
        if (v.isScalar() && !v.isVoid() && !v.toBool()) {
            fatal(Core::Error(Core::ErrorCode::Auth, u"the server refused the login of user '%1'"_s.arg(credentials.user),
                              where()));
            return;
        }
        enqueueInternalFront(Internal::Version, DdbRequest::callFunction(sessionId, u"version"_s, {}));
        pump();
        return;
    }
    case Internal::Version:
        if (reply.ok()) {
            version = reply.value.toString();
        }
        connectTimer->stop();
        state = State::Ready;
        qCDebug(lcDdb) << "session" << sessionId << "open on" << where() << "version" << version;
        {
            QPointer<DdbConnection> guard(q);
            Q_EMIT q->opened();
            if (guard) {
                pump();
            }
        }
        return;
    case Internal::None:
        return;
    }
}

void DdbConnection::Private::dropSocket()
{
    if (socket) {
        QTcpSocket *s = std::exchange(socket, nullptr);
        s->disconnect(q);
        s->abort();
        s->deleteLater();
    }
}

void DdbConnection::Private::fatal(const Core::Error &error, bool deliberate)
{
    const State was = state;
    connectTimer->stop();
    requestTimer->stop();
    dropSocket();
    state = State::Disconnected;
    const bool hadInFlight = inFlight;
    inFlight = false;
    parser.reset();
    QList<Pending> failed = std::exchange(queue, {});

    QList<DdbReply> replies;
    for (int i = 0; i < failed.size(); ++i) {
        const Pending &p = failed.at(i);
        if (p.internal != Internal::None) {
            continue;
        }
        DdbReply r;
        r.id = p.id;
        r.messages = p.messages;
        const bool current = i == 0 && hadInFlight;
        r.sent = current && p.sent;
        if (current) {
            r.error = error;
        } else {
            r.error = Core::Error(error.code == Core::ErrorCode::Cancelled ? Core::ErrorCode::Cancelled
                                                                           : Core::ErrorCode::Network,
                                  u"not sent: %1"_s.arg(error.message), error.where);
        }
        replies << r;
    }
    if (was != State::Disconnected || !deliberate) {
        qCDebug(lcDdb) << "connection to" << where() << "ends:" << error.message;
    }
    QPointer<DdbConnection> guard(q);
    if (was == State::Connecting) {
        Q_EMIT q->openFailed(error);
    } else if (was == State::Ready && !deliberate) {
        Q_EMIT q->disconnected(error);
    }
    for (const DdbReply &r : std::as_const(replies)) {
        if (!guard) {
            return;
        }
        Q_EMIT q->requestFinished(r);
    }
}

// ---------------------------------------------------------------- blocking facade

namespace {

bool onGuiThread()
{
    QCoreApplication *app = QCoreApplication::instance();
    return app && app->inherits("QGuiApplication") && QThread::currentThread() == app->thread();
}

Core::Error guiThreadError()
{
    return Core::Error(Core::ErrorCode::Internal,
                       u"blocking DolphinDB call on the GUI thread refused"_s);
}

} // namespace

struct DdbBlockingConnection::Private
{
    QThread thread;
    DdbConnection *conn = nullptr;
    QMutex mutex;
    QHash<quint64, std::shared_ptr<std::promise<DdbReply>>> waiting;  // touched on the worker thread only
    QString version;
};

DdbBlockingConnection::DdbBlockingConnection()
    : d(std::make_unique<Private>())
{
    d->thread.setObjectName(u"ddb-blocking"_s);
    d->conn = new DdbConnection;
    d->conn->moveToThread(&d->thread);
    QObject::connect(d->conn, &DdbConnection::requestFinished, d->conn, [this](const DdbReply &r) {
        auto it = d->waiting.find(r.id);
        if (it != d->waiting.end()) {
            auto promise = *it;
            d->waiting.erase(it);
            promise->set_value(r);
        }
    });
    d->thread.start();
}

DdbBlockingConnection::~DdbBlockingConnection()
{
    DdbConnection *c = d->conn;
    QMetaObject::invokeMethod(c, [c] { delete c; }, Qt::BlockingQueuedConnection);
    d->thread.quit();
    d->thread.wait();
}

Core::Status DdbBlockingConnection::open(const DdbSite &site, const DdbCredentials &credentials,
                                         const DdbConnectionSettings &settings)
{
    if (onGuiThread()) {
        return guiThreadError();
    }
    auto promise = std::make_shared<std::promise<Core::Status>>();
    auto future = promise->get_future();
    DdbConnection *c = d->conn;
    QMetaObject::invokeMethod(c, [c, site, credentials, settings, promise] {
        auto *ctx = new QObject(c);
        QObject::connect(c, &DdbConnection::opened, ctx, [ctx, promise] {
            promise->set_value(Core::Status());
            ctx->deleteLater();
            ctx->disconnect();
        });
        QObject::connect(c, &DdbConnection::openFailed, ctx, [ctx, promise](const Core::Error &e) {
            promise->set_value(e);
            ctx->deleteLater();
            ctx->disconnect();
        });
        c->setSettings(settings);
        c->open(site, credentials);
    }, Qt::QueuedConnection);
    Core::Status st = future.get();
    if (st.ok()) {
        QString v;
        QMetaObject::invokeMethod(c, [c, &v] { v = c->serverVersion(); }, Qt::BlockingQueuedConnection);
        QMutexLocker lock(&d->mutex);
        d->version = v;
    }
    return st;
}

DdbReply DdbBlockingConnection::submit(const DdbRequest &request, int timeoutMs)
{
    if (onGuiThread()) {
        DdbReply r;
        r.error = guiThreadError();
        return r;
    }
    auto promise = std::make_shared<std::promise<DdbReply>>();
    auto future = promise->get_future();
    DdbConnection *c = d->conn;
    QMetaObject::invokeMethod(c, [this, c, request, timeoutMs, promise] {
        const quint64 id = c->submit(request, timeoutMs);
        d->waiting.insert(id, promise);
    }, Qt::QueuedConnection);
    return future.get();
}

Core::Result<DdbValue> DdbBlockingConnection::run(const QString &script)
{
    return submit(DdbRequest::runScript(QByteArray(), script)).result();
}

Core::Result<DdbValue> DdbBlockingConnection::call(const QString &function, const QList<DdbValue> &arguments)
{
    return submit(DdbRequest::callFunction(QByteArray(), function, arguments)).result();
}

Core::Status DdbBlockingConnection::upload(const QStringList &names, const QList<DdbValue> &values)
{
    const DdbReply r = submit(DdbRequest::upload(QByteArray(), names, values));
    if (r.error) {
        return *r.error;
    }
    return {};
}

void DdbBlockingConnection::cancel()
{
    DdbConnection *c = d->conn;
    QMetaObject::invokeMethod(c, [c] { c->cancel(); }, Qt::QueuedConnection);
}

void DdbBlockingConnection::close()
{
    DdbConnection *c = d->conn;
    QMetaObject::invokeMethod(c, [c] { c->close(); }, Qt::QueuedConnection);
}

QString DdbBlockingConnection::serverVersion() const
{
    QMutexLocker lock(&d->mutex);
    return d->version;
}

} // namespace GrayStep::DolphinDb
