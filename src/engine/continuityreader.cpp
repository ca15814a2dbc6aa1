// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityreader.h"

#include <QRegularExpression>

#include <algorithm>
#include <cstring>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;
using GrayStep::DolphinDb::DataType;
using GrayStep::DolphinDb::DdbValue;
using GrayStep::DolphinDb::DdbVector;

namespace GrayStep::Engine {

namespace {

bool isIdentifier(const QString &s)
{
    static const QRegularExpression re(u"^[A-Za-z_][A-Za-z0-9_]{0,127}$"_s);
    return re.match(s).hasMatch();
}

bool isDfsPath(const QString &s)
{
    static const QRegularExpression re(u"^dfs://[A-Za-z0-9_][A-Za-z0-9_.\\-/]{0,254}$"_s);
    return re.match(s).hasMatch() && !s.endsWith(u'/') && !s.mid(6).contains(u"//"_s);
}

QString quoted(const QString &s)
{
    return u'"' + s + u'"';
}

QString loadTable(const ContinuityTableRef &t)
{
    return u"loadTable(%1, %2)"_s.arg(quoted(t.database), quoted(t.table));
}

} // namespace

Result<ContinuityTableRef> ContinuityTableRef::parse(const QString &path, const QString &idColumn,
                                                     const QString &timeColumn)
{
    const qsizetype slash = path.lastIndexOf(u'/');
    if (!path.startsWith("dfs://"_L1) || slash <= 5 || slash == path.size() - 1) {
        return Error(ErrorCode::InvalidInput,
                     u"a table is named dfs://<database>/<table>, not '%1'"_s.arg(path), u"--table"_s);
    }
    ContinuityTableRef ref;
    ref.database = path.left(slash);
    ref.table = path.mid(slash + 1);
    ref.idColumn = idColumn;
    ref.timeColumn = timeColumn;
    if (const Status s = ref.validate(); !s) {
        return s.error();
    }
    return ref;
}

Status ContinuityTableRef::validate() const
{
    if (!isDfsPath(database) || database.size() <= 6) {
        return Error(ErrorCode::InvalidInput, u"'%1' is not a dfs:// database path"_s.arg(database), u"--table"_s);
    }
    if (!isIdentifier(table)) {
        return Error(ErrorCode::InvalidInput, u"'%1' is not a table name"_s.arg(table), u"--table"_s);
    }
    if (!isIdentifier(idColumn)) {
        return Error(ErrorCode::InvalidInput, u"'%1' is not a column name"_s.arg(idColumn), u"--id"_s);
    }
    if (!isIdentifier(timeColumn)) {
        return Error(ErrorCode::InvalidInput, u"'%1' is not a column name"_s.arg(timeColumn), u"--time"_s);
    }
    return {};
}

namespace ContinuityScripts {

QString summary(const ContinuityTableRef &t)
{
    return u"select count(*) as n, min(%1) as minId, max(%1) as maxId from %2"_s.arg(t.idColumn, loadTable(t));
}

QString page(const ContinuityTableRef &t, qint64 lo, qint64 hi)
{
    return u"select %1, %2 from %3 where %1 >= %4 and %1 <= %5"_s.arg(t.idColumn, t.timeColumn, loadTable(t))
        .arg(lo)
        .arg(hi);
}

QString nullIdRows(const ContinuityTableRef &t)
{
    return u"select %1, %2 from %3 where isNull(%1)"_s.arg(t.idColumn, t.timeColumn, loadTable(t));
}

QString existsDatabase(const QString &database)
{
    return u"existsDatabase(%1)"_s.arg(quoted(database));
}

QString existsTable(const QString &database, const QString &table)
{
    return u"existsTable(%1, %2)"_s.arg(quoted(database), quoted(table));
}

QString createTable(const QString &database, const QString &table, WriterIdType idType, bool createDatabase)
{
    // The tutorial's schema (grayscale-upgrade-tutorial.txt), with quoted names.
    QString s;
    if (createDatabase) {
        s += u"db = database(%1, VALUE, 2023.01.01..2023.01.10, , 'TSDB')\n"_s.arg(quoted(database));
    } else {
        s += u"db = database(%1)\n"_s.arg(quoted(database));
    }
    s += u"tmp = table(1:0, `time`name`id, [TIMESTAMP, SYMBOL, %1])\n"_s.arg(
        idType == WriterIdType::Int ? u"INT"_s : u"LONG"_s);
    s += u"pt = db.createPartitionedTable(tmp, `%1, `time, , `name, ALL)"_s.arg(table);
    return s;
}

QString appendFunction(const QString &database, const QString &table)
{
    // PROTOCOL.md §5.4: what the C++ AutoFitTableAppender sends (single quotes, comma + space).
    return u"tableInsert{loadTable('%1', '%2')}"_s.arg(database, table);
}

} // namespace ContinuityScripts

Status appendColumns(const DdbValue &table, const ContinuityTableRef &ref, ContinuityColumns &out)
{
    if (!table.isTable()) {
        return Error(ErrorCode::Protocol, u"expected a table, got %1"_s.arg(table.describe()), ref.path());
    }
    const DdbVector *id = table.column(ref.idColumn);
    const DdbVector *time = table.column(ref.timeColumn);
    if (!id) {
        return Error(ErrorCode::InvalidInput, u"the table has no column '%1'"_s.arg(ref.idColumn), ref.path());
    }
    if (!time) {
        return Error(ErrorCode::InvalidInput, u"the table has no column '%1'"_s.arg(ref.timeColumn), ref.path());
    }
    const qint64 n = id->size();
    if (time->size() != n) {
        return Error(ErrorCode::Protocol, u"columns of different lengths"_s, ref.path());
    }
    const size_t base = out.ids.size();
    out.ids.resize(base + static_cast<size_t>(n));
    out.times.resize(base + static_cast<size_t>(n));
    qint64 *ids = out.ids.data() + base;
    qint64 *times = out.times.data() + base;

    switch (id->type()) {
    case DataType::Int: {
        const qint32 *v = id->values<qint32>();
        for (qint64 i = 0; i < n; ++i) {
            ids[i] = v[i] == DolphinDb::NULL_INT ? NULL_VALUE : v[i];
        }
        break;
    }
    case DataType::Long:
        std::memcpy(ids, id->values<qint64>(), static_cast<size_t>(n) * sizeof(qint64));
        break;
    case DataType::Short: {
        const qint16 *v = id->values<qint16>();
        for (qint64 i = 0; i < n; ++i) {
            ids[i] = v[i] == DolphinDb::NULL_SHORT ? NULL_VALUE : v[i];
        }
        break;
    }
    default:
        out.ids.resize(base);
        out.times.resize(base);
        return Error(ErrorCode::InvalidInput,
                     u"the id column '%1' is %2; it must be INT, LONG or SHORT"_s.arg(ref.idColumn,
                                                                                     DolphinDb::typeName(id->type())),
                     ref.path());
    }

    switch (time->type()) {
    case DataType::Timestamp:
        std::memcpy(times, time->values<qint64>(), static_cast<size_t>(n) * sizeof(qint64));
        break;
    case DataType::NanoTimestamp: {
        const qint64 *v = time->values<qint64>();
        for (qint64 i = 0; i < n; ++i) {
            times[i] = v[i] == DolphinDb::NULL_LONG ? NULL_VALUE
                                                    : (v[i] >= 0 ? v[i] / 1'000'000 : -((-v[i] + 999'999) / 1'000'000));
        }
        break;
    }
    case DataType::DateTime: {
        const qint32 *v = time->values<qint32>();
        for (qint64 i = 0; i < n; ++i) {
            times[i] = v[i] == DolphinDb::NULL_INT ? NULL_VALUE : qint64(v[i]) * 1000;
        }
        break;
    }
    case DataType::Date: {
        const qint32 *v = time->values<qint32>();
        for (qint64 i = 0; i < n; ++i) {
            times[i] = v[i] == DolphinDb::NULL_INT ? NULL_VALUE : qint64(v[i]) * 86'400'000;
        }
        break;
    }
    default:
        out.ids.resize(base);
        out.times.resize(base);
        return Error(ErrorCode::InvalidInput,
                     u"the time column '%1' is %2; it must be TIMESTAMP, DATETIME, NANOTIMESTAMP or DATE"_s.arg(
                         ref.timeColumn, DolphinDb::typeName(time->type())),
                     ref.path());
    }
    return {};
}

Result<ContinuityColumns> readContinuityColumns(const ScriptRunner &run, const ContinuityTableRef &ref,
                                                qint64 pageIds, const std::function<bool(qint64, qint64)> &progress)
{
    if (const Status valid = ref.validate(); !valid) {
        return valid.error();
    }
    pageIds = std::max<qint64>(1, pageIds);
    ContinuityColumns out;
    auto summary = run(ContinuityScripts::summary(ref));
    ++out.pages;
    if (!summary) {
        return summary.error();
    }
    const DdbValue &s = *summary;
    if (!s.isTable() || s.rowCount() != 1 || s.columnCount() < 3) {
        return Error(ErrorCode::Protocol, u"unexpected summary of %1: %2"_s.arg(ref.path(), s.describe()));
    }
    const qint64 rows = s.column(0).intAt(0);
    const bool empty = s.column(1).isNull(0) || s.column(2).isNull(0);
    if (rows > 0) {
        out.ids.reserve(static_cast<size_t>(rows));
        out.times.reserve(static_cast<size_t>(rows));
    }
    if (!empty) {
        const qint64 minId = s.column(1).intAt(0);
        const qint64 maxId = s.column(2).intAt(0);
        const double span = static_cast<double>(maxId) - static_cast<double>(minId) + 1;
        // Start from the average density; widen over empty stretches, narrow over dense ones.
        double width = std::max(1.0, static_cast<double>(pageIds) * span / std::max<double>(1, static_cast<double>(rows)));
        qint64 lo = minId;
        while (true) {
            const double lastD = static_cast<double>(lo) + width - 1;
            const qint64 last = lastD >= static_cast<double>(maxId) ? maxId
                                                                    : std::max<qint64>(lo, static_cast<qint64>(lastD));
            const size_t before = out.ids.size();
            auto page = run(ContinuityScripts::page(ref, lo, last));
            ++out.pages;
            if (!page) {
                return page.error();
            }
            if (const Status appended = appendColumns(*page, ref, out); !appended) {
                return appended.error();
            }
            const auto got = static_cast<qint64>(out.ids.size() - before);
            const auto covered = [minId](qint64 upTo) {
                return static_cast<qint64>(std::min<quint64>(static_cast<quint64>(upTo) - static_cast<quint64>(minId) + 1,
                                                             std::numeric_limits<qint64>::max()));
            };
            if (progress && !progress(covered(last), covered(maxId))) {
                return Error(ErrorCode::Cancelled, u"reading %1 was cancelled"_s.arg(ref.path()));
            }
            if (last >= maxId) {
                break;
            }
            lo = last + 1;
            if (got < pageIds / 2) {
                width = std::min(width * 2, 9.0e18);
            } else if (got > 2 * pageIds) {
                width = std::max(1.0, width / 2);
            }
        }
    }
    if (static_cast<qint64>(out.ids.size()) < rows) {
        auto nulls = run(ContinuityScripts::nullIdRows(ref));
        ++out.pages;
        if (!nulls) {
            return nulls.error();
        }
        if (const Status appended = appendColumns(*nulls, ref, out); !appended) {
            return appended.error();
        }
    }
    return out;
}

} // namespace GrayStep::Engine
