// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace GrayStep::Sim {

// The node roles of the real server (values = getNodeType()).
enum class NodeMode { DataNode = 0, Agent = 1, Controller = 2 };

QString nodeModeName(NodeMode mode);

// One line of cluster.nodes / one localSite: host:port:alias plus role.
struct SiteInfo
{
    QString host;
    int port = 0;
    QString alias;
    NodeMode mode = NodeMode::DataNode;

    QString site() const; // host:port:alias
    bool operator==(const SiteInfo &) const = default;
};

// Parses "host:port:alias".
Core::Result<SiteInfo> parseSite(const QString &text, NodeMode mode);

// The real server's command line (PROTOCOL.md §7.1); unknown flags are kept for a warning.
struct CommandLine
{
    QString mode;
    QString home;
    QString config;
    QString logFile;
    QString nodesFile;
    QString clusterConfig;
    QString localSite;
    QString script;
    QStringList unknownFlags;
};

Core::Result<CommandLine> parseCommandLine(const QStringList &args);

// key=value settings, parsed with core/configparsers (the real files' rules): effective values
// for one alias, "<alias>.<key>=" overrides of cluster.cfg applied in file order.
class Settings final
{
public:
    // Reads a file; returns the problems found in it ("cluster.cfg:3: ...") for the log.
    Core::Result<QStringList> load(const QString &path, const QString &alias);
    void set(const QString &key, const QString &value) { m_values.insert(key, value); }
    void setDefault(const QString &key, const QString &value);

    bool contains(const QString &key) const { return m_values.contains(key); }
    QString value(const QString &key, const QString &fallback = {}) const;
    qint64 intValue(const QString &key, qint64 fallback) const;
    QHash<QString, QString> all() const { return m_values; }

private:
    QHash<QString, QString> m_values;
};

// cluster.nodes (core/configparsers); compute nodes count as data nodes. Any problem is an error,
// as a malformed cluster.nodes stops the real server.
Core::Result<QList<SiteInfo>> parseClusterNodes(const QString &path);

// Timing knobs (sim-only keys documented in README.md of this folder) and real keys used.
struct Knobs
{
    qint64 heartbeatIntervalMs = 1000;
    qint64 startupDelayMs = 2000;
    qint64 recoveryBaseMs = 3000;
    qint64 recoveryRowsPerSec = 2000;
    qint64 electionTimeoutMs = 3000;   // raftElectionTick * 10
    qint64 writeBlockMaxMs = 10000;    // how long a write waits for a RECOVERING chunk
    int replicationFactor = 2;
    int reliabilityLevel = 1;
    int maxConnections = 512;
    int workerNum = 4;
    double maxMemSize = 8;

    static Knobs fromSettings(const Settings &settings);
};

} // namespace GrayStep::Sim
