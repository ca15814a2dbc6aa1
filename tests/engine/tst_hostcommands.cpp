// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the host commands for real with /bin/sh against scratch install trees.
#include "engine/hostcommands.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Engine;

namespace {

struct ShellRun
{
    int exitCode = -1;
    QString out;
    QString err;
};

ShellRun runSh(const QString &script)
{
    QProcess p;
    p.start(u"/bin/sh"_s, {u"-c"_s, script});
    p.waitForFinished(60000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(content);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

} // namespace

class tst_HostCommands : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void quotingSurvivesTheShell_data();
    void quotingSurvivesTheShell();
    void installKeepsConfigAndOldBinaries_data();
    void installKeepsConfigAndOldBinaries();
    void installRefusesAPackageWithoutServer();
    void backupVerifyAndRestore();
    void backupNeverSkipsAMissingDirectory();
    void stopWaitsForTheProcesses_data();
    void stopWaitsForTheProcesses();
    void stopReportsSurvivors();
};

void tst_HostCommands::initTestCase()
{
    for (const char *tool : {"zip", "unzip", "sha256sum", "sleep"}) {
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
            QSKIP(qPrintable(u"needs '%1' on PATH (installed by .ci/setup)"_s.arg(QString::fromLatin1(tool))));
        }
    }
}

void tst_HostCommands::quotingSurvivesTheShell_data()
{
    QTest::addColumn<QString>("word");
    QTest::newRow("a plain path") << u"/home/dba/server"_s;
    QTest::newRow("spaces") << u"/data/my cluster/server"_s;
    QTest::newRow("a single quote") << u"it's"_s;
    QTest::newRow("command substitution stays text") << u"$(touch /tmp/pwned)`id`"_s;
    QTest::newRow("variables stay text") << u"$HOME ${PATH}"_s;
    QTest::newRow("semicolons and pipes") << u"a; rm -rf / | cat"_s;
    QTest::newRow("a newline") << u"line1\nline2"_s;
    QTest::newRow("empty") << QString();
    QTest::newRow("non-ASCII") << u"/数据/服务器"_s;
}

void tst_HostCommands::quotingSurvivesTheShell()
{
    QFETCH(QString, word);
    const ShellRun r = runSh(u"printf %s "_s + shellQuote(word));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, word);
}

void tst_HostCommands::installKeepsConfigAndOldBinaries_data()
{
    QTest::addColumn<int>("prepare");   // 0: not prepared, 1: prepared, 2: prepared, then staged again
    QTest::newRow("installed straight from the zip") << 0;
    QTest::newRow("prepared while the nodes ran, then installed") << 1;
    QTest::newRow("prepared, then another package staged: unpacked again") << 2;
}

void tst_HostCommands::installKeepsConfigAndOldBinaries()
{
    QFETCH(int, prepare);
    QTemporaryDir tmp;
    const QString inst = tmp.filePath(u"host1/server"_s);
    writeFile(inst + u"/dolphindb"_s, "old binary");
    writeFile(inst + u"/libDolphinDB.so"_s, "old lib");
    writeFile(inst + u"/dolphindb.cfg"_s, "localSite=mine");
    writeFile(inst + u"/dolphindb.lic"_s, "my licence");
    writeFile(inst + u"/web/index.html"_s, "old web");
    writeFile(inst + u"/old-only.txt"_s, "only in the old release");
    writeFile(inst + u"/clusterDemo/config/cluster.nodes"_s, "localSite,mode");
    writeFile(inst + u"/clusterDemo/data/node43/storage/chunk"_s, "data");

    const QString pkgRoot = tmp.filePath(u"pkg"_s);
    writeFile(pkgRoot + u"/server/dolphindb"_s, prepare == 2 ? "an earlier build" : "new binary");
    writeFile(pkgRoot + u"/server/libDolphinDB.so"_s, "new lib");
    writeFile(pkgRoot + u"/server/dolphindb.cfg"_s, "package default cfg");
    writeFile(pkgRoot + u"/server/dolphindb.lic"_s, "trial licence");
    writeFile(pkgRoot + u"/server/web/index.html"_s, "new web");
    writeFile(pkgRoot + u"/server/new-only.txt"_s, "only in the new release");
    writeFile(pkgRoot + u"/server/clusterDemo/config/cluster.nodes"_s, "package sample");
    const QString zip = tmp.filePath(u"stage/DolphinDB_Linux64_V2.00.8.12.zip"_s);
    QDir().mkpath(QFileInfo(zip).absolutePath());
    QCOMPARE(runSh(u"cd "_s + shellQuote(pkgRoot) + u" && zip -qr "_s + shellQuote(zip) + u" server"_s).exitCode, 0);

    if (prepare > 0) {
        // At stage time: the old binaries are kept and the package unpacked; the install is untouched.
        const ShellRun p = runSh(HostCommands::preparePackage(inst, zip, u"2.00.7.4"_s));
        QVERIFY2(p.exitCode == 0, qPrintable(p.err));
        QVERIFY(p.out.contains(HostCommands::okMarker(u"prepared"_s)));
        QVERIFY(p.out.contains(u"unpacked"_s));
        QCOMPARE(readFile(inst + u"/dolphindb"_s), "old binary");
        QCOMPARE(readFile(inst + u".bak-2.00.7.4/dolphindb"_s), "old binary");
        // Prepared twice: nothing is unpacked again.
        QVERIFY(!runSh(HostCommands::preparePackage(inst, zip, u"2.00.7.4"_s)).out.contains(u"unpacked"_s));
    }
    if (prepare == 2) {
        QTest::qWait(1100);   // a new mtime second, as a real re-upload has
        writeFile(pkgRoot + u"/server/dolphindb"_s, "new binary");
        QVERIFY(QFile::remove(zip));
        QCOMPARE(runSh(u"cd "_s + shellQuote(pkgRoot) + u" && zip -qr "_s + shellQuote(zip) + u" server"_s).exitCode, 0);
    }

    const QString install = HostCommands::installPackage(inst, zip, u"2.00.7.4"_s);
    for (int pass = 1; pass <= 2; ++pass) {  // idempotent: a second run changes nothing
        const ShellRun r = runSh(install);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(HostCommands::okMarker(u"installed"_s)));
        if (pass == 1) {
            // Only a prepared, unchanged package skips the unzip inside the host's window.
            QCOMPARE(r.out.contains(u"unpacked"_s), prepare != 1);
        }
        QCOMPARE(readFile(inst + u"/dolphindb"_s), "new binary");
        QCOMPARE(readFile(inst + u"/libDolphinDB.so"_s), "new lib");
        QCOMPARE(readFile(inst + u"/web/index.html"_s), "new web");
        QCOMPARE(readFile(inst + u"/new-only.txt"_s), "only in the new release");
        QCOMPARE(readFile(inst + u"/dolphindb.cfg"_s), "localSite=mine");
        QCOMPARE(readFile(inst + u"/dolphindb.lic"_s), "my licence");
        QCOMPARE(readFile(inst + u"/clusterDemo/config/cluster.nodes"_s), "localSite,mode");
        QCOMPARE(readFile(inst + u"/clusterDemo/data/node43/storage/chunk"_s), "data");
        // The copy of the old binaries is taken once and never overwritten by the new ones.
        const QString bak = inst + u".bak-2.00.7.4"_s;
        QCOMPARE(readFile(bak + u"/dolphindb"_s), "old binary");
        QCOMPARE(readFile(bak + u"/web/index.html"_s), "old web");
        QVERIFY(!QFileInfo::exists(bak + u"/clusterDemo"_s));
        QVERIFY(QFileInfo(inst + u"/dolphindb"_s).isExecutable());
    }

    const ShellRun restore = runSh(HostCommands::restoreBinaries(inst, u"2.00.7.4"_s));
    QVERIFY2(restore.exitCode == 0, qPrintable(restore.err));
    QCOMPARE(readFile(inst + u"/dolphindb"_s), "old binary");
    QCOMPARE(readFile(inst + u"/libDolphinDB.so"_s), "old lib");
    QCOMPARE(readFile(inst + u"/web/index.html"_s), "old web");
    QCOMPARE(readFile(inst + u"/old-only.txt"_s), "only in the old release");
    QVERIFY2(!QFileInfo::exists(inst + u"/new-only.txt"_s), "files the new release added are removed");
    QCOMPARE(readFile(inst + u"/dolphindb.cfg"_s), "localSite=mine");
    QCOMPARE(readFile(inst + u"/clusterDemo/data/node43/storage/chunk"_s), "data");
    QVERIFY(!QFileInfo::exists(inst + u"/.graystep-complete"_s));
}

void tst_HostCommands::installRefusesAPackageWithoutServer()
{
    QTemporaryDir tmp;
    const QString inst = tmp.filePath(u"server"_s);
    writeFile(inst + u"/dolphindb"_s, "old binary");
    writeFile(tmp.filePath(u"pkg/readme.txt"_s), "not a server package");
    const QString zip = tmp.filePath(u"bad.zip"_s);
    QCOMPARE(runSh(u"cd "_s + shellQuote(tmp.filePath(u"pkg"_s)) + u" && zip -q "_s + shellQuote(zip) + u" readme.txt"_s).exitCode, 0);
    const ShellRun r = runSh(HostCommands::installPackage(inst, zip, u"2.00.7.4"_s));
    QCOMPARE(r.exitCode, 3);
    QVERIFY(r.err.contains(u"holds no server/dolphindb"_s));
    QCOMPARE(readFile(inst + u"/dolphindb"_s), "old binary");
}

void tst_HostCommands::backupVerifyAndRestore()
{
    QTemporaryDir tmp;
    const QString chunkMeta = tmp.filePath(u"data/node43/storage/CHUNK_METADATA"_s);
    const QString dfsMeta = tmp.filePath(u"data/HActl43/dfsMeta"_s);
    writeFile(chunkMeta + u"/editlog.0"_s, "chunk edits");
    writeFile(chunkMeta + u"/checkpoint.0"_s, "chunk checkpoint");
    writeFile(dfsMeta + u"/DFSMetaLog.0"_s, "dfs log");
    const QList<BackupItem> items{{u"node43/CHUNK_METADATA"_s, chunkMeta}, {u"HActl43/dfsMeta"_s, dfsMeta}};
    const QString backup = tmp.filePath(u"backup/host1"_s);

    const ShellRun b = runSh(HostCommands::backupMetadata(backup, items));
    QVERIFY2(b.exitCode == 0, qPrintable(b.err));
    QVERIFY(b.out.contains(u"files: 3"_s));
    const QByteArray manifest = readFile(backup + u"/MANIFEST"_s);
    QCOMPARE(manifest.count('\n'), 3);
    QVERIFY(manifest.contains("  11  node43/CHUNK_METADATA/editlog.0\n"));
    QCOMPARE(runSh(HostCommands::verifyBackup(backup)).exitCode, 0);

    // A second backup never replaces a complete one.
    const ShellRun again = runSh(HostCommands::backupMetadata(backup, items));
    QCOMPARE(again.exitCode, 6);

    // Restore brings back what was backed up.
    writeFile(chunkMeta + u"/editlog.0"_s, "written by the new version");
    writeFile(chunkMeta + u"/editlog.1"_s, "also new");
    const ShellRun restore = runSh(HostCommands::restoreMetadata(backup, items));
    QVERIFY2(restore.exitCode == 0, qPrintable(restore.err));
    QCOMPARE(readFile(chunkMeta + u"/editlog.0"_s), "chunk edits");
    QVERIFY(!QFileInfo::exists(chunkMeta + u"/editlog.1"_s));

    // Tampering is found.
    writeFile(backup + u"/HActl43/dfsMeta/DFSMetaLog.0"_s, "dfs LOG");
    ShellRun v = runSh(HostCommands::verifyBackup(backup));
    QCOMPARE(v.exitCode, 5);
    QVERIFY(v.err.contains(u"checksum differs: HActl43/dfsMeta/DFSMetaLog.0"_s));
    writeFile(backup + u"/HActl43/dfsMeta/DFSMetaLog.0"_s, "dfs log");
    writeFile(backup + u"/HActl43/dfsMeta/stray"_s, "x");
    v = runSh(HostCommands::verifyBackup(backup));
    QCOMPARE(v.exitCode, 5);
    QVERIFY(v.err.contains(u"not in MANIFEST: HActl43/dfsMeta/stray"_s));
}

void tst_HostCommands::backupNeverSkipsAMissingDirectory()
{
    QTemporaryDir tmp;
    const QString backup = tmp.filePath(u"backup"_s);
    const ShellRun r = runSh(HostCommands::backupMetadata(
        backup, {{u"HActl43/raft"_s, tmp.filePath(u"data/HActl43/raft"_s)}}));
    QCOMPARE(r.exitCode, 3);
    QVERIFY(r.err.contains(u"metadata directory missing"_s));
    QVERIFY(!QFileInfo::exists(backup + u"/MANIFEST"_s));
}

void tst_HostCommands::stopWaitsForTheProcesses_data()
{
    QTest::addColumn<QString>("dirName");
    QTest::addColumn<bool>("replaceBinary");
    QTest::newRow("a plain install directory") << u"server"_s << false;
    QTest::newRow("glob characters in the path match only themselves") << u"se[r]v*er ?x"_s << false;
    QTest::newRow("a process whose binary was replaced is still found") << u"server"_s << true;
}

void tst_HostCommands::stopWaitsForTheProcesses()
{
    QFETCH(QString, dirName);
    QFETCH(bool, replaceBinary);
    QTemporaryDir tmp;
    // A look-alike next door whose name the glob would match: never listed, never stopped.
    const QString other = tmp.filePath(u"serverXer yx"_s);
    QDir().mkpath(other);
    QVERIFY(QFile::copy(QStandardPaths::findExecutable(u"sleep"_s), other + u"/dolphindb"_s));
    QCOMPARE(runSh(u"cd "_s + shellQuote(other) + u" && (./dolphindb 300 & echo $! > pids)"_s).exitCode, 0);
    const QString otherPid = QString::fromUtf8(readFile(other + u"/pids"_s)).trimmed();
    const QString inst = tmp.filePath(dirName);
    QDir().mkpath(inst + u"/clusterDemo"_s);
    QVERIFY(QFile::copy(QStandardPaths::findExecutable(u"sleep"_s), inst + u"/dolphindb"_s));
    writeFile(inst + u"/clusterDemo/stopAllNode.sh"_s, "kill $(cat ../pids)\n");
    QCOMPARE(runSh(u"cd "_s + shellQuote(inst) + u" && (./dolphindb 300 & echo $! > pids)"_s).exitCode, 0);
    const QString pid = QString::fromUtf8(readFile(inst + u"/pids"_s)).trimmed();
    if (replaceBinary) {
        // The upgrade replaces the file under a running process: /proc says "(deleted)".
        // Only once the process runs the file (else it would exec the replacement, or nothing).
        QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(u"/proc/"_s + pid + u"/exe"_s).symLinkTarget(), inst + u"/dolphindb"_s, 10000);
        QVERIFY(QFile::remove(inst + u"/dolphindb"_s));
        QVERIFY(QFile::copy(QStandardPaths::findExecutable(u"sleep"_s), inst + u"/dolphindb"_s));
    }
    QCOMPARE(runSh(HostCommands::listServerProcesses(inst)).out.trimmed(), pid);

    const ShellRun r = runSh(HostCommands::stopAllNodes(inst, 10));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(HostCommands::okMarker(u"stopped"_s)));
    QCOMPARE(runSh(HostCommands::listServerProcesses(inst)).out, QString());
    QCOMPARE(runSh(HostCommands::listServerProcesses(other)).out.trimmed(), otherPid);
    runSh(u"kill "_s + otherPid);
}

void tst_HostCommands::stopReportsSurvivors()
{
    QTemporaryDir tmp;
    const QString inst = tmp.filePath(u"server"_s);
    QDir().mkpath(inst + u"/clusterDemo"_s);
    QVERIFY(QFile::copy(QStandardPaths::findExecutable(u"sleep"_s), inst + u"/dolphindb"_s));
    writeFile(inst + u"/clusterDemo/stopAllNode.sh"_s, "true\n");  // a stop script that does nothing
    QCOMPARE(runSh(u"cd "_s + shellQuote(inst) + u" && (./dolphindb 300 & echo $! > pids)"_s).exitCode, 0);
    const QString pid = QString::fromUtf8(readFile(inst + u"/pids"_s)).trimmed();
    const ShellRun r = runSh(HostCommands::stopAllNodes(inst, 1));
    QCOMPARE(r.exitCode, 4);
    QVERIFY2(r.err.contains(pid), qPrintable(r.err));
    runSh(u"kill "_s + pid);
}

QTEST_GUILESS_MAIN(tst_HostCommands)
#include "tst_hostcommands.moc"
