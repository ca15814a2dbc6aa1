// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityreader.h"

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
    DataType idType = DataType::Int;
    QStringList scripts;

    Result<DdbValue> run(const QString &script)
    {
        scripts << script;
        static const QRegularExpression summary(u"^select count\\(\\*\\) as n, min\\(id\\) as minId, max\\(id\\) as maxId from loadTable\\(\"dfs://stock\", \"stock\"\\)$"_s);
        static const QRegularExpression page(u"^select id, time from loadTable\\(\"dfs://stock\", \"stock\"\\) where id >= (-?\\d+) and id <= (-?\\d+)$"_s);
        static const QRegularExpression nulls(u"^select id, time from loadTable\\(\"dfs://stock\", \"stock\"\\) where isNull\\(id\\)$"_s);
        if (summary.match(script).hasMatch()) {
            qint64 lo = NULL_VALUE;
            qint64 hi = NULL_VALUE;
            for (qint64 id : ids) {
                if (id != NULL_VALUE) {
                    lo = lo == NULL_VALUE ? id : std::min(lo, id);
                    hi = hi == NULL_VALUE ? id : std::max(hi, id);
                }
            }
            return DdbValue::table({u"n"_s, u"minId"_s, u"maxId"_s},
                                   {DdbVector::int64s(DataType::Long, {qint64(ids.size())}), idVector({lo}),
                                    idVector({hi})});
        }
        if (const auto m = page.match(script); m.hasMatch()) {
            return select([&](qint64 id) {
                return id != NULL_VALUE && id >= m.captured(1).toLongLong() && id <= m.captured(2).toLongLong();
            });
        }
        if (nulls.match(script).hasMatch()) {
            return select([](qint64 id) { return id == NULL_VALUE; });
        }
        return Error(ErrorCode::Server, u"Syntax Error: [line #1] "_s + script);
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
    template<typename F>
    Result<DdbValue> select(F &&keep) const
    {
        QList<qint64> i;
        QList<qint64> t;
        for (size_t k = 0; k < ids.size(); ++k) {
            if (keep(ids[k])) {
                i << ids[k];
                t << times[k];
            }
        }
        return DdbValue::table({u"id"_s, u"time"_s}, {idVector(i), DdbVector::int64s(DataType::Timestamp, t)});
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
    void scriptTexts();
    void readsEveryRowInPages_data();
    void readsEveryRowInPages();
    void sparseIdsNeedFewPages();
    void convertsTimeTypes_data();
    void convertsTimeTypes();
    void badColumnsAreInputErrors();
    void serverErrorsAndCancelStopTheRead();
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

void tst_ContinuityReader::scriptTexts()
{
    const ContinuityTableRef t = stock();
    QCOMPARE(ContinuityScripts::summary(t),
             u"select count(*) as n, min(id) as minId, max(id) as maxId from loadTable(\"dfs://stock\", \"stock\")"_s);
    QCOMPARE(ContinuityScripts::page(t, 1, 1000000),
             u"select id, time from loadTable(\"dfs://stock\", \"stock\") where id >= 1 and id <= 1000000"_s);
    QCOMPARE(ContinuityScripts::nullIdRows(t),
             u"select id, time from loadTable(\"dfs://stock\", \"stock\") where isNull(id)"_s);
    QCOMPARE(ContinuityScripts::appendFunction(u"dfs://stock"_s, u"stock"_s),
             u"tableInsert{loadTable('dfs://stock', 'stock')}"_s);
    QCOMPARE(ContinuityScripts::existsTable(u"dfs://stock"_s, u"stock"_s), u"existsTable(\"dfs://stock\", \"stock\")"_s);
    QCOMPARE(ContinuityScripts::createTable(u"dfs://stock"_s, u"stock"_s, WriterIdType::Int, true),
             u"db = database(\"dfs://stock\", VALUE, 2023.01.01..2023.01.10, , 'TSDB')\n"
             "tmp = table(1:0, `time`name`id, [TIMESTAMP, SYMBOL, INT])\n"
             "pt = db.createPartitionedTable(tmp, `stock, `time, , `name, ALL)"_s);
}

void tst_ContinuityReader::readsEveryRowInPages_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<qint64>("pageIds");
    QTest::addColumn<bool>("longIds");
    QTest::newRow("an empty table takes one request") << 0 << qint64(100) << false;
    QTest::newRow("one row") << 1 << qint64(100) << false;
    QTest::newRow("rows that fill many pages, shuffled, with nulls and duplicates") << 5000 << qint64(300) << false;
    QTest::newRow("a page size of one id still reads everything") << 50 << qint64(1) << true;
    QTest::newRow("a page larger than the table") << 777 << qint64(1000000) << true;
}

void tst_ContinuityReader::readsEveryRowInPages()
{
    QFETCH(int, rows);
    QFETCH(qint64, pageIds);
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
    const auto read = readContinuityColumns([&](const QString &s) { return t.run(s); }, stock(), pageIds,
                                            [&](qint64 covered, qint64 total) {
                                                lastCovered = covered;
                                                return covered <= total;
                                            });
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().toString()));
    QVERIFY(sortedRows(read->ids, read->times) == sortedRows(t.ids, t.times));
    QCOMPARE(read->pages, t.scripts.size());
    if (rows > 1) {
        QVERIFY(lastCovered > 0);
    }
}

void tst_ContinuityReader::sparseIdsNeedFewPages()
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
    QVERIFY2(read->pages < 80, qPrintable(u"%1 pages"_s.arg(read->pages)));
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
    const auto table = DdbValue::table({u"id"_s, u"time"_s}, {DdbVector::int32s(DataType::Int, {7}), time});
    QVERIFY(table.ok());
    ContinuityColumns out;
    QVERIFY(appendColumns(*table, stock(), out).ok());
    QCOMPARE(out.ids, std::vector<qint64>{7});
    QCOMPARE(out.times, std::vector<qint64>{ms});
}

void tst_ContinuityReader::badColumnsAreInputErrors()
{
    ContinuityColumns out;
    const auto noTime = DdbValue::table({u"id"_s, u"when"_s}, {DdbVector::int32s(DataType::Int, {1}),
                                                                DdbVector::int64s(DataType::Timestamp, {T0})});
    auto s = appendColumns(*noTime, stock(), out);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(u"no column 'time'"_s));
    const auto textId = DdbValue::table({u"id"_s, u"time"_s}, {DdbVector::strings({u"a"_s}),
                                                                 DdbVector::int64s(DataType::Timestamp, {T0})});
    s = appendColumns(*textId, stock(), out);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(u"must be INT, LONG or SHORT"_s));
    QVERIFY(out.ids.empty());
    QVERIFY(!appendColumns(DdbValue::int32(1), stock(), out).ok());
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

QTEST_APPLESS_MAIN(tst_ContinuityReader)
#include "tst_continuityreader.moc"
