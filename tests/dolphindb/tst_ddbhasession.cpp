// SPDX-License-Identifier: GPL-3.0-or-later
// DdbHaSession against three loopback replay servers (127.0.20.1-3): failover, NotLeader
// redirect, clientId/seqNo resend, acknowledged / failed / indeterminate outcomes.
#include "dolphindb/ddbhasession.h"
#include "support/ddbreplayserver.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::DolphinDb;
using GrayStep::Test::DdbReplayReply;
using GrayStep::Test::DdbReplayServer;

namespace {

const QString APPEND = u"tableInsert{loadTable('dfs://stock','stock')}"_s;
const QString KEY = u"function:"_s + APPEND;

DdbReplayReply versionReply(const char *version)
{
    return DdbReplayReply::raw(DdbReplayServer::SESSION_ID + " 1 1\nOK\n" + QByteArray::fromHex("1200") + version + '\0');
}

DdbReplayReply intReply(qint32 v)
{
    return DdbReplayReply::value(DdbValue::int32(v));
}

DdbValue rows()
{
    return *DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                            {DdbVector::int64s(DataType::Timestamp, {1672531200000LL}),
                             DdbVector::symbols({u"Apple"_s}), DdbVector::int32s(DataType::Int, {1})});
}

DdbHaResult waitResult(DdbHaSession &s, quint64 id, int timeoutMs = 10000)
{
    QSignalSpy spy(&s, &DdbHaSession::finished);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        for (const auto &args : std::as_const(spy)) {
            const auto r = args.first().value<DdbHaResult>();
            if (r.id == id) {
                return r;
            }
        }
        spy.wait(200);
    }
    DdbHaResult none;
    none.error = Core::Error(Core::ErrorCode::Internal, u"test: no result"_s);
    return none;
}

} // namespace

class tst_DdbHaSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void tagsAreRecognised_data();
    void tagsAreRecognised();
    void acknowledgedOnTheFirstSite();
    void connectionLossResendsWithNegativeSeqOnTheNextSite();
    void notLeaderRedirectsToTheNamedLeader();
    void untaggedServerErrorFailsWithoutResend();
    void indeterminateWhenResendIsNotAllowed();
    void oldServerWithoutClientIdMayDuplicate();
    void onlyWithClientIdPolicyKeepsOldServersIndeterminate();
    void unreachableSiteIsSkipped();
    void uninitializedNodeIsSkipped();
    void allSitesDownFailsAfterTheTimeout();
    void cancelOfARunningRequestIsIndeterminate();
    void blockingFacade();

private:
    DdbHaSession *makeSession(const DdbHaSettings &settings = fastSettings());
    static DdbHaSettings fastSettings()
    {
        DdbHaSettings s;
        s.retryPauseMs = 20;
        s.roundPauseMs = 50;
        s.failoverTimeoutMs = 3000;
        s.connection.connectTimeoutMs = 1000;
        s.connection.requestTimeoutMs = 2000;
        return s;
    }

    std::unique_ptr<DdbReplayServer> m_a;
    std::unique_ptr<DdbReplayServer> m_b;
    std::unique_ptr<DdbReplayServer> m_c;
    std::unique_ptr<DdbHaSession> m_session;
};

void tst_DdbHaSession::init()
{
    m_a = std::make_unique<DdbReplayServer>();
    m_b = std::make_unique<DdbReplayServer>();
    m_c = std::make_unique<DdbReplayServer>();
    QVERIFY(m_a->listen(QHostAddress(u"127.0.20.1"_s)));
    QVERIFY(m_b->listen(QHostAddress(u"127.0.20.2"_s)));
    QVERIFY(m_c->listen(QHostAddress(u"127.0.20.3"_s)));
    for (DdbReplayServer *s : {m_a.get(), m_b.get(), m_c.get()}) {
        s->on(u"function:version"_s, versionReply("2.00.9.2 2023.03.10"));
    }
}

void tst_DdbHaSession::cleanup()
{
    m_session.reset();
    m_a.reset();
    m_b.reset();
    m_c.reset();
}

DdbHaSession *tst_DdbHaSession::makeSession(const DdbHaSettings &settings)
{
    m_session = std::make_unique<DdbHaSession>();
    m_session->setSites({m_a->site(), m_b->site()});
    DdbCredentials c;
    c.user = u"admin"_s;
    c.password = u"123456"_s;
    m_session->setCredentials(c);
    m_session->setSettings(settings);
    return m_session.get();
}

void tst_DdbHaSession::tagsAreRecognised_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("tag");
    QTest::newRow("NotLeader") << u"<NotLeader>127.0.0.1:19001:ctl19001"_s << u"<NotLeader>"_s;
    QTest::newRow("ChunkInTransaction with RefId")
        << u"<ChunkInTransaction>The openChunks operation failed because the chunk '/testDB/1/2' is currently locked and in use by transaction 8. RefId:S00002"_s
        << u"<ChunkInTransaction>"_s;
    QTest::newRow("DataNodeNotAvail") << u"<DataNodeNotAvail>node down"_s << u"<DataNodeNotAvail>"_s;
    QTest::newRow("DFS not enabled") << u"DFS is not enabled"_s << u"DFS is not enabled"_s;
    QTest::newRow("plain error") << u"Syntax Error: [line #1] x"_s << QString();
    QTest::newRow("NoPrivilege is not a failover tag") << u"<NoPrivilege>no"_s << QString();
}

void tst_DdbHaSession::tagsAreRecognised()
{
    QFETCH(QString, text);
    QFETCH(QString, tag);
    QCOMPARE(haErrorTag(text), tag);
    if (tag == "<NotLeader>"_L1) {
        const auto s = notLeaderSite(text);
        QVERIFY(s.has_value());
        QCOMPARE(s->toString(), u"127.0.0.1:19001"_s);
        QCOMPARE(s->alias, u"ctl19001"_s);
    }
}

void tst_DdbHaSession::acknowledgedOnTheFirstSite()
{
    m_a->on(KEY, intReply(1));
    DdbHaSession *s = makeSession();
    const DdbHaResult r = waitResult(*s, s->callFunction(APPEND, {rows()}));
    QCOMPARE(r.outcome, DdbOutcome::Acknowledged);
    QCOMPARE(r.value.toInt64(), 1);
    QCOMPARE(r.site, m_a->site());
    QCOMPARE(r.attempts.size(), 1);
    QVERIFY(!r.clientId.isEmpty());
    QCOMPARE(r.seqNo, qint64(1));
    const auto got = m_a->received(KEY);
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().rawOptions, QByteArray("32_1_4_64__0__" + r.clientId + "_1"));
    QCOMPARE(m_a->received(u"function:isNodeInitialized"_s).size(), 1);
}

void tst_DdbHaSession::connectionLossResendsWithNegativeSeqOnTheNextSite()
{
    // Node A reads the append and dies before replying (the captured failover of §5.2).
    m_a->on(KEY, DdbReplayReply::closeAfterRequest());
    m_b->on(KEY, intReply(1));
    DdbHaSession *s = makeSession();
    QSignalSpy changed(s, &DdbHaSession::siteChanged);
    const DdbHaResult r = waitResult(*s, s->callFunction(APPEND, {rows()}));
    QCOMPARE(r.outcome, DdbOutcome::Acknowledged);
    QCOMPARE(r.site, m_b->site());
    QCOMPARE(r.attempts.size(), 2);
    QCOMPARE(r.attempts.at(0).outcome, DdbOutcome::Indeterminate);
    QCOMPARE(r.attempts.at(0).seqNo, qint64(1));
    QCOMPARE(r.attempts.at(1).outcome, DdbOutcome::Acknowledged);
    QCOMPARE(r.attempts.at(1).seqNo, qint64(-1));
    QVERIFY(!r.possibleDuplicate);  // the server can deduplicate with clientId/seqNo
    QCOMPARE(m_a->received(KEY).first().rawOptions, QByteArray("32_1_4_64__0__" + r.clientId + "_1"));
    QCOMPARE(m_b->received(KEY).first().rawOptions, QByteArray("32_1_4_64__0__" + r.clientId + "_-1"));
    // The identical request was resent (same arguments).
    QVERIFY(m_b->received(KEY).first().request.arguments.first() == rows());
    QCOMPARE(changed.size(), 2);
    // The next request keeps going to B with a new positive sequence number.
    const DdbHaResult next = waitResult(*s, s->callFunction(APPEND, {rows()}));
    QCOMPARE(next.outcome, DdbOutcome::Acknowledged);
    QCOMPARE(next.seqNo, qint64(2));
    QCOMPARE(m_b->received(KEY).last().rawOptions, QByteArray("32_1_4_64__0__" + r.clientId + "_2"));
}

void tst_DdbHaSession::notLeaderRedirectsToTheNamedLeader()
{
    const QString script = u"select * from rpc(getControllerAlias(), getClusterChunksStatus) where state != \"COMPLETE\""_s;
    m_a->on(u"script:"_s + script,
            DdbReplayReply::error(u"<NotLeader>%1:ctl3"_s.arg(m_c->site().toString())));
    m_c->on(u"script:"_s + script, DdbReplayReply::value(DdbValue::voidValue()));
    DdbHaSession *s = makeSession();
    const DdbHaResult r = waitResult(*s, s->runScript(script));
    QCOMPARE(r.outcome, DdbOutcome::Acknowledged);
    QCOMPARE(r.site, m_c->site());
    QCOMPARE(r.attempts.size(), 2);
    QCOMPARE(r.attempts.at(0).outcome, DdbOutcome::Failed);
    QVERIFY(r.attempts.at(0).error->message.startsWith(u"<NotLeader>"_s));
    QCOMPARE(m_b->received(u"script:"_s + script).size(), 0);
    QVERIFY(m_c->received(u"script:"_s + script).first().rawOptions.endsWith("_-1"));
}

void tst_DdbHaSession::untaggedServerErrorFailsWithoutResend()
{
    m_a->on(KEY, DdbReplayReply::error(u"The column [id] expects type of INT, but the actual type is STRING"_s));
    DdbHaSession *s = makeSession();
    const DdbHaResult r = waitResult(*s, s->callFunction(APPEND, {rows()}));
    QCOMPARE(r.outcome, DdbOutcome::Failed);
    QCOMPARE(r.error->code, Core::ErrorCode::Server);
    QCOMPARE(r.error->message, u"The column [id] expects type of INT, but the actual type is STRING"_s);
    QCOMPARE(r.attempts.size(), 1);
    QCOMPARE(m_b->connectionCount(), 0);
}

void tst_DdbHaSession::indeterminateWhenResendIsNotAllowed()
{
    m_a->on(KEY, DdbReplayReply::closeAfterRequest());
    DdbHaSettings st = fastSettings();
    st.resendPolicy = DdbHaSettings::ResendPolicy::Never;
    DdbHaSession *s = makeSession(st);
    const DdbHaResult r = waitResult(*s, s->callFunction(APPEND, {rows()}));
    QCOMPARE(r.outcome, DdbOutcome::Indeterminate);
    QCOMPARE(r.site, m_a->site());
    QCOMPARE(r.attempts.size(), 1);
    QCOMPARE(r.error->code, Core::ErrorCode::Network);
    QVERIFY(r.elapsedMs >= 0 && r.elapsedMs < 5000);
    QCOMPARE(m_b->received(KEY).size(), 0);
}

void tst_DdbHaSession::oldServerWithoutClientIdMayDuplicate()
{
    for (DdbReplayServer *srv : {m_a.get(), m_b.get()}) {
        srv->on(u"function:version"_s, versionReply("2.00.8.12 2023.01.10"));
    }
    m_a->on(KEY, DdbReplayReply::closeAfterRequest());
    m_b->on(KEY, intReply(1));
    DdbHaSession *s = makeSession();
    const DdbHaResult r = waitResult(*s, s->callFunction(APPEND, {rows()}));
    QCOMPARE(r.outcome, DdbOutcome::Acknowledged);
    QVERIFY(r.possibleDuplicate);
    QVERIFY(r.clientId.isEmpty());
    QCOMPARE(m_b->received(KEY).first().rawOptions, QByteArray("32_1_4_64__0"));
}

void tst_DdbHaSession::onlyWithClientIdPolicyKeepsOldServersIndeterminate()
{
    for (DdbReplayServer *srv : {m_a.get(), m_b.get()}) {
        srv->on(u"function:version"_s, versionReply("2.00.8.12 2023.01.10"));
    }
    m_a->on(KEY, DdbReplayReply::closeAfterRequest());
    m_b->on(KEY, intReply(1));
    DdbHaSettings st = fastSettings();
    st.resendPolicy = DdbHaSettings::ResendPolicy::OnlyWithClientId;
    DdbHaSession *s = makeSession(st);
    const DdbHaResult r = waitResult(*s, s->callFunction(APPEND, {rows()}));
    QCOMPARE(r.outcome, DdbOutcome::Indeterminate);
    QCOMPARE(m_b->received(KEY).size(), 0);
}

void tst_DdbHaSession::unreachableSiteIsSkipped()
{
    m_a->stop();
    m_b->on(u"script:1+1"_s, intReply(2));
    DdbHaSession *s = makeSession();
    QSignalSpy opened(s, &DdbHaSession::opened);
    s->open();
    QVERIFY(opened.wait(5000));
    QCOMPARE(opened.first().first().value<DdbSite>(), m_b->site());
    const DdbHaResult r = waitResult(*s, s->runScript(u"1+1"_s));
    QCOMPARE(r.outcome, DdbOutcome::Acknowledged);
    QCOMPARE(r.site, m_b->site());
}

void tst_DdbHaSession::uninitializedNodeIsSkipped()
{
    m_a->on(u"function:isNodeInitialized"_s, DdbReplayReply::value(DdbValue::boolean(false)));
    DdbHaSession *s = makeSession();
    const DdbHaResult r = waitResult(*s, s->runScript(u"1+1"_s));
    QCOMPARE(r.outcome, DdbOutcome::Acknowledged);
    QCOMPARE(r.site, m_b->site());
    QCOMPARE(m_a->received(u"script:1+1"_s).size(), 0);
}

void tst_DdbHaSession::allSitesDownFailsAfterTheTimeout()
{
    m_a->stop();
    m_b->stop();
    DdbHaSettings st = fastSettings();
    st.failoverTimeoutMs = 500;
    DdbHaSession *s = makeSession(st);
    QElapsedTimer t;
    t.start();
    const DdbHaResult r = waitResult(*s, s->runScript(u"1+1"_s));
    QCOMPARE(r.outcome, DdbOutcome::Failed);
    QCOMPARE(r.error->code, Core::ErrorCode::Network);
    QVERIFY2(r.error->message.contains(u"no DolphinDB site reachable"_s), qPrintable(r.error->message));
    QVERIFY(t.elapsed() < 5000);
}

void tst_DdbHaSession::cancelOfARunningRequestIsIndeterminate()
{
    m_a->on(KEY, DdbReplayReply::noReply());
    DdbHaSession *s = makeSession();
    QSignalSpy received(m_a.get(), &DdbReplayServer::requestReceived);
    QSignalSpy finished(s, &DdbHaSession::finished);
    const quint64 id = s->callFunction(APPEND, {rows()});
    const quint64 queued = s->runScript(u"1+1"_s);
    QTRY_VERIFY_WITH_TIMEOUT(!m_a->received(KEY).isEmpty(), 5000);
    s->cancel();
    QTRY_COMPARE(finished.size(), 2);
    const auto a = finished.at(0).first().value<DdbHaResult>();
    const auto b = finished.at(1).first().value<DdbHaResult>();
    QCOMPARE(a.id, id);
    QCOMPARE(a.outcome, DdbOutcome::Indeterminate);
    QCOMPARE(b.id, queued);
    QCOMPARE(b.outcome, DdbOutcome::Failed);
    QCOMPARE(b.error->code, Core::ErrorCode::Cancelled);
}

void tst_DdbHaSession::blockingFacade()
{
    m_a->on(KEY, DdbReplayReply::closeAfterRequest());
    m_b->on(KEY, intReply(1));
    const QList<DdbSite> sites{m_a->site(), m_b->site()};
    DdbHaResult r;
    std::unique_ptr<QThread> worker(QThread::create([&] {
        DdbCredentials c;
        c.password = u"123456"_s;
        DdbBlockingHaSession b(sites, c, fastSettings());
        r = b.call(APPEND, {rows()});
    }));
    worker->start();
    QTRY_VERIFY_WITH_TIMEOUT(worker->isFinished(), 10000);
    QCOMPARE(r.outcome, DdbOutcome::Acknowledged);
    QCOMPARE(r.site, m_b->site());
}

QTEST_GUILESS_MAIN(tst_DdbHaSession)

#include "tst_ddbhasession.moc"
