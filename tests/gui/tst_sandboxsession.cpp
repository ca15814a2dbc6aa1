// SPDX-License-Identifier: GPL-3.0-or-later
// graystep --sandbox: the main window brings up a real sandbox and shows its topology.
#include "gui/mainwindow/mainwindow.h"
#include "gui/sandbox/sandboxsession.h"

#include "support/testdata.h"

#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Gui::MainWindow;
using GrayStep::Gui::SandboxSession;

class tst_SandboxSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void startsTheSandboxAndShowsIt();
    void aMissingLauncherIsAnError();
    void aRefusedStartIsShown();

private:
    QString m_launcher;
};

void tst_SandboxSession::initTestCase()
{
    m_launcher = QDir(GrayStep::Test::binDir()).filePath(u"graystep-sandbox"_s);
    QVERIFY2(QFileInfo(m_launcher).isExecutable(), qPrintable(m_launcher));
    qputenv("GRAYSTEP_SANDBOX_BIN", m_launcher.toUtf8());
}

void tst_SandboxSession::startsTheSandboxAndShowsIt()
{
    QTemporaryDir dir;
    const QString sandboxDir = dir.filePath(u"sandbox"_s);
    const QStringList options{u"--no-ssh"_s, u"--fast"_s, u"--base-address"_s, u"127.0.90.1"_s};
    {
        MainWindow window;
        window.show();
        QSignalSpy ready(&window, &MainWindow::sandboxReady);
        QSignalSpy failed(&window, &MainWindow::sandboxFailed);
        QSignalSpy shown(&window, &MainWindow::configurationShown);
        window.startSandbox(sandboxDir, options);
        // The GUI thread keeps turning while the sandbox starts: the window repaints.
        QVERIFY(window.windowTitle().contains(u"Starting the sandbox"_s));
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() + failed.count() > 0, 120000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QCOMPARE(ready.first().first().toString(), QDir(sandboxDir).filePath(u"sandbox.graystep.json"_s));
        QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);

        auto *tree = window.findChild<QTreeWidget *>(u"topologyTree"_s);
        QVERIFY(tree);
        QCOMPARE(tree->topLevelItemCount(), 3);
        QCOMPARE(tree->topLevelItem(0)->text(0), u"127.0.90.1"_s);
        QCOMPARE(tree->topLevelItem(2)->text(0), u"127.0.90.3"_s);
        QCOMPARE(tree->topLevelItem(1)->childCount(), 3);
        QVERIFY(window.windowTitle().contains(u"Sandbox cluster"_s));

        // A second start joins the running sandbox instead of starting it twice.
        window.startSandbox(sandboxDir, options);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(window.windowTitle().contains(u"already running"_s), 10000);
    }
    QProcess down;
    down.start(m_launcher, {u"down"_s, u"--dir"_s, sandboxDir});
    QVERIFY(down.waitForFinished(60000));
    QCOMPARE(down.exitCode(), 0);
}

void tst_SandboxSession::aMissingLauncherIsAnError()
{
    qputenv("GRAYSTEP_SANDBOX_BIN", "/nonexistent/graystep-sandbox");
    MainWindow window;
    QSignalSpy failed(&window, &MainWindow::sandboxFailed);
    window.startSandbox(u"/tmp/unused"_s);
    QCOMPARE(failed.count(), 1);
    QVERIFY(failed.first().first().toString().contains(u"/nonexistent/graystep-sandbox"_s));
    auto *problems = window.findChild<QTreeWidget *>(u"problemsTree"_s);
    QCOMPARE(problems->topLevelItemCount(), 1);
    qputenv("GRAYSTEP_SANDBOX_BIN", m_launcher.toUtf8());
}

void tst_SandboxSession::aRefusedStartIsShown()
{
    QTemporaryDir dir;
    MainWindow window;
    QSignalSpy failed(&window, &MainWindow::sandboxFailed);
    window.startSandbox(dir.filePath(u"s"_s), {u"--hosts"_s, u"0"_s, u"--no-ssh"_s});
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
    QVERIFY(failed.first().first().toString().startsWith(u"The sandbox did not start"_s));
    QVERIFY(window.statusBar()->currentMessage().contains(u"did not start"_s));
}

QTEST_MAIN(tst_SandboxSession)
#include "tst_sandboxsession.moc"
