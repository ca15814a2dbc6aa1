// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityreader.h"

#include "dolphindb/scripts.h"

#include <QRegularExpression>
#include <QTest>

#include <algorithm>

using namespace GrayStep::Engine;
using namespace GrayStep::DolphinDb;
using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;

namespace {

constexpr qint64 T0 = 1673343000000;

// A table held in memory that answers the continuity scripts like a server would.
class FakeTable
{
public:
    std::vector<qint64> ids;     // NULL_VALUE: null
    std::vector<qint64> times;
    std::vector<QString> names;  // the name column; empty: every row "app"
    DataType idType = DataType::Int;
    QStringList scripts;
    bool answersNullIdTimes = true;

    int maxPageRows = 0;

    Result<DdbValue> run(const QString &script)
    {
        scripts << script;
        static const QRegularExpression stats(u"^select count\\(\\*\\) as rows, min\\(id\\) as minId, max\\(id\\) as maxId, min\\(time\\) as minTime, max\\(time\\) as maxTime from loadTable\\(\"dfs://stock\", \"stock\"\\)(?: where name = \"([^\"]*)\")?$"_s);
        static const QRegularExpression page(u"^select id, time from loadTable\\(\"dfs://stock\", \"stock\"\\) where id >= (-?\\d+) and id <= (-?\\d+)(?: and name = \"([^\"]*)\")?$"_s);
        static const QRegularExpression nulls(u"^select count\\(\\*\\) as rows, min\\(time\\) as minTime, max\\(time\\) as maxTime from loadTable\\(\"dfs://stock\", \"stock\"\\) where isNull\\(id\\)(?: and name = \"([^\"]*)\")?$"_s);
        if (const auto m = stats.match(script); m.hasMatch()) {
            const QString tag = m.captured(1);
            qint64 lo = NULL_VALUE;
            qint64 hi = NULL_VALUE;
            qint64 rows = 0;
            for (size_t k = 0; k < ids.size(); ++k) {
                if (!matches(k, tag)) {
                    continue;
                }
                ++rows;
                const qint64 id = ids[k];
                if (id != NULL_VALUE) {
                    lo = lo == NULL_VALUE ? id : std::min(lo, id);
                    hi = hi == NULL_VALUE ? id : std::max(hi, id);
                }
            }
            return DdbValue::table({u"rows"_s, u"minId"_s, u"maxId"_s, u"minTime"_s, u"maxTime"_s},
                                   {DdbVector::int64s(DataType::Long, {rows}), idVector({lo}),
                                    idVector({hi}), DdbVector::int64s(DataType::Timestamp, {NULL_LONG}),
                                    DdbVector::int64s(DataType::Timestamp, {NULL_LONG})});
        }
        if (const auto m = page.match(script); m.hasMatch()) {
            const qint64 first = m.captured(1).toLongLong();
            const qint64 last = m.captured(2).toLongLong();
            QList<qint64> i;
            QList<qint64> t;
            for (size_t k = 0; k < ids.size(); ++k) {  // table order, not sorted: the reader must not care
                if (ids[k] != NULL_VALUE && ids[k] >= first && ids[k] <= last && matches(k, m.captured(3))) {
                    i << ids[k];
                    t << times[k];
                }
            }
            maxPageRows = std::max(maxPageRows, int(i.size()));
            return DdbValue::table({u"id"_s, u"time"_s}, {idVector(i), DdbVector::int64s(DataType::Timestamp, t)});
        }
        if (const auto m = nulls.match(script); m.hasMatch() && answersNullIdTimes) {
            qint64 rows = 0;
            qint64 lo = NULL_LONG;
            qint64 hi = NULL_LONG;
            for (size_t k = 0; k < ids.size(); ++k) {
                if (ids[k] == NULL_VALUE && matches(k, m.captured(1))) {
                    ++rows;
                    if (times[k] != NULL_VALUE) {
                        lo = lo == NULL_LONG ? times[k] : std::min(lo, times[k]);
                        hi = hi == NULL_LONG ? times[k] : std::max(hi, times[k]);
                    }
                }
            }
            return DdbValue::table({u"rows"_s, u"minTime"_s, u"maxTime"_s},
                                   {DdbVector::int64s(DataType::Long, {rows}), DdbVector::int64s(DataType::Timestamp, {lo}),
                                    DdbVector::int64s(DataType::Timestamp, {hi})});
        }
        return Error(ErrorCode::Server, u"Syntax Error: [line #1] "_s + script);
    }

    // Row k has the name tag (an empty tag: every row).
    bool matches(size_t k, const QString &tag) const
    {
        return tag.isEmpty() || (k < names.size() ? names[k] : u"app"_s) == tag;
    }

private:
    DdbVector idVector(const QList<qint64> &values) const
    {
        if (idType == DataType::Long) {
            return DdbVector::int64s(DataType::Long, values);
        }
        QList<qint32> v;
        for (qint64 x : values) {
            v << (x == NULL_VALUE ? NULL_INT : static_cast<qint32>(x));
        }
        return DdbVector::int32s(DataType::Int, v);
    }
};

ContinuityTableRef stock()
{
    return ContinuityTableRef::parse(u"dfs://stock/stock"_s, u"id"_s, u"time"_s).value();
}

std::vector<std::pair<qint64, qint64>> sortedRows(const std::vector<qint64> &ids, const std::vector<qint64> &times)
{
    std::vector<std::pair<qint64, qint64>> rows;
    for (size_t i = 0; i < ids.size(); ++i) {
        rows.emplace_back(ids[i], times[i]);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
}

} // namespace

class tst_ContinuityReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tableNames_data();
    void tableNames();
    void readsEveryRowInPages_data();
    void readsEveryRowInPages();
    void duplicatesAreNeverSplitAcrossPages();
    void wrappedIdsReadInFewPages();
    void pageScriptText();
    void serverSendingRowsOutsideThePageIsAProtocolError();
    void convertsTimeTypes_data();
    void convertsTimeTypes();
    void badColumnsAreInputErrors();
    void serverErrorsAndCancelStopTheRead();
    void onlyTheRunsTaggedRowsAreRead();
    void nullIdRowsComeWithTheirTimes();
    void columnsOfTheWrongTypeAreNamed_data();
    void columnsOfTheWrongTypeAreNamed();
};

void tst_ContinuityReader::tableNames_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("database");
    QTest::addColumn<QString>("table");
    QTest::newRow("the tutorial's table") << u"dfs://stock/stock"_s << u"id"_s << true << u"dfs://stock"_s << u"stock"_s;
    QTest::newRow("a nested database path") << u"dfs://a/b.c/tb"_s << u"id"_s << true << u"dfs://a/b.c"_s << u"tb"_s;
    QTest::newRow("no table part is refused") << u"dfs://stock"_s << u"id"_s << false << QString() << QString();
    QTest::newRow("a trailing slash is refused") << u"dfs://stock/"_s << u"id"_s << false << QString() << QString();
    QTest::newRow("not a dfs path is refused") << u"/tmp/stock/stock"_s << u"id"_s << false << QString() << QString();
    QTest::newRow("a quote in the database is refused") << u"dfs://st\"ock/stock"_s << u"id"_s << false << QString() << QString();
    QTest::newRow("a script in the column name is refused") << u"dfs://stock/stock"_s << u"id);drop(x"_s << false
                                                          << QString() << QString();
}

void tst_ContinuityReader::tableNames()
{
    QFETCH(QString, path);
    QFETCH(QString, id);
    QFETCH(bool, valid);
    QFETCH(QString, database);
    QFETCH(QString, table);
    const auto ref = ContinuityTableRef::parse(path, id, u"time"_s);
    QCOMPARE(ref.ok(), valid);
    if (valid) {
        QCOMPARE(ref->database, database);
        QCOMPARE(ref->table, table);
        QCOMPARE(ref->path(), path);
    } else {
        QCOMPARE(ref.error().code, ErrorCode::InvalidInput);
    }
}

void tst_ContinuityReader::readsEveryRowInPages_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("pageRows");
    QTest::addColumn<bool>("longIds");
    QTest::newRow("an empty table takes one request") << 0 << 100 << false;
    QTest::newRow("one row") << 1 << 100 << false;
    QTest::newRow("rows that fill many pages, shuffled, with nulls and duplicates") << 5000 << 300 << false;
    QTest::newRow("a page of two rows still reads everything") << 50 << 2 << true;
    QTest::newRow("a page larger than the table") << 777 << 1000000 << true;
}

void tst_ContinuityReader::readsEveryRowInPages()
{
    QFETCH(int, rows);
    QFETCH(int, pageRows);
    QFETCH(bool, longIds);
    FakeTable t;
    t.idType = longIds ? DataType::Long : DataType::Int;
    for (int i = 0; i < rows; ++i) {
        qint64 id = i + 1;
        if (i % 97 == 5) {
            id = NULL_VALUE;
        } else if (i % 131 == 7) {
            id = i;  // a duplicate of the previous id
        }
        t.ids.push_back(id);
        t.times.push_back(i % 113 == 3 ? NULL_VALUE : T0 + i * 10);
    }
    std::reverse(t.ids.begin(), t.ids.end());
    std::reverse(t.times.begin(), t.times.end());
    qint64 lastCovered = 0;
    const auto read = readContinuityColumns([&](const QString &s) { return t.run(s); }, stock(), pageRows,
                                            [&](qint64 covered, qint64 total) {
                                                lastCovered = covered;
                                                return covered <= total;
                                            });
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().toString()));
    // Every row with an id, exactly (duplicates included); null-id rows only counted.
    std::vector<qint64> ids;
    std::vector<qint64> times;
    qint64 nulls = 0;
    for (size_t i = 0; i < t.ids.size(); ++i) {
        if (t.ids[i] == NULL_VALUE) {
            ++nulls;
        } else {
            ids.push_back(t.ids[i]);
            times.push_back(t.times[i]);
        }
    }
    QVERIFY(sortedRows(read->ids, read->times) == sortedRows(ids, times));
    QCOMPARE(read->nullIdRows, nulls);
    QVERIFY(t.maxPageRows <= std::max(3 * pageRows, 2));
    QCOMPARE(read->pages, t.scripts.size());
    if (rows > 1) {
        QVERIFY(lastCovered > 0);
    }
}

void tst_ContinuityReader::duplicatesAreNeverSplitAcrossPages()
{
    // Pages of about 4 rows; copies of one id always come in the same range.
    FakeTable t;
    for (qint64 id : {1, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9}) {
        t.ids.push_back(id);
        t.times.push_back(T0 + id);
    }
    const auto read = readContinuityColumns([&](const QString &s) { return t.run(s); }, stock(), 4);
    QVERIFY(read.ok());
    QVERIFY(sortedRows(read->ids, read->times) == sortedRows(t.ids, t.times));

    // One id more often than a page holds is still read completely.
    FakeTable many;
    for (int i = 0; i < 50; ++i) {
        many.ids.push_back(7);
        many.times.push_back(T0);
    }
    many.ids.push_back(8);
    many.times.push_back(T0);
    const auto all = readContinuityColumns([&](const QString &s) { return many.run(s); }, stock(), 3);
    QVERIFY(all.ok());
    QCOMPARE(all->ids.size(), size_t(51));
}

void tst_ContinuityReader::pageScriptText()
{
    // The reader's pages are the catalog's idRange script, word for word (LONG ids past 2^31).
    FakeTable t;
    t.idType = DataType::Long;
    t.ids = {3000000000LL, -5};
    t.times = {T0 + 1, T0};
    const auto read = readContinuityColumns([&](const QString &s) { return t.run(s); }, stock(), 10);
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().toString()));
    QCOMPARE(t.scripts.size(), 2);
    QCOMPARE(t.scripts.at(1),
             Scripts::idRange(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s, -5, 3000000000LL).value());
    QCOMPARE(t.scripts.at(1),
             u"select id, time from loadTable(\"dfs://stock\", \"stock\") where id >= -5 and id <= 3000000000"_s);
    QCOMPARE(sortedRows(read->ids, read->times),
             (std::vector<std::pair<qint64, qint64>>{{-5, T0}, {3000000000LL, T0 + 1}}));
}

void tst_ContinuityReader::serverSendingRowsOutsideThePageIsAProtocolError()
{
    FakeTable t;
    t.ids = {1, 2, 3};
    t.times = {T0, T0, T0};
    const auto read = readContinuityColumns([&](const QString &s) -> Result<DdbValue> {
        if (s.contains(u"where"_s)) {
            return DdbValue::table({u"id"_s, u"time"_s}, {DdbVector::int32s(DataType::Int, {1, 99}),
                                                        DdbVector::int64s(DataType::Timestamp, {T0, T0})});
        }
        return t.run(s);
    }, stock(), 10);
    QVERIFY(!read.ok());
    QCOMPARE(read.error().code, ErrorCode::Protocol);
}

void tst_ContinuityReader::wrappedIdsReadInFewPages()
{
    // An INT id sequence that wrapped: the range is 4 billion ids wide, the table has 6 rows.
    FakeTable t;
    for (qint64 id : {2147483645LL, 2147483646LL, 2147483647LL, -2147483647LL, -2147483646LL, -2147483645LL}) {
        t.ids.push_back(id);
        t.times.push_back(T0 + id % 1000);
    }
    const auto read = readContinuityColumns([&](const QString &s) { return t.run(s); }, stock(), 2);
    QVERIFY(read.ok());
    QVERIFY(sortedRows(read->ids, read->times) == sortedRows(t.ids, t.times));
    QVERIFY2(read->pages < 80, qPrintable(u"%1 pages"_s.arg(read->pages)));  // widened over the empty stretch
}

void tst_ContinuityReader::convertsTimeTypes_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<qint64>("raw");
    QTest::addColumn<qint64>("ms");
    QTest::newRow("TIMESTAMP is milliseconds") << int(DataType::Timestamp) << T0 << T0;
    QTest::newRow("DATETIME is seconds") << int(DataType::DateTime) << qint64(1673343000) << T0;
    QTest::newRow("NANOTIMESTAMP is nanoseconds") << int(DataType::NanoTimestamp) << (T0 * 1000000 + 999999) << T0;
    QTest::newRow("NANOTIMESTAMP before 1970 rounds down") << int(DataType::NanoTimestamp) << qint64(-1) << qint64(-1);
    QTest::newRow("DATE is days") << int(DataType::Date) << qint64(19367) << qint64(19367) * 86400000;
    QTest::newRow("a null TIMESTAMP stays null") << int(DataType::Timestamp) << NULL_LONG << NULL_VALUE;
    QTest::newRow("a null DATETIME becomes null") << int(DataType::DateTime) << qint64(NULL_INT) << NULL_VALUE;
}

void tst_ContinuityReader::convertsTimeTypes()
{
    QFETCH(int, type);
    QFETCH(qint64, raw);
    QFETCH(qint64, ms);
    const auto dt = static_cast<DataType>(type);
    const DdbVector time = elementSize(dt) == 8 ? DdbVector::int64s(dt, {raw})
                                                : DdbVector::int32s(dt, {static_cast<qint32>(raw)});
    ContinuityColumns out;
    QVERIFY(appendColumns(DdbVector::int32s(DataType::Int, {7}), time, out).ok());
    QCOMPARE(out.ids, std::vector<qint64>{7});
    QCOMPARE(out.times, std::vector<qint64>{ms});
}

void tst_ContinuityReader::badColumnsAreInputErrors()
{
    ContinuityColumns out;
    auto s = appendColumns(DdbVector::strings({u"a"_s}), DdbVector::int64s(DataType::Timestamp, {T0}), out);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(u"must be INT, LONG or SHORT"_s));
    s = appendColumns(DdbVector::int32s(DataType::Int, {1}), DdbVector::doubles({1.5}), out);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(u"temporal"_s));
    QVERIFY(out.ids.empty());
    // A table without the named columns is a shape error from the catalog's reader.
    FakeTable t;
    t.ids = {1};
    t.times = {T0};
    const auto ref = ContinuityTableRef::parse(u"dfs://stock/stock"_s, u"seq"_s, u"time"_s).value();
    const auto read = readContinuityColumns([&](const QString &) -> Result<DdbValue> {
        return DdbValue::table({u"rows"_s, u"minId"_s, u"maxId"_s},
                               {DdbVector::int64s(DataType::Long, {1}), DdbVector::int32s(DataType::Int, {1}),
                                DdbVector::int32s(DataType::Int, {1})});
    }, ref, 10);
    QVERIFY(!read.ok());
}

void tst_ContinuityReader::serverErrorsAndCancelStopTheRead()
{
    FakeTable t;
    for (int i = 1; i <= 100; ++i) {
        t.ids.push_back(i);
        t.times.push_back(T0 + i);
    }
    int calls = 0;
    const auto failing = readContinuityColumns(
        [&](const QString &s) -> Result<DdbValue> {
            if (++calls == 3) {
                return Error(ErrorCode::Server, u"The database [dfs://stock] is offline"_s);
            }
            return t.run(s);
        },
        stock(), 10);
    QVERIFY(!failing.ok());
    QVERIFY(failing.error().message.contains(u"offline"_s));
    const auto cancelled = readContinuityColumns([&](const QString &s) { return t.run(s); }, stock(), 10,
                                                 [](qint64, qint64) { return false; });
    QVERIFY(!cancelled.ok());
    QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
}

void tst_ContinuityReader::onlyTheRunsTaggedRowsAreRead()
{
    // 40 rows an earlier run left (ids 1..40, tag "app") share ids with this run's rows (tag
    // graystep-r1, ids 1..40 with 17 lost): only this run's rows are read, so 17 is absent.
    FakeTable t;
    for (qint64 id = 1; id <= 40; ++id) {
        t.ids.push_back(id);
        t.times.push_back(T0 - 86'400'000 + id);
        t.names.push_back(u"app"_s);
        if (id != 17) {
            t.ids.push_back(id);
            t.times.push_back(T0 + id);
            t.names.push_back(u"graystep-r1"_s);
        }
    }
    ContinuityTableRef ref = stock();
    ref.tag = u"graystep-r1"_s;
    QCOMPARE(ref.describe(), u"dfs://stock/stock where name = 'graystep-r1'"_s);
    const auto read = readContinuityColumns([&](const QString &s) { return t.run(s); }, ref, 7);
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().toString()));
    QCOMPARE(read->ids.size(), size_t(39));
    QVERIFY(std::find(read->ids.begin(), read->ids.end(), 17) == read->ids.end());
    for (qint64 time : read->times) {
        QVERIFY(time > T0);
    }
    for (const QString &script : std::as_const(t.scripts)) {
        QVERIFY2(script.endsWith(u"name = \"graystep-r1\""_s), qPrintable(script));
    }
    // Untagged, every row counts: the older copy hides the missing one.
    FakeTable all = t;
    const auto untagged = readContinuityColumns([&](const QString &s) { return all.run(s); }, stock(), 7);
    QVERIFY(untagged.ok());
    QCOMPARE(untagged->ids.size(), size_t(79));
    // A tag that could change the script is refused before anything is sent.
    ref.tag = u"x\" or 1==1 or name = \"y"_s;
    QVERIFY(!ref.validate().ok());
    FakeTable none;
    QVERIFY(!readContinuityColumns([&](const QString &s) { return none.run(s); }, ref, 7).ok());
    QVERIFY(none.scripts.isEmpty());
}

void tst_ContinuityReader::nullIdRowsComeWithTheirTimes()
{
    FakeTable t;
    for (qint64 i = 1; i <= 10; ++i) {
        t.ids.push_back(i == 4 || i == 8 ? NULL_VALUE : i);
        t.times.push_back(T0 + i * 100);
    }
    const auto read = readContinuityColumns([&](const QString &s) { return t.run(s); }, stock(), 100);
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().toString()));
    QCOMPARE(read->nullIdRows, 2);
    QCOMPARE(read->nullIdStartMs, T0 + 400);
    QCOMPARE(read->nullIdEndMs, T0 + 800);
    QCOMPARE(t.scripts.last(), Scripts::nullIdTimes(u"dfs://stock"_s, u"stock"_s, u"id"_s, u"time"_s).value());
    const ContinuityInput in = read->input();
    QCOMPARE(in.extraNullIdRows, 2);
    QCOMPARE(in.extraNullIdStartMs, T0 + 400);
    QCOMPARE(in.extraNullIdEndMs, T0 + 800);
    // A server that cannot answer it: the rows are still counted, their times unknown.
    FakeTable old = t;
    old.answersNullIdTimes = false;
    const auto counted = readContinuityColumns([&](const QString &s) { return old.run(s); }, stock(), 100);
    QVERIFY(counted.ok());
    QCOMPARE(counted->nullIdRows, 2);
    QCOMPARE(counted->nullIdStartMs, NULL_VALUE);
    // No null-id row: no extra request.
    FakeTable clean;
    clean.ids = {1, 2};
    clean.times = {T0, T0};
    QVERIFY(readContinuityColumns([&](const QString &s) { return clean.run(s); }, stock(), 100).ok());
    QCOMPARE(clean.scripts.size(), 2);
}

void tst_ContinuityReader::columnsOfTheWrongTypeAreNamed_data()
{
    QTest::addColumn<int>("idType");
    QTest::addColumn<int>("timeType");
    QTest::addColumn<QString>("message");
    QTest::newRow("a SYMBOL id column is named with its type")
        << int(DataType::Symbol) << int(DataType::Timestamp)
        << u"the id column 'name' (--id) is SYMBOL; it must be INT, LONG or SHORT"_s;
    QTest::newRow("a DOUBLE id column is named with its type")
        << int(DataType::Double) << int(DataType::Timestamp)
        << u"the id column 'name' (--id) is DOUBLE; it must be INT, LONG or SHORT"_s;
    QTest::newRow("an INT time column is named with its type")
        << int(DataType::Int) << int(DataType::Int) << u"the time column 'time' (--time) is INT; it must be a temporal type"_s;
}

void tst_ContinuityReader::columnsOfTheWrongTypeAreNamed()
{
    // `--id name` on the tutorial's table: min(name) answers a SYMBOL; the reader says so
    // before reading a page (it used to say "got TABLE(0 rows x 2 columns)").
    QFETCH(int, idType);
    QFETCH(int, timeType);
    QFETCH(QString, message);
    const auto column = [](DataType type, const QString &text, qint64 number) {
        switch (type) {
        case DataType::Symbol: return DdbVector::strings(DataType::Symbol, {text});
        case DataType::Double: return DdbVector::doubles({double(number)});
        case DataType::Int: return DdbVector::int32s(DataType::Int, {qint32(number)});
        default: return DdbVector::int64s(type, {number});
        }
    };
    QStringList scripts;
    const auto ref = ContinuityTableRef::parse(u"dfs://stock/stock"_s, u"name"_s, u"time"_s).value();
    const auto read = readContinuityColumns([&](const QString &script) -> Result<DdbValue> {
        scripts << script;
        return DdbValue::table({u"rows"_s, u"minId"_s, u"maxId"_s, u"minTime"_s, u"maxTime"_s},
                               {DdbVector::int64s(DataType::Long, {40}), column(DataType(idType), u"app"_s, 1),
                                column(DataType(idType), u"app"_s, 40), column(DataType(timeType), {}, T0),
                                column(DataType(timeType), {}, T0 + 40)});
    }, ref, 10);
    QVERIFY(!read.ok());
    QCOMPARE(read.error().code, ErrorCode::InvalidInput);
    QVERIFY2(read.error().message.contains(message), qPrintable(read.error().toString()));
    QCOMPARE(read.error().where, u"dfs://stock/stock"_s);
    QCOMPARE(scripts.size(), 1);
}

QTEST_APPLESS_MAIN(tst_ContinuityReader)
#include "tst_continuityreader.moc"
