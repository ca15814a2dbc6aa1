// SPDX-License-Identifier: GPL-3.0-or-later
// One ddbsim process at a time: startup checks (version file, broken package), the log's
// startup phases, the pid file and graceful shutdown on SIGTERM.
#include "support/simclient.h"
#include "support/testdata.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;

class tst_SimProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void aControllerStartsLogsItsPhasesAndStopsOnSigterm();
    void aMissingVersionFileStopsTheStart();
    void aBrokenPackageFailsWithItsErrorInTheLog();
    void aServerLibraryOfAnotherVersionStopsTheStart();
    void aSecondInstanceLeavesTheFirstItsPidFile();
    void unknownFlagsAreWarnedAbout();

private:
    bool writeFile(const QString &path, const QByteArray &text);
    void startController(const QStringList &extra = {});
    QString log() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_server;
    QString m_demo;
    QProcess m_process;
};

bool tst_SimProcess::writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    f.write(text);
    return true;
}

void tst_SimProcess::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_server = m_dir->path() + u"/server"_s;
    m_demo = m_server + u"/clusterDemo"_s;
    QVERIFY(QDir().mkpath(m_demo + u"/config"_s));
    QVERIFY(QDir().mkpath(m_demo + u"/log"_s));
    QVERIFY(QFile::copy(Test::binDir() + u"/ddbsim"_s, m_server + u"/dolphindb"_s));
    QVERIFY(writeFile(m_server + u"/ddbsim.version"_s, "2.00.8.12 2023.01.10\n"));
    QVERIFY(writeFile(m_demo + u"/config/controller.cfg"_s,
                      "mode=controller\nlocalSite=127.0.40.9:8920:solo\nsimStartupDelayMs=50\nraftElectionTick=20\n"));
    QVERIFY(writeFile(m_demo + u"/config/cluster.nodes"_s, "localSite,mode\n127.0.40.9:8920:solo,controller\n"));
}

void tst_SimProcess::cleanup()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(2000);
    }
}

void tst_SimProcess::startController(const QStringList &extra)
{
    m_process.setProgram(m_server + u"/dolphindb"_s);
    m_process.setWorkingDirectory(m_demo);
    m_process.setArguments(QStringList{u"-console"_s, u"0"_s, u"-mode"_s, u"controller"_s, u"-home"_s, u"data"_s,
                                       u"-config"_s, u"config/controller.cfg"_s, u"-logFile"_s, u"log/controller.log"_s,
                                       u"-nodesFile"_s, u"config/cluster.nodes"_s}
                           + extra);
    m_process.start();
    QVERIFY(m_process.waitForStarted());
}

QString tst_SimProcess::log() const
{
    QFile f(m_demo + u"/log/controller.log"_s);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

void tst_SimProcess::aControllerStartsLogsItsPhasesAndStopsOnSigterm()
{
    startController();
    QTRY_VERIFY_WITH_TIMEOUT(log().contains(u"Job scheduler initialization completed."_s), 5000);
    QVERIFY(QFile::exists(m_demo + u"/data/solo.pid"_s));
    QFile pid(m_demo + u"/data/solo.pid"_s);
    QVERIFY(pid.open(QIODevice::ReadOnly));
    QCOMPARE(pid.readAll().trimmed().toLongLong(), m_process.processId());
    // A single controller is its own majority.
    QTRY_COMPARE_WITH_TIMEOUT(Test::simStatus(u"127.0.40.9"_s, 8920).valueOr({}).value(u"role"_s).toString(), u"leader"_s, 5000);
    const auto v = Test::runOnce(u"127.0.40.9"_s, 8920, u"version()"_s);
    QVERIFY(v.ok());
    QCOMPARE(v->toString(), u"2.00.8.12 2023.01.10"_s);
    const QRegularExpression line(uR"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} <(INFO|WARNING|ERROR)> : )"_s);
    for (const QString &l : log().split(u'\n', Qt::SkipEmptyParts))
        QVERIFY2(line.match(l).hasMatch(), qPrintable(l));
    ::kill(pid_t(m_process.processId()), SIGTERM);
    QVERIFY(m_process.waitForFinished(2000));
    QCOMPARE(m_process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_process.exitCode(), 0);
    QVERIFY(log().contains(u"Shutting down"_s));
    QVERIFY(!QFile::exists(m_demo + u"/data/solo.pid"_s));
    QVERIFY(QDir(m_demo + u"/data/solo/raft"_s).exists());
}

void tst_SimProcess::aMissingVersionFileStopsTheStart()
{
    QVERIFY(QFile::remove(m_server + u"/ddbsim.version"_s));
    startController();
    QVERIFY(m_process.waitForFinished(5000));
    QCOMPARE(m_process.exitCode(), 1);
    QVERIFY2(log().contains(u"<ERROR> : Failed to read the version file"_s), qPrintable(log()));
}

void tst_SimProcess::aBrokenPackageFailsWithItsErrorInTheLog()
{
    QVERIFY(writeFile(m_server + u"/ddbsim.broken"_s, "libDolphinDB.so: cannot open shared object file\n"));
    startController();
    QVERIFY(m_process.waitForFinished(5000));
    QCOMPARE(m_process.exitCode(), 1);
    QVERIFY(log().contains(u"<ERROR> : libDolphinDB.so: cannot open shared object file"_s));
    QVERIFY(!log().contains(u"Job scheduler initialization completed."_s));
    QVERIFY(!QFile::exists(m_demo + u"/data/solo.pid"_s));
}

void tst_SimProcess::aServerLibraryOfAnotherVersionStopsTheStart()
{
    // The packages' libDolphinDB.so stand-in carries the version; one of another version next
    // to this executable does not load.
    QVERIFY(writeFile(m_server + u"/libDolphinDB.so"_s, QByteArray("\x7f" "stand-in\0DolphinDB Server 2.00.7.4 2022.12.08\0", 47)));
    startController();
    QVERIFY(m_process.waitForFinished(5000));
    QCOMPARE(m_process.exitCode(), 1);
    QVERIFY2(log().contains(u"it is not version 2.00.8.12 2023.01.10 of this executable"_s), qPrintable(log()));
    // The matching library starts.
    QVERIFY(writeFile(m_server + u"/libDolphinDB.so"_s, QByteArray("\x7f" "stand-in\0DolphinDB Server 2.00.8.12 2023.01.10\0", 48)));
    startController();
    QTRY_VERIFY_WITH_TIMEOUT(log().contains(u"Job scheduler initialization completed."_s), 5000);
}

void tst_SimProcess::aSecondInstanceLeavesTheFirstItsPidFile()
{
    // A start asked twice (a retried startDataNode): the second cannot bind and exits; the
    // running node keeps its pid file.
    startController();
    QTRY_VERIFY_WITH_TIMEOUT(log().contains(u"Job scheduler initialization completed."_s), 5000);
    const QString pidFile = m_demo + u"/data/solo.pid"_s;
    const auto pidInFile = [&] {
        QFile f(pidFile);
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong() : -1;
    };
    QCOMPARE(pidInFile(), m_process.processId());
    QProcess second;
    second.setProgram(m_process.program());
    second.setArguments(m_process.arguments());
    second.setWorkingDirectory(m_demo);
    second.start();
    QVERIFY(second.waitForFinished(5000));
    QCOMPARE(second.exitCode(), 1);
    QVERIFY2(log().contains(u"another instance of solo may be running"_s), qPrintable(log()));
    QVERIFY2(log().contains(u"Failed to bind 127.0.40.9:8920"_s), qPrintable(log()));
    QCOMPARE(pidInFile(), m_process.processId());
    QCOMPARE(m_process.state(), QProcess::Running);
}

void tst_SimProcess::unknownFlagsAreWarnedAbout()
{
    startController({u"-maxMemSize"_s, u"4"_s});
    QTRY_VERIFY_WITH_TIMEOUT(log().contains(u"Job scheduler initialization completed."_s), 5000);
    QVERIFY(log().contains(u"<WARNING> : Unknown command line option -maxMemSize is ignored."_s));
}

QTEST_GUILESS_MAIN(tst_SimProcess)
#include "tst_simprocess.moc"
