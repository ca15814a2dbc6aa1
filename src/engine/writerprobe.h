// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuitytypes.h"
#include "engine/writertransport.h"

#include "core/clock.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace GrayStep::Engine {

class WriterLog;
class WriterWorker;

// The built-in HA writer (DESIGN.md §4): appends (time, name, id) rows with consecutive ids
// at a fixed rate through a WriterTransport (the DolphinDB HA session), on its own thread,
// one append in flight at a time. Up to 50 rows/s every append carries one row; above that
// the rows due are sent together every 20 ms (one tableInsert, consecutive ids), each row
// still its own attempt in the log with the append's outcome. Pacing follows a monotonic
// schedule (no drift); after a stall at most 250 ms of the schedule is caught up in one
// append and the older backlog is skipped (no burst). Every attempt goes to the WriterLog (file + memory)
// before it is announced. Ids never wrap: at the id column's maximum the writer stops.
// After an attempt that was not acknowledged the writer goes on with the next id (it never
// reuses one), so every id has at most one attempt. Its first id lies above the largest id the
// table holds when it starts (WriterSettings::aboveTableMaxId) and every row carries the run's
// tag (WriterSettings::name); each start is logged as a WriterSession before the first attempt.
//
// Control from any thread (start/pause/resume/stop are queued to the writer's thread);
// signals are emitted in the thread this object lives in (queued), so a GUI can connect
// to them directly.
class WriterProbe final : public QObject
{
    Q_OBJECT

public:
    enum class State { Idle, Preparing, Running, Paused, Stopped, Failed };
    Q_ENUM(State)

    using TransportFactory = std::function<std::unique_ptr<WriterTransport>()>;

    // The factory runs on the writer's thread. log must outlive the probe.
    WriterProbe(TransportFactory factory, WriterLog *log, const Core::Clock &clock = Core::Clock::system(),
                QObject *parent = nullptr);
    ~WriterProbe() override;

    void start(const WriterSettings &settings);
    void pause();
    void resume();
    // Finishes the append in flight (its outcome is recorded), then stops.
    void stop();

    State state() const { return m_state.load(); }
    qint64 attempts() const { return m_attempts.load(); }
    qint64 acknowledged() const { return m_acknowledged.load(); }
    // Wall ms (the probe's clock) of the latest acknowledgement; NULL_VALUE before the first.
    qint64 lastAcknowledgedMs() const { return m_lastAckMs.load(); }
    qint64 nextId() const { return m_nextId.load(); }

Q_SIGNALS:
    void stateChanged(GrayStep::Engine::WriterProbe::State state);
    void attemptRecorded(const GrayStep::Engine::WriterAttempt &attempt, const QString &node);
    void errorOccurred(const QString &message);

private:
    friend class WriterWorker;
    void publishState(State state);
    void publishAttempt(const WriterAttempt &attempt, const QString &node);
    void publishError(const QString &message);

    TransportFactory m_factory;
    WriterLog *m_log;
    const Core::Clock &m_clock;
    std::unique_ptr<QThread> m_thread;
    QPointer<WriterWorker> m_worker;
    std::atomic<State> m_state{State::Idle};
    std::atomic<qint64> m_attempts{0};
    std::atomic<qint64> m_acknowledged{0};
    std::atomic<qint64> m_lastAckMs{NULL_VALUE};
    std::atomic<qint64> m_nextId{0};
};

} // namespace GrayStep::Engine

Q_DECLARE_METATYPE(GrayStep::Engine::WriterProbe::State)
