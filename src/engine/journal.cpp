// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/journal.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutexLocker>

#ifdef Q_OS_WIN
#include <io.h>
#include <windows.h>
#else
#include <csignal>
#include <unistd.h>
#endif

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;

namespace GrayStep::Engine {

namespace {

QByteArray chainHash(const QByteArray &previousLine)
{
    if (previousLine.isEmpty()) {
        return QByteArrayLiteral("0000000000000000");
    }
    return QCryptographicHash::hash(previousLine, QCryptographicHash::Sha256).toHex().left(16);
}

QJsonObject toJson(const JournalRecord &r, const QByteArray &prev)
{
    QJsonObject o{{u"seq"_s, r.seq}, {u"t"_s, r.wallMs}, {u"kind"_s, r.kind},
                  {u"prev"_s, QString::fromLatin1(prev)}};
    if (!r.host.isEmpty()) {
        o.insert(u"host"_s, r.host);
    }
    if (!r.step.isEmpty()) {
        o.insert(u"step"_s, r.step);
    }
    if (!r.data.isEmpty()) {
        o.insert(u"data"_s, r.data);
    }
    return o;
}

bool syncToDisk(QFile &file)
{
    if (!file.flush()) {
        return false;
    }
#ifdef Q_OS_WIN
    return _commit(file.handle()) == 0;
#else
    return ::fsync(file.handle()) == 0;
#endif
}

[[noreturn]] void crashNow()
{
#ifdef Q_OS_WIN
    TerminateProcess(GetCurrentProcess(), 137);
#else
    ::kill(::getpid(), SIGKILL);
#endif
    std::abort();
}

} // namespace

Journal::Journal(const Core::Clock &clock)
    : m_clock(clock)
{
    bool ok = false;
    const qint64 n = qEnvironmentVariable("GRAYSTEP_CRASH_AFTER_RECORD").toLongLong(&ok);
    if (ok && n > 0) {
        m_crashAfter = n;
    }
}

Journal::~Journal() = default;

Result<JournalContents> Journal::read(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, u"cannot read the journal: %1"_s.arg(file.errorString()), path);
    }
    const QByteArray all = file.readAll();
    JournalContents contents;
    QByteArray previous;
    qsizetype pos = 0;
    int lineNo = 0;
    while (pos < all.size()) {
        ++lineNo;
        const qsizetype nl = all.indexOf('\n', pos);
        const bool complete = nl >= 0;
        const QByteArray line = all.mid(pos, complete ? nl - pos : -1);
        const qsizetype next = complete ? nl + 1 : all.size();
        const bool isLast = next >= all.size();
        const QString where = u"%1:%2"_s.arg(path).arg(lineNo);

        // A line that open() found incomplete (even one that happens to parse) is named by the
        // "ignored" record right after it: skipped.
        const IgnoredJournalLine skipped{lineNo, pos, line.size()};
        if (complete && !isLast) {
            const qsizetype nextEnd = all.indexOf('\n', next);
            const QByteArray nextLine = all.mid(next, nextEnd < 0 ? -1 : nextEnd - next);
            if (nextLine.contains("\"kind\":\"ignored\"")) {
                const QJsonObject ack = QJsonDocument::fromJson(nextLine).object();
                if (ack.value(u"kind"_s).toString() == u"ignored"_s
                    && ack.value(u"data"_s).toObject().value(u"offset"_s).toInteger(-1) == pos) {
                    contents.ignored.append(skipped);
                    pos = next;
                    continue;
                }
            }
        }
        QJsonParseError perr;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &perr);
        if (!complete || perr.error != QJsonParseError::NoError || !doc.isObject()) {
            if (isLast) {
                // A crash while writing leaves at most one partial line at the end.
                contents.tornTail = true;
                contents.tornOffset = pos;
                contents.tornTailHasNewline = complete;
                contents.ignored.append(skipped);
                break;
            }
            return Error(ErrorCode::InvalidInput,
                         u"unreadable journal record (%1)"_s.arg(perr.errorString()), where);
        }
        const QJsonObject o = doc.object();
        JournalRecord r;
        r.seq = o.value(u"seq"_s).toInteger(-1);
        r.wallMs = o.value(u"t"_s).toInteger();
        r.kind = o.value(u"kind"_s).toString();
        r.host = o.value(u"host"_s).toString();
        r.step = o.value(u"step"_s).toString();
        r.data = o.value(u"data"_s).toObject();
        const qint64 expectedSeq = contents.records.size() + 1;
        if (r.seq != expectedSeq || r.kind.isEmpty()) {
            return Error(ErrorCode::InvalidInput,
                         u"journal record out of sequence: expected %1, found %2"_s.arg(expectedSeq).arg(r.seq),
                         where);
        }
        if (o.value(u"prev"_s).toString().toLatin1() != chainHash(previous)) {
            return Error(ErrorCode::InvalidInput,
                         u"journal hash chain broken: line %1 was changed after it was written, "
                         "or records were reordered"_s.arg(lineNo - 1),
                         where);
        }
        contents.records.append(r);
        previous = line;
        pos = next;
        contents.validBytes = pos;
    }
    return contents;
}

Result<std::unique_ptr<Journal>> Journal::open(const QString &path, const Core::Clock &clock)
{
    std::unique_ptr<Journal> journal(new Journal(clock));
    // One process per journal: a second run, resume or rollback on it is refused at once.
    journal->m_lock = std::make_unique<QLockFile>(path + u".lock"_s);
    journal->m_lock->setStaleLockTime(0);   // only a holder that is gone makes it stale
    if (!journal->m_lock->tryLock(0)) {
        if (journal->m_lock->error() == QLockFile::LockFailedError) {
            qint64 pid = 0;
            QString host;
            QString app;
            journal->m_lock->getLockInfo(&pid, &host, &app);
            return Error(ErrorCode::Busy,
                         u"the journal is in use by %1 (pid %2 on %3): one process at a time works on a journal; "
                         "wait until it ends"_s.arg(app.isEmpty() ? u"another process"_s : app).arg(pid).arg(host),
                         path);
        }
        return Error(ErrorCode::Io, u"cannot lock the journal (%1.lock)"_s.arg(path), path);
    }
    JournalContents contents;
    if (QFile::exists(path)) {
        auto read = Journal::read(path);
        if (!read) {
            return read.error();
        }
        contents = *read;
        journal->m_records = contents.records;
        if (contents.validBytes > 0) {
            QFile f(path);
            if (f.open(QIODevice::ReadOnly)) {
                const QByteArray all = f.read(contents.validBytes);
                const qsizetype start = all.lastIndexOf('\n', all.size() - 2) + 1;
                journal->m_lastLine = all.mid(start, all.size() - 1 - start);
            }
        }
    }
    journal->m_file.setFileName(path);
    if (!journal->m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        return Error(ErrorCode::Io,
                     u"cannot open the journal for writing: %1"_s.arg(journal->m_file.errorString()), path);
    }
    if (contents.tornTail) {
        // Kept as it is: the record written after it names it, and readers skip it from then on.
        const IgnoredJournalLine &torn = contents.ignored.constLast();
        if (!contents.tornTailHasNewline && journal->m_file.write("\n", 1) != 1) {
            return Error(ErrorCode::Io, u"cannot write the journal: %1"_s.arg(journal->m_file.errorString()), path);
        }
        Result<JournalRecord> r = journal->append(
            u"ignored"_s, {}, {},
            QJsonObject{{u"line"_s, torn.line}, {u"offset"_s, torn.offset}, {u"bytes"_s, torn.bytes},
                        {u"reason"_s, u"not a complete record (a crash while writing, or text added to the file)"_s}});
        if (!r) {
            return r.error();
        }
        journal->m_notice = u"%1: line %2 (%3 bytes at offset %4) is not a complete record and was ignored; the file "
                            "keeps it, and record %5 says so"_s.arg(path).arg(torn.line).arg(torn.bytes).arg(torn.offset)
                                .arg(r->seq);
    }
    return journal;
}

void Journal::addSecret(const QString &secret)
{
    QMutexLocker lock(&m_mutex);
    if (!secret.isEmpty() && !m_secrets.contains(secret)) {
        m_secrets.append(secret);
    }
}

Result<JournalRecord> Journal::append(const QString &kind, const QString &host, const QString &step,
                                      const QJsonObject &data)
{
    QMutexLocker lock(&m_mutex);
    JournalRecord r;
    r.seq = m_records.size() + 1;
    r.wallMs = m_clock.wallMs();
    r.kind = kind;
    r.host = host;
    r.step = step;
    r.data = data;
    QByteArray line = QJsonDocument(toJson(r, chainHash(m_lastLine))).toJson(QJsonDocument::Compact);
    if (!m_secrets.isEmpty()) {
        QString text = QString::fromUtf8(line);
        for (const QString &secret : std::as_const(m_secrets)) {
            // JSON escapes some characters; check both the raw and the escaped form.
            const QString escaped = QString::fromUtf8(
                QJsonDocument(QJsonArray{secret}).toJson(QJsonDocument::Compact)).mid(2).chopped(2);
            text.replace(secret, u"***"_s);
            text.replace(escaped, u"***"_s);
        }
        line = text.toUtf8();
        const QJsonObject clean = QJsonDocument::fromJson(line).object();
        r.host = clean.value(u"host"_s).toString();
        r.step = clean.value(u"step"_s).toString();
        r.data = clean.value(u"data"_s).toObject();
    }
    const QByteArray withNewline = line + '\n';
    if (m_file.write(withNewline) != withNewline.size() || !syncToDisk(m_file)) {
        return Error(ErrorCode::Io, u"cannot write the journal: %1"_s.arg(m_file.errorString()),
                     m_file.fileName());
    }
    m_lastLine = line;
    m_records.append(r);
    if (m_crashAfter == r.seq) {
        crashNow();
    }
    return r;
}

qint64 Journal::lastSeq() const
{
    QMutexLocker lock(&m_mutex);
    return m_records.size();
}

QList<JournalRecord> Journal::records() const
{
    QMutexLocker lock(&m_mutex);
    return m_records;
}

} // namespace GrayStep::Engine
