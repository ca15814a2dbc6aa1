// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the built `graystep-cli topology` as a DBA would.
#include "support/testdata.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Test::testDataPath;

namespace {

struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

CliRun runCli(const QStringList &args)
{
    QProcess p;
    p.start(QDir(GrayStep::Test::binDir()).filePath(u"graystep-cli"_s), args);
    CliRun r;
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit) {
        qWarning("graystep-cli did not finish: %s", qPrintable(p.errorString()));
        return r;
    }
    r.exitCode = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

class tst_TopologyCommand : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tutorialJson();
    void tutorialTable();
    void problemsJson();
    void explicitFiles();
    void badUsage_data();
    void badUsage();
};

void tst_TopologyCommand::tutorialJson()
{
    const CliRun r = runCli({u"topology"_s, u"--config-dir"_s, testDataPath(u"tutorial"_s), u"--json"_s});
    QCOMPARE(r.exitCode, 0);
    QJsonParseError error;
    const QJsonObject doc = QJsonDocument::fromJson(r.out, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);

    const QJsonArray hosts = doc.value(u"hosts"_s).toArray();
    QCOMPARE(hosts.size(), 3);
    QCOMPARE(hosts.at(1).toObject().value(u"address"_s).toString(), u"10.10.11.2"_s);
    QCOMPARE(hosts.at(1).toObject().value(u"nodes"_s).toArray(),
             QJsonArray({u"HActl44"_s, u"agent44"_s, u"node44"_s}));

    const QJsonArray nodes = doc.value(u"nodes"_s).toArray();
    QCOMPARE(nodes.size(), 9);
    QStringList aliases;
    for (const QJsonValue &v : nodes) {
        aliases << v.toObject().value(u"alias"_s).toString();
    }
    QCOMPARE(aliases, QStringList({u"HActl43"_s, u"HActl44"_s, u"HActl45"_s, u"agent43"_s, u"agent44"_s,
                                   u"agent45"_s, u"node43"_s, u"node44"_s, u"node45"_s}));
    const QJsonObject node45 = nodes.at(8).toObject();
    QCOMPARE(node45.value(u"mode"_s).toString(), u"datanode"_s);
    QCOMPARE(node45.value(u"host"_s).toString(), u"10.10.11.3"_s);
    QCOMPARE(node45.value(u"port"_s).toInt(), 8922);
    QCOMPARE(node45.value(u"config"_s).toObject().value(u"chunkMetaDir"_s).toString(),
             u"/home/zjchen/HA/server/clusterDemo/data/node45/storage"_s);
    QCOMPARE(nodes.at(0).toObject().value(u"mode"_s).toString(), u"controller"_s);
    QCOMPARE(nodes.at(0).toObject().value(u"config"_s).toObject().value(u"dfsHAMode"_s).toString(), u"Raft"_s);
    QCOMPARE(doc.value(u"problems"_s).toArray().size(), 0);
}

void tst_TopologyCommand::tutorialTable()
{
    const CliRun r = runCli({u"topology"_s, u"--config-dir"_s, testDataPath(u"tutorial"_s)});
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = QString::fromUtf8(r.out).split(u'\n');
    QVERIFY(lines.size() > 11);
    QCOMPARE(lines.at(0).simplified(), u"HOST ALIAS MODE PORT"_s);
    QCOMPARE(lines.at(1).simplified(), u"10.10.11.1 HActl43 controller 8920"_s);
    QCOMPARE(lines.at(2).simplified(), u"agent43 agent 8921"_s);
    QCOMPARE(lines.at(9).simplified(), u"node45 datanode 8922"_s);
    QCOMPARE(lines.at(10), u"Hosts: 3, nodes: 9"_s);
    QCOMPARE(lines.at(11), u"No problems found."_s);
}

void tst_TopologyCommand::problemsJson()
{
    const CliRun r = runCli({u"topology"_s, u"--json"_s, u"--config-dir"_s, testDataPath(u"malformed"_s)});
    QCOMPARE(r.exitCode, 1);
    const QJsonArray problems = QJsonDocument::fromJson(r.out).object().value(u"problems"_s).toArray();
    QStringList found;
    for (const QJsonValue &v : problems) {
        const QJsonObject p = v.toObject();
        found << p.value(u"file"_s).toString() + u':' + QString::number(p.value(u"line"_s).toInt()) + u' '
                     + p.value(u"message"_s).toString();
    }
    QCOMPARE(found, QStringList({
        u"controller.cfg:3 dfsHAMode=Raft needs at least 3 controllers, but cluster.nodes lists 2"_s,
        u"controller.cfg:4 'workerNum' must be a whole number, found 'four'"_s,
        u"cluster.nodes:5 unknown mode 'datanod' (expected controller, agent, datanode or computenode)"_s,
        u"cluster.nodes:6 malformed localSite '10.10.11.2:70000:node44': port 70000 is out of range (1-65535)"_s,
    }));

    const CliRun table = runCli({u"topology"_s, u"--config-dir"_s, testDataPath(u"malformed"_s)});
    QCOMPARE(table.exitCode, 1);
    QVERIFY(table.out.contains("  cluster.nodes:5: error: unknown mode 'datanod'"));
}

void tst_TopologyCommand::explicitFiles()
{
    const QDir tutorial(testDataPath(u"tutorial"_s));
    const CliRun r = runCli({u"topology"_s, u"--json"_s, u"--controller-cfg"_s, tutorial.filePath(u"controller.cfg"_s),
                             u"--nodes"_s, tutorial.filePath(u"cluster.nodes"_s), u"--agent-cfg"_s,
                             tutorial.filePath(u"agent.cfg"_s)});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject doc = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(doc.value(u"nodes"_s).toArray().size(), 9);
    // Without --cluster-cfg a data node has no volumes setting.
    const QJsonObject node43 = doc.value(u"nodes"_s).toArray().at(6).toObject();
    QVERIFY(!node43.value(u"config"_s).toObject().contains(u"volumes"_s));
}

void tst_TopologyCommand::badUsage_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString dir = testDataPath(u"tutorial"_s);
    QTest::newRow("no option at all")
        << QStringList{u"topology"_s} << u"give --config-dir DIR, or --controller-cfg F and --nodes F"_s;
    QTest::newRow("--nodes without --controller-cfg")
        << QStringList{u"topology"_s, u"--nodes"_s, dir + u"/cluster.nodes"_s}
        << u"give --config-dir DIR, or --controller-cfg F and --nodes F"_s;
    QTest::newRow("both a folder and files")
        << QStringList{u"topology"_s, u"--config-dir"_s, dir, u"--nodes"_s, dir + u"/cluster.nodes"_s}
        << u"give either --config-dir or the file options, not both"_s;
    QTest::newRow("an option without its value")
        << QStringList{u"topology"_s, u"--config-dir"_s} << u"option --config-dir needs a value"_s;
    QTest::newRow("an unknown argument")
        << QStringList{u"topology"_s, u"--config-dir"_s, dir, u"--verbose"_s} << u"unexpected argument '--verbose'"_s;
    QTest::newRow("a folder that does not exist")
        << QStringList{u"topology"_s, u"--config-dir"_s, dir + u"/nowhere"_s}
        << u"the folder "_s + QDir::toNativeSeparators(dir + u"/nowhere"_s) + u" does not exist"_s;
    QTest::newRow("a file that cannot be read")
        << QStringList{u"topology"_s, u"--controller-cfg"_s, dir + u"/missing.cfg"_s, u"--nodes"_s, dir + u"/cluster.nodes"_s}
        << u"cannot read "_s + QDir::toNativeSeparators(dir + u"/missing.cfg"_s) + u": No such file or directory"_s;
}

void tst_TopologyCommand::badUsage()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const CliRun r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(QString::fromUtf8(r.err).trimmed(), u"graystep-cli: "_s + message);

    const CliRun json = runCli(args << u"--json"_s);
    QCOMPARE(json.exitCode, 2);
    QCOMPARE(QJsonDocument::fromJson(json.out).object().value(u"error"_s).toString(), message);
}

QTEST_GUILESS_MAIN(tst_TopologyCommand)
#include "tst_topologycommand.moc"
