// SPDX-License-Identifier: GPL-3.0-or-later
// The tutorial's upgrade on a fresh 3-host sandbox (real sshd, 127.0.84.x), the built-in
// writer at 10 rows/s, through graystep-cli: wall time of the run against the unavoidable
// waits (node stop, start and recovery, as the journal records them; issue target <= 1.05),
// with the time of every step summed over the hosts.
//
//   bench_engine_upgrade [--runs N]      (default 3; each run lays out a new sandbox)
#include "support/testdata.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace {

int tool(const QString &name, const QStringList &args)
{
    QProcess p;
    p.setStandardOutputFile(QProcess::nullDevice());
    p.setStandardErrorFile(QProcess::nullDevice());
    p.start(GrayStep::Test::binDir() + u'/' + name, args);
    p.closeWriteChannel();
    if (!p.waitForFinished(900000)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const QStringList args = app.arguments();
    const qsizetype at = args.indexOf(u"--runs"_s);
    const int runs = std::max(1, at >= 0 && at + 1 < args.size() ? args.at(at + 1).toInt() : 3);

    QList<double> ratios;
    for (int run = 1; run <= runs; ++run) {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(u"sbx"_s);
        const QString journal = tmp.filePath(u"run.journal"_s);
        if (tool(u"graystep-sandbox"_s, {u"up"_s, u"--dir"_s, dir, u"--base-address"_s, u"127.0.84.1"_s}) != 0) {
            out << "graystep-sandbox up failed\n";
            return 1;
        }
        const int rc = tool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, dir + u"/sandbox.graystep.json"_s, u"--yes"_s,
                                                 u"--journal"_s, journal});
        tool(u"graystep-sandbox"_s, {u"down"_s, u"--dir"_s, dir});
        if (rc != 0) {
            out << "run " << run << ": graystep-cli run exited " << rc << "\n";
            return 1;
        }
        QFile f(journal);
        if (!f.open(QIODevice::ReadOnly)) {
            out << "no journal\n";
            return 1;
        }
        qint64 first = -1;
        qint64 last = 0;
        qint64 unavoidable = 0;
        QMap<QString, qint64> opened;    // host/step -> intent time
        QMap<QString, qint64> perStep;   // step -> ms summed over hosts
        for (const QByteArray &line : f.readAll().split('\n')) {
            const QJsonObject r = QJsonDocument::fromJson(line).object();
            if (r.isEmpty()) {
                continue;
            }
            const qint64 t = qint64(r.value(u"t"_s).toDouble());
            first = first < 0 ? t : first;
            last = t;
            const QString kind = r.value(u"kind"_s).toString();
            const QString key = r.value(u"host"_s).toString() + u'/' + r.value(u"step"_s).toString();
            if (kind == u"intent"_s) {
                opened.insert(key, t);
            } else if (kind == u"done"_s && opened.contains(key)) {
                perStep[r.value(u"step"_s).toString()] += t - opened.take(key);
            } else if (kind == u"finished"_s) {
                unavoidable = qint64(r.value(u"data"_s).toObject().value(u"unavoidableMs"_s).toDouble());
            }
        }
        const qint64 wall = last - first;
        const double ratio = double(wall) / double(std::max<qint64>(1, unavoidable));
        ratios << ratio;
        out << "run " << run << ": wall " << wall << " ms, unavoidable " << unavoidable << " ms, ratio "
            << QString::number(ratio, 'f', 3) << "\n  steps (ms, summed over hosts; stage runs on all hosts at once):";
        QList<QPair<qint64, QString>> sorted;
        for (auto it = perStep.cbegin(); it != perStep.cend(); ++it) {
            sorted.append({it.value(), it.key()});
        }
        std::sort(sorted.rbegin(), sorted.rend());
        for (const auto &[ms, step] : sorted) {
            out << ' ' << step << ' ' << ms;
        }
        out << "\n";
        out.flush();
    }
    std::sort(ratios.begin(), ratios.end());
    out << "ratio wall / unavoidable: median " << QString::number(ratios.at(ratios.size() / 2), 'f', 3) << ", best "
        << QString::number(ratios.first(), 'f', 3) << ", worst " << QString::number(ratios.last(), 'f', 3)
        << " over " << ratios.size() << " run(s) (target <= 1.05)\n";
    return 0;
}
