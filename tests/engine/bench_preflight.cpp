// SPDX-License-Identifier: GPL-3.0-or-later
// Pre-flight time on a 30-host sandbox against a 3-host one (issue target: <= 2x).
// Starts both sandboxes (real sshd per host; 127.0.82.x and 127.0.83.x), runs the checklist
// alternately on each, prints every time, the medians and their ratio, and stops both.
//
// Beside it, the floor no pre-flight can go below: every host's bare SSH login and one `true`
// at once (the pre-flight needs at least that per host), and where the CPU went during a
// pre-flight: this process, the hosts' sshd (logins, shells and the commands they run) and the
// nodes. All emulated hosts share this machine's cores, so the hosts' CPU divided by the core
// count bounds the 30-host time from below, whatever the tool does.
//
//   bench_engine_preflight [--runs N] [--hosts M]      (defaults: 7 runs, 30 hosts)
#include "core/upgradeprofile.h"
#include "engine/clusteraccess.h"
#include "engine/preflight.h"
#include "support/testdata.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;

namespace {

bool sandbox(const QStringList &args, QTextStream &out)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(Test::binDir() + u"/graystep-sandbox"_s, args);
    p.closeWriteChannel();
    if (!p.waitForFinished(600000) || p.exitCode() != 0) {
        out << "graystep-sandbox " << args.join(u' ') << " failed\n";
        return false;
    }
    return true;
}

qint64 median(QList<qint64> v)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v.at(v.size() / 2);
}

// Every host's SSH login (host key verified, key authentication) and one `true`, all at once.
// Returns the wall time, or -1 when a host failed.
qint64 bareLogins(const Core::UpgradeProfile &profile)
{
    QElapsedTimer t;
    t.start();
    std::atomic<bool> failed{false};
    QList<QThread *> threads;
    for (const Core::HostAccess &h : profile.hosts) {
        threads << QThread::create([h, &failed] {
            std::unique_ptr<Ssh::RemoteShell> shell = Engine::makeHostShell(h);
            Core::Result<Ssh::ExecResult> r = shell->exec(u"true"_s);
            if (!r || !r->succeeded()) {
                failed = true;
            }
        });
        threads.last()->start();
    }
    for (QThread *th : threads) {
        th->wait();
        delete th;
    }
    return failed ? -1 : t.elapsed();
}

// CPU milliseconds (own and reaped children) of the processes whose command line contains
// `dirPart`, by their /proc/PID/comm: "sshd" (listeners, whose children are the logins, shells
// and commands) and "dolphindb" (the nodes).
QHash<QString, qint64> processCpuMs(const QString &dirPart)
{
    QHash<QString, qint64> cpu;
    const long hz = sysconf(_SC_CLK_TCK);
    const QStringList pids = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &pid : pids) {
        if (pid.toLongLong() <= 0) {
            continue;
        }
        QFile cmdline(u"/proc/%1/cmdline"_s.arg(pid));
        QFile stat(u"/proc/%1/stat"_s.arg(pid));
        if (!cmdline.open(QIODevice::ReadOnly) || !stat.open(QIODevice::ReadOnly)) {
            continue;
        }
        const QByteArray cmd = cmdline.readAll();
        const QByteArray st = stat.readAll();
        const qsizetype open = st.indexOf('(');
        const qsizetype close = st.lastIndexOf(')');
        if (!cmd.contains(dirPart.toUtf8()) || open < 0 || close < open) {
            continue;
        }
        const QString comm = QString::fromUtf8(st.mid(open + 1, close - open - 1));
        const QList<QByteArray> f = st.mid(close + 2).split(' ');
        if (f.size() < 15) {
            continue;
        }
        // Fields 14-17 of stat (utime stime cutime cstime) are 11-14 after the comm.
        const qint64 ticks = f[11].toLongLong() + f[12].toLongLong() + f[13].toLongLong() + f[14].toLongLong();
        cpu[comm.startsWith(u"sshd"_s) ? u"sshd"_s : comm] += ticks * 1000 / hz;
    }
    return cpu;
}

qint64 ownCpuMs()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return qint64(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(u"graystep.*.debug=false\ngraystep.*.info=false"_s);
    QTextStream out(stdout);
    const QStringList args = app.arguments();
    const auto intArg = [&](const QString &name, int fallback) {
        const qsizetype i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
    };
    const int runs = std::max(1, intArg(u"--runs"_s, 7));
    const int bigHosts = std::max(3, intArg(u"--hosts"_s, 30));

    QTemporaryDir tmp;
    struct Sandbox
    {
        QString label;
        int hosts;
        QString base;
        QString dir;
        Core::UpgradeProfile profile;
        QList<qint64> times;
        QList<qint64> floors;
        qint64 toolCpuMs = 0; // summed over the timed pre-flights
        qint64 sshdCpuMs = 0;
        qint64 nodeCpuMs = 0;
    };
    QList<Sandbox> boxes{{u"3 hosts"_s, 3, u"127.0.82.1"_s, tmp.filePath(u"small"_s), {}, {}, {}},
                         {u"%1 hosts"_s.arg(bigHosts), bigHosts, u"127.0.83.1"_s, tmp.filePath(u"big"_s), {}, {}, {}}};
    int rc = 0;
    for (Sandbox &b : boxes) {
        QElapsedTimer t;
        t.start();
        if (!sandbox({u"up"_s, u"--dir"_s, b.dir, u"--hosts"_s, QString::number(b.hosts), u"--base-address"_s, b.base}, out)) {
            rc = 1;
            break;
        }
        out << "up " << b.label << ": " << t.elapsed() << " ms\n";
        out.flush();
        auto p = Core::UpgradeProfile::load(b.dir + u"/sandbox.graystep.json"_s);
        if (!p) {
            out << p.error().toString() << "\n";
            rc = 1;
            break;
        }
        b.profile = *p;
    }
    if (rc == 0) {
        // One warm-up each (first SSH connections, page cache), then alternate.
        for (Sandbox &b : boxes) {
            Engine::runPreflight(b.profile, u"123456"_s);
        }
        for (int i = 0; i < runs; ++i) {
            for (Sandbox &b : boxes) {
                const QHash<QString, qint64> hostsBefore = processCpuMs(b.dir);
                const qint64 toolBefore = ownCpuMs();
                const Engine::PreflightReport r = Engine::runPreflight(b.profile, u"123456"_s);
                b.toolCpuMs += ownCpuMs() - toolBefore;
                QThread::msleep(300); // the hosts' sshd reap their children (the CPU counts then)
                const QHash<QString, qint64> hostsAfter = processCpuMs(b.dir);
                b.sshdCpuMs += hostsAfter.value(u"sshd"_s) - hostsBefore.value(u"sshd"_s);
                b.nodeCpuMs += hostsAfter.value(u"dolphindb"_s) - hostsBefore.value(u"dolphindb"_s);
                b.times << r.elapsedMs;
                if (r.anyFailed()) {
                    out << b.label << ": a check failed:\n" << r.toText() << "\n";
                    rc = 1;
                }
                b.floors << bareLogins(b.profile);
            }
        }
        const auto ratio = [](qint64 a, qint64 b) { return QString::number(double(a) / double(std::max<qint64>(1, b)), 'f', 2); };
        const auto list = [](const QList<qint64> &v) {
            QStringList all;
            for (qint64 t : v) {
                all << QString::number(t);
            }
            return all.join(u", "_s);
        };
        for (const Sandbox &b : boxes) {
            out << "preflight " << b.label << ": median " << median(b.times) << " ms (" << list(b.times) << ")\n";
        }
        out << "ratio " << boxes[1].label << " / " << boxes[0].label << ": " << ratio(median(boxes[1].times), median(boxes[0].times))
            << " (target <= 2)\n";
        for (const Sandbox &b : boxes) {
            out << "bare logins + `true`, " << b.label << " at once: median " << median(b.floors) << " ms (" << list(b.floors)
                << "); pre-flight / bare logins " << ratio(median(b.times), median(b.floors)) << "\n";
        }
        out << "bare logins ratio " << boxes[1].label << " / " << boxes[0].label << ": "
            << ratio(median(boxes[1].floors), median(boxes[0].floors)) << "\n";
        const long cores = std::max(1l, sysconf(_SC_NPROCESSORS_ONLN));
        for (const Sandbox &b : boxes) {
            const qint64 hostsCpu = (b.sshdCpuMs + b.nodeCpuMs) / runs;
            out << "CPU per pre-flight, " << b.label << ": this process " << b.toolCpuMs / runs << " ms, sshd " << b.sshdCpuMs / runs
                << " ms (" << ratio(b.sshdCpuMs / runs, b.hosts) << " ms per host), nodes " << b.nodeCpuMs / runs
                << " ms; the hosts' CPU alone on " << cores << " cores needs >= " << hostsCpu / cores << " ms\n";
        }
    }
    for (const Sandbox &b : boxes) {
        if (QFile::exists(b.dir)) {
            sandbox({u"down"_s, u"--dir"_s, b.dir}, out);
        }
    }
    return rc;
}
