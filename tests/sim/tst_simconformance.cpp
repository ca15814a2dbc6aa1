// SPDX-License-Identifier: GPL-3.0-or-later
// Runs tests/sim/conformance/conformance.mjs (official npm `dolphindb` client over WebSocket)
// against a one-host emulated cluster on 127.0.40.7. Skipped without node or node_modules.
#include "support/simclient.h"
#include "support/testdata.h"

#include <QDir>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;

class tst_SimConformance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theOfficialJavaScriptClientWorks();
    void cleanupTestCase() { m_cluster.killAll(); }

private:
    Test::SimCluster m_cluster{1, u"127.0.40."_s, 7};
};

void tst_SimConformance::theOfficialJavaScriptClientWorks()
{
    const QString dir = QDir(Test::testDataPath(QString())).absoluteFilePath(u"../sim/conformance"_s);
    const QString node = QStandardPaths::findExecutable(u"node"_s);
    // .ci/setup installs both; under CI a missing client is a failure, not a skip.
    const bool underCi = qEnvironmentVariableIsSet("CI");
    if (node.isEmpty()) {
        if (underCi) {
            QFAIL("node is not installed (.ci/setup installs it)");
        }
        QSKIP("node is not installed");
    }
    if (!QDir(dir + u"/node_modules/dolphindb"_s).exists()) {
        if (underCi) {
            QFAIL("the npm dolphindb client is missing (.ci/setup runs npm ci in tests/sim/conformance)");
        }
        QSKIP("run `npm ci` in tests/sim/conformance first");
    }
    {
        const auto laid = m_cluster.layout();
        QVERIFY2(laid.ok(), qPrintable(laid.ok() ? QString() : laid.error().toString()));
    }
    QVERIFY(m_cluster.startController(1).ok());
    QVERIFY(m_cluster.startAgent(1).ok());
    QString leader;
    QVERIFY(m_cluster.waitLeader(&leader));
    QVERIFY(m_cluster.waitUp(m_cluster.host(1), 8921));
    QVERIFY(Test::runOnce(m_cluster.host(1), 8920, u"startDataNode(\"node1\")"_s).ok());
    QVERIFY(m_cluster.waitUp(m_cluster.host(1), 8922));

    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(node, {u"conformance.mjs"_s, u"ws://%1:8922"_s.arg(m_cluster.host(1))});
    QVERIFY(p.waitForStarted());
    QVERIFY(p.waitForFinished(60000));
    const QString output = QString::fromUtf8(p.readAll());
    qInfo().noquote() << output;
    QVERIFY2(p.exitCode() == 0, qPrintable(output));
    QVERIFY(output.contains(u"PASS read back (SYMBOL column)"_s));
    QVERIFY(!output.contains(u"FAIL"_s));
}

QTEST_GUILESS_MAIN(tst_SimConformance)
#include "tst_simconformance.moc"
