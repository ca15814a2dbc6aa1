// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLoggingCategory>

namespace GrayStep::DolphinDb {
Q_DECLARE_LOGGING_CATEGORY(lcDdb)  // "graystep.dolphindb"; never logs passwords
} // namespace GrayStep::DolphinDb
