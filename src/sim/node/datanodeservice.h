// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "sim/node/chunkstore.h"
#include "sim/node/nodecontext.h"
#include "sim/node/peerlink.h"

#include <QObject>

namespace GrayStep::Sim {

// The data node role: holds chunk replicas (ChunkStore under chunkMetaDir), heartbeats to the
// leader with its chunk versions, and serves chunk reads/writes of coordinating nodes and the
// leader's recovery copies. Main thread.
class DataNodeService final : public QObject
{
    Q_OBJECT

public:
    explicit DataNodeService(const NodeContext &ctx, QObject *parent = nullptr);

    Core::Status start();
    ChunkStore &store() { return m_store; }
    QJsonObject heartbeatPayload() const;

    bool handles(const QString &op) const { return op.startsWith(QLatin1String("chunk")); }
    void handlePeer(const QJsonObject &request, const PeerConnection::Reply &reply);

private:
    const NodeContext &m_ctx;
    ChunkStore m_store;
};

} // namespace GrayStep::Sim
