// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuitytypes.h"

#include "core/result.h"

#include <QFile>
#include <QJsonObject>
#include <QMutex>
#include <QStringList>

#include <memory>
#include <vector>

namespace GrayStep::Engine {

// One start of the writer (a run's first, or a resumed run's): when, the first id it
// wrote, the table's largest id it found (its ids go above it), the run tag in its rows.
struct WriterSession
{
    qint64 startMs = NULL_VALUE;
    qint64 firstId = NULL_VALUE;
    qint64 tableMaxId = NULL_VALUE;   // null: the table was empty or just created
    QString tag;

    QJsonObject toJson() const;
    static WriterSession fromJson(const QJsonObject &o);
    bool operator==(const WriterSession &) const = default;
};

// What a writer log file holds.
struct WriterLogContents
{
    QJsonObject meta;                    // table, run tag, … (the first record)
    QStringList nodes;                   // WriterAttempt::node indexes into this
    std::vector<WriterSession> sessions; // in the order the writer started
    std::vector<WriterAttempt> attempts;
    qint64 validBytes = 0;               // the file up to the end of the last whole record
    qint64 tornBytes = 0;                // what follows it (a record cut by a crash), ignored

    // The tag of this run's rows: meta "tag", else the sessions'; empty for a log written
    // before runs tagged their rows (the table cannot then tell this run's rows from others).
    QString tag() const;
    // The first id of every session after the first (ContinuityInput::writerRestartIds).
    std::vector<qint64> restartIds() const;
};

// The writer's append-only record of attempts (DESIGN.md §4): one compact record per
// attempt, written with one unbuffered write() as soon as its outcome is known, so a crash
// of the tool loses at most the attempt in flight. A torn last record (crash mid-write) is
// detected by its length and CRC and ignored on load; open() cuts it off before appending.
//
// File: "GSWLOG01" then records [type u8][0 u8][payload length u16 LE][payload][CRC-16 of
// the previous bytes, LE]. Types: 1 meta (UTF-8 JSON), 2 node (index u16, UTF-8 name),
// 3 attempt (id i64, send ms i64, latency ms i32 (INT32_MIN: none), outcome u8, 0 u8,
// node i16) = 30 bytes per attempt, 4 session (UTF-8 JSON: startMs, firstId, tableMaxId,
// tag; written when the writer starts, before its first attempt). Readers skip types they
// do not know.
//
// Thread-safe: the writer thread appends, any thread reads the in-memory arrays.
class WriterLog final
{
public:
    WriterLog();
    ~WriterLog();
    WriterLog(const WriterLog &) = delete;
    WriterLog &operator=(const WriterLog &) = delete;

    static Core::Result<WriterLogContents> load(const QString &path);

    // Opens path for appending. An existing log is loaded (its torn tail cut off) and
    // continued; its meta is kept. A new log starts with meta.
    Core::Status open(const QString &path, const QJsonObject &meta = {});
    // An in-memory log without a file (tests, rehearsal without a journal directory).
    void openInMemory(const QJsonObject &meta = {});
    void close();
    bool isOpen() const;
    QString path() const;

    // The index of a node name, writing a node record the first time it is seen.
    Core::Result<int> nodeIndex(const QString &name);
    Core::Status append(const WriterAttempt &attempt);
    Core::Status appendSession(const WriterSession &session);
    // fsync (power loss); append() already survives a crash of the tool.
    Core::Status sync();

    QJsonObject meta() const;
    QStringList nodes() const;
    std::vector<WriterSession> sessions() const;
    qint64 attemptCount() const;
    // A copy of the attempts from index `from` on (for incremental readers).
    std::vector<WriterAttempt> attempts(qint64 from = 0) const;
    WriterLogContents snapshot() const;

private:
    Core::Status writeRecord(quint8 type, const QByteArray &payload);

    mutable QMutex m_mutex;
    std::unique_ptr<QFile> m_file;
    bool m_open = false;
    QString m_path;
    WriterLogContents m_contents;
};

} // namespace GrayStep::Engine
