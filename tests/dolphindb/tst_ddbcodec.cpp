// SPDX-License-Identifier: GPL-3.0-or-later
// Golden vectors of PROTOCOL.md §4 (captured from the official C++ encoder): each decodes to
// the expected value and re-encodes byte-identically, whatever way the bytes are split;
// malformed input gives a clear error.
#include "dolphindb/ddbcodec.h"
#include "dolphindb/ddbvalue.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));  // spaces and '|' are skipped
}

DdbValue tableOf(const QStringList &names, const QList<DdbVector> &cols, const QString &name = {})
{
    auto t = DdbValue::table(names, cols, name);
    Q_ASSERT(t.ok());
    return *t;
}

QByteArray ascii(const char *s)
{
    return QByteArray(s);
}

} // namespace

Q_DECLARE_METATYPE(GrayStep::DolphinDb::DdbValue)

class tst_DdbCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void golden_data();
    void golden();
    void goldenSplitAtEveryPoint_data() { golden_data(); }
    void goldenSplitAtEveryPoint();
    void goldenOneByteAtATime_data() { golden_data(); }
    void goldenOneByteAtATime();
    void scalarAccessors();
    void temporalHelpers();
    void sharedSymbolBaseIsReferencedById();
    void roundTripOfBuiltValues_data();
    void roundTripOfBuiltValues();
    void malformed_data();
    void malformed();
    void absurdCountsDoNotAllocate();
    void deepNestingIsRejected();
    void trailingBytesAreNotConsumed();
};

void tst_DdbCodec::golden_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<DdbValue>("expected");

    // §4.4 scalars
    QTest::newRow("BOOL true is 01 00 01") << hex("01 00 01") << DdbValue::boolean(true);
    QTest::newRow("BOOL null is 0x80") << hex("01 00 80") << DdbValue::scalar(DdbVector::bools({NULL_INT8}));
    QTest::newRow("CHAR 'a'") << hex("02 00 61") << DdbValue::scalar(DdbVector::chars({'a'}));
    QTest::newRow("SHORT 7") << hex("03 00 07 00") << DdbValue::scalar(DdbVector::shorts({7}));
    QTest::newRow("INT -1") << hex("04 00 ff ff ff ff") << DdbValue::int32(-1);
    QTest::newRow("INT null") << hex("04 00 00 00 00 80") << DdbValue::int32(NULL_INT);
    QTest::newRow("LONG 1") << hex("05 00 01 00 00 00 00 00 00 00") << DdbValue::int64(1);
    QTest::newRow("LONG null") << hex("05 00 00 00 00 00 00 00 00 80") << DdbValue::int64(NULL_LONG);
    QTest::newRow("FLOAT 1.5") << hex("0f 00 00 00 c0 3f") << DdbValue::scalar(DdbVector::floats({1.5f}));
    QTest::newRow("FLOAT null") << hex("0f 00 ff ff 7f ff") << DdbValue::scalar(DdbVector::floats({NULL_FLOAT}));
    QTest::newRow("DOUBLE 2.5") << hex("10 00 00 00 00 00 00 00 04 40") << DdbValue::float64(2.5);
    QTest::newRow("DOUBLE null") << hex("10 00 ff ff ff ff ff ff ef ff") << DdbValue::float64(NULL_DOUBLE);
    QTest::newRow("STRING ab") << hex("12 00 61 62 00") << DdbValue::string(u"ab"_s);
    QTest::newRow("STRING null is just the terminator") << hex("12 00 00") << DdbValue::string(QString());
    QTest::newRow("DATE 2023.01.10 is 19367 days")
        << hex("06 00 a7 4b 00 00")
        << DdbValue::int32(Temporal::dateFromQDate(QDate(2023, 1, 10)), DataType::Date);
    QTest::newRow("MONTH 2023.01M counts from year 0")
        << hex("07 00 d4 5e 00 00") << DdbValue::int32(Temporal::monthFromYearMonth(2023, 1), DataType::Month);
    QTest::newRow("TIME 09:30:00.000") << hex("08 00 c0 d9 09 02") << DdbValue::int32(34200000, DataType::Time);
    QTest::newRow("MINUTE 09:30m") << hex("09 00 3a 02 00 00") << DdbValue::int32(570, DataType::Minute);
    QTest::newRow("SECOND 09:30:00") << hex("0a 00 98 85 00 00") << DdbValue::int32(34200, DataType::Second);
    QTest::newRow("DATETIME 2023.01.10T09:30:00")
        << hex("0b 00 18 30 bd 63") << DdbValue::int32(1673343000, DataType::DateTime);
    QTest::newRow("TIMESTAMP 2023.01.10T09:30:00.123")
        << hex("0c 00 3b de 03 9b 85 01 00 00")
        << DdbValue::int64(Temporal::timestampFromDateTime(
                               QDateTime(QDate(2023, 1, 10), QTime(9, 30, 0, 123), Qt::UTC)),
                           DataType::Timestamp);
    QTest::newRow("NANOTIME 09:30:00.000000001")
        << hex("0d 00 01 f0 d9 ce 1a 1f 00 00") << DdbValue::int64(34200000000001LL, DataType::NanoTime);
    QTest::newRow("NANOTIMESTAMP 2023.01.10T09:30:00.000000001")
        << hex("0e 00 01 f0 62 be 97 e8 38 17")
        << DdbValue::int64(1673343000000000001LL, DataType::NanoTimestamp);
    QTest::newRow("DATEHOUR 2023.01.10T09") << hex("1c 00 b1 17 07 00") << DdbValue::int32(464817, DataType::DateHour);
    QTest::newRow("DATE null") << hex("06 00 00 00 00 80") << DdbValue::int32(NULL_INT, DataType::Date);
    QTest::newRow("TIMESTAMP null") << hex("0c 00 00 00 00 00 00 00 00 80") << DdbValue::int64(NULL_LONG, DataType::Timestamp);
    QTest::newRow("UUID bytes are reversed")
        << hex("13 00 87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d")
        << DdbValue::uuid(QUuid(u"5d212a78-cc48-e3b1-4235-b4d91473ee87"_s));
    QTest::newRow("BLOB ab") << hex("20 00 02 00 00 00 61 62") << DdbValue::blob("ab");
    QTest::newRow("VOID nothing") << hex("00 00 00") << DdbValue::voidValue(false);
    QTest::newRow("VOID explicit NULL") << hex("00 00 01") << DdbValue::voidValue(true);

    // §4.5 vectors
    QTest::newRow("INT vector [1, null]")
        << hex("04 01 02 00 00 00 01 00 00 00 01 00 00 00 00 00 00 80")
        << DdbValue::vector(DdbVector::int32s(DataType::Int, {1, NULL_INT}));
    QTest::newRow("BOOL vector [1, 0, null]")
        << hex("01 01 03 00 00 00 01 00 00 00 01 00 80")
        << DdbValue::vector(DdbVector::bools({1, 0, NULL_INT8}));
    QTest::newRow("DOUBLE vector [1.0, null]")
        << hex("10 01 02 00 00 00 01 00 00 00 00 00 00 00 00 00 f0 3f ff ff ff ff ff ff ef ff")
        << DdbValue::vector(DdbVector::doubles({1.0, NULL_DOUBLE}));
    QTest::newRow("STRING vector [a, empty]")
        << hex("12 01 02 00 00 00 01 00 00 00 61 00 00")
        << DdbValue::vector(DdbVector::strings({u"a"_s, QString()}));
    QTest::newRow("SYMBOL vector with base [x, y, x]")
        << hex("91 01 03 00 00 00 01 00 00 00 | 00 00 00 00 | 03 00 00 00 | 00 78 00 79 00 | 01 00 00 00 02 00 00 00 01 00 00 00")
        << DdbValue::vector(DdbVector::symbols({u"x"_s, u"y"_s, u"x"_s}));
    QTest::newRow("empty SYMBOL vector in plain form 0x11")
        << hex("11 01 00 00 00 00 01 00 00 00")
        << DdbValue::vector(DdbVector::strings(DataType::Symbol, {}));
    QTest::newRow("ANY vector (1, a)")
        << hex("19 01 02 00 00 00 01 00 00 00 | 04 00 01 00 00 00 | 12 00 61 00")
        << DdbValue::vector(DdbVector::anys({DdbValue::int32(1), DdbValue::string(u"a"_s)}));
    QTest::newRow("PAIR INT 1:2")
        << hex("04 02 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00")
        << DdbValue::pair(DdbVector::int32s(DataType::Int, {1, 2}));

    // §4.5 array vector, layout of the JS decoder: one block of 3 rows, 1-byte lengths.
    QTest::newRow("INT[] array vector [[1,2],[],[3]]")
        << hex("44 01 03 00 00 00 03 00 00 00 | 03 00 01 00 | 02 00 01 | 01 00 00 00 02 00 00 00 03 00 00 00")
        << DdbValue::vector(DdbVector::arrayVector(
               DataType::Int, {DdbVector::int32s(DataType::Int, {1, 2}), DdbVector::int32s(DataType::Int, {}),
                               DdbVector::int32s(DataType::Int, {3})}));

    // §4.6 matrix
    QTest::newRow("2x2 INT matrix, column-major, no labels")
        << hex("04 03 00 04 03 02 00 00 00 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00")
        << DdbValue::matrix(DdbVector::int32s(DataType::Int, {1, 2, 3, 4}), 2, 2);

    // §4.7 table
    QTest::newRow("one-row table with seven column types")
        << hex("00 06 01 00 00 00 07 00 00 00 00"
               "62 00 73 00 69 00 64 00 73 79 6d 00 73 74 72 00 74 73 00"
               "01 01 01 00 00 00 01 00 00 00 01"
               "03 01 01 00 00 00 01 00 00 00 02 00"
               "04 01 01 00 00 00 01 00 00 00 03 00 00 00"
               "10 01 01 00 00 00 01 00 00 00 00 00 00 00 00 00 10 40"
               "91 01 01 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 00 41 00 01 00 00 00"
               "12 01 01 00 00 00 01 00 00 00 42 00"
               "0c 01 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00")
        << tableOf({u"b"_s, u"s"_s, u"i"_s, u"d"_s, u"sym"_s, u"str"_s, u"ts"_s},
                   {DdbVector::bools({1}), DdbVector::shorts({2}), DdbVector::int32s(DataType::Int, {3}),
                    DdbVector::doubles({4.0}), DdbVector::symbols({u"A"_s}), DdbVector::strings({u"B"_s}),
                    DdbVector::int64s(DataType::Timestamp, {0})});

    // §4.8 set and dictionary
    QTest::newRow("SET INT {5}")
        << hex("04 04 | 04 01 01 00 00 00 01 00 00 00 05 00 00 00")
        << DdbValue::set(DdbVector::int32s(DataType::Int, {5}));
    QTest::newRow("DICT STRING->INT {a:1}")
        << hex("04 05 | 12 01 01 00 00 00 01 00 00 00 61 00 | 04 01 01 00 00 00 01 00 00 00 01 00 00 00")
        << DdbValue::dictionary(DdbVector::strings({u"a"_s}), DdbVector::int32s(DataType::Int, {1}));
    QTest::newRow("DICT STRING->ANY {k:v}")
        << hex("19 05 | 12 01 01 00 00 00 01 00 00 00 6b 00 | 19 01 01 00 00 00 01 00 00 00 12 00 76 00")
        << DdbValue::dictionary(DdbVector::strings({u"k"_s}),
                                DdbVector::anys({DdbValue::string(u"v"_s)}));

    // §4.9 the appender's table argument
    QTest::newRow("appender table (time TIMESTAMP, name SYMBOL, id INT)")
        << hex("00 06 02 00 00 00 03 00 00 00 00 74 69 6d 65 00 6e 61 6d 65 00 69 64 00"
               "0c 01 02 00 00 00 01 00 00 00 00 c8 a0 6a 85 01 00 00 e8 cb a0 6a 85 01 00 00"
               "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 70 70 6c 65 00 4d 65 74 61 00"
               "01 00 00 00 02 00 00 00"
               "04 01 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00")
        << tableOf({u"time"_s, u"name"_s, u"id"_s},
                   {DdbVector::int64s(DataType::Timestamp, {1672531200000LL, 1672531201000LL}),
                    DdbVector::symbols({u"Apple"_s, u"Meta"_s}), DdbVector::int32s(DataType::Int, {1, 2})});

    // §6.2 pnodeRun(version) reply object
    QTest::newRow("pnodeRun(version) table of node and value")
        << (hex("00 06 02 00 00 00 02 00 00 00 00 6e 6f 64 65 00 76 61 6c 75 65 00"
                "12 01 02 00 00 00 01 00 00 00 6e 6f 64 65 34 33 00 6e 6f 64 65 34 34 00"
                "12 01 02 00 00 00 01 00 00 00")
            + ascii("2.00.8.12 2023.01.10") + '\0' + ascii("2.00.8.12 2023.01.10") + '\0')
        << tableOf({u"node"_s, u"value"_s},
                   {DdbVector::strings({u"node43"_s, u"node44"_s}),
                    DdbVector::strings({u"2.00.8.12 2023.01.10"_s, u"2.00.8.12 2023.01.10"_s})});
}

void tst_DdbCodec::golden()
{
    QFETCH(QByteArray, bytes);
    QFETCH(DdbValue, expected);

    qsizetype used = 0;
    const auto decoded = DdbDecoder::decode(bytes, &used);
    QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
    QCOMPARE(used, bytes.size());
    QVERIFY2(*decoded == expected, qPrintable(decoded->describe() + u" vs "_s + expected.describe()));
    QCOMPARE(DdbEncoder::encode(*decoded).toHex(' '), bytes.toHex(' '));
    QCOMPARE(DdbEncoder::encode(expected).toHex(' '), bytes.toHex(' '));
    QCOMPARE(DdbEncoder::encodedSize(expected), qint64(bytes.size()));
}

void tst_DdbCodec::goldenSplitAtEveryPoint()
{
    QFETCH(QByteArray, bytes);
    QFETCH(DdbValue, expected);
    for (qsizetype split = 0; split <= bytes.size(); ++split) {
        DdbDecoder dec;
        qsizetype used = 0;
        DdbDecoder::Status s = dec.feed(QByteArrayView(bytes).first(split), &used);
        if (split < bytes.size()) {
            QCOMPARE(s, DdbDecoder::Status::NeedMore);
            QCOMPARE(used, split);
            s = dec.feed(QByteArrayView(bytes).sliced(split), &used);
            QCOMPARE(used, bytes.size() - split);
        }
        QCOMPARE(s, DdbDecoder::Status::Done);
        QVERIFY2(dec.takeValue() == expected, qPrintable(u"split at %1"_s.arg(split)));
    }
}

void tst_DdbCodec::goldenOneByteAtATime()
{
    QFETCH(QByteArray, bytes);
    QFETCH(DdbValue, expected);
    DdbDecoder dec;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        qsizetype used = 0;
        const DdbDecoder::Status s = dec.feed(bytes.constData() + i, 1, &used);
        QCOMPARE(used, qsizetype(1));
        QCOMPARE(s, i + 1 == bytes.size() ? DdbDecoder::Status::Done : DdbDecoder::Status::NeedMore);
    }
    QVERIFY(dec.takeValue() == expected);
}

void tst_DdbCodec::scalarAccessors()
{
    const DdbValue ts = *DdbDecoder::decode(hex("0c 00 3b de 03 9b 85 01 00 00"));
    QCOMPARE(ts.toString(), u"2023.01.10T09:30:00.123"_s);
    QCOMPARE(ts.toInt64(), 1673343000123LL);
    QCOMPARE(DdbDecoder::decode(hex("07 00 d4 5e 00 00"))->toString(), u"2023.01M"_s);
    QCOMPARE(DdbDecoder::decode(hex("06 00 a7 4b 00 00"))->toString(), u"2023.01.10"_s);
    QCOMPARE(DdbDecoder::decode(hex("08 00 c0 d9 09 02"))->toString(), u"09:30:00.000"_s);
    QCOMPARE(DdbDecoder::decode(hex("09 00 3a 02 00 00"))->toString(), u"09:30m"_s);
    QCOMPARE(DdbDecoder::decode(hex("0a 00 98 85 00 00"))->toString(), u"09:30:00"_s);
    QCOMPARE(DdbDecoder::decode(hex("0b 00 18 30 bd 63"))->toString(), u"2023.01.10T09:30:00"_s);
    QCOMPARE(DdbDecoder::decode(hex("0d 00 01 f0 d9 ce 1a 1f 00 00"))->toString(), u"09:30:00.000000001"_s);
    QCOMPARE(DdbDecoder::decode(hex("0e 00 01 f0 62 be 97 e8 38 17"))->toString(),
             u"2023.01.10T09:30:00.000000001"_s);
    QCOMPARE(DdbDecoder::decode(hex("1c 00 b1 17 07 00"))->toString(), u"2023.01.10T09"_s);
    QCOMPARE(DdbDecoder::decode(hex("13 00 87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d"))->toString(),
             u"5d212a78-cc48-e3b1-4235-b4d91473ee87"_s);
    const DdbValue nullInt = *DdbDecoder::decode(hex("04 00 00 00 00 80"));
    QVERIFY(nullInt.isNull());
    bool ok = true;
    nullInt.toInt64(&ok);
    QVERIFY(!ok);
    QVERIFY(DdbDecoder::decode(hex("01 00 01"))->toBool());
    QCOMPARE(DdbDecoder::decode(hex("10 00 00 00 00 00 00 00 04 40"))->toDouble(), 2.5);

    const DdbValue sym = *DdbDecoder::decode(
        hex("91 01 03 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 78 00 79 00 01 00 00 00 02 00 00 00 01 00 00 00"));
    QVERIFY(sym.elements().hasSymbolBase());
    QCOMPARE(sym.elements().stringAt(0), u"x"_s);
    QCOMPARE(sym.elements().stringAt(1), u"y"_s);
    QCOMPARE(sym.elements().symbolIndices()[2], 1);
    QCOMPARE(sym.elements().symbolBase().size(), qint64(3));

    const DdbValue arr = *DdbDecoder::decode(
        hex("44 01 03 00 00 00 03 00 00 00 03 00 01 00 02 00 01 01 00 00 00 02 00 00 00 03 00 00 00"));
    QVERIFY(arr.elements().isArrayVector());
    QCOMPARE(arr.rowCount(), qint64(3));
    QCOMPARE(arr.elements().leafCount(), qint64(3));
    QCOMPARE(arr.elements().formatAt(0), u"[1,2]"_s);
    QVERIFY(arr.elements().isNull(1));
    QCOMPARE(arr.elements().arrayAt(2).intAt(0), qint64(3));

    const DdbValue dec = DdbValue::scalar(DdbVector::decimal64s(2, {-12345}));
    QCOMPARE(dec.toString(), u"-123.45"_s);
    QCOMPARE(DdbDecoder::decode(DdbEncoder::encode(dec))->toString(), u"-123.45"_s);
}

void tst_DdbCodec::temporalHelpers()
{
    QCOMPARE(Temporal::monthFromYearMonth(2023, 1), 24276);
    QCOMPARE(Temporal::format(DataType::Month, 24276 + 11), u"2023.12M"_s);
    QCOMPARE(Temporal::qdateFromDate(19367), QDate(2023, 1, 10));
    QCOMPARE(Temporal::format(DataType::Date, -1), u"1969.12.31"_s);
    QCOMPARE(Temporal::format(DataType::Timestamp, -1), u"1969.12.31T23:59:59.999"_s);
    QCOMPARE(Temporal::format(DataType::Timestamp, NULL_LONG), QString());
    QCOMPARE(Temporal::dateTimeFromTimestamp(1672531200000LL),
             QDateTime(QDate(2023, 1, 1), QTime(0, 0), Qt::UTC));
}

void tst_DdbCodec::sharedSymbolBaseIsReferencedById()
{
    // Two columns sharing one base: the second refers to base 0 with size 0 (C++ behaviour).
    const DdbVector a = DdbVector::symbols({u"p"_s, u"q"_s});
    const DdbVector b = DdbVector::symbols(a.symbolBase(), {2, 1, 0});
    const DdbVector c = DdbVector::symbols(a.symbolBase(), {1});
    (void)c;
    // b has its own shared_ptr copy of the base; re-use happens when the same storage is used:
    const DdbValue t = tableOf({u"a"_s, u"b"_s}, {a, a});
    const QByteArray bytes = DdbEncoder::encode(t);
    const QByteArray second = hex("91 01 02 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00");
    QVERIFY2(bytes.endsWith(second), bytes.toHex(' ').constData());
    const auto back = DdbDecoder::decode(bytes);
    QVERIFY(back.ok());
    QVERIFY(*back == t);
    QCOMPARE(DdbEncoder::encode(*back), bytes);
    QCOMPARE(b.stringAt(0), u"q"_s);
    QVERIFY(b.isNull(2));
}

void tst_DdbCodec::roundTripOfBuiltValues_data()
{
    QTest::addColumn<DdbValue>("value");
    QTest::newRow("every fixed-size type as a vector with nulls") << DdbValue::vector(
        DdbVector::int64s(DataType::NanoTimestamp, {1, NULL_LONG, -5}));
    QTest::newRow("decimal32 vector carries its scale once") << DdbValue::vector(DdbVector::decimal32s(3, {1000, NULL_INT}));
    QTest::newRow("uuid vector") << DdbValue::vector(DdbVector::uuids(DataType::Uuid, {QUuid::createUuid(), QUuid()}));
    QTest::newRow("blob vector") << DdbValue::vector(DdbVector::blobs({QByteArray("\0\1\2", 3), QByteArray()}));
    QTest::newRow("void vector") << DdbValue::vector(DdbVector::voids(3));
    QTest::newRow("function definition") << DdbValue::scalar(DdbVector::functionDef(0, u"version"_s));
    QTest::newRow("chinese text") << DdbValue::string(u"升级 ✓"_s);
    QTest::newRow("nested any") << DdbValue::vector(DdbVector::anys(
        {DdbValue::vector(DdbVector::anys({DdbValue::int32(7)})), DdbValue::voidValue(true)}));
    QTest::newRow("matrix with column labels") << DdbValue::matrix(
        DdbVector::strings({u"a"_s, u"b"_s}), 1, 2, std::nullopt,
        DdbValue::vector(DdbVector::strings({u"node1"_s, u"node2"_s})));
    QTest::newRow("dictionary int -> symbol") << DdbValue::dictionary(
        DdbVector::int32s(DataType::Int, {1, 2}), DdbVector::symbols({u"a"_s, u"b"_s}));
    QTest::newRow("chart (encoded like a dictionary), fuzzer finding") << *DdbDecoder::decode(
        hex("19 07 12 01 01 00 00 00 01 00 00 00 6b 00 19 01 01 00 00 00 01 00 00 00 00 00 07"));
    QTest::newRow("DECIMAL64[] array vector with a long row") << DdbValue::vector(DdbVector::arrayVector(
        DataType::Decimal64, {DdbVector::decimal64s(2, QList<qint64>(300, 7)), DdbVector::decimal64s(2, {1})}));
    QTest::newRow("empty TIMESTAMP[] array vector") << DdbValue::vector(DdbVector::arrayVector(DataType::Timestamp, {}));
    QTest::newRow("empty table with named columns") << tableOf(
        {u"x"_s, u"y"_s}, {DdbVector::int32s(DataType::Int, {}), DdbVector::strings({})}, u"t"_s);
    QTest::newRow("duration, complex, ipaddr")
        << DdbValue::vector(DdbVector::anys(
               {DdbValue::scalar(DdbVector::fromRaw(DataType::Duration, hex("05000000 03000000"))),
                DdbValue::scalar(DdbVector::fromRaw(DataType::Complex, QByteArray(16, '\1'))),
                DdbValue::scalar(DdbVector::fromRaw(DataType::IpAddr, hex("0100007f000000000000000000000000")))}));
}

void tst_DdbCodec::roundTripOfBuiltValues()
{
    QFETCH(DdbValue, value);
    const QByteArray bytes = DdbEncoder::encode(value);
    QCOMPARE(DdbEncoder::encodedSize(value), qint64(bytes.size()));
    const auto back = DdbDecoder::decode(bytes);
    QVERIFY2(back.ok(), qPrintable(back.ok() ? QString() : back.error().message));
    QVERIFY(*back == value);
    QCOMPARE(DdbEncoder::encode(*back), bytes);
}

void tst_DdbCodec::malformed_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("unknown type code 50") << hex("32 00 00 00 00 00") << u"unknown data type code 50"_s;
    QTest::newRow("unknown type code 120") << hex("78 01 00 00 00 00") << u"unknown data type code 120"_s;
    QTest::newRow("unknown form code 12") << hex("04 0c 00 00") << u"data form 12"_s;
    QTest::newRow("compressed column is refused") << hex("1a 01 01 00 00 00 01 00 00 00") << u"COMPRESS"_s;
    QTest::newRow("array vector of strings is refused clearly") << hex("52 01 01 00 00 00 01 00 00 00") << u"array vectors of STRING"_s;
    QTest::newRow("array vector block with length width 3")
        << hex("44 01 01 00 00 00 01 00 00 00 01 00 03 00 01 00 00") << u"length width 3"_s;
    QTest::newRow("array vector block longer than the rows")
        << hex("44 01 01 00 00 00 01 00 00 00 02 00 01 00 01 01 00 00 00 00") << u"array vector block of 2 rows"_s;
    QTest::newRow("array vector type as a scalar") << hex("44 00 01 00 00 00") << u"needs the VECTOR form"_s;
    QTest::newRow("0x80 flag on a non-symbol type") << hex("84 01 01 00 00 00 01 00 00 00") << u"0x84"_s;
    QTest::newRow("negative vector count") << hex("04 01 ff ff ff ff 01 00 00 00") << u"negative element count"_s;
    QTest::newRow("negative table size") << hex("00 06 ff ff ff ff 01 00 00 00 00") << u"negative table size"_s;
    QTest::newRow("invalid UTF-8 in a string") << hex("12 00 c3 28 00") << u"not valid UTF-8"_s;
    QTest::newRow("invalid UTF-8 in a column name") << hex("00 06 00 00 00 00 01 00 00 00 00 ff 00") << u"column name is not valid UTF-8"_s;
    QTest::newRow("symbol index beyond the base")
        << hex("91 01 01 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 00 05 00 00 00") << u"outside the symbol base"_s;
    QTest::newRow("symbol base referenced before definition")
        << hex("91 01 01 00 00 00 01 00 00 00 07 00 00 00 00 00 00 00 00 00 00 00") << u"referenced before it is defined"_s;
    QTest::newRow("table column shorter than the header says")
        << hex("00 06 02 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 01 00 00 00")
        << u"has 1 rows, the table header says 2"_s;
    QTest::newRow("table column that is a scalar")
        << hex("00 06 01 00 00 00 01 00 00 00 00 61 00 04 00 01 00 00 00") << u"is not a vector"_s;
    QTest::newRow("dictionary with fewer values than keys")
        << hex("04 05 12 01 01 00 00 00 01 00 00 00 61 00 04 01 00 00 00 00 01 00 00 00") << u"1 keys but 0 values"_s;
    QTest::newRow("negative blob length") << hex("20 00 ff ff ff ff") << u"negative BLOB length"_s;
    QTest::newRow("decimal scale out of range") << hex("25 00 63 00 00 00 01 00 00 00") << u"invalid decimal scale"_s;
    QTest::newRow("matrix with a vector inner flag")
        << hex("04 03 00 04 01 01 00 00 00 01 00 00 00") << u"expected 3 (MATRIX)"_s;
    QTest::newRow("truncated INT scalar") << hex("04 00 01 00") << u"incomplete"_s;
    QTest::newRow("truncated table") << hex("00 06 01 00 00 00 01 00 00 00 00 61") << u"incomplete"_s;
    QTest::newRow("empty input") << QByteArray() << u"incomplete"_s;
}

void tst_DdbCodec::malformed()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, errorContains);
    const auto r = DdbDecoder::decode(bytes);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.contains(errorContains), qPrintable(r.error().message));
    QCOMPARE(r.error().code, GrayStep::Core::ErrorCode::Protocol);
}

void tst_DdbCodec::absurdCountsDoNotAllocate()
{
    // Headers that claim 2^31-1 elements / columns, followed by a few bytes: the decoder
    // must wait (NeedMore) without reserving gigabytes. Under ASan an attempt to allocate
    // that much would abort the test.
    const QList<QByteArray> inputs{
        hex("04 01 ff ff ff 7f 01 00 00 00 01 02 03 04"),               // INT vector
        hex("13 01 ff ff ff 7f 01 00 00 00 01"),                         // UUID vector
        hex("12 01 ff ff ff 7f 01 00 00 00 61 00 62"),                  // STRING vector
        hex("19 01 ff ff ff 7f 01 00 00 00 04 00 01 00 00 00"),         // ANY vector
        hex("00 06 ff ff ff 7f ff ff ff 7f 00 61 00"),                  // table
        hex("91 01 ff ff ff 7f 01 00 00 00 00 00 00 00 ff ff ff 7f 00"), // symbol base
        hex("20 00 ff ff ff 0f 61 62"),                                  // BLOB just under the element limit
        hex("04 03 00 04 03 ff ff ff 7f 02 00 00 00 01 00 00 00"),      // matrix
    };
    for (const QByteArray &in : inputs) {
        DdbDecoder dec;
        qsizetype used = 0;
        QVERIFY2(dec.feed(in, &used) == DdbDecoder::Status::NeedMore,
                 qPrintable(QString::fromLatin1(in.toHex(' ')) + u": "_s + dec.error().message));
        QCOMPARE(used, in.size());
    }
    // A BLOB over the element limit and a 2^31 x 2^31 matrix: an error, not an allocation.
    QVERIFY(!DdbDecoder::decode(hex("20 00 ff ff ff 7f 61 62")).ok());
    QVERIFY(!DdbDecoder::decode(hex("04 03 00 04 03 ff ff ff 7f ff ff ff 7f 01")).ok());
    // VOID elements carry no bytes: nothing is stored, but a count beyond the limit is
    // refused (consumers would iterate it), and so is an empty matrix with 2^31 columns.
    const auto v = DdbDecoder::decode(hex("00 01 00 00 00 01 01 00 00 00"));
    QVERIFY(v.ok());
    QCOMPARE(v->rowCount(), qint64(1) << 24);
    const auto huge = DdbDecoder::decode(hex("00 01 ff ff ff 7f 01 00 00 00"));
    QVERIFY(!huge.ok());
    QVERIFY2(huge.error().message.contains(u"VOID vector"_s), qPrintable(huge.error().message));
    QVERIFY(!DdbDecoder::decode(hex("04 03 00 04 03 00 00 00 00 ff ff ff 7f")).ok());
}

void tst_DdbCodec::deepNestingIsRejected()
{
    QByteArray bytes;
    for (int i = 0; i < 200; ++i) {
        bytes += hex("19 01 01 00 00 00 01 00 00 00");
    }
    bytes += hex("04 00 01 00 00 00");
    const auto r = DdbDecoder::decode(bytes);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.contains(u"nested deeper"_s), qPrintable(r.error().message));
}

void tst_DdbCodec::trailingBytesAreNotConsumed()
{
    const QByteArray bytes = hex("04 00 02 00 00 00 ff ee");
    DdbDecoder dec;
    qsizetype used = 0;
    QCOMPARE(dec.feed(bytes, &used), DdbDecoder::Status::Done);
    QCOMPARE(used, qsizetype(6));
    QCOMPARE(dec.takeValue().toInt64(), 2);
    // Done is sticky until reset().
    QCOMPARE(dec.feed(bytes, &used), DdbDecoder::Status::Done);
    QCOMPARE(used, qsizetype(0));
    dec.reset();
    QCOMPARE(dec.feed(QByteArrayView(bytes).first(6), &used), DdbDecoder::Status::Done);
}

QTEST_APPLESS_MAIN(tst_DdbCodec)

#include "tst_ddbcodec.moc"
