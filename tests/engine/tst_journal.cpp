// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/journal.h"

#include "support/mockclock.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Engine;

class tst_Journal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void appendAndRead();
    void reopenContinuesTheSequence();
    void tornTailAtEveryOffset();
    void garbageAppendedIsKeptAndNamed();
    void secondOpenIsRefusedWhileTheFirstHoldsIt();
    void editedJournalIsRefused_data();
    void editedJournalIsRefused();
    void secretsNeverReachTheFile();
    void crashHookKillsRightAfterTheRecord();
    void crashChild();

private:
    static QByteArray fileBytes(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    static void writeFile(const QString &path, const QByteArray &bytes)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(bytes), bytes.size());
    }
    static void writeThreeRecords(const QString &path, const GrayStep::Core::Clock &clock)
    {
        auto journal = Journal::open(path, clock);
        QVERIFY(journal.ok());
        QVERIFY((*journal)->append(u"run"_s, {}, {}, {{u"target"_s, u"2.00.8.12"_s}}).ok());
        QVERIFY((*journal)->append(u"intent"_s, u"127.0.10.1"_s, u"stop"_s).ok());
        QVERIFY((*journal)->append(u"done"_s, u"127.0.10.1"_s, u"stop"_s, {{u"pids"_s, 3}}).ok());
    }
};

void tst_Journal::appendAndRead()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"j.jsonl"_s);
    GrayStep::Test::MockClock clock(1000);
    writeThreeRecords(path, clock);

    auto contents = Journal::read(path);
    QVERIFY2(contents.ok(), qPrintable(contents.ok() ? QString() : contents.error().toString()));
    QCOMPARE(contents->records.size(), 3);
    QVERIFY(!contents->tornTail);
    QCOMPARE(contents->records[1].kind, u"intent"_s);
    QCOMPARE(contents->records[1].host, u"127.0.10.1"_s);
    QCOMPARE(contents->records[1].step, u"stop"_s);
    QCOMPARE(contents->records[2].data.value(u"pids"_s).toInt(), 3);
    QCOMPARE(contents->records[0].wallMs, 1000);
    QCOMPARE(contents->records[2].seq, 3);
    QCOMPARE(fileBytes(path).count('\n'), 3);
}

void tst_Journal::reopenContinuesTheSequence()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"j.jsonl"_s);
    GrayStep::Test::MockClock clock;
    writeThreeRecords(path, clock);
    auto journal = Journal::open(path, clock);
    QVERIFY(journal.ok());
    QCOMPARE((*journal)->lastSeq(), 3);
    auto r = (*journal)->append(u"note"_s);
    QVERIFY(r.ok());
    QCOMPARE(r->seq, 4);
    auto contents = Journal::read(path);
    QVERIFY(contents.ok());
    QCOMPARE(contents->records.size(), 4);
}

void tst_Journal::tornTailAtEveryOffset()
{
    QTemporaryDir dir;
    const QString full = dir.filePath(u"full.jsonl"_s);
    GrayStep::Test::MockClock clock;
    writeThreeRecords(full, clock);
    const QByteArray bytes = fileBytes(full);
    QList<qsizetype> lineEnds;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == '\n') {
            lineEnds.append(i + 1);
        }
    }
    const QString cut = dir.filePath(u"cut.jsonl"_s);
    for (qsizetype offset = 0; offset <= bytes.size(); ++offset) {
        writeFile(cut, bytes.left(offset));
        const qsizetype complete = std::count_if(lineEnds.begin(), lineEnds.end(),
                                                 [&](qsizetype e) { return e <= offset; });
        auto contents = Journal::read(cut);
        QVERIFY2(contents.ok(), qPrintable(u"offset %1"_s.arg(offset)));
        QCOMPARE(contents->records.size(), complete);
        QCOMPARE(contents->tornTail, !lineEnds.contains(offset) && offset > 0);

        // Opening keeps the torn line in the file, names it in an "ignored" record and in its
        // notice, and continues the sequence and the chain.
        const bool torn = contents->tornTail;
        auto journal = Journal::open(cut, clock);
        QVERIFY(journal.ok());
        QCOMPARE((*journal)->notice().isEmpty(), !torn);
        QVERIFY((*journal)->append(u"note"_s).ok());
        journal->reset();
        QVERIFY(fileBytes(cut).startsWith(bytes.left(offset)));
        auto again = Journal::read(cut);
        QVERIFY2(again.ok(), qPrintable(u"offset %1"_s.arg(offset)));
        QCOMPARE(again->records.size(), complete + (torn ? 2 : 1));
        QVERIFY(!again->tornTail);
        QCOMPARE(again->ignored.size(), torn ? 1 : 0);
        if (torn) {
            const JournalRecord &ignored = again->records.at(complete);
            QCOMPARE(ignored.kind, u"ignored"_s);
            QCOMPARE(ignored.data.value(u"offset"_s).toInteger(), again->ignored.first().offset);
            QCOMPARE(again->ignored.first().line, complete + 1);
            // Opened once more: nothing new to ignore, the chain holds across the kept line.
            auto third = Journal::open(cut, clock);
            QVERIFY(third.ok());
            QVERIFY((*third)->notice().isEmpty());
            QVERIFY((*third)->append(u"note"_s).ok());
        }
    }
}

void tst_Journal::garbageAppendedIsKeptAndNamed()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"j.jsonl"_s);
    GrayStep::Test::MockClock clock;
    writeThreeRecords(path, clock);
    const QByteArray original = fileBytes(path) + "this is not json\n";
    writeFile(path, original);
    auto journal = Journal::open(path, clock);
    QVERIFY(journal.ok());
    QVERIFY2((*journal)->notice().contains(u"line 4"_s), qPrintable((*journal)->notice()));
    journal->reset();
    QVERIFY(fileBytes(path).startsWith(original));
    auto contents = Journal::read(path);
    QVERIFY(contents.ok());
    QCOMPARE(contents->records.size(), 4);
    QCOMPARE(contents->records.last().kind, u"ignored"_s);
    // Garbage in the middle that no record acknowledges is still an error naming the line.
    writeFile(path, fileBytes(path).insert(0, "garbage\n"));
    auto broken = Journal::read(path);
    QVERIFY(!broken.ok());
    QVERIFY2(broken.error().where.endsWith(u":1"_s), qPrintable(broken.error().where));
}

void tst_Journal::secondOpenIsRefusedWhileTheFirstHoldsIt()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"j.jsonl"_s);
    GrayStep::Test::MockClock clock;
    auto first = Journal::open(path, clock);
    QVERIFY(first.ok());
    auto second = Journal::open(path, clock);
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, GrayStep::Core::ErrorCode::Busy);
    QVERIFY2(second.error().message.contains(u"pid %1"_s.arg(QCoreApplication::applicationPid())),
             qPrintable(second.error().message));
    // Reading needs no lock; once the first is closed, the journal opens again.
    QVERIFY(Journal::read(path).ok());
    first->reset();
    QVERIFY(Journal::open(path, clock).ok());
}

void tst_Journal::editedJournalIsRefused_data()
{
    QTest::addColumn<QByteArray>("from");
    QTest::addColumn<QByteArray>("to");
    QTest::addColumn<QString>("expectedWhere");
    QTest::addColumn<QString>("expectedText");
    QTest::newRow("a changed step detail breaks the hash chain at the next line")
        << QByteArray("\"pids\":3") << QByteArray("\"pids\":4") << u":4"_s << u"line 3 was changed"_s;
    QTest::newRow("a record removed from the middle is out of sequence")
        << QByteArray("DELETE-LINE-2") << QByteArray() << u":2"_s << u"out of sequence"_s;
    QTest::newRow("garbage in the middle is unreadable")
        << QByteArray("\"kind\":\"intent\"") << QByteArray("\"kind\":intent\"") << u":2"_s
        << u"unreadable"_s;
}

void tst_Journal::editedJournalIsRefused()
{
    QFETCH(QByteArray, from);
    QFETCH(QByteArray, to);
    QFETCH(QString, expectedWhere);
    QFETCH(QString, expectedText);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"j.jsonl"_s);
    GrayStep::Test::MockClock clock;
    writeThreeRecords(path, clock);
    {
        auto journal = Journal::open(path, clock);
        QVERIFY((*journal)->append(u"note"_s).ok());
    }
    QByteArray bytes = fileBytes(path);
    if (from == "DELETE-LINE-2") {
        QList<QByteArray> lines = bytes.split('\n');
        lines.removeAt(1);
        bytes = lines.join('\n');
    } else {
        QVERIFY(bytes.contains(from));
        bytes.replace(from, to);
    }
    writeFile(path, bytes);
    auto contents = Journal::read(path);
    QVERIFY(!contents.ok());
    QVERIFY2(contents.error().where.endsWith(expectedWhere), qPrintable(contents.error().where));
    QVERIFY2(contents.error().message.contains(expectedText), qPrintable(contents.error().message));
}

void tst_Journal::secretsNeverReachTheFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"j.jsonl"_s);
    const QString canary = u"Xq7\"pw\\canary-2b9f1c0e"_s;  // needs JSON escaping
    auto journal = Journal::open(path);
    QVERIFY(journal.ok());
    (*journal)->addSecret(canary);
    QVERIFY((*journal)->append(u"failed"_s, u"h"_s, u"login"_s,
                               {{u"error"_s, QString(u"login failed for password "_s + canary)}})
                .ok());
    const QByteArray bytes = fileBytes(path);
    QVERIFY(!bytes.contains(canary.toUtf8()));
    QVERIFY(!bytes.contains("canary-2b9f1c0e"));
    QVERIFY(bytes.contains("***"));
    auto contents = Journal::read(path);
    QVERIFY(contents.ok());
    QVERIFY(!contents->records[0].data.value(u"error"_s).toString().contains(canary));
}

void tst_Journal::crashHookKillsRightAfterTheRecord()
{
#ifdef Q_OS_WIN
    QSKIP("SIGKILL semantics are POSIX; the hook uses TerminateProcess on Windows");
#endif
    QTemporaryDir dir;
    const QString path = dir.filePath(u"j.jsonl"_s);
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"GRAYSTEP_CRASH_AFTER_RECORD"_s, u"2"_s);
    env.insert(u"GRAYSTEP_JOURNAL_CHILD"_s, path);
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {u"crashChild"_s});
    QVERIFY(child.waitForFinished(30000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    auto contents = Journal::read(path);
    QVERIFY(contents.ok());
    QCOMPARE(contents->records.size(), 2);
}

void tst_Journal::crashChild()
{
    const QString path = qEnvironmentVariable("GRAYSTEP_JOURNAL_CHILD");
    if (path.isEmpty()) {
        QSKIP("helper for crashHookKillsRightAfterTheRecord, runs only in the child process");
    }
    auto journal = Journal::open(path);
    QVERIFY(journal.ok());
    for (int i = 0; i < 5; ++i) {
        QVERIFY((*journal)->append(u"note"_s).ok());
    }
    QFAIL("the crash hook did not fire");
}

QTEST_GUILESS_MAIN(tst_Journal)
#include "tst_journal.moc"
