// SPDX-License-Identifier: GPL-3.0-or-later
// bench_sim_sandboxup [--hosts N] [--no-ssh] [--base-address A] [--keep]
// Runs `graystep-sandbox up --fast` into a temporary directory, prints the wall time of `up`
// and the resident memory (VmRSS) of every node by role, then `down` (unless --keep) and
// checks that no process is left. Default: 3 hosts on 127.0.50.101 with SSH.
#include "sim/sandbox/sandboxlauncher.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;

namespace {

qint64 rssKiB(qint64 pid)
{
    QFile f(u"/proc/%1/status"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
        }
    }
    return -1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    QString hosts = u"3"_s;
    QString base = u"127.0.50.101"_s;
    bool ssh = true;
    bool keep = false;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == "--hosts"_L1 && i + 1 < args.size()) {
            hosts = args[++i];
        } else if (args[i] == "--base-address"_L1 && i + 1 < args.size()) {
            base = args[++i];
        } else if (args[i] == "--no-ssh"_L1) {
            ssh = false;
        } else if (args[i] == "--keep"_L1) {
            keep = true;
        } else {
            std::fprintf(stderr, "usage: bench_sim_sandboxup [--hosts N] [--no-ssh] [--base-address A] [--keep]\n");
            return 2;
        }
    }
    QTemporaryDir tmp;
    tmp.setAutoRemove(!keep);
    const QString dir = tmp.filePath(u"sbx"_s);
    const QString tool = QCoreApplication::applicationDirPath() + u"/../../bin/graystep-sandbox"_s;
    QStringList upArgs{u"up"_s, u"--dir"_s, dir, u"--fast"_s, u"--hosts"_s, hosts, u"--base-address"_s, base};
    if (!ssh) {
        upArgs << u"--no-ssh"_s;
    }
    QProcess up;
    up.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer t;
    t.start();
    up.start(tool, upArgs);
    up.waitForFinished(600000);
    const qint64 upMs = t.elapsed();
    if (up.exitCode() != 0) {
        std::fprintf(stderr, "up failed (%d): %s\n", up.exitCode(), up.readAllStandardOutput().constData());
        QProcess::execute(tool, {u"down"_s, u"--dir"_s, dir});
        return 1;
    }
    std::printf("up: %s hosts, %s, --fast: %lld ms wall\n", qPrintable(hosts), ssh ? "SSH" : "no SSH", upMs);

    SandboxLauncher launcher(dir);
    auto spec = launcher.loadSpec();
    QMap<QString, QList<qint64>> byRole;
    for (const SandboxHost &h : spec->hosts) {
        for (const SandboxNode &n : h.nodes) {
            const qint64 pid = launcher.nodePid(h, n.alias);
            if (pid > 0) {
                byRole[n.mode] << rssKiB(pid);
            }
        }
    }
    qint64 total = 0;
    int count = 0;
    for (auto it = byRole.cbegin(); it != byRole.cend(); ++it) {
        QList<qint64> v = it.value();
        std::sort(v.begin(), v.end());
        qint64 sum = 0;
        for (qint64 x : v) {
            sum += x;
        }
        total += sum;
        count += int(v.size());
        std::printf("RSS %-10s n=%-3lld min %6lld KiB  median %6lld KiB  max %6lld KiB\n", qPrintable(it.key()),
                    qint64(v.size()), v.first(), v[v.size() / 2], v.last());
    }
    std::printf("RSS all nodes: %d processes, %lld MiB total, %lld KiB mean per node\n", count, total / 1024,
                count ? total / count : 0);
    if (keep) {
        std::printf("kept: %s (graystep-sandbox down --dir %s)\n", qPrintable(dir), qPrintable(dir));
        return 0;
    }
    t.restart();
    QProcess down;
    down.start(tool, {u"down"_s, u"--dir"_s, dir});
    down.waitForFinished(300000);
    std::printf("down: %lld ms wall, exit %d, processes left: %lld\n", t.elapsed(), down.exitCode(),
                qint64(launcher.processesUnderDirectory().size()));
    return down.exitCode();
}
