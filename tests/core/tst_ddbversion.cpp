// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/ddbversion.h"

#include <QTest>

using namespace GrayStep::Core;
using namespace Qt::Literals::StringLiterals;

class tst_DdbVersion : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void invalid_data();
    void invalid();
    void order_data();
    void order();
    void releaseLevels_data();
    void releaseLevels();
    void upgradePath_data();
    void upgradePath();
};

void tst_DdbVersion::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<int>>("parts");
    QTest::addColumn<QString>("release");
    QTest::addColumn<QDate>("date");
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<QString>("canonical");

    QTest::newRow("the tutorial's target version")
        << u"2.00.8.12 2023.01.10"_s << QList<int>{2, 0, 8, 12} << u"2.00.8"_s << QDate(2023, 1, 10) << QString()
        << u"2.00.8.12 2023.01.10"_s;
    QTest::newRow("the tutorial's source version")
        << u"2.00.7.4 2022.12.08"_s << QList<int>{2, 0, 7, 4} << u"2.00.7"_s << QDate(2022, 12, 8) << QString()
        << u"2.00.7.4 2022.12.08"_s;
    QTest::newRow("a later build names its platform after the date")
        << u"2.00.11.3 2024.01.18 LINUX x86_64"_s << QList<int>{2, 0, 11, 3} << u"2.00.11"_s << QDate(2024, 1, 18)
        << u"LINUX x86_64"_s << u"2.00.11.3 2024.01.18 LINUX x86_64"_s;
    QTest::newRow("a JIT build suffix is kept")
        << u"3.00.0.0 2024.06.17 LINUX_JIT x86_64"_s << QList<int>{3, 0, 0, 0} << u"3.00.0"_s << QDate(2024, 6, 17)
        << u"LINUX_JIT x86_64"_s << u"3.00.0.0 2024.06.17 LINUX_JIT x86_64"_s;
    QTest::newRow("a number without date, as a DBA types it")
        << u"2.00.9.1"_s << QList<int>{2, 0, 9, 1} << u"2.00.9"_s << QDate() << QString() << u"2.00.9.1"_s;
    QTest::newRow("a release without build number counts build 0")
        << u"1.30.22"_s << QList<int>{1, 30, 22, 0} << u"1.30.22"_s << QDate() << QString() << u"1.30.22"_s;
    QTest::newRow("extra whitespace and a line end are ignored")
        << u"  2.00.8.12\t2023.01.10  \r\n"_s << QList<int>{2, 0, 8, 12} << u"2.00.8"_s << QDate(2023, 1, 10)
        << QString() << u"2.00.8.12 2023.01.10"_s;
}

void tst_DdbVersion::parse()
{
    QFETCH(QString, text);
    QFETCH(QList<int>, parts);
    QFETCH(QString, release);
    QFETCH(QDate, date);
    QFETCH(QString, suffix);
    QFETCH(QString, canonical);
    const auto v = DdbVersion::parse(text);
    QVERIFY2(v.ok(), qPrintable(v.ok() ? QString() : v.error().message));
    QVERIFY(v->isValid());
    QCOMPARE(v->parts(), parts);
    QCOMPARE(v->release(), release);
    QCOMPARE(v->date(), date);
    QCOMPARE(v->buildSuffix(), suffix);
    QCOMPARE(v->toString(), canonical);
}

void tst_DdbVersion::invalid_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty text") << u"  "_s << u"The version is empty."_s;
    QTest::newRow("two parts are too few")
        << u"2.00"_s << u"'2.00' is not a DolphinDB version number (expected e.g. 2.00.8.12)."_s;
    QTest::newRow("five parts are too many")
        << u"2.00.8.12.1"_s << u"'2.00.8.12.1' is not a DolphinDB version number (expected e.g. 2.00.8.12)."_s;
    QTest::newRow("a letter in the number")
        << u"2.00.8a.12"_s << u"'2.00.8a.12' is not a DolphinDB version number (expected e.g. 2.00.8.12)."_s;
    QTest::newRow("an empty part") << u"2..8.12"_s << u"'2..8.12' is not a DolphinDB version number (expected e.g. 2.00.8.12)."_s;
    QTest::newRow("a leading v") << u"v2.00.8.12"_s << u"'v2.00.8.12' is not a DolphinDB version number (expected e.g. 2.00.8.12)."_s;
    QTest::newRow("a huge part") << u"2.00.8.1234567"_s
                                 << u"'2.00.8.1234567' is not a DolphinDB version number (expected e.g. 2.00.8.12)."_s;
    QTest::newRow("a date with dashes")
        << u"2.00.8.12 2023-01-10"_s << u"'2023-01-10' is not a release date (expected yyyy.MM.dd, e.g. 2023.01.10)."_s;
    QTest::newRow("an impossible date")
        << u"2.00.8.12 2023.02.30"_s << u"'2023.02.30' is not a release date (expected yyyy.MM.dd, e.g. 2023.01.10)."_s;
}

void tst_DdbVersion::invalid()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    const auto v = DdbVersion::parse(text);
    QVERIFY(!v.ok());
    QCOMPARE(v.error().code, ErrorCode::InvalidInput);
    QCOMPARE(v.error().message, message);
}

void tst_DdbVersion::order_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<int>("expected");   // -1 a < b, 0 equal, 1 a > b
    QTest::newRow("a newer release is greater") << u"2.00.7.4 2022.12.08"_s << u"2.00.8.12 2023.01.10"_s << -1;
    QTest::newRow("release 10 is greater than release 9 (numeric, not text)") << u"2.00.10.1"_s << u"2.00.9.7"_s << 1;
    QTest::newRow("a later build of one release is greater") << u"2.00.8.12"_s << u"2.00.8.2"_s << 1;
    QTest::newRow("2.00 is greater than 1.30") << u"1.30.22.4"_s << u"2.00.5.1"_s << -1;
    QTest::newRow("the same number on a later date is greater") << u"2.00.8.12 2023.01.10"_s << u"2.00.8.12 2023.02.01"_s << -1;
    QTest::newRow("a missing date sorts before a date") << u"2.00.8.12"_s << u"2.00.8.12 2023.01.10"_s << -1;
    QTest::newRow("the build suffix does not count")
        << u"2.00.8.12 2023.01.10 LINUX x86_64"_s << u"2.00.8.12 2023.01.10"_s << 0;
    QTest::newRow("a missing build number equals build 0") << u"1.30.22"_s << u"1.30.22.0"_s << 0;
}

void tst_DdbVersion::order()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(int, expected);
    const DdbVersion va = *DdbVersion::parse(a);
    const DdbVersion vb = *DdbVersion::parse(b);
    QCOMPARE(va < vb, expected < 0);
    QCOMPARE(va == vb, expected == 0);
    QCOMPARE(va > vb, expected > 0);
    QCOMPARE(vb < va, expected > 0);
}

void tst_DdbVersion::releaseLevels_data()
{
    QTest::addColumn<QString>("release");
    QTest::addColumn<int>("level");   // 0 = not in the table
    QTest::newRow("2.00.5 is level 2") << u"2.00.5"_s << 2;
    QTest::newRow("2.00.7 is level 1") << u"2.00.7"_s << 1;
    QTest::newRow("2.00.8 is level 2") << u"2.00.8"_s << 2;
    QTest::newRow("2.00.10 is level 1") << u"2.00.10"_s << 1;
    QTest::newRow("1.30.17 is level 3") << u"1.30.17"_s << 3;
    QTest::newRow("1.30.22 is level 1") << u"1.30.22"_s << 1;
    QTest::newRow("2.00.4 is not in the table") << u"2.00.4"_s << 0;
    QTest::newRow("2.00.11 is not in the table") << u"2.00.11"_s << 0;
    QTest::newRow("nonsense is not in the table") << u"two"_s << 0;
}

void tst_DdbVersion::releaseLevels()
{
    QFETCH(QString, release);
    QFETCH(int, level);
    QCOMPARE(releaseCompatibilityLevel(release).value_or(0), level);
}

void tst_DdbVersion::upgradePath_data()
{
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<int>("level");   // 0 = unknown
    QTest::addColumn<QString>("explanation");

    QTest::newRow("the tutorial's upgrade is level 2 and needs a risk assessment")
        << u"2.00.7.4 2022.12.08"_s << u"2.00.8.12 2023.01.10"_s << 2
        << u"Compatibility level 2 (2.00.8 level 2): a rolling upgrade is only promised at levels 4 and 5. "
           "Confirm a vendor risk assessment before upgrading this cluster host by host."_s;
    QTest::newRow("a path takes the lowest level on the way")
        << u"2.00.5.1"_s << u"2.00.8.12"_s << 1
        << u"Compatibility level 1 (2.00.6 level 2, 2.00.7 level 1, 2.00.8 level 2): a rolling upgrade is only "
           "promised at levels 4 and 5. Confirm a vendor risk assessment before upgrading this cluster host by host."_s;
    QTest::newRow("a 1.30 path is computed within its series")
        << u"1.30.16.1"_s << u"1.30.17.2"_s << 3
        << u"Compatibility level 3 (1.30.17 level 3): a rolling upgrade is only promised at levels 4 and 5. "
           "Confirm a vendor risk assessment before upgrading this cluster host by host."_s;
    QTest::newRow("a release missing from the table makes the path unknown")
        << u"2.00.9.1"_s << u"2.00.11.3 2024.01.18 LINUX x86_64"_s << 0
        << u"The compatibility level is unknown: release 2.00.11 is not in the published compatibility table. "
           "Ask the vendor for a risk assessment."_s;
    QTest::newRow("builds of one release are unknown, not guessed")
        << u"2.00.8.1"_s << u"2.00.8.12"_s << 0
        << u"The compatibility level is unknown: 2.00.8.1 and 2.00.8.12 are builds of the same release 2.00.8, "
           "and the published table has no level for those."_s;
    QTest::newRow("crossing series is unknown")
        << u"1.30.22.4"_s << u"2.00.10.1"_s << 0
        << u"The compatibility level is unknown: 1.30.22.4 and 2.00.10.1 belong to different release series "
           "(1.30 and 2.00), and the published table only covers upgrades within a series."_s;
    QTest::newRow("a downgrade is unknown")
        << u"2.00.8.12 2023.01.10"_s << u"2.00.7.4 2022.12.08"_s << 0
        << u"The compatibility level is unknown: 2.00.7.4 2022.12.08 is not newer than 2.00.8.12 2023.01.10."_s;
}

void tst_DdbVersion::upgradePath()
{
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(int, level);
    QFETCH(QString, explanation);
    const CompatibilityVerdict verdict = compatibilityOfUpgrade(*DdbVersion::parse(from), *DdbVersion::parse(to));
    QCOMPARE(verdict.level.value_or(0), level);
    QCOMPARE(verdict.explanation, explanation);
    QCOMPARE(verdict.rollingUpgradePromised(), level >= 4);
}

QTEST_APPLESS_MAIN(tst_DdbVersion)
#include "tst_ddbversion.moc"
