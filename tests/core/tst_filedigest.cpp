// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/filedigest.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace GrayStep::Core;
using namespace Qt::Literals::StringLiterals;

class tst_FileDigest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void digestOfKnownContents_data();
    void digestOfKnownContents();
    void missingFileNamesThePath();
    void cancelledBetweenBlocks();
    void cacheFollowsTheFile();

private:
    static void write(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(data), data.size());
    }
};

void tst_FileDigest::digestOfKnownContents_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("sha256");
    // FIPS 180-2 examples, and sizes around the 1 MiB read block.
    QTest::newRow("empty") << QByteArray() << u"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"_s;
    QTest::newRow("abc") << QByteArray("abc") << u"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_s;
    for (const qsizetype size : {qsizetype(1024 * 1024), qsizetype(1024 * 1024 + 1), qsizetype(3 * 1024 * 1024 - 7)}) {
        QByteArray data(size, Qt::Uninitialized);
        for (qsizetype i = 0; i < size; ++i) {
            data[i] = char((i * 131 + 7) & 0xff);
        }
        QTest::addRow("%lld bytes", qlonglong(size))
            << data << QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
    }
}

void tst_FileDigest::digestOfKnownContents()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, sha256);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"package.zip"_s);
    write(path, contents);
    QCOMPARE(fileSha256(path).valueOr(u"error"_s), sha256);
    QCOMPARE(cachedFileSha256(path).valueOr(u"error"_s), sha256);
}

void tst_FileDigest::missingFileNamesThePath()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"no-such-package.zip"_s);
    for (const Result<QString> &r : {fileSha256(path), cachedFileSha256(path)}) {
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::NotFound);
        QVERIFY2(r.error().message.contains(path), qPrintable(r.error().message));
    }
}

void tst_FileDigest::cancelledBetweenBlocks()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"big.bin"_s);
    write(path, QByteArray(3 * 1024 * 1024, 'x'));
    int asked = 0;
    const Result<QString> r = fileSha256(path, [&asked] { return ++asked == 2; });
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Cancelled);
    QCOMPARE(asked, 2); // asked before each block: the second block was not read
}

void tst_FileDigest::cacheFollowsTheFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"package.zip"_s);
    write(path, "first version");
    const QString first = cachedFileSha256(path).valueOr({});
    QCOMPARE(first, fileSha256(path).valueOr({}));
    // Same size, new contents and modification time: hashed again, not the remembered digest.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.write("FIRST") == 5);
    QVERIFY(f.setFileTime(f.fileTime(QFileDevice::FileModificationTime).addSecs(5), QFileDevice::FileModificationTime));
    f.close();
    const QString second = cachedFileSha256(path).valueOr({});
    QVERIFY(second != first);
    QCOMPARE(second, fileSha256(path).valueOr({}));
    // Rewritten in place with the same size and the modification time put back (cp -p, touch -r):
    // the change time tells.
    const QDateTime mtime = QFileInfo(path).lastModified();
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.write("fIRST") == 5);
    QVERIFY(f.setFileTime(mtime, QFileDevice::FileModificationTime));
    f.close();
    const QString third = cachedFileSha256(path).valueOr({});
    QCOMPARE(third, fileSha256(path).valueOr({}));
    QVERIFY(third != second);
    // Replaced by another file (new inode) with the old contents: the old digest again.
    QVERIFY(QFile::remove(path));
    write(path, "first version");
    QCOMPARE(cachedFileSha256(path).valueOr({}), first);
}

QTEST_GUILESS_MAIN(tst_FileDigest)
#include "tst_filedigest.moc"
