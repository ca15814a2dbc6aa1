// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityseries.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>

using namespace GrayStep::Engine;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr qint64 T0 = 1673343000000;

struct Run
{
    std::vector<qint64> ids;
    std::vector<qint64> times;
    std::vector<WriterAttempt> attempts;
    ContinuityReport report;
};

// A writer run with random pauses, losses, duplicates, indeterminate and failed attempts,
// slow acknowledgements; times monotonic in id.
Run randomRun(quint32 seed, int n)
{
    QRandomGenerator rng(seed);
    Run run;
    qint64 t = T0;
    for (int id = 1; id <= n; ++id) {
        t += 1 + rng.bounded(40);
        if (rng.bounded(200) == 0) {
            t += 2000 + rng.bounded(20000);  // a pause: time gap
        }
        AttemptOutcome outcome = AttemptOutcome::Acknowledged;
        int copies = 1;
        switch (rng.bounded(100)) {
        case 0: copies = 0; break;                                  // lost
        case 1: copies = 2; break;                                  // duplicate
        case 2: outcome = AttemptOutcome::Indeterminate; break;     // recovered
        case 3: outcome = AttemptOutcome::Indeterminate; copies = 0; break;  // never written
        case 4: outcome = AttemptOutcome::Failed; break;            // failed but present
        case 5: outcome = AttemptOutcome::Failed; copies = 0; break;
        default: break;
        }
        const qint64 latency = rng.bounded(100) == 0 ? 1000 + rng.bounded(3000) : rng.bounded(20);
        run.attempts.push_back(WriterAttempt{id, t, t + latency, outcome, static_cast<qint16>(rng.bounded(3))});
        for (int c = 0; c < copies; ++c) {
            run.ids.push_back(id);
            run.times.push_back(t);
        }
    }
    ContinuityInput in;
    in.ids = run.ids;
    in.times = run.times;
    in.attempts = run.attempts;
    in.hasWriterLog = true;
    run.report = ContinuityAnalyzer().analyze(in);
    return run;
}

std::pair<qint64, qint64> findingSpan(const ContinuityFinding &f)
{
    qint64 s = f.startMs == NULL_VALUE ? f.endMs : f.startMs;
    qint64 e = f.endMs == NULL_VALUE ? f.startMs : f.endMs;
    return {std::min(s, e), std::max(s, e)};
}

// Checks a decimated view against brute force over the raw data. Returns "" or the first problem.
QString verify(const Run &run, const DecimatedSeries &d)
{
    const auto &rate = run.report.rate;
    for (size_t p = 0; p < d.pixels.size(); ++p) {
        const SeriesPixel &px = d.pixels[p];
        if (p > 0 && px.startMs != d.pixels[p - 1].endMs) {
            return u"pixel %1 does not start where %2 ends"_s.arg(p).arg(p - 1);
        }
        // Zoomed in below 1 ms per pixel, some pixels are empty ([t, t)): nothing maps there.
        const bool empty = px.startMs >= px.endMs;
        double rmin = -1;
        double rmax = -1;
        for (size_t k = 0; !empty && k < rate.counts.size(); ++k) {
            const qint64 bs = rate.startMs + static_cast<qint64>(k) * rate.bucketMs;
            if (bs < px.endMs && bs + rate.bucketMs > px.startMs) {
                const double r = rate.counts[k] * 1000.0 / static_cast<double>(rate.bucketMs);
                rmin = rmin < 0 ? r : std::min(rmin, r);
                rmax = std::max(rmax, r);
            }
        }
        if (rmin != px.rateMin || rmax != px.rateMax) {
            return u"pixel %1: rate %2..%3, expected %4..%5"_s.arg(p).arg(px.rateMin).arg(px.rateMax).arg(rmin).arg(rmax);
        }
        qint64 lmin = NULL_VALUE;
        qint64 lmax = NULL_VALUE;
        quint32 count = 0;
        // The runs' attempts are in send order: look at this pixel's slice only.
        auto first = std::lower_bound(run.attempts.begin(), run.attempts.end(), px.startMs,
                                      [](const WriterAttempt &a, qint64 t) { return a.sendMs < t; });
        for (auto a = first; a != run.attempts.end() && a->sendMs < px.endMs; ++a) {
            if (a->doneMs != NULL_VALUE) {
                const qint64 l = a->latencyMs();
                lmin = count == 0 ? l : std::min(lmin, l);
                lmax = count == 0 ? l : std::max(lmax, l);
                ++count;
            }
        }
        if (lmin != px.latencyMin || lmax != px.latencyMax || count != px.attempts) {
            return u"pixel %1: latency differs"_s.arg(p);
        }
        quint32 bits = 0;
        for (const ContinuityFinding &f : run.report.findings) {
            const auto [s, e] = findingSpan(f);
            if (!empty && s != NULL_VALUE && s < px.endMs && e >= px.startMs) {
                bits |= findingBit(f.kind);
            }
        }
        if (bits != px.markers) {
            return u"pixel %1: markers %2, expected %3"_s.arg(p).arg(px.markers).arg(bits);
        }
    }
    // Every finding that intersects the view: exactly one marker, on the right pixels.
    for (qsizetype i = 0; i < run.report.findings.size(); ++i) {
        const auto [s, e] = findingSpan(run.report.findings.at(i));
        const bool inView = s != NULL_VALUE && s < d.t1 && e >= d.t0;
        const auto n = std::count_if(d.markers.begin(), d.markers.end(),
                                     [&](const SeriesMarker &m) { return m.finding == i; });
        if (n != (inView ? 1 : 0)) {
            return u"finding %1 (%2) has %3 markers"_s.arg(i).arg(findingKindName(run.report.findings.at(i).kind)).arg(n);
        }
        if (!inView) {
            continue;
        }
        const SeriesMarker &m = *std::find_if(d.markers.begin(), d.markers.end(),
                                              [&](const SeriesMarker &x) { return x.finding == i; });
        if (m.firstPixel != d.pixelOf(std::max(s, d.t0)) || m.lastPixel != d.pixelOf(std::min(e, d.t1 - 1))
            || m.kind != run.report.findings.at(i).kind) {
            return u"finding %1: marker on the wrong pixels"_s.arg(i);
        }
        for (int p = m.firstPixel; p <= m.lastPixel; ++p) {
            const SeriesPixel &px = d.pixels[static_cast<size_t>(p)];
            if (px.startMs < px.endMs && !(px.markers & findingBit(m.kind))) {
                return u"finding %1: pixel %2 lacks its bit"_s.arg(i).arg(p);
            }
        }
    }
    return {};
}

} // namespace

class tst_ContinuitySeries : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noFindingDisappears_data();
    void noFindingDisappears();
    void views_data();
    void views();
    void pauseShowsAsZeroRate();
    void emptyReportGivesEmptyPixels();
    void liveSeriesCountsAcknowledgedAppends();
};

void tst_ContinuitySeries::noFindingDisappears_data()
{
    QTest::addColumn<quint32>("seed");
    for (quint32 seed = 1; seed <= 20; ++seed) {
        QTest::newRow(qPrintable(u"random run %1 keeps every finding at every zoom"_s.arg(seed))) << seed;
    }
}

// The property: random data, random views (zoomed out, zoomed in far below one ms per pixel,
// partly outside the data, one pixel wide): the decimated view equals brute force, and every
// finding in the view keeps its marker.
void tst_ContinuitySeries::noFindingDisappears()
{
    QFETCH(quint32, seed);
    const Run run = randomRun(seed, 1500 + static_cast<int>(seed) * 50);
    QVERIFY(run.report.total(FindingKind::Lost) > 0);
    QVERIFY(run.report.total(FindingKind::Duplicate) > 0);
    QVERIFY(run.report.total(FindingKind::TimeGap) > 0);
    const ContinuitySeries series(run.report, run.attempts);
    QRandomGenerator rng(seed * 7919);
    const qint64 lo = series.startMs();
    const qint64 hi = series.endMs();
    QVERIFY(hi > lo);
    for (int view = 0; view < 25; ++view) {
        qint64 t0;
        qint64 t1;
        switch (view % 5) {
        case 0: t0 = lo; t1 = hi; break;                                   // everything
        case 1: t0 = lo - 5000; t1 = hi + 5000; break;                     // wider than the data
        default: {
            const qint64 len = 1 + rng.bounded(static_cast<quint32>(std::min<qint64>(hi - lo, 1 << 30)));
            t0 = lo - 1000 + rng.bounded(static_cast<quint32>(hi - lo + 1000));
            t1 = t0 + (view % 5 == 2 ? 1 + rng.bounded(50) : len);       // very deep zoom or any
            break;
        }
        }
        const int widths[] = {1, 2, 7, 100, 1920};
        const int w = widths[rng.bounded(5)];
        const DecimatedSeries d = series.decimate(t0, t1, w);
        QCOMPARE(static_cast<int>(d.pixels.size()), w);
        const QString problem = verify(run, d);
        QVERIFY2(problem.isEmpty(), qPrintable(u"view [%1, %2) at %3 px: %4"_s.arg(t0).arg(t1).arg(w).arg(problem)));
    }
}

void tst_ContinuitySeries::views_data()
{
    QTest::addColumn<qint64>("lostAtMs");      // one lost row at T0 + this
    QTest::addColumn<qint64>("t0");             // view, relative to T0
    QTest::addColumn<qint64>("t1");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("pixel");             // where the loss's marker must be; -1: no marker

    QTest::newRow("a one-millisecond loss in a ten-hour view at 100 pixels keeps its marker")
        << qint64(5 * 3600 * 1000 + 1) << qint64(0) << qint64(10 * 3600 * 1000) << 100 << 50;
    QTest::newRow("a loss at the view's last millisecond is on the last pixel")
        << qint64(9999) << qint64(0) << qint64(10000) << 10 << 9;
    QTest::newRow("a loss at the view's first millisecond is on the first pixel")
        << qint64(2000) << qint64(2000) << qint64(3000) << 10 << 0;
    QTest::newRow("a loss just after the view has no marker")
        << qint64(3000) << qint64(2000) << qint64(3000) << 10 << -1;
    QTest::newRow("a one-pixel chart still shows the loss") << qint64(1234) << qint64(0)
                                                            << qint64(3600000) << 1 << 0;
}

void tst_ContinuitySeries::views()
{
    QFETCH(qint64, lostAtMs);
    QFETCH(qint64, t0);
    QFETCH(qint64, t1);
    QFETCH(int, width);
    QFETCH(int, pixel);
    // The writer wrote one row a second over 10 h; the row sent at lostAtMs is absent.
    Run run;
    for (qint64 t = 0, id = 1; t <= 10 * 3600 * 1000; t += 1000, ++id) {
        const qint64 send = t == (lostAtMs / 1000) * 1000 ? lostAtMs : t;
        run.attempts.push_back(WriterAttempt{id, T0 + send, T0 + send, AttemptOutcome::Acknowledged, 0});
        if (send != lostAtMs) {
            run.ids.push_back(id);
            run.times.push_back(T0 + send);
        }
    }
    ContinuityInput in;
    in.ids = run.ids;
    in.times = run.times;
    in.attempts = run.attempts;
    in.hasWriterLog = true;
    ContinuityOptions options;
    options.timeGapMs = 5000;
    run.report = ContinuityAnalyzer(options).analyze(in);
    QCOMPARE(run.report.findings.size(), 1);
    QCOMPARE(run.report.findings.at(0).kind, FindingKind::Lost);

    const DecimatedSeries d = ContinuitySeries(run.report, run.attempts).decimate(T0 + t0, T0 + t1, width);
    QCOMPARE(verify(run, d), QString());
    if (pixel < 0) {
        QVERIFY(d.markers.empty());
    } else {
        QCOMPARE(d.markers.size(), size_t(1));
        QCOMPARE(d.markers.front().firstPixel, pixel);
        QVERIFY(d.pixels[static_cast<size_t>(pixel)].markers & findingBit(FindingKind::Lost));
    }
}

void tst_ContinuitySeries::pauseShowsAsZeroRate()
{
    // 10 rows/s, then nothing for 4.5 s, then 10 rows/s again.
    Run run;
    qint64 id = 1;
    for (qint64 t = 0; t < 20000; t += 100) {
        if (t >= 8000 && t < 12500) {
            continue;
        }
        run.ids.push_back(id++);
        run.times.push_back(T0 + t);
    }
    ContinuityInput in;
    in.ids = run.ids;
    in.times = run.times;
    run.report = ContinuityAnalyzer().analyze(in);
    QCOMPARE(run.report.findings.size(), 1);
    QCOMPARE(run.report.findings.at(0).kind, FindingKind::TimeGap);
    const ContinuitySeries series(run.report, {});
    for (int width : {1, 3, 20, 400}) {
        const DecimatedSeries d = series.decimate(T0, T0 + 20000, width);
        QCOMPARE(verify(run, d), QString());
        bool zeroSeen = false;
        for (const SeriesPixel &px : d.pixels) {
            if ((px.markers & findingBit(FindingKind::TimeGap)) && px.rateMin == 0) {
                zeroSeen = true;
            }
        }
        QVERIFY2(zeroSeen, qPrintable(u"width %1"_s.arg(width)));
        QCOMPARE(d.pixels.front().rateMax, 10.0);
    }
}

void tst_ContinuitySeries::emptyReportGivesEmptyPixels()
{
    const ContinuitySeries series(ContinuityReport(), {});
    QCOMPARE(series.startMs(), NULL_VALUE);
    const DecimatedSeries d = series.decimate(T0, T0 + 1000, 10);
    QCOMPARE(d.pixels.size(), size_t(10));
    for (const SeriesPixel &px : d.pixels) {
        QCOMPARE(px.rateMin, -1.0);
        QCOMPARE(px.latencyMin, NULL_VALUE);
        QCOMPARE(px.markers, 0u);
    }
    QVERIFY(d.markers.empty());
    // A reversed or empty view is widened to one millisecond, never a division by zero.
    QCOMPARE(series.decimate(T0, T0, 5).t1, T0 + 1);
}

void tst_ContinuitySeries::liveSeriesCountsAcknowledgedAppends()
{
    // 10 appends/s for 3 s; in the second second two of them failed.
    std::vector<WriterAttempt> attempts;
    for (qint64 i = 0; i < 30; ++i) {
        const qint64 t = T0 + i * 100;
        const bool failed = i == 12 || i == 13;
        attempts.push_back(WriterAttempt{i + 1, t, t + 5 + i, failed ? AttemptOutcome::Failed : AttemptOutcome::Acknowledged, 0});
    }
    const ContinuitySeries series = ContinuitySeries::live(attempts);
    QCOMPARE(series.startMs(), T0);
    const DecimatedSeries d = series.decimate(T0, T0 + 3000, 3);
    QCOMPARE(d.pixels[0].rateMax, 10.0);
    QCOMPARE(d.pixels[1].rateMax, 8.0);
    QCOMPARE(d.pixels[2].rateMin, 10.0);
    QCOMPARE(d.pixels[0].latencyMin, 5);
    QCOMPARE(d.pixels[2].latencyMax, 5 + 29);
    QCOMPARE(d.pixels[1].attempts, 10u);  // latency counts every attempt with an outcome time
    QVERIFY(d.markers.empty());
    QCOMPARE(ContinuitySeries::live({}).startMs(), NULL_VALUE);
}

QTEST_APPLESS_MAIN(tst_ContinuitySeries)
#include "tst_continuityseries.moc"
