// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "dolphindb/ddbvalue.h"

#include <QList>
#include <QString>

#include <memory>

namespace GrayStep::DolphinDb {
class DdbBlockingConnection;
}

namespace GrayStep::Sim {

// The launcher's short-lived API sessions (start data nodes, probe versions, create the
// tutorial table, set faults): the dolphindb library's DdbBlockingConnection with the
// sandbox's published login (admin / 123456) and short timeouts. Blocking; not for a GUI thread.
class SandboxClient final
{
public:
    explicit SandboxClient(int timeoutMs = 5000);
    ~SandboxClient();
    SandboxClient(const SandboxClient &) = delete;
    SandboxClient &operator=(const SandboxClient &) = delete;

    Core::Status open(const QString &host, quint16 port);
    Core::Result<DolphinDb::DdbValue> run(const QString &script);
    Core::Result<DolphinDb::DdbValue> call(const QString &function, const QList<DolphinDb::DdbValue> &args = {});

private:
    std::unique_ptr<DolphinDb::DdbBlockingConnection> m_connection;
    int m_timeoutMs;
};

} // namespace GrayStep::Sim
