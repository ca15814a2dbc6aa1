// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLoggingCategory>

namespace GrayStep::Ssh {

// graystep.ssh: the one logging category of this library. Never receives a secret.
Q_DECLARE_LOGGING_CATEGORY(lcSsh)

} // namespace GrayStep::Ssh
