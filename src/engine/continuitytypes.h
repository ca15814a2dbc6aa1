// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaType>
#include <QString>

#include <array>
#include <cstddef>
#include <limits>
#include <optional>

namespace GrayStep::Engine {

// DolphinDB's null for LONG and TIMESTAMP; also "no value" in every continuity field.
inline constexpr qint64 NULL_VALUE = std::numeric_limits<qint64>::min();

// What the HA session said about one append (PROTOCOL.md §5.2).
enum class AttemptOutcome : quint8 {
    Acknowledged = 0,   // the server replied OK: the row must be in the table
    Failed = 1,         // the server replied with an error: the row should not be there
    Indeterminate = 2,  // no reply (connection dropped, tool stopped): either is possible
};
QString attemptOutcomeName(AttemptOutcome outcome);
std::optional<AttemptOutcome> attemptOutcomeFromName(const QString &name);

// One append of one row by the writer. 32 bytes, kept in plain arrays.
struct WriterAttempt
{
    qint64 id = 0;
    qint64 sendMs = 0;              // wall ms when the append was handed to the session
    qint64 doneMs = NULL_VALUE;     // wall ms when the outcome was known; null: never
    AttemptOutcome outcome = AttemptOutcome::Indeterminate;
    qint16 node = -1;               // index into the writer's node names; -1: unknown

    qint64 latencyMs() const { return doneMs == NULL_VALUE ? NULL_VALUE : doneMs - sendMs; }
    bool operator==(const WriterAttempt &) const = default;
};

// When a host was being upgraded (from the engine's timeline). [startMs, endMs].
struct HostWindow
{
    QString host;
    qint64 startMs = 0;
    qint64 endMs = 0;
};

enum class FindingKind : quint8 {
    Lost = 0,            // acknowledged, absent: the only fatal class by default
    Duplicate,           // present more than once
    Recovered,           // indeterminate, present
    NeverWritten,        // indeterminate, absent
    FailedButPresent,    // failed, yet present
    MissingIds,          // absent ids the writer log does not explain (ranges)
    TimeGap,             // consecutive present ids further apart in time than the threshold
    Stall,               // attempt latency above the threshold (consecutive attempts merged)
    NullId,              // rows whose id is null
    NullTime,            // rows whose time is null
    TimeBackwards,       // a present id whose time is earlier than the previous present id's
    LateDuplicate,       // present more than once, the copies further apart in time than the gap threshold
    NoRows,              // the table (or the run's filter) yields no row with an id: nothing to judge
};
inline constexpr size_t FINDING_KIND_COUNT = 13;

constexpr quint32 findingBit(FindingKind kind)
{
    return quint32(1) << static_cast<unsigned>(kind);
}
QString findingKindName(FindingKind kind);   // "lost", "duplicate", "never-written", …
std::optional<FindingKind> findingKindFromName(const QString &name);

// One finding; id ranges are merged (consecutive ids of one kind and node).
struct ContinuityFinding
{
    FindingKind kind = FindingKind::Lost;
    qint64 firstId = NULL_VALUE;    // inclusive id range
    qint64 lastId = NULL_VALUE;
    qint64 count = 0;               // ids, extra rows (duplicates), rows (null), attempts (stall),
                                    // 1 (time gap, time backwards, no rows)
    qint64 startMs = NULL_VALUE;    // the time span the finding covers (late duplicate: its
    qint64 endMs = NULL_VALUE;      // earliest and latest copy)
    qint64 valueMs = 0;             // time gap length, stall's maximum latency, how far the time
                                    // went back, a late duplicate's largest copy spread
    int node = -1;                  // answering node of the attempts (writer classes)
    int window = -1;                // host window index; -1: outside every window

    bool operator==(const ContinuityFinding &) const = default;
};

} // namespace GrayStep::Engine

Q_DECLARE_METATYPE(GrayStep::Engine::WriterAttempt)
