// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuitytypes.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <array>

#include <span>
#include <vector>

namespace GrayStep::Engine {

// Thresholds and policy of one analysis.
struct ContinuityOptions
{
    qint64 timeGapMs = 2000;      // consecutive present ids further apart than this: a time gap
                                  // (copies of one id further apart: a late duplicate)
    qint64 stallMs = 1000;        // an attempt whose latency exceeds this: a stall
    qint64 rateBucketMs = 1000;   // width of the rows-over-time histogram (widened if needed)
    // Kinds that make the verdict fail. Missing ids are the only sign of loss without a writer
    // log, and a table that yields no rows may be the wrong table or column: neither passes.
    // A run ties time gaps and stalls to its gate (gates.maxGapMs) by adding them here.
    quint32 fatalKinds = findingBit(FindingKind::Lost) | findingBit(FindingKind::MissingIds)
        | findingBit(FindingKind::NoRows);
    qint64 allowedLost = 0;       // lost ids up to this many do not fail the verdict (gates.maxLostRows)
    int maxFindingsPerKind = 100000;  // the counters stay exact; the list is cut and says so
    // Auto: dense per-id index when ids are dense, sorted copy otherwise. Dense falls back
    // to Sparse when the table does not allow it (tests and the benchmark force a mode).
    enum class Index { Auto, Dense, Sparse } index = Index::Auto;
};

// What is analysed. The spans are borrowed for the duration of analyze().
struct ContinuityInput
{
    // The read-back table: one entry per row, any order. ids.size() == times.size().
    // Nulls are NULL_VALUE (readers convert INT's INT_MIN to it).
    std::span<const qint64> ids;
    std::span<const qint64> times;
    // The writer's attempts in the order they were sent; only read when hasWriterLog.
    std::span<const WriterAttempt> attempts;
    bool hasWriterLog = false;   // false: existing-table mode
    qint64 extraNullIdRows = 0;  // rows with a null id the server counted but did not send
    qint64 extraNullIdStartMs = NULL_VALUE;  // their earliest and latest time, when the server said
    qint64 extraNullIdEndMs = NULL_VALUE;
    // The first id of every writer session after the first (a resumed run's writer): the time
    // between two sessions is the tool's own absence, so a time gap across one is not judged.
    std::span<const qint64> writerRestartIds;
    QList<HostWindow> windows;   // the engine timeline's host windows (may be empty)
};

// Rows per bucket over [startMs, startMs + bucketMs * counts.size()).
struct RateHistogram
{
    qint64 startMs = NULL_VALUE;
    qint64 bucketMs = 1000;
    std::vector<quint32> counts;
};

struct ContinuityReport
{
    bool writerMode = false;
    // What could not be judged (existing-table mode: everything that needs the writer log).
    QStringList notJudged;

    qint64 rows = 0;
    qint64 distinctIds = 0;
    qint64 minId = NULL_VALUE;
    qint64 maxId = NULL_VALUE;
    qint64 minTimeMs = NULL_VALUE;
    qint64 maxTimeMs = NULL_VALUE;
    qint64 nullIdRows = 0;
    qint64 nullTimeRows = 0;

    qint64 attempts = 0;
    qint64 acknowledged = 0;
    qint64 failed = 0;
    qint64 indeterminate = 0;

    // Totals per kind: ids for lost/recovered/never written/failed present/missing,
    // extra rows for duplicates, rows for nulls, occurrences for time gaps and stalls.
    std::array<qint64, FINDING_KIND_COUNT> totals{};
    std::array<qint64, FINDING_KIND_COUNT> findingCounts{};  // findings per kind (before the cut)
    bool findingsTruncated = false;

    qint64 latencyP50Ms = NULL_VALUE;   // over acknowledged attempts
    qint64 latencyP99Ms = NULL_VALUE;
    qint64 latencyMaxMs = NULL_VALUE;

    QList<ContinuityFinding> findings;  // sorted by kind, then first id, then start time
    RateHistogram rate;
    quint32 fatalKinds = 0;
    qint64 allowedLost = 0;
    qint64 timeGapMs = 0;               // the thresholds the analysis used
    qint64 stallMs = 0;
    qint64 gapsAcrossWriterRestarts = 0;  // time gaps not judged: the writer was not running
    bool denseIndex = false;            // which index the analysis used

    qint64 total(FindingKind kind) const { return totals[static_cast<size_t>(kind)]; }
    // A fatal kind has a finding (lost: more than allowedLost ids).
    bool isFatal() const;
    bool isFatal(FindingKind kind) const;
    QList<ContinuityFinding> findingsOf(FindingKind kind) const;
};

// Jepsen-style classification of a writer's attempts against the table read back
// (DESIGN.md §4). One pass over the rows into a dense per-id index (8 bytes per id of
// [minId, maxId]: occurrence count + earliest time, calloc'ed) when the ids are dense (span
// below 2 x rows + 64 Ki) and the times span less than 24 days; otherwise a sorted copy
// (16 bytes per row). No allocation per row. Measured: bench_engine_continuity.
//
// Rules (documented for the report):
// - an absent id is explained once: by its attempt (lost / never written / failed,
//   the last one is no finding) or, without an attempt, as a missing id (ranges);
// - ids are plain integers: a wrapped sequence (INT max followed by INT min) is one
//   missing range; the built-in writer never wraps (it stops at the column's maximum);
// - time gaps: a present id whose time is later than every earlier id's by more than the
//   threshold (so a step back in time does not make the next step forward a gap); a gap
//   across a writer restart is not judged;
// - time backwards: a present id whose time is earlier than the previous present id's;
// - an id's time is its earliest copy's; copies further apart than the gap threshold are a
//   late duplicate (not a duplicate), and the copy nearer the previous id's time stands for
//   the id in the time checks (a copy written a day later makes no day-long gap);
// - an empty table (no row with an id) is the finding no-rows;
// - latency = outcome time - send time; stalls use every attempt with an outcome time,
//   the percentiles only acknowledged ones;
// - a finding's host window is the first window its time span intersects.
// The attempts of one host window, for the checkpoint after that host: those sent within
// [startMs, cutoffMs], in the log's order, and the id range they cover (NULL_VALUE when there
// are none). Reading the table back over that range and analysing it with these attempts
// judges the window alone.
struct WindowAttempts
{
    std::vector<WriterAttempt> attempts;
    qint64 firstId = NULL_VALUE;
    qint64 lastId = NULL_VALUE;
};
WindowAttempts attemptsInWindow(const std::vector<WriterAttempt> &all, qint64 startMs, qint64 cutoffMs);

class ContinuityAnalyzer final
{
public:
    explicit ContinuityAnalyzer(ContinuityOptions options = {});

    ContinuityReport analyze(const ContinuityInput &input) const;

    const ContinuityOptions &options() const { return m_options; }

private:
    ContinuityOptions m_options;
};

// Output (continuityformat.cpp). Machine output (graystep-cli continuity --json, the run's
// events and summary, report export): verdict, reasons, thresholds, totals, findings.
QJsonObject continuityReportToJson(const ContinuityReport &report, const QList<HostWindow> &windows,
                                   const QStringList &nodeNames = {});
// A short human summary, one line per kind and finding (at most maxLines findings).
QString continuityReportToText(const ContinuityReport &report, const QList<HostWindow> &windows,
                               const QStringList &nodeNames = {}, int maxLines = 50);
// Why the verdict fails, one line per fatal kind: what, how much, where (ids, times, host
// window), e.g. "time-gap: 1 (beyond 5000 ms): 18700 ms between ids 120 and 121
// (2023-01-10T09:30:01.000Z .. 09:30:19.700Z) during 10.10.11.2". Empty when it passes.
QStringList continuityVerdictReasons(const ContinuityReport &report, const QList<HostWindow> &windows,
                                     int examplesPerKind = 3);

} // namespace GrayStep::Engine
