// SPDX-License-Identifier: GPL-3.0-or-later
// bench_engine_writerrate [seconds]: the built-in writer against a sandbox (a 3-host ddbsim
// cluster on 127.0.60.41-43) at 10, 100 and 1000 rows/s; prints the achieved rows/s, rows per
// append and the acknowledgement latency p50/p99/max of each rate. Not a ctest test.
#include "engine/ddbwritertransport.h"
#include "engine/writerlog.h"
#include "engine/writerprobe.h"
#include "support/simclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTextStream>
#include <QThread>

#include <algorithm>
#include <vector>

using namespace GrayStep;
using namespace GrayStep::DolphinDb;
using namespace GrayStep::Engine;
using namespace Qt::Literals::StringLiterals;

namespace {

bool waitStopped(WriterProbe &probe, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs && probe.state() != WriterProbe::State::Stopped
           && probe.state() != WriterProbe::State::Failed) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(10);
    }
    return probe.state() == WriterProbe::State::Stopped;
}

qint64 percentile(std::vector<qint64> v, double p)
{
    if (v.empty()) {
        return -1;
    }
    std::sort(v.begin(), v.end());
    const auto i = static_cast<size_t>(p * double(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const int seconds = app.arguments().size() > 1 ? app.arguments().at(1).toInt() : 5;
    if (!qEnvironmentVariableIsSet("GRAYSTEP_BIN_DIR")) {
        qputenv("GRAYSTEP_BIN_DIR", QCoreApplication::applicationDirPath().toUtf8() + "/../../bin");
    }

    Test::SimCluster cluster(3, u"127.0.60."_s, 41);
    if (!cluster.layout().ok()) {
        out << "layout failed\n";
        return 1;
    }
    if (const auto started = cluster.startAll(); !started) {
        out << "the sandbox cluster did not start: " << started.error().toString() << "\n";
        return 1;
    }
    QList<DdbSite> sites;
    for (int i = 1; i <= 3; ++i) {
        sites << DdbSite{cluster.host(i), 8922, u"node%1"_s.arg(i)};
    }
    const DdbCredentials admin{u"admin"_s, u"123456"_s};

    out << "rate  rows  achieved_rows_per_s  rows_per_append  ack_p50_ms  ack_p99_ms  ack_max_ms  not_acked\n";
    int status = 0;
    for (const int rate : {10, 100, 1000}) {
        WriterLog log;
        log.openInMemory();
        WriterProbe probe([sites, admin] { return std::make_unique<DdbWriterTransport>(sites, admin); }, &log);
        WriterSettings s;
        s.database = u"dfs://bench"_s;
        s.table = u"rate%1"_s.arg(rate);
        s.rowsPerSecond = rate;
        s.maxRows = qint64(rate) * seconds;
        probe.start(s);
        if (!waitStopped(probe, seconds * 1000 * 3 + 30000)) {
            out << rate << ": the writer did not finish\n";
            status = 1;
            continue;
        }
        const std::vector<WriterAttempt> attempts = log.attempts();
        if (attempts.empty()) {
            out << rate << ": no attempts\n";
            status = 1;
            continue;
        }
        std::vector<qint64> latencies;
        qint64 appends = 0;
        qint64 notAcked = 0;
        for (size_t i = 0; i < attempts.size(); ++i) {
            const WriterAttempt &a = attempts[i];
            // Rows of one append share its send time, outcome time and node.
            if (i == 0 || a.sendMs != attempts[i - 1].sendMs || a.doneMs != attempts[i - 1].doneMs
                || a.node != attempts[i - 1].node) {
                ++appends;
            }
            if (a.outcome == AttemptOutcome::Acknowledged) {
                latencies.push_back(a.latencyMs());
            } else {
                ++notAcked;
            }
        }
        // Rows went out from the first send on; the last append's rows were due over one tick.
        const qint64 tickMs = rate > 50 ? 20 : 1000 / rate;
        const qint64 spanMs = attempts.back().sendMs - attempts.front().sendMs + tickMs;
        const double achieved = double(attempts.size()) * 1000.0 / double(std::max<qint64>(1, spanMs));
        out << rate << "  " << attempts.size() << "  " << QString::number(achieved, 'f', 1) << "  "
            << QString::number(double(attempts.size()) / double(appends), 'f', 1) << "  "
            << percentile(latencies, 0.50) << "  " << percentile(latencies, 0.99) << "  "
            << percentile(latencies, 1.0) << "  " << notAcked << Qt::endl;
    }
    cluster.killAll();
    return status;
}
