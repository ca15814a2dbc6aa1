// SPDX-License-Identifier: GPL-3.0-or-later
// The main window in Chinese: the zh_CN catalog covers the .ui form, the window and core's messages.
#include "gui/mainwindow/mainwindow.h"

#include "support/testdata.h"

#include <QAction>
#include <QGroupBox>
#include <QMenu>
#include <QSignalSpy>
#include <QTest>
#include <QTranslator>
#include <QTreeWidget>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Gui::MainWindow;

class tst_Translation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void chineseWindow();

private:
    QTranslator m_translator;
};

void tst_Translation::initTestCase()
{
    QVERIFY(m_translator.load(u"graystep_zh_CN"_s, QStringLiteral(GRAYSTEP_QM_DIR)));
    QVERIFY(QCoreApplication::installTranslator(&m_translator));
}

void tst_Translation::chineseWindow()
{
    MainWindow window;
    window.resize(900, 640);
    window.show();
    QSignalSpy shown(&window, &MainWindow::configurationShown);
    window.openConfigDirectory(GrayStep::Test::testDataPath(u"malformed"_s));
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 10000);

    QCOMPARE(window.findChild<QMenu *>(u"menuFile"_s)->title(), u"文件(&F)"_s);
    QCOMPARE(window.findChild<QAction *>(u"actionOpen"_s)->text(), u"打开集群配置(&O)…"_s);
    auto *tree = window.findChild<QTreeWidget *>(u"topologyTree"_s);
    QCOMPARE(tree->headerItem()->text(1), u"角色"_s);
    QCOMPARE(tree->topLevelItem(0)->child(0)->text(1), u"控制节点"_s);
    auto *problems = window.findChild<QTreeWidget *>(u"problemsTree"_s);
    QCOMPARE(problems->topLevelItem(2)->text(0), u"cluster.nodes:5"_s);
    QCOMPARE(problems->topLevelItem(2)->text(1), u"错误"_s);
    QCOMPARE(problems->topLevelItem(2)->text(2),
             u"未知模式“datanod”（应为 controller、agent、datanode 或 computenode）"_s);
    QCOMPARE(window.findChild<QGroupBox *>(u"problemsGroup"_s)->title(), u"问题：4 个错误，0 个警告"_s);

    if (const QString path = qEnvironmentVariable("GRAYSTEP_SCREENSHOT"); !path.isEmpty()) {
        QVERIFY(window.grab().save(path));
    }
}

QTEST_MAIN(tst_Translation)
#include "tst_translation.moc"
