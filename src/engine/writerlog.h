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

// What a writer log file holds.
struct WriterLogContents
{
    QJsonObject meta;                    // table, id type, writer start, … (the first record)
    QStringList nodes;                   // WriterAttempt::node indexes into this
    std::vector<WriterAttempt> attempts;
    qint64 validBytes = 0;               // the file up to the end of the last whole record
    qint64 tornBytes = 0;                // what follows it (a record cut by a crash), ignored
};

// The writer's append-only record of attempts (DESIGN.md §4): one compact record per
// attempt, written with one unbuffered write() as soon as its outcome is known, so a crash
// of the tool loses at most the attempt in flight. A torn last record (crash mid-write) is
// detected by its length and CRC and ignored on load; open() cuts it off before appending.
//
// File: "GSWLOG01" then records [type u8][0 u8][payload length u16 LE][payload][CRC-16 of
// the previous bytes, LE]. Types: 1 meta (UTF-8 JSON), 2 node (index u16, UTF-8 name),
// 3 attempt (id i64, send ms i64, latency ms i32 (INT32_MIN: none), outcome u8, 0 u8,
// node i16) = 30 bytes per attempt.
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
    // fsync (power loss); append() already survives a crash of the tool.
    Core::Status sync();

    QJsonObject meta() const;
    QStringList nodes() const;
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
