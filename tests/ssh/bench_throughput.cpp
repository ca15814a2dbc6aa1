// SPDX-License-Identifier: GPL-3.0-or-later
// bench_ssh_throughput: SFTP upload throughput of SshShell on loopback (target >= 150 MB/s) and
// exec round-trip latency, and a fresh connection's login and first command, against a private
// sshd on 127.0.30.40:2222. Prints figures; not a test.
//
//   bench_ssh_throughput [--size-mb N] [--runs N] [--execs N] [--logins N]
#include "sim/sshd/sshdserver.h"
#include "ssh/localshell.h"
#include "ssh/sshshell.h"

#include "sshtestenv.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;

namespace {

int intArg(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

struct Stats
{
    double median = 0;
    double p95 = 0;
    double min = 0;
};

Stats stats(QList<double> v)
{
    std::sort(v.begin(), v.end());
    if (v.isEmpty()) {
        return {};
    }
    return {v.at(v.size() / 2), v.at(qMin<qsizetype>(v.size() - 1, qsizetype(double(v.size()) * 0.95))), v.first()};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int sizeMb = intArg(args, u"--size-mb"_s, 200);
    const int runs = intArg(args, u"--runs"_s, 3);
    const int execs = intArg(args, u"--execs"_s, 200);
    const int logins = intArg(args, u"--logins"_s, 30);

    if (const QString why = Sim::SshdServer::unavailableReason(); !why.isEmpty()) {
        std::printf("bench_ssh_throughput: skipped, %s\n", qPrintable(why));
        return 0;
    }
    QTemporaryDir tmp;
    Sim::SshdServer server(tmp.filePath(u"sshd"_s), Test::testAddress(40), 2222);
    server.setStopOnDestruction(true);
    if (const auto s = server.start(); !s) {
        std::printf("cannot start sshd: %s\n", qPrintable(s.error().message));
        return 1;
    }
    const QString kh = tmp.filePath(u"known_hosts"_s);
    {
        QFile f(kh);
        if (!f.open(QIODevice::WriteOnly)) {
            return 1;
        }
        f.write(server.knownHostsLine()->toUtf8() + '\n');
    }
    Ssh::SshConfig cfg;
    cfg.host = server.address();
    cfg.port = server.port();
    cfg.user = Sim::SshdServer::currentUser();
    cfg.knownHostsFile = kh;
    cfg.auth.methods = {Ssh::SshAuth::Method::KeyFile};
    cfg.auth.keyFile = server.clientKeyPath();

    // Source file of random bytes.
    const QString src = tmp.filePath(u"payload.bin"_s);
    {
        QFile f(src);
        if (!f.open(QIODevice::WriteOnly)) {
            return 1;
        }
        QRandomGenerator gen(7);
        QByteArray block(1024 * 1024, Qt::Uninitialized);
        for (int i = 0; i < sizeMb; ++i) {
            gen.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
            f.write(block);
        }
    }
    const double mbytes = double(sizeMb) * 1024 * 1024 / 1e6;
    std::printf("SFTP upload of %d MiB over loopback (sshd %s:2222, NODELAY, blocking sftp_write)\n", sizeMb,
                qPrintable(server.address()));
    std::printf("%-10s %-6s %14s %16s %14s\n", "chunk", "run", "write MB/s", "upload() MB/s", "upload() s");
    for (int chunk : {32 * 1024, 64 * 1024}) {
        cfg.sftpChunkBytes = chunk;
        Ssh::SshShell shell(cfg);
        if (const auto c = shell.connect(); !c) {
            std::printf("connect failed: %s\n", qPrintable(c.error().message));
            return 1;
        }
        // The local SHA-256 is part of upload(); give it the known hash so the figures show transfer + remote check.
        QFile f(src);
        f.open(QIODevice::ReadOnly);
        QCryptographicHash h(QCryptographicHash::Sha256);
        h.addData(&f);
        const QString sha = QString::fromLatin1(h.result().toHex());
        QList<double> writeRates;
        QList<double> totalRates;
        for (int run = 1; run <= runs; ++run) {
            const QString dest = tmp.filePath(u"dest.bin"_s);
            QFile::remove(dest);
            QFile::remove(dest + u".part"_s);
            QElapsedTimer writeClock;
            qint64 writeMs = 0;
            Ssh::UploadOptions opts;
            opts.resume = false;
            opts.onProgress = [&](const Ssh::TransferProgress &p) {
                if (!writeClock.isValid()) {
                    writeClock.start();
                }
                if (p.bytesDone == p.bytesTotal && writeMs == 0) {
                    writeMs = writeClock.elapsed();
                }
            };
            QElapsedTimer total;
            total.start();
            const auto r = shell.upload(src, dest, opts);
            const double totalS = double(total.elapsed()) / 1000.0;
            if (!r) {
                std::printf("upload failed: %s\n", qPrintable(r.error().message));
                return 1;
            }
            if (r->sha256 != sha) {
                std::printf("checksum mismatch\n");
                return 1;
            }
            const double writeRate = mbytes / qMax(0.001, double(writeMs) / 1000.0);
            const double totalRate = mbytes / totalS;
            writeRates << writeRate;
            totalRates << totalRate;
            std::printf("%-10s %-6d %14.1f %16.1f %14.2f\n", qPrintable(u"%1 KiB"_s.arg(chunk / 1024)), run, writeRate,
                        totalRate, totalS);
        }
        std::printf("%-10s %-6s %14.1f %16.1f\n", qPrintable(u"%1 KiB"_s.arg(chunk / 1024)), "median",
                    stats(writeRates).median, stats(totalRates).median);
    }
    std::printf("(write MB/s: the sftp_write phase; upload() MB/s: whole call incl. remote sync + sha256sum + mv -f;\n"
                " local SHA-256 of the source is computed inside upload() as well)\n\n");

    // Exec round trips on one connected session.
    Ssh::SshShell shell(cfg);
    if (const auto c = shell.connect(); !c) {
        return 1;
    }
    QList<double> ssh;
    for (int i = 0; i < execs; ++i) {
        QElapsedTimer t;
        t.start();
        const auto r = shell.exec(u"true"_s);
        if (!r || r->exitCode != 0) {
            std::printf("exec failed\n");
            return 1;
        }
        ssh << double(t.nsecsElapsed()) / 1e6;
    }
    Ssh::LocalShell local;
    QList<double> loc;
    for (int i = 0; i < execs; ++i) {
        QElapsedTimer t;
        t.start();
        const auto r = local.exec(u"true"_s);
        if (!r || r->exitCode != 0) {
            return 1;
        }
        loc << double(t.nsecsElapsed()) / 1e6;
    }
    // A fresh connection each time: login, then the first command on it (the pre-flight's and
    // the runner's pattern: one connection per host, few commands).
    QList<double> login;
    QList<double> first;
    for (int i = 0; i < logins; ++i) {
        Ssh::SshShell fresh(cfg);
        QElapsedTimer t;
        t.start();
        if (const auto c = fresh.connect(); !c) {
            std::printf("connect failed: %s\n", qPrintable(c.error().message));
            return 1;
        }
        login << double(t.nsecsElapsed()) / 1e6;
        t.restart();
        const auto r = fresh.exec(u"true"_s);
        if (!r || r->exitCode != 0) {
            std::printf("exec failed\n");
            return 1;
        }
        first << double(t.nsecsElapsed()) / 1e6;
    }
    const Stats s = stats(ssh);
    const Stats l = stats(loc);
    const Stats li = stats(login);
    const Stats f = stats(first);
    std::printf("fresh connection (%d x): login median %.2f ms, p95 %.2f ms; first `true` median %.2f ms, p95 %.2f ms\n",
                logins, li.median, li.p95, f.median, f.p95);
    std::printf("exec round trip (%d x `true`): SshShell median %.2f ms, p95 %.2f ms, min %.2f ms\n", execs, s.median,
                s.p95, s.min);
    std::printf("                               LocalShell median %.2f ms, p95 %.2f ms, min %.2f ms\n", l.median, l.p95,
                l.min);
    (void)server.stop();
    return 0;
}
