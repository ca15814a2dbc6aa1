// SPDX-License-Identifier: GPL-3.0-or-later
// Append throughput of the emulated cluster: one client appends one-row tables
// (tableInsert{loadTable(...)}, the appender's call) back to back for a few seconds and prints
// rows/s and the latency distribution. 3 hosts on 127.0.40.21-23.
//   bench_sim_appendrate [seconds=3] [rowsPerCall=1]
#include "support/simclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int seconds = app.arguments().value(1, u"3"_s).toInt();
    const int perCall = qMax(1, app.arguments().value(2, u"1"_s).toInt());
    Test::SimCluster cluster(3, u"127.0.40."_s, 21);
    if (auto st = cluster.layout(); !st) {
        std::fprintf(stderr, "%s\n", qPrintable(st.error().toString()));
        return 1;
    }
    for (int i = 1; i <= 3; ++i) {
        (void)cluster.startController(i);
        (void)cluster.startAgent(i);
    }
    QString leader;
    if (!cluster.waitLeader(&leader))
        return 1;
    for (int i = 1; i <= 3; ++i)
        cluster.waitUp(cluster.host(i), 8921);
    (void)Test::runOnce(cluster.host(leader.right(1).toInt()), 8920, u"startDataNode(`node1`node2`node3)"_s);
    for (int i = 1; i <= 3; ++i)
        cluster.waitUp(cluster.host(i), 8922);
    Test::SimClient c;
    if (!c.open(cluster.host(1), 8922).ok())
        return 1;
    if (auto r = c.run(u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
                       "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n"
                       "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s);
        !r) {
        std::fprintf(stderr, "%s\n", qPrintable(r.error().message));
        return 1;
    }
    QList<qint64> latenciesUs;
    QElapsedTimer total;
    total.start();
    int id = 0;
    while (total.elapsed() < seconds * 1000) {
        QList<qint64> times;
        QStringList names;
        QList<qint32> ids;
        for (int i = 0; i < perCall; ++i) {
            times << 1672531200000 + id;
            names << u"Apple"_s;
            ids << ++id;
        }
        const DdbValue rows = *DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                                               {DdbVector::int64s(DataType::Timestamp, times), DdbVector::symbols(names),
                                                DdbVector::int32s(DataType::Int, ids)});
        QElapsedTimer t;
        t.start();
        auto r = c.call(u"tableInsert{loadTable('dfs://stock', 'stock')}"_s, {rows});
        latenciesUs << t.nsecsElapsed() / 1000;
        if (!r) {
            std::fprintf(stderr, "append failed: %s\n", qPrintable(r.error().message));
            return 1;
        }
    }
    const double secs = double(total.elapsed()) / 1000.0;
    std::sort(latenciesUs.begin(), latenciesUs.end());
    const auto pct = [&](double p) { return latenciesUs.at(qMin(latenciesUs.size() - 1, qsizetype(p * double(latenciesUs.size())))); };
    std::printf("%lld calls of %d row(s) in %.1f s: %.0f calls/s, %.0f rows/s; latency p50 %lld us, p90 %lld us, p99 %lld us, max %lld us\n",
                qint64(latenciesUs.size()), perCall, secs, double(latenciesUs.size()) / secs, double(id) / secs, pct(0.5),
                pct(0.9), pct(0.99), latenciesUs.last());
    auto n = c.run(u"exec count(*) from loadTable('dfs://stock', 'stock')"_s);
    std::printf("rows in the table: %lld\n", n ? n->toInt64() : -1);
    cluster.killAll();
    return 0;
}
