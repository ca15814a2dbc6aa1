// SPDX-License-Identifier: GPL-3.0-or-later
// Built-in functions that belong to the (leader) controller: getClusterPerf,
// getClusterChunksStatus, getRecoveryTaskStatus, getActiveMaster, startDataNode/stopDataNode,
// DFS listings.
// On a follower controller they fail with <NotLeader>host:port:alias; on data nodes and agents
// they are forwarded to the leader.
#include "sim/node/builtins_p.h"

#include "sim/node/controllerservice.h"
#include "sim/node/nodelog.h"
#include "sim/node/simnode.h"
#include "sim/node/tableops.h"

#include <QDateTime>
#include <QJsonArray>
#include <QUuid>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim::Builtins {

namespace {

using Impl = std::function<Core::Result<Value>(Interpreter &, QList<Value> &)>;

// Wraps a leader-only implementation.
Interpreter::Builtin leaderOnly(const QString &name, Impl impl)
{
    return [name, impl](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        SimNode *node = in.node();
        if (ControllerService *ctl = node->controller()) {
            bool leader = false;
            QString notLeader;
            runOnMain([&] {
                leader = ctl->isLeader();
                notLeader = ctl->notLeaderError();
            });
            if (!leader)
                return error(notLeader);
            return impl(in, args);
        }
        const QString alias = in.leaderAlias();
        if (alias.isEmpty())
            return error(u"<ControllerNotAvail>There is no leader in the raft group at present."_s);
        Value fn;
        fn.kind = Value::Kind::Function;
        fn.function = name;
        auto r = in.remoteCall(alias, fn, args);
        if (!r)
            return r.error();
        return data(*r);
    };
}

SimColumn column(const QString &name, int type)
{
    SimColumn c;
    c.name = name;
    c.type = type;
    return c;
}

Core::Result<Value> clusterPerf(Interpreter &in, QList<Value> &args)
{
    if (auto st = arity(u"getClusterPerf"_s, args, 0, 1); !st)
        return st.error();
    const bool includeMaster = !args.isEmpty() && args.first().data.toBool();
    SimNode *node = in.node();
    const NodeContext &ctx = node->context();
    SimTable t;
    t.columns = {column(u"host"_s, DdbType::String),         column(u"port"_s, DdbType::Int),
                 column(u"site"_s, DdbType::String),         column(u"mode"_s, DdbType::Int),
                 column(u"state"_s, DdbType::Int),           column(u"agentSite"_s, DdbType::String),
                 column(u"maxConnections"_s, DdbType::Int),  column(u"maxMemSize"_s, DdbType::Double),
                 column(u"workerNum"_s, DdbType::Int),       column(u"executorNum"_s, DdbType::Int),
                 column(u"connectionNum"_s, DdbType::Int),   column(u"name"_s, DdbType::String),
                 column(u"memoryUsed"_s, DdbType::Long),     column(u"memoryAlloc"_s, DdbType::Long),
                 column(u"cpuUsage"_s, DdbType::Double),     column(u"avgLoad"_s, DdbType::Double),
                 column(u"medLast10QueryTime"_s, DdbType::Long), column(u"maxLast10QueryTime"_s, DdbType::Long),
                 column(u"runningJobs"_s, DdbType::Int),     column(u"queuedJobs"_s, DdbType::Int),
                 column(u"publicName"_s, DdbType::String),   column(u"isLeader"_s, DdbType::Bool)};
    runOnMain([&] {
        ControllerService *ctl = node->controller();
        const QJsonObject ownPerf = node->perf();
        for (const SiteInfo &s : ctx.cluster) {
            if (s.mode == NodeMode::Controller && !includeMaster)
                continue;
            bool up;
            QJsonObject perf;
            if (s.mode == NodeMode::Controller) {
                up = ctl->controllerLive(s.alias);
                perf = s.alias == ctx.self.alias ? ownPerf : QJsonObject();
            } else {
                up = ctl->isLive(s.alias);
                perf = ctl->liveness(s.alias).perf;
            }
            const SiteInfo *agent = s.mode == NodeMode::DataNode ? ctx.agentFor(s.alias) : nullptr;
            const auto i = [&](const char *k) { return qint64(perf.value(QLatin1String(k)).toInteger()); };
            const auto d = [&](const char *k) { return perf.value(QLatin1String(k)).toDouble(); };
            t.columns[0].texts << s.host;
            t.columns[1].ints << s.port;
            t.columns[2].texts << s.site();
            t.columns[3].ints << qint64(s.mode);
            t.columns[4].ints << (up ? 1 : 0);
            t.columns[5].texts << (agent ? agent->site() : QString());
            t.columns[6].ints << (perf.isEmpty() ? ctx.knobs.maxConnections : i("maxConnections"));
            t.columns[7].reals << (perf.isEmpty() ? ctx.knobs.maxMemSize : d("maxMemSize"));
            t.columns[8].ints << (perf.isEmpty() ? ctx.knobs.workerNum : i("workerNum"));
            t.columns[9].ints << i("executorNum");
            t.columns[10].ints << (up ? i("connectionNum") : 0);
            t.columns[11].texts << s.alias;
            t.columns[12].ints << (up ? i("memoryUsed") : 0);
            t.columns[13].ints << (up ? i("memoryAlloc") : 0);
            t.columns[14].reals << d("cpuUsage");
            t.columns[15].reals << d("avgLoad");
            t.columns[16].ints << 0;
            t.columns[17].ints << 0;
            t.columns[18].ints << 0;
            t.columns[19].ints << 0;
            t.columns[20].texts << perf.value(u"publicName"_s).toString(s.host);
            t.columns[21].ints << (s.mode == NodeMode::Controller ? (ctl->leaderAlias() == s.alias ? 1 : 0) : SimColumn::kNullInt);
        }
    });
    return data(TableOps::toDdb(t));
}

Core::Result<Value> chunksStatus(Interpreter &in, QList<Value> &)
{
    SimNode *node = in.node();
    SimTable t;
    t.columns = {column(u"chunkId"_s, DdbType::String),   column(u"file"_s, DdbType::String),
                 column(u"size"_s, DdbType::Long),        column(u"version"_s, DdbType::Int),
                 column(u"vcLength"_s, DdbType::Int),     column(u"versionChain"_s, DdbType::String),
                 column(u"state"_s, DdbType::String),     column(u"replicas"_s, DdbType::String),
                 column(u"replicaCount"_s, DdbType::Int), column(u"lastUpdated"_s, DdbType::Timestamp),
                 column(u"permission"_s, DdbType::String)};
    runOnMain([&] {
        const DfsMeta &meta = node->controller()->meta();
        for (const ChunkInfo &c : meta.chunks()) {
            QString chain;
            for (const auto &v : c.versionChain)
                chain += u"%1:0:%2 -> "_s.arg(v.second).arg(v.first);
            QStringList replicas;
            for (const ReplicaInfo &r : c.replicas)
                replicas << u"%1:%2:0:false:%3"_s.arg(r.alias).arg(r.version).arg(r.reportMs * 1000000);
            t.columns[0].texts << c.id;
            t.columns[1].texts << c.file();
            t.columns[2].ints << 0;
            t.columns[3].ints << c.version;
            t.columns[4].ints << c.versionChain.size();
            t.columns[5].texts << chain;
            t.columns[6].texts << c.state();
            t.columns[7].texts << replicas.join(u',');
            t.columns[8].ints << c.replicas.size();
            t.columns[9].ints << (c.lastUpdatedMs ? c.lastUpdatedMs : SimColumn::kNullInt);
            t.columns[10].texts << u"READ_WRITE"_s;
        }
    });
    return data(TableOps::toDdb(t));
}

// One ChunkRecovery task per recovering replica (the emulator keeps no history of finished
// ones): from a current replica to the stale one, "In-Progress" once its start time has come,
// "Waiting" before. Columns as documented for getRecoveryTaskStatus.
Core::Result<Value> recoveryTaskStatus(Interpreter &in, QList<Value> &)
{
    SimNode *node = in.node();
    SimTable t;
    t.columns = {column(u"TaskId"_s, DdbType::String),        column(u"TaskType"_s, DdbType::String),
                 column(u"ChunkId"_s, DdbType::String),       column(u"ChunkPath"_s, DdbType::String),
                 column(u"Source"_s, DdbType::String),        column(u"Dest"_s, DdbType::String),
                 column(u"Status"_s, DdbType::String),        column(u"AttemptCount"_s, DdbType::Int),
                 column(u"DeleteSource"_s, DdbType::Bool),    column(u"StartTime"_s, DdbType::Timestamp),
                 column(u"LastDequeueTime"_s, DdbType::Timestamp), column(u"LastStartTime"_s, DdbType::Timestamp),
                 column(u"FinishTime"_s, DdbType::Timestamp), column(u"IsIncrementalRecovery"_s, DdbType::Bool),
                 column(u"IsAsyncRecovery"_s, DdbType::Bool), column(u"ChangeFromIncrementalToFull"_s, DdbType::Bool),
                 column(u"ChangeToSyncTime"_s, DdbType::Timestamp), column(u"FailureReason"_s, DdbType::String)};
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    runOnMain([&] {
        for (const ChunkInfo &c : node->controller()->meta().chunks()) {
            for (const ReplicaInfo &r : c.replicas) {
                if (!r.recovering)
                    continue;
                QString source;
                for (const ReplicaInfo &s : c.replicas)
                    if (!s.recovering && s.version == c.version && source.isEmpty())
                        source = s.alias;
                const bool started = now >= r.recoverStartMs;
                t.columns[0].texts << QUuid::createUuidV5(QUuid::fromString(c.id), r.alias).toString(QUuid::WithoutBraces);
                t.columns[1].texts << u"ChunkRecovery"_s;
                t.columns[2].texts << c.id;
                t.columns[3].texts << c.file();
                t.columns[4].texts << source;
                t.columns[5].texts << r.alias;
                t.columns[6].texts << (started ? u"In-Progress"_s : u"Waiting"_s);
                t.columns[7].ints << (started ? 1 : 0);
                t.columns[8].ints << 0;
                t.columns[9].ints << r.recoverStartMs;
                t.columns[10].ints << (started ? r.recoverStartMs : SimColumn::kNullInt);
                t.columns[11].ints << (started ? r.recoverStartMs : SimColumn::kNullInt);
                t.columns[12].ints << SimColumn::kNullInt;
                t.columns[13].ints << 1;
                t.columns[14].ints << 0;
                t.columns[15].ints << 0;
                t.columns[16].ints << SimColumn::kNullInt;
                t.columns[17].texts << QString();
            }
        }
    });
    return data(TableOps::toDdb(t));
}

Core::Result<Value> startStop(Interpreter &in, QList<Value> &args, bool start)
{
    const QString fn = start ? u"startDataNode"_s : u"stopDataNode"_s;
    if (auto st = arity(fn, args, 1, 1); !st)
        return st.error();
    auto aliases = texts(fn, args, 0);
    if (!aliases)
        return aliases.error();
    const NodeContext &ctx = in.node()->context();
    for (QString alias : *aliases) {
        // host:port form (as the docs also show) -> alias
        if (alias.count(u':') == 1) {
            for (const SiteInfo &s : ctx.cluster)
                if (s.host + u':' + QString::number(s.port) == alias)
                    alias = s.alias;
        }
        const SiteInfo *site = ctx.siteOf(alias);
        if (!site || site->mode != NodeMode::DataNode)
            return error(u"The data node %1 does not exist in the cluster."_s.arg(alias));
        const SiteInfo *agent = ctx.agentFor(alias);
        if (!agent)
            return error(u"There is no agent on host %1 to manage %2."_s.arg(site->host, alias));
        const QJsonObject request = start ? QJsonObject{{u"op"_s, u"agentStart"_s}, {u"site"_s, site->site()}}
                                          : QJsonObject{{u"op"_s, u"agentStop"_s}, {u"alias"_s, alias}};
        auto r = in.siteCall(agent->host, agent->port, request, 5000);
        if (!r)
            return error(u"Failed to %1 data node %2 through agent %3: %4"_s.arg(start ? u"start"_s : u"stop"_s, alias,
                                                                                agent->alias, r.error().message));
        NodeLog::instance().info(u"%1 %2 through agent %3"_s.arg(start ? u"Starting"_s : u"Stopping"_s, alias, agent->alias));
    }
    return data(DdbValue());
}

} // namespace

void registerCluster(Table &t)
{
    t.insert(u"getClusterPerf"_s, leaderOnly(u"getClusterPerf"_s, clusterPerf));
    t.insert(u"getClusterChunksStatus"_s, leaderOnly(u"getClusterChunksStatus"_s, chunksStatus));
    t.insert(u"getRecoveryTaskStatus"_s, leaderOnly(u"getRecoveryTaskStatus"_s, recoveryTaskStatus));
    t.insert(u"getActiveMaster"_s, leaderOnly(u"getActiveMaster"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
                 return data(DdbValue::string(in.node()->context().self.alias));
             }));
    t.insert(u"startDataNode"_s, leaderOnly(u"startDataNode"_s, [](Interpreter &in, QList<Value> &args) {
                 return startStop(in, args, true);
             }));
    t.insert(u"stopDataNode"_s, leaderOnly(u"stopDataNode"_s, [](Interpreter &in, QList<Value> &args) {
                 return startStop(in, args, false);
             }));
    t.insert(u"getClusterDFSDatabases"_s, leaderOnly(u"getClusterDFSDatabases"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
                 QStringList dbs;
                 SimNode *node = in.node();
                 runOnMain([&] { dbs = node->controller()->meta().databases().keys(); });
                 return data(DdbValue::vector(DdbVector::strings(dbs)));
             }));
    t.insert(u"getRaftElectionTick"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::int32(qint32(in.node()->context().knobs.electionTimeoutMs / 10)));
    });
    t.insert(u"getControllerElectionTick"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::int32(qint32(in.node()->context().knobs.electionTimeoutMs / 10)));
    });
}

} // namespace GrayStep::Sim::Builtins
