// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/engineevent.h"
#include "engine/journal.h"

#include "core/clock.h"

#include <QList>
#include <QMutex>
#include <QString>

namespace GrayStep::Engine {

// A span of time on one host: a step, or the window in which the host was down.
struct TimelineSpan
{
    QString host;
    QString label;        // step id, or "down" for the unavailability window
    qint64 startMs = 0;   // wall time
    qint64 endMs = -1;    // -1 while still open
    EngineEvent::Outcome outcome = EngineEvent::Outcome::None;

    bool isOpen() const { return endMs < 0; }
    bool operator==(const TimelineSpan &) const = default;
};

// Records engine events with the injected clock's timestamps and turns them into spans
// (per-host steps and down-windows) for the timeline view, the continuity analysis and
// the report. record() may be called from any thread; snapshots are copies.
class TimelineRecorder final
{
public:
    explicit TimelineRecorder(const Core::Clock &clock = Core::Clock::system());

    // Stamps the event with the clock (when wallMs is 0), stores it and returns it.
    EngineEvent record(EngineEvent event);

    QList<EngineEvent> events() const;
    // Step spans, in start order. A StepStarted without its StepFinished stays open.
    QList<TimelineSpan> stepSpans() const;
    // HostDown…HostUp windows, in start order (label "down").
    QList<TimelineSpan> hostWindows() const;

private:
    const Core::Clock &m_clock;
    mutable QMutex m_mutex;
    QList<EngineEvent> m_events;
};

// The HostDown/HostUp events a run's journal implies, with the records' wall times, in
// journal order: a host's window opens at its first "intent" of "stop" (or "rollback-stop")
// and closes at the "done" of "start" (or "rollback-start") or at "host-done". A window the
// journal leaves open stays open (the resumed run closes it). Lets a resumed run tie its
// continuity findings to the windows the crashed process opened.
QList<EngineEvent> hostWindowEventsFromJournal(const QList<JournalRecord> &records);

// The host windows of a run from its journal, to tie continuity findings to hosts (the run's
// own report at its end, and `graystep-cli continuity --journal J` after the fact): unlike the
// HostDown..HostUp events above (the time the host's nodes were not serving: the timeline's
// "down" band), a window here lasts until the host's recovery is done (or "rollback-start"
// is), since writes that stall while its chunks recover belong to that host too. Opens at the
// first "stop" (or "rollback-stop") intent; a window still open at the journal's end stays
// open (endMs -1).
QList<TimelineSpan> hostWindowsFromJournal(const QList<JournalRecord> &records);

} // namespace GrayStep::Engine
