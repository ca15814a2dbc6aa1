// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityanalyzer.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

#include <algorithm>
#include <numeric>
#include <map>

using namespace GrayStep::Engine;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr qint64 T0 = 1673343000000;  // 2023-01-10 09:30 UTC
constexpr qint64 STEP_MS = 100;       // the synthetic writer sends 10 rows/s
constexpr qint64 LATENCY_MS = 5;

// A synthetic run, built from a small spec (one edit per ';'):
//   n=N            ids 1..N, written at T0 + STEP_MS*(id-1), each acknowledged after LATENCY_MS
//   first=K        ids start at K instead of 1
//   absent A[-B]   the rows are not in the table (attempts unchanged)
//   dup A[-B]xK    the rows appear K extra times
//   indet A[-B] / fail A[-B]   the attempts' outcome
//   noattempt A[-B]            the writer log has no attempt for these ids
//   shift A=MS     every row and attempt from id A on is later by MS
//   latency A[-B]=MS           the attempts' latency
//   nullid A / nulltime A      the row's id / time is null
//   extra ID@MS    an extra row (id at T0+MS)
//   nolog          existing-table mode
//   shuffle        the table is read back in random order
struct Scenario
{
    std::vector<qint64> ids;
    std::vector<qint64> times;
    std::vector<WriterAttempt> attempts;
    bool hasLog = true;
};

std::pair<qint64, qint64> range(const QString &text)
{
    // "A" or "A-B"; either may be negative ("-5--3").
    static const QRegularExpression re(u"^(-?\\d+)(?:-(-?\\d+))?$"_s);
    const QRegularExpressionMatch m = re.match(text.trimmed());
    if (!m.hasMatch()) {
        qFatal("bad id range '%s'", qPrintable(text));
    }
    const qint64 a = m.captured(1).toLongLong();
    const qint64 b = m.hasCaptured(2) ? m.captured(2).toLongLong() : a;
    return {a, b};
}

Scenario build(const QString &spec)
{
    qint64 n = 0;
    qint64 first = 1;
    std::map<qint64, qint64> shiftFrom;
    QStringList edits;
    for (QString part : spec.split(u';', Qt::SkipEmptyParts)) {
        part = part.trimmed();
        if (part.startsWith("n="_L1)) {
            n = part.mid(2).toLongLong();
        } else if (part.startsWith("first="_L1)) {
            first = part.mid(6).toLongLong();
        } else if (part.startsWith("shift "_L1)) {
            const QStringList kv = part.mid(6).split(u'=');
            shiftFrom[kv.at(0).toLongLong()] += kv.at(1).toLongLong();
        } else {
            edits << part;
        }
    }
    struct Row { qint64 id; qint64 time; int copies = 1; bool nullId = false; bool nullTime = false; };
    std::map<qint64, Row> rows;
    std::map<qint64, WriterAttempt> attempts;
    qint64 shift = 0;
    for (qint64 id = first; id < first + n; ++id) {
        if (const auto it = shiftFrom.find(id); it != shiftFrom.end()) {
            shift += it->second;
        }
        const qint64 t = T0 + STEP_MS * (id - first) + shift;
        rows[id] = Row{id, t};
        attempts[id] = WriterAttempt{id, t, t + LATENCY_MS, AttemptOutcome::Acknowledged, 0};
    }
    Scenario s;
    bool shuffle = false;
    std::vector<std::pair<qint64, qint64>> extras;
    for (const QString &e : std::as_const(edits)) {
        const QString arg = e.section(u' ', 1);
        if (e == "nolog"_L1) {
            s.hasLog = false;
        } else if (e == "shuffle"_L1) {
            shuffle = true;
        } else if (e.startsWith("absent "_L1)) {
            const auto [a, b] = range(arg);
            for (qint64 id = a; id <= b; ++id) {
                rows.erase(id);
            }
        } else if (e.startsWith("dup "_L1)) {
            const auto [a, b] = range(arg.section(u'x', 0, 0));
            for (qint64 id = a; id <= b; ++id) {
                rows[id].copies += arg.section(u'x', 1).toInt();
            }
        } else if (e.startsWith("indet "_L1) || e.startsWith("fail "_L1)) {
            const auto [a, b] = range(arg);
            for (qint64 id = a; id <= b; ++id) {
                attempts[id].outcome = e.startsWith("fail"_L1) ? AttemptOutcome::Failed
                                                                : AttemptOutcome::Indeterminate;
            }
        } else if (e.startsWith("noattempt "_L1)) {
            const auto [a, b] = range(arg);
            for (qint64 id = a; id <= b; ++id) {
                attempts.erase(id);
            }
        } else if (e.startsWith("latency "_L1)) {
            const auto [a, b] = range(arg.section(u'=', 0, 0));
            for (qint64 id = a; id <= b; ++id) {
                attempts[id].doneMs = attempts[id].sendMs + arg.section(u'=', 1).toLongLong();
            }
        } else if (e.startsWith("nullid "_L1)) {
            rows[arg.toLongLong()].nullId = true;
        } else if (e.startsWith("nulltime "_L1)) {
            rows[arg.toLongLong()].nullTime = true;
        } else if (e.startsWith("extra "_L1)) {
            extras.emplace_back(arg.section(u'@', 0, 0).toLongLong(), T0 + arg.section(u'@', 1).toLongLong());
        } else {
            qFatal("bad scenario edit '%s'", qPrintable(e));
        }
    }
    for (const auto &[id, row] : rows) {
        for (int c = 0; c < row.copies; ++c) {
            s.ids.push_back(row.nullId ? NULL_VALUE : row.id);
            s.times.push_back(row.nullTime ? NULL_VALUE : row.time);
        }
    }
    for (const auto &[id, t] : extras) {
        s.ids.push_back(id);
        s.times.push_back(t);
    }
    for (const auto &[id, a] : attempts) {
        s.attempts.push_back(a);
    }
    if (shuffle) {
        QRandomGenerator rng(42);
        for (size_t i = s.ids.size(); i > 1; --i) {
            const size_t j = rng.bounded(static_cast<quint32>(i));
            std::swap(s.ids[i - 1], s.ids[j]);
            std::swap(s.times[i - 1], s.times[j]);
        }
    }
    return s;
}

ContinuityReport analyze(const Scenario &s, ContinuityOptions options = {}, QList<HostWindow> windows = {})
{
    ContinuityInput in;
    in.ids = s.ids;
    in.times = s.times;
    in.attempts = s.attempts;
    in.hasWriterLog = s.hasLog;
    in.windows = std::move(windows);
    return ContinuityAnalyzer(options).analyze(in);
}

// "lost 5-7 n3": kind, id range, count.
QStringList render(const ContinuityReport &r)
{
    QStringList out;
    for (const auto &f : r.findings) {
        QString ids;
        if (f.firstId != NULL_VALUE) {
            ids = f.firstId == f.lastId ? QString::number(f.firstId)
                                        : u"%1-%2"_s.arg(f.firstId).arg(f.lastId);
        } else {
            ids = u"_"_s;
        }
        out << u"%1 %2 n%3"_s.arg(findingKindName(f.kind), ids).arg(f.count);
    }
    return out;
}

} // namespace

class tst_ContinuityAnalyzer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void plantedFindings_data();
    void plantedFindings();
    void denseAndSparseAgree_data();
    void denseAndSparseAgree();
    void randomPlantsAreFoundExactly();
    void existingTableModeSaysWhatItCannotJudge();
    void latencyPercentiles();
    void findingsCarryTimesNodesAndHostWindows();
    void fatalKindsDecideTheVerdict();
    void findingListIsCutButCountsStayExact();
    void jsonAndText();
    void extremeValuesSaturateInsteadOfOverflowing();
    void nullIdRowsCountedByTheServerAreReported();
    void nullIdRowsShowTheirTimes();
    void aLateDuplicateIsTiedToTheWindowOfItsLaterCopy();
    void aGapAcrossAWriterRestartIsNotJudged();
    void verdictReasonsSayWhatAndWhere();
    void emptyTableIsNeverAPass();
    void attemptsOfAWindow_data();
    void attemptsOfAWindow();
    void aWindowIsJudgedOnItsIdRangeAlone();
};

void tst_ContinuityAnalyzer::plantedFindings_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("a clean run has no findings") << u"n=50"_s << QStringList();
    QTest::newRow("an acknowledged row that is absent is lost") << u"n=20; absent 5"_s
                                                                << QStringList{u"lost 5 n1"_s};
    QTest::newRow("consecutive lost ids merge into one range")
        << u"n=20; absent 5-7"_s << QStringList{u"lost 5-7 n3"_s};
    QTest::newRow("two separate losses stay two findings")
        << u"n=20; absent 5; absent 9"_s << QStringList{u"lost 5 n1"_s, u"lost 9 n1"_s};
    QTest::newRow("a row present twice is a duplicate") << u"n=20; dup 9x1"_s
                                                        << QStringList{u"duplicate 9 n1"_s};
    QTest::newRow("a row present three times counts two extra rows")
        << u"n=20; dup 9x2"_s << QStringList{u"duplicate 9 n2"_s};
    QTest::newRow("a resent batch of duplicates is one range")
        << u"n=20; dup 10-14x1"_s << QStringList{u"duplicate 10-14 n5"_s};
    QTest::newRow("an indeterminate row that is present is recovered")
        << u"n=20; indet 4"_s << QStringList{u"recovered 4 n1"_s};
    QTest::newRow("an indeterminate row that is absent was never written")
        << u"n=20; indet 4; absent 4"_s << QStringList{u"never-written 4 n1"_s};
    QTest::newRow("a failed row that is present is reported")
        << u"n=20; fail 6"_s << QStringList{u"failed-but-present 6 n1"_s};
    QTest::newRow("a failed row that is absent is no finding") << u"n=20; fail 6; absent 6"_s
                                                               << QStringList();
    QTest::newRow("absent ids the writer never attempted are missing, as one range")
        << u"n=20; noattempt 12-13; absent 12-13"_s << QStringList{u"missing-ids 12-13 n2"_s};
    QTest::newRow("a pause longer than the threshold is a time gap")
        << u"n=20; shift 8=2500"_s << QStringList{u"time-gap 7-8 n1"_s};
    QTest::newRow("a pause at the threshold is no time gap")
        << u"n=20; shift 8=1900"_s << QStringList();
    QTest::newRow("a slow acknowledgement is a stall")
        << u"n=20; latency 3=1500"_s << QStringList{u"stall 3 n1"_s};
    QTest::newRow("consecutive slow acknowledgements are one stall")
        << u"n=20; latency 3-6=1500"_s << QStringList{u"stall 3-6 n4"_s};
    QTest::newRow("without a writer log a missing row is a missing id, not a loss")
        << u"n=20; nolog; absent 5-7"_s << QStringList{u"missing-ids 5-7 n3"_s};
    QTest::newRow("without a writer log duplicates and time gaps are still judged")
        << u"n=20; nolog; dup 3x1; shift 10=5000; latency 4=9000; indet 5"_s
        << QStringList{u"duplicate 3 n1"_s, u"time-gap 9-10 n1"_s};
    QTest::newRow("lost, duplicate and recovered rows together, read back shuffled")
        << u"n=100; absent 10-11; dup 20x1; indet 30; indet 40; absent 40; fail 50; shuffle"_s
        << QStringList{u"lost 10-11 n2"_s, u"duplicate 20 n1"_s, u"recovered 30 n1"_s,
                       u"never-written 40 n1"_s, u"failed-but-present 50 n1"_s};
    QTest::newRow("a failover shows every class at once")
        << u"n=60; latency 20-22=3000; indet 23; absent 23; indet 24; dup 24x1; shift 25=4000; absent 26"_s
        << QStringList{u"lost 26 n1"_s, u"duplicate 24 n1"_s, u"recovered 24 n1"_s,
                       u"never-written 23 n1"_s, u"time-gap 24-25 n1"_s, u"stall 20-22 n3"_s};
    QTest::newRow("an empty table with acknowledged attempts loses them all")
        << u"n=3; absent 1-3"_s << QStringList{u"lost 1-3 n3"_s, u"no-rows _ n1"_s};
    QTest::newRow("an empty table without a log has nothing to judge, and says so") << u"n=0; nolog"_s
                                                                                    << QStringList{u"no-rows _ n1"_s};
    QTest::newRow("an empty table and an empty log have nothing to judge, and say so")
        << u"n=0"_s << QStringList{u"no-rows _ n1"_s};
    QTest::newRow("a table of null ids only has nothing to judge")
        << u"n=2; nolog; nullid 1; nullid 2"_s << QStringList{u"null-id _ n2"_s, u"no-rows _ n1"_s};
    QTest::newRow("a single row has no findings") << u"n=1"_s << QStringList();
    QTest::newRow("a single row without a log has no findings") << u"n=1; nolog"_s << QStringList();
    QTest::newRow("ids that wrap past INT max show as one missing range")
        << u"n=0; nolog; extra 2147483646@0; extra 2147483647@100; extra -2147483647@200; extra -2147483646@300"_s
        << QStringList{u"missing-ids -2147483645-2147483645 n4294967291"_s, u"time-backwards -2147483646-2147483646 n1"_s};
    QTest::newRow("LONG ids across 2^31 are classified like small ones")
        << u"n=40; first=2147483630; absent 2147483650; dup 2147483648x1; indet 2147483660; absent 2147483660"_s
        << QStringList{u"lost 2147483650 n1"_s, u"duplicate 2147483648 n1"_s, u"never-written 2147483660 n1"_s};
    QTest::newRow("equal times are no gap")
        << u"n=0; nolog; extra 1@0; extra 2@0; extra 3@0; extra 4@0"_s << QStringList();
    QTest::newRow("out-of-order ids are analysed like ordered ones")
        << u"n=500; absent 100; dup 200x3; shift 300=3000; shuffle"_s
        << QStringList{u"lost 100 n1"_s, u"duplicate 200 n3"_s, u"time-gap 299-300 n1"_s};
    QTest::newRow("negative and zero ids are ordinary ids")
        << u"n=10; first=-5; absent 0; absent -3"_s << QStringList{u"lost -3 n1"_s, u"lost 0 n1"_s};
    QTest::newRow("null ids and null times are counted, not guessed")
        << u"n=20; nullid 5; nulltime 9"_s
        << QStringList{u"lost 5 n1"_s, u"null-id _ n1"_s, u"null-time 9 n1"_s};
    QTest::newRow("absent ids before the writer's first attempt are missing ids")
        << u"n=20; noattempt 1-10; absent 4"_s << QStringList{u"missing-ids 4 n1"_s};
    QTest::newRow("failed first attempts leave no finding") << u"n=20; fail 1-2; absent 1-2"_s
                                                            << QStringList();
    QTest::newRow("rows beyond the last attempt are judged like an existing table")
        << u"n=20; noattempt 15-20; absent 17; dup 19x1"_s
        << QStringList{u"duplicate 19 n1"_s, u"missing-ids 17 n1"_s};
    QTest::newRow("a time gap across missing ids is both")
        << u"n=20; nolog; absent 8-9; shift 10=3000"_s
        << QStringList{u"missing-ids 8-9 n2"_s, u"time-gap 7-10 n1"_s};
    QTest::newRow("a row appearing 300 times counts exactly")
        << u"n=5; dup 3x299"_s << QStringList{u"duplicate 3 n299"_s};
    QTest::newRow("time going backwards within ids is reported")
        << u"n=20; shift 10=-1000"_s << QStringList{u"time-backwards 9-10 n1"_s};
    QTest::newRow("time going backwards without a writer log is reported too")
        << u"n=20; nolog; shift 10=-1000"_s << QStringList{u"time-backwards 9-10 n1"_s};
    QTest::newRow("after a step back the next step forward is no gap")
        << u"n=20; shift 10=-2500; shift 11=2500"_s << QStringList{u"time-backwards 9-10 n1"_s};
    QTest::newRow("a copy written a day later is a late duplicate, not a day-long gap")
        << u"n=20; extra 5@86400000"_s << QStringList{u"late-duplicate 5 n1"_s};
    QTest::newRow("a copy written a day earlier is a late duplicate, not a day-long gap")
        << u"n=20; extra 5@-86400000"_s << QStringList{u"late-duplicate 5 n1"_s};
    QTest::newRow("late and plain duplicates are told apart")
        << u"n=20; dup 3x1; extra 8@86400000; extra 9@86400100"_s
        << QStringList{u"duplicate 3 n1"_s, u"late-duplicate 8-9 n2"_s};
    QTest::newRow("a late duplicate of the last id makes no gap either")
        << u"n=20; nolog; extra 20@86400000"_s << QStringList{u"late-duplicate 20 n1"_s};
}

void tst_ContinuityAnalyzer::plantedFindings()
{
    QFETCH(QString, spec);
    QFETCH(QStringList, expected);
    const Scenario s = build(spec);
    for (auto mode : {ContinuityOptions::Index::Auto, ContinuityOptions::Index::Sparse}) {
        ContinuityOptions options;
        options.index = mode;
        const ContinuityReport r = analyze(s, options);
        QCOMPARE(render(r), expected);
        QCOMPARE(r.rows, static_cast<qint64>(s.ids.size()));
        QCOMPARE(r.writerMode, s.hasLog);
    }
}

void tst_ContinuityAnalyzer::denseAndSparseAgree_data()
{
    QTest::addColumn<quint32>("seed");
    for (quint32 seed = 1; seed <= 12; ++seed) {
        QTest::newRow(qPrintable(u"random table number %1 gives one answer in both index forms"_s.arg(seed)))
            << seed;
    }
}

void tst_ContinuityAnalyzer::denseAndSparseAgree()
{
    QFETCH(quint32, seed);
    QRandomGenerator rng(seed);
    Scenario s;
    const int n = 200 + rng.bounded(2000);
    qint64 t = T0;
    for (int i = 0; i < n; ++i) {
        const qint64 id = rng.bounded(3 * n) - n / 4;
        t += rng.bounded(400);
        s.ids.push_back(rng.bounded(100) == 0 ? NULL_VALUE : id);
        s.times.push_back(rng.bounded(150) == 0 ? NULL_VALUE : t - rng.bounded(1000));
        if (rng.bounded(3) != 0) {
            s.attempts.push_back(WriterAttempt{rng.bounded(3 * n), t, t + rng.bounded(1500),
                                               static_cast<AttemptOutcome>(rng.bounded(3)),
                                               static_cast<qint16>(rng.bounded(3))});
        }
    }
    s.hasLog = seed % 2 == 0;
    ContinuityOptions dense;
    dense.index = ContinuityOptions::Index::Dense;
    ContinuityOptions sparse;
    sparse.index = ContinuityOptions::Index::Sparse;
    const ContinuityReport a = analyze(s, dense);
    const ContinuityReport b = analyze(s, sparse);
    QVERIFY(a.denseIndex);
    QVERIFY(!b.denseIndex);
    QCOMPARE(a.findings.size(), b.findings.size());
    QVERIFY(a.findings == b.findings);
    QVERIFY(a.totals == b.totals);
    QCOMPARE(a.distinctIds, b.distinctIds);
    QVERIFY(a.rate.counts == b.rate.counts);
    QVERIFY(!a.findings.isEmpty());
}

// Plants random classes at random, non-adjacent ids and expects exactly them back.
void tst_ContinuityAnalyzer::randomPlantsAreFoundExactly()
{
    for (quint32 seed = 100; seed < 140; ++seed) {
        QRandomGenerator rng(seed);
        const int n = 100 + rng.bounded(400);
        QStringList spec{u"n=%1"_s.arg(n)};
        QStringList expected;
        std::map<int, QString> byKindOrder;  // sort key -> expected line
        for (int id = 2; id < n; id += 2 + rng.bounded(6)) {
            QString line;
            int kind = -1;
            switch (rng.bounded(7)) {
            case 0: spec << u"absent %1"_s.arg(id); kind = 0; line = u"lost %1 n1"_s.arg(id); break;
            case 1: spec << u"dup %1x1"_s.arg(id); kind = 1; line = u"duplicate %1 n1"_s.arg(id); break;
            case 2: spec << u"indet %1"_s.arg(id); kind = 2; line = u"recovered %1 n1"_s.arg(id); break;
            case 3:
                spec << u"indet %1; absent %1"_s.arg(id);
                kind = 3;
                line = u"never-written %1 n1"_s.arg(id);
                break;
            case 4: spec << u"fail %1"_s.arg(id); kind = 4; line = u"failed-but-present %1 n1"_s.arg(id); break;
            case 5: spec << u"fail %1; absent %1"_s.arg(id); break;
            default: break;
            }
            if (kind >= 0) {
                byKindOrder[kind * 100000 + id] = line;
            }
        }
        spec << u"shuffle"_s;
        for (const auto &[key, line] : byKindOrder) {
            expected << line;
        }
        const ContinuityReport r = analyze(build(spec.join(u';')));
        QCOMPARE(render(r), expected);
    }
}

void tst_ContinuityAnalyzer::existingTableModeSaysWhatItCannotJudge()
{
    const ContinuityReport r = analyze(build(u"n=10; nolog; absent 4"_s));
    QVERIFY(!r.writerMode);
    QVERIFY(r.notJudged.contains(u"lost"_s));
    QVERIFY(r.notJudged.contains(u"recovered"_s));
    QVERIFY(r.notJudged.contains(u"never-written"_s));
    QVERIFY(r.notJudged.contains(u"stall"_s));
    QVERIFY(!r.notJudged.contains(u"duplicate"_s));
    QVERIFY(!r.notJudged.contains(u"missing-ids"_s));
    QVERIFY(!r.notJudged.contains(u"time-gap"_s));
    QCOMPARE(r.latencyP50Ms, NULL_VALUE);
    QCOMPARE(r.attempts, 0);
    const QJsonObject json = continuityReportToJson(r, {});
    QCOMPARE(json.value(u"mode"_s).toString(), u"existing-table"_s);
    QVERIFY(json.value(u"notJudged"_s).toArray().contains(u"lost"_s));
    QVERIFY(continuityReportToText(r, {}).contains(u"not judged without a writer log"_s));

    const ContinuityReport w = analyze(build(u"n=10"_s));
    QVERIFY(w.writerMode);
    QVERIFY(w.notJudged.isEmpty());
}

void tst_ContinuityAnalyzer::latencyPercentiles()
{
    Scenario s = build(u"n=200"_s);
    for (size_t i = 0; i < s.attempts.size(); ++i) {
        s.attempts[i].doneMs = s.attempts[i].sendMs + static_cast<qint64>(i) + 1;  // 1..200 ms
    }
    s.attempts[0].outcome = AttemptOutcome::Failed;         // latency 1 ignored
    s.attempts[199].outcome = AttemptOutcome::Indeterminate;  // latency 200 ignored
    s.attempts[199].doneMs = NULL_VALUE;
    const ContinuityReport r = analyze(s);
    // Acknowledged latencies 2..199 (198 values): nearest-rank p50 = 99th = 100, p99 = 197th = 198.
    QCOMPARE(r.latencyP50Ms, 100);
    QCOMPARE(r.latencyP99Ms, 198);
    QCOMPARE(r.latencyMaxMs, 199);
    QCOMPARE(r.acknowledged, 198);
    QCOMPARE(r.failed, 1);
    QCOMPARE(r.indeterminate, 1);
    QCOMPARE(r.attempts, 200);
}

void tst_ContinuityAnalyzer::findingsCarryTimesNodesAndHostWindows()
{
    Scenario s = build(u"n=100; absent 15; absent 60; shift 80=5000"_s);
    s.attempts[14].node = 2;
    // Host A is down around ids 10..20, host B around ids 70..90 (after the shift).
    const QList<HostWindow> windows{
        {u"127.0.60.1"_s, T0 + 9 * STEP_MS, T0 + 19 * STEP_MS},
        {u"127.0.60.2"_s, T0 + 69 * STEP_MS, T0 + 89 * STEP_MS + 5000},
    };
    const ContinuityReport r = analyze(s, {}, windows);
    const auto lost = r.findingsOf(FindingKind::Lost);
    QCOMPARE(lost.size(), 2);
    QCOMPARE(lost.at(0).firstId, 15);
    QCOMPARE(lost.at(0).node, 2);
    QCOMPARE(lost.at(0).startMs, T0 + 14 * STEP_MS);
    QCOMPARE(lost.at(0).endMs, T0 + 14 * STEP_MS + LATENCY_MS);
    QCOMPARE(lost.at(0).window, 0);
    QCOMPARE(lost.at(1).firstId, 60);
    QCOMPARE(lost.at(1).window, -1);
    const auto gaps = r.findingsOf(FindingKind::TimeGap);
    QCOMPARE(gaps.size(), 1);
    QCOMPARE(gaps.at(0).valueMs, STEP_MS + 5000);
    QCOMPARE(gaps.at(0).startMs, T0 + 78 * STEP_MS);
    QCOMPARE(gaps.at(0).window, 1);
    const QJsonObject json = continuityReportToJson(r, windows, {u"dn1"_s, u"dn2"_s, u"dn3"_s});
    const QJsonObject first = json.value(u"findings"_s).toArray().at(0).toObject();
    QCOMPARE(first.value(u"host"_s).toString(), u"127.0.60.1"_s);
    QCOMPARE(first.value(u"node"_s).toString(), u"dn3"_s);
    // The windows go out with the findings (a chart draws them under the findings).
    const QJsonArray spans = json.value(u"windows"_s).toArray();
    QCOMPARE(spans.size(), windows.size());
    for (qsizetype i = 0; i < windows.size(); ++i) {
        const QJsonObject w = spans.at(i).toObject();
        QCOMPARE(w.value(u"host"_s).toString(), windows.at(i).host);
        QCOMPARE(qint64(w.value(u"startMs"_s).toDouble()), windows.at(i).startMs);
        QCOMPARE(qint64(w.value(u"endMs"_s).toDouble()), windows.at(i).endMs);
    }
}

void tst_ContinuityAnalyzer::fatalKindsDecideTheVerdict()
{
    const Scenario dupOnly = build(u"n=20; dup 5x1"_s);
    QVERIFY(!analyze(dupOnly).isFatal());
    ContinuityOptions strict;
    strict.fatalKinds |= findingBit(FindingKind::Duplicate);
    QVERIFY(analyze(dupOnly, strict).isFatal());
    QVERIFY(analyze(build(u"n=20; absent 5"_s)).isFatal());
    // Without a writer log missing ids are the only sign of loss: they fail the verdict.
    QVERIFY(analyze(build(u"n=20; nolog; absent 5"_s)).isFatal());
    QVERIFY(analyze(build(u"n=20; noattempt 12-13; absent 12-13"_s)).isFatal());
    // Time gaps and stalls fail when the run's gate makes them fatal.
    const Scenario gap = build(u"n=20; shift 8=6000; latency 3=7000"_s);
    QVERIFY(!analyze(gap).isFatal());
    ContinuityOptions gated;
    gated.timeGapMs = 5000;
    gated.stallMs = 5000;
    gated.fatalKinds |= findingBit(FindingKind::TimeGap);
    QVERIFY(analyze(gap, gated).isFatal(FindingKind::TimeGap));
    QVERIFY(!analyze(gap, gated).isFatal(FindingKind::Stall));
    gated.fatalKinds = findingBit(FindingKind::Stall);
    QVERIFY(analyze(gap, gated).isFatal());
    // Lost rows up to the allowed count (gates.maxLostRows) pass; one more fails.
    ContinuityOptions tolerant;
    tolerant.allowedLost = 2;
    QVERIFY(!analyze(build(u"n=20; absent 5-6"_s), tolerant).isFatal());
    QVERIFY(analyze(build(u"n=20; absent 5-7"_s), tolerant).isFatal());
    const QJsonObject json = continuityReportToJson(analyze(build(u"n=20; absent 5-6"_s), tolerant), {});
    QCOMPARE(json.value(u"verdict"_s).toString(), u"pass"_s);
    QCOMPARE(json.value(u"thresholds"_s).toObject().value(u"allowedLost"_s).toInteger(), 2);
}

void tst_ContinuityAnalyzer::findingListIsCutButCountsStayExact()
{
    ContinuityOptions options;
    options.maxFindingsPerKind = 3;
    const ContinuityReport r = analyze(build(u"n=40; absent 2; absent 4; absent 6; absent 8; absent 10"_s), options);
    QCOMPARE(r.findingsOf(FindingKind::Lost).size(), 3);
    QCOMPARE(r.total(FindingKind::Lost), 5);
    QCOMPARE(r.findingCounts[0], 5);
    QVERIFY(r.findingsTruncated);
}

void tst_ContinuityAnalyzer::jsonAndText()
{
    const ContinuityReport r = analyze(build(u"n=30; absent 5; dup 7x1"_s));
    const QJsonObject json = continuityReportToJson(r, {});
    QCOMPARE(json.value(u"verdict"_s).toString(), u"fail"_s);
    QCOMPARE(json.value(u"mode"_s).toString(), u"writer"_s);
    QCOMPARE(json.value(u"totals"_s).toObject().value(u"lost"_s).toInteger(), 1);
    QCOMPARE(json.value(u"totals"_s).toObject().value(u"duplicate"_s).toInteger(), 1);
    QCOMPARE(json.value(u"rows"_s).toInteger(), 30);
    QCOMPARE(json.value(u"findings"_s).toArray().size(), 2);
    const QString text = continuityReportToText(r, {});
    QVERIFY(text.startsWith(u"verdict: FAIL"_s));
    QVERIFY(text.contains(u"lost: 1"_s));
}

void tst_ContinuityAnalyzer::extremeValuesSaturateInsteadOfOverflowing()
{
    constexpr qint64 lowest = std::numeric_limits<qint64>::min() + 1;  // min itself is null
    constexpr qint64 highest = std::numeric_limits<qint64>::max();
    Scenario s;
    s.ids = {highest, lowest};
    s.times = {highest, lowest};
    s.hasLog = false;
    const ContinuityReport r = analyze(s);
    QCOMPARE(r.findings.size(), 2);
    const auto missing = r.findingsOf(FindingKind::MissingIds);
    QCOMPARE(missing.size(), 1);
    QCOMPARE(missing.at(0).firstId, lowest + 1);
    QCOMPARE(missing.at(0).lastId, highest - 1);
    QCOMPARE(missing.at(0).count, highest - 1);  // 2^64 - 3 ids, saturated
    const auto gaps = r.findingsOf(FindingKind::TimeGap);
    QCOMPARE(gaps.size(), 1);
    QCOMPARE(gaps.at(0).valueMs, highest);
    QVERIFY(r.rate.counts.size() <= (size_t(1) << 22) + 1);
    QCOMPARE(std::accumulate(r.rate.counts.begin(), r.rate.counts.end(), qint64(0)), 2);
    QCOMPARE(r.rate.counts.front(), 1u);
    QCOMPARE(r.rate.counts.back(), 1u);
}

void tst_ContinuityAnalyzer::nullIdRowsCountedByTheServerAreReported()
{
    const Scenario s = build(u"n=10; nolog"_s);
    ContinuityInput in;
    in.ids = s.ids;
    in.times = s.times;
    in.extraNullIdRows = 3;
    const ContinuityReport r = ContinuityAnalyzer().analyze(in);
    QCOMPARE(render(r), QStringList{u"null-id _ n3"_s});
    QCOMPARE(r.rows, 13);
    QCOMPARE(r.nullIdRows, 3);
}

void tst_ContinuityAnalyzer::nullIdRowsShowTheirTimes()
{
    // The reader counts null-id rows it cannot page through and asks for their times: the
    // finding carries them, the text shows them, the finding lands in its host window.
    const Scenario s = build(u"n=10; nolog"_s);
    ContinuityInput in;
    in.ids = s.ids;
    in.times = s.times;
    in.extraNullIdRows = 1;
    in.extraNullIdStartMs = T0 + 450;
    in.extraNullIdEndMs = T0 + 450;
    in.windows = {HostWindow{u"10.10.11.3"_s, T0 + 400, T0 + 500}};
    const ContinuityReport r = ContinuityAnalyzer().analyze(in);
    const auto nulls = r.findingsOf(FindingKind::NullId);
    QCOMPARE(nulls.size(), 1);
    QCOMPARE(nulls.at(0).startMs, T0 + 450);
    QCOMPARE(nulls.at(0).endMs, T0 + 450);
    QCOMPARE(nulls.at(0).window, 0);
    const QString text = continuityReportToText(r, in.windows);
    QVERIFY2(text.contains(u"null-id id - count 1 at 2023-01-10T09:30:00.450Z"_s), qPrintable(text));
    QVERIFY2(text.contains(u"during 10.10.11.3"_s), qPrintable(text));
    // Null ids read with their rows keep their own times as well.
    const ContinuityReport read = analyze(build(u"n=10; nullid 4"_s));
    QCOMPARE(read.findingsOf(FindingKind::NullId).at(0).startMs, T0 + 3 * STEP_MS);
    // Times the server could not give are said to be unknown, not shown as a dash.
    in.extraNullIdStartMs = NULL_VALUE;
    in.extraNullIdEndMs = NULL_VALUE;
    QVERIFY(continuityReportToText(ContinuityAnalyzer().analyze(in), {}).contains(u"null-id id - count 1 time unknown"_s));
}

void tst_ContinuityAnalyzer::aLateDuplicateIsTiedToTheWindowOfItsLaterCopy()
{
    const QList<HostWindow> windows{{u"10.10.11.1"_s, T0, T0 + 1000}, {u"10.10.11.2"_s, T0 + 86'000'000, T0 + 87'000'000}};
    const ContinuityReport r = analyze(build(u"n=20; extra 5@86400000"_s), {}, windows);
    const auto late = r.findingsOf(FindingKind::LateDuplicate);
    QCOMPARE(late.size(), 1);
    QCOMPARE(late.at(0).startMs, T0 + 4 * STEP_MS);
    QCOMPARE(late.at(0).endMs, T0 + 86'400'000);
    QCOMPARE(late.at(0).valueMs, 86'400'000 - 4 * STEP_MS);
    QCOMPARE(late.at(0).window, 1);
    QCOMPARE(r.total(FindingKind::Duplicate), 0);
    QCOMPARE(r.total(FindingKind::TimeGap), 0);
    const QJsonObject f = continuityReportToJson(r, windows).value(u"findings"_s).toArray().at(0).toObject();
    QCOMPARE(f.value(u"kind"_s).toString(), u"late-duplicate"_s);
    QCOMPARE(f.value(u"host"_s).toString(), u"10.10.11.2"_s);
    QCOMPARE(f.value(u"valueMs"_s).toInteger(), 86'400'000 - 4 * STEP_MS);
}

void tst_ContinuityAnalyzer::aGapAcrossAWriterRestartIsNotJudged()
{
    // The tool crashed after id 9 and was resumed a minute later: the writer's second session
    // starts at id 10. The minute is the tool's absence, not the cluster's.
    const Scenario s = build(u"n=20; shift 10=60000; shift 15=6000"_s);
    ContinuityOptions gated;
    gated.timeGapMs = 5000;
    gated.fatalKinds |= findingBit(FindingKind::TimeGap);
    QCOMPARE(render(analyze(s, gated)), (QStringList{u"time-gap 9-10 n1"_s, u"time-gap 14-15 n1"_s}));
    const std::vector<qint64> restarts{10};
    ContinuityInput in;
    in.ids = s.ids;
    in.times = s.times;
    in.attempts = s.attempts;
    in.hasWriterLog = true;
    in.writerRestartIds = restarts;
    const ContinuityReport r = ContinuityAnalyzer(gated).analyze(in);
    QCOMPARE(render(r), QStringList{u"time-gap 14-15 n1"_s});  // a gap inside a session still counts
    QCOMPARE(r.gapsAcrossWriterRestarts, 1);
    QVERIFY(r.isFatal());
    QVERIFY(continuityReportToText(r, {}).contains(u"1 time gap(s) across a restart of the writer"_s));
    QCOMPARE(continuityReportToJson(r, {}).value(u"gapsAcrossWriterRestarts"_s).toInteger(), 1);
}

void tst_ContinuityAnalyzer::verdictReasonsSayWhatAndWhere()
{
    // The writer stalled 10 s inside host 2's window: the gap in the time column and the slow
    // append fail the run's gates, and the reasons name the ids, the times and the host.
    Scenario s = build(u"n=100; latency 50=10000; shift 51=9900"_s);
    const QList<HostWindow> windows{{u"10.10.11.2"_s, T0 + 4000, T0 + 20000}};
    ContinuityOptions gated;
    gated.timeGapMs = 5000;
    gated.stallMs = 5000;
    gated.fatalKinds |= findingBit(FindingKind::TimeGap) | findingBit(FindingKind::Stall);
    const ContinuityReport r = analyze(s, gated, windows);
    QVERIFY(r.isFatal());
    const QStringList reasons = continuityVerdictReasons(r, windows);
    QCOMPARE(reasons.size(), 2);
    QVERIFY2(reasons.at(0).startsWith(u"time-gap: 1 time gap(s) beyond 5000 ms: 10000 ms between ids 50 and 51 "
                                      "(2023-01-10T09:30:04.900Z .. 2023-01-10T09:30:14.900Z) during 10.10.11.2"_s),
             qPrintable(reasons.at(0)));
    QVERIFY2(reasons.at(1).startsWith(u"stall: 1 append(s) slower than 5000 ms: ids 50, 1 append(s) up to 10000 ms"_s),
             qPrintable(reasons.at(1)));
    QVERIFY(reasons.at(1).contains(u"during 10.10.11.2"_s));
    const QJsonObject json = continuityReportToJson(r, windows);
    QCOMPARE(json.value(u"verdict"_s).toString(), u"fail"_s);
    QCOMPARE(json.value(u"reasons"_s).toArray().size(), 2);
    QCOMPARE(json.value(u"thresholds"_s).toObject().value(u"timeGapMs"_s).toInteger(), 5000);
    QVERIFY(continuityReportToText(r, windows).contains(u"  because time-gap: "_s));
    QVERIFY(continuityVerdictReasons(analyze(build(u"n=20"_s)), {}).isEmpty());
}

void tst_ContinuityAnalyzer::emptyTableIsNeverAPass()
{
    // A wrong table, a wrong column or a filter that matches nothing all read back empty: the
    // verdict fails and says there was nothing to judge.
    for (const QString &spec : {u"n=0; nolog"_s, u"n=0"_s}) {
        const ContinuityReport r = analyze(build(spec));
        QVERIFY(r.isFatal());
        QCOMPARE(r.findingsOf(FindingKind::NoRows).size(), 1);
        const QJsonObject json = continuityReportToJson(r, {});
        QCOMPARE(json.value(u"verdict"_s).toString(), u"fail"_s);
        QVERIFY(json.value(u"reasons"_s).toArray().at(0).toString().contains(u"yields no row"_s));
        QVERIFY(continuityReportToText(r, {}).contains(u"no-rows: the table (or the run's filter) yields no row"_s));
    }
    QVERIFY(!analyze(build(u"n=1; nolog"_s)).isFatal());
}

void tst_ContinuityAnalyzer::attemptsOfAWindow_data()
{
    // Attempt i (id 100 + i) sent at 1000 + 10 i ms.
    QTest::addColumn<qint64>("startMs");
    QTest::addColumn<qint64>("cutoffMs");
    QTest::addColumn<int>("count");
    QTest::addColumn<qint64>("firstId");
    QTest::addColumn<qint64>("lastId");
    QTest::newRow("the middle, both ends included") << 1100ll << 1200ll << 11 << 110ll << 120ll;
    QTest::newRow("everything") << 0ll << 99999ll << 50 << 100ll << 149ll;
    QTest::newRow("before the first attempt") << 0ll << 999ll << 0 << NULL_VALUE << NULL_VALUE;
    QTest::newRow("after the last attempt") << 1491ll << 99999ll << 0 << NULL_VALUE << NULL_VALUE;
    QTest::newRow("one attempt") << 1250ll << 1250ll << 1 << 125ll << 125ll;
}

void tst_ContinuityAnalyzer::attemptsOfAWindow()
{
    QFETCH(qint64, startMs);
    QFETCH(qint64, cutoffMs);
    QFETCH(int, count);
    QFETCH(qint64, firstId);
    QFETCH(qint64, lastId);
    std::vector<WriterAttempt> all;
    for (int i = 0; i < 50; ++i) {
        all.push_back(WriterAttempt{100 + i, 1000 + 10 * i, 1003 + 10 * i, AttemptOutcome::Acknowledged, 0});
    }
    const WindowAttempts w = attemptsInWindow(all, startMs, cutoffMs);
    QCOMPARE(int(w.attempts.size()), count);
    QCOMPARE(w.firstId, firstId);
    QCOMPARE(w.lastId, lastId);
    for (const WriterAttempt &a : w.attempts) {
        QVERIFY(a.sendMs >= startMs && a.sendMs <= cutoffMs);
    }
}

void tst_ContinuityAnalyzer::aWindowIsJudgedOnItsIdRangeAlone()
{
    // A long run (ids 1..1000, one per 10 ms), a host window over ids 400..600: the read-back
    // of that range alone, with one acknowledged row missing and one doubled, finds exactly
    // those, tied to the host, and nothing about the rows outside the range.
    std::vector<WriterAttempt> all;
    for (qint64 id = 1; id <= 1000; ++id) {
        all.push_back(WriterAttempt{id, T0 + id * 10, T0 + id * 10 + 4, AttemptOutcome::Acknowledged, 1});
    }
    const HostWindow window{u"10.10.11.2"_s, T0 + 4000, T0 + 6000};
    const WindowAttempts w = attemptsInWindow(all, window.startMs, window.endMs);
    QCOMPARE(w.firstId, 400);
    QCOMPARE(w.lastId, 600);
    std::vector<qint64> ids;
    std::vector<qint64> times;
    for (qint64 id = w.firstId; id <= w.lastId; ++id) {
        if (id == 517) {
            continue; // lost
        }
        ids.push_back(id);
        times.push_back(T0 + id * 10 + 2);
        if (id == 450) {
            ids.push_back(id); // duplicate
            times.push_back(T0 + id * 10 + 2);
        }
    }
    ContinuityInput in;
    in.ids = ids;
    in.times = times;
    in.attempts = w.attempts;
    in.hasWriterLog = true;
    in.windows = {window};
    const ContinuityReport r = ContinuityAnalyzer().analyze(in);
    QCOMPARE(r.attempts, 201);
    QCOMPARE(r.total(FindingKind::Lost), 1);
    QCOMPARE(r.findingsOf(FindingKind::Lost).at(0).firstId, 517);
    QCOMPARE(r.findingsOf(FindingKind::Lost).at(0).window, 0);
    QCOMPARE(r.total(FindingKind::Duplicate), 1);
    QCOMPARE(r.total(FindingKind::MissingIds), 0);
}

QTEST_APPLESS_MAIN(tst_ContinuityAnalyzer)
#include "tst_continuityanalyzer.moc"
