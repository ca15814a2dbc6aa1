// SPDX-License-Identifier: GPL-3.0-or-later
// One behaviour table, run against both RemoteShell implementations: LocalShell (QProcess)
// and SshShell against a real OpenSSH sshd on 127.0.30.10:2222. The ssh rows are skipped
// (and say why) when sshd cannot run here.
#include "ssh/localshell.h"
#include "ssh/sshshell.h"

#include "sshtestenv.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using Core::ErrorCode;
using Ssh::DetachedStatus;
using Ssh::ExecOptions;
using Ssh::ExecResult;
using Ssh::RemoteShell;

class tst_ShellBehaviour : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void exitStatusAndStreams_data();
    void exitStatusAndStreams();
    void linesArriveWhileTheCommandRuns_data();
    void linesArriveWhileTheCommandRuns();
    void stdinReachesTheCommand_data();
    void stdinReachesTheCommand();
    void outputLimitStopsTheCommand_data();
    void outputLimitStopsTheCommand();
    void idleDeadlineStopsASilentCommand_data();
    void idleDeadlineStopsASilentCommand();
    void totalDeadlineStopsALongCommand_data();
    void totalDeadlineStopsALongCommand();
    void cancelTakesEffectWithinOneSecond_data();
    void cancelTakesEffectWithinOneSecond();
    void detachedStepRunsOnceAndIsAdopted_data();
    void detachedStepRunsOnceAndIsAdopted();
    void detachedStepHeldOnTheHostFinishesInOneCommand_data();
    void detachedStepHeldOnTheHostFinishesInOneCommand();
    void detachedStepWhoseRunnerDiedIsLost_data();
    void detachedStepWhoseRunnerDiedIsLost();
    void uploadCutAndResumedIsIdentical_data();
    void uploadCutAndResumedIsIdentical();
    void uploadOfTheWrongFileIsRefused_data();
    void uploadOfTheWrongFileIsRefused();
    void fullDiskGivesClearErrorAndNoFinalFile_data();
    void fullDiskGivesClearErrorAndNoFinalFile();
    void downloadAndFreeSpace_data();
    void downloadAndFreeSpace();
    void secondConcurrentCallIsRefused_data();
    void secondConcurrentCallIsRefused();

private:
    void addKinds();
    std::unique_ptr<RemoteShell> makeShell(const QString &kind);

    QTemporaryDir m_tmp;
    std::unique_ptr<Sim::SshdServer> m_server;
    QString m_knownHosts;
    QString m_sshUnavailable;
    QString m_sshStartError;
};

void tst_ShellBehaviour::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    Test::LogCapture::install();
    m_sshUnavailable = Sim::SshdServer::unavailableReason();
    if (m_sshUnavailable.isEmpty()) {
        m_server = std::make_unique<Sim::SshdServer>(m_tmp.filePath(u"sshd"_s), Test::testAddress(10), 2222);
        m_server->setStopOnDestruction(true);
        const auto started = m_server->start();
        if (!started) {
            m_sshStartError = started.error().message; // sshd exists but failed: the ssh rows fail
        } else {
            m_knownHosts = m_tmp.filePath(u"known_hosts"_s);
            QVERIFY(Test::pinHostKey(*m_server, m_knownHosts));
        }
    }
    if (!m_sshUnavailable.isEmpty()) {
        qWarning("ssh rows will be skipped: %s", qPrintable(m_sshUnavailable));
    }
    if (!m_sshStartError.isEmpty()) {
        qWarning("ssh rows will fail: %s", qPrintable(m_sshStartError));
    }
}

void tst_ShellBehaviour::cleanupTestCase()
{
    if (m_server) {
        QVERIFY(m_server->stop().ok());
    }
}

void tst_ShellBehaviour::addKinds()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("local shell") << u"local"_s;
    QTest::newRow("ssh shell") << u"ssh"_s;
}

std::unique_ptr<RemoteShell> tst_ShellBehaviour::makeShell(const QString &kind)
{
    if (kind == u"local"_s) {
        return std::make_unique<Ssh::LocalShell>();
    }
    if (!m_sshUnavailable.isEmpty() || !m_sshStartError.isEmpty()) {
        return nullptr;
    }
    return std::make_unique<Ssh::SshShell>(Test::keyConfig(*m_server, m_knownHosts));
}

#define MAKE_SHELL(kind)                                                                                             \
    std::unique_ptr<RemoteShell> shell = makeShell(kind);                                                            \
    if (!shell && !m_sshStartError.isEmpty()) {                                                                      \
        QFAIL(qPrintable(u"the test sshd did not start (address taken? see GRAYSTEP_SSH_TEST_NET): "_s               \
                         + m_sshStartError));                                                                        \
    }                                                                                                                \
    if (!shell) {                                                                                                    \
        QSKIP(qPrintable(u"sshd not usable here: "_s + m_sshUnavailable));                                           \
    }

void tst_ShellBehaviour::exitStatusAndStreams_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("command");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("signal");
    QTest::addColumn<QStringList>("stdoutLines");
    QTest::addColumn<QStringList>("stderrLines");
    for (const QString &kind : {u"local"_s, u"ssh"_s}) {
        const QByteArray k = kind.toLatin1();
        QTest::addRow("%s: a successful command returns exit 0 and its output", k.constData())
            << kind << u"echo one; echo two"_s << 0 << QString() << QStringList{u"one"_s, u"two"_s} << QStringList{};
        QTest::addRow("%s: exit code 3 comes back as 3", k.constData())
            << kind << u"exit 3"_s << 3 << QString() << QStringList{} << QStringList{};
        QTest::addRow("%s: stderr stays apart from stdout", k.constData())
            << kind << u"echo out; echo err >&2; echo out2"_s << 0 << QString() << QStringList{u"out"_s, u"out2"_s}
            << QStringList{u"err"_s};
        QTest::addRow("%s: a command killed by SIGKILL reports the signal", k.constData())
            << kind << u"echo before; kill -9 $$"_s << -1 << u"KILL"_s << QStringList{u"before"_s} << QStringList{};
        QTest::addRow("%s: a command killed by SIGTERM reports the signal", k.constData())
            << kind << u"kill -TERM $$"_s << -1 << u"TERM"_s << QStringList{} << QStringList{};
        QTest::addRow("%s: a last line without newline still arrives", k.constData())
            << kind << u"printf 'a\\nb'"_s << 0 << QString() << QStringList{u"a"_s, u"b"_s} << QStringList{};
        QTest::addRow("%s: CRLF line ends are trimmed and UTF-8 is kept", k.constData())
            << kind << u"printf 'x\\r\\n\\344\\275\\240\\345\\245\\275\\n'"_s << 0 << QString()
            << QStringList{u"x"_s, u"你好"_s} << QStringList{};
        QTest::addRow("%s: a missing program is exit 127 with a message on stderr", k.constData())
            << kind << u"no-such-program-graystep"_s << 127 << QString() << QStringList{}
            << QStringList{u"*not found*"_s};
    }
}

void tst_ShellBehaviour::exitStatusAndStreams()
{
    QFETCH(QString, kind);
    QFETCH(QString, command);
    QFETCH(int, exitCode);
    QFETCH(QString, signal);
    QFETCH(QStringList, stdoutLines);
    QFETCH(QStringList, stderrLines);
    MAKE_SHELL(kind);
    QStringList out;
    QStringList err;
    ExecOptions opts;
    opts.onStdoutLine = [&](const QString &l) { out << l; };
    opts.onStderrLine = [&](const QString &l) { err << l; };
    opts.totalTimeoutMs = 20000;
    const auto r = shell->exec(command, opts);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
    QCOMPARE(r->signalName, signal);
    if (signal.isEmpty()) {
        QCOMPARE(r->exitCode, exitCode);
    } else {
        QVERIFY(r->signalled());
        QCOMPARE(r->statusText(), u"killed by SIG"_s + signal);
    }
    QCOMPARE(out, stdoutLines);
    if (stderrLines.size() == 1 && stderrLines.first().startsWith(u'*')) {
        QCOMPARE(err.size(), 1);
        QVERIFY2(err.first().contains(stderrLines.first().mid(1).chopped(1)), qPrintable(err.first()));
    } else {
        QCOMPARE(err, stderrLines);
    }
    // The captured bytes agree with the lines.
    QCOMPARE(QString::fromUtf8(r->stdoutData).split(u'\n', Qt::SkipEmptyParts).size(), stdoutLines.size());
}

void tst_ShellBehaviour::linesArriveWhileTheCommandRuns_data()
{
    addKinds();
}

void tst_ShellBehaviour::linesArriveWhileTheCommandRuns()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    // The first line must be delivered long before the command ends (streamed, not buffered).
    QElapsedTimer t;
    t.start();
    qint64 firstLineAt = -1;
    ExecOptions opts;
    opts.onStdoutLine = [&](const QString &) {
        if (firstLineAt < 0) {
            firstLineAt = t.elapsed();
        }
    };
    const auto r = shell->exec(u"echo first; sleep 1.5; echo second"_s, opts);
    QVERIFY(r.ok());
    QVERIFY(firstLineAt >= 0);
    QVERIFY2(r->durationMs - firstLineAt > 1000,
             qPrintable(u"first line at %1 ms, command took %2 ms"_s.arg(firstLineAt).arg(r->durationMs)));
}

void tst_ShellBehaviour::stdinReachesTheCommand_data()
{
    addKinds();
}

void tst_ShellBehaviour::stdinReachesTheCommand()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    ExecOptions opts;
    opts.stdinData = "line1\nline2\n";
    const auto r = shell->exec(u"wc -l"_s, opts);
    QVERIFY(r.ok());
    QCOMPARE(r->stdoutData.trimmed(), "2");
    // Without stdin data the command sees EOF at once instead of hanging.
    ExecOptions none;
    none.totalTimeoutMs = 5000;
    const auto r2 = shell->exec(u"cat; echo done"_s, none);
    QVERIFY(r2.ok());
    QCOMPARE(r2->stdoutData, "done\n");
}

void tst_ShellBehaviour::outputLimitStopsTheCommand_data()
{
    addKinds();
}

void tst_ShellBehaviour::outputLimitStopsTheCommand()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    ExecOptions opts;
    opts.maxOutputBytes = 1024 * 1024;
    opts.totalTimeoutMs = 20000;
    const auto r = shell->exec(u"yes graystep"_s, opts);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Failed);
    QVERIFY2(r.error().message.contains(u"more than 1.0 MiB of output"_s), qPrintable(r.error().message));
    // The shell is still usable, and capture truncation keeps the first bytes.
    ExecOptions small;
    small.captureBytes = 10;
    const auto r2 = shell->exec(u"echo 0123456789abcdef"_s, small);
    QVERIFY(r2.ok());
    QCOMPARE(r2->stdoutData, "0123456789");
    QVERIFY(r2->stdoutTruncated);
}

void tst_ShellBehaviour::idleDeadlineStopsASilentCommand_data()
{
    addKinds();
}

void tst_ShellBehaviour::idleDeadlineStopsASilentCommand()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    qint64 pid = -1;
    ExecOptions opts;
    opts.idleTimeoutMs = 800;
    opts.onStdoutLine = [&](const QString &l) { pid = l.toLongLong(); };
    QElapsedTimer t;
    t.start();
    const auto r = shell->exec(u"echo $$; exec sleep 30"_s, opts);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Timeout);
    QVERIFY2(r.error().message.contains(u"no output"_s), qPrintable(r.error().message));
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    QVERIFY(pid > 0);
    QTRY_VERIFY_WITH_TIMEOUT(!Test::processAlive(pid), 5000); // the command was killed, not left behind
    // The shell keeps working afterwards.
    const auto again = shell->exec(u"echo ok"_s);
    QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().toString()));
    QCOMPARE(again->stdoutData, "ok\n");
}

void tst_ShellBehaviour::totalDeadlineStopsALongCommand_data()
{
    addKinds();
}

void tst_ShellBehaviour::totalDeadlineStopsALongCommand()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    ExecOptions opts;
    opts.totalTimeoutMs = 1000;
    QElapsedTimer t;
    t.start();
    // Chatty but never ending: the idle deadline alone would not fire.
    const auto r = shell->exec(u"while true; do echo tick; sleep 0.1; done"_s, opts);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Timeout);
    QVERIFY2(r.error().message.contains(u"longer than 1 s"_s), qPrintable(r.error().message));
    QVERIFY(t.elapsed() >= 1000);
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
}

void tst_ShellBehaviour::cancelTakesEffectWithinOneSecond_data()
{
    addKinds();
}

void tst_ShellBehaviour::cancelTakesEffectWithinOneSecond()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    QVERIFY(shell->connect().ok());
    std::atomic<qint64> pid{-1};
    std::optional<Core::Result<ExecResult>> result;
    QThread *worker = QThread::create([&] {
        ExecOptions opts;
        opts.onStdoutLine = [&](const QString &l) { pid = l.toLongLong(); };
        result = shell->exec(u"echo $$; exec sleep 30"_s, opts);
    });
    worker->start();
    QTRY_VERIFY_WITH_TIMEOUT(pid.load() > 0, 10000);
    QElapsedTimer t;
    t.start();
    shell->cancel();
    QVERIFY(worker->wait(5000));
    const qint64 latency = t.elapsed();
    delete worker;
    qInfo("cancel latency (%s): %lld ms", qPrintable(kind), latency);
    QVERIFY2(latency <= 1000, qPrintable(u"cancel took %1 ms"_s.arg(latency)));
    QVERIFY(result.has_value());
    QVERIFY(!result->ok());
    QCOMPARE(result->error().code, ErrorCode::Cancelled);
    QTRY_VERIFY_WITH_TIMEOUT(!Test::processAlive(pid.load()), 5000);
    // Sticky until cleared.
    QCOMPARE(shell->exec(u"true"_s).error().code, ErrorCode::Cancelled);
    shell->clearCancel();
    QVERIFY(shell->exec(u"true"_s).ok());
}

void tst_ShellBehaviour::detachedStepRunsOnceAndIsAdopted_data()
{
    addKinds();
}

void tst_ShellBehaviour::detachedStepRunsOnceAndIsAdopted()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    const QString dir = m_tmp.filePath(u"steps-"_s + kind);
    const QString counter = m_tmp.filePath(u"counter-"_s + kind);
    Ssh::DetachedStep step;
    step.id = u"upgrade.host1-install"_s;
    step.stateDir = dir;
    step.command = u"echo run >> '%1'; sleep 1; echo out-$((6*7)); echo problem >&2; exit 5"_s.arg(counter);

    const auto absent = shell->detachedStatus(step.id, dir);
    QVERIFY(absent.ok());
    QCOMPARE(absent->state, DetachedStatus::State::Absent);

    const auto first = shell->startDetached(step);
    QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.error().toString()));
    QVERIFY(first->launchedNow);
    QCOMPARE(first->state, DetachedStatus::State::Running);
    QVERIFY(first->pid > 0);
    QVERIFY(first->startedEpoch > 0);

    // Starting it again adopts the running step instead of running it twice.
    const auto second = shell->startDetached(step);
    QVERIFY(second.ok());
    QVERIFY(!second->launchedNow);
    QCOMPARE(second->pid, first->pid);

    Ssh::WaitOptions wait;
    wait.pollIntervalMs = 200;
    wait.totalTimeoutMs = 20000;
    const auto done = shell->waitDetached(step.id, dir, wait);
    QVERIFY(done.ok());
    QCOMPARE(done->state, DetachedStatus::State::Finished);
    QCOMPARE(done->exitCode, 5);
    QVERIFY(done->finishedEpoch >= done->startedEpoch);
    // The wait that saw the finish brought the output along; a separate read gives the same.
    QVERIFY(done->hasOutput);
    QCOMPARE(done->output, "out-42\n");
    QCOMPARE(shell->detachedOutput(step.id, dir).valueOr({}), "out-42\n");
    QCOMPARE(shell->detachedOutput(step.id, dir, true).valueOr({}), "problem\n");

    // Even after it finished, a third start does not run it again.
    const auto third = shell->startDetached(step);
    QVERIFY(third.ok());
    QVERIFY(!third->launchedNow);
    QCOMPARE(third->state, DetachedStatus::State::Finished);
    QCOMPARE(Test::readText(counter), "run\n");

    // Bad ids are refused before anything runs.
    step.id = u"../x; rm -rf /"_s;
    QCOMPARE(shell->startDetached(step).error().code, ErrorCode::InvalidInput);
}

void tst_ShellBehaviour::detachedStepHeldOnTheHostFinishesInOneCommand_data()
{
    addKinds();
}

void tst_ShellBehaviour::detachedStepHeldOnTheHostFinishesInOneCommand()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    const QString dir = m_tmp.filePath(u"held-"_s + kind);
    Ssh::DetachedStep step;
    step.stateDir = dir;
    step.holdMs = 5000;

    // A short step: launched, finished and read by the one start call.
    step.id = u"short"_s;
    step.command = u"sleep 0.3; echo 'state=finished lines in the output are output'; echo done"_s;
    const auto st = shell->startDetached(step);
    QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().toString()));
    QVERIFY(st->launchedNow);
    QCOMPARE(st->state, DetachedStatus::State::Finished);
    QCOMPARE(st->exitCode, 0);
    QVERIFY(st->hasOutput);
    QCOMPARE(st->output, "state=finished lines in the output are output\ndone\n");

    // A longer one: the start answers when the hold ends, still running; the wait finishes it.
    step.id = u"long"_s;
    step.holdMs = 300;
    step.command = u"sleep 2; echo late"_s;
    const auto running = shell->startDetached(step);
    QVERIFY(running.ok());
    QCOMPARE(running->state, DetachedStatus::State::Running);
    QVERIFY(!running->hasOutput);
    const auto done = shell->waitDetached(step.id, dir, {});
    QVERIFY(done.ok());
    QCOMPARE(done->state, DetachedStatus::State::Finished);
    QCOMPARE(done->output, "late\n");
}

void tst_ShellBehaviour::detachedStepWhoseRunnerDiedIsLost_data()
{
    addKinds();
}

void tst_ShellBehaviour::detachedStepWhoseRunnerDiedIsLost()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    const QString dir = m_tmp.filePath(u"lost-"_s + kind);
    Ssh::DetachedStep step{u"step-lost"_s, u"sleep 60"_s, dir};
    const auto st = shell->startDetached(step);
    QVERIFY(st.ok());
    QCOMPARE(st->state, DetachedStatus::State::Running);
    // The host "reboots": the runner and its command die without writing a result.
    QCOMPARE(::kill(pid_t(-st->pid), SIGKILL), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!Test::processAlive(st->pid), 5000);
    const auto after = shell->detachedStatus(step.id, dir);
    QVERIFY(after.ok());
    QCOMPARE(after->state, DetachedStatus::State::Lost);
    QCOMPARE(after->pid, st->pid);

    // After a reboot the recorded pid may belong to an unrelated live process: still lost.
    QVERIFY(QDir().mkpath(dir + u"/reused.lock"_s));
    QVERIFY(Test::writeText(dir + u"/reused.status"_s,
                            "step=reused\npid=" + QByteArray::number(QCoreApplication::applicationPid())
                                + "\nstarted=1\nstate=running\n"));
    QVERIFY(Test::processAlive(QCoreApplication::applicationPid()));
    const auto reused = shell->detachedStatus(u"reused"_s, dir);
    QVERIFY(reused.ok());
    QCOMPARE(reused->state, DetachedStatus::State::Lost);
}

void tst_ShellBehaviour::uploadCutAndResumedIsIdentical_data()
{
    addKinds();
}

void tst_ShellBehaviour::uploadCutAndResumedIsIdentical()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    const qint64 size = 50ll * 1024 * 1024;
    const QString src = m_tmp.filePath(u"upload-src.bin"_s);
    static QString srcSha;
    if (srcSha.isEmpty()) {
        srcSha = Test::makeRandomFile(src, size);
    }
    QVERIFY(!srcSha.isEmpty());
    const QString dest = m_tmp.filePath(u"upload-dest-"_s + kind + u".bin"_s);
    QVERIFY(Test::writeText(dest, "old content that must be replaced atomically"));

    qint64 previousCutAt = 0;
    int resumes = 0;
    for (int percent : {25, 50, 75}) {
        qint64 cutAt = -1;
        Ssh::UploadOptions opts;
        opts.onProgress = [&](const Ssh::TransferProgress &p) {
            QVERIFY(p.bytesTotal == size);
            if (cutAt < 0 && p.bytesDone >= size * percent / 100) {
                cutAt = p.bytesDone;
                shell->cancel(); // the cut: the connection is dropped right after this write
            }
        };
        const auto r = shell->upload(src, dest, opts);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Cancelled);
        QVERIFY(cutAt > 0);
        shell->clearCancel();
        // The final name is untouched while the upload is incomplete.
        QCOMPARE(Test::readText(dest), "old content that must be replaced atomically");
        QVERIFY(QFileInfo(dest + u".part"_s).size() >= cutAt);
        QVERIFY(previousCutAt <= cutAt);
        previousCutAt = cutAt;
        ++resumes;
    }
    Ssh::UploadResult result;
    qint64 firstReported = -1;
    Ssh::UploadOptions opts;
    opts.onProgress = [&](const Ssh::TransferProgress &p) {
        if (firstReported < 0) {
            firstReported = p.resumedFrom;
        }
    };
    const auto r = shell->upload(src, dest, opts);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
    // Resumed from where the last cut left it: at most one 64 KiB write is sent again.
    QVERIFY2(r->resumedFrom >= previousCutAt && r->resumedFrom <= previousCutAt + 64 * 1024,
             qPrintable(u"resumed from %1, cut at %2"_s.arg(r->resumedFrom).arg(previousCutAt)));
    QCOMPARE(firstReported, r->resumedFrom);
    QCOMPARE(r->bytesSent, size - r->resumedFrom);
    QCOMPARE(r->sha256, srcSha);
    QCOMPARE(Test::fileSha256(dest), srcSha);
    QVERIFY(!QFileInfo::exists(dest + u".part"_s));
    QCOMPARE(shell->sha256(dest).valueOr({}), srcSha);
    QCOMPARE(resumes, 3);
    QFile::remove(dest);
}

void tst_ShellBehaviour::uploadOfTheWrongFileIsRefused_data()
{
    addKinds();
}

void tst_ShellBehaviour::uploadOfTheWrongFileIsRefused()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    const QString src = m_tmp.filePath(u"wrong-"_s + kind + u".bin"_s);
    const QString sha = Test::makeRandomFile(src, 300 * 1024, 5);
    const QString dest = m_tmp.filePath(u"wrong-dest-"_s + kind + u".bin"_s);
    Ssh::UploadOptions opts;
    opts.expectedSha256 = QString(64, u'0');
    const auto r = shell->upload(src, dest, opts);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Failed);
    QVERIFY2(r.error().message.contains(sha) && r.error().message.contains(opts.expectedSha256),
             qPrintable(r.error().message));
    QVERIFY(!QFileInfo::exists(dest));
    QVERIFY(!QFileInfo::exists(dest + u".part"_s));
    opts.expectedSha256 = sha.toUpper(); // hex case does not matter
    const auto ok = shell->upload(src, dest, opts);
    QVERIFY2(ok.ok(), qPrintable(ok.ok() ? QString() : ok.error().message));
    QCOMPARE(Test::fileSha256(dest), sha);
}

void tst_ShellBehaviour::fullDiskGivesClearErrorAndNoFinalFile_data()
{
    addKinds();
}

void tst_ShellBehaviour::fullDiskGivesClearErrorAndNoFinalFile()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    const QString mountPoint = m_tmp.filePath(u"small-disk-"_s + kind);
    QVERIFY(QDir().mkpath(mountPoint));
    if (QProcess::execute(u"mount"_s, {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"size=4m"_s, u"tmpfs"_s, mountPoint}) != 0) {
        QSKIP("cannot mount a small tmpfs here (needs root)");
    }
    auto unmount = qScopeGuard([&] { QProcess::execute(u"umount"_s, {mountPoint}); });
    const QString src = m_tmp.filePath(u"eight-mb.bin"_s);
    QVERIFY(!Test::makeRandomFile(src, 8 * 1024 * 1024, 7).isEmpty());
    const QString dest = mountPoint + u"/package.zip"_s;

    // 1. The pre-flight check refuses before writing anything.
    const auto refused = shell->upload(src, dest);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.contains(u"not enough disk space"_s), qPrintable(refused.error().message));
    QVERIFY(refused.error().message.contains(u"needs"_s));
    QVERIFY(!QFileInfo::exists(dest));
    QVERIFY(!QFileInfo::exists(dest + u".part"_s));

    // 2. Without the check, the disk fills up mid-upload: clear message, nothing under the final name.
    Ssh::UploadOptions opts;
    opts.checkFreeSpace = false;
    const auto full = shell->upload(src, dest, opts);
    QVERIFY(!full.ok());
    QCOMPARE(full.error().code, ErrorCode::Io);
    QVERIFY2(full.error().message.contains(u"is full"_s), qPrintable(full.error().message));
    QVERIFY(!QFileInfo::exists(dest));
    QVERIFY(!QFileInfo::exists(dest + u".part"_s)); // removed: the host needs its space back

    // 3. Free space is reported.
    const auto fs = shell->freeSpace(mountPoint);
    QVERIFY(fs.ok());
    QCOMPARE(fs->totalBytes, 4ll * 1024 * 1024);
    QVERIFY(fs->availableBytes > 3ll * 1024 * 1024);
}

void tst_ShellBehaviour::downloadAndFreeSpace_data()
{
    addKinds();
}

void tst_ShellBehaviour::downloadAndFreeSpace()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    const QString file = m_tmp.filePath(u"small.txt"_s);
    QVERIFY(Test::writeText(file, "version=2.00.8.12\n"));
    QCOMPARE(shell->download(file).valueOr({}), "version=2.00.8.12\n");
    const auto tooBig = shell->download(file, 4);
    QVERIFY(!tooBig.ok());
    QVERIFY(tooBig.error().message.contains(u"larger than"_s));
    const auto missing = shell->download(m_tmp.filePath(u"nope"_s));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, ErrorCode::NotFound);
    const auto fs = shell->freeSpace(m_tmp.path());
    QVERIFY(fs.ok());
    QVERIFY(fs->totalBytes > 0 && fs->availableBytes > 0 && fs->availableBytes <= fs->totalBytes);
    QCOMPARE(shell->freeSpace(m_tmp.filePath(u"nope"_s)).error().code, ErrorCode::NotFound);
}

void tst_ShellBehaviour::secondConcurrentCallIsRefused_data()
{
    addKinds();
}

void tst_ShellBehaviour::secondConcurrentCallIsRefused()
{
    QFETCH(QString, kind);
    MAKE_SHELL(kind);
    std::atomic<bool> started{false};
    QThread *worker = QThread::create([&] {
        ExecOptions opts;
        opts.onStdoutLine = [&](const QString &) { started = true; };
        (void)shell->exec(u"echo go; sleep 1"_s, opts);
    });
    worker->start();
    QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
    const auto r = shell->exec(u"true"_s);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Internal);
    QVERIFY(worker->wait(10000));
    delete worker;
    QVERIFY(shell->exec(u"true"_s).ok());
}

QTEST_GUILESS_MAIN(tst_ShellBehaviour)
#include "tst_shellbehaviour.moc"
