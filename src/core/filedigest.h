// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QString>

#include <functional>

// SHA-256 of local files (the package): one implementation for the pre-flight, the runner and
// the shells.
namespace GrayStep::Core {

// Lower-case hex SHA-256 of a local file, read in 1 MiB blocks. `cancelled`, when given, is
// asked between blocks; a cancelled read fails with ErrorCode::Cancelled.
Result<QString> fileSha256(const QString &path, const std::function<bool()> &cancelled = {});

// The same, remembered for this process while the file keeps its path, size, modification
// time and (where there are) inode and change time: the package the pre-flight hashed is not
// read again for every host the run stages it on. Thread-safe.
Result<QString> cachedFileSha256(const QString &path);

} // namespace GrayStep::Core
