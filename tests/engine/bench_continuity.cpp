// SPDX-License-Identifier: GPL-3.0-or-later
// bench_engine_continuity: analyse 10 million rows; prints time (one thread) and bytes per
// row (peak RSS growth during the analysis, input excluded). Not a ctest test.
#include "engine/continuityanalyzer.h"
#include "engine/continuityreader.h"
#include "engine/continuityseries.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTextStream>

#include <ctime>
#include <vector>

using namespace GrayStep::Engine;
using namespace Qt::Literals::StringLiterals;

namespace {

qint64 statusKb(const char *field)
{
    QFile f(u"/proc/self/status"_s);
    if (!f.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray key(field);
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key)) {
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong();
        }
    }
    return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0).
void resetPeak()
{
    QFile f(u"/proc/self/clear_refs"_s);
    if (f.open(QIODevice::WriteOnly)) {
        f.write("5");
    }
}

qint64 threadCpuNs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Run
{
    const char *name;
    bool shuffle;
    bool writerLog;
    ContinuityOptions::Index index;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    // bench_engine_continuity [rows] [only-run-index]
    const qint64 n = app.arguments().size() > 1 ? app.arguments().at(1).toLongLong() : 10'000'000;
    const int only = app.arguments().size() > 2 ? app.arguments().at(2).toInt() : -1;
    const qint64 t0 = 1673343000000;

    std::vector<qint64> ids(static_cast<size_t>(n));
    std::vector<qint64> times(static_cast<size_t>(n));
    std::vector<qint64> shuffledIds;
    std::vector<qint64> shuffledTimes;
    std::vector<WriterAttempt> attempts(static_cast<size_t>(n));
    QRandomGenerator rng(7);
    for (qint64 i = 0; i < n; ++i) {
        // 1000 rows/s with a little jitter; 1 in 100k rows lost, 1 in 100k duplicated later.
        const qint64 t = t0 + i + rng.bounded(3);
        ids[static_cast<size_t>(i)] = i + 1;
        times[static_cast<size_t>(i)] = t;
        attempts[static_cast<size_t>(i)] = WriterAttempt{i + 1, t, t + 2 + rng.bounded(4),
                                                         AttemptOutcome::Acknowledged,
                                                         static_cast<qint16>(i % 3)};
    }
    for (qint64 i = 50'000; i < n; i += 100'000) {
        ids[static_cast<size_t>(i)] = ids[static_cast<size_t>(i - 7)];  // lost i+1, duplicate i-6
    }
    shuffledIds = ids;
    shuffledTimes = times;
    for (size_t i = shuffledIds.size(); i > 1; --i) {
        const size_t j = rng.bounded(static_cast<quint32>(i));
        std::swap(shuffledIds[i - 1], shuffledIds[j]);
        std::swap(shuffledTimes[i - 1], shuffledTimes[j]);
    }

    out << "bench_engine_continuity: " << n << " rows (ids + times as 64-bit: "
        << 16 << " bytes/row of input, not counted below)\n";
    const Run runs[] = {
        {"table order, existing-table mode", false, false, ContinuityOptions::Index::Auto},
        {"table order, with writer log", false, true, ContinuityOptions::Index::Auto},
        {"random order, with writer log", true, true, ContinuityOptions::Index::Auto},
        {"random order, sparse index forced", true, true, ContinuityOptions::Index::Sparse},
    };
    int index = -1;
    for (const Run &run : runs) {
        if (++index != only && only >= 0) {
            continue;
        }
        ContinuityOptions options;
        options.index = run.index;
        ContinuityInput in;
        in.ids = run.shuffle ? std::span<const qint64>(shuffledIds) : std::span<const qint64>(ids);
        in.times = run.shuffle ? std::span<const qint64>(shuffledTimes) : std::span<const qint64>(times);
        in.hasWriterLog = run.writerLog;
        if (run.writerLog) {
            in.attempts = attempts;
        }
        resetPeak();
        const qint64 rssBefore = statusKb("VmRSS:");
        QElapsedTimer timer;
        const qint64 cpuBefore = threadCpuNs();
        timer.start();
        const ContinuityReport report = ContinuityAnalyzer(options).analyze(in);
        const qint64 ns = timer.nsecsElapsed();
        const qint64 cpuNs = threadCpuNs() - cpuBefore;
        const qint64 peak = statusKb("VmHWM:");
        const double bytesPerRow = static_cast<double>(peak - rssBefore) * 1024.0 / static_cast<double>(n);
        out << "  " << run.name << ": " << QString::number(static_cast<double>(ns) / 1e9, 'f', 3)
            << " s, " << QString::number(static_cast<double>(n) / (static_cast<double>(ns) / 1e9) / 1e6, 'f', 1)
            << " M rows/s (thread CPU " << QString::number(static_cast<double>(cpuNs) / 1e9, 'f', 3)
            << " s), peak RSS +" << (peak - rssBefore) / 1024 << " MiB = "
            << QString::number(bytesPerRow, 'f', 2) << " bytes/row ("
            << (report.denseIndex ? "dense" : "sparse") << " index); lost " << report.total(FindingKind::Lost)
            << ", duplicate " << report.total(FindingKind::Duplicate) << ", missing "
            << report.total(FindingKind::MissingIds) << ", findings " << report.findings.size() << "\n";
        out.flush();
    }

    // Chart series over the 10 M attempts: build once, then decimate views at 1920 px.
    if (only < 0) {
        ContinuityInput in;
        in.ids = ids;
        in.times = times;
        in.attempts = attempts;
        in.hasWriterLog = true;
        const ContinuityReport report = ContinuityAnalyzer().analyze(in);
        QElapsedTimer timer;
        timer.start();
        const ContinuitySeries series(report, attempts);
        const qint64 buildNs = timer.nsecsElapsed();
        timer.restart();
        const DecimatedSeries all = series.decimate(series.startMs(), series.endMs(), 1920);
        const qint64 allNs = timer.nsecsElapsed();
        timer.restart();
        const qint64 mid = (series.startMs() + series.endMs()) / 2;
        const DecimatedSeries zoom = series.decimate(mid, mid + 60'000, 1920);
        const qint64 zoomNs = timer.nsecsElapsed();
        out << "  series: build " << QString::number(static_cast<double>(buildNs) / 1e6, 'f', 1)
            << " ms; decimate everything to 1920 px " << QString::number(static_cast<double>(allNs) / 1e6, 'f', 1)
            << " ms (" << all.markers.size() << " markers); a 60 s zoom "
            << QString::number(static_cast<double>(zoomNs) / 1e6, 'f', 2) << " ms\n";
    }

    // Turning a decoded 10 M-row (INT id, TIMESTAMP time) table into the analyzer's columns.
    if (only < 0) {
        using namespace GrayStep::DolphinDb;
        QByteArray idBytes(static_cast<qsizetype>(n) * 4, Qt::Uninitialized);
        auto *id32 = reinterpret_cast<qint32 *>(idBytes.data());
        for (qint64 i = 0; i < n; ++i) {
            id32[i] = static_cast<qint32>(ids[static_cast<size_t>(i)]);
        }
        const DdbVector idColumn = DdbVector::fromRaw(DataType::Int, idBytes);
        const DdbVector timeColumn = DdbVector::fromRaw(DataType::Timestamp, times.data(), n);
        ContinuityColumns columns;
        QElapsedTimer timer;
        timer.start();
        const auto converted = appendColumns(idColumn, timeColumn, columns);
        out << "  columns from a decoded table: " << QString::number(static_cast<double>(timer.nsecsElapsed()) / 1e6, 'f', 1)
            << " ms (" << (converted.ok() ? "ok" : "failed") << ")\n";
    }
    return 0;
}
