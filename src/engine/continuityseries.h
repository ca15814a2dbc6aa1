// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuityanalyzer.h"
#include "engine/continuitytypes.h"

#include <span>
#include <vector>

namespace GrayStep::Engine {

// One pixel column of the continuity chart: the time span [startMs, endMs) and min/max of
// every series over it (M4-style, so no dip or spike disappears), plus the finding kinds
// that touch it.
struct SeriesPixel
{
    qint64 startMs = 0;
    qint64 endMs = 0;
    double rateMin = -1;      // rows/s; -1: no table data in this pixel
    double rateMax = -1;
    qint64 latencyMin = NULL_VALUE;  // ms, over attempts sent in this pixel; null: none
    qint64 latencyMax = NULL_VALUE;
    quint32 attempts = 0;
    quint32 markers = 0;      // findingBit() of every finding whose span touches the pixel
};

// Where a finding is drawn: every finding of the report whose time span intersects the view.
struct SeriesMarker
{
    int finding = -1;         // index into ContinuityReport::findings
    FindingKind kind = FindingKind::Lost;
    int firstPixel = 0;
    int lastPixel = 0;
};

struct DecimatedSeries
{
    qint64 t0 = 0;            // the view [t0, t1)
    qint64 t1 = 0;
    std::vector<SeriesPixel> pixels;
    std::vector<SeriesMarker> markers;
    int findingsWithoutTime = 0;  // findings with no time span (null-id rows without time): not drawable

    // The pixel that holds time t (t in [t0, t1)); -1 outside.
    int pixelOf(qint64 t) const;
};

// Chart-ready series for the continuity panel and the report: rows/s (from the table's
// histogram) and latency (from the writer's attempts) over time, decimated to min/max per
// pixel for any zoom [t0, t1) and width. Guarantee (tested): every finding whose span
// intersects the view has a marker, and its kind bit is set on every pixel it covers; an
// empty rate bucket inside a pixel shows as rateMin == 0. Immutable after construction,
// so decimate() may run on any thread.
class ContinuitySeries final
{
public:
    ContinuitySeries() = default;
    // Copies what it needs: the rate histogram, (send time, latency) of every attempt that
    // has an outcome time (sorted by send time), and the findings' spans.
    ContinuitySeries(const ContinuityReport &report, std::span<const WriterAttempt> attempts);
    // The live view while the writer runs (nothing read back yet): rows/s are the
    // acknowledged appends per bucket (by send time), latency as above, no findings.
    static ContinuitySeries live(std::span<const WriterAttempt> attempts, qint64 bucketMs = 1000);

    qint64 startMs() const { return m_startMs; }  // the whole extent; null when empty
    qint64 endMs() const { return m_endMs; }      // exclusive

    DecimatedSeries decimate(qint64 t0, qint64 t1, int widthPx) const;

private:
    struct Point
    {
        qint64 sendMs;
        qint64 latencyMs;
    };
    struct Span
    {
        qint64 startMs;
        qint64 endMs;   // inclusive
        FindingKind kind;
        bool timed;
    };

    qint64 m_rateStartMs = NULL_VALUE;
    qint64 m_bucketMs = 1000;
    std::vector<quint32> m_counts;
    std::vector<Point> m_points;
    std::vector<Span> m_spans;
    qint64 m_startMs = NULL_VALUE;
    qint64 m_endMs = NULL_VALUE;
};

} // namespace GrayStep::Engine
