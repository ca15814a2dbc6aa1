// SPDX-License-Identifier: GPL-3.0-or-later
// runContinuityCheck against a loopback replay server (127.0.60.4) serving a table through
// the continuity reads: result, series, progress, cancel, refused connection.
#include "engine/continuitycheck.h"
#include "support/ddbreplayserver.h"

#include <QFutureWatcher>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QThreadPool>

using namespace GrayStep::Engine;
using namespace GrayStep::DolphinDb;
using namespace Qt::Literals::StringLiterals;
using GrayStep::Test::DdbReplayReply;
using GrayStep::Test::DdbReplayServer;

namespace {

constexpr qint64 T0 = 1673343000000;

DdbReplayReply serve(const DdbRequest &r, const std::vector<qint32> &ids, int delayMs)
{
    static const QRegularExpression stats(u"^select count\\(\\*\\) as rows, min\\(id\\) as minId, max\\(id\\) as maxId"_s);
    static const QRegularExpression page(u"where id >= (-?\\d+) and id <= (-?\\d+)$"_s);
    if (stats.match(r.script).hasMatch()) {
        return DdbReplayReply::value(*DdbValue::table(
            {u"rows"_s, u"minId"_s, u"maxId"_s},
            {DdbVector::int64s(DataType::Long, {qint64(ids.size())}),
             DdbVector::int32s(DataType::Int, {*std::min_element(ids.begin(), ids.end())}),
             DdbVector::int32s(DataType::Int, {*std::max_element(ids.begin(), ids.end())})}));
    }
    if (const auto m = page.match(r.script); m.hasMatch()) {
        QList<qint32> i;
        QList<qint64> t;
        for (qint32 id : ids) {
            if (id >= m.captured(1).toLongLong() && id <= m.captured(2).toLongLong()) {
                i << id;
                t << T0 + id * 100;
            }
        }
        DdbReplayReply reply = DdbReplayReply::value(*DdbValue::table(
            {u"id"_s, u"time"_s}, {DdbVector::int32s(DataType::Int, i), DdbVector::int64s(DataType::Timestamp, t)}));
        reply.delayMs = delayMs;
        return reply;
    }
    return DdbReplayReply::error(u"Syntax Error: [line #1] "_s + r.script);
}

ContinuityCheckRequest requestFor(const DdbSite &site)
{
    ContinuityCheckRequest request;
    request.site = site;
    request.credentials = DdbCredentials{QString(), QString()};
    request.table = ContinuityTableRef::parse(u"dfs://stock/stock"_s, u"id"_s, u"time"_s).value();
    request.pageRows = 10;
    return request;
}

} // namespace

class tst_ContinuityCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void readsAnalysesAndBuildsTheSeries();
    void cancelStopsBetweenPages();
    void refusedConnectionIsAnError();

private:
    std::unique_ptr<DdbReplayServer> m_server;
    std::vector<qint32> m_ids;
    int m_delayMs = 0;
    QThreadPool m_pool;
};

void tst_ContinuityCheck::init()
{
    m_ids.clear();
    for (qint32 id = 1; id <= 100; ++id) {
        if (id != 42) {
            m_ids.push_back(id);
        }
    }
    m_delayMs = 0;
    m_server = std::make_unique<DdbReplayServer>();
    QVERIFY(m_server->listen(QHostAddress(u"127.0.60.4"_s)));
    m_server->setFallback([this](const DdbRequest &r) { return serve(r, m_ids, m_delayMs); });
}

void tst_ContinuityCheck::cleanup()
{
    m_pool.waitForDone();
    m_server.reset();
}

void tst_ContinuityCheck::readsAnalysesAndBuildsTheSeries()
{
    ContinuityCheckRequest request = requestFor(m_server->site());
    request.hasWriterLog = true;
    for (qint64 id = 1; id <= 100; ++id) {
        request.attempts.push_back(WriterAttempt{id, T0 + id * 100, T0 + id * 100 + 4, AttemptOutcome::Acknowledged, 0});
    }
    request.windows = {HostWindow{u"127.0.60.4"_s, T0 + 4000, T0 + 5000}};
    auto future = runContinuityCheck(&m_pool, request);
    QFutureWatcher<GrayStep::Core::Result<ContinuityCheckResult>> watcher;
    QSignalSpy finished(&watcher, &QFutureWatcherBase::finished);
    QSignalSpy progress(&watcher, &QFutureWatcherBase::progressValueChanged);
    watcher.setFuture(future);
    QVERIFY(finished.wait(20000));
    const auto result = future.result();
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().toString()));
    const ContinuityReport &report = result->report;
    QCOMPARE(report.rows, 99);
    QCOMPARE(report.findings.size(), 1);
    QCOMPARE(report.findings.at(0).kind, FindingKind::Lost);
    QCOMPARE(report.findings.at(0).firstId, 42);
    QCOMPARE(report.findings.at(0).window, 0);
    QVERIFY(result->requests > 5);
    QVERIFY(result->series);
    const DecimatedSeries d = result->series->decimate(T0, T0 + 11000, 110);
    QCOMPARE(d.markers.size(), size_t(1));
    QCOMPARE(d.markers.front().firstPixel, 42);
    QCOMPARE(future.progressValue(), 1000);
}

void tst_ContinuityCheck::cancelStopsBetweenPages()
{
    m_delayMs = 100;  // each page takes a while
    auto future = runContinuityCheck(&m_pool, requestFor(m_server->site()));
    QTRY_VERIFY_WITH_TIMEOUT(future.progressValue() > 0, 20000);
    future.cancel();
    // Keep this thread's event loop (the replay server) running while the task winds down.
    QTRY_VERIFY_WITH_TIMEOUT(future.isFinished(), 20000);
    // A cancelled QFuture may hold the error result or none; either way no report.
    if (future.resultCount() > 0) {
        QVERIFY(!future.resultAt(0).ok());
        QCOMPARE(future.resultAt(0).error().code, GrayStep::Core::ErrorCode::Cancelled);
    }
    int pages = 0;
    for (const auto &r : m_server->received()) {
        pages += r.key.contains(u"where id >="_s) ? 1 : 0;
    }
    QVERIFY2(pages < 10, qPrintable(u"%1 pages read after cancel"_s.arg(pages)));
}

void tst_ContinuityCheck::refusedConnectionIsAnError()
{
    auto future = runContinuityCheck(&m_pool, requestFor(DdbSite{u"127.0.60.9"_s, 1, {}}));
    QTRY_VERIFY_WITH_TIMEOUT(future.isFinished(), 20000);
    QCOMPARE(future.resultCount(), 1);
    QVERIFY(!future.result().ok());
    QCOMPARE(future.result().error().code, GrayStep::Core::ErrorCode::Network);
}

QTEST_GUILESS_MAIN(tst_ContinuityCheck)
#include "tst_continuitycheck.moc"
