// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuitytypes.h"
#include "engine/writertransport.h"

#include "core/result.h"
#include "dolphindb/ddbvalue.h"

#include <QString>

#include <functional>
#include <vector>

namespace GrayStep::Engine {

// Where the continuity check reads: a DFS table and its id and time columns.
struct ContinuityTableRef
{
    QString database;   // "dfs://stock"
    QString table;      // "stock"
    QString idColumn = QStringLiteral("id");
    QString timeColumn = QStringLiteral("time");

    // "dfs://db/tb" -> database "dfs://db", table "tb". Validates names (they are put into
    // scripts): a dfs:// path of [A-Za-z0-9_.-/] and identifiers [A-Za-z_][A-Za-z0-9_]*.
    static Core::Result<ContinuityTableRef> parse(const QString &path, const QString &idColumn,
                                                  const QString &timeColumn);
    Core::Status validate() const;
    QString path() const { return database + u'/' + table; }
};

// Every script text the continuity part sends, in one place (until the protocol's script
// catalog takes them over; the sandbox must answer exactly these texts).
namespace ContinuityScripts {
// -> TABLE(1 row): n (LONG), minId, maxId (the id column's type; null when empty).
QString summary(const ContinuityTableRef &t);
// -> TABLE: <id>, <time> for lo <= id <= hi.
QString page(const ContinuityTableRef &t, qint64 lo, qint64 hi);
// -> TABLE: <id>, <time> where the id is null.
QString nullIdRows(const ContinuityTableRef &t);
// -> BOOL scalar.
QString existsDatabase(const QString &database);
QString existsTable(const QString &database, const QString &table);
// Creates the database (when absent) and the table with the tutorial's schema:
// (time TIMESTAMP, name SYMBOL, id INT|LONG), VALUE-partitioned by date, TSDB, sorted by name.
QString createTable(const QString &database, const QString &table, WriterIdType idType, bool createDatabase);
// The function the writer calls with one argument, a table (time, name, id) (PROTOCOL.md §5.4).
QString appendFunction(const QString &database, const QString &table);
} // namespace ContinuityScripts

// The id and time columns of a table read back, as the analyzer takes them.
struct ContinuityColumns
{
    std::vector<qint64> ids;
    std::vector<qint64> times;   // ms since the epoch (TIMESTAMP; DATETIME/NANOTIMESTAMP/DATE converted)
    qint64 pages = 0;            // requests made
};

// Appends the id and time columns of a DolphinDB table to out (nulls -> NULL_VALUE).
// Accepts INT/LONG/SHORT ids and TIMESTAMP/DATETIME/NANOTIMESTAMP/DATE times.
Core::Status appendColumns(const DolphinDb::DdbValue &table, const ContinuityTableRef &ref,
                           ContinuityColumns &out);

// Reads a table back in pages of pageIds ids (only the id and time columns): one summary
// request, then one request per id range, then the null-id rows. `run` executes one script
// and returns its result (blocking; the caller decides the thread). `progress` (optional)
// gets (ids covered, ids total) after each page; returning false cancels.
using ScriptRunner = std::function<Core::Result<DolphinDb::DdbValue>(const QString &script)>;
Core::Result<ContinuityColumns> readContinuityColumns(
    const ScriptRunner &run, const ContinuityTableRef &ref, qint64 pageIds = 1'000'000,
    const std::function<bool(qint64, qint64)> &progress = {});

} // namespace GrayStep::Engine
