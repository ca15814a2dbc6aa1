// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/mainwindow/mainwindow.h"

#include "support/testdata.h"

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QGroupBox>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Gui::MainWindow;
using GrayStep::Test::testDataPath;

namespace {

QStringList column(const QTreeWidget *tree, int col)
{
    QStringList texts;
    for (int i = 0; i < tree->topLevelItemCount(); ++i) {
        texts << tree->topLevelItem(i)->text(col);
    }
    return texts;
}

} // namespace

// configurationShown may come before the test starts waiting (the load can finish at once),
// so tests count the signals with QTRY_COMPARE instead of QSignalSpy::wait.
class tst_MainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTutorialTopology();
    void listsProblemsWithFileAndLine();
    void reportsUnreadableFolder();
    void opensBundledExample();
    void openActionUsesFolderDialog();
    void screenshot();
};

void tst_MainWindow::showsTutorialTopology()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy shown(&window, &MainWindow::configurationShown);
    window.openConfigDirectory(testDataPath(u"tutorial"_s));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);

    auto *tree = window.findChild<QTreeWidget *>(u"topologyTree"_s);
    QVERIFY(tree);
    QCOMPARE(column(tree, 0), QStringList({u"10.10.11.1"_s, u"10.10.11.2"_s, u"10.10.11.3"_s}));
    int nodes = 0;
    QStringList aliases;
    for (int i = 0; i < tree->topLevelItemCount(); ++i) {
        const QTreeWidgetItem *host = tree->topLevelItem(i);
        nodes += host->childCount();
        for (int c = 0; c < host->childCount(); ++c) {
            aliases << host->child(c)->text(0);
        }
        QVERIFY(host->isExpanded());
    }
    QCOMPARE(nodes, 9);
    QCOMPARE(aliases, QStringList({u"HActl43"_s, u"agent43"_s, u"node43"_s, u"HActl44"_s, u"agent44"_s, u"node44"_s,
                                   u"HActl45"_s, u"agent45"_s, u"node45"_s}));
    const QTreeWidgetItem *node44 = tree->topLevelItem(1)->child(2);
    QCOMPARE(node44->text(1), u"Data node"_s);
    QCOMPARE(node44->text(2), u"8922"_s);
    QCOMPARE(node44->text(3), u"volumes=/home/zjchen/HA/server/clusterDemo/data/node44/storage  "
                               "chunkMetaDir=/home/zjchen/HA/server/clusterDemo/data/node44/storage"_s);
    QCOMPARE(tree->topLevelItem(0)->child(0)->text(1), u"Controller"_s);
    QCOMPARE(tree->topLevelItem(0)->child(0)->text(3), u"dfsHAMode=Raft"_s);

    auto *problems = window.findChild<QTreeWidget *>(u"problemsTree"_s);
    QCOMPARE(problems->topLevelItemCount(), 0);
    QCOMPARE(window.findChild<QGroupBox *>(u"problemsGroup"_s)->title(), u"Problems: none"_s);
    QVERIFY(window.windowTitle().contains(u"tutorial"_s));
}

void tst_MainWindow::listsProblemsWithFileAndLine()
{
    MainWindow window;
    window.show();
    QSignalSpy shown(&window, &MainWindow::configurationShown);
    window.openConfigDirectory(testDataPath(u"malformed"_s));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);

    auto *problems = window.findChild<QTreeWidget *>(u"problemsTree"_s);
    QCOMPARE(column(problems, 0), QStringList({u"controller.cfg:3"_s, u"controller.cfg:4"_s, u"cluster.nodes:5"_s,
                                               u"cluster.nodes:6"_s}));
    QCOMPARE(column(problems, 1), QStringList(4, u"Error"_s));
    QCOMPARE(problems->topLevelItem(2)->text(2),
             u"unknown mode 'datanod' (expected controller, agent, datanode or computenode)"_s);
    QCOMPARE(window.findChild<QGroupBox *>(u"problemsGroup"_s)->title(), u"Problems: 4 errors, 0 warnings"_s);
    // What could be read is still shown.
    auto *tree = window.findChild<QTreeWidget *>(u"topologyTree"_s);
    QCOMPARE(column(tree, 0), QStringList({u"10.10.11.1"_s, u"10.10.11.2"_s}));
}

void tst_MainWindow::reportsUnreadableFolder()
{
    MainWindow window;
    QSignalSpy shown(&window, &MainWindow::configurationShown);
    // A folder with the tutorial loaded first, then a folder without configuration files.
    window.openConfigDirectory(testDataPath(u"tutorial"_s));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);
    window.openConfigDirectory(testDataPath(u"."_s));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 2, 10000);
    auto *tree = window.findChild<QTreeWidget *>(u"topologyTree"_s);
    QCOMPARE(tree->topLevelItemCount(), 0);
    auto *problems = window.findChild<QTreeWidget *>(u"problemsTree"_s);
    QCOMPARE(problems->topLevelItemCount(), 1);
    QVERIFY(problems->topLevelItem(0)->text(2).startsWith(u"no controller.cfg and cluster.nodes in "_s));
    QVERIFY(window.statusBar()->currentMessage().startsWith(u"Could not read the configuration"_s));
}

void tst_MainWindow::opensBundledExample()
{
    MainWindow window;
    QSignalSpy shown(&window, &MainWindow::configurationShown);
    window.openConfigDirectory(u":/examples/tutorial"_s, u"Bundled example"_s);
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);
    QCOMPARE(window.findChild<QTreeWidget *>(u"topologyTree"_s)->topLevelItemCount(), 3);
    QCOMPARE(window.findChild<QTreeWidget *>(u"problemsTree"_s)->topLevelItemCount(), 0);
    QCOMPARE(window.windowTitle(), u"Bundled example — GrayStep"_s);
    QCOMPARE(window.statusBar()->currentMessage(), u"Bundled example: 3 hosts, 9 nodes."_s);
    // The bundled copy is the test fixture.
    for (const QString &name : {u"controller.cfg"_s, u"cluster.nodes"_s, u"cluster.cfg"_s, u"agent.cfg"_s}) {
        QFile bundled(u":/examples/tutorial/"_s + name);
        QVERIFY(bundled.open(QIODevice::ReadOnly));
        QCOMPARE(bundled.readAll(), GrayStep::Test::readTestData(u"tutorial/"_s + name));
    }
}

void tst_MainWindow::openActionUsesFolderDialog()
{
    MainWindow window;
    window.show();
    auto *open = window.findChild<QAction *>(u"actionOpen"_s);
    QVERIFY(open);
    QCOMPARE(open->text(), u"&Open cluster configuration…"_s);
    open->trigger();
    QFileDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = window.findChild<QFileDialog *>()) != nullptr);
    QVERIFY(dialog->isVisible());
    QCOMPARE(dialog->fileMode(), QFileDialog::Directory);
    QSignalSpy shown(&window, &MainWindow::configurationShown);
    Q_EMIT dialog->fileSelected(testDataPath(u"tutorial"_s));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);
    QCOMPARE(window.findChild<QTreeWidget *>(u"topologyTree"_s)->topLevelItemCount(), 3);
    dialog->close();
}

void tst_MainWindow::screenshot()
{
    // An artifact for a human to look at (not a golden image): set GRAYSTEP_SCREENSHOT to a .png path.
    const QString path = qEnvironmentVariable("GRAYSTEP_SCREENSHOT");
    if (path.isEmpty()) {
        QSKIP("GRAYSTEP_SCREENSHOT is not set");
    }
    MainWindow window;
    window.resize(900, 640);
    window.show();
    QSignalSpy shown(&window, &MainWindow::configurationShown);
    window.openConfigDirectory(testDataPath(qEnvironmentVariable("GRAYSTEP_SCREENSHOT_DIR", u"tutorial"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);
    QVERIFY(window.grab().save(path));
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
