// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/timelinerecorder.h"

#include "support/mockclock.h"

#include <QJsonDocument>
#include <QTest>
#include <QThread>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Engine;
using Kind = EngineEvent::Kind;
using Outcome = EngineEvent::Outcome;

class tst_TimelineRecorder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void spansFollowTheClock();
    void hostWindowsPairPerHost();
    void journalHostWindows_data();
    void journalHostWindows();
    void eventJson();
    void recordFromManyThreads();
    void journalWindows_data();
    void journalWindows();
};

void tst_TimelineRecorder::spansFollowTheClock()
{
    GrayStep::Test::MockClock clock(1'000'000);
    TimelineRecorder rec(clock);
    rec.record({Kind::StepStarted, Outcome::None, 0, u"h1"_s, u"stop"_s, {}, {}});
    clock.advance(1500);
    rec.record({Kind::StepFinished, Outcome::Ok, 0, u"h1"_s, u"stop"_s, {}, {}});
    rec.record({Kind::StepStarted, Outcome::None, 0, u"h1"_s, u"backup"_s, {}, {}});
    clock.advance(200);
    const QList<TimelineSpan> spans = rec.stepSpans();
    QCOMPARE(spans.size(), 2);
    QCOMPARE(spans[0], (TimelineSpan{u"h1"_s, u"stop"_s, 1'000'000, 1'001'500, Outcome::Ok}));
    QVERIFY(spans[1].isOpen());
    QCOMPARE(spans[1].startMs, 1'001'500);
    // An explicit timestamp is kept.
    QCOMPARE(rec.record({Kind::Message, Outcome::None, 42, {}, {}, u"x"_s, {}}).wallMs, 42);
}

void tst_TimelineRecorder::hostWindowsPairPerHost()
{
    GrayStep::Test::MockClock clock(0);
    TimelineRecorder rec(clock);
    clock.advance(10);
    rec.record({Kind::HostDown, Outcome::None, 0, u"h1"_s, {}, {}, {}});
    clock.advance(10);
    rec.record({Kind::HostDown, Outcome::None, 0, u"h2"_s, {}, {}, {}});  // overlapping windows stay apart
    clock.advance(10);
    rec.record({Kind::HostUp, Outcome::Ok, 0, u"h1"_s, {}, {}, {}});
    clock.advance(10);
    rec.record({Kind::HostUp, Outcome::Failed, 0, u"h2"_s, {}, {}, {}});
    clock.advance(10);
    rec.record({Kind::HostDown, Outcome::None, 0, u"h1"_s, {}, {}, {}});
    const QList<TimelineSpan> w = rec.hostWindows();
    QCOMPARE(w.size(), 3);
    QCOMPARE(w[0], (TimelineSpan{u"h1"_s, u"down"_s, 10, 30, Outcome::Ok}));
    QCOMPARE(w[1], (TimelineSpan{u"h2"_s, u"down"_s, 20, 40, Outcome::Failed}));
    QCOMPARE(w[2].startMs, 50);
    QVERIFY(w[2].isOpen());
}

void tst_TimelineRecorder::journalHostWindows_data()
{
    // records: "kind host step wallMs" separated by ';'; expected: "host start end" by ';'.
    QTest::addColumn<QString>("records");
    QTest::addColumn<QString>("expected");
    QTest::newRow("a host stop to its recovery is one window")
        << u"run - - 1;intent a stop 10;done a stop 12;intent a start 20;done a start 25;intent a recovery 26;done a recovery 40"_s
        << u"a 10 40"_s;
    QTest::newRow("two hosts one after the other")
        << u"intent a stop 10;done a recovery 40;intent b stop 50;done b recovery 70"_s << u"a 10 40;b 50 70"_s;
    QTest::newRow("a stop repeated by a resume does not open a second window")
        << u"intent a stop 10;intent a stop 30;done a stop 31;done a recovery 60"_s << u"a 10 60"_s;
    QTest::newRow("a window still open at the journal's end stays open")
        << u"intent a stop 10;failed a start 20"_s << u"a 10 -1"_s;
    QTest::newRow("a rollback is a window too")
        << u"intent a rollback-stop 100;done a rollback-start 130"_s << u"a 100 130"_s;
    QTest::newRow("steps without a stop open nothing")
        << u"intent a backup 5;done a backup 6;done a recovery 9"_s << QString();
}

void tst_TimelineRecorder::journalHostWindows()
{
    QFETCH(QString, records);
    QFETCH(QString, expected);
    QList<JournalRecord> list;
    for (const QString &r : records.split(u';')) {
        const QStringList f = r.split(u' ');
        JournalRecord j;
        j.kind = f.at(0);
        j.host = f.at(1) == u"-"_s ? QString() : f.at(1);
        j.step = f.at(2) == u"-"_s ? QString() : f.at(2);
        j.wallMs = f.at(3).toLongLong();
        list.append(j);
    }
    QStringList got;
    for (const TimelineSpan &s : hostWindowsFromJournal(list)) {
        QCOMPARE(s.label, u"down"_s);
        got << u"%1 %2 %3"_s.arg(s.host).arg(s.startMs).arg(s.endMs);
    }
    QCOMPARE(got.join(u';'), expected);
}

void tst_TimelineRecorder::eventJson()
{
    EngineEvent e{Kind::StepOutput, Outcome::None, 5, u"127.0.10.2"_s, u"install"_s, u"UnzipSuccess"_s, {}};
    QCOMPARE(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact),
             QByteArray(R"({"event":"output","host":"127.0.10.2","step":"install","t":5,"text":"UnzipSuccess"})"));
    EngineEvent f{Kind::StepFinished, Outcome::Failed, 6, {}, u"gate"_s, {}, {{u"chunks"_s, 3}}};
    QCOMPARE(QJsonDocument(f.toJson()).toJson(QJsonDocument::Compact),
             QByteArray(R"({"details":{"chunks":3},"event":"step-finished","outcome":"failed","step":"gate","t":6})"));
}

void tst_TimelineRecorder::recordFromManyThreads()
{
    TimelineRecorder rec;
    QList<QThread *> threads;
    for (int t = 0; t < 4; ++t) {
        threads.append(QThread::create([&rec, t] {
            for (int i = 0; i < 1000; ++i) {
                rec.record({Kind::StepOutput, Outcome::None, 0, u"h%1"_s.arg(t), u"s"_s, QString::number(i), {}});
            }
        }));
        threads.last()->start();
    }
    for (QThread *th : threads) {
        QVERIFY(th->wait(30000));
        delete th;
    }
    QCOMPARE(rec.events().size(), 4000);
}

void tst_TimelineRecorder::journalWindows_data()
{
    // Records as "kind host step wallMs"; expected events as "down|up host wallMs".
    QTest::addColumn<QStringList>("records");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("a crash after the stop keeps the window open from the stop's intent")
        << QStringList{u"run - - 100"_s, u"intent h1 gate 110"_s, u"done h1 gate 120"_s, u"intent h1 stop 130"_s,
                       u"done h1 stop 190"_s, u"intent h1 backup 200"_s}
        << QStringList{u"down h1 130"_s};
    QTest::newRow("a host finished before the crash has its whole window")
        << QStringList{u"intent h1 stop 130"_s, u"done h1 stop 190"_s, u"intent h1 start 300"_s, u"done h1 start 400"_s,
                       u"done h1 recovery 500"_s, u"host-done h1 - 510"_s, u"intent h2 gate 520"_s}
        << QStringList{u"down h1 130"_s, u"up h1 400"_s};
    QTest::newRow("a repeated stop intent (adopted after a crash) opens the window once")
        << QStringList{u"intent h1 stop 130"_s, u"resume - - 150"_s, u"intent h1 stop 160"_s, u"done h1 stop 170"_s}
        << QStringList{u"down h1 130"_s};
    QTest::newRow("a rollback opens a second window and closes it at rollback-start")
        << QStringList{u"intent h2 stop 10"_s, u"done h2 start 20"_s, u"failed h2 verify-version 25"_s,
                       u"intent h2 rollback-stop 30"_s, u"done h2 rollback-stop 35"_s, u"done h2 rollback-start 50"_s}
        << QStringList{u"down h2 10"_s, u"up h2 20"_s, u"down h2 30"_s, u"up h2 50"_s};
    QTest::newRow("hosts are kept apart")
        << QStringList{u"intent h1 stop 1"_s, u"intent h2 stop 2"_s, u"done h1 start 3"_s}
        << QStringList{u"down h1 1"_s, u"down h2 2"_s, u"up h1 3"_s};
    QTest::newRow("a start without a stop closes nothing") << QStringList{u"done h1 start 3"_s} << QStringList{};
}

void tst_TimelineRecorder::journalWindows()
{
    QFETCH(QStringList, records);
    QFETCH(QStringList, expected);
    QList<JournalRecord> journal;
    qint64 seq = 0;
    for (const QString &r : records) {
        const QStringList w = r.split(u' ');
        JournalRecord rec;
        rec.seq = ++seq;
        rec.kind = w[0];
        rec.host = w[1] == u"-"_s ? QString() : w[1];
        rec.step = w[2] == u"-"_s ? QString() : w[2];
        rec.wallMs = w[3].toLongLong();
        journal << rec;
    }
    QStringList got;
    const QList<EngineEvent> events = hostWindowEventsFromJournal(journal);
    for (const EngineEvent &e : events) {
        got << u"%1 %2 %3"_s.arg(e.kind == Kind::HostDown ? u"down"_s : e.kind == Kind::HostUp ? u"up"_s : u"?"_s, e.host)
                   .arg(e.wallMs);
    }
    QCOMPARE(got, expected);
    // Fed to a recorder, the journal's times make the windows (explicit times are kept).
    GrayStep::Test::MockClock clock(9'000'000);
    TimelineRecorder rec(clock);
    for (const EngineEvent &e : events) {
        rec.record(e);
    }
    for (const TimelineSpan &span : rec.hostWindows()) {
        QVERIFY(span.startMs < 9'000'000);
        QVERIFY(span.isOpen() || span.endMs >= span.startMs);
    }
}

QTEST_GUILESS_MAIN(tst_TimelineRecorder)
#include "tst_timelinerecorder.moc"
