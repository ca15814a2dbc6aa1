// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Human-readable rendering of DolphinDB values (used by `graystep-cli ddb` and logs).
// Scalars print as their text; vectors, pairs and sets as a one-column table; tables as an
// aligned text table with a header; dictionaries as key/value; matrices with their labels.
// Nulls print as empty cells. JSON uses DdbValue::toJson().

#include "dolphindb/ddbvalue.h"

#include <QJsonObject>
#include <QString>

namespace GrayStep::DolphinDb {

// At most maxRows rows are printed; a last line says how many were left out.
QString formatText(const DdbValue &value, qint64 maxRows = 1000);
// {"form":"TABLE","type":"...","value":<toJson>} (plus "rows"/"columns" for tables).
QJsonObject toJsonEnvelope(const DdbValue &value);

} // namespace GrayStep::DolphinDb
