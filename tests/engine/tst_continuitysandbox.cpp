// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in writer against the sandbox: a 3-host emulated cluster (ddbsim processes on
// 127.0.60.11-13). The data node the writer talks to is killed mid-run: the writer fails
// over, every attempt is classified, every acknowledged row is read back. A reply lost after
// the node applied an append makes the HA session resend it: the duplicate is found.
#include "dolphindb/scripts.h"
#include "engine/continuityanalyzer.h"
#include "engine/continuityreader.h"
#include "engine/continuityseries.h"
#include "engine/ddbwritertransport.h"
#include "engine/writerlog.h"
#include "engine/writerprobe.h"
#include "support/simclient.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace GrayStep;
using namespace GrayStep::Engine;
using namespace GrayStep::DolphinDb;
using namespace Qt::Literals::StringLiterals;

namespace {

const DdbCredentials ADMIN{u"admin"_s, u"123456"_s};

bool waitForState(WriterProbe &probe, WriterProbe::State state, int timeoutMs = 60000)
{
    QElapsedTimer t;
    t.start();
    QSignalSpy spy(&probe, &WriterProbe::stateChanged);
    while (probe.state() != state && t.elapsed() < timeoutMs) {
        spy.wait(100);
    }
    return probe.state() == state;
}

DdbHaSettings fastHa()
{
    DdbHaSettings ha;
    ha.failoverTimeoutMs = 20000;
    ha.retryPauseMs = 50;
    ha.roundPauseMs = 200;
    ha.connection.connectTimeoutMs = 3000;
    ha.connection.requestTimeoutMs = 10000;
    return ha;
}

// A TCP relay in front of one node that, once armed, lets the next tableInsert through to
// the node and then drops the connection instead of passing the node's reply back.
class ReplyDroppingRelay final : public QObject
{
public:
    ReplyDroppingRelay(const QString &address, const QString &targetHost, quint16 targetPort)
        : m_targetHost(targetHost)
        , m_targetPort(targetPort)
    {
        m_server.listen(QHostAddress(address));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server.nextPendingConnection()) {
                relay(client);
            }
        });
    }
    DdbSite site() const { return DdbSite{m_server.serverAddress().toString(), m_server.serverPort(), {}}; }
    void arm(int nthInsert) { m_dropAt = nthInsert; }
    int dropped() const { return m_dropped; }

private:
    void relay(QTcpSocket *client)
    {
        auto *node = new QTcpSocket(client);
        auto pendingDrop = std::make_shared<bool>(false);
        auto early = std::make_shared<QByteArray>();  // bytes that came before the node connected
        connect(node, &QTcpSocket::connected, node, [node, early] {
            node->write(*early);
            early->clear();
        });
        node->connectToHost(m_targetHost, m_targetPort);
        connect(client, &QTcpSocket::readyRead, node, [this, client, node, pendingDrop, early] {
            const QByteArray bytes = client->readAll();
            if (bytes.contains("tableInsert") && ++m_inserts == m_dropAt) {
                *pendingDrop = true;
            }
            if (node->state() == QAbstractSocket::ConnectedState) {
                node->write(bytes);
            } else {
                early->append(bytes);
            }
        });
        connect(node, &QTcpSocket::readyRead, client, [this, client, node, pendingDrop] {
            const QByteArray bytes = node->readAll();
            if (*pendingDrop) {
                ++m_dropped;  // the node applied the append; its reply never arrives
                client->abort();
                return;
            }
            client->write(bytes);
        });
        connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
        connect(node, &QTcpSocket::disconnected, client, [client] { client->disconnectFromHost(); });
    }

    QTcpServer m_server;
    QString m_targetHost;
    quint16 m_targetPort;
    int m_inserts = 0;
    int m_dropAt = -1;
    int m_dropped = 0;
};

struct ReadBack
{
    ContinuityColumns columns;
    Core::Status status;
};

ReadBack readBack(const QString &host, const QString &table)
{
    ReadBack r;
    DdbBlockingConnection connection;
    r.status = connection.open(DdbSite{host, 8922, {}}, ADMIN);
    if (!r.status) {
        return r;
    }
    const auto ref = ContinuityTableRef::parse(u"dfs://graystep/"_s + table, u"id"_s, u"time"_s);
    auto columns = readContinuityColumns([&](const QString &s) { return connection.run(s); }, *ref, 1000);
    if (!columns) {
        r.status = columns.error();
        return r;
    }
    r.columns = std::move(columns).value();
    return r;
}

} // namespace

class tst_ContinuitySandbox : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void writerKeepsAThousandRowsPerSecond();
    void longIdsPastTwoToTheThirtyOne();
    void writerFailsOverWhenItsDataNodeIsKilled();
    void aResentAppliedAppendIsFoundAsADuplicate();
    void nullIdRowsAreReadWithTheirTimes();

private:
    Test::SimCluster m_cluster{3, u"127.0.60."_s, 11};
};

void tst_ContinuitySandbox::initTestCase()
{
    QVERIFY(m_cluster.isValid());
    const auto st = m_cluster.layout();
    QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().toString()));
    const auto started = m_cluster.startAll();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().toString()));
}

void tst_ContinuitySandbox::cleanupTestCase()
{
    m_cluster.killAll();
}

void tst_ContinuitySandbox::writerKeepsAThousandRowsPerSecond()
{
    // A node takes a few hundred single-row appends per second: at 1000 rows/s the writer
    // batches (one tableInsert per 20 ms tick), every row still its own attempt.
    QList<DdbSite> sites;
    for (int i = 1; i <= 3; ++i) {
        sites << DdbSite{m_cluster.host(i), 8922, u"node%1"_s.arg(i)};
    }
    const DdbHaSettings ha = fastHa();
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites, ha] { return std::make_unique<DdbWriterTransport>(sites, ADMIN, ha); }, &log);
    WriterSettings s;
    s.database = u"dfs://graystep"_s;
    s.table = u"fast"_s;
    s.rowsPerSecond = 1000;
    s.maxRows = 4000;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped, 90000));
    const auto attempts = log.attempts();
    QCOMPARE(attempts.size(), size_t(4000));
    for (const WriterAttempt &a : attempts) {
        QCOMPARE(a.id, qint64(&a - attempts.data()) + 1);
    }
    // The rate the rows went out at: from the first send to the last send, plus one tick for
    // the last batch (rows are sent at the start of their tick).
    const qint64 spanMs = attempts.back().sendMs - attempts.front().sendMs + 20;
    const double achieved = 4000.0 * 1000.0 / double(std::max<qint64>(1, spanMs));
    qInfo("1000 rows/s asked: %.1f rows/s achieved over %lld ms", achieved, qlonglong(spanMs));
    QVERIFY2(achieved >= 950 && achieved <= 1050, qPrintable(u"achieved %1 rows/s"_s.arg(achieved)));

    const ReadBack back = readBack(m_cluster.host(2), s.table);
    QVERIFY2(back.status.ok(), qPrintable(back.status.ok() ? QString() : back.status.error().toString()));
    ContinuityInput in;
    in.ids = back.columns.ids;
    in.times = back.columns.times;
    in.attempts = attempts;
    in.hasWriterLog = true;
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    qInfo("%s", qPrintable(continuityReportToText(report, {}, log.nodes())));
    QCOMPARE(report.attempts, 4000);
    QCOMPARE(report.acknowledged + report.failed + report.indeterminate, 4000);
    QCOMPARE(report.total(FindingKind::Recovered) + report.total(FindingKind::NeverWritten), report.indeterminate);
    QCOMPARE(report.total(FindingKind::Lost), 0);
    QCOMPARE(report.total(FindingKind::Duplicate), 0);
}

void tst_ContinuitySandbox::longIdsPastTwoToTheThirtyOne()
{
    // The writer creates a LONG id column and writes across 2^31; log, reader and analyzer
    // keep the ids exact.
    const QList<DdbSite> sites{DdbSite{m_cluster.host(3), 8922, u"node3"_s}};
    const DdbHaSettings ha = fastHa();
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites, ha] { return std::make_unique<DdbWriterTransport>(sites, ADMIN, ha); }, &log);
    WriterSettings s;
    s.database = u"dfs://graystep"_s;
    s.table = u"longids"_s;
    s.idType = WriterIdType::Long;
    s.firstId = (qint64(1) << 31) - 10;
    s.rowsPerSecond = 200;
    s.maxRows = 40;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped, 60000));
    const auto attempts = log.attempts();
    QCOMPARE(attempts.size(), size_t(40));
    QCOMPARE(attempts.back().id, (qint64(1) << 31) + 29);

    const ReadBack back = readBack(m_cluster.host(3), s.table);
    QVERIFY2(back.status.ok(), qPrintable(back.status.ok() ? QString() : back.status.error().toString()));
    ContinuityInput in;
    in.ids = back.columns.ids;
    in.times = back.columns.times;
    in.attempts = attempts;
    in.hasWriterLog = true;
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    QCOMPARE(report.acknowledged, 40);
    QCOMPARE(report.rows, 40);
    QCOMPARE(report.minId, (qint64(1) << 31) - 10);
    QCOMPARE(report.maxId, (qint64(1) << 31) + 29);
    QCOMPARE(report.total(FindingKind::Lost), 0);
    QCOMPARE(report.total(FindingKind::MissingIds), 0);
    // The chart's series carries every attempt of the LONG-id run.
    const ContinuitySeries series(report, attempts);
    const DecimatedSeries view = series.decimate(series.startMs(), series.endMs(), 50);
    quint32 charted = 0;
    for (const SeriesPixel &p : view.pixels) {
        charted += p.attempts;
    }
    QCOMPARE(charted, quint32(40));
}

void tst_ContinuitySandbox::writerFailsOverWhenItsDataNodeIsKilled()
{
    QList<DdbSite> sites;
    for (int i = 1; i <= 3; ++i) {
        sites << DdbSite{m_cluster.host(i), 8922, u"node%1"_s.arg(i)};
    }
    const DdbHaSettings ha = fastHa();
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites, ha] { return std::make_unique<DdbWriterTransport>(sites, ADMIN, ha); }, &log);
    WriterSettings s;
    s.database = u"dfs://graystep"_s;
    s.table = u"failover"_s;
    s.rowsPerSecond = 50;
    s.maxRows = 150;
    probe.start(s);
    QTRY_VERIFY_WITH_TIMEOUT(log.attemptCount() >= 40, 30000);

    // Kill the data node that answered the last append.
    const auto before = log.attempts();
    const QString victim = log.nodes().value(before.back().node);
    int victimHost = 0;
    for (int i = 1; i <= 3; ++i) {
        if (victim == u"%1:8922"_s.arg(m_cluster.host(i))) {
            victimHost = i;
        }
    }
    QVERIFY2(victimHost > 0, qPrintable(victim));
    m_cluster.kill(victimHost, u"node%1"_s.arg(victimHost));
    const qint64 killedAt = before.back().id;
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped, 90000));

    const auto attempts = log.attempts();
    QCOMPARE(attempts.size(), size_t(150));
    QStringList nodesAfter;
    for (const WriterAttempt &a : attempts) {
        QCOMPARE(a.id, qint64(&a - attempts.data()) + 1);  // every id attempted once, in order
        if (a.id > killedAt + 5 && a.outcome == AttemptOutcome::Acknowledged) {
            nodesAfter << log.nodes().value(a.node);
        }
    }
    QVERIFY2(!nodesAfter.isEmpty(), "no acknowledged append after the kill");
    QVERIFY2(!nodesAfter.contains(victim), "acknowledged by the killed node");

    const int survivor = victimHost % 3 + 1;
    const ReadBack back = readBack(m_cluster.host(survivor), s.table);
    QVERIFY2(back.status.ok(), qPrintable(back.status.ok() ? QString() : back.status.error().toString()));
    ContinuityInput in;
    in.ids = back.columns.ids;
    in.times = back.columns.times;
    in.attempts = attempts;
    in.hasWriterLog = true;
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    qInfo("%s", qPrintable(continuityReportToText(report, {}, log.nodes())));
    QCOMPARE(report.attempts, 150);
    QCOMPARE(report.acknowledged + report.failed + report.indeterminate, 150);
    QCOMPARE(report.total(FindingKind::Lost), 0);  // every acknowledged row is in the table
    QVERIFY(report.acknowledged >= 100);
    QCOMPARE(report.total(FindingKind::MissingIds), 0);
}

void tst_ContinuitySandbox::aResentAppliedAppendIsFoundAsADuplicate()
{
    // Two live data nodes (the previous test killed one): the writer's first site is a relay
    // to the first that loses the reply of the 10th append; the second is the other node.
    QList<int> live;
    for (int i = 1; i <= 3; ++i) {
        if (Test::runOnce(m_cluster.host(i), 8922, u"1+1"_s).ok()) {
            live << i;
        }
    }
    QVERIFY2(live.size() >= 2, "two live data nodes are needed");
    ReplyDroppingRelay relay(u"127.0.60.20"_s, m_cluster.host(live.at(0)), 8922);
    relay.arm(10);
    const int up = live.at(1);
    const QList<DdbSite> sites{relay.site(), DdbSite{m_cluster.host(up), 8922, {}}};
    const DdbHaSettings ha = fastHa();  // ResendPolicy::Always, like the official clients
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites, ha] { return std::make_unique<DdbWriterTransport>(sites, ADMIN, ha); }, &log);
    WriterSettings s;
    s.database = u"dfs://graystep"_s;
    s.table = u"resend"_s;
    s.rowsPerSecond = 50;
    s.maxRows = 20;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped, 60000));
    QCOMPARE(relay.dropped(), 1);
    const auto attempts = log.attempts();
    QCOMPARE(attempts.size(), size_t(20));
    QCOMPARE(attempts[9].outcome, AttemptOutcome::Acknowledged);  // acknowledged by the resend

    const ReadBack back = readBack(m_cluster.host(up), s.table);
    QVERIFY2(back.status.ok(), qPrintable(back.status.ok() ? QString() : back.status.error().toString()));
    ContinuityInput in;
    in.ids = back.columns.ids;
    in.times = back.columns.times;
    in.attempts = attempts;
    in.hasWriterLog = true;
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    qInfo("%s", qPrintable(continuityReportToText(report, {}, log.nodes())));
    const auto duplicates = report.findingsOf(FindingKind::Duplicate);
    QCOMPARE(duplicates.size(), 1);
    QCOMPARE(duplicates.at(0).firstId, 10);
    QCOMPARE(duplicates.at(0).count, 1);
    QCOMPARE(report.total(FindingKind::Lost), 0);
}

void tst_ContinuitySandbox::nullIdRowsAreReadWithTheirTimes()
{
    // The id-range pages cannot reach a row whose id is null: the reader counts it and asks
    // the node for its time (the catalog's nullIdTimes), so the finding says when it was written.
    QList<int> live;
    for (int i = 1; i <= 3; ++i) {
        if (Test::runOnce(m_cluster.host(i), 8922, u"1+1"_s).ok()) {
            live << i;
        }
    }
    QVERIFY(!live.isEmpty());
    const QString host = m_cluster.host(live.first());
    const QList<DdbSite> sites{DdbSite{host, 8922, {}}};
    const DdbHaSettings ha = fastHa();
    WriterLog log;
    log.openInMemory();
    WriterProbe probe([sites, ha] { return std::make_unique<DdbWriterTransport>(sites, ADMIN, ha); }, &log);
    WriterSettings s;
    s.database = u"dfs://graystep"_s;
    s.table = u"nullids"_s;
    s.rowsPerSecond = 50;
    s.maxRows = 5;
    probe.start(s);
    QVERIFY(waitForState(probe, WriterProbe::State::Stopped, 60000));
    const qint64 nullTime = log.attempts().back().sendMs + 1000;
    {
        DdbBlockingConnection c;
        QVERIFY(c.open(DdbSite{host, 8922, {}}, ADMIN).ok());
        const auto row = DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                                         {DdbVector::int64s(DataType::Timestamp, {nullTime}),
                                          DdbVector::strings(DataType::Symbol, {u"graystep"_s}),
                                          DdbVector::int32s(DataType::Int, {NULL_INT})});
        QVERIFY(row.ok());
        const auto inserted = c.call(*Scripts::tableInsertFunction(s.database, s.table), {*row});
        QVERIFY2(inserted.ok(), qPrintable(inserted.ok() ? QString() : inserted.error().toString()));
    }
    const ReadBack back = readBack(host, s.table);
    QVERIFY2(back.status.ok(), qPrintable(back.status.ok() ? QString() : back.status.error().toString()));
    QCOMPARE(back.columns.nullIdRows, 1);
    QCOMPARE(back.columns.nullIdStartMs, nullTime);
    QCOMPARE(back.columns.nullIdEndMs, nullTime);
    ContinuityInput in = back.columns.input();
    const auto attempts = log.attempts();
    in.attempts = attempts;
    in.hasWriterLog = true;
    const ContinuityReport report = ContinuityAnalyzer().analyze(in);
    const auto nulls = report.findingsOf(FindingKind::NullId);
    QCOMPARE(nulls.size(), 1);
    QCOMPARE(nulls.at(0).startMs, nullTime);
    QCOMPARE(report.total(FindingKind::Lost), 0);
}

QTEST_GUILESS_MAIN(tst_ContinuitySandbox)
#include "tst_continuitysandbox.moc"
