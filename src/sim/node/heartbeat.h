// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/nodecontext.h"

#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QTimer>

#include <functional>

namespace GrayStep::Sim {

// Agents and data nodes: sends a heartbeat to the leader controller every
// simHeartbeatIntervalMs, follows <NotLeader> redirections and remembers the leader.
class HeartbeatSender final : public QObject
{
    Q_OBJECT

public:
    using Payload = std::function<QJsonObject()>; // called in the main thread

    HeartbeatSender(const NodeContext &ctx, Payload payload, QObject *parent = nullptr);
    void start();

    // Thread-safe.
    QString leaderAlias() const;
    SiteInfo leaderSite() const; // empty host when unknown
    QJsonObject faults() const;

private:
    void beat();

    const NodeContext &m_ctx;
    Payload m_payload;
    QTimer m_timer;
    QList<SiteInfo> m_controllers;
    int m_next = 0;
    bool m_inFlight = false;
    mutable QMutex m_mutex;
    SiteInfo m_leader;
    QJsonObject m_faults;
};

} // namespace GrayStep::Sim
