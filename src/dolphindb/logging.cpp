// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/logging.h"

namespace GrayStep::DolphinDb {
Q_LOGGING_CATEGORY(lcDdb, "graystep.dolphindb", QtInfoMsg)
} // namespace GrayStep::DolphinDb
