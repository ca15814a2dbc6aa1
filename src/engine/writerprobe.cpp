// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/writerprobe.h"

#include "engine/writerlog.h"

#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <cmath>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

namespace {
// Above 50 rows/s (an interval below one tick) the writer sends the rows due every tick in one
// append: the sandbox's node takes a few hundred single-row appends per second, a real one not
// many more.
constexpr qint64 TICK_NS = 20'000'000;
// After a stall (a slow append, a failover) at most this much of the schedule is caught up in
// one batch; the rest of the backlog is dropped (the writer goes on at its rate).
constexpr qint64 CATCH_UP_NS = 250'000'000;
} // namespace

// Lives on the writer's thread; owns the transport and the pacing timer.
class WriterWorker final : public QObject
{
public:
    WriterWorker(WriterProbe *probe, WriterProbe::TransportFactory factory, WriterLog *log,
                 const Core::Clock &clock)
        : m_probe(probe)
        , m_factory(std::move(factory))
        , m_log(log)
        , m_clock(clock)
    {}

    void begin(const WriterSettings &settings)
    {
        m_settings = settings;
        m_settings.rowsPerSecond = std::clamp(settings.rowsPerSecond, 1, 1000);
        m_intervalNs = 1'000'000'000LL / m_settings.rowsPerSecond;
        m_timer = new QTimer(this);
        m_timer->setSingleShot(true);
        m_timer->setTimerType(Qt::PreciseTimer);
        connect(m_timer, &QTimer::timeout, this, [this] { sendDue(); });
        m_mono.start();

        m_nextId = settings.firstId;
        if (m_nextId <= 0) {
            qint64 last = 0;
            for (const WriterAttempt &a : m_log->attempts()) {
                last = std::max(last, a.id);
            }
            m_nextId = last + 1;
        }
        m_probe->m_nextId = m_nextId;
        m_transport = m_factory ? m_factory() : nullptr;
        if (!m_transport) {
            fail(u"no DolphinDB session for the writer"_s);
            return;
        }
        setState(WriterProbe::State::Preparing);
        QPointer<WriterWorker> self(this);
        m_transport->prepare(m_settings, [self](Core::Result<PreparedTable> prepared) {
            if (!self) {
                return;
            }
            if (!prepared) {
                self->fail(u"the writer cannot prepare its table: "_s + prepared.error().toString());
                return;
            }
            if (!self->startSession(*prepared)) {
                return;
            }
            self->m_prepared = true;
            if (self->m_stopRequested) {
                self->finish(WriterProbe::State::Stopped);
                return;
            }
            self->setState(self->m_paused ? WriterProbe::State::Paused : WriterProbe::State::Running);
            self->m_nextDueNs = self->m_mono.nsecsElapsed();
            self->schedule();
        });
    }

    void setPaused(bool paused)
    {
        if (m_finished || m_paused == paused) {
            return;
        }
        m_paused = paused;
        if (!m_prepared) {
            return;
        }
        setState(paused ? WriterProbe::State::Paused : WriterProbe::State::Running);
        if (!paused) {
            m_nextDueNs = m_mono.nsecsElapsed();
            schedule();
        } else {
            m_timer->stop();
        }
    }

    void requestStop()
    {
        if (m_finished) {
            return;
        }
        m_stopRequested = true;
        // Still preparing: nothing was written, drop the session (its pending request with it).
        // An append in flight is waited for, so its outcome is recorded.
        if (!m_inFlight) {
            finish(WriterProbe::State::Stopped);
        }
    }

private:
    bool batching() const { return m_intervalNs < TICK_NS; }

    // The first id goes above the table's largest (rows of other runs never share an id with
    // this run's); the session is logged before the first attempt.
    bool startSession(const PreparedTable &prepared)
    {
        if (m_settings.aboveTableMaxId && prepared.maxId != NULL_VALUE && prepared.maxId >= m_nextId) {
            m_nextId = prepared.maxId == std::numeric_limits<qint64>::max() ? prepared.maxId : prepared.maxId + 1;
            m_probe->m_nextId = m_nextId;
        }
        const Core::Status logged = m_log->appendSession(
            WriterSession{m_clock.wallMs(), m_nextId, prepared.maxId, m_settings.name});
        if (!logged) {
            fail(u"the writer log cannot be written: "_s + logged.error().toString());
            return false;
        }
        return true;
    }

    void schedule()
    {
        if (m_finished || m_paused || m_inFlight || m_stopRequested) {
            return;
        }
        const qint64 now = m_mono.nsecsElapsed();
        qint64 fireNs = m_nextDueNs;
        if (!batching()) {
            if (now > m_nextDueNs + m_intervalNs) {
                m_nextDueNs = now;  // behind after a stall: go on at the rate, no catch-up burst
            }
            fireNs = m_nextDueNs;
        } else {
            fireNs = std::max(m_nextDueNs, m_lastSendNs + TICK_NS);  // rows gather for a tick
        }
        const qint64 delayNs = std::max<qint64>(0, fireNs - now);
        m_timer->start(static_cast<int>((delayNs + 999'999) / 1'000'000));
    }

    // The rows due now: one below 50 rows/s; above, every row whose time has come, up to
    // CATCH_UP_NS worth after a stall (the older part of the backlog is skipped).
    qint64 rowsDue(qint64 now)
    {
        if (!batching()) {
            return 1;
        }
        if (now < m_nextDueNs) {
            return 0;
        }
        qint64 n = (now - m_nextDueNs) / m_intervalNs + 1;
        const qint64 cap = std::max<qint64>(1, CATCH_UP_NS / m_intervalNs);
        if (n > cap) {
            m_nextDueNs += (n - cap) * m_intervalNs;  // skip the schedule's oldest part
            n = cap;
        }
        return n;
    }

    void sendDue()
    {
        if (m_finished || m_paused || m_inFlight || m_stopRequested) {
            return;
        }
        if (m_settings.maxRows > 0 && m_sent >= m_settings.maxRows) {
            finish(WriterProbe::State::Stopped);
            return;
        }
        if (m_nextId > m_settings.maxId()) {
            m_probe->publishError(u"the id column is full at %1: the writer stops (ids never wrap)"_s
                                      .arg(m_settings.maxId()));
            finish(WriterProbe::State::Stopped);
            return;
        }
        const qint64 now = m_mono.nsecsElapsed();
        qint64 count = rowsDue(now);
        if (count <= 0) {
            schedule();
            return;
        }
        if (m_settings.maxRows > 0) {
            count = std::min(count, m_settings.maxRows - m_sent);
        }
        count = std::min(count, m_settings.maxId() - m_nextId + 1);
        const qint64 firstId = m_nextId;
        m_nextId += count;
        m_probe->m_nextId = m_nextId;
        m_sent += count;
        m_nextDueNs += count * m_intervalNs;
        m_lastSendNs = now;
        m_inFlight = true;
        const qint64 sendMs = m_clock.wallMs();
        QPointer<WriterWorker> self(this);
        const int rows = static_cast<int>(count);
        m_transport->append(m_settings, firstId, rows, sendMs, [self, firstId, rows, sendMs](AppendOutcome outcome) {
            if (self) {
                self->recordOutcome(firstId, rows, sendMs, outcome);
            }
        });
    }

    // Every row of the append is its own attempt, with the append's outcome and node.
    void recordOutcome(qint64 firstId, int rows, qint64 sendMs, const AppendOutcome &outcome)
    {
        const qint64 doneMs = m_clock.wallMs();
        m_inFlight = false;
        qint16 node = -1;
        if (!outcome.node.isEmpty()) {
            const auto index = m_log->nodeIndex(outcome.node);
            if (!index) {
                fail(u"the writer log cannot be written: "_s + index.error().toString());
                return;
            }
            node = static_cast<qint16>(*index);
        }
        for (int i = 0; i < rows; ++i) {
            const WriterAttempt attempt{firstId + i, sendMs, doneMs, outcome.outcome, node};
            const auto written = m_log->append(attempt);
            if (!written) {
                fail(u"the writer log cannot be written: "_s + written.error().toString());
                return;
            }
            ++m_probe->m_attempts;
            if (attempt.outcome == AttemptOutcome::Acknowledged) {
                ++m_probe->m_acknowledged;
                m_probe->m_lastAckMs = doneMs;
            }
            m_probe->publishAttempt(attempt, outcome.node);
        }
        if (m_stopRequested) {
            finish(WriterProbe::State::Stopped);
            return;
        }
        // Defer to the event loop: a transport that answers synchronously must not recurse.
        QTimer::singleShot(0, this, [this] { schedule(); });
    }

    void setState(WriterProbe::State state) { m_probe->publishState(state); }

    void fail(const QString &message)
    {
        m_probe->publishError(message);
        finish(WriterProbe::State::Failed);
    }

    void finish(WriterProbe::State state)
    {
        if (m_finished) {
            return;
        }
        m_finished = true;
        if (m_timer) {
            m_timer->stop();
        }
        m_transport.reset();  // closes the session on its own thread
        setState(state);
        thread()->quit();
    }

    WriterProbe *m_probe;
    WriterProbe::TransportFactory m_factory;
    WriterLog *m_log;
    const Core::Clock &m_clock;
    std::unique_ptr<WriterTransport> m_transport;
    WriterSettings m_settings;
    QTimer *m_timer = nullptr;
    QElapsedTimer m_mono;
    qint64 m_intervalNs = 100'000'000;
    qint64 m_nextDueNs = 0;
    qint64 m_lastSendNs = -TICK_NS;
    qint64 m_nextId = 1;
    qint64 m_sent = 0;
    bool m_prepared = false;
    bool m_inFlight = false;
    bool m_paused = false;
    bool m_stopRequested = false;
    bool m_finished = false;
};

WriterProbe::WriterProbe(TransportFactory factory, WriterLog *log, const Core::Clock &clock, QObject *parent)
    : QObject(parent)
    , m_factory(std::move(factory))
    , m_log(log)
    , m_clock(clock)
{
    qRegisterMetaType<GrayStep::Engine::WriterAttempt>();
    qRegisterMetaType<GrayStep::Engine::WriterProbe::State>();
}

WriterProbe::~WriterProbe()
{
    if (m_thread) {
        stop();
        // The append in flight gets a bounded time to finish and be recorded.
        if (!m_thread->wait(QDeadlineTimer(10000))) {
            m_thread->quit();
            m_thread->wait();
        }
        delete m_worker.data();
    }
}

void WriterProbe::start(const WriterSettings &settings)
{
    if (m_thread && m_thread->isRunning()) {
        return;  // already running: stop first
    }
    if (m_thread) {
        m_thread->wait();
        delete m_worker.data();
    }
    m_attempts = 0;
    m_acknowledged = 0;
    m_lastAckMs = NULL_VALUE;
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(u"graystep-writer"_s);
    auto *worker = new WriterWorker(this, m_factory, m_log, m_clock);
    worker->moveToThread(m_thread.get());
    m_worker = worker;
    m_state = State::Preparing;
    m_thread->start();
    QMetaObject::invokeMethod(worker, [worker, settings] { worker->begin(settings); }, Qt::QueuedConnection);
}

void WriterProbe::pause()
{
    if (WriterWorker *w = m_worker.data()) {
        QMetaObject::invokeMethod(w, [w] { w->setPaused(true); }, Qt::QueuedConnection);
    }
}

void WriterProbe::resume()
{
    if (WriterWorker *w = m_worker.data()) {
        QMetaObject::invokeMethod(w, [w] { w->setPaused(false); }, Qt::QueuedConnection);
    }
}

void WriterProbe::stop()
{
    if (WriterWorker *w = m_worker.data()) {
        QMetaObject::invokeMethod(w, [w] { w->requestStop(); }, Qt::QueuedConnection);
    }
}

void WriterProbe::publishState(State state)
{
    m_state = state;
    QMetaObject::invokeMethod(this, [this, state] { Q_EMIT stateChanged(state); }, Qt::QueuedConnection);
}

void WriterProbe::publishAttempt(const WriterAttempt &attempt, const QString &node)
{
    QMetaObject::invokeMethod(this, [this, attempt, node] { Q_EMIT attemptRecorded(attempt, node); },
                              Qt::QueuedConnection);
}

void WriterProbe::publishError(const QString &message)
{
    QMetaObject::invokeMethod(this, [this, message] { Q_EMIT errorOccurred(message); }, Qt::QueuedConnection);
}

} // namespace GrayStep::Engine
