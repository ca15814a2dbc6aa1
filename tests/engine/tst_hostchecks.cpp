// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/hostchecks.h"

#include "ssh/localshell.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::Engine;

namespace {

// A shell whose `date +%s%3N` answers this machine's time plus a fixed skew (or a fixed text).
class SkewedDateShell final : public Ssh::RemoteShell
{
public:
    explicit SkewedDateShell(qint64 skewMs, QString fixedAnswer = {})
        : m_skewMs(skewMs)
        , m_fixed(std::move(fixedAnswer))
    {}
    QString describe() const override { return u"fake"_s; }
    Core::Status connect() override { return {}; }
    void disconnect() override {}
    bool isConnected() const override { return true; }
    Core::Result<Ssh::ExecResult> exec(const QString &command, const Ssh::ExecOptions &) override
    {
        Ssh::ExecResult r;
        if (command.trimmed() != u"date +%s%3N"_s) {
            r.exitCode = 127;
            return r;
        }
        r.exitCode = 0;
        r.stdoutData = m_fixed.isEmpty() ? QByteArray::number(QDateTime::currentMSecsSinceEpoch() + m_skewMs) + '\n'
                                         : m_fixed.toUtf8();
        return r;
    }
    Core::Result<Ssh::UploadResult> upload(const QString &, const QString &, const Ssh::UploadOptions &) override
    {
        return Core::Error(Core::ErrorCode::Internal, u"not in this fake"_s);
    }
    Core::Result<QByteArray> download(const QString &, qint64) override
    {
        return Core::Error(Core::ErrorCode::Internal, u"not in this fake"_s);
    }
    Core::Result<Ssh::FreeSpace> freeSpace(const QString &) override
    {
        return Core::Error(Core::ErrorCode::Internal, u"not in this fake"_s);
    }

private:
    qint64 m_skewMs;
    QString m_fixed;
};

void writeFile(const QString &path, qint64 bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray chunk(4096, 'x');
    for (qint64 left = bytes; left > 0; left -= chunk.size()) {
        f.write(chunk.constData(), qMin<qint64>(left, chunk.size()));
    }
}

} // namespace

class tst_HostChecks final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void zipSizeIsTheSumOfTheEntries();
    void zipSizeRefusesOtherFiles();
    void diskAreasOnALocalHost();
    void diskCheckNamesHostPathFreeAndNeeded_data();
    void diskCheckNamesHostPathFreeAndNeeded();
    void stageDiskOutputIsParsed_data();
    void stageDiskOutputIsParsed();
    void portsOpenAndClosed();
    void verifyStoppedNamesAnOpenPortAndItsNode();
    void clockFromASkewedShell();
    void clockAnswers_data();
    void clockAnswers();
    void clockSpread_data();
    void clockSpread();
    void pluginListingIsParsed();
    void pluginVerdict_data();
    void pluginVerdict();
};

void tst_HostChecks::zipSizeIsTheSumOfTheEntries()
{
    const QString zip = QStandardPaths::findExecutable(u"zip"_s);
    if (zip.isEmpty()) {
        QSKIP("the zip tool is not installed");
    }
    QTemporaryDir dir;
    writeFile(dir.filePath(u"pkg/server/dolphindb"_s), 300000);
    writeFile(dir.filePath(u"pkg/server/lib/libx.so"_s), 12345);
    writeFile(dir.filePath(u"pkg/server/empty"_s), 0);
    QProcess p;
    p.setWorkingDirectory(dir.filePath(u"pkg"_s));
    p.start(zip, {u"-q"_s, u"-r"_s, dir.filePath(u"p.zip"_s), u"server"_s});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const Core::Result<qint64> size = zipUncompressedSize(dir.filePath(u"p.zip"_s));
    QVERIFY2(size.ok(), qPrintable(size.ok() ? QString() : size.error().message));
    QCOMPARE(*size, qint64(300000 + 12345));
    // The compressed file is much smaller (the content repeats): the size is not the file's.
    QVERIFY(QFileInfo(dir.filePath(u"p.zip"_s)).size() < 100000);
}

void tst_HostChecks::zipSizeRefusesOtherFiles()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(u"not.zip"_s), 5000);
    QVERIFY(!zipUncompressedSize(dir.filePath(u"not.zip"_s)).ok());
    QVERIFY(!zipUncompressedSize(dir.filePath(u"missing.zip"_s)).ok());
}

void tst_HostChecks::diskAreasOnALocalHost()
{
    // A real install tree on this machine through LocalShell: the state directory does not
    // exist yet (its nearest ancestor is measured), both share one file system.
    QTemporaryDir dir;
    const QString install = dir.filePath(u"server"_s);
    writeFile(install + u"/dolphindb"_s, 200 * 1024);
    writeFile(install + u"/clusterDemo/data/big"_s, 3 * 1024 * 1024);   // not counted as binaries
    writeFile(dir.filePath(u"meta/CHUNK_METADATA/a"_s), 100 * 1024);
    Ssh::LocalShell shell;
    StageDiskNeeds needs;
    needs.packageBytes = 1000;
    needs.unpackedBytes = 5000;
    needs.metadataDirs << dir.filePath(u"meta/CHUNK_METADATA"_s) << dir.filePath(u"meta/absent"_s);
    needs.marginBytes = 0;
    const Core::Result<QList<DiskArea>> areas = measureStageDisk(shell, install, dir.filePath(u".graystep"_s), needs);
    QVERIFY2(areas.ok(), qPrintable(areas.ok() ? QString() : areas.error().message));
    QCOMPARE(areas->size(), 1);
    const DiskArea &a = areas->first();
    QCOMPARE(a.paths, (QStringList{install, dir.filePath(u".graystep"_s)}));
    QVERIFY(a.freeBytes > 0);
    // binaries (>= 200 KiB, < the 3 MiB of clusterDemo) + 2 x unpacked + package + backup (>= 100 KiB).
    QVERIFY2(a.neededBytes >= 200 * 1024 + 100 * 1024 + 2 * 5000 + 1000, qPrintable(QString::number(a.neededBytes)));
    QVERIFY2(a.neededBytes < 3 * 1024 * 1024, qPrintable(QString::number(a.neededBytes)));
    QVERIFY(checkDiskAreas(u"127.0.80.9"_s, *areas).ok());
    // The same host, with a package larger than the free space: refused, naming it all.
    needs.unpackedBytes = a.freeBytes;
    const Core::Result<QList<DiskArea>> big = measureStageDisk(shell, install, dir.filePath(u".graystep"_s), needs);
    QVERIFY(big.ok());
    const Core::Status refused = checkDiskAreas(u"127.0.80.9"_s, *big);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.contains(u"127.0.80.9"_s), qPrintable(refused.error().message));
    QVERIFY2(refused.error().message.contains(install), qPrintable(refused.error().message));
    QVERIFY2(refused.error().message.contains(u"free %1 B"_s.arg(big->first().freeBytes)),
             qPrintable(refused.error().message));
    QVERIFY2(refused.error().message.contains(u"needed %1 B"_s.arg(big->first().neededBytes)),
             qPrintable(refused.error().message));
}

void tst_HostChecks::diskCheckNamesHostPathFreeAndNeeded_data()
{
    QTest::addColumn<qint64>("installFree");
    QTest::addColumn<qint64>("installNeeded");
    QTest::addColumn<qint64>("stateFree");
    QTest::addColumn<qint64>("stateNeeded");
    QTest::addColumn<QString>("refusedPath");   // empty: passes
    QTest::newRow("both areas have room") << 1000ll << 999ll << 5000ll << 5000ll << QString();
    QTest::newRow("the install directory is short by one byte") << 1000ll << 1001ll << 5000ll << 1ll << u"/opt/ddb/server"_s;
    QTest::newRow("the state directory is full") << 1000ll << 1ll << 0ll << 4096ll << u"/opt/ddb/.graystep"_s;
}

void tst_HostChecks::diskCheckNamesHostPathFreeAndNeeded()
{
    QFETCH(qint64, installFree);
    QFETCH(qint64, installNeeded);
    QFETCH(qint64, stateFree);
    QFETCH(qint64, stateNeeded);
    QFETCH(QString, refusedPath);
    const QList<DiskArea> areas{{{u"/opt/ddb/server"_s}, u"/opt"_s, installFree, installNeeded, {}},
                                {{u"/opt/ddb/.graystep"_s}, u"/var"_s, stateFree, stateNeeded, {}}};
    const Core::Status s = checkDiskAreas(u"10.10.11.2"_s, areas);
    QCOMPARE(s.ok(), refusedPath.isEmpty());
    if (!s.ok()) {
        QVERIFY(s.error().message.contains(u"10.10.11.2"_s));
        QVERIFY2(s.error().message.contains(refusedPath + u" (file system"_s), qPrintable(s.error().message));
        const DiskArea &bad = refusedPath == u"/opt/ddb/server"_s ? areas[0] : areas[1];
        QVERIFY(s.error().message.contains(u"free %1 B"_s.arg(bad.freeBytes)));
        QVERIFY(s.error().message.contains(u"needed %1 B"_s.arg(bad.neededBytes)));
    }
}

void tst_HostChecks::stageDiskOutputIsParsed_data()
{
    // The output of stageDiskScript() for /opt/ddb/server, state /opt/ddb/.graystep, two
    // metadata directories; package 100 MiB, unpacked 300 MiB, no margin.
    QTest::addColumn<QString>("output");
    QTest::addColumn<int>("areas");
    QTest::addColumn<qint64>("installNeeded");   // MiB; -1: an error is expected
    QTest::addColumn<qint64>("binariesMiB");
    QTest::addColumn<QList<qint64>>("metadataKiB");
    const QString oneFs = u"df 0 1048576 /opt\ndf 1 1048576 /opt\ndu meta 0 2048\ndu meta 1 absent\ndu backup 2048\n"
                          "du binaries 204800\n"_s;
    // kept binaries 200 + new binaries 300 + package 100 + unpacked 300 + backup 2.
    QTest::newRow("one file system: the kept old binaries add to package, unpacked package and backup")
        << oneFs << 1 << 902ll << 200ll << QList<qint64>{2048, -1};
    QTest::newRow("two file systems: the kept old binaries count on the install's")
        << u"df 0 1048576 /opt\ndf 1 99999 /var\ndu meta 0 2048\ndu meta 1 1024\ndu backup 3072\ndu binaries 204800\n"_s
        << 2 << 500ll << 200ll << QList<qint64>{2048, 1024};
    QTest::newRow("no binaries line is an error") << u"df 0 1 /\ndf 1 1 /\ndu meta 0 1\ndu meta 1 1\ndu backup 2\n"_s << 0
                                                 << -1ll << 0ll << QList<qint64>{};
    QTest::newRow("a metadata directory not reported is an error")
        << u"df 0 1 /\ndf 1 1 /\ndu meta 0 1\ndu backup 1\ndu binaries 1\n"_s << 0 << -1ll << 0ll << QList<qint64>{};
}

void tst_HostChecks::stageDiskOutputIsParsed()
{
    QFETCH(QString, output);
    QFETCH(int, areas);
    QFETCH(qint64, installNeeded);
    QFETCH(qint64, binariesMiB);
    QFETCH(QList<qint64>, metadataKiB);
    StageDiskNeeds needs;
    needs.packageBytes = 100ll << 20;
    needs.unpackedBytes = 300ll << 20;
    needs.marginBytes = 0;
    needs.metadataDirs = {u"/opt/ddb/server/clusterDemo/data/node43/storage/CHUNK_METADATA"_s, u"/data/absent"_s};
    const auto m = parseStageDisk(output, u"/opt/ddb/server"_s, u"/opt/ddb/.graystep"_s, needs, u"host 10.10.11.2"_s);
    if (installNeeded < 0) {
        QVERIFY(!m.ok());
        QVERIFY2(m.error().message.contains(u"host 10.10.11.2"_s), qPrintable(m.error().message));
        return;
    }
    QVERIFY2(m.ok(), qPrintable(m.ok() ? QString() : m.error().message));
    QCOMPARE(m->areas.size(), areas);
    QCOMPARE(m->areas.first().neededBytes, installNeeded << 20);
    QCOMPARE(m->binariesBytes, binariesMiB << 20);
    QCOMPARE(m->metadataKiB, metadataKiB);
    // The message says what the kept copy is.
    QVERIFY2(m->areas.first().needs.first().startsWith(u"old binaries kept as /opt/ddb/server.bak-<old version>"_s),
             qPrintable(m->areas.first().needs.join(u", "_s)));
}

void tst_HostChecks::portsOpenAndClosed()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress(u"127.0.80.61"_s), 0));
    const quint16 port = server.serverPort();
    Core::ClusterNode node;
    node.alias = u"node43"_s;
    node.host = u"127.0.80.61"_s;
    node.port = port;
    QList<PortProbe> probes = probeNodePorts({node}, 2000);
    QCOMPARE(probes.size(), 1);
    QCOMPARE(probes[0].state, PortProbe::State::Open);
    QVERIFY(probes[0].describe().contains(u"node43 (127.0.80.61:%1): open"_s.arg(port)));
    server.close();
    probes = probeNodePorts({node}, 2000);
    QCOMPARE(probes[0].state, PortProbe::State::Closed);
}

void tst_HostChecks::verifyStoppedNamesAnOpenPortAndItsNode()
{
    QTcpServer stillServing;
    QVERIFY(stillServing.listen(QHostAddress(u"127.0.80.62"_s), 0));
    QTcpServer gone;
    QVERIFY(gone.listen(QHostAddress(u"127.0.80.62"_s), 0));
    const quint16 closedPort = gone.serverPort();
    gone.close();
    Core::ClusterNode a;
    a.alias = u"agent45"_s;
    a.host = u"127.0.80.62"_s;
    a.port = closedPort;
    Core::ClusterNode d;
    d.alias = u"node45"_s;
    d.host = u"127.0.80.62"_s;
    d.port = stillServing.serverPort();
    QVERIFY(verifyPortsClosed(u"h3"_s, {a}, 0).ok());
    const Core::Status s = verifyPortsClosed(u"h3"_s, {a, d}, 300);
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.contains(u"node45 (127.0.80.62:%1): open"_s.arg(d.port)), qPrintable(s.error().message));
    QVERIFY2(!s.error().message.contains(u"agent45"_s), qPrintable(s.error().message));
    QCOMPARE(s.error().where, u"host h3, step verify-stopped"_s);
    // A port that closes within the grace time passes.
    QTimer::singleShot(400, &stillServing, [&stillServing] { stillServing.close(); });
    std::atomic<bool> done{false};
    Core::Status late;
    QThread *worker = QThread::create([&] {
        late = verifyPortsClosed(u"h3"_s, {a, d}, 5000);
        done = true;
    });
    worker->start();
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 10000);
    QVERIFY(worker->wait(1000));
    delete worker;
    QVERIFY2(late.ok(), qPrintable(late.ok() ? QString() : late.error().message));
}

void tst_HostChecks::clockFromASkewedShell()
{
    SkewedDateShell ahead(7000);
    const Core::Result<HostClock> c = sampleHostClock(ahead, u"h2"_s);
    QVERIFY(c.ok());
    QVERIFY2(qAbs(c->offsetMs - 7000) <= c->uncertaintyMs + 5, qPrintable(c->evidence));
    QVERIFY(c->evidence.startsWith(u"h2: "_s));
    SkewedDateShell garbage(0, u"Wed Nov 25\n"_s);
    QVERIFY(!sampleHostClock(garbage, u"h3"_s).ok());
    // Three hosts: two in step, one 7 s ahead -> the spread fails at 5 s, names the hosts.
    SkewedDateShell inStep(0);
    SkewedDateShell inStepToo(20);
    QList<HostClock> clocks{*sampleHostClock(inStep, u"h1"_s), *c, *sampleHostClock(inStepToo, u"h3"_s)};
    const PreflightItem item = clockSpreadItem(clocks, 1000, 5000);
    QCOMPARE(item.verdict, PreflightItem::Verdict::Fail);
    QVERIFY2(item.evidence.contains(u"and h2 (fastest)"_s), qPrintable(item.evidence));
    QVERIFY2(item.evidence.contains(u"h1: "_s) && item.evidence.contains(u"h3: "_s), qPrintable(item.evidence));
    QVERIFY(!item.fixHint.isEmpty());
}

void tst_HostChecks::clockAnswers_data()
{
    // Read at local 1700000000000..1700000000010 ms: the middle is ...005.
    QTest::addColumn<QString>("answer");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("offsetMs");
    QTest::newRow("milliseconds (date +%s%3N)") << u"1700000001005\n"_s << true << 1000ll;
    QTest::newRow("EPOCHREALTIME, microseconds") << u"1700000001.005999"_s << true << 1000ll;
    QTest::newRow("EPOCHREALTIME, decimal comma locale") << u"1700000000,505000"_s << true << 500ll;
    QTest::newRow("date +%s.%N, nanoseconds") << u"1699999999.005000000"_s << true << -1000ll;
    QTest::newRow("one fraction digit is tenths") << u"1700000002.5"_s << true << 2495ll;
    QTest::newRow("seconds alone are ambiguous") << u"1700000000"_s << false << 0ll;
    QTest::newRow("busybox date without %N") << u"1700000000%3N"_s << false << 0ll;
    QTest::newRow("a date in words") << u"Wed Nov 25 21:00:00 UTC 2026"_s << false << 0ll;
    QTest::newRow("empty") << QString() << false << 0ll;
    QTest::newRow("too many digits (no overflow)") << u"99999999999999999999"_s << false << 0ll;
    QTest::newRow("milliseconds with a fraction") << u"1700000000005.5"_s << false << 0ll;
}

void tst_HostChecks::clockAnswers()
{
    QFETCH(QString, answer);
    QFETCH(bool, ok);
    QFETCH(qint64, offsetMs);
    const Core::Result<HostClock> c = hostClockFromDate(u"h1"_s, answer, 1700000000000ll, 1700000000010ll);
    QCOMPARE(c.ok(), ok);
    if (ok) {
        QCOMPARE(c->offsetMs, offsetMs);
        QCOMPARE(c->uncertaintyMs, 5ll);
    } else {
        QVERIFY2(c.error().message.contains(u"h1"_s), qPrintable(c.error().message));
    }
}

void tst_HostChecks::clockSpread_data()
{
    QTest::addColumn<QList<qint64>>("offsets");
    QTest::addColumn<qint64>("uncertainty");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<qint64>("spread");
    using V = PreflightItem::Verdict;
    QTest::newRow("one host has nothing to compare") << QList<qint64>{50000} << 0ll << int(V::Pass) << -1ll;
    QTest::newRow("hosts within a second pass") << QList<qint64>{-300, 200, 400} << 5ll << int(V::Pass) << 700ll;
    QTest::newRow("all hosts equally far from this machine pass") << QList<qint64>{9000, 9000, 9000} << 5ll << int(V::Pass)
                                                                << 0ll;
    QTest::newRow("a spread above the warn limit warns") << QList<qint64>{0, 2500, 100} << 5ll << int(V::Warn) << 2500ll;
    QTest::newRow("a spread above the fail limit fails") << QList<qint64>{-20000, 20000} << 5ll << int(V::Fail) << 40000ll;
    QTest::newRow("a spread within the measurement uncertainty passes")
        << QList<qint64>{0, 1500} << 300ll << int(V::Pass) << 1500ll;
    // The last offset stands for a host whose clock was not read (-1 in "unread" below).
    QTest::newRow("two hosts in step and one unread host is no verdict: fails naming it")
        << QList<qint64>{0, 10, -1} << 5ll << int(V::Fail) << -2ll;
    QTest::newRow("one host read and one unread fails") << QList<qint64>{0, -1} << 5ll << int(V::Fail) << -2ll;
}

void tst_HostChecks::clockSpread()
{
    QFETCH(QList<qint64>, offsets);
    QFETCH(qint64, uncertainty);
    QFETCH(int, verdict);
    QFETCH(qint64, spread);
    QList<HostClock> clocks;
    QMap<QString, QString> unread;
    for (int i = 0; i < offsets.size(); ++i) {
        const QString host = u"10.10.11.%1"_s.arg(i + 1);
        if (spread == -2 && i == offsets.size() - 1) {
            unread.insert(host, u"no answer within 4000 ms"_s);
            continue;
        }
        clocks << HostClock{host, offsets[i], uncertainty, u"%1: %2 ms"_s.arg(host).arg(offsets[i])};
    }
    const PreflightItem item = clockSpreadItem(clocks, 1000, 30000, unread);
    QCOMPARE(item.id, u"clock-spread"_s);
    QCOMPARE(int(item.verdict), verdict);
    if (spread == -2) {
        const QString missing = unread.firstKey();
        QVERIFY2(item.evidence.contains(u"no clock reading from %1 (no answer within 4000 ms)"_s.arg(missing)),
                 qPrintable(item.evidence));
        QVERIFY2(!item.evidence.startsWith(u"spread"_s), qPrintable(item.evidence));
    }
    if (spread >= 0) {
        QVERIFY2(item.evidence.startsWith(u"spread %1 ms"_s.arg(spread)), qPrintable(item.evidence));
        for (const HostClock &c : clocks) {
            QVERIFY(item.evidence.contains(c.evidence));
        }
    }
}

void tst_HostChecks::pluginListingIsParsed()
{
    const QString listing = u"plugins/mysql/PluginMySQL.txt\tmysql,libPluginMySQL.so,2.00.8\n"
                            "plugins/mysql/README.txt\tThe MySQL plugin\n"
                            "plugins/odbc/odbc.cfg\todbc,libODBC.so\n"
                            "plugins/zip/PluginZip.txt\t zip , libPluginZip.so , 2.00.7.4\n"
                            "plugins/notes/notes.txt\tsome notes, not a plugin\n"
                            "plugins/win/PluginWin.txt\twin,libPluginWin.dll,2.00.8\r\n"_s;
    const QList<InstalledPlugin> p = parsePluginListing(listing);
    QCOMPARE(p.size(), 4);
    QCOMPARE(p.at(0).directory, u"mysql"_s);
    QCOMPARE(p.at(0).name, u"mysql"_s);
    QCOMPARE(p.at(0).version, u"2.00.8"_s);
    QCOMPARE(p.at(1).directory, u"odbc"_s);
    QCOMPARE(p.at(1).version, QString());
    QCOMPARE(p.at(2).directory, u"win"_s);
    QCOMPARE(p.at(3).name, u"zip"_s);
    QCOMPARE(p.at(3).version, u"2.00.7.4"_s);
    QVERIFY(parsePluginListing(QString()).isEmpty());
    QCOMPARE(preloadedPlugins(u"plugins::mysql, plugins::ODBC,modules::ta,plugins::"_s), (QStringList{u"mysql"_s, u"odbc"_s}));
    QVERIFY(preloadedPlugins(QString()).isEmpty());
}

void tst_HostChecks::pluginVerdict_data()
{
    QTest::addColumn<QString>("listing");
    QTest::addColumn<QStringList>("packageDirs");
    QTest::addColumn<QString>("preloaded");   // "plugin=alias,alias"
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QStringList>("evidence"); // each must appear
    using V = PreflightItem::Verdict;
    const QString mysql7 = u"plugins/mysql/PluginMySQL.txt\tmysql,libPluginMySQL.so,2.00.7\n"_s;
    const QString mysql8 = u"plugins/mysql/PluginMySQL.txt\tmysql,libPluginMySQL.so,2.00.8.3\n"_s;
    const QString odbcOld = u"plugins/odbc/odbc.cfg\todbc,libODBC.so\n"_s;
    QTest::newRow("no plugins") << QString() << QStringList() << QString() << int(V::Pass) << QStringList{u"no plugin in"_s};
    QTest::newRow("a build of the target's 2.00.8 passes") << mysql8 << QStringList() << u"mysql=node44"_s << int(V::Pass)
                                                             << QStringList{u"mysql 2.00.8.3: matches, preloaded by node44"_s};
    QTest::newRow("an old build warns") << mysql7 << QStringList() << QString() << int(V::Warn)
                                        << QStringList{u"mysql 2.00.7: does not match 2.00.8"_s};
    QTest::newRow("an old build a node preloads fails") << mysql7 << QStringList() << u"mysql=node44,node47"_s << int(V::Fail)
                                                        << QStringList{u"preloaded by node44, node47"_s, u"does not start"_s};
    QTest::newRow("the package brings its own build") << mysql7 << QStringList{u"mysql"_s} << u"mysql=node44"_s << int(V::Pass)
                                                      << QStringList{u"the package brings its own"_s};
    QTest::newRow("no version in the descriptor cannot be shown to match") << odbcOld << QStringList() << QString()
                                                                          << int(V::Warn) << QStringList{u"odbc (no version)"_s};
    QTest::newRow("one stale preloaded among good ones fails") << mysql8 + odbcOld << QStringList() << u"odbc=node45"_s
                                                               << int(V::Fail)
                                                               << QStringList{u"mysql 2.00.8.3: matches"_s, u"into /d/server/plugins"_s};
}

void tst_HostChecks::pluginVerdict()
{
    QFETCH(QString, listing);
    QFETCH(QStringList, packageDirs);
    QFETCH(QString, preloaded);
    QFETCH(int, verdict);
    QFETCH(QStringList, evidence);
    QMap<QString, QStringList> by;
    if (!preloaded.isEmpty()) {
        by.insert(preloaded.section(u'=', 0, 0), preloaded.section(u'=', 1).split(u','));
    }
    const PreflightItem item = pluginItem(u"10.10.11.2"_s, u"/d/server"_s, parsePluginListing(listing), packageDirs, by,
                                          u"2.00.8.12"_s);
    QCOMPARE(item.id, u"plugins:10.10.11.2"_s);
    QCOMPARE(int(item.verdict), verdict);
    const QString all = item.evidence + u" | "_s + item.fixHint;
    for (const QString &e : evidence) {
        QVERIFY2(all.contains(e), qPrintable(all));
    }
    QCOMPARE(item.fixHint.isEmpty(), verdict == int(PreflightItem::Verdict::Pass));
}

QTEST_GUILESS_MAIN(tst_HostChecks)
#include "tst_hostchecks.moc"
