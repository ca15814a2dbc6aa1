// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/result.h"

#include <QTest>

using namespace GrayStep::Core;

class tst_Result : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valueAndError();
    void voidResult();
    void errorText_data();
    void errorText();
};

void tst_Result::valueAndError()
{
    Result<int> good = 42;
    QVERIFY(good.ok());
    QCOMPARE(*good, 42);
    QCOMPARE(good.valueOr(7), 42);

    Result<int> bad = Error(ErrorCode::Timeout, QStringLiteral("no reply"), QStringLiteral("node43"));
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, ErrorCode::Timeout);
    QCOMPARE(bad.valueOr(7), 7);

    Result<QString> moved = QStringLiteral("x");
    QString taken = std::move(moved).value();
    QCOMPARE(taken, QStringLiteral("x"));
}

void tst_Result::voidResult()
{
    Status fine;
    QVERIFY(fine.ok());
    Status failed = Error(ErrorCode::Io, QStringLiteral("disk full"));
    QVERIFY(!failed.ok());
    QCOMPARE(failed.error().message, QStringLiteral("disk full"));
}

void tst_Result::errorText_data()
{
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("expected");
    QTest::newRow("with a place, the place comes first")
        << QStringLiteral("cluster.nodes:3") << QStringLiteral("unknown mode 'datanod'")
        << QStringLiteral("cluster.nodes:3: unknown mode 'datanod'");
    QTest::newRow("without a place, only the message")
        << QString() << QStringLiteral("cancelled") << QStringLiteral("cancelled");
}

void tst_Result::errorText()
{
    QFETCH(QString, where);
    QFETCH(QString, message);
    QFETCH(QString, expected);
    QCOMPARE(Error(ErrorCode::InvalidInput, message, where).toString(), expected);
    QCOMPARE(errorCodeName(ErrorCode::HostKey), QStringLiteral("host-key"));
}

QTEST_APPLESS_MAIN(tst_Result)
#include "tst_result.moc"
