// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// An HA client session over a list of sites (PROTOCOL.md §5), like the official APIs with
// highAvailability=true, but every request ends with an explicit outcome:
//
//   Acknowledged   the server answered OK (value holds the result)
//   Failed         it certainly did not take effect: the server refused it (an untagged error,
//                  text verbatim), or it was never completely sent, or only tagged HA errors
//                  (<NotLeader>, <DataNodeNotAvail>...) came back before we gave up
//   Indeterminate  some attempt was completely sent and then the connection dropped / timed
//                  out / was cancelled before a reply, and no later attempt was acknowledged:
//                  it may or may not have been applied
//
// Failover: on connection loss, on a request timeout and on the tagged errors of §3.2 the
// session reconnects (to the leader named by <NotLeader>host:port[:alias], else to the next
// site round-robin; the open sequence is connect, login, version, isNodeInitialized) and
// resends the identical request. With servers that support it (version >= 2.00.9 /
// 1.30.20.5 / 3.x) every script/function request carries `__<clientId>_<seqNo>`, and a resend
// carries the negative seqNo so the server can recognise it (§5.3). Uploads do not.
// Resending a request whose previous attempt was indeterminate is governed by
// ResendPolicy; without clientId such a resend may apply the request twice, which the
// result reports as possibleDuplicate.
//
// An untagged server error is final (Failed) without the official clients' liveness probe.
// A request whose connection drops before it was completely written is resent freely (it
// cannot have run). Each request has failoverTimeoutMs and maxAttempts to find a site.
//
// Not done on purpose: the official clients' load balancing via getClusterPerf (the upgrade
// tool talks to the site it is given).
//
// The writer uses it for appends:
//     quint64 id = ha.callFunction(Scripts::tableInsertFunction(db, table), {rows});
//     ... finished(result) with result.id == id: result.outcome, result.site

#include "core/result.h"
#include "dolphindb/ddbconnection.h"

#include <QObject>

#include <memory>

namespace GrayStep::DolphinDb {

enum class DdbOutcome { Acknowledged, Failed, Indeterminate };
QString outcomeName(DdbOutcome outcome);  // "acknowledged", "failed", "indeterminate"

struct DdbAttempt
{
    DdbSite site;
    qint64 seqNo = 0;                 // as sent (negative on a resend); 0 = no clientId
    DdbOutcome outcome = DdbOutcome::Failed;
    std::optional<Core::Error> error;
    bool sent = false;
};

struct DdbHaResult
{
    quint64 id = 0;
    DdbOutcome outcome = DdbOutcome::Failed;
    DdbValue value;                   // Acknowledged: the result
    std::optional<Core::Error> error; // otherwise: the last error (server text verbatim)
    DdbSite site;                     // the site that answered (or the last one tried)
    QByteArray clientId;              // empty when the server does not support it
    qint64 seqNo = 0;                 // positive sequence number of the request (0: none)
    QList<DdbAttempt> attempts;
    QStringList messages;             // MSG frames
    qint64 elapsedMs = 0;             // from the first send attempt (or open) to the outcome
    // Acknowledged after an indeterminate attempt without clientId: may have been applied twice.
    bool possibleDuplicate = false;
    bool ok() const { return outcome == DdbOutcome::Acknowledged; }
};

struct DdbHaSettings
{
    enum class ResendPolicy {
        Always,            // like the official clients: resend after an indeterminate attempt
        OnlyWithClientId,  // resend only when the server can deduplicate (clientId/seqNo)
        Never,             // report indeterminate, never resend it
    };

    DdbConnectionSettings connection;
    ResendPolicy resendPolicy = ResendPolicy::Always;
    int maxAttempts = 5;              // sends per request, resends included
    int failoverTimeoutMs = 30000;    // how long one request may spend finding a site
    int retryPauseMs = 100;           // between two sites
    int roundPauseMs = 1000;          // after a full round of failed sites
    int chunkInTransactionPauseMs = 10000;  // <ChunkInTransaction> (official clients: 10 s)
    bool checkNodeInitialized = true; // isNodeInitialized() must not be false
    bool useClientId = true;          // send clientId/seqNo where the server supports it
};

// The HA tag at the start of (or inside) a server error text, empty if none.
// "<NotLeader>", "<ChunkInTransaction>", ..., or "DFS is not enabled".
QString haErrorTag(const QString &serverText);
// <NotLeader>host:port[:alias] -> the leader's site.
std::optional<DdbSite> notLeaderSite(const QString &serverText);

class DdbHaSession final : public QObject
{
    Q_OBJECT

public:
    explicit DdbHaSession(QObject *parent = nullptr);
    ~DdbHaSession() override;

    void setSites(const QList<DdbSite> &sites);
    QList<DdbSite> sites() const;
    void setCredentials(const DdbCredentials &credentials);
    void setSettings(const DdbHaSettings &settings);
    DdbHaSettings settings() const;

    // Connects to the first reachable site (emits opened or openFailed). Optional: requests
    // open the session on demand.
    void open();
    void close();
    // Cancels every queued and running request (running: Indeterminate if it was sent).
    void cancel();

    bool isOpen() const;
    DdbSite currentSite() const;
    QByteArray clientId() const;

    quint64 runScript(const QString &script);
    quint64 callFunction(const QString &function, const QList<DdbValue> &arguments);
    // Upload (variable) requests never carry clientId/seqNo; note that variables are lost
    // when the session moves to another site.
    quint64 upload(const QStringList &names, const QList<DdbValue> &values);

Q_SIGNALS:
    void opened(const GrayStep::DolphinDb::DdbSite &site);
    void openFailed(const GrayStep::Core::Error &error);
    void siteChanged(const GrayStep::DolphinDb::DdbSite &site);
    void progressMessage(const QString &text);
    void finished(const GrayStep::DolphinDb::DdbHaResult &result);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Blocking facade for engine worker threads (own thread and event loop; refuses the GUI
// thread like DdbBlockingConnection).
class DdbBlockingHaSession final
{
public:
    DdbBlockingHaSession(const QList<DdbSite> &sites, const DdbCredentials &credentials,
                         const DdbHaSettings &settings = {});
    ~DdbBlockingHaSession();
    DdbBlockingHaSession(const DdbBlockingHaSession &) = delete;
    DdbBlockingHaSession &operator=(const DdbBlockingHaSession &) = delete;

    DdbHaResult run(const QString &script);
    DdbHaResult call(const QString &function, const QList<DdbValue> &arguments);
    void cancel();  // thread-safe

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace GrayStep::DolphinDb
