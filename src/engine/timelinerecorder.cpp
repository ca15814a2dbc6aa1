// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/timelinerecorder.h"

#include "engine/upgradesteps.h"

#include <QHash>
#include <QMutexLocker>
#include <QSet>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

namespace {

// Pairs opening and closing events per (host, key) into spans.
QList<TimelineSpan> pairSpans(const QList<EngineEvent> &events, EngineEvent::Kind open,
                              EngineEvent::Kind close, bool useStepAsLabel)
{
    QList<TimelineSpan> spans;
    for (const EngineEvent &e : events) {
        const QString label = useStepAsLabel ? e.step : u"down"_s;
        if (e.kind == open) {
            spans.append({e.host, label, e.wallMs, -1, EngineEvent::Outcome::None});
        } else if (e.kind == close) {
            for (qsizetype i = spans.size() - 1; i >= 0; --i) {
                TimelineSpan &s = spans[i];
                if (s.isOpen() && s.host == e.host && s.label == label) {
                    s.endMs = e.wallMs;
                    s.outcome = e.outcome;
                    break;
                }
            }
        }
    }
    return spans;
}

} // namespace

TimelineRecorder::TimelineRecorder(const Core::Clock &clock)
    : m_clock(clock)
{}

EngineEvent TimelineRecorder::record(EngineEvent event)
{
    if (event.wallMs == 0) {
        event.wallMs = m_clock.wallMs();
    }
    QMutexLocker lock(&m_mutex);
    m_events.append(event);
    return event;
}

QList<EngineEvent> TimelineRecorder::events() const
{
    QMutexLocker lock(&m_mutex);
    return m_events;
}

QList<TimelineSpan> TimelineRecorder::stepSpans() const
{
    return pairSpans(events(), EngineEvent::Kind::StepStarted, EngineEvent::Kind::StepFinished, true);
}

QList<TimelineSpan> TimelineRecorder::hostWindows() const
{
    return pairSpans(events(), EngineEvent::Kind::HostDown, EngineEvent::Kind::HostUp, false);
}

QList<EngineEvent> hostWindowEventsFromJournal(const QList<JournalRecord> &records)
{
    QList<EngineEvent> events;
    QSet<QString> down;
    for (const JournalRecord &r : records) {
        if (r.host.isEmpty()) {
            continue;
        }
        const bool opens = r.kind == u"intent"_s && (r.step == stepKey(StepId::Stop) || r.step == stepKey(StepId::RollbackStop));
        const bool closes = (r.kind == u"done"_s
                             && (r.step == stepKey(StepId::Start) || r.step == stepKey(StepId::RollbackStart)
                                 || r.step == stepKey(StepId::Restart)))
                            || r.kind == u"host-done"_s;
        if (opens && !down.contains(r.host)) {
            down.insert(r.host);
            EngineEvent e;
            e.kind = EngineEvent::Kind::HostDown;
            e.host = r.host;
            e.step = r.step;
            e.wallMs = r.wallMs;
            e.text = u"the host's nodes were stopped at journal record %1"_s.arg(r.seq);
            e.details = QJsonObject{{u"fromJournal"_s, true}, {u"seq"_s, r.seq}};
            events.append(e);
        } else if (closes && down.remove(r.host)) {
            EngineEvent e;
            e.kind = EngineEvent::Kind::HostUp;
            e.outcome = r.step == stepKey(StepId::RollbackStart) || r.step == stepKey(StepId::Restart)
                            ? EngineEvent::Outcome::Warn
                            : EngineEvent::Outcome::Ok;
            e.host = r.host;
            e.step = r.kind == u"host-done"_s ? stepKey(StepId::Start) : r.step;
            e.wallMs = r.wallMs;
            e.text = u"the host's nodes answered again at journal record %1"_s.arg(r.seq);
            e.details = QJsonObject{{u"fromJournal"_s, true}, {u"seq"_s, r.seq}};
            events.append(e);
        }
    }
    return events;
}

QList<TimelineSpan> hostWindowsFromJournal(const QList<JournalRecord> &records)
{
    QList<TimelineSpan> spans;
    QHash<QString, qsizetype> open;  // host -> index of its open window
    for (const JournalRecord &r : records) {
        if (r.host.isEmpty()) {
            continue;
        }
        const bool opens = r.kind == u"intent"_s && (r.step == stepKey(StepId::Stop) || r.step == stepKey(StepId::RollbackStop));
        const bool closes = r.kind == u"done"_s
                            && (r.step == stepKey(StepId::Recovery) || r.step == stepKey(StepId::RollbackStart)
                                || r.step == stepKey(StepId::Restart));
        const auto it = open.constFind(r.host);
        if (opens && it == open.cend()) {
            open.insert(r.host, spans.size());
            spans.append(TimelineSpan{r.host, u"down"_s, r.wallMs, -1, EngineEvent::Outcome::None});
        } else if (closes && it != open.cend()) {
            TimelineSpan &span = spans[*it];
            span.endMs = qMax(r.wallMs, span.startMs);
            span.outcome = EngineEvent::Outcome::Ok;
            open.erase(it);
        }
    }
    return spans;
}

} // namespace GrayStep::Engine
