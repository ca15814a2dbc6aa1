// SPDX-License-Identifier: GPL-3.0-or-later
// bench_engine_readback [rows] [pageRows]: reads a table's id and time columns back from a
// sandbox data node (a 3-host ddbsim cluster on 127.0.60.31-33) and prints rows/s.
// Not a ctest test.
#include "engine/continuityanalyzer.h"
#include "engine/continuityreader.h"
#include "support/simclient.h"

#include "dolphindb/ddbconnection.h"
#include "dolphindb/scripts.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTextStream>

using namespace GrayStep;
using namespace GrayStep::DolphinDb;
using namespace GrayStep::Engine;
using namespace Qt::Literals::StringLiterals;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const qint64 rows = app.arguments().size() > 1 ? app.arguments().at(1).toLongLong() : 1'000'000;
    const int pageRows = app.arguments().size() > 2 ? app.arguments().at(2).toInt() : 1'000'000;
    if (!qEnvironmentVariableIsSet("GRAYSTEP_BIN_DIR")) {
        qputenv("GRAYSTEP_BIN_DIR", QCoreApplication::applicationDirPath().toUtf8() + "/../../bin");
    }

    Test::SimCluster cluster(3, u"127.0.60."_s, 31);
    if (!cluster.layout().ok()) {
        out << "layout failed\n";
        return 1;
    }
    if (const auto started = cluster.startAll(); !started) {
        out << "the sandbox cluster did not start: " << started.error().toString() << "\n";
        return 1;
    }
    Test::SimClient client;
    if (!client.open(cluster.host(1), 8922).ok()) {
        out << "no session\n";
        return 1;
    }
    const QDate today = QDate::currentDate();
    const auto created = client.run(*Scripts::createStockTable(u"dfs://bench"_s, u"stock"_s, today, today.addDays(2)));
    if (!created) {
        out << "create failed: " << created.error().toString() << "\n";
        return 1;
    }
    // Load: batches of 100k rows, one second apart in time (one partition).
    const qint64 t0 = QDateTime(today, QTime(9, 30), Qt::UTC).toMSecsSinceEpoch();
    QElapsedTimer load;
    load.start();
    const qint64 batch = 100'000;
    for (qint64 first = 1; first <= rows; first += batch) {
        const qint64 n = std::min(batch, rows - first + 1);
        QList<qint64> times;
        QList<qint32> ids;
        times.reserve(n);
        ids.reserve(n);
        for (qint64 i = 0; i < n; ++i) {
            times << t0 + first + i;
            ids << static_cast<qint32>(first + i);
        }
        const auto table = DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                                           {DdbVector::int64s(DataType::Timestamp, times),
                                            DdbVector::symbols(QStringList(n, u"Apple"_s)),
                                            DdbVector::int32s(DataType::Int, ids)});
        const auto r = client.call(*Scripts::tableInsertFunction(u"dfs://bench"_s, u"stock"_s), {*table}, 600000);
        if (!r) {
            out << "insert failed: " << r.error().toString() << "\n";
            return 1;
        }
    }
    out << "bench_engine_readback: loaded " << rows << " rows into the sandbox in "
        << QString::number(load.elapsed() / 1000.0, 'f', 1) << " s\n";

    // Read from each data node in turn (the emulator reads a chunk from a remote replica
    // over its internal protocol with a 10 s limit; a node holding a replica reads locally).
    const auto ref = ContinuityTableRef::parse(u"dfs://bench/stock"_s, u"id"_s, u"time"_s).value();
    Core::Result<ContinuityColumns> columns = Core::Error(Core::ErrorCode::NotFound, u"no node answered"_s);
    qint64 readNs = 0;
    int node = 0;
    for (int i = 1; i <= 3 && !columns; ++i) {
        DdbBlockingConnection connection;
        DdbConnectionSettings settings;
        settings.requestTimeoutMs = 600000;
        if (!connection.open(DdbSite{cluster.host(i), 8922, {}}, DdbCredentials{u"admin"_s, u"123456"_s}, settings)) {
            continue;
        }
        QElapsedTimer timer;
        timer.start();
        columns = readContinuityColumns([&](const QString &s) { return connection.run(s); }, ref, pageRows);
        readNs = timer.nsecsElapsed();
        node = i;
        if (!columns) {
            out << "  node " << i << ": " << columns.error().toString() << "\n";
        }
    }
    if (!columns) {
        out << "read failed\n";
        return 1;
    }
    QElapsedTimer timer;
    ContinuityInput in;
    in.ids = columns->ids;
    in.times = columns->times;
    timer.start();
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    const qint64 analyseNs = timer.nsecsElapsed();
    out << "  read back " << columns->ids.size() << " rows (id, time) from sandbox data node " << node << " in "
        << columns->pages << " requests of up to " << pageRows << " rows: "
        << QString::number(static_cast<double>(readNs) / 1e9, 'f', 2) << " s = "
        << QString::number(static_cast<double>(columns->ids.size()) / (static_cast<double>(readNs) / 1e9), 'f', 0)
        << " rows/s\n  analysed in " << QString::number(static_cast<double>(analyseNs) / 1e6, 'f', 1)
        << " ms; findings " << report.findings.size() << "\n";
    cluster.killAll();
    return 0;
}
