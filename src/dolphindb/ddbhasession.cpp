// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/ddbhasession.h"

#include "dolphindb/logging.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QPointer>
#include <QThread>
#include <QTimer>
#include <QUuid>

#include <future>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::DolphinDb {

QString outcomeName(DdbOutcome outcome)
{
    switch (outcome) {
    case DdbOutcome::Acknowledged: return u"acknowledged"_s;
    case DdbOutcome::Failed: return u"failed"_s;
    case DdbOutcome::Indeterminate: return u"indeterminate"_s;
    }
    return {};
}

QString haErrorTag(const QString &text)
{
    static const char *const TAGS[] = {
        "<NotLeader>", "<ChunkInTransaction>", "<DataNodeNotAvail>", "<DataNodeNotReady>",
        "<ControllerNotReady>", "<ControllerNotAvail>",
    };
    for (const char *tag : TAGS) {
        if (text.contains(QLatin1StringView(tag))) {
            return QString::fromLatin1(tag);
        }
    }
    if (text.contains("DFS is not enabled"_L1)) {
        return u"DFS is not enabled"_s;
    }
    return {};
}

std::optional<DdbSite> notLeaderSite(const QString &text)
{
    const qsizetype at = text.indexOf("<NotLeader>"_L1);
    if (at < 0) {
        return std::nullopt;
    }
    QString rest = text.mid(at + 11).trimmed();
    const qsizetype space = rest.indexOf(u' ');
    if (space >= 0) {
        rest.truncate(space);
    }
    auto site = DdbSite::parse(rest);
    if (!site) {
        return std::nullopt;
    }
    return *site;
}

namespace {

struct Job
{
    quint64 id = 0;
    DdbRequest request;
    qint64 seq = 0;           // positive sequence number once assigned
    bool usedClientId = false;
    bool resend = false;
    bool anyIndeterminate = false;
    QList<DdbAttempt> attempts;
    QStringList messages;
    QElapsedTimer started;
    std::optional<Core::Error> lastError;
};

} // namespace

struct DdbHaSession::Private
{
    DdbHaSession *q;
    QList<DdbSite> sites;
    DdbCredentials credentials;
    DdbHaSettings settings;
    QPointer<DdbConnection> conn;
    bool ready = false;
    bool opening = false;
    bool userOpen = false;        // open() called, opened/openFailed not yet emitted
    int siteIndex = 0;
    int triesThisRound = 0;
    std::optional<DdbSite> redirect;
    DdbSite current;
    std::optional<DdbSite> lastAnnounced;
    QElapsedTimer openStarted;
    Core::Error lastOpenError;
    QTimer *retryTimer;  // child of q (moves with it)
    quint64 initCheckId = 0;
    QList<Job> queue;
    bool running = false;
    quint64 currentReqId = 0;
    qint64 currentSeqSent = 0;
    QByteArray clientId;
    qint64 nextSeq = 1;
    quint64 nextId = 1;

    explicit Private(DdbHaSession *qq)
        : q(qq)
        , retryTimer(new QTimer(qq))
    {
        retryTimer->setSingleShot(true);
    }

    quint64 submit(DdbRequest request);
    void kick();
    void startOpen();
    void connectTo(const DdbSite &site);
    void onOpened();
    void onOpenFailed(const Core::Error &error);
    void becomeReady();
    void onReply(const DdbReply &reply);
    void failover(Job &job, std::optional<DdbSite> target, int pauseMs);
    void sendFront();
    void finishFront(std::optional<DdbValue> value);
    void failAll(const Core::Error &error);
    void dropConnection();
    bool deadlinePassed() const
    {
        if (!queue.isEmpty() && queue.first().started.isValid()) {
            return queue.first().started.elapsed() > settings.failoverTimeoutMs;
        }
        return openStarted.isValid() && openStarted.elapsed() > settings.failoverTimeoutMs;
    }
};

DdbHaSession::DdbHaSession(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this))
{
    connect(d->retryTimer, &QTimer::timeout, this, [this] {
        if (d->redirect) {
            const DdbSite target = *std::exchange(d->redirect, std::nullopt);
            d->connectTo(target);
        } else if (!d->sites.isEmpty()) {
            d->connectTo(d->sites.at(d->siteIndex % d->sites.size()));
        }
    });
}

DdbHaSession::~DdbHaSession()
{
    if (d->conn) {
        d->conn->disconnect(this);
        delete d->conn.data();
    }
}

void DdbHaSession::setSites(const QList<DdbSite> &sites)
{
    d->sites = sites;
    d->siteIndex = 0;
}

QList<DdbSite> DdbHaSession::sites() const
{
    return d->sites;
}

void DdbHaSession::setCredentials(const DdbCredentials &credentials)
{
    d->credentials = credentials;
}

void DdbHaSession::setSettings(const DdbHaSettings &settings)
{
    d->settings = settings;
}

DdbHaSettings DdbHaSession::settings() const
{
    return d->settings;
}

bool DdbHaSession::isOpen() const
{
    return d->ready;
}

DdbSite DdbHaSession::currentSite() const
{
    return d->current;
}

QByteArray DdbHaSession::clientId() const
{
    return d->clientId;
}

void DdbHaSession::open()
{
    d->userOpen = true;
    if (d->ready) {
        d->userOpen = false;
        Q_EMIT opened(d->current);
        return;
    }
    d->openStarted.start();
    d->startOpen();
}

void DdbHaSession::close()
{
    cancel();
    d->dropConnection();
}

void DdbHaSession::cancel()
{
    d->retryTimer->stop();
    d->opening = false;
    QList<Job> jobs = std::exchange(d->queue, {});
    const bool wasRunning = d->running;
    d->running = false;
    if (wasRunning && d->conn) {
        // The in-flight request's outcome depends on whether it was sent; learn it from the
        // connection (it reports sent), but without re-entering our handlers.
        d->conn->disconnect(this);
        d->conn->deleteLater();
        d->conn = nullptr;
        d->ready = false;
    }
    for (int i = 0; i < jobs.size(); ++i) {
        Job &job = jobs[i];
        DdbHaResult r;
        r.id = job.id;
        r.site = d->current;
        r.clientId = job.usedClientId ? d->clientId : QByteArray();
        r.seqNo = job.seq;
        r.attempts = job.attempts;
        r.messages = job.messages;
        r.elapsedMs = job.started.isValid() ? job.started.elapsed() : 0;
        // A running request was written (or partly written) to the socket: it may have run.
        const bool maybeRan = job.anyIndeterminate || (i == 0 && wasRunning);
        if (i == 0 && wasRunning) {
            DdbAttempt a;
            a.site = d->current;
            a.seqNo = d->currentSeqSent;
            a.outcome = DdbOutcome::Indeterminate;
            a.sent = true;
            a.error = Core::Error(Core::ErrorCode::Cancelled, u"cancelled"_s, d->current.toString());
            r.attempts << a;
        }
        r.outcome = maybeRan ? DdbOutcome::Indeterminate : DdbOutcome::Failed;
        r.error = Core::Error(Core::ErrorCode::Cancelled, u"cancelled"_s, d->current.toString());
        QPointer<DdbHaSession> guard(this);
        Q_EMIT finished(r);
        if (!guard) {
            return;
        }
    }
}

quint64 DdbHaSession::runScript(const QString &script)
{
    return d->submit(DdbRequest::runScript(QByteArray(), script));
}

quint64 DdbHaSession::callFunction(const QString &function, const QList<DdbValue> &arguments)
{
    return d->submit(DdbRequest::callFunction(QByteArray(), function, arguments));
}

quint64 DdbHaSession::upload(const QStringList &names, const QList<DdbValue> &values)
{
    return d->submit(DdbRequest::upload(QByteArray(), names, values));
}

quint64 DdbHaSession::Private::submit(DdbRequest request)
{
    Job job;
    job.id = nextId++;
    job.request = std::move(request);
    queue.append(std::move(job));
    const quint64 id = queue.last().id;
    QMetaObject::invokeMethod(q, [this] { kick(); }, Qt::QueuedConnection);
    return id;
}

void DdbHaSession::Private::kick()
{
    if (running || opening || queue.isEmpty()) {
        return;
    }
    if (!queue.first().started.isValid()) {
        queue.first().started.start();
    }
    if (!ready || !conn) {
        startOpen();
        return;
    }
    sendFront();
}

void DdbHaSession::Private::startOpen()
{
    if (opening) {
        return;
    }
    if (sites.isEmpty() && !redirect) {
        failAll(Core::Error(Core::ErrorCode::InvalidInput, u"no DolphinDB sites configured"_s));
        return;
    }
    opening = true;
    triesThisRound = 0;
    if (!openStarted.isValid() || queue.isEmpty()) {
        openStarted.start();
    }
    if (redirect) {
        connectTo(*std::exchange(redirect, std::nullopt));
    } else {
        connectTo(sites.at(siteIndex % sites.size()));
    }
}

void DdbHaSession::Private::dropConnection()
{
    ready = false;
    if (conn) {
        conn->disconnect(q);
        conn->close();
        conn->deleteLater();
        conn = nullptr;
    }
}

void DdbHaSession::Private::connectTo(const DdbSite &site)
{
    dropConnection();
    opening = true;
    current = site;
    conn = new DdbConnection(q);
    conn->setSettings(settings.connection);
    QObject::connect(conn, &DdbConnection::opened, q, [this] { onOpened(); });
    QObject::connect(conn, &DdbConnection::openFailed, q, [this](const Core::Error &e) { onOpenFailed(e); });
    QObject::connect(conn, &DdbConnection::requestFinished, q, [this](const DdbReply &r) { onReply(r); });
    QObject::connect(conn, &DdbConnection::disconnected, q, [this](const Core::Error &) { ready = false; });
    QObject::connect(conn, &DdbConnection::progressMessage, q, [this](const QString &m) {
        if (!queue.isEmpty() && running) {
            queue.first().messages << m;
        }
        Q_EMIT q->progressMessage(m);
    });
    qCDebug(lcDdb) << "HA session: trying" << site.toString();
    conn->open(site, credentials);
}

void DdbHaSession::Private::onOpened()
{
    if (settings.checkNodeInitialized) {
        initCheckId = conn->callFunction(u"isNodeInitialized"_s, {});
        return;
    }
    becomeReady();
}

void DdbHaSession::Private::becomeReady()
{
    opening = false;
    ready = true;
    triesThisRound = 0;
    if (settings.useClientId && clientId.isEmpty() && conn->supportsClientId()) {
        clientId = QUuid::createUuid().toString(QUuid::WithoutBraces).toLatin1();
    }
    QPointer<DdbHaSession> guard(q);
    if (!lastAnnounced || !(*lastAnnounced == current)) {
        lastAnnounced = current;
        Q_EMIT q->siteChanged(current);
        if (!guard) {
            return;
        }
    }
    if (userOpen) {
        userOpen = false;
        openStarted.invalidate();
        Q_EMIT q->opened(current);
        if (!guard) {
            return;
        }
    }
    kick();
}

void DdbHaSession::Private::onOpenFailed(const Core::Error &error)
{
    lastOpenError = error;
    qCDebug(lcDdb) << "HA session: cannot use" << current.toString() << ":" << error.message;
    if (error.code == Core::ErrorCode::Auth) {
        // Wrong credentials are wrong on every site: no point in trying the others.
        opening = false;
        if (userOpen) {
            userOpen = false;
            Q_EMIT q->openFailed(error);
        }
        failAll(error);
        return;
    }
    if (deadlinePassed()) {
        opening = false;
        const Core::Error e(Core::ErrorCode::Network,
                            u"no DolphinDB site reachable within %1 ms (last: %2)"_s
                                .arg(settings.failoverTimeoutMs)
                                .arg(error.toString()));
        if (userOpen) {
            userOpen = false;
            openStarted.invalidate();
            QPointer<DdbHaSession> guard(q);
            Q_EMIT q->openFailed(e);
            if (!guard) {
                return;
            }
        }
        failAll(e);
        return;
    }
    ++triesThisRound;
    int pause = settings.retryPauseMs;
    if (!sites.isEmpty()) {
        siteIndex = (siteIndex + 1) % sites.size();
        if (triesThisRound >= sites.size()) {
            triesThisRound = 0;
            pause = settings.roundPauseMs;
        }
    }
    retryTimer->start(pause);
}

void DdbHaSession::Private::failAll(const Core::Error &error)
{
    QList<Job> jobs = std::exchange(queue, {});
    running = false;
    QPointer<DdbHaSession> guard(q);
    for (Job &job : jobs) {
        DdbHaResult r;
        r.id = job.id;
        r.outcome = job.anyIndeterminate ? DdbOutcome::Indeterminate : DdbOutcome::Failed;
        r.error = job.lastError ? Core::Error(error.code, error.message + u"; before: "_s + job.lastError->message,
                                              error.where)
                                : error;
        r.site = current;
        r.clientId = job.usedClientId ? clientId : QByteArray();
        r.seqNo = job.seq;
        r.attempts = job.attempts;
        r.messages = job.messages;
        r.elapsedMs = job.started.isValid() ? job.started.elapsed() : 0;
        Q_EMIT q->finished(r);
        if (!guard) {
            return;
        }
    }
}

void DdbHaSession::Private::sendFront()
{
    Job &job = queue.first();
    DdbRequest req = job.request;
    const bool withId = settings.useClientId && req.kind != DdbRequestKind::Variable && !clientId.isEmpty()
        && conn->supportsClientId();
    if (withId) {
        if (job.seq == 0) {
            job.seq = nextSeq++;
        }
        job.usedClientId = true;
        currentSeqSent = job.resend ? -job.seq : job.seq;
        req.options = DdbRequestOptions::forHaCall(clientId, currentSeqSent);
    } else {
        currentSeqSent = 0;
        req.options = DdbRequestOptions::forCall();
    }
    running = true;
    currentReqId = conn->submit(req);
}

void DdbHaSession::Private::onReply(const DdbReply &reply)
{
    if (reply.id == initCheckId && initCheckId != 0) {
        initCheckId = 0;
        if (reply.ok() && reply.value.isScalar() && !reply.value.isVoid() && !reply.value.toBool()) {
            const Core::Error e(Core::ErrorCode::Network, u"node is not initialized yet"_s, current.toString());
            dropConnection();
            onOpenFailed(e);
            return;
        }
        if (!reply.ok() && !reply.isServerError()) {
            // The connection broke during the check.
            dropConnection();
            onOpenFailed(*reply.error);
            return;
        }
        becomeReady();  // true, or an error from an old server without the function
        return;
    }
    if (!running || reply.id != currentReqId || queue.isEmpty()) {
        return;
    }
    running = false;
    Job &job = queue.first();
    DdbAttempt a;
    a.site = current;
    a.seqNo = currentSeqSent;
    a.sent = reply.sent;
    a.error = reply.error;
    job.messages << reply.messages;
    if (reply.ok()) {
        a.outcome = DdbOutcome::Acknowledged;
        job.attempts << a;
        finishFront(reply.value);
        return;
    }
    job.lastError = reply.error;
    const Core::Error &err = *reply.error;
    if (err.code == Core::ErrorCode::Server) {
        const QString tag = haErrorTag(err.message);
        a.outcome = DdbOutcome::Failed;
        job.attempts << a;
        if (tag.isEmpty()) {
            finishFront(std::nullopt);
            return;
        }
        qCDebug(lcDdb) << "HA session:" << tag << "from" << current.toString();
        const int pause = tag == "<ChunkInTransaction>"_L1 ? settings.chunkInTransactionPauseMs
                                                           : settings.retryPauseMs;
        failover(job, notLeaderSite(err.message), pause);
        return;
    }
    if (err.code == Core::ErrorCode::Cancelled) {
        a.outcome = reply.sent ? DdbOutcome::Indeterminate : DdbOutcome::Failed;
        job.anyIndeterminate = job.anyIndeterminate || reply.sent;
        job.attempts << a;
        finishFront(std::nullopt);
        return;
    }
    // Network, Timeout, Protocol: the connection is gone.
    ready = false;
    if (reply.sent) {
        a.outcome = DdbOutcome::Indeterminate;
        job.anyIndeterminate = true;
        job.attempts << a;
        const bool resend = settings.resendPolicy == DdbHaSettings::ResendPolicy::Always
            || (settings.resendPolicy == DdbHaSettings::ResendPolicy::OnlyWithClientId && job.usedClientId);
        if (!resend) {
            finishFront(std::nullopt);
            return;
        }
    } else {
        a.outcome = DdbOutcome::Failed;
        job.attempts << a;
    }
    failover(job, std::nullopt, settings.retryPauseMs);
}

void DdbHaSession::Private::failover(Job &job, std::optional<DdbSite> target, int pauseMs)
{
    if (job.attempts.size() >= settings.maxAttempts || deadlinePassed()) {
        finishFront(std::nullopt);
        return;
    }
    job.resend = true;
    dropConnection();
    if (target) {
        redirect = target;
    } else if (!sites.isEmpty()) {
        siteIndex = (siteIndex + 1) % sites.size();
    }
    opening = true;
    triesThisRound = 0;
    retryTimer->start(pauseMs);
}

void DdbHaSession::Private::finishFront(std::optional<DdbValue> value)
{
    Job job = queue.takeFirst();
    DdbHaResult r;
    r.id = job.id;
    r.site = current;
    r.clientId = job.usedClientId ? clientId : QByteArray();
    r.seqNo = job.seq;
    r.attempts = job.attempts;
    r.messages = job.messages;
    r.elapsedMs = job.started.isValid() ? job.started.elapsed() : 0;
    if (value) {
        r.outcome = DdbOutcome::Acknowledged;
        r.value = *value;
        r.possibleDuplicate = job.anyIndeterminate && !job.usedClientId;
    } else {
        r.outcome = job.anyIndeterminate ? DdbOutcome::Indeterminate : DdbOutcome::Failed;
        r.error = job.lastError;
        if (!r.error) {
            r.error = Core::Error(Core::ErrorCode::Failed, u"request failed"_s, current.toString());
        }
    }
    QPointer<DdbHaSession> guard(q);
    Q_EMIT q->finished(r);
    if (guard) {
        QMetaObject::invokeMethod(q, [this] { kick(); }, Qt::QueuedConnection);
    }
}

// ---------------------------------------------------------------- blocking facade

struct DdbBlockingHaSession::Private
{
    QThread thread;
    DdbHaSession *session = nullptr;
    QHash<quint64, std::shared_ptr<std::promise<DdbHaResult>>> waiting;  // worker thread only

    DdbHaResult submit(std::function<quint64(DdbHaSession *)> start)
    {
        QCoreApplication *app = QCoreApplication::instance();
        if (app && app->inherits("QGuiApplication") && QThread::currentThread() == app->thread()) {
            DdbHaResult r;
            r.error = Core::Error(Core::ErrorCode::Internal, u"blocking DolphinDB call on the GUI thread refused"_s);
            return r;
        }
        auto promise = std::make_shared<std::promise<DdbHaResult>>();
        auto future = promise->get_future();
        DdbHaSession *s = session;
        QMetaObject::invokeMethod(s, [this, s, start, promise] {
            const quint64 id = start(s);
            waiting.insert(id, promise);
        }, Qt::QueuedConnection);
        return future.get();
    }
};

DdbBlockingHaSession::DdbBlockingHaSession(const QList<DdbSite> &sites, const DdbCredentials &credentials,
                                           const DdbHaSettings &settings)
    : d(std::make_unique<Private>())
{
    d->thread.setObjectName(u"ddb-ha-blocking"_s);
    d->session = new DdbHaSession;
    d->session->setSites(sites);
    d->session->setCredentials(credentials);
    d->session->setSettings(settings);
    d->session->moveToThread(&d->thread);
    QObject::connect(d->session, &DdbHaSession::finished, d->session, [this](const DdbHaResult &r) {
        auto it = d->waiting.find(r.id);
        if (it != d->waiting.end()) {
            auto promise = *it;
            d->waiting.erase(it);
            promise->set_value(r);
        }
    });
    d->thread.start();
}

DdbBlockingHaSession::~DdbBlockingHaSession()
{
    DdbHaSession *s = d->session;
    QMetaObject::invokeMethod(s, [s] { delete s; }, Qt::BlockingQueuedConnection);
    d->thread.quit();
    d->thread.wait();
}

DdbHaResult DdbBlockingHaSession::run(const QString &script)
{
    return d->submit([script](DdbHaSession *s) { return s->runScript(script); });
}

DdbHaResult DdbBlockingHaSession::call(const QString &function, const QList<DdbValue> &arguments)
{
    return d->submit([function, arguments](DdbHaSession *s) { return s->callFunction(function, arguments); });
}

void DdbBlockingHaSession::cancel()
{
    DdbHaSession *s = d->session;
    QMetaObject::invokeMethod(s, [s] { s->cancel(); }, Qt::QueuedConnection);
}

} // namespace GrayStep::DolphinDb
