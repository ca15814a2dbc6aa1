// SPDX-License-Identifier: GPL-3.0-or-later
// The package read from inside: the version text in the server library (never the file name),
// the server binary, and the runner's check of every package before the first host stops.
#include "engine/packageinspection.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep;
using namespace GrayStep::Engine;

namespace {

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

// A library-like blob: the version text between binary bytes, as the sandbox's stand-in has it.
QByteArray library(const QByteArray &versionText, int padding = 5000)
{
    QByteArray lib("\x7f" "ELF");
    lib += QByteArray(padding, '\0');
    lib += QByteArray("GLIBC_2.17\0libstdc++.so.6\0", 26);
    lib += versionText;
    lib += '\0';
    lib += QByteArray(padding, '\x01');
    return lib;
}

} // namespace

class tst_PackageInspection final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void versionTexts_data();
    void versionTexts();
    void versionTextSplitAcrossChunks();
    void packages_data();
    void packages();
    void notAZipIsAnError();
    void everyPackageIsCheckedBeforeTheFirstStop();

private:
    QString makeZip(const QString &name, const QMap<QString, QByteArray> &files);

    QTemporaryDir m_tmp;
    int m_count = 0;
};

void tst_PackageInspection::initTestCase()
{
    if (QStandardPaths::findExecutable(u"zip"_s).isEmpty() || QStandardPaths::findExecutable(u"unzip"_s).isEmpty()) {
        QSKIP("the zip and unzip tools are not installed (.ci/setup installs them)");
    }
    QVERIFY(m_tmp.isValid());
}

QString tst_PackageInspection::makeZip(const QString &name, const QMap<QString, QByteArray> &files)
{
    const QString staging = m_tmp.filePath(u"staging%1"_s.arg(++m_count));
    for (auto it = files.cbegin(); it != files.cend(); ++it) {
        if (!writeFile(staging + u'/' + it.key(), it.value())) {
            return {};
        }
    }
    const QString zip = m_tmp.filePath(name);
    QDir().mkpath(QFileInfo(zip).absolutePath());
    QFile::remove(zip);
    QProcess p;
    p.setWorkingDirectory(staging);
    p.start(u"zip"_s, {u"-q"_s, u"-r"_s, zip, u"."_s});
    return p.waitForFinished(30000) && p.exitCode() == 0 ? zip : QString();
}

void tst_PackageInspection::versionTexts_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QStringList>("found");
    QTest::newRow("the text version() answers, among binary bytes")
        << library("2.00.8.12 2023.01.10") << QStringList{u"2.00.8.12 2023.01.10"_s};
    QTest::newRow("a three-part number") << QByteArray("x 3.00.0 2024.03.31 LINUX") << QStringList{u"3.00.0 2024.03.31"_s};
    QTest::newRow("at the very start and end of the data") << QByteArray("1.30.22 2023.09.04") << QStringList{u"1.30.22 2023.09.04"_s};
    QTest::newRow("the same text twice is one version")
        << QByteArray("2.00.7.4 2022.12.08\0 2.00.7.4 2022.12.08", 40) << QStringList{u"2.00.7.4 2022.12.08"_s};
    QTest::newRow("two different texts are both found")
        << QByteArray("2.00.7.4 2022.12.08; 2.00.8.12 2023.01.10") << QStringList{u"2.00.7.4 2022.12.08"_s, u"2.00.8.12 2023.01.10"_s};
    QTest::newRow("a date running into more digits is no match") << QByteArray("2.00.8.12 2023.01.101") << QStringList{};
    QTest::newRow("a longer dotted run is no version") << QByteArray("10.2.00.8.12 2023.01.10") << QStringList{};
    QTest::newRow("an IP address and a date are no version") << QByteArray("10.10.11.1 2023.01.10") << QStringList{};
    QTest::newRow("a second part of one digit is no DolphinDB version") << QByteArray("2.0.8 2023.01.10") << QStringList{};
    QTest::newRow("no date, no version") << QByteArray("DolphinDB 2.00.8.12") << QStringList{};
    QTest::newRow("nothing") << QByteArray() << QStringList{};
}

void tst_PackageInspection::versionTexts()
{
    QFETCH(QByteArray, data);
    QFETCH(QStringList, found);
    QCOMPARE(findVersionStrings(data), found);
}

void tst_PackageInspection::versionTextSplitAcrossChunks()
{
    // The text at every offset against every chunk size up to its length and beyond.
    const QByteArray text = "2.00.8.12 2023.01.10";
    for (int at = 0; at < 40; ++at) {
        const QByteArray data = QByteArray(at, 'z') + text + QByteArray(7, '\0');
        for (int chunk = 1; chunk <= 45; ++chunk) {
            VersionTextScanner s;
            for (qsizetype i = 0; i < data.size(); i += chunk) {
                s.feed(QByteArrayView(data).sliced(i, qMin<qsizetype>(chunk, data.size() - i)));
            }
            s.finish();
            QVERIFY2(s.found() == QStringList{QString::fromLatin1(text)},
                     qPrintable(u"at %1, chunks of %2: %3"_s.arg(at).arg(chunk).arg(s.found().join(u", "_s))));
        }
    }
}

void tst_PackageInspection::packages_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QStringList>("entries");   // server/<name>; "lib:<text>" / "bin:<text>" set the contents
    QTest::addColumn<QString>("version");       // read inside; empty: none
    QTest::addColumn<QString>("source");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<QString>("problemFor2_00_8_12");   // a text the problems must contain; empty: none
    QTest::addColumn<QString>("unknown");   // a text versionUnknown must contain; empty: the version was read

    QTest::newRow("a good package") << u"DolphinDB_Linux64_V2.00.8.12.zip"_s
                                    << QStringList{u"bin:"_s, u"lib:2.00.8.12 2023.01.10"_s} << u"2.00.8.12"_s
                                    << u"server/libDolphinDB.so"_s << true << QString() << QString();
    QTest::newRow("a 2.00.7.4 package renamed to 2.00.8.12 is still 2.00.7.4")
        << u"DolphinDB_Linux64_V2.00.8.12.zip"_s << QStringList{u"bin:"_s, u"lib:2.00.7.4 2022.12.08"_s} << u"2.00.7.4"_s
        << u"server/libDolphinDB.so"_s << true << u"holds version 2.00.7.4 (2.00.7.4 2022.12.08 in server/libDolphinDB.so)"_s
        << QString();
    // Not a refusal (where a real package keeps its version is inferred): the pre-flight asks to
    // confirm; never read from the name.
    QTest::newRow("a package with no version text inside is unknown whatever its name")
        << u"DolphinDB_Linux64_V2.00.8.12.zip"_s << QStringList{u"bin:"_s, u"lib:"_s} << QString() << QString() << true
        << QString() << u"no version text"_s;
    QTest::newRow("without a library, the executable carries the version")
        << u"server.zip"_s << QStringList{u"bin:2.00.8.12 2023.01.10"_s} << u"2.00.8.12"_s << u"server/dolphindb"_s << true
        << QString() << QString();
    QTest::newRow("a library with two versions is not guessed")
        << u"x.zip"_s << QStringList{u"bin:"_s, u"lib:2.00.7.4 2022.12.08 and 2.00.8.12 2023.01.10"_s} << QString()
        << QString() << true << QString() << u"several version texts"_s;
    QTest::newRow("no server/dolphindb") << u"DolphinDB_Linux64_V2.00.8.12.zip"_s
                                         << QStringList{u"lib:2.00.8.12 2023.01.10"_s} << u"2.00.8.12"_s
                                         << u"server/libDolphinDB.so"_s << false << u"holds no server/dolphindb"_s
                                         << QString();
}

void tst_PackageInspection::packages()
{
    QFETCH(QString, fileName);
    QFETCH(QStringList, entries);
    QFETCH(QString, version);
    QFETCH(QString, source);
    QFETCH(bool, binary);
    QFETCH(QString, problemFor2_00_8_12);
    QFETCH(QString, unknown);
    QMap<QString, QByteArray> files{{u"server/dolphindb.cfg"_s, "mode=single\n"},
                                    {u"server/plugins/mysql/PluginMySQL.txt"_s, "mysql,libPluginMySQL.so,2.00.8\n"}};
    for (const QString &e : entries) {
        const QByteArray text = e.section(u':', 1).toLatin1();
        if (e.startsWith(u"lib:"_s)) {
            files.insert(u"server/libDolphinDB.so"_s, library(text));
        } else {
            files.insert(u"server/dolphindb"_s, library(text, 70000));
        }
    }
    QDir(m_tmp.filePath(u"p"_s)).removeRecursively();
    const QString zip = makeZip(u"p/"_s + fileName, files);
    QVERIFY(!zip.isEmpty());
    const Core::Result<PackageInfo> info = inspectPackage(zip);
    QVERIFY2(info.ok(), qPrintable(info.ok() ? QString() : info.error().message));
    QCOMPARE(info->version, version);
    QCOMPARE(info->versionSource, source);
    QCOMPARE(info->hasServerBinary(), binary);
    QCOMPARE(info->sha256.size(), 64);
    QCOMPARE(info->pluginDirs, QStringList{u"mysql"_s});
    QVERIFY(info->unpackedBytes > 0);
    QVERIFY2(unknown.isEmpty() ? info->versionUnknown.isEmpty() : info->versionUnknown.contains(unknown),
             qPrintable(info->versionUnknown));
    const QStringList problems = info->problemsFor(u"2.00.8.12 2023.01.10"_s);
    if (problemFor2_00_8_12.isEmpty()) {
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u"; "_s)));
    } else {
        QVERIFY2(problems.join(u"; "_s).contains(problemFor2_00_8_12), qPrintable(problems.join(u"; "_s)));
        QVERIFY2(problems.join(u"; "_s).contains(fileName), qPrintable(problems.join(u"; "_s)));
    }
}

void tst_PackageInspection::notAZipIsAnError()
{
    QVERIFY(writeFile(m_tmp.filePath(u"fake.zip"_s), "PK but not a zip"));
    const auto notZip = inspectPackage(m_tmp.filePath(u"fake.zip"_s));
    QVERIFY(!notZip.ok());
    QVERIFY2(notZip.error().message.contains(u"fake.zip"_s) && notZip.error().message.contains(u"not a zip"_s),
             qPrintable(notZip.error().message));
    const auto missing = inspectPackage(m_tmp.filePath(u"missing.zip"_s));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, Core::ErrorCode::NotFound);
}

void tst_PackageInspection::everyPackageIsCheckedBeforeTheFirstStop()
{
    const QString good = makeZip(u"DolphinDB_Linux64_V2.00.8.12.zip"_s,
                                 {{u"server/dolphindb"_s, library("")}, {u"server/libDolphinDB.so"_s, library("2.00.8.12 2023.01.10")}});
    const QString renamed = makeZip(u"renamed/DolphinDB_Linux64_V2.00.8.12.zip"_s,
                                    {{u"server/dolphindb"_s, library("")},
                                     {u"server/libDolphinDB.so"_s, library("2.00.7.4 2022.12.08")}});
    QVERIFY(!good.isEmpty() && !renamed.isEmpty());
    Core::UpgradeProfile profile;
    for (int i = 1; i <= 3; ++i) {
        Core::HostAccess h;
        h.address = u"127.0.0.%1"_s.arg(i);
        profile.hosts << h;
    }
    profile.packagePath = good;
    profile.targetVersion = u"2.00.8.12 2023.01.10"_s;
    QVERIFY(checkPackagesBeforeStop(profile, {}).ok());
    const auto goodInfo = inspectPackage(good);
    QVERIFY(goodInfo.ok());
    profile.packageSha256 = goodInfo->sha256;
    QVERIFY(checkPackagesBeforeStop(profile, {{u"127.0.0.3"_s, good}}).ok());

    // A per-host package of the old version is found before anything stops, naming host and file.
    Core::Status s = checkPackagesBeforeStop(profile, {{u"127.0.0.2"_s, renamed}});
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Core::ErrorCode::InvalidInput);
    QVERIFY2(s.error().message.contains(u"host 127.0.0.2: "_s), qPrintable(s.error().message));
    QVERIFY2(s.error().message.contains(u"holds version 2.00.7.4"_s), qPrintable(s.error().message));
    QVERIFY2(!s.error().message.contains(u"127.0.0.1"_s), qPrintable(s.error().message));
    // The profile's package with another SHA-256 than recorded.
    profile.packageSha256 = QString(64, u'0');
    s = checkPackagesBeforeStop(profile, {{u"127.0.0.2"_s, renamed}});
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.contains(u"hosts 127.0.0.1, 127.0.0.3: "_s), qPrintable(s.error().message));
    QVERIFY2(s.error().message.contains(u"the profile records 0000"_s), qPrintable(s.error().message));
    QVERIFY2(s.error().message.startsWith(u"2 package problem(s)"_s), qPrintable(s.error().message));
    // A host the profile does not have is bad input, named.
    profile.packageSha256.clear();
    s = checkPackagesBeforeStop(profile, {{u"10.10.11.9"_s, good}});
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Core::ErrorCode::InvalidInput);
    QVERIFY2(s.error().message.contains(u"10.10.11.9"_s), qPrintable(s.error().message));
    // A package that is not there.
    s = checkPackagesBeforeStop(profile, {{u"127.0.0.1"_s, m_tmp.filePath(u"gone.zip"_s)}});
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.contains(u"host 127.0.0.1: package "_s) && s.error().message.contains(u"gone.zip"_s),
             qPrintable(s.error().message));
}

QTEST_GUILESS_MAIN(tst_PackageInspection)
#include "tst_packageinspection.moc"
