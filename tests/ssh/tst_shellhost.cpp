// SPDX-License-Identifier: GPL-3.0-or-later
// ShellHost: a RemoteShell on its own QThread behind QFuture results and queued signals.
// Mostly with LocalShell (no sshd needed); one case drives SshShell on 127.0.30.50 when sshd exists.
#include "ssh/shellhost.h"

#include "ssh/localshell.h"
#include "ssh/sshshell.h"

#include "sshtestenv.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using Core::ErrorCode;
using Ssh::ShellHost;

class tst_ShellHost : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void workRunsOnTheHostThreadInCallOrder();
    void linesAndProgressArriveAsQueuedSignals();
    void cancelFromTheGuiThreadEndsTheRunningCall();
    void destroyingTheHostCancelsPendingCalls();
    void sshShellWorksFromItsOwnThread();
};

void tst_ShellHost::workRunsOnTheHostThreadInCallOrder()
{
    ShellHost host(std::make_unique<Ssh::LocalShell>());
    QCOMPARE(host.describe(), u"local"_s);
    QList<int> order;
    QThread *seen = nullptr;
    QFuture<int> a = host.run([&](Ssh::RemoteShell &) {
        seen = QThread::currentThread();
        order << 1;
        return 1;
    });
    QFuture<Core::Result<Ssh::ExecResult>> b = host.exec(u"echo two"_s);
    QFuture<int> c = host.run([&](Ssh::RemoteShell &) {
        order << 3;
        return 3;
    });
    c.waitForFinished();
    QVERIFY(a.isFinished() && b.isFinished());
    QCOMPARE(order, (QList<int>{1, 3}));
    QCOMPARE(a.result(), 1);
    QCOMPARE(b.result()->stdoutData, "two\n");
    QCOMPARE(seen, host.workerThread());
    QVERIFY(seen != QThread::currentThread());
}

void tst_ShellHost::linesAndProgressArriveAsQueuedSignals()
{
    QTemporaryDir tmp;
    ShellHost host(std::make_unique<Ssh::LocalShell>());
    QSignalSpy lines(&host, &ShellHost::outputLine);
    QSignalSpy progress(&host, &ShellHost::uploadProgress);
    QThread *receivedOn = nullptr;
    connect(&host, &ShellHost::outputLine, this, [&] { receivedOn = QThread::currentThread(); });
    auto f = host.exec(u"echo out; echo err >&2"_s, {}, u"step-7"_s);
    QTRY_COMPARE(lines.size(), 2);
    QVERIFY(f.result().ok());
    QCOMPARE(receivedOn, QThread::currentThread()); // delivered in the receiver's (GUI) thread
    QStringList got;
    for (const auto &args : std::as_const(lines)) {
        QCOMPARE(args.at(0).toString(), u"step-7"_s);
        got << (args.at(1).toBool() ? u"E:"_s : u"O:"_s) + args.at(2).toString();
    }
    got.sort();
    QCOMPARE(got, (QStringList{u"E:err"_s, u"O:out"_s}));

    const QString src = tmp.filePath(u"src.bin"_s);
    QVERIFY(!Test::makeRandomFile(src, 3 * 1024 * 1024).isEmpty());
    auto up = host.upload(src, tmp.filePath(u"dst.bin"_s), {}, u"stage"_s);
    QTRY_VERIFY(up.isFinished());
    QVERIFY(up.result().ok());
    QTRY_VERIFY(progress.size() >= 2);
    const auto last = progress.last().at(1).value<Ssh::TransferProgress>();
    QCOMPARE(last.bytesDone, 3ll * 1024 * 1024);
    QCOMPARE(progress.last().at(0).toString(), u"stage"_s);
}

void tst_ShellHost::cancelFromTheGuiThreadEndsTheRunningCall()
{
    ShellHost host(std::make_unique<Ssh::LocalShell>());
    QSignalSpy lines(&host, &ShellHost::outputLine);
    auto f = host.exec(u"echo started; sleep 30"_s);
    QVERIFY(lines.wait(10000));
    QElapsedTimer t;
    t.start();
    host.cancel();
    f.waitForFinished();
    QVERIFY(t.elapsed() <= 1000);
    QCOMPARE(f.result().error().code, ErrorCode::Cancelled);
    host.clearCancel();
    QVERIFY(host.exec(u"true"_s).result().ok());
}

void tst_ShellHost::destroyingTheHostCancelsPendingCalls()
{
    QFuture<Core::Result<Ssh::ExecResult>> running;
    QFuture<Core::Result<Ssh::ExecResult>> pending;
    QElapsedTimer t;
    {
        auto host = std::make_unique<ShellHost>(std::make_unique<Ssh::LocalShell>());
        QSignalSpy lines(host.get(), &ShellHost::outputLine);
        running = host->exec(u"echo started; sleep 30"_s);
        pending = host->exec(u"echo never"_s);
        QVERIFY(lines.wait(10000));
        t.start();
    }
    QVERIFY(t.elapsed() <= 1000);
    QVERIFY(running.isFinished());
    QCOMPARE(running.result().error().code, ErrorCode::Cancelled);
    QVERIFY(pending.isFinished());
    QVERIFY(pending.isCanceled());
    QCOMPARE(pending.resultCount(), 0);
}

void tst_ShellHost::sshShellWorksFromItsOwnThread()
{
    if (const QString why = Sim::SshdServer::unavailableReason(); !why.isEmpty()) {
        QSKIP(qPrintable(u"real sshd tests skipped: "_s + why));
    }
    QTemporaryDir tmp;
    Sim::SshdServer server(tmp.filePath(u"sshd"_s), u"127.0.30.50"_s, 2222);
    server.setStopOnDestruction(true);
    QVERIFY(server.start().ok());
    const QString kh = tmp.filePath(u"known_hosts"_s);
    QVERIFY(Test::pinHostKey(server, kh));
    ShellHost host(std::make_unique<Ssh::SshShell>(Test::keyConfig(server, kh)));
    QVERIFY(host.connectToHost().result().ok());
    QSignalSpy lines(&host, &ShellHost::outputLine);
    auto f = host.exec(u"echo one; echo two"_s, {}, u"probe"_s);
    QTRY_COMPARE(lines.size(), 2);
    QVERIFY(f.result().ok());
    QCOMPARE(lines.at(1).at(2).toString(), u"two"_s);
    const auto fs = host.freeSpace(tmp.path()).result();
    QVERIFY(fs.ok());
    QVERIFY(fs->availableBytes > 0);
}

QTEST_GUILESS_MAIN(tst_ShellHost)
#include "tst_shellhost.moc"
