// SPDX-License-Identifier: GPL-3.0-or-later
// Memory of idle emulated nodes: starts an N-host cluster (controller + agent + data node per
// host, on 127.0.40.1..N, default knobs except a short startup), lets it idle, and prints each
// process's RSS, next to the RSS of a bare Qt process with the same Qt modules (the baseline).
//   bench_sim_noderss [hosts=3] [idleSeconds=5]
#include "support/simclient.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QThread>
#include <QWebSocketServer>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;

namespace {

qint64 rssKb(qint64 pid)
{
    QFile f(u"/proc/%1/status"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.value(1) == "--baseline"_L1) {
        // The same Qt modules and a listening port, nothing else.
        QTcpServer server;
        (void)server.listen(QHostAddress(u"127.0.40.99"_s), 0);
        QWebSocketServer ws(u"x"_s, QWebSocketServer::NonSecureMode);
        return app.exec();
    }
    const int hosts = args.value(1, u"3"_s).toInt();
    const int idle = args.value(2, u"5"_s).toInt();
    QProcess baseline;
    baseline.start(QCoreApplication::applicationFilePath(), {u"--baseline"_s});
    baseline.waitForStarted();

    Test::SimCluster cluster(hosts);
    cluster.extraConfig() = {{u"simStartupDelayMs"_s, u"50"_s}, {u"raftElectionTick"_s, u"100"_s}};
    if (!cluster.layout().ok())
        return 1;
    for (int i = 1; i <= hosts; ++i) {
        (void)cluster.startController(i);
        (void)cluster.startAgent(i);
    }
    QString leader;
    if (!cluster.waitLeader(&leader, {}, 30000)) {
        std::fprintf(stderr, "no leader\n");
        return 1;
    }
    for (int i = 1; i <= hosts; ++i)
        cluster.waitUp(cluster.host(i), 8921, 20000);
    QStringList nodes;
    for (int i = 1; i <= hosts; ++i)
        nodes << u"`node%1"_s.arg(i);
    auto started = Test::runOnce(cluster.host(leader.mid(3).toInt()), 8920, u"startDataNode(%1)"_s.arg(nodes.join(QString())));
    if (!started)
        std::fprintf(stderr, "startDataNode: %s\n", qPrintable(started.error().message));
    for (int i = 1; i <= hosts; ++i)
        cluster.waitUp(cluster.host(i), 8922, 20000);
    QThread::sleep(idle);

    std::printf("bare Qt process (Core+Network+WebSockets, one listening port): %lld kB\n", rssKb(baseline.processId()));
    QList<qint64> all;
    for (int i = 1; i <= hosts; ++i) {
        for (const QString &alias : {u"ctl%1"_s.arg(i), u"agent%1"_s.arg(i), u"node%1"_s.arg(i)}) {
            const qint64 kb = rssKb(cluster.pidOf(i, alias));
            all << kb;
            if (hosts <= 5)
                std::printf("%-8s %6lld kB\n", qPrintable(alias), kb);
        }
    }
    std::sort(all.begin(), all.end());
    qint64 sum = 0;
    for (qint64 kb : all)
        sum += kb;
    std::printf("%d nodes idle %d s: RSS min %lld kB, median %lld kB, max %lld kB, total %lld MB\n", int(all.size()), idle,
                all.first(), all.at(all.size() / 2), all.last(), sum / 1024);
    baseline.kill();
    baseline.waitForFinished();
    cluster.killAll();
    return 0;
}
