// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Test fixtures for the emulated node (ddbsim): a small blocking DolphinDB API client built on
// the protocol library's framing, and a cluster laid out in a temporary directory whose
// processes are started and killed by the test.

#include "core/result.h"
#include "dolphindb/ddbprotocol.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QTime>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <memory>

namespace GrayStep::Test {

// One raw-TCP API session (connect + login), blocking, for tests only.
class SimClient final
{
public:
    SimClient() = default;
    ~SimClient();

    Core::Status open(const QString &host, int port, const QString &user = QStringLiteral("admin"),
                      const QString &password = QStringLiteral("123456"), int timeoutMs = 5000);
    Core::Result<DolphinDb::DdbValue> run(const QString &script, int timeoutMs = 15000);
    Core::Result<DolphinDb::DdbValue> call(const QString &function, const QList<DolphinDb::DdbValue> &args,
                                           int timeoutMs = 15000);
    // Any request (options included); returns the response.
    Core::Result<DolphinDb::DdbResponse> send(const DolphinDb::DdbRequest &request, int timeoutMs = 15000);
    void close();

private:
    QTcpSocket m_socket;
    QByteArray m_sessionId = "0";
    QByteArray m_rest;
};

// Recursive copy (cp -r), for metadata backups.
bool copyDirectory(const QString &from, const QString &to);

// One script on a fresh session.
Core::Result<DolphinDb::DdbValue> runOnce(const QString &host, int port, const QString &script, int timeoutMs = 15000);

// One row per day of the sandbox table dfs://stock/stock's ten partitions (2023.01.01..10 at
// `at`), ids firstId.., appended through the data node at host:port: chunks on every node.
Core::Status insertOneRowPerDay(const QString &host, int port, int firstId, QTime at);

// The internal peer protocol: {"op":"status"} etc.
Core::Result<QJsonObject> simStatus(const QString &host, int port);

// A cluster of N emulated hosts (127.0.40.1..N by default) with a controller, an agent and a
// data node each, laid out like clusterDemo in a temporary directory. Fast knobs.
class SimCluster final
{
public:
    // Host i (1-based) listens on addressPrefix + (firstAddress + i - 1).
    explicit SimCluster(int hosts = 3, const QString &addressPrefix = QStringLiteral("127.0.40."), int firstAddress = 1);
    ~SimCluster(); // kills every process it started

    bool isValid() const { return m_dir.isValid(); }
    QString root() const { return m_dir.path(); }
    QString host(int i) const { return m_prefix + QString::number(m_first + i - 1); } // 1-based
    QString clusterDemo(int i) const;
    QString dataDir(int i) const { return clusterDemo(i) + QStringLiteral("/data"); }
    QString serverDir(int i) const;
    int hosts() const { return m_hosts; }
    QStringList hostsAddresses() const;
    QMap<QString, QString> &extraConfig() { return m_extra; }

    // Writes the install trees (call before starting; knobs may be changed in extraConfig()).
    Core::Status layout(const QString &version = QStringLiteral("2.00.7.4 2022.12.08"));
    Core::Status startController(int i);
    Core::Status startAgent(int i);
    // Through the agent directly (the controller path is what tests check separately).
    Core::Status startDataNodeDirect(int i);
    // SIGTERM to every node of the cluster; waits until their pid files are gone.
    bool stopAll(int timeoutMs = 5000);
    qint64 pidOf(int i, const QString &alias) const;
    void kill(int i, const QString &alias, int signal = 9);
    void killAll();
    // Waits until the node answers {"op":"status"} with initialized=true.
    bool waitUp(const QString &host, int port, int timeoutMs = 10000);
    // The controller alias every live controller reports as leader (empty when none/disagree).
    QString leader(const QList<int> &hosts = {});
    bool waitLeader(QString *leader, const QList<int> &hosts = {}, int timeoutMs = 10000);
    // The whole cluster as the product starts it: controllers and agents on every host, a
    // leader, then the data nodes node1..nodeN through the leader (startDataNode); waits until
    // every data node answers. Call after layout(). The error names what did not come up.
    Core::Status startAll(int timeoutMs = 20000);
    QString log(int i, const QString &alias) const;

private:
    Core::Status spawn(int i, const QStringList &args);

    QTemporaryDir m_dir;
    QString m_prefix;
    int m_hosts;
    int m_first;
    QMap<QString, QString> m_extra;
    QList<qint64> m_started;
};

} // namespace GrayStep::Test
