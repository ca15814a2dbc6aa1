// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/result.h"

#include <QFile>
#include <QLockFile>
#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <memory>

namespace GrayStep::Engine {

// One line of the journal. Written *before* a step acts ("intent") and after it
// ("done" / "failed"), so that after a crash the engine knows which step was in
// flight and re-verifies it on the host before doing anything else.
struct JournalRecord
{
    qint64 seq = 0;      // 1-based, consecutive
    qint64 wallMs = 0;   // Clock::wallMs() when written
    QString kind;        // "run", "intent", "done", "failed", "note", ...
    QString host;        // host address; empty for cluster-level records
    QString step;        // step id, e.g. "stop", "backup", "install"
    QJsonObject data;    // details; never a secret (see Journal::addSecret)
};

// A line of the file that is not a record and was skipped: an incomplete last record (a crash
// while writing) or garbage at the end. The file keeps it; the record after it says so.
struct IgnoredJournalLine
{
    int line = 0;            // 1-based line number in the file
    qint64 offset = 0;       // byte offset of its start
    qint64 bytes = 0;        // its length without the newline
};

struct JournalContents
{
    QList<JournalRecord> records;
    bool tornTail = false;   // the last line is not a record (not yet acknowledged by an "ignored" record)
    qint64 validBytes = 0;   // length of the file up to the end of the last record
    qint64 tornOffset = -1;  // with tornTail: where that line starts
    bool tornTailHasNewline = false;
    // Lines skipped, each acknowledged by the "ignored" record that follows it, plus the torn tail.
    QList<IgnoredJournalLine> ignored;
};

// Append-only JSON-lines journal, fsync'd after every record.
//
// Each line carries "prev", the first 16 hex digits of the SHA-256 of the previous
// record's line, so an edited or reordered journal is detected on reading. A torn last line
// (a crash while writing, or garbage at the end) is tolerated and never removed: read()
// reports it; open() leaves it in the file and appends an "ignored" record naming its line,
// offset and length, after which read() skips it. notice() tells the caller in words.
//
// One process at a time: open() takes a lock (PATH.lock, QLockFile: a crashed holder's lock
// is taken over) and refuses with ErrorCode::Busy, naming the holder, while another process
// has the journal open.
//
// Test hook: when the environment variable GRAYSTEP_CRASH_AFTER_RECORD=n is set,
// the process kills itself (SIGKILL, no clean-up) right after record n is on disk.
//
// append() may be called from any thread.
class Journal final
{
public:
    ~Journal();
    Journal(const Journal &) = delete;
    Journal &operator=(const Journal &) = delete;

    // Reads a whole journal. Errors name the file and line.
    static Core::Result<JournalContents> read(const QString &path);

    // Opens (creating if needed) for appending. Continues the sequence of an
    // existing journal after cutting off a torn last line.
    static Core::Result<std::unique_ptr<Journal>> open(const QString &path,
                                                       const Core::Clock &clock = Core::Clock::system());

    // Values that must never reach the file (passwords, passphrases). Any occurrence
    // in a record is replaced by "***" before writing.
    void addSecret(const QString &secret);

    Core::Result<JournalRecord> append(const QString &kind,
                                       const QString &host = {},
                                       const QString &step = {},
                                       const QJsonObject &data = {});

    QString path() const { return m_file.fileName(); }
    // What open() found and left alone (an ignored torn tail), in words; empty when nothing.
    QString notice() const { return m_notice; }
    qint64 lastSeq() const;
    // Records read when the journal was opened plus those appended since.
    QList<JournalRecord> records() const;

private:
    Journal(const Core::Clock &clock);

    const Core::Clock &m_clock;
    mutable QMutex m_mutex;
    QFile m_file;
    QList<JournalRecord> m_records;
    QByteArray m_lastLine;
    QStringList m_secrets;
    qint64 m_crashAfter = -1;
    QString m_notice;
    std::unique_ptr<QLockFile> m_lock;
};

} // namespace GrayStep::Engine
