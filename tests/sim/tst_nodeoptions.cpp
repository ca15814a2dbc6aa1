// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/nodeoptions.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;

class tst_NodeOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theRealCommandLineIsRead();
    void clusterCfgOverridesApplyToMatchingAliases();
    void clusterNodesGivesEveryRole();
    void aBrokenClusterNodesIsAnError();
    void knobsComeFromTheSettings();

private:
    QString write(const QString &name, const QByteArray &text);
    QTemporaryDir m_dir;
};

QString tst_NodeOptions::write(const QString &name, const QByteArray &text)
{
    const QString path = m_dir.path() + u'/' + name;
    QFile f(path);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(text);
    return path;
}

void tst_NodeOptions::theRealCommandLineIsRead()
{
    const auto cl = parseCommandLine({u"dolphindb"_s, u"-console"_s, u"0"_s, u"-mode"_s, u"controller"_s, u"-home"_s,
                                      u"data"_s, u"-script"_s, u"dolphindb.dos"_s, u"-config"_s, u"config/controller.cfg"_s,
                                      u"-logFile"_s, u"log/controller.log"_s, u"-nodesFile"_s, u"config/cluster.nodes"_s,
                                      u"-clusterConfig"_s, u"config/cluster.cfg"_s, u"-lanCluster"_s, u"0"_s});
    QVERIFY(cl.ok());
    QCOMPARE(cl->mode, u"controller"_s);
    QCOMPARE(cl->home, u"data"_s);
    QCOMPARE(cl->nodesFile, u"config/cluster.nodes"_s);
    QCOMPARE(cl->clusterConfig, u"config/cluster.cfg"_s);
    QCOMPARE(cl->unknownFlags, QStringList{u"-lanCluster"_s});
    QVERIFY(!parseCommandLine({u"dolphindb"_s, u"-mode"_s}).ok());
    QVERIFY(!parseCommandLine({u"dolphindb"_s, u"stray"_s}).ok());
}

void tst_NodeOptions::clusterCfgOverridesApplyToMatchingAliases()
{
    const QString path = write(u"cluster.cfg"_s, "maxConnections=512\nvolumes=/data/<ALIAS>\n%-node44.maxConnections=64\nnode4?.workerNum=2\n");
    Settings s44;
    QVERIFY(s44.load(path, u"HA-node44"_s).ok());
    QCOMPARE(s44.value(u"maxConnections"_s), u"64"_s);
    QCOMPARE(s44.value(u"volumes"_s), u"/data/HA-node44"_s);
    QVERIFY(!s44.contains(u"workerNum"_s));
    Settings s45;
    QVERIFY(s45.load(path, u"node45"_s).ok());
    QCOMPARE(s45.value(u"maxConnections"_s), u"512"_s);
    QCOMPARE(s45.value(u"workerNum"_s), u"2"_s);
    Settings missing;
    QVERIFY(!missing.load(m_dir.path() + u"/nope.cfg"_s, {}).ok());
}

void tst_NodeOptions::clusterNodesGivesEveryRole()
{
    const QString path = write(u"cluster.nodes"_s, "localSite,mode\n10.10.11.1:8920:HActl43,controller\n"
                                                  "10.10.11.1:8921:agent43,agent\n10.10.11.1:8922:node43,datanode\n");
    const auto nodes = parseClusterNodes(path);
    QVERIFY2(nodes.ok(), qPrintable(nodes.ok() ? QString() : nodes.error().toString()));
    QCOMPARE(nodes->size(), 3);
    QCOMPARE(nodes->at(0).mode, NodeMode::Controller);
    QCOMPARE(nodes->at(1).mode, NodeMode::Agent);
    QCOMPARE(nodes->at(2).site(), u"10.10.11.1:8922:node43"_s);
}

void tst_NodeOptions::aBrokenClusterNodesIsAnError()
{
    const QString path = write(u"bad.nodes"_s, "\nlocalSite,mode\n10.10.11.1:8920:HActl43,controller\n");
    QVERIFY(!parseClusterNodes(path).ok());
}

void tst_NodeOptions::knobsComeFromTheSettings()
{
    Settings s;
    s.set(u"raftElectionTick"_s, u"30"_s);
    s.set(u"simRecoveryBaseMs"_s, u"100"_s);
    s.set(u"dfsReplicationFactor"_s, u"3"_s);
    const Knobs k = Knobs::fromSettings(s);
    QCOMPARE(k.electionTimeoutMs, 300);
    QCOMPARE(k.recoveryBaseMs, 100);
    QCOMPARE(k.replicationFactor, 3);
    QCOMPARE(k.heartbeatIntervalMs, 1000);
    QCOMPARE(Knobs::fromSettings(Settings()).electionTimeoutMs, 8000);
}

QTEST_APPLESS_MAIN(tst_NodeOptions)
#include "tst_nodeoptions.moc"
