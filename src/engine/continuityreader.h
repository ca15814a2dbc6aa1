// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuityanalyzer.h"
#include "engine/continuitytypes.h"

#include "core/result.h"
#include "dolphindb/ddbvalue.h"
#include "dolphindb/scripts.h"

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
    // Only the rows whose tagColumn holds tag (one writer run's rows in a shared table);
    // empty tag: every row.
    QString tagColumn = QStringLiteral("name");
    QString tag;

    // "dfs://db/tb" -> database "dfs://db", table "tb". Validates names (they are put into
    // scripts): a dfs:// path of [A-Za-z0-9_.-/] and identifiers [A-Za-z_][A-Za-z0-9_]*.
    static Core::Result<ContinuityTableRef> parse(const QString &path, const QString &idColumn,
                                                  const QString &timeColumn);
    Core::Status validate() const;
    QString path() const { return database + u'/' + table; }
    DolphinDb::Scripts::RowFilter filter() const { return {tagColumn, tag}; }
    // "dfs://db/tb" or "dfs://db/tb where name = 'tag'" (for messages).
    QString describe() const;
};

// The id and time columns of a table read back, as the analyzer takes them.
struct ContinuityColumns
{
    std::vector<qint64> ids;
    std::vector<qint64> times;   // ms since the epoch (TIMESTAMP; other temporal types converted)
    qint64 nullIdRows = 0;       // rows whose id is null: counted by the server, not read
    qint64 nullIdStartMs = NULL_VALUE;  // their earliest and latest time (the catalog's nullIdTimes);
    qint64 nullIdEndMs = NULL_VALUE;    // null when the server could not say
    qint64 pages = 0;            // requests made

    // The analyzer's table input (ids, times, the null-id rows counted); borrows the vectors.
    ContinuityInput input() const;
};

// Appends the first `count` (all: -1) ids and times of a page to out (nulls -> NULL_VALUE).
// INT/LONG/SHORT ids; any temporal time column (TIMESTAMP, DATETIME, NANOTIMESTAMP, DATE, …)
// as milliseconds.
Core::Status appendColumns(const DolphinDb::DdbVector &ids, const DolphinDb::DdbVector &times,
                           ContinuityColumns &out, qint64 count = -1);

// Reads a table back, only its id and time columns (of the rows ref.tag selects): the
// catalog's tableStats (row count, id range, the columns' types: an id column that is not
// INT/LONG/SHORT or a time column that is not temporal is an error naming the column and its
// type), then the catalog's idRange pages of about pageRows rows (widened over sparse
// stretches, so a wrapped or sparse sequence takes few requests). Every copy of an id lands
// in one page. Rows with a null id are counted (rows - rows read), not read; their times come
// from the catalog's nullIdTimes (left null when the server cannot answer it). `run` executes one script
// and returns its result (blocking; the caller picks the thread). `progress` (optional)
// gets (rows read, rows total) after each page; returning false cancels.
using ScriptRunner = std::function<Core::Result<DolphinDb::DdbValue>(const QString &script)>;
Core::Result<ContinuityColumns> readContinuityColumns(
    const ScriptRunner &run, const ContinuityTableRef &ref, int pageRows = 1'000'000,
    const std::function<bool(qint64, qint64)> &progress = {});

} // namespace GrayStep::Engine
