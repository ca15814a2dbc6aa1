// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/nodecontext.h"
#include "sim/node/peerlink.h"

#include <QObject>

namespace GrayStep::Sim {

// The agent role: starts data nodes of its host when the leader controller asks (startDataNode),
// as detached processes of this same binary, and stops them with SIGTERM via their pid file.
class AgentService final : public QObject
{
    Q_OBJECT

public:
    explicit AgentService(const NodeContext &ctx, QObject *parent = nullptr);

    bool handles(const QString &op) const { return op == QLatin1String("agentStart") || op == QLatin1String("agentStop"); }
    void handlePeer(const QJsonObject &request, const PeerConnection::Reply &reply);

    // The pid in <home>/<alias>.pid when that process is alive, else 0.
    static qint64 runningPid(const QString &home, const QString &alias);

private:
    QJsonObject startNode(const QString &site);
    QJsonObject stopNode(const QString &alias);

    const NodeContext &m_ctx;
};

} // namespace GrayStep::Sim
