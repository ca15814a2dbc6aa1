// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityseries.h"

#include <algorithm>

namespace GrayStep::Engine {

namespace {

// floor((t - t0) * w / span) for t in [t0, t0 + span), without overflow.
int mapToPixel(qint64 t0, qint64 span, int w, qint64 t)
{
    const qint64 d = t - t0;
    qint64 p;
    if (d <= std::numeric_limits<qint64>::max() / w) {
        p = d * w / span;
    } else {
        p = static_cast<qint64>(static_cast<long double>(d) * w / static_cast<long double>(span));
    }
    return static_cast<int>(std::clamp<qint64>(p, 0, w - 1));
}

// The first time that maps to pixel p: t0 + ceil(p * span / w).
qint64 pixelStart(qint64 t0, qint64 span, int w, int p)
{
    if (p >= w) {
        return t0 + span;
    }
    if (span <= std::numeric_limits<qint64>::max() / w) {
        return t0 + (static_cast<qint64>(p) * span + w - 1) / w;
    }
    qint64 s = t0 + static_cast<qint64>(static_cast<long double>(p) * static_cast<long double>(span) / w);
    // Correct the rounding so that mapToPixel(s) == p and mapToPixel(s - 1) < p.
    while (s > t0 && mapToPixel(t0, span, w, s - 1) >= p) {
        --s;
    }
    while (mapToPixel(t0, span, w, s) < p) {
        ++s;
    }
    return s;
}

qint64 floorDiv(qint64 a, qint64 b)
{
    qint64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        --q;
    }
    return q;
}

} // namespace

int DecimatedSeries::pixelOf(qint64 t) const
{
    if (pixels.empty() || t < t0 || t >= t1) {
        return -1;
    }
    return mapToPixel(t0, t1 - t0, static_cast<int>(pixels.size()), t);
}

ContinuitySeries::ContinuitySeries(const ContinuityReport &report, std::span<const WriterAttempt> attempts)
    : m_rateStartMs(report.rate.startMs)
    , m_bucketMs(std::max<qint64>(1, report.rate.bucketMs))
    , m_counts(report.rate.counts)
{
    m_points.reserve(attempts.size());
    for (const WriterAttempt &a : attempts) {
        if (a.doneMs != NULL_VALUE) {
            m_points.push_back(Point{a.sendMs, a.doneMs - a.sendMs});
        }
    }
    const auto bySend = [](const Point &a, const Point &b) { return a.sendMs < b.sendMs; };
    if (!std::is_sorted(m_points.begin(), m_points.end(), bySend)) {
        std::stable_sort(m_points.begin(), m_points.end(), bySend);
    }
    m_spans.reserve(static_cast<size_t>(report.findings.size()));
    for (const ContinuityFinding &f : report.findings) {
        qint64 s = f.startMs == NULL_VALUE ? f.endMs : f.startMs;
        qint64 e = f.endMs == NULL_VALUE ? f.startMs : f.endMs;
        if (e < s) {
            std::swap(s, e);
        }
        m_spans.push_back(Span{s, e, f.kind, s != NULL_VALUE});
    }

    const auto extend = [this](qint64 s, qint64 e) {  // [s, e)
        m_startMs = m_startMs == NULL_VALUE ? s : std::min(m_startMs, s);
        m_endMs = m_endMs == NULL_VALUE ? e : std::max(m_endMs, e);
    };
    if (!m_counts.empty() && m_rateStartMs != NULL_VALUE) {
        extend(m_rateStartMs, m_rateStartMs + m_bucketMs * static_cast<qint64>(m_counts.size()));
    }
    if (!m_points.empty()) {
        extend(m_points.front().sendMs, m_points.back().sendMs + 1);
    }
    for (const Span &s : m_spans) {
        if (s.timed) {
            extend(s.startMs, s.endMs + 1);
        }
    }
}

ContinuitySeries ContinuitySeries::live(std::span<const WriterAttempt> attempts, qint64 bucketMs)
{
    ContinuityReport report;
    bucketMs = std::max<qint64>(1, bucketMs);
    qint64 first = NULL_VALUE;
    qint64 last = NULL_VALUE;
    for (const WriterAttempt &a : attempts) {
        if (a.outcome == AttemptOutcome::Acknowledged) {
            first = first == NULL_VALUE ? a.sendMs : std::min(first, a.sendMs);
            last = last == NULL_VALUE ? a.sendMs : std::max(last, a.sendMs);
        }
    }
    if (first != NULL_VALUE) {
        const qint64 buckets = (last - first) / bucketMs + 1;
        if (buckets > (qint64(1) << 22)) {
            bucketMs = (last - first) / (qint64(1) << 22) + 1;
        }
        report.rate.startMs = first;
        report.rate.bucketMs = bucketMs;
        report.rate.counts.assign(static_cast<size_t>((last - first) / bucketMs + 1), 0);
        for (const WriterAttempt &a : attempts) {
            if (a.outcome == AttemptOutcome::Acknowledged) {
                ++report.rate.counts[static_cast<size_t>((a.sendMs - first) / bucketMs)];
            }
        }
    }
    return ContinuitySeries(report, attempts);
}

DecimatedSeries ContinuitySeries::decimate(qint64 t0, qint64 t1, int widthPx) const
{
    DecimatedSeries out;
    const int w = std::clamp(widthPx, 1, 1 << 20);
    if (t1 <= t0) {
        t1 = t0 + 1;
    }
    out.t0 = t0;
    out.t1 = t1;
    const qint64 span = t1 - t0;
    out.pixels.resize(static_cast<size_t>(w));
    for (int p = 0; p < w; ++p) {
        out.pixels[static_cast<size_t>(p)].startMs = pixelStart(t0, span, w, p);
        out.pixels[static_cast<size_t>(p)].endMs = pixelStart(t0, span, w, p + 1);
    }

    // Rows/s: every bucket overlapping the view contributes to every pixel it overlaps.
    if (!m_counts.empty() && m_rateStartMs != NULL_VALUE) {
        const auto n = static_cast<qint64>(m_counts.size());
        const qint64 kFirst = std::max<qint64>(0, floorDiv(t0 - m_rateStartMs, m_bucketMs));
        const qint64 kLast = std::min<qint64>(n - 1, floorDiv(t1 - 1 - m_rateStartMs, m_bucketMs));
        const double perSecond = 1000.0 / static_cast<double>(m_bucketMs);
        for (qint64 k = kFirst; k <= kLast; ++k) {
            const qint64 bs = m_rateStartMs + k * m_bucketMs;
            const qint64 a = std::max(bs, t0);
            const qint64 b = std::min(bs + m_bucketMs, t1) - 1;
            if (a > b) {
                continue;
            }
            const double rate = m_counts[static_cast<size_t>(k)] * perSecond;
            const int p1 = mapToPixel(t0, span, w, b);
            for (int p = mapToPixel(t0, span, w, a); p <= p1; ++p) {
                SeriesPixel &px = out.pixels[static_cast<size_t>(p)];
                if (px.startMs >= px.endMs) {
                    continue;  // an empty pixel (zoomed in below 1 ms per pixel)
                }
                if (px.rateMin < 0) {
                    px.rateMin = px.rateMax = rate;
                } else {
                    px.rateMin = std::min(px.rateMin, rate);
                    px.rateMax = std::max(px.rateMax, rate);
                }
            }
        }
    }

    // Latency: points are sorted by send time; walk pixels alongside (no division per point).
    auto it = std::lower_bound(m_points.begin(), m_points.end(), t0,
                               [](const Point &p, qint64 t) { return p.sendMs < t; });
    int p = 0;
    for (; it != m_points.end() && it->sendMs < t1; ++it) {
        while (it->sendMs >= out.pixels[static_cast<size_t>(p)].endMs) {
            ++p;
        }
        SeriesPixel &px = out.pixels[static_cast<size_t>(p)];
        if (px.attempts++ == 0) {
            px.latencyMin = px.latencyMax = it->latencyMs;
        } else {
            px.latencyMin = std::min(px.latencyMin, it->latencyMs);
            px.latencyMax = std::max(px.latencyMax, it->latencyMs);
        }
    }

    // Markers: every finding that intersects the view, on every pixel it covers.
    for (size_t i = 0; i < m_spans.size(); ++i) {
        const Span &s = m_spans[i];
        if (!s.timed) {
            ++out.findingsWithoutTime;
            continue;
        }
        if (s.startMs >= t1 || s.endMs < t0) {
            continue;
        }
        SeriesMarker m;
        m.finding = static_cast<int>(i);
        m.kind = s.kind;
        m.firstPixel = mapToPixel(t0, span, w, std::max(s.startMs, t0));
        m.lastPixel = mapToPixel(t0, span, w, std::min(s.endMs, t1 - 1));
        const quint32 bit = findingBit(s.kind);
        for (int q = m.firstPixel; q <= m.lastPixel; ++q) {
            SeriesPixel &px = out.pixels[static_cast<size_t>(q)];
            if (px.startMs < px.endMs) {
                px.markers |= bit;
            }
        }
        out.markers.push_back(m);
    }
    return out;
}

} // namespace GrayStep::Engine
