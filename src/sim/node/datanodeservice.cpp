// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/datanodeservice.h"

#include "sim/node/nodelog.h"
#include "sim/node/tableops.h"

#include "dolphindb/ddbcodec.h"

#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

DataNodeService::DataNodeService(const NodeContext &ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_store(ctx.chunkMetaDir())
{}

Core::Status DataNodeService::start()
{
    if (auto st = m_store.load(); !st)
        return st;
    NodeLog::instance().info(u"Loaded %1 chunk replicas from %2/CHUNK_METADATA"_s.arg(m_store.chunks().size()).arg(m_store.storageDir()));
    return {};
}

QJsonObject DataNodeService::heartbeatPayload() const
{
    QJsonArray chunks;
    for (const LocalChunk &c : m_store.chunks())
        chunks.append(QJsonObject{{u"id"_s, c.id}, {u"v"_s, c.version}, {u"rows"_s, c.rows()}});
    return QJsonObject{{u"chunks"_s, chunks}};
}

void DataNodeService::handlePeer(const QJsonObject &req, const PeerConnection::Reply &reply)
{
    const QString op = req.value(u"op"_s).toString();
    const QString id = req.value(u"id"_s).toString();
    if (op == "chunkWrite"_L1 || op == "chunkReplace"_L1) {
        const SimTable rows = SimTable::fromJson(req.value(u"rows"_s).toObject());
        const qint64 v = req.value(u"v"_s).toInteger();
        const QString db = req.value(u"db"_s).toString(), table = req.value(u"table"_s).toString(),
                      part = req.value(u"part"_s).toString();
        const Core::Status st = op == "chunkWrite"_L1 ? m_store.write(id, db, table, part, v, rows)
                                                      : m_store.replace(id, db, table, part, v, rows);
        if (!st)
            return reply(PeerLink::errorReply(st.error().message));
        const LocalChunk *c = m_store.chunk(id);
        return reply(QJsonObject{{u"ok"_s, true}, {u"rowCount"_s, c ? c->rows() : 0}});
    }
    if (op == "chunkRead"_L1) {
        const LocalChunk *c = m_store.chunk(id);
        const qint64 v = req.value(u"v"_s).toInteger();
        if (!c || c->version < v || c->rowsAt(v) < 0)
            return reply(PeerLink::errorReply(u"<DataNodeNotAvail>The replica of chunk %1 on %2 is not at version %3."_s
                                                  .arg(id, m_ctx.self.alias)
                                                  .arg(v)));
        const SimTable data = c->dataAt(v);
        if (req.value(u"binary"_s).toBool()) {
            // Reads for queries: the DolphinDB encoding is far cheaper than JSON for big chunks.
            const QByteArray bytes = DolphinDb::DdbEncoder::encode(TableOps::toDdb(data));
            return reply(QJsonObject{{u"v"_s, v}, {u"rowCount"_s, data.rows()}, {u"bin"_s, QString::fromLatin1(bytes.toBase64())}});
        }
        return reply(QJsonObject{{u"v"_s, v}, {u"rowCount"_s, data.rows()}, {u"rows"_s, data.toJson()}});
    }
    reply(PeerLink::errorReply(u"unknown data node operation "_s + op));
}

} // namespace GrayStep::Sim
