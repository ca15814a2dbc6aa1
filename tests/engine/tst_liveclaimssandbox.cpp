// SPDX-License-Identifier: GPL-3.0-or-later
// "No success without looking" on the sandbox (3 hosts, real sshd on 127.0.79.x), through
// graystep-cli: each test makes a claim false on the hosts or nodes, then asserts what the tool
// says and its exit status against the live state (versions read from the nodes), never
// against the tool's own words alone.
#include "core/upgradeprofile.h"
#include "engine/journal.h"
#include "dolphindb/scripts.h"
#include "support/clitool.h"
#include "support/simclient.h"
#include "support/testdata.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <memory>
#include <thread>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Test::Cli;
using GrayStep::Test::runTool;
using GrayStep::Test::runWatching;

namespace {

const QString Base = u"127.0.79.1"_s;

QString text(const Cli &c)
{
    return QString::fromUtf8(c.out.right(3000) + "\n--- stderr ---\n" + c.err.right(1500));
}

} // namespace

class tst_LiveClaimsSandbox final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void finishedJournalOnAFreshClusterIsNotSuccess();
    void gateRefusesAHostWhileAnotherHostsNodeIsDown();
    void secondRollbackLooksAndStartsADeadNodeAgain();
    void twoRunsAtOnceOnlyOneProceeds();
    void exitStatusOfEachEnding();
    void interruptedRunsSayHowToResume_data();
    void interruptedRunsSayHowToResume();
    void lostSshMidHostSaysTheHostIsDown();
    void fullDiskAfterTheStopIsFoundInSecondsAndResumeFinishes();
    void rolledBackHostIsRetriedOnResume();
    void aWrongPackageForAHostIsRefusedBeforeAnyStop();
    void missingChunkMetadataOfANodeHoldingChunksFailsTheBackup();

private:
    bool up();
    QString profile() const { return m_dir + u"/sandbox.graystep.json"_s; }
    QString journal() const { return m_tmp->filePath(u"run.journal"_s); }
    QMap<QString, QString> versions();   // alias -> version text ("" when down)
    QStringList planOrder();
    QString alias(const QString &prefix, const QString &host) const
    {
        return prefix + QString::number(host.section(u'.', 3, 3).toInt() + 42);
    }
    QMap<QString, int> executions();     // detached step id -> launches
    Cli sandbox(const QStringList &args) { return runTool(u"graystep-sandbox"_s, QStringList{args.first(), u"--dir"_s, m_dir} + args.mid(1)); }
    QStringList runArgs(const QStringList &extra = {}) const
    {
        return QStringList{u"run"_s, u"--profile"_s, profile(), u"--yes"_s, u"--json"_s, u"--no-writer"_s, u"--journal"_s,
                           journal()}
               + extra;
    }

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_dir;
};

void tst_LiveClaimsSandbox::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    m_dir = m_tmp->filePath(u"sbx"_s);
    QVERIFY2(up(), "graystep-sandbox up failed");
}

void tst_LiveClaimsSandbox::cleanup()
{
    sandbox({u"down"_s});
    m_tmp.reset();
}

bool tst_LiveClaimsSandbox::up()
{
    const Cli c = runTool(u"graystep-sandbox"_s, {u"up"_s, u"--dir"_s, m_dir, u"--base-address"_s, Base, u"--fast"_s},
                          QProcessEnvironment::systemEnvironment(), 120000);
    if (c.exitCode != 0) {
        qWarning().noquote() << c.err;
    }
    return c.exitCode == 0;
}

QMap<QString, QString> tst_LiveClaimsSandbox::versions()
{
    return GrayStep::Test::sandboxVersions(m_dir);
}

QStringList tst_LiveClaimsSandbox::planOrder()
{
    return GrayStep::Test::planOrder(profile());
}

QMap<QString, int> tst_LiveClaimsSandbox::executions()
{
    return GrayStep::Test::sandboxExecutions(m_dir);
}

// A journal that says "finished", on a cluster laid out anew (every node on 2.00.7.4, new
// host keys): neither run nor resume may say "finished"; no host is touched.
void tst_LiveClaimsSandbox::finishedJournalOnAFreshClusterIsNotSuccess()
{
    const Cli run = runTool(u"graystep-cli"_s, runArgs());
    QVERIFY2(run.exitCode == 0, qPrintable(text(run)));
    QCOMPARE(run.last().value(u"result"_s).toString(), u"finished"_s);
    // The claim carries what was read: every node's version, live.
    const QJsonObject live = run.last().value(u"live"_s).toObject().value(u"versions"_s).toObject();
    QCOMPARE(live.size(), 9);
    for (const QJsonValue &v : live) {
        QVERIFY(v.toString().startsWith(u"2.00.8.12"_s));
    }
    // The same addresses, laid out anew.
    QCOMPARE(sandbox({u"down"_s}).exitCode, 0);
    QVERIFY(QDir(m_dir).removeRecursively());
    QVERIFY(up());
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.7.4"_s));
    }
    for (const QStringList &args : {runArgs(), QStringList{u"resume"_s, u"--journal"_s, journal(), u"--json"_s}}) {
        const Cli again = runTool(u"graystep-cli"_s, args);
        QVERIFY2(again.exitCode == 1, qPrintable(text(again)));
        const QString failure = again.last().value(u"failure"_s).toString();
        QVERIFY2(failure.contains(u"not in that state now"_s) && failure.contains(u"runs 2.00.7.4"_s), qPrintable(failure));
        QVERIFY(!again.out.contains("Upgrade finished"));
    }
    QVERIFY2(executions().isEmpty(), "a host of the new layout was touched");
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.7.4"_s));
    }
}

// A data node killed on one host: the pre-flight fails, and the run's gate, re-checked live
// before each host, stops before any node is stopped.
void tst_LiveClaimsSandbox::gateRefusesAHostWhileAnotherHostsNodeIsDown()
{
    const QStringList order = planOrder();
    QCOMPARE(order.size(), 3);
    const QString dead = alias(u"node"_s, order[2]);
    QCOMPARE(sandbox({u"fault"_s, u"kill"_s, dead}).exitCode, 0);
    const Cli run = runTool(u"graystep-cli"_s, runArgs());
    QVERIFY2(run.exitCode == 1, qPrintable(text(run)));
    const QString failure = run.last().value(u"failure"_s).toString();
    QVERIFY2(failure.contains(dead) && failure.contains(u"none of this host's nodes was stopped"_s), qPrintable(failure));
    const QMap<QString, QString> v = versions();
    for (auto it = v.cbegin(); it != v.cend(); ++it) {
        if (it.key() != dead) {
            QVERIFY2(it.value().startsWith(u"2.00.7.4"_s),
                     qPrintable(it.key() + u" is down or changed ("_s + it.value() + u"); killed "_s + dead + u"\n"_s + text(run)));
        }
    }
    const QMap<QString, int> ex = executions();
    for (auto it = ex.cbegin(); it != ex.cend(); ++it) {
        QVERIFY2(it.key().endsWith(u"-upload"_s), qPrintable(it.key()));
    }
}

// After a rollback, one of the host's nodes dies: a second rollback does not read "rolled
// back and running" from the journal; it looks, starts the node again, and says so.
void tst_LiveClaimsSandbox::secondRollbackLooksAndStartsADeadNodeAgain()
{
    const QStringList order = planOrder();
    const QString broken = m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12_broken.zip"_s;
    const Cli run = runTool(u"graystep-cli"_s, runArgs({u"--package-for"_s, order[0] + u'=' + broken}));
    QVERIFY2(run.exitCode == 1, qPrintable(text(run)));
    QCOMPARE(run.last().value(u"hostsRolledBack"_s).toArray(), QJsonArray{order[0]});
    const QString victim = alias(u"node"_s, order[0]);
    QVERIFY(versions().value(victim).startsWith(u"2.00.7.4"_s));
    QCOMPARE(sandbox({u"fault"_s, u"kill"_s, victim}).exitCode, 0);
    QVERIFY(versions().value(victim).isEmpty());
    const Cli rb = runTool(u"graystep-cli"_s, {u"rollback"_s, u"--journal"_s, journal(), u"--host"_s, order[0], u"--json"_s});
    QVERIFY2(rb.exitCode == 0, qPrintable(text(rb)));
    QVERIFY2(rb.out.contains("Starting its nodes again"), qPrintable(text(rb)));
    QVERIFY2(versions().value(victim).startsWith(u"2.00.7.4"_s), qPrintable(victim + u" is not running"_s));
    QVERIFY(rb.last().value(u"live"_s).toObject().value(u"versions"_s).toObject().value(victim).toString().startsWith(u"2.00.7.4"_s));
    // A host that is not in the cluster is bad input.
    const Cli unknown = runTool(u"graystep-cli"_s, {u"rollback"_s, u"--journal"_s, journal(), u"--host"_s, u"127.0.79.99"_s});
    QCOMPARE(unknown.exitCode, 2);
}

// Two runs started 0.3 s apart on one cluster: exactly one proceeds; the other is refused with
// the holder's details and touches nothing. A resume on the running run's journal is refused
// at once.
void tst_LiveClaimsSandbox::twoRunsAtOnceOnlyOneProceeds()
{
    const QString second = m_tmp->filePath(u"second.journal"_s);
    Cli a;
    Cli b;
    Cli resume;
    std::thread first([&] { a = runTool(u"graystep-cli"_s, runArgs()); });
    QThread::msleep(300);
    std::thread other([&] {
        b = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, profile(), u"--yes"_s, u"--json"_s, u"--no-writer"_s,
                                        u"--journal"_s, second});
    });
    QThread::msleep(700);
    resume = runTool(u"graystep-cli"_s, {u"resume"_s, u"--journal"_s, journal(), u"--json"_s});
    first.join();
    other.join();
    const QList<int> codes{a.exitCode, b.exitCode};
    QVERIFY2(codes.count(0) == 1 && codes.count(5) == 1, qPrintable(text(a) + u"\n=====\n"_s + text(b)));
    const Cli &refused = a.exitCode == 5 ? a : b;
    const QString why = refused.last().value(u"failure"_s).toString();
    QVERIFY2(why.contains(u"locked by run"_s) && why.contains(u"since"_s) && why.contains(u"pid"_s), qPrintable(why));
    QCOMPARE(refused.last().value(u"result"_s).toString(), u"refused"_s);
    // The resume of the running journal was refused by the journal's lock, or (if the first
    // run was the refused one) had no run to resume; never both processes on one journal.
    QVERIFY2(resume.exitCode == 5 || resume.exitCode == 2, qPrintable(text(resume)));
    const QMap<QString, int> ex = executions();
    for (auto it = ex.cbegin(); it != ex.cend(); ++it) {
        QVERIFY2(it.value() == 1, qPrintable(u"%1 ran %2 times"_s.arg(it.key()).arg(it.value())));
    }
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.8.12"_s));
    }
    // The winner released the lock: a later run is not refused by it (it finds nothing to do).
    const Cli later = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, profile(), u"--yes"_s, u"--json"_s,
                                                   u"--no-writer"_s, u"--journal"_s, m_tmp->filePath(u"later.journal"_s)});
    QVERIFY2(later.exitCode == 2 && later.last().value(u"failure"_s).toString().contains(u"not newer"_s), qPrintable(text(later)));
}

// Only "finished and checked live" exits 0. Approval with nobody to ask: 4 (nothing stopped,
// the lock given back); canary: 3 (the lock kept: the cluster runs two versions); a new run on
// that cluster: 5, naming the run and its journal; the canary's journal with another profile:
// 2; the canary's journal with its own profile: resumed to the end, 0.
void tst_LiveClaimsSandbox::exitStatusOfEachEnding()
{
    auto p = GrayStep::Core::UpgradeProfile::load(profile());
    QVERIFY(p.ok());
    p->approvalPerHost = true;
    const QString approval = m_dir + u"/approval.graystep.json"_s;
    QVERIFY(p->save(approval).ok());
    const Cli approvalRun = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, approval, u"--yes"_s, u"--json"_s,
                                                         u"--no-writer"_s, u"--journal"_s, m_tmp->filePath(u"a.journal"_s)});
    QVERIFY2(approvalRun.exitCode == 4, qPrintable(text(approvalRun)));
    QCOMPARE(approvalRun.last().value(u"result"_s).toString(), u"awaiting-approval"_s);
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.7.4"_s));
    }

    const Cli canary = runTool(u"graystep-cli"_s, runArgs({u"--canary"_s}));
    QVERIFY2(canary.exitCode == 3, qPrintable(text(canary)));
    QCOMPARE(canary.last().value(u"result"_s).toString(), u"paused"_s);
    QVERIFY(canary.last().value(u"failure"_s).toString().contains(u"resume --journal"_s));

    const Cli busy = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, profile(), u"--yes"_s, u"--json"_s,
                                                  u"--no-writer"_s, u"--journal"_s, m_tmp->filePath(u"b.journal"_s)});
    QVERIFY2(busy.exitCode == 5, qPrintable(text(busy)));
    const QString holder = busy.last().value(u"failure"_s).toString();
    QVERIFY2(holder.contains(journal()) && holder.contains(u"locked by run"_s), qPrintable(holder));

    const Cli other = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, approval, u"--yes"_s, u"--json"_s,
                                                   u"--no-writer"_s, u"--journal"_s, journal()});
    QVERIFY2(other.exitCode == 2 && other.out.contains("already holds run"), qPrintable(text(other)));

    const Cli rest = runTool(u"graystep-cli"_s, runArgs());
    QVERIFY2(rest.exitCode == 0, qPrintable(text(rest)));
    QCOMPARE(rest.last().value(u"result"_s).toString(), u"finished"_s);
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.8.12"_s));
    }
}

void tst_LiveClaimsSandbox::interruptedRunsSayHowToResume_data()
{
    QTest::addColumn<int>("signal");
    QTest::addColumn<int>("times");
    QTest::addColumn<int>("exitCode");
    QTest::newRow("SIGTERM") << int(SIGTERM) << 1 << 143;
    QTest::newRow("Ctrl-C twice") << int(SIGINT) << 2 << 130;
}

// A signal during the first host's steps: the run stops at the next step boundary, prints why
// and how to resume, exits 128 + the signal; resume then finishes, every node on the target.
void tst_LiveClaimsSandbox::interruptedRunsSayHowToResume()
{
    QFETCH(int, signal);
    QFETCH(int, times);
    QFETCH(int, exitCode);
    bool sent = false;
    const Cli run = runWatching(runArgs(), [&](const QJsonObject &e, qint64 pid) {
        if (!sent && e.value(u"event"_s).toString() == u"step-started"_s && e.value(u"step"_s).toString() == u"stop"_s) {
            sent = true;
            for (int i = 0; i < times; ++i) {
                ::kill(pid_t(pid), signal);
                QThread::msleep(50);
            }
        }
    });
    QVERIFY(sent);
    QVERIFY2(run.exitCode == exitCode, qPrintable(text(run)));
    QCOMPARE(run.last().value(u"result"_s).toString(), u"interrupted"_s);
    QVERIFY2(run.last().value(u"failure"_s).toString().contains(u"resume --journal"_s), qPrintable(text(run)));
    QVERIFY2(run.err.contains(signal == SIGTERM ? "SIGTERM" : "Ctrl-C"), run.err.constData());
    const Cli resume = runTool(u"graystep-cli"_s, {u"resume"_s, u"--journal"_s, journal(), u"--json"_s});
    QVERIFY2(resume.exitCode == 0, qPrintable(text(resume)));
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.8.12"_s));
    }
}

// SSH to the first host goes away after its nodes were stopped: the failure says the host's
// nodes are stopped and how to go on; once sshd is back, resume finishes.
void tst_LiveClaimsSandbox::lostSshMidHostSaysTheHostIsDown()
{
    const QStringList order = planOrder();
    bool cut = false;
    const Cli run = runWatching(runArgs(), [&](const QJsonObject &e, qint64) {
        if (!cut && e.value(u"event"_s).toString() == u"step-finished"_s && e.value(u"step"_s).toString() == u"verify-stopped"_s) {
            cut = true;
            QCOMPARE(sandbox({u"fault"_s, u"stop-sshd"_s, order[0]}).exitCode, 0);
        }
    });
    QVERIFY(cut);
    QVERIFY2(run.exitCode == 1, qPrintable(text(run)));
    const QString failure = run.last().value(u"failure"_s).toString();
    QVERIFY2(failure.contains(u"Host %1's nodes are stopped"_s.arg(order[0])) && failure.contains(u"resume --journal"_s),
             qPrintable(failure));
    QCOMPARE(sandbox({u"fault"_s, u"start-sshd"_s, order[0]}).exitCode, 0);
    const Cli resume = runTool(u"graystep-cli"_s, {u"resume"_s, u"--journal"_s, journal(), u"--json"_s});
    QVERIFY2(resume.exitCode == 0, qPrintable(text(resume)));
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.8.12"_s));
    }
}

// The host's disk fills right after its nodes stopped: the backup cannot run; that is found in
// seconds (not after a 300 s wait), the host's nodes are started again where possible, and
// after the disk is cleared resume finishes.
void tst_LiveClaimsSandbox::fullDiskAfterTheStopIsFoundInSecondsAndResumeFinishes()
{
    const QStringList order = planOrder();
    auto p = GrayStep::Core::UpgradeProfile::load(profile());
    QVERIFY(p.ok());
    QElapsedTimer sinceFault;
    QString faultOut;
    bool backupBeforeTheFault = false;
    const Cli run = runWatching(runArgs(), [&](const QJsonObject &e, qint64 pid) {
        if (!sinceFault.isValid() && e.value(u"event"_s).toString() == u"step-finished"_s
            && e.value(u"step"_s).toString() == u"verify-stopped"_s) {
            // The tool is held while the disk fills (filling takes longer than its next step).
            ::kill(pid_t(pid), SIGSTOP);
            const Cli f = sandbox({u"fault"_s, u"disk-full"_s, order[0], u"--json"_s});
            faultOut = QString::fromUtf8(f.out);
            const QMap<QString, int> launched = executions();
            for (auto it = launched.cbegin(); it != launched.cend(); ++it) {
                backupBeforeTheFault = backupBeforeTheFault || it.key().endsWith(u"-backup"_s);
            }
            sinceFault.start();
            ::kill(pid_t(pid), SIGCONT);
        }
    });
    QVERIFY(sinceFault.isValid());
    if (backupBeforeTheFault) {
        sandbox({u"fault"_s, u"disk-full"_s, order[0], u"--clear"_s});
        QSKIP("the backup was launched in the moment before the tool was held: the condition was not made");
    }
    const qint64 afterFault = sinceFault.elapsed();
    QStorageInfo disk(m_dir + u"/host"_s + order[0].section(u'.', 3, 3));
    if (disk.bytesAvailable() > 1024 * 1024) {
        sandbox({u"fault"_s, u"disk-full"_s, order[0], u"--clear"_s});
        QSKIP(qPrintable(u"disk-full is emulated here (%1 bytes free): %2"_s.arg(disk.bytesAvailable()).arg(faultOut.left(200))));
    }
    QVERIFY2(run.exitCode == 1, qPrintable(text(run)));
    QVERIFY2(afterFault < 60000, qPrintable(u"the failure came %1 ms after the disk filled\n"_s.arg(afterFault) + text(run)));
    const QString failure = run.last().value(u"failure"_s).toString();
    QVERIFY2(failure.contains(u"full"_s) && failure.contains(u"resume --journal"_s), qPrintable(failure));
    qInfo("FIGURE full disk: the run ended %lld ms after the disk filled: %s", afterFault, qPrintable(failure));
    QCOMPARE(sandbox({u"fault"_s, u"disk-full"_s, order[0], u"--clear"_s}).exitCode, 0);
    const Cli resume = runTool(u"graystep-cli"_s, {u"resume"_s, u"--journal"_s, journal(), u"--json"_s});
    QVERIFY2(resume.exitCode == 0, qPrintable(text(resume)));
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.8.12"_s));
    }
}

// The last host fails to start on its package and is rolled back: two hosts on 2.00.8.12, one
// on 2.00.7.4. Once the package is fixed, resume retries that host from its gate (a new
// attempt: new detached steps and backup) and finishes.
void tst_LiveClaimsSandbox::rolledBackHostIsRetriedOnResume()
{
    const QStringList order = planOrder();
    const QString pkg = m_tmp->filePath(u"host-package.zip"_s);
    QVERIFY(QFile::copy(m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12_broken.zip"_s, pkg));
    const Cli run = runTool(u"graystep-cli"_s, runArgs({u"--package-for"_s, order[2] + u'=' + pkg}));
    QVERIFY2(run.exitCode == 1, qPrintable(text(run)));
    QCOMPARE(run.last().value(u"hostsRolledBack"_s).toArray(), QJsonArray{order[2]});
    QVERIFY(versions().value(alias(u"node"_s, order[2])).startsWith(u"2.00.7.4"_s));
    QVERIFY(versions().value(alias(u"node"_s, order[0])).startsWith(u"2.00.8.12"_s));
    // The cluster stays locked by this run (mixed versions): another run is refused.
    const Cli other = runTool(u"graystep-cli"_s, {u"run"_s, u"--profile"_s, profile(), u"--yes"_s, u"--json"_s,
                                                   u"--no-writer"_s, u"--journal"_s, m_tmp->filePath(u"other.journal"_s)});
    QVERIFY2(other.exitCode == 5 || other.exitCode == 2, qPrintable(text(other)));
    // The cause fixed: the host's package is now the good one.
    QVERIFY(QFile::remove(pkg));
    QVERIFY(QFile::copy(m_dir + u"/packages/DolphinDB_Linux64_V2.00.8.12.zip"_s, pkg));
    const Cli resume = runTool(u"graystep-cli"_s, {u"resume"_s, u"--journal"_s, journal(), u"--json"_s});
    QVERIFY2(resume.exitCode == 0, qPrintable(text(resume)));
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.8.12"_s));
    }
    const QMap<QString, int> ex = executions();
    bool retried = false;
    for (auto it = ex.cbegin(); it != ex.cend(); ++it) {
        QVERIFY2(it.value() == 1, qPrintable(u"%1 ran %2 times"_s.arg(it.key()).arg(it.value())));
        retried = retried || it.key().contains(u"-a2-"_s);
    }
    QVERIFY(retried);
}

// `--package-for HOST=ZIP` with a package of the old version (whatever its name): every
// package is read from inside before the first stop, so nothing stops.
void tst_LiveClaimsSandbox::aWrongPackageForAHostIsRefusedBeforeAnyStop()
{
    const QStringList order = planOrder();
    const QString renamed = m_tmp->filePath(u"DolphinDB_Linux64_V2.00.8.12.zip"_s);
    QVERIFY(QFile::copy(m_dir + u"/packages/DolphinDB_Linux64_V2.00.7.4.zip"_s, renamed));
    const Cli run = runTool(u"graystep-cli"_s, runArgs({u"--package-for"_s, order[1] + u'=' + renamed}));
    QVERIFY2(run.exitCode == 2, qPrintable(text(run)));
    const QString failure = run.last().value(u"failure"_s).toString();
    QVERIFY2(failure.contains(u"holds version 2.00.7.4"_s) && failure.contains(order[1]), qPrintable(failure));
    QVERIFY2(executions().isEmpty(), "a host was touched");
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.7.4"_s));
    }
}

// The first host's data node holds chunks but its CHUNK_METADATA directory is gone: the run's
// backup fails (it used to back up without it and go on), nothing is installed, and the host's
// nodes are started again on the old version.
void tst_LiveClaimsSandbox::missingChunkMetadataOfANodeHoldingChunksFailsTheBackup()
{
    QVERIFY(GrayStep::Test::insertOneRowPerDay(Base, 8922, 1, QTime(9, 30)).ok());
    const QStringList order = planOrder();
    const QString node = alias(u"node"_s, order[0]);
    const auto dir = GrayStep::Test::runOnce(order[0], 8922, u"getConfig(`chunkMetaDir)"_s);
    QVERIFY(dir.ok());
    const QString meta = dir->toString() + u"/CHUNK_METADATA"_s;
    QVERIFY2(QFileInfo(meta).isDir(), qPrintable(meta));
    QVERIFY(QDir(meta).removeRecursively());
    const Cli run = runTool(u"graystep-cli"_s, runArgs());
    QVERIFY2(run.exitCode == 1, qPrintable(text(run)));
    const QString failure = run.last().value(u"failure"_s).toString();
    QVERIFY2(failure.contains(node + u" holds "_s) && failure.contains(meta) && failure.contains(u"nothing was installed"_s),
             qPrintable(failure));
    for (const QString &v : versions()) {
        QVERIFY(v.startsWith(u"2.00.7.4"_s));
    }
    const QMap<QString, int> ex = executions();
    for (auto it = ex.cbegin(); it != ex.cend(); ++it) {
        QVERIFY2(!it.key().contains(u"-install"_s), qPrintable(it.key()));
    }
}

QTEST_GUILESS_MAIN(tst_LiveClaimsSandbox)
#include "tst_liveclaimssandbox.moc"
