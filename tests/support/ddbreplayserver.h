// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A loopback DolphinDB server that replays captured replies (PROTOCOL.md bytes), so client
// code is tested against bytes it did not produce. Requests are parsed with the library's
// DdbRequestParser and recorded; replies are looked up by key:
//   "connect", "script:<text>", "function:<name>", "variable:<name1,name2>"
// Defaults (the captured conversation of PROTOCOL.md §0): connect -> "1166953221 0 1\nOK\n",
// login -> BOOL true, version -> "2.00.8.12 2023.01.10", isNodeInitialized -> true,
// script 1+1 -> INT 2; anything else -> "Can't recognize function name <name>" /
// a syntax error for scripts. A reply can be split into chunks with delays, preceded by MSG
// frames, withheld (timeouts), or replaced by closing the connection after the request was
// read (the "indeterminate" case).

#include "dolphindb/ddbconnection.h"
#include "dolphindb/ddbprotocol.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QTcpServer>

#include <functional>

namespace GrayStep::Test {

struct DdbReplayReply
{
    enum class Action { Send, NoReply, CloseAfterRequest, SendPartThenClose };
    Action action = Action::Send;
    QByteArray bytes;
    QList<int> chunkSizes;   // write the reply in pieces of these sizes (the rest last)
    int chunkDelayMs = 0;    // pause between pieces
    int delayMs = 0;         // pause before the first byte

    static DdbReplayReply raw(const QByteArray &bytes);
    // "1166953221 1 1\nOK\n" + the encoded value (or 0 objects for a VOID "nothing").
    static DdbReplayReply value(const DolphinDb::DdbValue &value);
    static DdbReplayReply error(const QString &text);
    static DdbReplayReply noReply();
    static DdbReplayReply closeAfterRequest();
    // Sends the first `bytes` of the reply, then closes.
    static DdbReplayReply partThenClose(const QByteArray &bytes);
};

class DdbReplayServer final : public QObject
{
    Q_OBJECT

public:
    static inline const QByteArray SESSION_ID = "1166953221";

    explicit DdbReplayServer(QObject *parent = nullptr);
    ~DdbReplayServer() override;

    bool listen(const QHostAddress &address, quint16 port = 0);
    quint16 port() const;
    DolphinDb::DdbSite site() const;

    // The reply for every request with this key (replaces the default).
    void on(const QString &key, const DdbReplayReply &reply);
    // A one-time reply used before the standing one (queue; first in, first used).
    void onOnce(const QString &key, const DdbReplayReply &reply);
    // Called when no key matches.
    void setFallback(std::function<DdbReplayReply(const DolphinDb::DdbRequest &)> fallback);

    struct Received
    {
        int connection = 0;
        DolphinDb::DdbRequest request;
        QByteArray rawOptions;
        QString key;
    };
    QList<Received> received() const;
    // Requests with this key, in order.
    QList<Received> received(const QString &key) const;
    int connectionCount() const;
    // Drops every open client connection.
    void closeAll();
    void stop();

    static QString keyOf(const DolphinDb::DdbRequest &request);

Q_SIGNALS:
    void requestReceived(const QString &key);

private:
    struct Client;
    void onNewConnection();
    void onReadyRead(Client *client);
    void respond(Client *client, const DdbReplayReply &reply);
    DdbReplayReply replyFor(const DolphinDb::DdbRequest &request, const QString &key);

    QTcpServer m_server;
    QHash<QString, DdbReplayReply> m_standing;
    QHash<QString, QList<DdbReplayReply>> m_once;
    std::function<DdbReplayReply(const DolphinDb::DdbRequest &)> m_fallback;
    QList<Received> m_received;
    QList<Client *> m_clients;
    int m_connections = 0;
};

} // namespace GrayStep::Test
