// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One DolphinDB API session over one TCP connection (PROTOCOL.md §0-§3).
//
// DdbConnection is asynchronous (QTcpSocket, lives in its owner's thread, needs an event
// loop; never blocks). open() runs the connect sequence of the official C++ API:
//     "API 0 8 / 32_1_4_2\nconnect\n"  ->  fn login(user, password, false)  ->  fn version()
// (login is skipped when the user is empty; a version() error is tolerated). Requests are
// queued and sent one at a time (the protocol allows one in flight); each finishes exactly
// once with requestFinished(DdbReply). MSG frames are surfaced as progressMessage().
//
// Outcomes: DdbReply::error is empty on success; a server error keeps the server's text
// verbatim (ErrorCode::Server); Timeout/Network/Protocol/Cancelled otherwise. `sent` tells
// whether every byte of the request reached the socket: a failed request with sent == false
// certainly did not run on the server; with sent == true it may have (the caller decides:
// DdbHaSession reports it as indeterminate).
//
// Timeouts: connectTimeoutMs bounds the whole open() sequence; requestTimeoutMs bounds each
// request from sending to the complete reply. A request timeout, cancel() and any protocol
// error close the connection (the stream position is unknown afterwards).
//
// DdbBlockingConnection runs a DdbConnection on its own thread and waits for results; it is
// for engine worker threads and refuses to run on the GUI thread.
//
// Secrets: the password is only sent, never logged or put into an error message.

#include "core/result.h"
#include "dolphindb/ddbprotocol.h"
#include "dolphindb/ddbvalue.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QTcpSocket;
class QThread;
class QTimer;
QT_END_NAMESPACE

namespace GrayStep::DolphinDb {

// "host:port[:alias]" (PROTOCOL.md §7.2 localSite, or a plain host:port).
struct DdbSite
{
    QString host;
    quint16 port = 0;
    QString alias;

    static Core::Result<DdbSite> parse(const QString &text);
    QString toString() const;      // host:port (alias left out)
    bool operator==(const DdbSite &other) const { return host == other.host && port == other.port; }
};

struct DdbCredentials
{
    QString user = QStringLiteral("admin");
    QString password;  // secret: never logged
};

struct DdbConnectionSettings
{
    int connectTimeoutMs = 10000;
    int requestTimeoutMs = 120000;   // 0 = no limit
};

struct DdbReply
{
    quint64 id = 0;
    DdbValue value;
    std::optional<Core::Error> error;
    bool sent = false;               // all request bytes reached the socket
    QStringList messages;            // MSG frames received while it ran
    bool ok() const { return !error.has_value(); }
    bool isServerError() const { return error && error->code == Core::ErrorCode::Server; }
    // The value on success, else the error.
    Core::Result<DdbValue> result() const
    {
        if (error) {
            return *error;
        }
        return value;
    }
};

class DdbConnection final : public QObject
{
    Q_OBJECT

public:
    enum class State { Disconnected, Connecting, Ready, Closing };
    Q_ENUM(State)

    explicit DdbConnection(QObject *parent = nullptr);
    ~DdbConnection() override;
    DdbConnection(const DdbConnection &) = delete;
    DdbConnection &operator=(const DdbConnection &) = delete;

    void setSettings(const DdbConnectionSettings &settings);
    DdbConnectionSettings settings() const;

    // Opens the session; emits opened() or openFailed(). Any previous session is closed.
    void open(const DdbSite &site, const DdbCredentials &credentials);
    // Closes the connection; queued and in-flight requests fail with Cancelled.
    void close();
    // Aborts the in-flight request and everything queued (they finish with Cancelled, the
    // in-flight one with sent as it was) and closes the connection.
    void cancel();

    State state() const;
    bool isReady() const { return state() == State::Ready; }
    DdbSite site() const;
    QByteArray sessionId() const;
    // version() text of the server, e.g. "2.00.8.12 2023.01.10" (empty if unknown).
    QString serverVersion() const;
    // True when the server understands clientId/seqNo (PROTOCOL.md §5.1: >= 1.30.20.5 on the
    // 1.30 line, >= 2.00.9 on the 2.00 line, any 3.x).
    bool supportsClientId() const;
    static bool versionSupportsClientId(const QString &version);

    // Requests; each returns an id that requestFinished() carries. Requests made before
    // opened() wait in the queue; on a closed connection they fail at once (queued signal).
    quint64 runScript(const QString &script);
    quint64 callFunction(const QString &function, const QList<DdbValue> &arguments);
    quint64 upload(const QStringList &names, const QList<DdbValue> &values);
    // Sends a prepared request (the session id is filled in). For HA: options with
    // clientId/seqNo. timeoutMs < 0 uses the default request timeout.
    quint64 submit(DdbRequest request, int timeoutMs = -1);

Q_SIGNALS:
    void opened();
    void openFailed(const GrayStep::Core::Error &error);
    void progressMessage(const QString &text);
    void requestFinished(const GrayStep::DolphinDb::DdbReply &reply);
    // The connection was lost or closed (after opened()).
    void disconnected(const GrayStep::Core::Error &reason);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Blocking facade: a DdbConnection on a private thread. Methods block the calling thread
// until the result (bounded by the connection's timeouts). Not for the GUI thread: called
// there, each method returns an Internal error without doing anything.
class DdbBlockingConnection final
{
public:
    DdbBlockingConnection();
    ~DdbBlockingConnection();
    DdbBlockingConnection(const DdbBlockingConnection &) = delete;
    DdbBlockingConnection &operator=(const DdbBlockingConnection &) = delete;

    Core::Status open(const DdbSite &site, const DdbCredentials &credentials,
                      const DdbConnectionSettings &settings = {});
    Core::Result<DdbValue> run(const QString &script);
    Core::Result<DdbValue> call(const QString &function, const QList<DdbValue> &arguments);
    Core::Status upload(const QStringList &names, const QList<DdbValue> &values);
    // The full reply (sent flag, messages) of a prepared request.
    DdbReply submit(const DdbRequest &request, int timeoutMs = -1);
    // Thread-safe: aborts what is running (it returns Cancelled).
    void cancel();
    void close();
    QString serverVersion() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace GrayStep::DolphinDb
