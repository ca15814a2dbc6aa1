// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/configparsers.h"

#include "support/testdata.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace GrayStep::Core;
using namespace Qt::Literals::StringLiterals;

namespace {

// "line: severity: message" for every problem, in order.
QStringList describe(const QList<TopologyProblem> &problems, bool withFile = false)
{
    QStringList lines;
    for (const TopologyProblem &p : problems) {
        const QString severity = p.severity == Severity::Error ? u"error"_s : u"warning"_s;
        lines << (withFile ? p.file + u':' : QString()) + QString::number(p.line) + u": "_s + severity + u": "_s
                     + p.message;
    }
    return lines;
}

TopologySources tutorialSources()
{
    using GrayStep::Test::readTestData;
    return {readTestData(u"tutorial/controller.cfg"_s), readTestData(u"tutorial/cluster.nodes"_s),
            readTestData(u"tutorial/cluster.cfg"_s), readTestData(u"tutorial/agent.cfg"_s)};
}

QByteArray &sourceFor(TopologySources &sources, const QString &file)
{
    if (file == "controller.cfg"_L1) {
        return sources.controllerCfg;
    }
    if (file == "cluster.nodes"_L1) {
        return sources.clusterNodes;
    }
    if (file == "cluster.cfg"_L1) {
        return *sources.clusterCfg;
    }
    return *sources.agentCfg;
}

const QByteArray CONTROLLER_HEAD = "mode=controller\nlocalSite=10.10.11.2:8920:HActl44\n";
const QByteArray AGENT_HEAD = "mode=agent\nlocalSite=10.10.11.2:8921:agent44\ncontrollerSite=10.10.11.2:8920:HActl44\n";
const QByteArray NODES_HEAD = "localSite,mode\n10.10.11.1:8920:HActl43,controller\n10.10.11.1:8921:agent43,agent\n";

} // namespace

class tst_ConfigParsers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tutorialTopology();
    void effectiveConfig();
    void metadataDirs_data();
    void metadataDirs();
    void formatting_data();
    void formatting();
    void controllerCfg_data();
    void controllerCfg();
    void clusterNodes_data();
    void clusterNodes();
    void clusterCfg_data();
    void clusterCfg();
    void agentCfg_data();
    void agentCfg();
    void crossChecks_data();
    void crossChecks();
    void aliasPatterns_data();
    void aliasPatterns();
    void findFiles();
    void unreadableInput();
};

void tst_ConfigParsers::tutorialTopology()
{
    const auto topology = loadTopologyFromDirectory(GrayStep::Test::testDataPath(u"tutorial"_s));
    QVERIFY2(topology.ok(), qPrintable(topology.ok() ? QString() : topology.error().toString()));
    QCOMPARE(describe(topology->problems, true), QStringList());
    QVERIFY(!topology->hasErrors());

    QStringList aliases;
    for (const ClusterNode &n : topology->nodes) {
        aliases << n.alias;
    }
    QCOMPARE(aliases, QStringList({u"HActl43"_s, u"HActl44"_s, u"HActl45"_s, u"agent43"_s, u"agent44"_s,
                                   u"agent45"_s, u"node43"_s, u"node44"_s, u"node45"_s}));
    QCOMPARE(topology->hosts.size(), 3);
    QCOMPARE(topology->hosts.at(0).address, u"10.10.11.1"_s);
    QCOMPARE(topology->hosts.at(0).aliases, QStringList({u"HActl43"_s, u"agent43"_s, u"node43"_s}));
    QCOMPARE(topology->hosts.at(2).address, u"10.10.11.3"_s);
    QCOMPARE(topology->nodesOnHost(u"10.10.11.2"_s).size(), 3);
    QCOMPARE(topology->nodesWithMode(NodeMode::Controller).size(), 3);

    const ClusterNode *node44 = topology->node(u"node44"_s);
    QVERIFY(node44);
    QCOMPARE(node44->mode, NodeMode::DataNode);
    QCOMPARE(node44->host, u"10.10.11.2"_s);
    QCOMPARE(node44->port, quint16(8922));
    QCOMPARE(node44->line, 9);
    QCOMPARE(node44->site(), u"10.10.11.2:8922:node44"_s);
    QVERIFY(!topology->node(u"node46"_s));
}

void tst_ConfigParsers::effectiveConfig()
{
    const auto topology = loadTopologyFromDirectory(GrayStep::Test::testDataPath(u"tutorial"_s));
    QVERIFY(topology.ok());
    const ClusterNode *node43 = topology->node(u"node43"_s);
    QCOMPARE(node43->config.value(u"chunkMetaDir"_s), u"/home/zjchen/HA/server/clusterDemo/data/node43/storage"_s);
    QCOMPARE(node43->config.value(u"volumes"_s), u"/home/zjchen/HA/server/clusterDemo/data/node43/storage"_s);
    QCOMPARE(node43->config.value(u"maxPubConnections"_s), u"64"_s);   // from node4?.maxPubConnections
    QCOMPARE(node43->config.value(u"workerNum"_s), u"4"_s);
    QCOMPARE(node43->config.value(u"mode"_s), u"datanode"_s);
    QVERIFY(!node43->config.contains(u"dfsHAMode"_s));   // controller-only

    // controller.cfg is HActl44's; the other controllers get the same settings with their own site.
    const ClusterNode *ctl43 = topology->node(u"HActl43"_s);
    QCOMPARE(ctl43->config.value(u"localSite"_s), u"10.10.11.1:8920:HActl43"_s);
    QCOMPARE(ctl43->config.value(u"dfsHAMode"_s), u"Raft"_s);
    QCOMPARE(ctl43->config.value(u"dfsRecoveryWaitTime"_s), u"30000"_s);

    const ClusterNode *agent45 = topology->node(u"agent45"_s);
    QCOMPARE(agent45->config.value(u"controllerSite"_s), u"10.10.11.2:8920:HActl44"_s);
    QVERIFY(agent45->config.value(u"sites"_s).startsWith(u"10.10.11.3:8921:agent45:agent,"_s));

    // Global settings first, then matching overrides in file order; <ALIAS> expands per node.
    TopologySources sources = tutorialSources();
    sources.clusterCfg = "volumes=/data/<ALIAS>\nworkerNum=4\n%4?.workerNum=8\nnode45.workerNum=16\n"
                         "node%.workerNum=2\nnode45.maxMemSize=32\n";
    const ClusterTopology t = buildTopology(sources);
    QCOMPARE(describe(t.problems), QStringList());
    QCOMPARE(t.node(u"node44"_s)->config.value(u"volumes"_s), u"/data/node44"_s);
    QCOMPARE(t.node(u"node44"_s)->config.value(u"workerNum"_s), u"2"_s);
    QCOMPARE(t.node(u"node45"_s)->config.value(u"workerNum"_s), u"2"_s);
    QCOMPARE(t.node(u"node45"_s)->config.value(u"maxMemSize"_s), u"32"_s);
    QVERIFY(!t.node(u"node43"_s)->config.contains(u"maxMemSize"_s));
}

void tst_ConfigParsers::metadataDirs_data()
{
    QTest::addColumn<QByteArray>("clusterCfg");
    QTest::addColumn<QByteArray>("controllerExtra");
    QTest::addColumn<QString>("chunkMetaDir");
    QTest::addColumn<QString>("dfsMetaDir");
    const QString home = u"/opt/ddb/server/clusterDemo/data"_s;
    QTest::newRow("nothing configured: the defaults under home")
        << QByteArray() << QByteArray() << home + u"/node44/storage"_s << home + u"/HActl44/dfsMeta"_s;
    QTest::newRow("chunkMetaDir wins over volumes")
        << "volumes=/v1,/v2\nnode44.chunkMetaDir=/meta/node44\n"_ba << QByteArray() << u"/meta/node44"_s
        << home + u"/HActl44/dfsMeta"_s;
    QTest::newRow("the first volume when chunkMetaDir is not set")
        << "volumes=/v1/<ALIAS>, /v2/<ALIAS>\n"_ba << QByteArray() << u"/v1/node44"_s << home + u"/HActl44/dfsMeta"_s;
    QTest::newRow("a configured dfsMetaDir")
        << QByteArray() << "dfsMetaDir=/meta/ctl\n"_ba << home + u"/node44/storage"_s << u"/meta/ctl"_s;
}

void tst_ConfigParsers::metadataDirs()
{
    QFETCH(QByteArray, clusterCfg);
    QFETCH(QByteArray, controllerExtra);
    QFETCH(QString, chunkMetaDir);
    QFETCH(QString, dfsMetaDir);
    const QString home = u"/opt/ddb/server/clusterDemo/data"_s;
    TopologySources sources = tutorialSources();
    sources.clusterCfg = clusterCfg;
    sources.controllerCfg += controllerExtra;
    const ClusterTopology t = buildTopology(sources);
    QCOMPARE(describe(t.problems), QStringList());
    QCOMPARE(t.node(u"node44"_s)->chunkMetaDir(home), chunkMetaDir);
    QCOMPARE(t.node(u"HActl44"_s)->dfsMetaDir(home), dfsMetaDir);
    QCOMPARE(t.node(u"HActl44"_s)->raftDir(home), home + u"/HActl44/raft"_s);
    QCOMPARE(t.node(u"agent44"_s)->chunkMetaDir(home), QString());
    QCOMPARE(t.node(u"node44"_s)->dfsMetaDir(home), QString());
    QCOMPARE(t.node(u"node44"_s)->raftDir(home), QString());
}

void tst_ConfigParsers::formatting_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("from");
    QTest::addColumn<QByteArray>("to");

    QTest::newRow("CRLF line ends in controller.cfg are accepted") << u"controller.cfg"_s << "\n"_ba << "\r\n"_ba;
    QTest::newRow("CRLF line ends in cluster.nodes are accepted") << u"cluster.nodes"_s << "\n"_ba << "\r\n"_ba;
    QTest::newRow("CRLF line ends in agent.cfg are accepted") << u"agent.cfg"_s << "\n"_ba << "\r\n"_ba;
    QTest::newRow("CRLF line ends in cluster.cfg are accepted") << u"cluster.cfg"_s << "\n"_ba << "\r\n"_ba;
    QTest::newRow("a UTF-8 BOM before controller.cfg is skipped")
        << u"controller.cfg"_s << "mode="_ba << "\xEF\xBB\xBFmode="_ba;
    QTest::newRow("a UTF-8 BOM before cluster.nodes is skipped")
        << u"cluster.nodes"_s << "localSite,mode"_ba << "\xEF\xBB\xBFlocalSite,mode"_ba;
    QTest::newRow("spaces around '=' are ignored") << u"controller.cfg"_s << "="_ba << " = "_ba;
    QTest::newRow("spaces around ',' and ':' of sites are ignored")
        << u"agent.cfg"_s << ","_ba << " , "_ba;
    QTest::newRow("spaces around the alias '.' in cluster.cfg are ignored")
        << u"cluster.cfg"_s << "node43.volumes"_ba << "node43 . volumes"_ba;
    QTest::newRow("comment lines and blank lines are skipped in controller.cfg")
        << u"controller.cfg"_s << "dfsHAMode=Raft\n"_ba << "# HA\n\n  # indented comment\ndfsHAMode=Raft\n\n"_ba;
    QTest::newRow("comment lines and blank lines are skipped in cluster.nodes")
        << u"cluster.nodes"_s << "10.10.11.1:8921"_ba << "\n# agents\n\n10.10.11.1:8921"_ba;
    QTest::newRow("a file without a final newline is complete")
        << u"cluster.nodes"_s << "node45,datanode\n"_ba << "node45,datanode"_ba;
    QTest::newRow("modes are read regardless of case")
        << u"cluster.nodes"_s << "node45,datanode"_ba << "node45,DataNode"_ba;
    QTest::newRow("the header with computeGroup is accepted")
        << u"cluster.nodes"_s << "localSite,mode\n"_ba << "localSite,mode,computeGroup\n"_ba;
    QTest::newRow("tabs and trailing spaces around lines are ignored")
        << u"cluster.nodes"_s << "\n"_ba << " \t\n\t"_ba;
}

void tst_ConfigParsers::formatting()
{
    QFETCH(QString, file);
    QFETCH(QByteArray, from);
    QFETCH(QByteArray, to);
    TopologySources sources = tutorialSources();
    QByteArray &content = sourceFor(sources, file);
    QVERIFY(content.contains(from));
    content.replace(from, to);
    const ClusterTopology t = buildTopology(sources);
    QCOMPARE(describe(t.problems, true), QStringList());
    QCOMPARE(t.nodes.size(), 9);
    QCOMPARE(t.hosts.size(), 3);
    QCOMPARE(t.node(u"node45"_s)->mode, NodeMode::DataNode);
    QCOMPARE(t.node(u"node43"_s)->config.value(u"volumes"_s), u"/home/zjchen/HA/server/clusterDemo/data/node43/storage"_s);
    QCOMPARE(t.node(u"HActl45"_s)->config.value(u"dfsHAMode"_s), u"Raft"_s);
    QCOMPARE(t.node(u"agent44"_s)->config.value(u"controllerSite"_s), u"10.10.11.2:8920:HActl44"_s);
}

void tst_ConfigParsers::controllerCfg_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("the tutorial's controller.cfg has no problem")
        << GrayStep::Test::readTestData(u"tutorial/controller.cfg"_s) << QStringList();
    QTest::newRow("an empty file lacks mode and localSite")
        << QByteArray() << QStringList{u"0: error: mode=controller is missing"_s, u"0: error: localSite is missing"_s};
    QTest::newRow("a blank first line is refused")
        << "\n" + CONTROLLER_HEAD << QStringList{u"1: error: the first line is blank; DolphinDB refuses "
                                                  "configuration files whose first line is blank"_s};
    QTest::newRow("a line without '=' is not a setting")
        << CONTROLLER_HEAD + "dfsHAMode Raft\n" << QStringList{u"3: error: expected key=value, found 'dfsHAMode Raft'"_s};
    QTest::newRow("a value without a name is reported")
        << CONTROLLER_HEAD + "=Raft\n" << QStringList{u"3: error: the setting name before '=' is missing"_s};
    QTest::newRow("a name with a space is not a setting name")
        << CONTROLLER_HEAD + "worker Num=4\n" << QStringList{u"3: error: 'worker Num' is not a setting name"_s};
    QTest::newRow("a dotted name is not a setting name outside cluster.cfg")
        << CONTROLLER_HEAD + "HActl44.workerNum=4\n"
        << QStringList{u"3: error: 'HActl44.workerNum' is not a setting name"_s};
    QTest::newRow("an empty value is a warning")
        << CONTROLLER_HEAD + "workerNum=\n" << QStringList{u"3: warning: 'workerNum' has no value"_s};
    QTest::newRow("a setting given twice is reported on the second line")
        << CONTROLLER_HEAD + "workerNum=4\n\nworkerNum=8\n"
        << QStringList{u"5: error: 'workerNum' is set twice (first on line 3)"_s};
    QTest::newRow("a whole-number setting with words is reported")
        << CONTROLLER_HEAD + "workerNum=four\n"
        << QStringList{u"3: error: 'workerNum' must be a whole number, found 'four'"_s};
    QTest::newRow("a fraction where a whole number is needed is reported")
        << CONTROLLER_HEAD + "dfsReplicationFactor=2.5\n"
        << QStringList{u"3: error: 'dfsReplicationFactor' must be a whole number, found '2.5'"_s};
    QTest::newRow("maxMemSize must be a number")
        << CONTROLLER_HEAD + "maxMemSize=8GB\n" << QStringList{u"3: error: 'maxMemSize' must be a number, found '8GB'"_s};
    QTest::newRow("the wrong mode is reported where it is set")
        << "mode=agent\nlocalSite=10.10.11.2:8920:HActl44\n"_ba
        << QStringList{u"1: error: mode is 'agent', but controller.cfg must say mode=controller"_s};
    QTest::newRow("a missing localSite is reported for the whole file")
        << "mode=controller\nworkerNum=4\n"_ba << QStringList{u"0: error: localSite is missing"_s};
    QTest::newRow("a localSite without alias is malformed")
        << "mode=controller\nlocalSite=10.10.11.2:8920\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:8920': expected host:port:alias"_s};
    QTest::newRow("a localSite with four parts is malformed")
        << "mode=controller\nlocalSite=10.10.11.2:8920:HActl44:controller\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:8920:HActl44:controller': expected host:port:alias"_s};
    QTest::newRow("a port above 65535 is out of range")
        << "mode=controller\nlocalSite=10.10.11.2:89200:HActl44\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:89200:HActl44': port 89200 is out of range (1-65535)"_s};
    QTest::newRow("port 0 is out of range")
        << "mode=controller\nlocalSite=10.10.11.2:0:HActl44\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:0:HActl44': port 0 is out of range (1-65535)"_s};
    QTest::newRow("a port that is not a number is reported")
        << "mode=controller\nlocalSite=10.10.11.2:http:HActl44\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:http:HActl44': port 'http' is not a number"_s};
    QTest::newRow("a negative port is not a number")
        << "mode=controller\nlocalSite=10.10.11.2:-8920:HActl44\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:-8920:HActl44': port '-8920' is not a number"_s};
    QTest::newRow("an empty host is reported")
        << "mode=controller\nlocalSite=:8920:HActl44\n"_ba
        << QStringList{u"2: error: malformed localSite ':8920:HActl44': the host is empty"_s};
    QTest::newRow("a host with a slash is not a host name")
        << "mode=controller\nlocalSite=10.10.11.2/24:8920:HActl44\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2/24:8920:HActl44': '10.10.11.2/24' is not an IP address or host name"_s};
    QTest::newRow("an empty alias is reported")
        << "mode=controller\nlocalSite=10.10.11.2:8920:\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:8920:': the alias is empty"_s};
    QTest::newRow("an alias with a space is reported")
        << "mode=controller\nlocalSite=10.10.11.2:8920:HA ctl44\n"_ba
        << QStringList{u"2: error: malformed localSite '10.10.11.2:8920:HA ctl44': alias 'HA ctl44' may only contain letters, digits, '_' and '-'"_s};
    QTest::newRow("an unknown dfsHAMode is reported")
        << CONTROLLER_HEAD + "dfsHAMode=Paxos\n"
        << QStringList{u"3: error: dfsHAMode 'Paxos' is not known (the only value is Raft)"_s};
    QTest::newRow("several problems are all reported, in line order")
        << "mode=controler\nworkerNum=x\nlocalSite=a:b:c\n"_ba
        << QStringList{u"1: error: mode is 'controler', but controller.cfg must say mode=controller"_s,
                       u"2: error: 'workerNum' must be a whole number, found 'x'"_s,
                       u"3: error: malformed localSite 'a:b:c': port 'b' is not a number"_s};
}

void tst_ConfigParsers::controllerCfg()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, expected);
    const ConfigFile cfg = parseControllerCfg(content);
    QCOMPARE(cfg.file, u"controller.cfg"_s);
    QCOMPARE(describe(cfg.problems), expected);
}

void tst_ConfigParsers::clusterNodes_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<int>("nodeCount");

    QTest::newRow("the tutorial's cluster.nodes has no problem")
        << GrayStep::Test::readTestData(u"tutorial/cluster.nodes"_s) << QStringList() << 9;
    QTest::newRow("a blank first line is refused but the nodes are still read")
        << "\n" + NODES_HEAD
        << QStringList{u"1: error: the first line is blank; it must be the header 'localSite,mode' "
                       "(the server does not start otherwise)"_s}
        << 2;
    QTest::newRow("an empty file is reported on line 1")
        << QByteArray() << QStringList{u"1: error: the file is empty; it must start with the header 'localSite,mode'"_s} << 0;
    QTest::newRow("a file of blank lines is empty")
        << "\n\n \n"_ba << QStringList{u"1: error: the file is empty; it must start with the header 'localSite,mode'"_s} << 0;
    QTest::newRow("a missing header is reported and the first line read as a node")
        << "10.10.11.1:8920:HActl43,controller\n10.10.11.1:8921:agent43,agent\n"_ba
        << QStringList{u"1: error: expected the header 'localSite,mode' or 'localSite,mode,computeGroup', "
                       "found '10.10.11.1:8920:HActl43,controller'"_s}
        << 2;
    QTest::newRow("a line without mode is reported")
        << NODES_HEAD + "10.10.11.1:8922:node43\n"
        << QStringList{u"4: error: expected 'host:port:alias,mode', found '10.10.11.1:8922:node43'"_s} << 2;
    QTest::newRow("an unknown mode is reported")
        << NODES_HEAD + "10.10.11.1:8922:node43,datanod\n"
        << QStringList{u"4: error: unknown mode 'datanod' (expected controller, agent, datanode or computenode)"_s} << 2;
    QTest::newRow("an empty mode is unknown")
        << NODES_HEAD + "10.10.11.1:8922:node43,\n"
        << QStringList{u"4: error: unknown mode '' (expected controller, agent, datanode or computenode)"_s} << 2;
    QTest::newRow("a third field needs the computeGroup header")
        << NODES_HEAD + "10.10.11.1:8922:node43,computenode,g1\n"
        << QStringList{u"4: error: too many fields in '10.10.11.1:8922:node43,computenode,g1' (the header has 2 columns)"_s}
        << 2;
    QTest::newRow("a computeGroup on a data node is reported")
        << "localSite,mode,computeGroup\n10.10.11.1:8920:HActl43,controller\n10.10.11.1:8921:agent43,agent\n"
           "10.10.11.1:8922:node43,datanode,g1\n"_ba
        << QStringList{u"4: error: only compute nodes have a computeGroup, but 'node43' is a datanode"_s} << 3;
    QTest::newRow("a compute node keeps its computeGroup")
        << "localSite,mode,computeGroup\n10.10.11.1:8920:HActl43,controller\n10.10.11.1:8921:agent43,agent\n"
           "10.10.11.1:8923:cnode1,computenode,g1\n"_ba
        << QStringList() << 3;
    QTest::newRow("a malformed site is reported")
        << NODES_HEAD + "10.10.11.1:8922node43,datanode\n"
        << QStringList{u"4: error: malformed localSite '10.10.11.1:8922node43': expected host:port:alias"_s} << 2;
    QTest::newRow("a port out of range is reported")
        << NODES_HEAD + "10.10.11.1:65536:node43,datanode\n"
        << QStringList{u"4: error: malformed localSite '10.10.11.1:65536:node43': port 65536 is out of range (1-65535)"_s}
        << 2;
    QTest::newRow("a bad site and a bad mode on one line are both reported")
        << NODES_HEAD + "10.10.11.1::node43,db\n"
        << QStringList{u"4: error: malformed localSite '10.10.11.1::node43': port '' is not a number"_s,
                       u"4: error: unknown mode 'db' (expected controller, agent, datanode or computenode)"_s}
        << 2;
    QTest::newRow("a duplicate alias is reported with the first line")
        << NODES_HEAD + "10.10.11.1:8922:node43,datanode\n10.10.11.1:8923:node43,datanode\n"
        << QStringList{u"5: error: duplicate alias 'node43' (first on line 4)"_s} << 3;
    QTest::newRow("a duplicate host and port is reported with the first alias")
        << NODES_HEAD + "10.10.11.1:8921:node43,datanode\n"
        << QStringList{u"4: error: 10.10.11.1:8921 is already used by 'agent43' (line 3)"_s} << 3;
    QTest::newRow("a cluster without controller is reported")
        << "localSite,mode\n10.10.11.1:8921:agent43,agent\n10.10.11.1:8922:node43,datanode\n"_ba
        << QStringList{u"0: error: no controller is listed"_s} << 2;
    QTest::newRow("a host with a data node but no agent is reported at the data node")
        << NODES_HEAD + "10.10.11.4:8922:node46,datanode\n10.10.11.4:8923:node47,datanode\n"
        << QStringList{u"4: error: host 10.10.11.4 has data or compute nodes but no agent to start them"_s} << 4;
    QTest::newRow("a host with a compute node but no agent is reported")
        << NODES_HEAD + "10.10.11.4:8922:cnode1,computenode\n"
        << QStringList{u"4: error: host 10.10.11.4 has data or compute nodes but no agent to start them"_s} << 3;
    QTest::newRow("a second agent on a host is reported")
        << NODES_HEAD + "10.10.11.1:8931:agent43b,agent\n"
        << QStringList{u"4: error: host 10.10.11.1 already has agent 'agent43' (line 3); a host runs one agent"_s} << 3;
}

void tst_ConfigParsers::clusterNodes()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, expected);
    QFETCH(int, nodeCount);
    const NodesFile nodes = parseClusterNodes(content);
    QCOMPARE(describe(nodes.problems), expected);
    QCOMPARE(nodes.nodes.size(), nodeCount);
    if (expected.isEmpty() && content.contains(",computenode,g1")) {
        QCOMPARE(nodes.nodes.last().computeGroup, u"g1"_s);
    }
}

void tst_ConfigParsers::clusterCfg_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("the tutorial's cluster.cfg has no problem")
        << GrayStep::Test::readTestData(u"tutorial/cluster.cfg"_s) << QStringList();
    QTest::newRow("an empty cluster.cfg is fine") << QByteArray() << QStringList();
    QTest::newRow("a blank first line is refused")
        << "\nworkerNum=4\n"_ba
        << QStringList{u"1: error: the first line is blank; DolphinDB refuses configuration files whose first line is blank"_s};
    QTest::newRow("a missing alias before the dot is reported")
        << "workerNum=4\n.volumes=/data\n"_ba << QStringList{u"2: error: the node alias before '.' in '.volumes' is missing"_s};
    QTest::newRow("an alias pattern with a '*' is not a pattern")
        << "node*.volumes=/data\n"_ba
        << QStringList{u"1: error: 'node*' is not a node alias pattern (letters, digits, '_', '-', and the wildcards '%' and '?')"_s};
    QTest::newRow("a missing setting name after the alias is reported")
        << "node43.=/data\n"_ba << QStringList{u"1: error: '' is not a setting name"_s};
    QTest::newRow("the same override twice is reported")
        << "node43.volumes=/a\nnode44.volumes=/b\nnode43.volumes=/c\n"_ba
        << QStringList{u"3: error: 'node43.volumes' is set twice (first on line 1)"_s};
    QTest::newRow("a global setting and an override of the same key are not duplicates")
        << "volumes=/a\nnode43.volumes=/b\n"_ba << QStringList();
    QTest::newRow("<ALIAS> in an override is a warning")
        << "node43.volumes=/data/<ALIAS>\n"_ba
        << QStringList{u"1: warning: <ALIAS> is only expanded in settings without a node alias; write the alias instead"_s};
    QTest::newRow("a non-numeric override of a numeric setting is reported")
        << "node%.workerNum=many\n"_ba << QStringList{u"1: error: 'workerNum' must be a whole number, found 'many'"_s};
}

void tst_ConfigParsers::clusterCfg()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, expected);
    QCOMPARE(describe(parseClusterCfg(content).problems), expected);
}

void tst_ConfigParsers::agentCfg_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("the tutorial's agent.cfg has no problem")
        << GrayStep::Test::readTestData(u"tutorial/agent.cfg"_s) << QStringList();
    QTest::newRow("an agent.cfg saying mode=controller is reported")
        << "mode=controller\nlocalSite=10.10.11.2:8921:agent44\ncontrollerSite=10.10.11.2:8920:HActl44\n"_ba
        << QStringList{u"1: error: mode is 'controller', but agent.cfg must say mode=agent"_s};
    QTest::newRow("a missing controllerSite is reported")
        << "mode=agent\nlocalSite=10.10.11.2:8921:agent44\n"_ba << QStringList{u"0: error: controllerSite is missing"_s};
    QTest::newRow("a malformed controllerSite is reported")
        << "mode=agent\nlocalSite=10.10.11.2:8921:agent44\ncontrollerSite=10.10.11.2\n"_ba
        << QStringList{u"3: error: malformed controllerSite '10.10.11.2': expected host:port:alias"_s};
    QTest::newRow("a sites entry without mode is reported")
        << AGENT_HEAD + "sites=10.10.11.2:8921:agent44:agent,10.10.11.1:8920:HActl43\n"
        << QStringList{u"4: error: sites entry '10.10.11.1:8920:HActl43' must be host:port:alias:mode"_s};
    QTest::newRow("a sites entry with an unknown mode is reported")
        << AGENT_HEAD + "sites=10.10.11.2:8921:agent44:agent,10.10.11.1:8920:HActl43:master\n"
        << QStringList{u"4: error: sites entry '10.10.11.1:8920:HActl43:master' has unknown mode 'master'"_s};
    QTest::newRow("a sites entry with a bad port is reported")
        << AGENT_HEAD + "sites=10.10.11.2:99999:agent44:agent\n"
        << QStringList{u"4: error: malformed sites entry '10.10.11.2:99999:agent44': port 99999 is out of range (1-65535)"_s};
    QTest::newRow("empty sites entries from a trailing comma are ignored")
        << AGENT_HEAD + "sites=10.10.11.2:8921:agent44:agent,\n" << QStringList();
}

void tst_ConfigParsers::agentCfg()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, expected);
    QCOMPARE(describe(parseAgentCfg(content).problems), expected);
}

void tst_ConfigParsers::crossChecks_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("from");
    QTest::addColumn<QByteArray>("to");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("a controller localSite missing from cluster.nodes is reported")
        << u"controller.cfg"_s << "HActl44"_ba << "HActl46"_ba
        << QStringList{u"controller.cfg:2: error: localSite 10.10.11.2:8920:HActl46 does not match any controller in cluster.nodes"_s};
    QTest::newRow("a controller localSite naming an agent is reported")
        << u"controller.cfg"_s << "10.10.11.2:8920:HActl44"_ba << "10.10.11.2:8921:agent44"_ba
        << QStringList{u"controller.cfg:2: error: localSite 10.10.11.2:8921:agent44 names 'agent44', which cluster.nodes lists as agent (line 6), not as controller"_s};
    QTest::newRow("a controller localSite with another port than cluster.nodes is reported")
        << u"controller.cfg"_s << "10.10.11.2:8920:HActl44"_ba << "10.10.11.2:8930:HActl44"_ba
        << QStringList{u"controller.cfg:2: error: localSite 10.10.11.2:8930:HActl44 does not match cluster.nodes, which lists 10.10.11.2:8920:HActl44 (line 3)"_s};
    QTest::newRow("Raft with two controllers is reported at dfsHAMode")
        << u"cluster.nodes"_s << "10.10.11.3:8920:HActl45,controller\n"_ba << ""_ba
        << QStringList{u"controller.cfg:3: error: dfsHAMode=Raft needs at least 3 controllers, but cluster.nodes lists 2"_s,
                       u"agent.cfg:4: error: sites entry 10.10.11.3:8920:HActl45 does not match any controller in cluster.nodes"_s};
    QTest::newRow("three controllers without Raft are reported")
        << u"controller.cfg"_s << "dfsHAMode=Raft\n"_ba << ""_ba
        << QStringList{u"controller.cfg: error: cluster.nodes lists 3 controllers, which needs dfsHAMode=Raft"_s};
    QTest::newRow("more replicas than hosts with data nodes are reported")
        << u"controller.cfg"_s << "dfsReplicationFactor=2"_ba << "dfsReplicationFactor=4"_ba
        << QStringList{u"controller.cfg:4: error: dfsReplicationFactor=4 with dfsReplicaReliabilityLevel=1 needs data nodes on 4 hosts, but only 3 hosts have data nodes"_s};
    QTest::newRow("an agent controllerSite matching no controller is reported")
        << u"agent.cfg"_s << "controllerSite=10.10.11.2:8920:HActl44"_ba << "controllerSite=10.10.11.9:8920:HActl99"_ba
        << QStringList{u"agent.cfg:3: error: controllerSite 10.10.11.9:8920:HActl99 does not match any controller in cluster.nodes"_s};
    QTest::newRow("an agent localSite naming a data node is reported")
        << u"agent.cfg"_s << "localSite=10.10.11.2:8921:agent44"_ba << "localSite=10.10.11.2:8922:node44"_ba
        << QStringList{u"agent.cfg:2: error: localSite 10.10.11.2:8922:node44 names 'node44', which cluster.nodes lists as datanode (line 9), not as agent"_s};
    QTest::newRow("a sites entry with another host than cluster.nodes is reported")
        << u"agent.cfg"_s << "10.10.11.3:8920:HActl45:controller"_ba << "10.10.11.4:8920:HActl45:controller"_ba
        << QStringList{u"agent.cfg:4: error: sites entry 10.10.11.4:8920:HActl45 does not match cluster.nodes, which lists 10.10.11.3:8920:HActl45 (line 4)"_s};
    QTest::newRow("a controller missing from sites is a warning")
        << u"agent.cfg"_s << ",10.10.11.3:8920:HActl45:controller"_ba << ""_ba
        << QStringList{u"agent.cfg:4: warning: sites does not list controller 'HActl45'; the agent cannot follow a change of leader to it"_s};
    QTest::newRow("a missing sites with three controllers is a warning")
        << u"agent.cfg"_s << "sites="_ba << "# sites="_ba
        << QStringList{u"agent.cfg: warning: sites is missing; with 3 controllers the agent needs all of them in sites to follow a change of leader"_s};
    QTest::newRow("a cluster.cfg override matching no node is a warning")
        << u"cluster.cfg"_s << "node45.volumes"_ba << "node46.volumes"_ba
        << QStringList{u"cluster.cfg:11: warning: 'node46.volumes' matches no data or compute node in cluster.nodes"_s};
    QTest::newRow("a cluster.cfg override of a controller is a warning")
        << u"cluster.cfg"_s << "node4?.maxPubConnections"_ba << "HActl4?.maxPubConnections"_ba
        << QStringList{u"cluster.cfg:15: warning: 'HActl4?.maxPubConnections' matches no data or compute node in cluster.nodes"_s};
    QTest::newRow("problems of all files are listed in file order")
        << u"cluster.nodes"_s << "node45,datanode"_ba << "node45,datanod"_ba
        << QStringList{u"cluster.nodes:10: error: unknown mode 'datanod' (expected controller, agent, datanode or computenode)"_s,
                       u"cluster.cfg:11: warning: 'node45.volumes' matches no data or compute node in cluster.nodes"_s,
                       u"cluster.cfg:14: warning: 'node45.chunkMetaDir' matches no data or compute node in cluster.nodes"_s};
}

void tst_ConfigParsers::crossChecks()
{
    QFETCH(QString, file);
    QFETCH(QByteArray, from);
    QFETCH(QByteArray, to);
    QFETCH(QStringList, expected);
    TopologySources sources = tutorialSources();
    QByteArray &content = sourceFor(sources, file);
    QVERIFY(content.contains(from));
    content.replace(from, to);
    const ClusterTopology t = buildTopology(sources);
    QStringList actual;
    for (const TopologyProblem &p : t.problems) {
        actual << p.file + (p.line > 0 ? u':' + QString::number(p.line) : QString()) + u": "_s
                      + (p.severity == Severity::Error ? u"error"_s : u"warning"_s) + u": "_s + p.message;
    }
    QCOMPARE(actual, expected);
    const bool anyError = std::any_of(expected.cbegin(), expected.cend(), [](const QString &s) {
        return s.contains(u": error: "_s);
    });
    QCOMPARE(t.hasErrors(), anyError);
}

void tst_ConfigParsers::aliasPatterns_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("alias");
    QTest::addColumn<bool>("matches");
    QTest::newRow("an exact alias matches itself") << u"node43"_s << u"node43"_s << true;
    QTest::newRow("aliases are case-sensitive") << u"Node43"_s << u"node43"_s << false;
    QTest::newRow("'%' matches a prefix") << u"%-datanode"_s << u"P1-datanode"_s << true;
    QTest::newRow("'%' matches nothing too") << u"node%"_s << u"node"_s << true;
    QTest::newRow("'%' alone matches everything") << u"%"_s << u"agent43"_s << true;
    QTest::newRow("'?' matches one character") << u"node4?"_s << u"node45"_s << true;
    QTest::newRow("'?' does not match nothing") << u"node4?"_s << u"node4"_s << false;
    QTest::newRow("'?' does not match two characters") << u"node4?"_s << u"node456"_s << false;
    QTest::newRow("two '%' match around a middle part") << u"%88%"_s << u"P1-8821"_s << true;
    QTest::newRow("a suffix must match at the end") << u"%8821"_s << u"P1-8822"_s << false;
    QTest::newRow("backtracking over '%' finds the last occurrence") << u"%a%b"_s << u"xaxbxab"_s << true;
}

void tst_ConfigParsers::aliasPatterns()
{
    QFETCH(QString, pattern);
    QFETCH(QString, alias);
    QFETCH(bool, matches);
    QCOMPARE(aliasMatches(pattern, alias), matches);
}

void tst_ConfigParsers::findFiles()
{
    const QString tutorial = GrayStep::Test::testDataPath(u"tutorial"_s);
    const auto direct = findTopologyFiles(tutorial);
    QVERIFY(direct.ok());
    QCOMPARE(direct->agentCfg, QDir(tutorial).filePath(u"agent.cfg"_s));

    // A DolphinDB server folder: the files sit in clusterDemo/config.
    QTemporaryDir server;
    QVERIFY(server.isValid());
    QVERIFY(QDir(server.path()).mkpath(u"clusterDemo/config"_s));
    for (const QString &name : {u"controller.cfg"_s, u"cluster.nodes"_s}) {
        QVERIFY(QFile::copy(QDir(tutorial).filePath(name), server.filePath(u"clusterDemo/config/"_s + name)));
    }
    const auto found = loadTopologyFromDirectory(server.path());
    QVERIFY(found.ok());
    QCOMPARE(found->nodes.size(), 9);
    // Without agent.cfg and cluster.cfg the agents and data nodes have only mode and localSite.
    QCOMPARE(found->node(u"node43"_s)->config.size(), 2);
    QCOMPARE(describe(found->problems), QStringList());

    const auto missing = findTopologyFiles(server.filePath(u"clusterDemo"_s) + u"/nothing"_s);
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, ErrorCode::NotFound);
    QVERIFY(QDir(server.path()).mkpath(u"empty"_s));
    const auto empty = findTopologyFiles(server.filePath(u"empty"_s));
    QVERIFY(!empty.ok());
    QVERIFY2(empty.error().message.startsWith(u"no controller.cfg and cluster.nodes in "_s),
             qPrintable(empty.error().message));
}

void tst_ConfigParsers::unreadableInput()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString big = dir.filePath(u"cluster.nodes"_s);
    QFile f(big);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(1024 * 1024 + 1, 'x'));
    f.close();
    const QString tutorial = GrayStep::Test::testDataPath(u"tutorial/"_s);
    auto result = loadTopology({tutorial + u"controller.cfg"_s, big, {}, {}});
    QVERIFY(!result.ok());
    QVERIFY(result.error().message.endsWith(u"is larger than 1 MiB; that is not a configuration file"_s));
    result = loadTopology({dir.filePath(u"absent.cfg"_s), tutorial + u"cluster.nodes"_s, {}, {}});
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, ErrorCode::Io);
    QVERIFY(result.error().message.startsWith(u"cannot read "_s));

    // Problems name the files as they are called on disk.
    QVERIFY(QFile::copy(tutorial + u"cluster.nodes"_s, dir.filePath(u"nodes.txt"_s)));
    QFile ctl(dir.filePath(u"ctl.cfg"_s));
    QVERIFY(ctl.open(QIODevice::WriteOnly));
    ctl.write("mode=controller\nlocalSite=10.10.11.2:8920:HActl44\n");
    ctl.close();
    result = loadTopology({ctl.fileName(), dir.filePath(u"nodes.txt"_s), {}, {}});
    QVERIFY(result.ok());
    QCOMPARE(describe(result->problems, true),
             QStringList{u"ctl.cfg:0: error: nodes.txt lists 3 controllers, which needs dfsHAMode=Raft"_s});
}

QTEST_GUILESS_MAIN(tst_ConfigParsers)
#include "tst_configparsers.moc"
