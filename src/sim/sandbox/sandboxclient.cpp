// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxclient.h"

#include "dolphindb/ddbconnection.h"

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Result;
using GrayStep::Core::Status;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim {

SandboxClient::SandboxClient(int timeoutMs)
    : m_connection(std::make_unique<DdbBlockingConnection>())
    , m_timeoutMs(timeoutMs)
{}

SandboxClient::~SandboxClient() = default;

Status SandboxClient::open(const QString &host, quint16 port)
{
    DdbSite site;
    site.host = host;
    site.port = port;
    DdbCredentials credentials;
    credentials.user = u"admin"_s;
    credentials.password = u"123456"_s;   // the sandbox's published default (DESIGN.md §7)
    DdbConnectionSettings settings;
    settings.connectTimeoutMs = m_timeoutMs;
    settings.requestTimeoutMs = m_timeoutMs;
    return m_connection->open(site, credentials, settings);
}

Result<DdbValue> SandboxClient::run(const QString &script)
{
    return m_connection->run(script);
}

Result<DdbValue> SandboxClient::call(const QString &function, const QList<DdbValue> &args)
{
    return m_connection->call(function, args);
}

} // namespace GrayStep::Sim
