// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/writerlog.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace GrayStep::Engine;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr qint64 T0 = 1673343000000;

std::vector<WriterAttempt> sampleAttempts()
{
    return {
        {1, T0, T0 + 4, AttemptOutcome::Acknowledged, 0},
        {2, T0 + 100, T0 + 9000, AttemptOutcome::Indeterminate, 0},
        {3, T0 + 9100, NULL_VALUE, AttemptOutcome::Indeterminate, 1},
        {4, T0 + 9200, T0 + 9230, AttemptOutcome::Failed, 1},
        {5, T0 + 9300, T0 + 9301, AttemptOutcome::Acknowledged, 1},
    };
}

// Writes the sample log; returns the file size after each record (index 0: after the meta).
QList<qint64> writeSample(const QString &path)
{
    QList<qint64> ends;
    WriterLog log;
    const auto opened = log.open(path, QJsonObject{{u"table"_s, u"dfs://stock/stock"_s}});
    if (!opened) {
        qFatal("open: %s", qPrintable(opened.error().toString()));
    }
    ends << QFileInfo(path).size();
    const auto attempts = sampleAttempts();
    for (size_t i = 0; i < attempts.size(); ++i) {
        if (i == 0 || i == 2) {
            const auto node = log.nodeIndex(i == 0 ? u"127.0.60.1:8922"_s : u"127.0.60.2:8922"_s);
            if (!node.ok() || *node != attempts[i].node) {
                qFatal("node index");
            }
            ends << QFileInfo(path).size();
        }
        if (!log.append(attempts[i])) {
            qFatal("append");
        }
        ends << QFileInfo(path).size();
    }
    return ends;
}

} // namespace

class tst_WriterLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip();
    void tornAtEveryByteOffset();
    void corruptLastRecordIsDropped();
    void reopenCutsTheTornTailAndContinues_data();
    void reopenCutsTheTornTailAndContinues();
    void notALog();
    void inMemory();
    void everyAppendIsOnDiskAtOnce();
};

void tst_WriterLog::roundTrip()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"writer.gswlog"_s);
    const QList<qint64> ends = writeSample(path);
    const auto loaded = WriterLog::load(path);
    QVERIFY(loaded.ok());
    QVERIFY(loaded->attempts == sampleAttempts());
    // ends: meta, node0, a1, a2, node1, a3, a4, a5: one attempt is one 30-byte record.
    QCOMPARE(ends.at(3) - ends.at(2), qint64(30));
    QCOMPARE(ends.at(7) - ends.at(6), qint64(30));
    QCOMPARE(loaded->nodes, (QStringList{u"127.0.60.1:8922"_s, u"127.0.60.2:8922"_s}));
    QCOMPARE(loaded->meta.value(u"table"_s).toString(), u"dfs://stock/stock"_s);
    QCOMPARE(loaded->tornBytes, 0);
    QCOMPARE(loaded->validBytes, QFileInfo(path).size());
}

// A crash can cut the file anywhere: every prefix loads as the whole records before the cut.
void tst_WriterLog::tornAtEveryByteOffset()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"writer.gswlog"_s);
    const QList<qint64> ends = writeSample(path);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray full = f.readAll();
    f.close();
    const auto all = sampleAttempts();
    // ends: meta, node0, a1, a2, node1, a3, a4, a5.
    const QList<int> attemptsAfter{0, 0, 1, 2, 2, 3, 4, 5};
    const QList<int> nodesAfter{0, 1, 1, 1, 2, 2, 2, 2};
    const QString cut = dir.filePath(u"cut.gswlog"_s);
    for (qsizetype k = 0; k <= full.size(); ++k) {
        QFile out(cut);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        out.write(full.left(k));
        out.close();
        const auto loaded = WriterLog::load(cut);
        QVERIFY2(loaded.ok(), qPrintable(u"cut at %1"_s.arg(k)));
        int whole = -1;
        for (int i = 0; i < ends.size(); ++i) {
            if (ends.at(i) <= k) {
                whole = i;
            }
        }
        const int expectAttempts = whole < 0 ? 0 : attemptsAfter.at(whole);
        const int expectNodes = whole < 0 ? 0 : nodesAfter.at(whole);
        const qint64 expectValid = whole < 0 ? (k >= 8 ? 8 : 0) : ends.at(whole);
        QCOMPARE(static_cast<int>(loaded->attempts.size()), expectAttempts);
        QVERIFY(std::equal(loaded->attempts.begin(), loaded->attempts.end(), all.begin()));
        QCOMPARE(static_cast<int>(loaded->nodes.size()), expectNodes);
        QCOMPARE(loaded->validBytes, expectValid);
        QCOMPARE(loaded->tornBytes, k - expectValid);
        QCOMPARE(loaded->meta.isEmpty(), whole < 0);
    }
}

void tst_WriterLog::corruptLastRecordIsDropped()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"writer.gswlog"_s);
    writeSample(path);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QByteArray data = f.readAll();
    data[data.size() - 10] = static_cast<char>(data[data.size() - 10] ^ 0x40);  // inside the last attempt
    f.seek(0);
    f.write(data);
    f.close();
    const auto loaded = WriterLog::load(path);
    QVERIFY(loaded.ok());
    QCOMPARE(loaded->attempts.size(), size_t(4));
    QCOMPARE(loaded->tornBytes, 30);
}

void tst_WriterLog::reopenCutsTheTornTailAndContinues_data()
{
    QTest::addColumn<int>("cutBytes");
    QTest::newRow("a log cut in the middle of the last attempt keeps the others") << 7;
    QTest::newRow("a log cut after a whole record loses nothing") << 0;
    QTest::newRow("a log cut one byte short loses only the last attempt") << 1;
}

void tst_WriterLog::reopenCutsTheTornTailAndContinues()
{
    QFETCH(int, cutBytes);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"writer.gswlog"_s);
    writeSample(path);
    QFile f(path);
    QVERIFY(f.resize(QFileInfo(path).size() - cutBytes));
    WriterLog log;
    QVERIFY(log.open(path).ok());
    const qint64 kept = cutBytes > 0 ? 4 : 5;
    QCOMPARE(log.attemptCount(), kept);
    QCOMPARE(log.meta().value(u"table"_s).toString(), u"dfs://stock/stock"_s);
    QCOMPARE(log.nodes().size(), 2);
    const WriterAttempt next{6, T0 + 10000, T0 + 10003, AttemptOutcome::Acknowledged, 0};
    QVERIFY(log.append(next).ok());
    QCOMPARE(log.nodeIndex(u"127.0.60.2:8922"_s).value(), 1);
    QCOMPARE(log.nodeIndex(u"127.0.60.3:8922"_s).value(), 2);
    log.close();
    const auto loaded = WriterLog::load(path);
    QVERIFY(loaded.ok());
    QCOMPARE(loaded->tornBytes, 0);
    QCOMPARE(static_cast<qint64>(loaded->attempts.size()), kept + 1);
    QCOMPARE(loaded->attempts.back(), next);
    QCOMPARE(loaded->nodes.size(), 3);
}

void tst_WriterLog::notALog()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"other.txt"_s);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("time,name,id\n");
    f.close();
    const auto loaded = WriterLog::load(path);
    QVERIFY(!loaded.ok());
    QCOMPARE(loaded.error().code, GrayStep::Core::ErrorCode::InvalidInput);
    WriterLog log;
    QVERIFY(!log.open(path).ok());
    QVERIFY(!WriterLog::load(dir.filePath(u"absent"_s)).ok());
}

void tst_WriterLog::inMemory()
{
    WriterLog log;
    log.openInMemory(QJsonObject{{u"table"_s, u"t"_s}});
    for (const auto &a : sampleAttempts()) {
        QVERIFY(log.append(a).ok());
    }
    QCOMPARE(log.attemptCount(), 5);
    QCOMPARE(log.attempts(3).size(), size_t(2));
    QCOMPARE(log.attempts(3).front().id, 4);
    QVERIFY(log.attempts(99).empty());
    QVERIFY(log.path().isEmpty());
}

// The record is in the file as soon as append() returns (no user-space buffer to lose).
void tst_WriterLog::everyAppendIsOnDiskAtOnce()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"writer.gswlog"_s);
    WriterLog log;
    QVERIFY(log.open(path, QJsonObject{{u"table"_s, u"t"_s}}).ok());
    for (qint64 id = 1; id <= 20; ++id) {
        QVERIFY(log.append(WriterAttempt{id, T0 + id, T0 + id + 1, AttemptOutcome::Acknowledged, -1}).ok());
        const auto loaded = WriterLog::load(path);  // a second reader while the log is open
        QVERIFY(loaded.ok());
        QCOMPARE(static_cast<qint64>(loaded->attempts.size()), id);
    }
    QVERIFY(log.sync().ok());
}

QTEST_GUILESS_MAIN(tst_WriterLog)
#include "tst_writerlog.moc"
