// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuitytypes.h"

#include "core/result.h"

#include <QString>

#include <functional>

namespace GrayStep::Engine {

enum class WriterIdType : quint8 { Int, Long };

// What the built-in writer writes, and where (DESIGN.md §4).
struct WriterSettings
{
    QString database = QStringLiteral("dfs://stock");   // the tutorial's table by default
    QString table = QStringLiteral("stock");
    bool createTable = true;       // create database/table when absent (tutorial's schema)
    // 1..1000. One append in flight at a time; up to 50 rows/s one row per append, above
    // that the rows due are sent together every 20 ms (WriterProbe).
    int rowsPerSecond = 10;
    WriterIdType idType = WriterIdType::Int;   // the id column a created table gets; the type appended
    qint64 firstId = 1;            // 0: continue after the writer log's last id
    // Start above the largest id the table holds when the writer starts (read by prepare()),
    // so rows left by an earlier run, a rehearsal or the application never share an id with
    // this run's rows. The first id is the larger of that and firstId (or the log's next id).
    bool aboveTableMaxId = true;
    // The SYMBOL column's value in every row: a run's tag (writerRunTag()), so the checks read
    // back this run's rows only.
    QString name = QStringLiteral("graystep");
    qint64 maxRows = 0;            // stop after this many attempts; 0: until stopped

    // The largest id the column can hold; the writer stops there, it never wraps.
    qint64 maxId() const
    {
        return idType == WriterIdType::Int ? std::numeric_limits<qint32>::max()
                                           : std::numeric_limits<qint64>::max() - 1;
    }
};

// The tag an upgrade run's writer puts in the name column of each row ("graystep-<run id>").
inline QString writerRunTag(const QString &runId)
{
    return QStringLiteral("graystep-") + runId;
}

// What prepare() found: the table's largest id before the writer starts (NULL_VALUE: none,
// e.g. a table it just created).
struct PreparedTable
{
    qint64 maxId = NULL_VALUE;
    bool created = false;
};

// The HA session's verdict on one append, and who gave it.
struct AppendOutcome
{
    AttemptOutcome outcome = AttemptOutcome::Indeterminate;
    QString node;     // "host:port" of the site that answered (or was last tried)
    QString error;    // server or network error text for failed / indeterminate
};

// What the WriterProbe needs from DolphinDB, per request. An implementation is created on
// the writer's thread (by the factory given to WriterProbe) and used only there. It may
// answer synchronously (call `done` before returning) or later from that thread's event
// loop; it calls `done` exactly once per request.
class WriterTransport
{
public:
    virtual ~WriterTransport() = default;
    // Connect, and create the database/table when settings.createTable and absent; with
    // settings.aboveTableMaxId, read the table's largest id.
    virtual void prepare(const WriterSettings &settings, std::function<void(Core::Result<PreparedTable>)> done) = 0;
    // Append `count` rows (time, name, id) with the ids firstId .. firstId + count - 1, all
    // with the time timeMs, in one request: its outcome is every row's outcome.
    virtual void append(const WriterSettings &settings, qint64 firstId, int count, qint64 timeMs,
                        std::function<void(AppendOutcome)> done) = 0;
};

} // namespace GrayStep::Engine
