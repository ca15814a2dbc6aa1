// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityanalyzer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

using namespace Qt::Literals::StringLiterals;

#if defined(__GNUC__) || defined(__clang__)
#define GRAYSTEP_PREFETCH(p) __builtin_prefetch(p, 1)
#else
#define GRAYSTEP_PREFETCH(p) ((void)(p))
#endif

namespace GrayStep::Engine {

namespace {

constexpr qint32 NO_TIME32 = std::numeric_limits<qint32>::max();
constexpr quint64 MAX_RATE_BUCKETS = quint64(1) << 22;

size_t kindIndex(FindingKind kind)
{
    return static_cast<size_t>(kind);
}

// Maps a time offset (>= 0) to its histogram bucket without a 64-bit division per row.
struct BucketMapper
{
    qint64 bucketMs = 1000;
    double inverse = 0.001;
    qint64 lastBucket = 0;

    // offset = time - first time, as an unsigned distance (any two times fit).
    size_t operator()(quint64 offset) const
    {
        const auto width = static_cast<quint64>(bucketMs);
        const auto last = static_cast<quint64>(lastBucket);
        auto b = std::min(static_cast<quint64>(static_cast<double>(offset) * inverse), last);
        while (b > 0 && b * width > offset) {
            --b;
        }
        while (b < last && (b + 1) * width <= offset) {
            ++b;
        }
        return static_cast<size_t>(b);
    }
};

// b - a for a <= b, saturated to INT64_MAX (ids and times may span the whole range).
qint64 distance(qint64 a, qint64 b)
{
    const quint64 d = static_cast<quint64>(b) - static_cast<quint64>(a);
    return static_cast<qint64>(std::min<quint64>(d, std::numeric_limits<qint64>::max()));
}

qint64 minTime(qint64 a, qint64 b)
{
    if (a == NULL_VALUE) {
        return b;
    }
    if (b == NULL_VALUE) {
        return a;
    }
    return std::min(a, b);
}

qint64 maxTime(qint64 a, qint64 b)
{
    if (a == NULL_VALUE) {
        return b;
    }
    if (b == NULL_VALUE) {
        return a;
    }
    return std::max(a, b);
}

// Presence of ids, dense form: one 8-byte slot per id of [lo, hi] with the occurrence count
// and the earliest time, stored inverted (INT32_MAX - offset) so that an all-zero slot means
// "absent, no time" and the array can come zeroed from calloc (no initialising pass).
struct DenseSlot
{
    qint32 earliest;  // 0: no time; else INT32_MAX - (time - timeBase)
    quint32 count;
};

class DenseIndex
{
public:
    DenseIndex(qint64 lowest, qint64 base, size_t range)
        : lo(lowest)
        , timeBase(base)
        , size(range)
        , slots(static_cast<DenseSlot *>(std::calloc(range, sizeof(DenseSlot))))
    {}
    ~DenseIndex() { std::free(slots); }
    DenseIndex(const DenseIndex &) = delete;
    DenseIndex &operator=(const DenseIndex &) = delete;

    qint64 lo = 0;
    qint64 timeBase = 0;
    size_t size = 0;
    DenseSlot *slots = nullptr;
    std::unordered_map<qint64, qint64> overflow;  // occurrences beyond 2^32 - 1 (never, in practice)
    std::unordered_map<qint64, qint64> latest;    // ids with more than one copy: the latest time

    qint64 earliestOf(const DenseSlot &s) const
    {
        return s.earliest == 0 ? NULL_VALUE : timeBase + (NO_TIME32 - s.earliest);
    }

    // One more copy of an id already present (rare: duplicates only), time t (may be null).
    void addCopy(qint64 id, const DenseSlot &before, qint64 t)
    {
        const auto it = latest.find(id);
        const qint64 known = maxTime(it == latest.end() ? earliestOf(before) : it->second, t);
        if (known != NULL_VALUE) {
            latest[id] = known;
        }
    }

    // f(id, earliest time, latest time, occurrences) in id order.
    template<typename F>
    void forEachPresent(F &&f) const
    {
        for (size_t i = 0; i < size; ++i) {
            const DenseSlot s = slots[i];
            if (s.count == 0) {
                continue;
            }
            const qint64 id = lo + static_cast<qint64>(i);
            qint64 occurrences = s.count;
            if (s.count == std::numeric_limits<quint32>::max()) {
                const auto it = overflow.find(id);
                occurrences += it == overflow.end() ? 0 : it->second;
            }
            const qint64 earliest = earliestOf(s);
            qint64 last = earliest;
            if (occurrences > 1) {
                const auto it = latest.find(id);
                last = it == latest.end() ? earliest : it->second;
            }
            f(id, earliest, last, occurrences);
        }
    }
};

// Presence of ids, sparse form: (id, time) pairs sorted by id. 16 bytes per row.
class SparseIndex
{
public:
    std::vector<std::pair<qint64, qint64>> rows;

    template<typename F>
    void forEachPresent(F &&f) const
    {
        const size_t n = rows.size();
        size_t i = 0;
        while (i < n) {
            const qint64 id = rows[i].first;
            qint64 earliest = NULL_VALUE;
            qint64 last = NULL_VALUE;
            size_t j = i;
            for (; j < n && rows[j].first == id; ++j) {
                earliest = minTime(earliest, rows[j].second);
                last = maxTime(last, rows[j].second);
            }
            f(id, earliest, last, static_cast<qint64>(j - i));
            i = j;
        }
    }
};

// The writer's attempts in id order without copying them: an index permutation only when
// the log is not already in id order (the built-in writer's log always is).
class AttemptsById
{
public:
    // sorted: the attempts are known to be in id order (checked by the caller's pass).
    AttemptsById(std::span<const WriterAttempt> attempts, bool sorted)
        : m_attempts(attempts)
    {
        if (!sorted) {
            m_order.resize(attempts.size());
            for (size_t i = 0; i < m_order.size(); ++i) {
                m_order[i] = i;
            }
            std::stable_sort(m_order.begin(), m_order.end(), [&](size_t a, size_t b) {
                return attempts[a].id < attempts[b].id;
            });
        }
        // Null ids sort first; the walk starts after them.
        while (m_first < size() && at(m_first).id == NULL_VALUE) {
            ++m_first;
        }
    }
    size_t first() const { return m_first; }
    size_t size() const { return m_attempts.size(); }
    const WriterAttempt &at(size_t i) const { return m_order.empty() ? m_attempts[i] : m_attempts[m_order[i]]; }

private:
    std::span<const WriterAttempt> m_attempts;
    std::vector<size_t> m_order;
    size_t m_first = 0;
};

// Exact nearest-rank percentiles: a millisecond histogram plus the rare outliers.
class LatencyHistogram
{
public:
    static constexpr qint64 BINS = 65536;

    void add(qint64 latency)
    {
        if (latency >= 0 && latency < BINS) {
            if (m_bins.empty()) {
                m_bins.assign(BINS, 0);
            }
            ++m_bins[static_cast<size_t>(latency)];
        } else {
            m_outliers.push_back(latency);
        }
        ++m_count;
        m_max = m_count == 1 ? latency : std::max(m_max, latency);
    }
    qint64 max() const { return m_count == 0 ? NULL_VALUE : m_max; }
    qint64 percentile(double p)
    {
        if (m_count == 0) {
            return NULL_VALUE;
        }
        std::sort(m_outliers.begin(), m_outliers.end());
        const auto rank = static_cast<qint64>(std::ceil(p * static_cast<double>(m_count)));
        qint64 r = std::clamp<qint64>(rank, 1, m_count);
        const auto negatives = static_cast<qint64>(
            std::lower_bound(m_outliers.begin(), m_outliers.end(), 0) - m_outliers.begin());
        if (r <= negatives) {
            return m_outliers[static_cast<size_t>(r - 1)];
        }
        r -= negatives;
        for (size_t i = 0; i < m_bins.size(); ++i) {
            if (r <= m_bins[i]) {
                return static_cast<qint64>(i);
            }
            r -= m_bins[i];
        }
        return m_outliers[static_cast<size_t>(negatives + r - 1)];
    }

private:
    std::vector<qint64> m_bins;
    std::vector<qint64> m_outliers;
    qint64 m_count = 0;
    qint64 m_max = 0;
};

class Collector
{
public:
    Collector(ContinuityReport &report, const ContinuityOptions &options)
        : m_report(report)
        , m_options(options)
    {}

    void emitFinding(const ContinuityFinding &f)
    {
        const size_t k = kindIndex(f.kind);
        m_report.totals[k] += f.count;
        if (++m_report.findingCounts[k] <= m_options.maxFindingsPerKind) {
            m_report.findings.append(f);
        } else {
            m_report.findingsTruncated = true;
        }
    }

    // Merges id-consecutive findings of one kind and node into ranges.
    void addRanged(FindingKind kind, qint64 id, qint64 count, qint64 startMs, qint64 endMs, int node,
                   qint64 valueMs = 0)
    {
        auto &open = m_open[kindIndex(kind)];
        if (open && id > open->lastId && distance(open->lastId, id) == 1 && open->node == node) {
            open->lastId = id;
            open->count += count;
            open->startMs = minTime(open->startMs, startMs);
            open->endMs = maxTime(open->endMs, endMs);
            open->valueMs = std::max(open->valueMs, valueMs);
            return;
        }
        flush(kind);
        ContinuityFinding f;
        f.kind = kind;
        f.firstId = id;
        f.lastId = id;
        f.count = count;
        f.startMs = startMs;
        f.endMs = endMs;
        f.valueMs = valueMs;
        f.node = node;
        open = f;
    }

    void flush(FindingKind kind)
    {
        auto &open = m_open[kindIndex(kind)];
        if (open) {
            emitFinding(*open);
            open.reset();
        }
    }

    void flushAll()
    {
        for (size_t k = 0; k < FINDING_KIND_COUNT; ++k) {
            flush(static_cast<FindingKind>(k));
        }
    }

private:
    ContinuityReport &m_report;
    const ContinuityOptions &m_options;
    std::array<std::optional<ContinuityFinding>, FINDING_KIND_COUNT> m_open;
};

// The walk over present ids in id order, interleaved with the writer's attempts.
// restarts: the writer sessions' first ids (sorted), across which a time gap is not judged.
template<typename Index>
void walk(const Index &index, const AttemptsById &keys, const std::vector<qint64> &restarts,
          const ContinuityOptions &options, ContinuityReport &report, Collector &out)
{
    qint64 prevCovered = NULL_VALUE;
    qint64 prevCoveredTime = NULL_VALUE;
    qint64 prevTimedId = NULL_VALUE;    // the previous present id with a time, and that time
    qint64 prevTime = NULL_VALUE;
    qint64 highId = NULL_VALUE;         // the present id with the latest time so far, and that time
    qint64 highTime = NULL_VALUE;
    qint64 distinct = 0;
    size_t ai = keys.first();
    const size_t na = keys.size();

    const auto cover = [&](qint64 id, qint64 t) {
        if (prevCovered != NULL_VALUE && id > prevCovered && distance(prevCovered, id) > 1) {
            ContinuityFinding f;
            f.kind = FindingKind::MissingIds;
            f.firstId = prevCovered + 1;
            f.lastId = id - 1;
            f.count = distance(prevCovered, id) - 1;
            f.startMs = prevCoveredTime;
            f.endMs = t;
            out.emitFinding(f);
        }
        if (prevCovered == NULL_VALUE || id > prevCovered) {
            prevCovered = id;
            prevCoveredTime = t;
        }
    };
    const auto classify = [&](const WriterAttempt &a, bool present) {
        const qint64 end = a.doneMs == NULL_VALUE ? a.sendMs : a.doneMs;
        switch (a.outcome) {
        case AttemptOutcome::Acknowledged:
            if (!present) {
                out.addRanged(FindingKind::Lost, a.id, 1, a.sendMs, end, a.node);
            }
            break;
        case AttemptOutcome::Indeterminate:
            out.addRanged(present ? FindingKind::Recovered : FindingKind::NeverWritten, a.id, 1,
                          a.sendMs, end, a.node);
            break;
        case AttemptOutcome::Failed:
            if (present) {
                out.addRanged(FindingKind::FailedButPresent, a.id, 1, a.sendMs, end, a.node);
            }
            break;
        }
    };
    // A writer session started in (from, to]: the time between them is not the cluster's.
    const auto restartBetween = [&](qint64 from, qint64 to) {
        const auto it = std::upper_bound(restarts.begin(), restarts.end(), from);
        return it != restarts.end() && *it <= to;
    };

    index.forEachPresent([&](qint64 id, qint64 earliest, qint64 latest, qint64 occurrences) {
        while (ai < na && keys.at(ai).id < id) {
            cover(keys.at(ai).id, keys.at(ai).sendMs);
            classify(keys.at(ai), false);
            ++ai;
        }
        cover(id, earliest);
        while (ai < na && keys.at(ai).id == id) {
            classify(keys.at(ai), true);
            ++ai;
        }
        ++distinct;
        qint64 t = earliest;
        if (occurrences > 1) {
            if (earliest != NULL_VALUE && latest != NULL_VALUE && distance(earliest, latest) > options.timeGapMs) {
                out.addRanged(FindingKind::LateDuplicate, id, occurrences - 1, earliest, latest, -1,
                              distance(earliest, latest));
                // The copy nearer the sequence stands for the id in the time checks.
                if (prevTime != NULL_VALUE
                    && (latest >= prevTime ? distance(prevTime, latest) : distance(latest, prevTime))
                        < (earliest >= prevTime ? distance(prevTime, earliest) : distance(earliest, prevTime))) {
                    t = latest;
                }
            } else {
                out.addRanged(FindingKind::Duplicate, id, occurrences - 1, earliest, latest, -1);
            }
        }
        if (t == NULL_VALUE) {
            return;
        }
        if (prevTime != NULL_VALUE && t < prevTime) {
            ContinuityFinding f;
            f.kind = FindingKind::TimeBackwards;
            f.firstId = prevTimedId;
            f.lastId = id;
            f.count = 1;
            f.startMs = t;
            f.endMs = prevTime;
            f.valueMs = distance(t, prevTime);
            out.emitFinding(f);
        }
        if (highTime != NULL_VALUE && t > highTime && distance(highTime, t) > options.timeGapMs) {
            if (restartBetween(highId, id)) {
                ++report.gapsAcrossWriterRestarts;
            } else {
                ContinuityFinding f;
                f.kind = FindingKind::TimeGap;
                f.firstId = highId;
                f.lastId = id;
                f.count = 1;
                f.startMs = highTime;
                f.endMs = t;
                f.valueMs = distance(highTime, t);
                out.emitFinding(f);
            }
        }
        prevTimedId = id;
        prevTime = t;
        if (highTime == NULL_VALUE || t > highTime) {
            highId = id;
            highTime = t;
        }
    });
    for (; ai < na; ++ai) {
        cover(keys.at(ai).id, keys.at(ai).sendMs);
        classify(keys.at(ai), false);
    }
    report.distinctIds = distinct;
}

int windowFor(const QList<HostWindow> &windows, qint64 startMs, qint64 endMs)
{
    if (startMs == NULL_VALUE) {
        startMs = endMs;
    }
    if (endMs == NULL_VALUE) {
        endMs = startMs;
    }
    if (startMs == NULL_VALUE) {
        return -1;
    }
    for (qsizetype i = 0; i < windows.size(); ++i) {
        if (startMs <= windows.at(i).endMs && endMs >= windows.at(i).startMs) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

} // namespace

bool ContinuityReport::isFatal(FindingKind kind) const
{
    const size_t k = kindIndex(kind);
    if (!(fatalKinds & findingBit(kind)) || findingCounts[k] == 0) {
        return false;
    }
    return kind != FindingKind::Lost || totals[k] > allowedLost;
}

bool ContinuityReport::isFatal() const
{
    for (size_t k = 0; k < FINDING_KIND_COUNT; ++k) {
        if (isFatal(static_cast<FindingKind>(k))) {
            return true;
        }
    }
    return false;
}

QList<ContinuityFinding> ContinuityReport::findingsOf(FindingKind kind) const
{
    QList<ContinuityFinding> result;
    for (const auto &f : findings) {
        if (f.kind == kind) {
            result.append(f);
        }
    }
    return result;
}

ContinuityAnalyzer::ContinuityAnalyzer(ContinuityOptions options)
    : m_options(options)
{}

ContinuityReport ContinuityAnalyzer::analyze(const ContinuityInput &input) const
{
    ContinuityReport report;
    report.writerMode = input.hasWriterLog;
    report.fatalKinds = m_options.fatalKinds;
    report.allowedLost = std::max<qint64>(0, m_options.allowedLost);
    report.timeGapMs = m_options.timeGapMs;
    report.stallMs = m_options.stallMs;
    if (!input.hasWriterLog) {
        report.notJudged = {u"lost"_s, u"recovered"_s, u"never-written"_s, u"failed-but-present"_s,
                            u"stall"_s, u"latency"_s};
    }
    Collector out(report, m_options);

    const size_t n = std::min(input.ids.size(), input.times.size());
    const qint64 *ids = input.ids.data();
    const qint64 *times = input.times.data();
    report.rows = static_cast<qint64>(n);

    // Pass 1: ranges and nulls.
    qint64 minId = std::numeric_limits<qint64>::max();
    qint64 maxId = NULL_VALUE;
    qint64 minT = std::numeric_limits<qint64>::max();
    qint64 maxT = NULL_VALUE;
    qint64 nullIds = 0;
    qint64 nullTimes = 0;
    for (size_t i = 0; i < n; ++i) {
        const qint64 id = ids[i];
        const qint64 t = times[i];
        if (id == NULL_VALUE) {
            ++nullIds;
        } else {
            minId = std::min(minId, id);
            maxId = std::max(maxId, id);
        }
        if (t == NULL_VALUE) {
            ++nullTimes;
        } else {
            minT = std::min(minT, t);
            maxT = std::max(maxT, t);
        }
    }
    const qint64 validRows = static_cast<qint64>(n) - nullIds;
    const bool haveTimes = static_cast<qint64>(n) > nullTimes;
    if (validRows > 0) {
        report.minId = minId;
        report.maxId = maxId;
    }
    if (haveTimes) {
        report.minTimeMs = minT;
        report.maxTimeMs = maxT;
    }
    const qint64 extraNullIds = std::max<qint64>(0, input.extraNullIdRows);
    report.rows += extraNullIds;
    report.nullIdRows = nullIds + extraNullIds;
    report.nullTimeRows = nullTimes;

    // Null findings (one each; rare, so a second look at those rows is fine).
    if (report.nullIdRows > 0 || nullTimes > 0) {
        ContinuityFinding nid{FindingKind::NullId, NULL_VALUE, NULL_VALUE, 0, NULL_VALUE, NULL_VALUE, 0, -1, -1};
        ContinuityFinding ntm{FindingKind::NullTime, NULL_VALUE, NULL_VALUE, 0, NULL_VALUE, NULL_VALUE, 0, -1, -1};
        for (size_t i = 0; i < n; ++i) {
            if (ids[i] == NULL_VALUE) {
                ++nid.count;
                nid.startMs = minTime(nid.startMs, times[i]);
                nid.endMs = maxTime(nid.endMs, times[i]);
            } else if (times[i] == NULL_VALUE) {
                ++ntm.count;
                ntm.firstId = ntm.firstId == NULL_VALUE ? ids[i] : std::min(ntm.firstId, ids[i]);
                ntm.lastId = ntm.lastId == NULL_VALUE ? ids[i] : std::max(ntm.lastId, ids[i]);
            }
            if (ids[i] == NULL_VALUE && times[i] == NULL_VALUE) {
                ++ntm.count;  // a row with neither still has a null time
            }
        }
        nid.count += extraNullIds;
        if (extraNullIds > 0) {
            nid.startMs = minTime(nid.startMs, input.extraNullIdStartMs);
            nid.endMs = maxTime(nid.endMs, input.extraNullIdEndMs);
        }
        if (nid.count > 0) {
            out.emitFinding(nid);
        }
        if (ntm.count > 0) {
            out.emitFinding(ntm);
        }
    }

    // Rows over time.
    BucketMapper bucket;
    if (haveTimes) {
        const quint64 span = static_cast<quint64>(maxT) - static_cast<quint64>(minT);
        qint64 width = std::max<qint64>(1, m_options.rateBucketMs);
        if (span / static_cast<quint64>(width) >= MAX_RATE_BUCKETS) {
            width = static_cast<qint64>(span / MAX_RATE_BUCKETS + 1);
        }
        bucket.bucketMs = width;
        bucket.inverse = 1.0 / static_cast<double>(width);
        bucket.lastBucket = static_cast<qint64>(span / static_cast<quint64>(width));
        report.rate.startMs = minT;
        report.rate.bucketMs = width;
        report.rate.counts.assign(static_cast<size_t>(bucket.lastBucket + 1), 0);
    }
    quint32 *rate = report.rate.counts.data();

    // The writer's attempts, in id order.
    bool attemptsSorted = true;
    if (input.hasWriterLog) {
        qint64 previousId = std::numeric_limits<qint64>::min();
        LatencyHistogram ackLatencies;
        qint64 stalledOpen = 0;
        ContinuityFinding stall;
        for (const WriterAttempt &a : input.attempts) {
            ++report.attempts;
            attemptsSorted = attemptsSorted && a.id >= previousId;
            previousId = a.id;
            switch (a.outcome) {
            case AttemptOutcome::Acknowledged: ++report.acknowledged; break;
            case AttemptOutcome::Failed: ++report.failed; break;
            case AttemptOutcome::Indeterminate: ++report.indeterminate; break;
            }
            const qint64 latency = a.latencyMs();
            if (a.outcome == AttemptOutcome::Acknowledged && latency != NULL_VALUE) {
                ackLatencies.add(latency);
            }
            if (latency != NULL_VALUE && latency > m_options.stallMs) {
                if (stalledOpen == 0) {
                    stall = ContinuityFinding{FindingKind::Stall, a.id, a.id, 0, a.sendMs, a.doneMs, 0, a.node, -1};
                }
                ++stalledOpen;
                stall.count = stalledOpen;
                stall.firstId = std::min(stall.firstId, a.id);
                stall.lastId = std::max(stall.lastId, a.id);
                stall.endMs = std::max(stall.endMs, a.doneMs);
                stall.valueMs = std::max(stall.valueMs, latency);
            } else if (stalledOpen > 0) {
                out.emitFinding(stall);
                stalledOpen = 0;
            }
        }
        if (stalledOpen > 0) {
            out.emitFinding(stall);
        }
        report.latencyMaxMs = ackLatencies.max();
        report.latencyP99Ms = ackLatencies.percentile(0.99);
        report.latencyP50Ms = ackLatencies.percentile(0.50);
    }
    const AttemptsById keys(input.hasWriterLog ? input.attempts : std::span<const WriterAttempt>(), attemptsSorted);
    std::vector<qint64> restarts(input.writerRestartIds.begin(), input.writerRestartIds.end());
    std::sort(restarts.begin(), restarts.end());

    // Pass 2: the id index (dense when ids are dense and times fit 31 bits), then the walk.
    const quint64 idSpan = validRows > 0 ? static_cast<quint64>(maxId) - static_cast<quint64>(minId) : 0;
    const quint64 timeSpan = haveTimes ? static_cast<quint64>(maxT) - static_cast<quint64>(minT) : 0;
    const bool denseFits = validRows > 0 && timeSpan < static_cast<quint64>(NO_TIME32)
        && idSpan < std::max<quint64>(2 * static_cast<quint64>(validRows) + 65536,
                                      m_options.index == ContinuityOptions::Index::Dense ? 1u << 26 : 0);
    const bool dense = denseFits && m_options.index != ContinuityOptions::Index::Sparse;
    report.denseIndex = dense;
    if (dense) {
        DenseIndex index(minId, haveTimes ? minT : 0, static_cast<size_t>(idSpan) + 1);
        if (!index.slots) {
            qFatal("continuity: out of memory for %zu ids", index.size);
        }
        DenseSlot *slots = index.slots;
        const qint64 base = index.timeBase;
        constexpr size_t AHEAD = 16;
        size_t currentBucket = 0;
        qint64 bucketLo = 0;
        qint64 bucketHi = -1;  // empty: the first row computes its bucket
        for (size_t i = 0; i < n; ++i) {
            if (i + AHEAD < n && ids[i + AHEAD] != NULL_VALUE) {
                // Random-order tables: fetch the slot early (one cache miss per row otherwise).
                GRAYSTEP_PREFETCH(slots + (ids[i + AHEAD] - minId));
            }
            const qint64 id = ids[i];
            const qint64 t = times[i];
            const bool hasTime = t != NULL_VALUE;
            const qint64 offset = hasTime ? t - base : 0;
            if (hasTime) {
                // Tables come back roughly in time order: most rows fall in the last bucket.
                if (offset < bucketLo || offset >= bucketHi) {
                    currentBucket = bucket(static_cast<quint64>(offset));
                    bucketLo = static_cast<qint64>(currentBucket) * bucket.bucketMs;
                    bucketHi = currentBucket == static_cast<size_t>(bucket.lastBucket)
                        ? std::numeric_limits<qint64>::max() : bucketLo + bucket.bucketMs;
                }
                ++rate[currentBucket];
            }
            if (id == NULL_VALUE) {
                continue;
            }
            DenseSlot &slot = slots[id - minId];
            if (slot.count != 0) {
                index.addCopy(id, slot, t);  // a duplicate: keep its latest time too
            }
            if (slot.count != std::numeric_limits<quint32>::max()) {
                ++slot.count;
            } else {
                ++index.overflow[id];
            }
            const auto inverted = hasTime ? NO_TIME32 - static_cast<qint32>(offset) : 0;
            if (inverted > slot.earliest) {
                slot.earliest = inverted;
            }
        }
        walk(index, keys, restarts, m_options, report, out);
    } else {
        SparseIndex index;
        index.rows.reserve(static_cast<size_t>(validRows));
        for (size_t i = 0; i < n; ++i) {
            if (times[i] != NULL_VALUE) {
                ++rate[bucket(static_cast<quint64>(times[i]) - static_cast<quint64>(minT))];
            }
            if (ids[i] != NULL_VALUE) {
                index.rows.emplace_back(ids[i], times[i]);
            }
        }
        std::sort(index.rows.begin(), index.rows.end(),
                  [](const auto &a, const auto &b) { return a.first < b.first; });
        walk(index, keys, restarts, m_options, report, out);
    }
    if (validRows == 0) {
        // Nothing to judge: an empty table, a filter that matches nothing, or the wrong column.
        out.emitFinding(ContinuityFinding{FindingKind::NoRows, NULL_VALUE, NULL_VALUE, 1, NULL_VALUE, NULL_VALUE,
                                          0, -1, -1});
    }
    out.flushAll();

    for (auto &f : report.findings) {
        // A late duplicate belongs to the window of its later copy (the write that came late).
        f.window = f.kind == FindingKind::LateDuplicate ? windowFor(input.windows, f.endMs, f.endMs)
                                                        : windowFor(input.windows, f.startMs, f.endMs);
    }
    std::sort(report.findings.begin(), report.findings.end(),
              [](const ContinuityFinding &a, const ContinuityFinding &b) {
                  if (a.kind != b.kind) {
                      return a.kind < b.kind;
                  }
                  if (a.firstId != b.firstId) {
                      return a.firstId < b.firstId;
                  }
                  return a.startMs < b.startMs;
              });
    return report;
}

WindowAttempts attemptsInWindow(const std::vector<WriterAttempt> &all, qint64 startMs, qint64 cutoffMs)
{
    WindowAttempts w;
    for (const WriterAttempt &a : all) {
        if (a.sendMs < startMs || a.sendMs > cutoffMs) {
            continue;
        }
        w.attempts.push_back(a);
        w.firstId = w.firstId == NULL_VALUE ? a.id : std::min(w.firstId, a.id);
        w.lastId = w.lastId == NULL_VALUE ? a.id : std::max(w.lastId, a.id);
    }
    return w;
}

} // namespace GrayStep::Engine
