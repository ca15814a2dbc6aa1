// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/nodecontext.h"
#include "sim/node/peerlink.h"

#include <QObject>
#include <QThreadPool>

#include <memory>

namespace GrayStep::Sim {

class AgentService;
class ControllerService;
class DataNodeService;
class HeartbeatSender;
class Listener;
class ApiServer;

// One emulated DolphinDB node process: reads the real command line and config files, writes the
// log and pid file, runs its role (controller, agent or data node) and serves its port.
class SimNode final : public QObject
{
    Q_OBJECT

public:
    explicit SimNode(QObject *parent = nullptr);
    ~SimNode() override;

    // Everything up to the listening port; false = startup failed (already logged as <ERROR>).
    bool init(const QStringList &args, const QString &argv0);
    // Completes the startup after simStartupDelayMs (listen, start the role).
    void start();
    // Graceful stop (SIGTERM): logs, closes the port, removes the pid file, quits the event loop.
    void shutdown();

    const NodeContext &context() const { return m_ctx; }
    ControllerService *controller() const { return m_controller; }
    DataNodeService *dataNode() const { return m_dataNode; }
    AgentService *agent() const { return m_agent; }
    HeartbeatSender *heartbeat() const { return m_heartbeat; }
    Listener *listener() const { return m_listener; }
    bool initialized() const { return m_initialized; }

    // Node-local faults (simSetFault kinds that are not cluster-wide).
    QString localFault(const QString &kind) const;
    void setLocalFault(const QString &kind, const QString &value);

    // This node's load figures for heartbeats and getClusterPerf (main thread).
    QJsonObject perf() const;
    // Set by the API server: runs {"op":"eval"} requests (rpc/pnodeRun from other nodes).
    void setEvalHandler(PeerConnection::Handler handler) { m_evalHandler = std::move(handler); }
    void setConnectionCounter(std::function<int()> counter) { m_connectionCounter = std::move(counter); }

    // Dispatches an internal request (main thread).
    void handlePeer(const QJsonObject &request, const PeerConnection::Reply &reply);

private:
    bool fail(const QString &message);
    QJsonObject statusJson() const;

    NodeContext m_ctx;
    QThreadPool m_background;
    ControllerService *m_controller = nullptr;
    DataNodeService *m_dataNode = nullptr;
    AgentService *m_agent = nullptr;
    HeartbeatSender *m_heartbeat = nullptr;
    Listener *m_listener = nullptr;
    ApiServer *m_api = nullptr;
    QString m_pidFile;
    bool m_initialized = false;
    QHash<QString, QString> m_localFaults;
    PeerConnection::Handler m_evalHandler;
    std::function<int()> m_connectionCounter;
};

} // namespace GrayStep::Sim
