// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/interpreter.h"
#include "sim/node/scriptparser.h"

#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Sim;
using namespace GrayStep::DolphinDb;

class tst_ScriptParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scriptsParse_data();
    void scriptsParse();
    void syntaxErrorsNameTheLine_data();
    void syntaxErrorsNameTheLine();
    void literalsHaveDolphinDbTypes();
    void theTutorialScriptIsThreeStatements();
    void pagedSelectsKeepTopOrderAndLimit();
    void operatorsBroadcastOverVectors();
};

void tst_ScriptParser::scriptsParse_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<int>("statements");
    QTest::newRow("an arithmetic expression") << u"1+1"_s << 1;
    QTest::newRow("rpc with a function argument") << u"rpc(getControllerAlias(), getClusterPerf)"_s << 1;
    QTest::newRow("a partial application with a symbol") << u"pnodeRun(getConfig{`chunkMetaDir})"_s << 1;
    QTest::newRow("the chunk gate") << u"select * from rpc(getControllerAlias(), getClusterChunksStatus) where state != \"COMPLETE\""_s << 1;
    QTest::newRow("the appender's function name") << u"tableInsert{loadTable('dfs://stock', 'stock')}"_s << 1;
    QTest::newRow("count and paging") << u"select count(*) from loadTable(\"dfs://stock\",\"stock\")\nselect id, time from loadTable(\"dfs://stock\",\"stock\") where id >= 1 and id < 10"_s << 2;
    QTest::newRow("exec with two aggregates") << u"exec min(id), max(id) from t"_s << 1;
    QTest::newRow("statements separated by semicolons") << u"x = 1; y = 2; x + y"_s << 3;
    QTest::newRow("a comment line") << u"// hello\n1"_s << 1;
    QTest::newRow("SQL = in where") << u"select * from t where name = `a"_s << 1;
}

void tst_ScriptParser::scriptsParse()
{
    QFETCH(QString, script);
    QFETCH(int, statements);
    const auto parsed = parseScript(script);
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(parsed->size(), statements);
}

void tst_ScriptParser::syntaxErrorsNameTheLine_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<QString>("error");
    QTest::newRow("an operator without operand") << u"1 +* 2"_s << u"Syntax Error: [line #1] Cannot recognize the token *"_s;
    QTest::newRow("an unknown character on line 2") << u"x = 1\ny = $"_s << u"Syntax Error: [line #2] Cannot recognize the token $"_s;
    QTest::newRow("an unterminated string") << u"x = \"abc"_s << u"Syntax Error: [line #1] The string is not terminated: \"abc"_s;
    QTest::newRow("an incomplete call") << u"f(1,"_s << u"Syntax Error: [line #1] Incomplete statement"_s;
    QTest::newRow("an unsupported clause") << u"select count(*) from t group by id"_s
                                           << u"Syntax Error: [line #1] The emulator does not support 'group' clauses"_s;
    QTest::newRow("top and limit together") << u"select top 5 id from t limit 5"_s
                                            << u"Syntax Error: [line #1] A SQL query can't use both top and limit clauses."_s;
    QTest::newRow("a limit that is not a number") << u"select id from t limit x"_s
                                                  << u"Syntax Error: [line #1] The limit clause takes integers"_s;
}

void tst_ScriptParser::syntaxErrorsNameTheLine()
{
    QFETCH(QString, script);
    QFETCH(QString, error);
    const auto parsed = parseScript(script);
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().message, error);
}

void tst_ScriptParser::literalsHaveDolphinDbTypes()
{
    const auto parsed = parseScript(u"2023.01.10\n2023.01.10T09:30:00.123\n2023.01M\n`a`b\n'x'\n1.5\n3000000000\n7"_s);
    QVERIFY(parsed.ok());
    const QList<DataType> types{DataType::Date, DataType::Timestamp, DataType::Month, DataType::String,
                                DataType::String, DataType::Double, DataType::Long, DataType::Int};
    QCOMPARE(parsed->size(), types.size());
    for (qsizetype i = 0; i < types.size(); ++i)
        QCOMPARE(parsed->at(i)->value.type(), types.at(i));
    QCOMPARE(parsed->at(0)->value.toInt64(), 19367);
    QCOMPARE(parsed->at(1)->value.toInt64(), 1673343000123);
    QCOMPARE(parsed->at(2)->value.toInt64(), 24276);
    QVERIFY(parsed->at(3)->value.isVector());
}

void tst_ScriptParser::theTutorialScriptIsThreeStatements()
{
    const auto parsed = parseScript(u"db = database(\"dfs://stock\",VALUE,2023.01.01..2023.01.10,,'TSDB')\n"
                                    "tmp = table(1:0,[`time,`name,`id],[TIMESTAMP,SYMBOL,INT])\n"
                                    "pt = db.createPartitionedTable(tmp,`stock,`time,,`name,ALL)"_s);
    QVERIFY(parsed.ok());
    QCOMPARE(parsed->size(), 3);
    const ScriptNode &db = *parsed->at(0)->children.first();
    QCOMPARE(db.kind, ScriptNode::Kind::Call);
    QCOMPARE(db.text, u"database"_s);
    QCOMPARE(db.children.size(), 5);
    QCOMPARE(db.children.at(3)->kind, ScriptNode::Kind::Empty);
    QCOMPARE(db.children.at(2)->text, u".."_s);
    const ScriptNode &pt = *parsed->at(2)->children.first();
    QCOMPARE(pt.text, u"createPartitionedTable"_s); // db.f(a, ...) is f(db, a, ...)
    QCOMPARE(pt.children.size(), 7);
    QCOMPARE(pt.children.first()->text, u"db"_s);
}

void tst_ScriptParser::pagedSelectsKeepTopOrderAndLimit()
{
    const auto top = parseScript(u"select top 500 id, time from loadTable(\"dfs://stock\", \"stock\") where id > 1000 order by id"_s);
    QVERIFY2(top.ok(), qPrintable(top.ok() ? QString() : top.error().message));
    const ScriptNode &t = *top->first();
    QCOMPARE(t.kind, ScriptNode::Kind::Select);
    QCOMPARE(t.top, 500);
    QCOMPARE(t.columns.size(), 2);
    QVERIFY(t.where);
    QCOMPARE(t.orderBy.size(), 1);
    QCOMPARE(t.orderBy.first()->text, u"id"_s);
    QCOMPARE(t.orderDesc, QList<bool>{false});
    QVERIFY(!t.hasLimit);

    const auto limit = parseScript(u"select * from t where id < 9 order by time desc, id asc limit 20, 10"_s);
    QVERIFY2(limit.ok(), qPrintable(limit.ok() ? QString() : limit.error().message));
    const ScriptNode &l = *limit->first();
    QCOMPARE(l.top, -1);
    QCOMPARE(l.orderDesc, (QList<bool>{true, false}));
    QVERIFY(l.hasLimit);
    QCOMPARE(l.limitOffset, 20);
    QCOMPARE(l.limitCount, 10);

    const auto last = parseScript(u"select id from t limit -3"_s);
    QVERIFY(last.ok());
    QCOMPARE(last->first()->limitCount, -3);
}

void tst_ScriptParser::operatorsBroadcastOverVectors()
{
    const DdbValue ids = DdbValue::vector(DdbVector::int32s(DataType::Int, {1, 5, 9}));
    const auto ge = binaryOperator(u">="_s, ids, DdbValue::int32(5));
    QVERIFY(ge.ok());
    QCOMPARE(ge->elements().intAt(0), 0);
    QCOMPARE(ge->elements().intAt(1), 1);
    QCOMPARE(ge->elements().intAt(2), 1);
    const auto sum = binaryOperator(u"+"_s, DdbValue::int32(1), DdbValue::int32(1));
    QCOMPARE(sum->type(), DataType::Int);
    QCOMPARE(sum->toInt64(), 2);
    const auto range = binaryOperator(u".."_s, DdbValue::int32(19358, DataType::Date), DdbValue::int32(19367, DataType::Date));
    QCOMPARE(range->rowCount(), 10);
    QCOMPARE(range->type(), DataType::Date);
    const auto text = binaryOperator(u"!="_s, DdbValue::vector(DdbVector::strings({u"COMPLETE"_s, u"RECOVERING"_s})),
                                     DdbValue::string(u"COMPLETE"_s));
    QCOMPARE(text->elements().intAt(0), 0);
    QCOMPARE(text->elements().intAt(1), 1);
    // TIMESTAMP vs DATETIME compare in the finer unit.
    const auto t = binaryOperator(u"<"_s, DdbValue::int64(1673343000123, DataType::Timestamp),
                                  DdbValue::int32(1673343001, DataType::DateTime));
    QCOMPARE(t->toBool(), true);
    QVERIFY(!binaryOperator(u"-"_s, DdbValue::string(u"a"_s), DdbValue::int32(1)).ok());
}

QTEST_APPLESS_MAIN(tst_ScriptParser)
#include "tst_scriptparser.moc"
