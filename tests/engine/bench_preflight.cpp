// SPDX-License-Identifier: GPL-3.0-or-later
// Pre-flight time on a 30-host sandbox against a 3-host one (issue target: <= 2x).
// Starts both sandboxes (real sshd per host; 127.0.82.x and 127.0.83.x), runs the checklist
// alternately on each, prints every time, the medians and their ratio, and stops both.
//
//   bench_engine_preflight [--runs N] [--hosts M]      (defaults: 7 runs, 30 hosts)
#include "core/upgradeprofile.h"
#include "engine/preflight.h"
#include "support/testdata.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>

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

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
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
    };
    QList<Sandbox> boxes{{u"3 hosts"_s, 3, u"127.0.82.1"_s, tmp.filePath(u"small"_s), {}, {}},
                         {u"%1 hosts"_s.arg(bigHosts), bigHosts, u"127.0.83.1"_s, tmp.filePath(u"big"_s), {}, {}}};
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
                const Engine::PreflightReport r = Engine::runPreflight(b.profile, u"123456"_s);
                b.times << r.elapsedMs;
                if (r.anyFailed()) {
                    out << b.label << ": a check failed:\n" << r.toText() << "\n";
                    rc = 1;
                }
            }
        }
        for (const Sandbox &b : boxes) {
            QStringList all;
            for (qint64 t : b.times) {
                all << QString::number(t);
            }
            out << "preflight " << b.label << ": median " << median(b.times) << " ms (" << all.join(u", "_s) << ")\n";
        }
        out << "ratio " << boxes[1].label << " / " << boxes[0].label << ": "
            << QString::number(double(median(boxes[1].times)) / double(std::max<qint64>(1, median(boxes[0].times))), 'f', 2)
            << " (target <= 2)\n";
    }
    for (const Sandbox &b : boxes) {
        if (QFile::exists(b.dir)) {
            sandbox({u"down"_s, u"--dir"_s, b.dir}, out);
        }
    }
    return rc;
}
