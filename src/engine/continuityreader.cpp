// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuityreader.h"

#include "dolphindb/scripts.h"

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
    using DolphinDb::Scripts::isIdentifier;
    if (!DolphinDb::Scripts::isDfsPath(database) || database.size() <= 6 || database.contains(u'"')) {
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
    if (!tag.isEmpty()) {
        if (!isIdentifier(tagColumn)) {
            return Error(ErrorCode::InvalidInput, u"'%1' is not a column name"_s.arg(tagColumn));
        }
        if (const auto quoted = DolphinDb::Scripts::quote(tag); !quoted) {
            return quoted.error();
        }
    }
    return {};
}

QString ContinuityTableRef::describe() const
{
    return tag.isEmpty() ? path() : u"%1 where %2 = '%3'"_s.arg(path(), tagColumn, tag);
}

ContinuityInput ContinuityColumns::input() const
{
    ContinuityInput in;
    in.ids = ids;
    in.times = times;
    in.extraNullIdRows = nullIdRows;
    in.extraNullIdStartMs = nullIdStartMs;
    in.extraNullIdEndMs = nullIdEndMs;
    return in;
}

Status appendColumns(const DdbVector &idColumn, const DdbVector &timeColumn, ContinuityColumns &out,
                     qint64 count)
{
    const DdbVector *id = &idColumn;
    const DdbVector *time = &timeColumn;
    if (time->size() != id->size()) {
        return Error(ErrorCode::Protocol, u"id and time columns of different lengths"_s);
    }
    const qint64 n = count < 0 ? id->size() : std::min(count, id->size());
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
        if (n > 0) {
            std::memcpy(ids, id->values<qint64>(), static_cast<size_t>(n) * sizeof(qint64));
        }
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
                     u"the id column is %1; it must be INT, LONG or SHORT"_s.arg(DolphinDb::typeName(id->type())));
    }

    switch (time->type()) {
    case DataType::Timestamp:
        if (n > 0) {
            std::memcpy(times, time->values<qint64>(), static_cast<size_t>(n) * sizeof(qint64));
        }
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
        if (!DolphinDb::isTemporal(time->type())) {
            out.ids.resize(base);
            out.times.resize(base);
            return Error(ErrorCode::InvalidInput,
                         u"the time column is %1; it must be a temporal type"_s.arg(DolphinDb::typeName(time->type())));
        }
        {
            const DolphinDb::IdTimePage page{*id, *time};
            for (qint64 i = 0; i < n; ++i) {
                const qint64 ms = page.timeMsAt(i);
                times[i] = ms == DolphinDb::NULL_LONG ? NULL_VALUE : ms;
            }
        }
        break;
    }
    return {};
}

Result<ContinuityColumns> readContinuityColumns(const ScriptRunner &run, const ContinuityTableRef &ref,
                                                int pageRows, const std::function<bool(qint64, qint64)> &progress)
{
    if (const Status valid = ref.validate(); !valid) {
        return valid.error();
    }
    pageRows = std::max(1, pageRows);
    ContinuityColumns out;
    const auto statsScript = DolphinDb::Scripts::tableStats(ref.database, ref.table, ref.idColumn, ref.timeColumn,
                                                            ref.filter());
    if (!statsScript) {
        return statsScript.error();
    }
    auto statsValue = run(*statsScript);
    ++out.pages;
    if (!statsValue) {
        return statsValue.error();
    }
    const auto stats = DolphinDb::readTableStats(*statsValue);
    if (!stats) {
        return stats.error();
    }
    // The columns' types as min() answered them (VOID: no row had a value).
    if (stats->idType != DataType::Void && stats->idType != DataType::Int && stats->idType != DataType::Long
        && stats->idType != DataType::Short) {
        return Error(ErrorCode::InvalidInput,
                     u"the id column '%1' (--id) is %2; it must be INT, LONG or SHORT"_s.arg(
                         ref.idColumn, DolphinDb::typeName(stats->idType)),
                     ref.path());
    }
    if (stats->timeType != DataType::Void && !DolphinDb::isTemporal(stats->timeType)) {
        return Error(ErrorCode::InvalidInput,
                     u"the time column '%1' (--time) is %2; it must be a temporal type (TIMESTAMP, DATETIME, "
                     "NANOTIMESTAMP, DATE, ...)"_s.arg(ref.timeColumn, DolphinDb::typeName(stats->timeType)),
                     ref.path());
    }
    const qint64 rows = stats->rows;
    if (rows > 0 && stats->minId != DolphinDb::NULL_LONG && stats->maxId != DolphinDb::NULL_LONG) {
        const qint64 minId = stats->minId;
        const qint64 maxId = stats->maxId;
        out.ids.reserve(static_cast<size_t>(rows));
        out.times.reserve(static_cast<size_t>(rows));
        // Pages are id ranges (every copy of an id lands in one page; the server need not
        // sort). Start from the average density; widen over sparse stretches, narrow over
        // dense ones.
        const double span = static_cast<double>(maxId) - static_cast<double>(minId) + 1;
        double width = std::max(1.0, static_cast<double>(pageRows) * span / static_cast<double>(rows));
        qint64 first = minId;
        while (true) {
            const double lastD = static_cast<double>(first) + width - 1;
            const qint64 last = lastD >= static_cast<double>(maxId) ? maxId
                                                                    : std::max<qint64>(first, static_cast<qint64>(lastD));
            const auto script = DolphinDb::Scripts::idRange(ref.database, ref.table, ref.idColumn, ref.timeColumn,
                                                            first, last, ref.filter());
            if (!script) {
                return script.error();
            }
            auto value = run(*script);
            ++out.pages;
            if (!value) {
                return value.error();
            }
            const auto page = DolphinDb::readIdTimePage(*value, ref.idColumn, ref.timeColumn);
            if (!page) {
                return page.error();
            }
            const size_t before = out.ids.size();
            if (const Status appended = appendColumns(page->ids, page->times, out); !appended) {
                return appended.error();
            }
            for (size_t i = before; i < out.ids.size(); ++i) {
                if (out.ids[i] == NULL_VALUE || out.ids[i] < first || out.ids[i] > last) {
                    return Error(ErrorCode::Protocol,
                                 u"the server sent id %1 for the range %2..%3"_s.arg(out.ids[i]).arg(first).arg(last),
                                 ref.path());
                }
            }
            if (progress && !progress(static_cast<qint64>(out.ids.size()), rows)) {
                return Error(ErrorCode::Cancelled, u"reading %1 was cancelled"_s.arg(ref.path()));
            }
            if (last >= maxId) {
                break;
            }
            first = last + 1;
            const auto got = static_cast<qint64>(out.ids.size() - before);
            if (got < pageRows / 2) {
                width = std::min(width * 2, 9.0e18);
            } else if (got > 2 * static_cast<qint64>(pageRows)) {
                width = std::max(1.0, width / 2);
            }
        }
    }
    out.nullIdRows = std::max<qint64>(0, rows - static_cast<qint64>(out.ids.size()));
    if (out.nullIdRows > 0) {
        // The id-range reads cannot reach them: ask for their times (a finding shows them).
        const auto script = DolphinDb::Scripts::nullIdTimes(ref.database, ref.table, ref.idColumn, ref.timeColumn,
                                                            ref.filter());
        if (!script) {
            return script.error();
        }
        auto value = run(*script);
        ++out.pages;
        const auto nulls = value ? DolphinDb::readTableStats(*value) : Result<DolphinDb::TableStats>(value.error());
        if (nulls) {
            out.nullIdStartMs = nulls->minTimeMs == DolphinDb::NULL_LONG ? NULL_VALUE : nulls->minTimeMs;
            out.nullIdEndMs = nulls->maxTimeMs == DolphinDb::NULL_LONG ? NULL_VALUE : nulls->maxTimeMs;
        }
    }
    return out;
}

} // namespace GrayStep::Engine
