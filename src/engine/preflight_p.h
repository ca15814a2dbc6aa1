// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The pre-flight's private parts: the checklist every task writes into, and the tasks
// (preflightcluster.cpp: the cluster through the leader; preflighthost.cpp: one host over SSH).

#include "engine/hostchecks.h"
#include "engine/preflight.h"
#include "engine/preflightrules.h"
#include "ssh/remoteshell.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QMap>
#include <QMutex>

#include <memory>
#include <optional>

namespace GrayStep::Engine {

class ClusterAccess;

namespace PreflightDetail {

PreflightItem item(const QString &id, const QString &title, PreflightItem::Verdict v, const QString &evidence,
                   const QString &fix = {});

// What one host's check command found that is judged with what other tasks found.
struct HostFindings
{
    std::optional<HostClock> clock;
    QString clockError;                               // when clock is empty
    std::optional<QList<InstalledPlugin>> plugins;    // empty when the install directory is missing
    QList<MetadataDirState> metadata;
    // The stage-disk measurement's output (hostchecks.h), judged with the package's sizes.
    QString stageDiskOutput;
    QStringList metadataDirs;
};

// The items of one pre-flight: declared up front (so that the set never depends on timing),
// answered by the tasks while open, closed at the deadline. An item still unanswered then
// fails, naming what it was waiting for. Thread-safe.
class Checklist final
{
public:
    explicit Checklist(int timeoutMs);

    void declare(const QString &id, const QString &title, const QString &waitingFor);
    // What the item waits for now ("host 127.0.10.2's shell to answer the check command").
    void waitFor(const QStringList &ids, const QString &what);
    // An answer; ignored once closed (a late answer is not used) or when already answered.
    void set(PreflightItem item);
    // Fails every id of `ids` not answered yet, with `why` as the evidence.
    void failUnset(const QStringList &ids, const QString &why, const QString &fix = {});

    qint64 elapsedMs() const { return m_timer.elapsed(); }
    // Time left for a blocking call (at least 1 ms).
    int remainingMs() const;
    int timeoutMs() const { return m_timeoutMs; }

    // Shells are cancelled at close (their blocking calls end with an error).
    void addShell(std::shared_ptr<Ssh::RemoteShell> shell);

    // Findings, accepted only while open.
    void setNodeVersion(const NodeVersionRead &read);
    void setChunkReplicas(const QMap<QString, int> &replicas);
    void setChunkError(const QString &error);
    void setHostFindings(const QString &host, const HostFindings &findings);
    void setHostProblem(const QString &host, const QString &problem);   // why it has no findings
    void setPackage(const PackageInfo &package);

    void close();
    bool isClosed() const;

    // After close(): the findings, and the final items (a final answer overrides nothing).
    QMap<QString, NodeVersionRead> nodeVersions() const;
    std::optional<QMap<QString, int>> chunkReplicas() const;
    QString chunkError() const;
    QMap<QString, HostFindings> hostFindings() const;
    QMap<QString, QString> hostProblems() const;
    std::optional<PackageInfo> package() const;
    bool isAnswered(const QString &id) const;
    QString waitingFor(const QString &id) const;
    void setFinal(PreflightItem item);
    // Every declared item, sorted by id; the unanswered ones failed.
    QList<PreflightItem> items() const;

private:
    struct Declared
    {
        QString title;
        QString waitingFor;
    };
    mutable QMutex m_mutex;
    QElapsedTimer m_timer;
    QDeadlineTimer m_deadline;
    int m_timeoutMs = 0;
    bool m_closed = false;
    qint64 m_closedAtMs = 0;
    QMap<QString, Declared> m_declared;
    QMap<QString, PreflightItem> m_answers;
    QList<std::shared_ptr<Ssh::RemoteShell>> m_shells;
    QMap<QString, NodeVersionRead> m_versions;
    std::optional<QMap<QString, int>> m_chunkReplicas;
    QString m_chunkError;
    QMap<QString, HostFindings> m_hosts;
    QMap<QString, QString> m_hostProblems;
    std::optional<PackageInfo> m_package;
};

// The ids a host's task answers (directly or through its findings).
QStringList hostItemIds(const QString &host);

// The tasks. Each answers its own items (or fails them with the reason they could not be
// checked) and never blocks beyond the checklist's deadline by more than a connect timeout.
void checkCluster(ClusterAccess &cluster, const Core::UpgradeProfile &profile, const PreflightOptions &options,
                  Checklist &out, PreflightReport &report, QMutex &reportMutex);
void checkHost(ClusterAccess &cluster, const Core::HostAccess &host, const PreflightOptions &options, Checklist &out);
// The disk item of a host from its measurement and the package's sizes (package: std::nullopt
// when it could not be read; its size is then not counted and the item cannot pass).
PreflightItem diskItem(const Core::HostAccess &host, const HostFindings &findings, const std::optional<PackageInfo> &package);

} // namespace PreflightDetail
} // namespace GrayStep::Engine
