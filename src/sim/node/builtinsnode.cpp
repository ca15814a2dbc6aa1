// SPDX-License-Identifier: GPL-3.0-or-later
// Built-in functions: session, node identity, config, rpc/pnodeRun, faults, aggregates.
#include "sim/node/builtins_p.h"

#include "sim/node/controllerservice.h"
#include "sim/node/heartbeat.h"
#include "sim/node/nodelog.h"
#include "sim/node/simnode.h"
#include "sim/node/tableops.h"

#include <QDateTime>
#include <QJsonArray>

#include <cmath>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim {

const QHash<QString, Interpreter::Builtin> &Interpreter::builtins()
{
    static const Builtins::Table table = [] {
        Builtins::Table t;
        Builtins::registerNode(t);
        Builtins::registerCluster(t);
        Builtins::registerDfs(t);
        return t;
    }();
    return table;
}

namespace Builtins {

using Core::ErrorCode;

Core::Error error(const QString &message)
{
    return Core::Error(ErrorCode::Server, message);
}

Core::Status arity(const QString &fn, const QList<Value> &args, int min, int max)
{
    if (args.size() < min || args.size() > max) {
        if (min == max)
            return error(u"The function [%1] expects %2 argument(s), but the actual number of arguments is: %3"_s.arg(fn).arg(min).arg(args.size()));
        return error(u"The function [%1] expects %2~%3 argument(s), but the actual number of arguments is: %4"_s.arg(fn).arg(min).arg(max).arg(args.size()));
    }
    return {};
}

Core::Result<QString> text(const QString &fn, const QList<Value> &args, int index)
{
    if (index >= args.size())
        return error(u"The function [%1] expects more arguments."_s.arg(fn));
    const Value &v = args.at(index);
    if (v.kind != Value::Kind::Data || !v.data.isScalar() || (v.data.type() != DataType::String && v.data.type() != DataType::Symbol))
        return error(u"The argument %1 of function [%2] must be a string scalar."_s.arg(index + 1).arg(fn));
    return v.data.toString();
}

Core::Result<QStringList> texts(const QString &fn, const QList<Value> &args, int index)
{
    if (index >= args.size())
        return error(u"The function [%1] expects more arguments."_s.arg(fn));
    const Value &v = args.at(index);
    if (v.kind == Value::Kind::Data && v.data.isVector() && (v.data.type() == DataType::String || v.data.type() == DataType::Symbol)) {
        QStringList out;
        for (qint64 i = 0; i < v.data.rowCount(); ++i)
            out << v.data.elements().stringAt(i);
        return out;
    }
    auto one = text(fn, args, index);
    if (!one)
        return one.error();
    return QStringList{*one};
}

Value data(const DdbValue &v)
{
    return Value::of(v);
}

namespace {

Core::Result<Value> configValue(Interpreter &in, const QString &key)
{
    const NodeContext &ctx = in.node()->context();
    if (key == "chunkMetaDir"_L1)
        return data(DdbValue::string(ctx.chunkMetaDir()));
    if (key == "dfsMetaDir"_L1)
        return data(DdbValue::string(ctx.dfsMetaDir()));
    if (key == "home"_L1)
        return data(DdbValue::string(ctx.home));
    if (key == "raftDir"_L1 && ctx.mode() == NodeMode::Controller)
        return data(DdbValue::string(ctx.raftDir()));
    if (!ctx.settings.contains(key))
        return data(DdbValue::voidValue(true));
    return data(DdbValue::string(ctx.settings.value(key)));
}

// Aggregates over a vector (or a scalar).
Core::Result<Value> aggregate(const QString &fn, const QList<Value> &args)
{
    if (auto st = arity(fn, args, 1, 1); !st)
        return st.error();
    const DdbValue &v = args.first().data;
    if (v.isScalar())
        return fn == "count"_L1 || fn == "size"_L1 ? data(DdbValue::int32(v.isNull() ? 0 : 1)) : data(v);
    if (!v.isVector())
        return error(u"The function [%1] expects a vector."_s.arg(fn));
    const DdbVector &e = v.elements();
    if (fn == "size"_L1)
        return data(DdbValue::int32(qint32(e.size())));
    qint64 count = 0;
    qint64 best = -1;
    double sum = 0;
    for (qint64 i = 0; i < e.size(); ++i) {
        if (e.isNull(i))
            continue;
        ++count;
        if (fn == "first"_L1 && best < 0)
            best = i;
        if (fn == "last"_L1)
            best = i;
        if (fn == "sum"_L1 || fn == "avg"_L1)
            sum += e.doubleAt(i);
        if (fn == "min"_L1 || fn == "max"_L1) {
            if (best < 0) {
                best = i;
                continue;
            }
            const bool text = e.type() == DataType::String || e.type() == DataType::Symbol;
            const bool floating = e.type() == DataType::Double || e.type() == DataType::Float;
            int c;
            if (text)
                c = QString::compare(e.stringAt(i), e.stringAt(best));
            else if (floating)
                c = e.doubleAt(i) < e.doubleAt(best) ? -1 : e.doubleAt(i) > e.doubleAt(best) ? 1 : 0;
            else
                c = e.intAt(i) < e.intAt(best) ? -1 : e.intAt(i) > e.intAt(best) ? 1 : 0;
            if ((fn == "min"_L1 && c < 0) || (fn == "max"_L1 && c > 0))
                best = i;
        }
    }
    if (fn == "count"_L1)
        return data(DdbValue::int32(qint32(count)));
    if (fn == "avg"_L1)
        return data(count ? DdbValue::float64(sum / double(count)) : DdbValue::float64(NULL_DOUBLE));
    if (fn == "sum"_L1) {
        if (e.type() == DataType::Double || e.type() == DataType::Float)
            return data(DdbValue::float64(sum));
        qint64 s = 0;
        for (qint64 i = 0; i < e.size(); ++i)
            if (!e.isNull(i))
                s += e.intAt(i);
        return data(elementSize(e.type()) == 8 ? DdbValue::int64(s) : DdbValue::int64(s));
    }
    if (best < 0) {
        auto nullVec = TableOps::convert(DdbVector::voids(1), e.type());
        return data(nullVec ? DdbValue::scalar(*nullVec) : DdbValue::voidValue(true));
    }
    return data(TableOps::elementAt(e, best));
}

// pnodeRun's merge of per-node results (PROTOCOL.md §6.2).
Core::Result<Value> mergeNodeResults(const QStringList &nodes, const QList<DdbValue> &results)
{
    if (results.isEmpty())
        return data(DdbValue());
    bool allScalars = true, allTables = true;
    for (const DdbValue &r : results) {
        allScalars = allScalars && r.isScalar();
        allTables = allTables && r.isTable();
    }
    if (allScalars) {
        auto values = TableOps::vectorOf(results);
        if (!values)
            return values.error();
        auto t = DdbValue::table({u"node"_s, u"value"_s}, {DdbVector::strings(nodes), *values});
        if (!t)
            return t.error();
        return data(*t);
    }
    if (allTables) {
        QStringList names = results.first().columnNames();
        QList<QList<DdbVector>> parts(names.size());
        QStringList nodeCol;
        for (qsizetype r = 0; r < results.size(); ++r) {
            const DdbValue &t = results.at(r);
            if (t.columnNames() != names)
                return error(u"pnodeRun: the nodes returned tables of different shapes."_s);
            for (int c = 0; c < t.columnCount(); ++c)
                parts[c] << t.column(c);
            for (qint64 i = 0; i < t.rowCount(); ++i)
                nodeCol << nodes.at(r);
        }
        QList<DdbVector> cols;
        for (const auto &p : parts) {
            auto v = TableOps::concat(p);
            if (!v)
                return v.error();
            cols << *v;
        }
        names << u"node"_s;
        cols << DdbVector::strings(nodeCol);
        auto t = DdbValue::table(names, cols);
        if (!t)
            return t.error();
        return data(*t);
    }
    QList<DdbValue> values = results;
    return data(DdbValue::dictionary(DdbVector::strings(nodes), DdbVector::anys(values)));
}

} // namespace

void registerNode(Table &t)
{
    t.insert(u"login"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"login"_s, args, 2, 3); !st)
            return st.error();
        auto user = text(u"login"_s, args, 0);
        auto pass = text(u"login"_s, args, 1);
        if (!user || !pass)
            return error(u"The user name or password is incorrect."_s);
        if (*user != "admin"_L1 || *pass != "123456"_L1)
            return error(u"The user name or password is incorrect."_s);
        if (Session *s = in.context().session) {
            s->user = *user;
            s->loggedIn = true;
        }
        return data(DdbValue::boolean(true));
    });
    t.insert(u"logout"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        if (Session *s = in.context().session)
            s->loggedIn = false;
        return data(DdbValue());
    });
    t.insert(u"version"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"version"_s, args, 0, 0); !st)
            return st.error();
        return data(DdbValue::string(in.node()->context().version));
    });
    t.insert(u"getNodeAlias"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::string(in.node()->context().self.alias));
    });
    t.insert(u"getNodeHost"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::string(in.node()->context().self.host));
    });
    t.insert(u"getNodePort"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::int32(in.node()->context().self.port));
    });
    t.insert(u"getNodeType"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::int32(qint32(in.node()->context().mode())));
    });
    t.insert(u"isNodeInitialized"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::boolean(in.node()->initialized()));
    });
    t.insert(u"getControllerAlias"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        const QString leader = in.leaderAlias();
        if (leader.isEmpty())
            return error(u"<ControllerNotAvail>There is no leader in the raft group at present."_s);
        return data(DdbValue::string(leader));
    });
    t.insert(u"getConfig"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"getConfig"_s, args, 0, 1); !st)
            return st.error();
        if (args.isEmpty()) {
            const auto all = in.node()->context().settings.all();
            QStringList keys = all.keys();
            keys.sort();
            QStringList values;
            for (const QString &k : keys)
                values << all.value(k);
            return data(DdbValue::dictionary(DdbVector::strings(keys), DdbVector::strings(values)));
        }
        auto key = text(u"getConfig"_s, args, 0);
        if (!key)
            return key.error();
        return configValue(in, *key);
    });
    t.insert(u"rpc"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (args.size() < 2)
            return arity(u"rpc"_s, args, 2, 64).error();
        auto alias = text(u"rpc"_s, args, 0);
        if (!alias)
            return alias.error();
        if (args.at(1).kind != Value::Kind::Function)
            return error(u"The second argument of rpc must be a function."_s);
        const QList<Value> extra = args.mid(2);
        if (*alias == in.node()->context().self.alias)
            return in.call(args.at(1).function, args.at(1).bound + extra, 1);
        auto r = in.remoteCall(*alias, args.at(1), extra);
        if (!r)
            return r.error();
        return data(*r);
    });
    t.insert(u"pnodeRun"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"pnodeRun"_s, args, 1, 3); !st)
            return st.error();
        if (args.at(0).kind != Value::Kind::Function)
            return error(u"The first argument of pnodeRun must be a function."_s);
        const NodeContext &ctx = in.node()->context();
        QStringList nodes;
        if (args.size() >= 2 && !args.at(1).isEmptyArg()) {
            auto list = texts(u"pnodeRun"_s, args, 1);
            if (!list)
                return list.error();
            nodes = *list;
        } else {
            for (const SiteInfo &s : ctx.sitesOf(NodeMode::DataNode))
                nodes << s.alias;
            if (nodes.isEmpty() && ctx.mode() == NodeMode::DataNode)
                nodes << ctx.self.alias;
        }
        QStringList answered;
        QList<DdbValue> results;
        for (const QString &alias : std::as_const(nodes)) {
            Core::Result<DdbValue> r = DdbValue();
            if (alias == ctx.self.alias) {
                auto local = in.call(args.at(0).function, args.at(0).bound, 1);
                if (!local)
                    r = local.error();
                else
                    r = local->data;
            } else {
                r = in.remoteCall(alias, args.at(0), {});
            }
            if (!r) {
                // An unreachable node is left out (its row is missing); a function error is fatal.
                if (r.error().code == ErrorCode::Server && !r.error().message.contains(u"not reachable"_s))
                    return r.error();
                NodeLog::instance().warning(u"pnodeRun: node %1 did not answer: %2"_s.arg(alias, r.error().message));
                continue;
            }
            answered << alias;
            results << *r;
        }
        return mergeNodeResults(answered, results);
    });
    t.insert(u"simSetFault"_s, [](Interpreter &in, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"simSetFault"_s, args, 2, 2); !st)
            return st.error();
        auto kind = text(u"simSetFault"_s, args, 0);
        auto value = text(u"simSetFault"_s, args, 1);
        if (!kind || !value)
            return error(u"simSetFault(kind STRING, value STRING)"_s);
        static const QHash<QString, QStringList> allowed = {
            {u"recovery"_s, {u"normal"_s, u"slow"_s, u"stuck"_s}},
            {u"diskFull"_s, {u"0"_s, u"1"_s}},
            {u"electionStorm"_s, {u"0"_s, u"1"_s}},
            {u"dropNextReply"_s, {u"0"_s, u"1"_s}},
            {u"loseNextAppend"_s, {u"0"_s, u"1"_s}},
        };
        if (!allowed.contains(*kind))
            return error(u"simSetFault: unknown fault kind '%1' (recovery, diskFull, electionStorm, dropNextReply, "
                         "loseNextAppend)"_s.arg(*kind));
        if (!allowed.value(*kind).contains(*value))
            return error(u"simSetFault: invalid value '%1' for %2 (%3)"_s.arg(*value, *kind, allowed.value(*kind).join(u'|')));
        if (*kind == "recovery"_L1) {
            auto r = in.leaderCall(QJsonObject{{u"op"_s, u"dfsPropose"_s},
                                               {u"ops"_s, QJsonArray{DfsOp::fault(*kind, *value)}}});
            if (!r)
                return r.error();
        } else {
            SimNode *node = in.node();
            runOnMain([&] { node->setLocalFault(*kind, *value); });
        }
        NodeLog::instance().warning(u"Fault injected: %1 = %2"_s.arg(*kind, *value));
        return data(DdbValue());
    });
    t.insert(u"simGetFaults"_s, [](Interpreter &in, QList<Value> &) -> Core::Result<Value> {
        QStringList keys, values;
        const auto add = [&](const QString &k, const QString &v) {
            const qsizetype i = keys.indexOf(k);
            if (i >= 0)
                values[i] = v;
            else {
                keys << k;
                values << v;
            }
        };
        add(u"recovery"_s, u"normal"_s);
        add(u"diskFull"_s, u"0"_s);
        add(u"electionStorm"_s, u"0"_s);
        auto r = in.leaderCall(QJsonObject{{u"op"_s, u"dfsFaults"_s}}, 2000);
        if (r) {
            const QJsonObject f = r->value(u"faults"_s).toObject();
            for (auto it = f.constBegin(); it != f.constEnd(); ++it)
                add(it.key(), it.value().toString());
        }
        SimNode *node = in.node();
        add(u"dropNextReply"_s, u"0"_s);
        add(u"loseNextAppend"_s, u"0"_s);
        for (const QString &k : {u"diskFull"_s, u"electionStorm"_s, u"dropNextReply"_s, u"loseNextAppend"_s}) {
            QString v;
            runOnMain([&] { v = node->localFault(k); });
            if (!v.isEmpty())
                add(k, v);
        }
        return data(DdbValue::dictionary(DdbVector::strings(keys), DdbVector::strings(values)));
    });
    for (const QString &fn : {u"count"_s, u"min"_s, u"max"_s, u"sum"_s, u"avg"_s, u"first"_s, u"last"_s, u"size"_s}) {
        t.insert(fn, [fn](Interpreter &, QList<Value> &args) { return aggregate(fn, args); });
    }
    t.insert(u"rows"_s, [](Interpreter &, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"rows"_s, args, 1, 1); !st)
            return st.error();
        return data(DdbValue::int32(qint32(args.first().data.rowCount())));
    });
    // isNull(x): element-wise for a vector (the continuity reader's null-id rows), a BOOL for a scalar.
    t.insert(u"isNull"_s, [](Interpreter &, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"isNull"_s, args, 1, 1); !st)
            return st.error();
        const DdbValue &v = args.first().data;
        if (v.isScalar())
            return data(DdbValue::boolean(v.isNull()));
        if (!v.isVector())
            return error(u"The function [isNull] expects a scalar or a vector."_s);
        const DdbVector &e = v.elements();
        QList<qint8> out;
        out.reserve(e.size());
        for (qint64 i = 0; i < e.size(); ++i)
            out << qint8(e.isNull(i) ? 1 : 0);
        return data(DdbValue::vector(DdbVector::bools(out)));
    });
    t.insert(u"now"_s, [](Interpreter &, QList<Value> &) -> Core::Result<Value> {
        return data(DdbValue::int64(Temporal::timestampFromDateTime(QDateTime::currentDateTime()), DataType::Timestamp));
    });
    t.insert(u"string"_s, [](Interpreter &, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"string"_s, args, 1, 1); !st)
            return st.error();
        return data(DdbValue::string(args.first().data.toString()));
    });
    t.insert(u"int"_s, [](Interpreter &, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"int"_s, args, 1, 1); !st)
            return st.error();
        bool ok = false;
        const DdbValue &v = args.first().data;
        qint64 x = v.toInt64(&ok);
        if (!ok && (v.type() == DataType::String || v.type() == DataType::Symbol))
            x = v.toString().toLongLong(&ok);
        return data(ok ? DdbValue::int32(qint32(x)) : DdbValue::int32(NULL_INT));
    });
    t.insert(u"typestr"_s, [](Interpreter &, QList<Value> &args) -> Core::Result<Value> {
        if (auto st = arity(u"typestr"_s, args, 1, 1); !st)
            return st.error();
        return data(DdbValue::string(typeName(args.first().data.type())));
    });
    t.insert(u"print"_s, [](Interpreter &, QList<Value> &) -> Core::Result<Value> { return data(DdbValue()); });
    t.insert(u"getRequiredAPIVersion"_s, [](Interpreter &, QList<Value> &) -> Core::Result<Value> {
        return error(unknownFunctionError(u"getRequiredAPIVersion"_s));
    });
}

} // namespace Builtins
} // namespace GrayStep::Sim
