// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "dolphindb/ddbvalue.h"
#include "sim/node/simtable.h"

#include <QList>

namespace GrayStep::Sim::TableOps {

using DolphinDb::DataType;
using DolphinDb::DdbValue;
using DolphinDb::DdbVector;

// SimTable (storage) <-> wire table.
DdbValue toDdb(const SimTable &table);
Core::Result<SimTable> fromDdb(const DdbValue &table);

// The elements of `v` at `rows`, same type.
DdbVector take(const DdbVector &v, const QList<qint64> &rows);
// A vector of `count` copies of a scalar.
DdbVector repeat(const DdbValue &scalar, qint64 count);
// Scalars of one type (or nulls) -> a vector; mixed types -> error.
Core::Result<DdbVector> vectorOf(const QList<DdbValue> &scalars);
// Concatenation of same-typed vectors.
Core::Result<DdbVector> concat(const QList<DdbVector> &parts);
// Element i as a scalar.
DdbValue elementAt(const DdbVector &v, qint64 i);
// Converts a column to another type of the same category (temporal units, int widths,
// STRING<->SYMBOL), as tableInsert's implicit conversion does; error when impossible.
Core::Result<DdbVector> convert(const DdbVector &v, DataType to);
// Temporal value -> DATE days (null stays null, as SimColumn::kNullInt).
qint64 toDays(DataType type, qint64 value);

} // namespace GrayStep::Sim::TableOps
