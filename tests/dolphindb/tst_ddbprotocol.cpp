// SPDX-License-Identifier: GPL-3.0-or-later
// Request/response framing against the captured bytes of PROTOCOL.md §1-§3 and §4.9.
#include "dolphindb/ddbprotocol.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

const QByteArray HA_UUID = "7327c0ce-47aa-f3b4-a44e-aef021636c29";

QByteArray appenderTable()
{
    return hex("00 06 02 00 00 00 03 00 00 00 00 74 69 6d 65 00 6e 61 6d 65 00 69 64 00"
               "0c 01 02 00 00 00 01 00 00 00 00 c8 a0 6a 85 01 00 00 e8 cb a0 6a 85 01 00 00"
               "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 70 70 6c 65 00 4d 65 74 61 00"
               "01 00 00 00 02 00 00 00"
               "04 01 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00");
}

// Feeds a response in pieces of `step` bytes; collects MSG frames.
DdbResponse parseResponse(const QByteArray &bytes, qsizetype step, QStringList *messages,
                          bool *ok, QString *error)
{
    DdbResponseParser parser;
    qsizetype pos = 0;
    *ok = false;
    while (pos <= bytes.size()) {
        const qsizetype n = std::min(step, bytes.size() - pos);
        qsizetype off = 0;
        for (;;) {
            qsizetype used = 0;
            const auto s = parser.feed(bytes.constData() + pos + off, n - off, &used);
            off += used;
            if (s == DdbResponseParser::Status::Message) {
                *messages << parser.takeMessage();
                continue;
            }
            if (s == DdbResponseParser::Status::Done) {
                *ok = true;
                return parser.takeResponse();
            }
            if (s == DdbResponseParser::Status::Failed) {
                *error = parser.error().message;
                return {};
            }
            break;
        }
        if (n == 0) {
            break;
        }
        pos += n;
    }
    *error = parser.truncatedError().message;
    return {};
}

} // namespace

class tst_DdbProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestEncoding_data();
    void requestEncoding();
    void requestParsing_data() { requestEncoding_data(); }
    void requestParsing();
    void requestParsingOfOtherClients_data();
    void requestParsingOfOtherClients();
    void options_data();
    void options();
    void responses_data();
    void responses();
    void responseSplitAtEveryPoint_data() { responses_data(); }
    void responseSplitAtEveryPoint();
    void malformedResponses_data();
    void malformedResponses();
    void malformedRequests_data();
    void malformedRequests();
    void serverSideEncoding();
    void describeNeverShowsThePassword();
};

void tst_DdbProtocol::requestEncoding_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("actual");

    QTest::newRow("C++ connect is 27 bytes")
        << QByteArray("API 0 8 / 32_1_4_2\nconnect\n") << encodeRequest(DdbRequest::connect());

    DdbRequest login = DdbRequest::callFunction("1000000001", u"login"_s,
        {DdbValue::string(u"admin"_s), DdbValue::string(u"123456"_s), DdbValue::boolean(false)});
    QTest::newRow("login with three arguments")
        << (QByteArray("API2 1000000001 18 / 32_1_4_64__0\nfunction\nlogin\n3\n1")
            + hex("12 00 61 64 6d 69 6e 00 12 00 31 32 33 34 35 36 00 01 00 00"))
        << encodeRequest(login);

    DdbRequest ha = DdbRequest::runScript("1000000001", u"1+1"_s);
    ha.options = DdbRequestOptions::forHaCall(HA_UUID, 1);
    QTest::newRow("script in HA mode carries client id and seq")
        << QByteArray("API2 1000000001 10 / 32_1_4_64__0__7327c0ce-47aa-f3b4-a44e-aef021636c29_1\nscript\n1+1")
        << encodeRequest(ha);

    QTest::newRow("function without arguments")
        << QByteArray("API2 1000000001 20 / 32_1_4_64__0\nfunction\nversion\n0\n1")
        << encodeRequest(DdbRequest::callFunction("1000000001", u"version"_s, {}));

    QTest::newRow("variable upload")
        << (QByteArray("API2 1000000002 15 / 32_1_4_64__0\nvariable\nv1\n1\n1") + hex("12 00 68 65 6c 6c 6f 00"))
        << encodeRequest(DdbRequest::upload("1000000002", {u"v1"_s}, {DdbValue::string(u"hello"_s)}));

    DdbRequest append = DdbRequest::callFunction(
        "1000000001", u"tableInsert{loadTable('dfs://stock','stock')}"_s,
        {*DdbDecoder::decode(appenderTable())});
    append.options = DdbRequestOptions::forHaCall(HA_UUID, 3);
    QTest::newRow("appender request of §4.9")
        << (QByteArray("API2 1000000001 58 / 32_1_4_64__0__7327c0ce-47aa-f3b4-a44e-aef021636c29_3\n"
                       "function\ntableInsert{loadTable('dfs://stock','stock')}\n1\n1")
            + appenderTable())
        << encodeRequest(append);
    append.options->seqNo = -3;
    QTest::newRow("appender resend has a negative seq")
        << (QByteArray("API2 1000000001 58 / 32_1_4_64__0__7327c0ce-47aa-f3b4-a44e-aef021636c29_-3\n"
                       "function\ntableInsert{loadTable('dfs://stock','stock')}\n1\n1")
            + appenderTable())
        << encodeRequest(append);
}

void tst_DdbProtocol::requestEncoding()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, actual);
    QCOMPARE(actual, bytes);
}

void tst_DdbProtocol::requestParsing()
{
    QFETCH(QByteArray, bytes);
    // Parse at every split point; re-encoding the parsed request gives the same bytes.
    for (qsizetype split = 0; split <= bytes.size(); ++split) {
        DdbRequestParser parser;
        qsizetype used = 0;
        auto s = parser.feed(QByteArrayView(bytes).first(split), &used);
        QCOMPARE(used, split);
        if (split < bytes.size()) {
            QCOMPARE(s, DdbRequestParser::Status::NeedMore);
            s = parser.feed(QByteArrayView(bytes).sliced(split), &used);
        }
        QVERIFY2(s == DdbRequestParser::Status::Done, qPrintable(parser.error().message));
        QCOMPARE(encodeRequest(parser.takeRequest()), bytes);
    }
}

void tst_DdbProtocol::requestParsingOfOtherClients_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("detail");
    QTest::addColumn<int>("argc");
    QTest::newRow("JS connect with inline login")
        << QByteArray("API2 0 26 / 0_1_4_64\nconnect\nlogin\nadmin\n123456") << int(DdbRequestKind::Connect)
        << u"admin"_s << 0;
    QTest::newRow("JS function with trailing LF in the body")
        << (QByteArray("API2 1166953221 19 / 0_1_4_64\nfunction\nlogin\n2\n1\n")
            + hex("12 00 61 64 6d 69 6e 00 12 00 31 32 33 34 35 36 00"))
        << int(DdbRequestKind::Function) << u"login"_s << 2;
    QTest::newRow("2021 C++ connect without options")
        << QByteArray("API 0 8\nconnect\n") << int(DdbRequestKind::Connect) << QString() << 0;
    QTest::newRow("script with newlines")
        << QByteArray("API2 5 12 / 32_1_4_64__0\nscript\nx=1\nx") << int(DdbRequestKind::Script) << u"x=1\nx"_s << 0;
}

void tst_DdbProtocol::requestParsingOfOtherClients()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, kind);
    QFETCH(QString, detail);
    QFETCH(int, argc);
    DdbRequestParser parser;
    qsizetype used = 0;
    QCOMPARE(parser.feed(bytes, &used), DdbRequestParser::Status::Done);
    QCOMPARE(used, bytes.size());
    const DdbRequest r = parser.takeRequest();
    QCOMPARE(int(r.kind), kind);
    QCOMPARE(r.arguments.size(), argc);
    if (r.kind == DdbRequestKind::Connect && r.inlineLogin) {
        QCOMPARE(r.user, detail);
        QCOMPARE(r.password, u"123456"_s);
        QVERIFY(!r.loginEncrypted.has_value());
    } else if (r.kind == DdbRequestKind::Function) {
        QCOMPARE(r.function, detail);
        QVERIFY(r.trailingNewline);
    } else if (r.kind == DdbRequestKind::Script) {
        QCOMPARE(r.script, detail);
    }
    QCOMPARE(encodeRequest(r), bytes);
}

void tst_DdbProtocol::options_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("clientId");
    QTest::addColumn<qint64>("seq");
    QTest::newRow("C++ connect") << QByteArray("32_1_4_2") << QByteArray() << qint64(0);
    QTest::newRow("C++ call") << QByteArray("32_1_4_64__0") << QByteArray() << qint64(0);
    QTest::newRow("C++ HA resend") << QByteArray("32_1_4_64__0__" + HA_UUID + "_-3") << HA_UUID << qint64(-3);
    QTest::newRow("Java HA") << QByteArray("0_1_4_64____" + HA_UUID + "_7") << HA_UUID << qint64(7);
    QTest::newRow("JS") << QByteArray("0_1_4_64") << QByteArray() << qint64(0);
}

void tst_DdbProtocol::options()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, clientId);
    QFETCH(qint64, seq);
    const auto o = DdbRequestOptions::parse(text);
    QVERIFY(o.ok());
    QCOMPARE(o->clientId, clientId);
    QCOMPARE(o->seqNo.value_or(0), seq);
    QCOMPARE(o->toString(), text);
    QVERIFY(!DdbRequestOptions::parse("x_1").ok());
    QCOMPARE(DdbRequestOptions::forConnect().toString(), QByteArray("32_1_4_2"));
    QCOMPARE(DdbRequestOptions::forCall().toString(), QByteArray("32_1_4_64__0"));
}

void tst_DdbProtocol::responses_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QStringList>("messages");
    QTest::newRow("INT 2") << hex("31 31 36 36 39 35 33 32 32 31 20 31 20 31 0a 4f 4b 0a 04 00 02 00 00 00")
                           << u"OK"_s << u"2"_s << QStringList();
    QTest::newRow("connect reply without object") << QByteArray("1166953221 0 1\nOK\n") << u"OK"_s
                                                  << QString() << QStringList();
    QTest::newRow("version string")
        << (QByteArray("1166953221 1 1\nOK\n") + hex("12 00") + "2.00.8.12 2023.01.10" + '\0')
        << u"OK"_s << u"2.00.8.12 2023.01.10"_s << QStringList();
    QTest::newRow("server error text is kept verbatim")
        << QByteArray("1000000001 0 1\nSyntax Error: [line #1] Cannot recognize the token bad\n")
        << u"Syntax Error: [line #1] Cannot recognize the token bad"_s << QString() << QStringList();
    QTest::newRow("two MSG frames before the header")
        << (QByteArray("MSG\nstep 1\0MSG\nstep 2\0", 22) + "1 1 1\nOK\n" + hex("04 00 02 00 00 00"))
        << u"OK"_s << u"2"_s << QStringList{u"step 1"_s, u"step 2"_s};
    QTest::newRow("NotLeader error")
        << QByteArray("7 0 1\n<NotLeader>127.0.20.2:19001:ctl19001\n")
        << u"<NotLeader>127.0.20.2:19001:ctl19001"_s << QString() << QStringList();
}

void tst_DdbProtocol::responses()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, status);
    QFETCH(QString, value);
    QFETCH(QStringList, messages);
    QStringList got;
    bool ok = false;
    QString error;
    const DdbResponse r = parseResponse(bytes, bytes.size(), &got, &ok, &error);
    QVERIFY2(ok, qPrintable(error));
    QCOMPARE(r.status, status);
    QCOMPARE(r.value().toString(), value);
    QCOMPARE(got, messages);
}

void tst_DdbProtocol::responseSplitAtEveryPoint()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, status);
    QFETCH(QString, value);
    QFETCH(QStringList, messages);
    for (qsizetype step = 1; step <= bytes.size(); ++step) {
        QStringList got;
        bool ok = false;
        QString error;
        const DdbResponse r = parseResponse(bytes, step, &got, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(r.status, status);
        QCOMPARE(r.value().toString(), value);
        QCOMPARE(got, messages);
    }
}

void tst_DdbProtocol::malformedResponses_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("header with two fields") << QByteArray("1166953221 1\nOK\n") << u"invalid response header"_s;
    QTest::newRow("header with text fields") << QByteArray("a b c\nOK\n") << u"invalid response header"_s;
    QTest::newRow("header without a status line")
        << QByteArray("1166953221 1 1\n") << u"after the header line, before the status line"_s;
    QTest::newRow("header followed directly by binary object")
        << (QByteArray("1 1 1\n") + hex("04 00 ff fe 00 00 0a")) << u"status line is not valid UTF-8"_s;
    QTest::newRow("big-endian server") << QByteArray("1 1 0\nOK\n") << u"big-endian"_s;
    QTest::newRow("truncated object") << (QByteArray("1 1 1\nOK\n") + hex("04 00 02")) << u"inside the result object"_s;
    QTest::newRow("malformed object") << (QByteArray("1 1 1\nOK\n") + hex("32 00")) << u"unknown data type"_s;
    QTest::newRow("no line end within the header limit") << QByteArray(5000, '1') << u"no line end"_s;
    QTest::newRow("connection closed in a MSG frame") << QByteArray("MSG\nhalf") << u"inside a MSG frame"_s;
    QTest::newRow("nothing at all") << QByteArray() << u"before any response byte"_s;
}

void tst_DdbProtocol::malformedResponses()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, errorContains);
    QStringList got;
    bool ok = true;
    QString error;
    parseResponse(bytes, bytes.size(), &got, &ok, &error);
    QVERIFY(!ok);
    QVERIFY2(error.contains(errorContains), qPrintable(error));
}

void tst_DdbProtocol::malformedRequests_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("errorContains");
    QTest::newRow("HTTP is not an API request") << QByteArray("GET / HTTP/1.1\r\n") << u"unknown request verb 'GET'"_s;
    QTest::newRow("unknown verb") << QByteArray("APX 0 8\nconnect\n") << u"unknown request verb"_s;
    QTest::newRow("negative body length") << QByteArray("API 0 -8\n") << u"invalid body length"_s;
    QTest::newRow("huge body length") << QByteArray("API 0 999999999999\n") << u"invalid body length"_s;
    QTest::newRow("unknown command") << QByteArray("API2 1 5\nhello") << u"unknown request command"_s;
    QTest::newRow("function without argc") << QByteArray("API2 1 14\nfunction\nlogin") << u"needs 3 lines"_s;
    QTest::newRow("absurd argc") << QByteArray("API2 1 25\nfunction\nlogin\n99999999\n1") << u"invalid argument count"_s;
    QTest::newRow("bad options") << QByteArray("API2 1 8 / x_y\nconnect\n") << u"invalid flag"_s;
    QTest::newRow("malformed argument")
        << (QByteArray("API2 1 18\nfunction\nlogin\n1\n1") + hex("32 00")) << u"unknown data type"_s;
}

void tst_DdbProtocol::malformedRequests()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, errorContains);
    DdbRequestParser parser;
    qsizetype used = 0;
    QCOMPARE(parser.feed(bytes, &used), DdbRequestParser::Status::Failed);
    QVERIFY2(parser.error().message.contains(errorContains), qPrintable(parser.error().message));
}

void tst_DdbProtocol::serverSideEncoding()
{
    QCOMPARE(encodeResponse("1166953221", DdbValue::int32(2)),
             hex("31 31 36 36 39 35 33 32 32 31 20 31 20 31 0a 4f 4b 0a 04 00 02 00 00 00"));
    QCOMPARE(encodeResponse("1166953221", QList<DdbValue>{}), QByteArray("1166953221 0 1\nOK\n"));
    QCOMPARE(encodeErrorResponse("9", u"bad\nthing"_s), QByteArray("9 0 1\nbad thing\n"));
    QCOMPARE(encodeMessageFrame(u"hi"_s), QByteArray("MSG\nhi\0", 7));
}

void tst_DdbProtocol::describeNeverShowsThePassword()
{
    DdbRequest r = DdbRequest::connect();
    r.inlineLogin = true;
    r.user = u"admin"_s;
    r.password = u"s3cret-canary"_s;
    QVERIFY(!r.describe().contains(u"s3cret-canary"_s));
    const DdbRequest login = DdbRequest::callFunction("1", u"login"_s,
        {DdbValue::string(u"admin"_s), DdbValue::string(u"s3cret-canary"_s)});
    QVERIFY(!login.describe().contains(u"s3cret-canary"_s));
}

QTEST_APPLESS_MAIN(tst_DdbProtocol)

#include "tst_ddbprotocol.moc"
