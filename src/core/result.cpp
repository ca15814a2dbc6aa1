// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/result.h"

namespace GrayStep::Core {

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidInput: return QStringLiteral("invalid-input");
    case ErrorCode::Io: return QStringLiteral("io");
    case ErrorCode::Network: return QStringLiteral("network");
    case ErrorCode::Timeout: return QStringLiteral("timeout");
    case ErrorCode::Protocol: return QStringLiteral("protocol");
    case ErrorCode::Server: return QStringLiteral("server");
    case ErrorCode::Auth: return QStringLiteral("auth");
    case ErrorCode::HostKey: return QStringLiteral("host-key");
    case ErrorCode::Cancelled: return QStringLiteral("cancelled");
    case ErrorCode::NotFound: return QStringLiteral("not-found");
    case ErrorCode::Failed: return QStringLiteral("failed");
    case ErrorCode::Busy: return QStringLiteral("busy");
    case ErrorCode::Internal: return QStringLiteral("internal");
    }
    return QStringLiteral("unknown");
}

QString Error::toString() const
{
    return where.isEmpty() ? message : where + QStringLiteral(": ") + message;
}

} // namespace GrayStep::Core
