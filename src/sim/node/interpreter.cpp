// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/interpreter.h"

#include "sim/node/controllerservice.h"
#include "sim/node/heartbeat.h"
#include "sim/node/nodecontext.h"
#include "sim/node/simnode.h"
#include "sim/node/tableops.h"

#include "dolphindb/ddbcodec.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

namespace {

Error serverError(const QString &message)
{
    return Error(ErrorCode::Server, message);
}

// Named constants of the script language.
std::optional<DdbValue> constant(const QString &name)
{
    if (name == "true"_L1)
        return DdbValue::boolean(true);
    if (name == "false"_L1)
        return DdbValue::boolean(false);
    if (name == "NULL"_L1 || name == "NULL"_L1)
        return DdbValue::voidValue(true);
    static const QHash<QString, qint32> ints = {
        {u"SEQ"_s, 0}, {u"VALUE"_s, 1}, {u"RANGE"_s, 2}, {u"LIST"_s, 3}, {u"COMPO"_s, 4}, {u"HASH"_s, 5},
        {u"ALL"_s, 0}, {u"LAST"_s, 1}, {u"FIRST"_s, 2},
    };
    auto it = ints.constFind(name);
    if (it != ints.constEnd())
        return DdbValue::int32(*it);
    if (auto t = DolphinDb::typeFromName(name); t && name == name.toUpper() && *t != DataType::Void)
        return DdbValue::int32(qint32(*t));
    return std::nullopt;
}

bool isAggregate(const QString &name)
{
    static const QStringList names{u"count"_s, u"min"_s, u"max"_s, u"sum"_s, u"avg"_s, u"first"_s, u"last"_s, u"size"_s};
    return names.contains(name);
}

bool isText(DataType t)
{
    return t == DataType::String || t == DataType::Symbol;
}

} // namespace

QString unknownFunctionError(const QString &name)
{
    return u"Can't recognize function name "_s + name;
}

Interpreter::Interpreter(ExecContext &ctx)
    : m_ctx(ctx)
{}

Core::Result<DdbValue> Interpreter::materialize(const Value &v, int line)
{
    switch (v.kind) {
    case Value::Kind::Data:
        return v.data;
    case Value::Kind::Database:
        return DdbValue::string(v.dbPath, DataType::Handle);
    case Value::Kind::DfsTable:
        return DdbValue::string(v.table, DataType::Handle);
    case Value::Kind::Function:
        return serverError(u"Syntax Error: [line #%1] The function %2 cannot be used as a value here"_s.arg(line).arg(v.function));
    }
    return DdbValue();
}

Core::Result<DdbValue> Interpreter::runScript(const QString &script)
{
    auto parsed = parseScript(script);
    if (!parsed)
        return parsed.error();
    Value last;
    bool lastIsAssign = true;
    for (const NodePtr &st : *parsed) {
        auto v = eval(st, {});
        if (!v)
            return v.error();
        last = *v;
        lastIsAssign = st->kind == ScriptNode::Kind::Assign;
    }
    if (lastIsAssign)
        return DdbValue();
    if (last.kind == Value::Kind::Function)
        return DdbValue::string(last.function, DataType::FunctionDef);
    return materialize(last, 1);
}

Core::Result<DdbValue> Interpreter::runFunction(const QString &function, const QList<DdbValue> &args)
{
    QList<Value> values;
    for (const DdbValue &a : args)
        values << Value::of(a);
    const QString trimmed = function.trimmed();
    static const QRegularExpression plain(uR"(^[A-Za-z_][A-Za-z0-9_]*!?$)"_s);
    if (plain.match(trimmed).hasMatch()) {
        if (m_ctx.session && m_ctx.session->variables.contains(trimmed)) {
            const Value &fv = m_ctx.session->variables.value(trimmed);
            if (fv.kind == Value::Kind::Function) {
                QList<Value> all = fv.bound + values;
                auto r = call(fv.function, all, 1);
                if (!r)
                    return r.error();
                return materialize(*r, 1);
            }
        }
        if (!builtins().contains(trimmed))
            return serverError(unknownFunctionError(trimmed));
        auto r = call(trimmed, values, 1);
        if (!r)
            return r.error();
        return materialize(*r, 1);
    }
    auto parsed = parseScript(trimmed);
    if (!parsed)
        return parsed.error();
    if (parsed->size() != 1)
        return serverError(unknownFunctionError(trimmed));
    auto callee = eval(parsed->first(), {});
    if (!callee)
        return callee.error();
    if (callee->kind != Value::Kind::Function)
        return serverError(unknownFunctionError(trimmed));
    auto r = call(callee->function, callee->bound + values, 1);
    if (!r)
        return r.error();
    return materialize(*r, 1);
}

static QString guestRefusal(const QString &name, const QList<Value> &args)
{
    // What the real server refuses to a session that has not logged in (a guest has no privilege
    // on DFS databases and tables, and cluster management is for administrators). Reads and
    // identity calls stay open to guests.
    const auto dfsTarget = [&]() -> QString {
        for (const Value &a : args)
            if (a.kind == Value::Kind::DfsTable)
                return a.dbPath + u'/' + a.table;
        return {};
    };
    if (name == "tableInsert"_L1 || name == "append!"_L1) {
        const QString target = dfsTarget();
        return target.isEmpty() ? QString() : u"<NotAuthenticated>Not granted to write table "_s + target;
    }
    if (name == "database"_L1 && args.size() > 1)
        return u"<NotAuthenticated>Not granted to create or delete databases"_s;
    if (name == "dropDatabase"_L1)
        return u"<NotAuthenticated>Not granted to create or delete databases"_s;
    if (name == "createPartitionedTable"_L1 || name == "createTable"_L1 || name == "dropTable"_L1)
        return u"<NotAuthenticated>Not granted to create or delete tables"_s;
    if (name == "startDataNode"_L1 || name == "stopDataNode"_L1)
        return u"<NotAuthenticated>Only administrators execute function "_s + name;
    if (name == "rpc"_L1 || name == "pnodeRun"_L1) {
        // What runs elsewhere on a guest's behalf is checked here, with the guest's session.
        for (qsizetype i = 0; i < args.size(); ++i) {
            if (args.at(i).kind != Value::Kind::Function)
                continue;
            const QString refusal = guestRefusal(args.at(i).function, args.at(i).bound + args.mid(i + 1));
            if (!refusal.isEmpty())
                return refusal;
        }
    }
    return {};
}

Core::Result<Value> Interpreter::call(const QString &name, QList<Value> args, int line)
{
    auto it = builtins().constFind(name);
    if (it == builtins().constEnd())
        return serverError(u"Syntax Error: [line #%1] Cannot recognize the token %2"_s.arg(line).arg(name));
    if (m_ctx.session && !m_ctx.session->loggedIn) {
        if (const QString refusal = guestRefusal(name, args); !refusal.isEmpty())
            return serverError(refusal);
    }
    return (*it)(*this, args);
}

Core::Result<Value> Interpreter::evalIdent(const ScriptNode &node, const Scope &scope)
{
    if (scope.table) {
        if (const DdbVector *col = scope.table->column(node.text))
            return Value::of(DdbValue::vector(*col));
    }
    if (m_ctx.session) {
        auto it = m_ctx.session->variables.constFind(node.text);
        if (it != m_ctx.session->variables.constEnd())
            return *it;
    }
    if (auto c = constant(node.text))
        return Value::of(*c);
    if (builtins().contains(node.text)) {
        Value f;
        f.kind = Value::Kind::Function;
        f.function = node.text;
        return f;
    }
    return serverError(u"Syntax Error: [line #%1] Cannot recognize the token %2"_s.arg(node.line).arg(node.text));
}

Core::Result<Value> Interpreter::eval(const NodePtr &nodePtr, const Scope &scope)
{
    const ScriptNode &node = *nodePtr;
    switch (node.kind) {
    case ScriptNode::Kind::Empty:
        return Value::of(DdbValue());
    case ScriptNode::Kind::Literal:
        return Value::of(node.value);
    case ScriptNode::Kind::Ident:
        return evalIdent(node, scope);
    case ScriptNode::Kind::Assign: {
        auto v = eval(node.children.first(), scope);
        if (!v)
            return v;
        if (!m_ctx.session)
            return serverError(u"Variables cannot be defined here."_s);
        m_ctx.session->variables.insert(node.text, *v);
        return *v;
    }
    case ScriptNode::Kind::Call:
    case ScriptNode::Kind::Partial: {
        // A session variable holding a function (e.g. f = getConfig{`x}; f()).
        QString name = node.text;
        QList<Value> args;
        if (m_ctx.session && m_ctx.session->variables.contains(name)) {
            const Value fv = m_ctx.session->variables.value(name);
            if (fv.kind == Value::Kind::Function) {
                name = fv.function;
                args = fv.bound;
            }
        }
        if (!builtins().contains(name))
            return serverError(u"Syntax Error: [line #%1] Cannot recognize the token %2"_s.arg(node.line).arg(name));
        for (const NodePtr &c : node.children) {
            auto v = eval(c, scope);
            if (!v)
                return v;
            args << *v;
        }
        if (node.kind == ScriptNode::Kind::Partial) {
            Value f;
            f.kind = Value::Kind::Function;
            f.function = name;
            f.bound = args;
            return f;
        }
        return call(name, args, node.line);
    }
    case ScriptNode::Kind::Apply: {
        auto callee = eval(node.children.first(), scope);
        if (!callee)
            return callee;
        if (callee->kind != Value::Kind::Function)
            return serverError(u"Syntax Error: [line #%1] The object is not a function"_s.arg(node.line));
        QList<Value> args = callee->bound;
        for (qsizetype i = 1; i < node.children.size(); ++i) {
            auto v = eval(node.children.at(i), scope);
            if (!v)
                return v;
            args << *v;
        }
        return call(callee->function, args, node.line);
    }
    case ScriptNode::Kind::Unary: {
        auto v = eval(node.children.first(), scope);
        if (!v)
            return v;
        auto d = materialize(*v, node.line);
        if (!d)
            return d.error();
        if (node.text == "-"_L1) {
            auto r = binaryOperator(u"-"_s, DdbValue::int32(0), *d);
            if (!r)
                return r.error();
            return Value::of(*r);
        }
        auto r = binaryOperator(u"=="_s, *d, DdbValue::boolean(false));
        if (!r)
            return r.error();
        return Value::of(*r);
    }
    case ScriptNode::Kind::Binary:
        return evalBinary(node, scope);
    case ScriptNode::Kind::Vector: {
        QList<DdbValue> items;
        bool allScalars = true;
        for (const NodePtr &c : node.children) {
            auto v = eval(c, scope);
            if (!v)
                return v;
            auto d = materialize(*v, node.line);
            if (!d)
                return d.error();
            allScalars = allScalars && d->isScalar();
            items << *d;
        }
        if (allScalars) {
            auto vec = TableOps::vectorOf(items);
            if (vec)
                return Value::of(DdbValue::vector(*vec));
        }
        return Value::of(DdbValue::vector(DdbVector::anys(items)));
    }
    case ScriptNode::Kind::Select:
        return evalSelect(node, scope);
    }
    return Value();
}

Core::Result<Value> Interpreter::evalBinary(const ScriptNode &node, const Scope &scope)
{
    auto a = eval(node.children.at(0), scope);
    if (!a)
        return a;
    auto b = eval(node.children.at(1), scope);
    if (!b)
        return b;
    auto da = materialize(*a, node.line);
    if (!da)
        return da.error();
    auto db = materialize(*b, node.line);
    if (!db)
        return db.error();
    auto r = binaryOperator(node.text, *da, *db);
    if (!r)
        return r.error();
    return Value::of(*r);
}

Core::Result<DdbValue> binaryOperator(const QString &op, const DdbValue &a, const DdbValue &b)
{
    const bool scalars = a.isScalar() && b.isScalar();
    if ((!a.isScalar() && !a.isVector()) || (!b.isScalar() && !b.isVector()))
        return serverError(u"The operator %1 does not support %2 and %3."_s.arg(op, a.describe(), b.describe()));
    if (op == ".."_L1) {
        if (!scalars)
            return serverError(u"The operator .. needs two scalars."_s);
        const qint64 from = a.toInt64(), to = b.toInt64();
        if (to < from || to - from > 10000000)
            return serverError(u"Invalid range %1..%2"_s.arg(from).arg(to));
        QList<qint64> values;
        for (qint64 x = from; x <= to; ++x)
            values << x;
        const DataType t = a.type();
        if (elementSize(t) == 8)
            return DdbValue::vector(DdbVector::int64s(t, values));
        QList<qint32> v32;
        for (qint64 x : values)
            v32 << qint32(x);
        return DdbValue::vector(DdbVector::int32s(t, v32));
    }
    if (op == ":"_L1) {
        if (!scalars)
            return serverError(u"The operator : needs two scalars."_s);
        auto v = TableOps::vectorOf({a, b});
        if (!v)
            return v.error();
        return DdbValue::pair(*v);
    }
    const qint64 n = scalars ? 1 : qMax(a.isScalar() ? 0 : a.rowCount(), b.isScalar() ? 0 : b.rowCount());
    if (!a.isScalar() && !b.isScalar() && a.rowCount() != b.rowCount())
        return serverError(u"The two vectors of the operator %1 must have the same length."_s.arg(op));
    DdbVector va = a.elements(), vb = b.elements();
    // Align temporal units (TIMESTAMP vs DATETIME ...) to the finer one.
    if (isTemporal(va.type()) && isTemporal(vb.type()) && va.type() != vb.type()) {
        auto ca = TableOps::convert(va, vb.type());
        auto cb = TableOps::convert(vb, va.type());
        const auto ns = [](DataType t) { return t == DataType::NanoTimestamp ? 4 : t == DataType::Timestamp ? 3 : t == DataType::DateTime ? 2 : 1; };
        if (ns(vb.type()) > ns(va.type()) && ca)
            va = *ca;
        else if (cb)
            vb = *cb;
    }
    const auto idx = [](const DdbValue &v, qint64 i) { return v.isScalar() ? 0 : i; };
    const bool cmp = op == "=="_L1 || op == "!="_L1 || op == "<"_L1 || op == "<="_L1 || op == ">"_L1 || op == ">="_L1;
    const bool logic = op == "and"_L1 || op == "or"_L1;
    QList<qint8> bools;
    if (cmp && (isText(va.type()) || isText(vb.type()))) {
        for (qint64 i = 0; i < n; ++i) {
            const int c = QString::compare(va.stringAt(idx(a, i)), vb.stringAt(idx(b, i)));
            const bool r = op == "=="_L1 ? c == 0 : op == "!="_L1 ? c != 0 : op == "<"_L1 ? c < 0 : op == "<="_L1 ? c <= 0
                         : op == ">"_L1 ? c > 0 : c >= 0;
            bools << qint8(r);
        }
    } else if (isText(va.type()) || isText(vb.type())) {
        if (op != "+"_L1)
            return serverError(u"The operator %1 does not support STRING operands."_s.arg(op));
        QStringList s;
        for (qint64 i = 0; i < n; ++i)
            s << va.stringAt(idx(a, i)) + vb.stringAt(idx(b, i));
        const DdbVector out = DdbVector::strings(s);
        return scalars ? DdbValue::scalar(out) : DdbValue::vector(out);
    } else {
        const bool floating = va.type() == DataType::Double || va.type() == DataType::Float || vb.type() == DataType::Double
                              || vb.type() == DataType::Float || op == "/"_L1;
        if (cmp || logic) {
            for (qint64 i = 0; i < n; ++i) {
                bool r;
                if (logic) {
                    const bool x = va.intAt(idx(a, i)) != 0 && !va.isNull(idx(a, i));
                    const bool y = vb.intAt(idx(b, i)) != 0 && !vb.isNull(idx(b, i));
                    r = op == "and"_L1 ? (x && y) : (x || y);
                } else if (floating) {
                    const double x = va.isNull(idx(a, i)) ? -HUGE_VAL : va.doubleAt(idx(a, i));
                    const double y = vb.isNull(idx(b, i)) ? -HUGE_VAL : vb.doubleAt(idx(b, i));
                    r = op == "=="_L1 ? x == y : op == "!="_L1 ? x != y : op == "<"_L1 ? x < y : op == "<="_L1 ? x <= y : op == ">"_L1 ? x > y : x >= y;
                } else {
                    const qint64 x = va.isNull(idx(a, i)) ? std::numeric_limits<qint64>::min() : va.intAt(idx(a, i));
                    const qint64 y = vb.isNull(idx(b, i)) ? std::numeric_limits<qint64>::min() : vb.intAt(idx(b, i));
                    r = op == "=="_L1 ? x == y : op == "!="_L1 ? x != y : op == "<"_L1 ? x < y : op == "<="_L1 ? x <= y : op == ">"_L1 ? x > y : x >= y;
                }
                bools << qint8(r);
            }
        } else if (floating) {
            QList<double> d;
            for (qint64 i = 0; i < n; ++i) {
                if (va.isNull(idx(a, i)) || vb.isNull(idx(b, i))) {
                    d << NULL_DOUBLE;
                    continue;
                }
                const double x = va.doubleAt(idx(a, i)), y = vb.doubleAt(idx(b, i));
                d << (op == "+"_L1 ? x + y : op == "-"_L1 ? x - y : op == "*"_L1 ? x * y : op == "/"_L1 ? (y == 0 ? NULL_DOUBLE : x / y) : std::fmod(x, y));
            }
            const DdbVector out = DdbVector::doubles(d);
            return scalars ? DdbValue::scalar(out) : DdbValue::vector(out);
        } else {
            const DataType ta = va.type(), tb = vb.type();
            DataType rt = DataType::Int;
            if (elementSize(ta) == 8 || elementSize(tb) == 8)
                rt = DataType::Long;
            if (isTemporal(ta) && (op == "+"_L1 || op == "-"_L1) && !isTemporal(tb))
                rt = ta;
            QList<qint64> out;
            for (qint64 i = 0; i < n; ++i) {
                if (va.isNull(idx(a, i)) || vb.isNull(idx(b, i))) {
                    out << SimColumn::kNullInt;
                    continue;
                }
                const qint64 x = va.intAt(idx(a, i)), y = vb.intAt(idx(b, i));
                if (op == "%"_L1 && y == 0) {
                    out << SimColumn::kNullInt;
                    continue;
                }
                out << (op == "+"_L1 ? x + y : op == "-"_L1 ? x - y : op == "*"_L1 ? x * y : x % y);
            }
            QList<DdbVector> single;
            DdbVector vec;
            if (elementSize(rt) == 8) {
                QList<qint64> v = out;
                for (qint64 &x : v)
                    if (x == SimColumn::kNullInt)
                        x = NULL_LONG;
                vec = DdbVector::int64s(rt, v);
            } else {
                QList<qint32> v;
                for (qint64 x : out)
                    v << (x == SimColumn::kNullInt ? NULL_INT : qint32(x));
                vec = DdbVector::int32s(rt, v);
            }
            return scalars ? DdbValue::scalar(vec) : DdbValue::vector(vec);
        }
    }
    const DdbVector out = DdbVector::bools(bools);
    return scalars ? DdbValue::scalar(out) : DdbValue::vector(out);
}

Core::Result<Value> Interpreter::evalSelect(const ScriptNode &node, const Scope &scope)
{
    auto from = eval(node.from, scope);
    if (!from)
        return from;
    DdbValue table;
    const bool onlyCounts = !node.where && !node.star && !node.columns.isEmpty()
                            && std::all_of(node.columns.cbegin(), node.columns.cend(), [](const NodePtr &c) {
                                   return c->kind == ScriptNode::Kind::Call && c->text == "count"_L1 && c->children.isEmpty();
                               });
    if (from->kind == Value::Kind::DfsTable && onlyCounts) {
        QList<Value> args{*from};
        auto n = call(u"simCountTable"_s, args, node.line);
        if (!n)
            return n;
        if (node.exec && node.columns.size() == 1)
            return *n;
        QStringList names;
        QList<DdbVector> cols;
        for (qsizetype i = 0; i < node.columns.size(); ++i) {
            names << (node.aliases.at(i).isEmpty() ? u"count"_s : node.aliases.at(i));
            cols << n->data.elements();
        }
        auto t = DdbValue::table(names, cols);
        if (!t)
            return t.error();
        return Value::of(*t);
    }
    if (from->kind == Value::Kind::DfsTable) {
        QList<Value> args{*from};
        auto read = call(u"simReadTable"_s, args, node.line);
        if (!read)
            return read;
        table = read->data;
    } else {
        auto d = materialize(*from, node.line);
        if (!d)
            return d.error();
        table = *d;
    }
    if (!table.isTable())
        return serverError(u"Syntax Error: [line #%1] The from clause must be a table."_s.arg(node.line));
    QList<qint64> rows;
    if (node.where) {
        Scope s{&table};
        auto cond = eval(node.where, s);
        if (!cond)
            return cond;
        const DdbValue &c = cond->data;
        if (c.type() != DataType::Bool)
            return serverError(u"The where clause must be a boolean condition."_s);
        for (qint64 i = 0; i < table.rowCount(); ++i)
            if (c.isScalar() ? c.toBool() : (c.elements().intAt(i) == 1))
                rows << i;
    } else {
        for (qint64 i = 0; i < table.rowCount(); ++i)
            rows << i;
    }
    if (!node.orderBy.isEmpty()) {
        Scope s{&table};
        QList<DdbVector> keys;
        for (const NodePtr &k : node.orderBy) {
            auto v = eval(k, s);
            if (!v)
                return v;
            if (!v->data.isVector() || v->data.rowCount() != table.rowCount())
                return serverError(u"The order by column must be a column of the table."_s);
            keys << v->data.elements();
        }
        // Stable, nulls first ascending (the real server's order); text by text, numbers by value.
        const auto compare = [&](qint64 a, qint64 b) -> int {
            for (qsizetype k = 0; k < keys.size(); ++k) {
                const DdbVector &v = keys.at(k);
                const bool na = v.isNull(a), nb = v.isNull(b);
                int c = 0;
                if (na || nb) {
                    c = na == nb ? 0 : (na ? -1 : 1);
                } else if (v.type() == DataType::String || v.type() == DataType::Symbol) {
                    c = v.stringAt(a).compare(v.stringAt(b));
                } else if (v.type() == DataType::Float || v.type() == DataType::Double) {
                    const double x = v.doubleAt(a), y = v.doubleAt(b);
                    c = x < y ? -1 : (x > y ? 1 : 0);
                } else {
                    const qint64 x = v.intAt(a), y = v.intAt(b);
                    c = x < y ? -1 : (x > y ? 1 : 0);
                }
                if (c != 0)
                    return node.orderDesc.at(k) ? -c : c;
            }
            return 0;
        };
        std::stable_sort(rows.begin(), rows.end(), [&](qint64 a, qint64 b) { return compare(a, b) < 0; });
    }
    // top N / limit [OFFSET,] N on the rows (aggregates give one row: a limit of 0 still empties it
    // only in the real server's grouped queries, which the emulator does not have).
    if (node.top >= 0) {
        rows = rows.mid(0, node.top);
    } else if (node.hasLimit) {
        if (node.limitCount < 0)
            rows = rows.mid(qMax<qsizetype>(0, rows.size() + node.limitCount));
        else
            rows = rows.mid(qMin<qsizetype>(rows.size(), node.limitOffset), node.limitCount);
    }
    QStringList names = table.columnNames();
    QList<DdbVector> filtered;
    for (int i = 0; i < table.columnCount(); ++i)
        filtered << (rows.size() == table.rowCount() && node.orderBy.isEmpty() ? table.column(i)
                                                                                : TableOps::take(table.column(i), rows));
    auto filteredTable = DdbValue::table(names, filtered);
    if (!filteredTable)
        return filteredTable.error();
    if (node.star) {
        if (node.exec)
            return serverError(u"exec * is not supported."_s);
        return Value::of(*filteredTable);
    }
    QStringList outNames;
    QList<DdbValue> outValues;
    bool anyAggregate = false, anyVector = false;
    Scope s{&*filteredTable};
    for (qsizetype i = 0; i < node.columns.size(); ++i) {
        const ScriptNode &col = *node.columns.at(i);
        QString name = node.aliases.at(i);
        DdbValue value;
        if (col.kind == ScriptNode::Kind::Call && isAggregate(col.text)) {
            anyAggregate = true;
            if (col.children.isEmpty()) { // count(*)
                value = DdbValue::int64(filteredTable->rowCount());
                if (name.isEmpty())
                    name = col.text;
            } else {
                auto arg = eval(col.children.first(), s);
                if (!arg)
                    return arg;
                QList<Value> args{*arg};
                auto r = call(col.text, args, col.line);
                if (!r)
                    return r;
                value = r->data;
                if (name.isEmpty())
                    name = col.text + u'_' + (col.children.first()->kind == ScriptNode::Kind::Ident ? col.children.first()->text : u"col"_s);
            }
        } else {
            auto v = eval(node.columns.at(i), s);
            if (!v)
                return v;
            auto d = materialize(*v, col.line);
            if (!d)
                return d.error();
            value = *d;
            anyVector = anyVector || value.isVector();
            if (name.isEmpty())
                name = col.kind == ScriptNode::Kind::Ident ? col.text : u"col%1"_s.arg(i);
        }
        outNames << name;
        outValues << value;
    }
    if (anyAggregate && anyVector)
        return serverError(u"The select list mixes aggregated and non-aggregated columns; the emulator supports one kind per query."_s);
    if (node.exec && outValues.size() == 1)
        return Value::of(outValues.first());
    QList<DdbVector> cols;
    for (const DdbValue &v : outValues) {
        if (v.isScalar())
            cols << TableOps::repeat(v, anyAggregate ? 1 : filteredTable->rowCount());
        else
            cols << v.elements();
    }
    auto result = DdbValue::table(outNames, cols);
    if (!result)
        return result.error();
    return Value::of(*result);
}

// ---- calls to the leader and other nodes ----

namespace {

Core::Result<QJsonObject> localCall(SimNode *node, const QJsonObject &request, int timeoutMs)
{
    auto promise = std::make_shared<std::promise<QJsonObject>>();
    auto once = std::make_shared<std::atomic_bool>(false);
    std::future<QJsonObject> future = promise->get_future();
    QMetaObject::invokeMethod(
        QCoreApplication::instance(),
        [node, request, promise, once] {
            node->handlePeer(request, [promise, once](const QJsonObject &reply) {
                if (!once->exchange(true))
                    promise->set_value(reply);
            });
        },
        Qt::QueuedConnection);
    if (future.wait_for(std::chrono::milliseconds(timeoutMs)) != std::future_status::ready)
        return Error(ErrorCode::Timeout, u"no reply within %1 ms"_s.arg(timeoutMs));
    return future.get();
}

} // namespace

Core::Result<QJsonObject> Interpreter::siteCall(const QString &host, int port, const QJsonObject &request, int timeoutMs)
{
    const SiteInfo &self = m_ctx.node->context().self;
    Core::Result<QJsonObject> reply = (host == self.host && port == self.port)
                                          ? localCall(m_ctx.node, request, timeoutMs)
                                          : PeerLink::call(host, port, request, timeoutMs);
    if (!reply)
        return reply;
    if (PeerLink::isError(*reply))
        return serverError(reply->value(u"error"_s).toString());
    return reply;
}

Core::Result<QJsonObject> Interpreter::peerCall(const QString &alias, const QJsonObject &request, int timeoutMs)
{
    const SiteInfo *site = m_ctx.node->context().siteOf(alias);
    if (!site)
        return serverError(u"The node %1 does not exist in the cluster."_s.arg(alias));
    return siteCall(site->host, site->port, request, timeoutMs);
}

QString Interpreter::leaderAlias()
{
    SimNode *node = m_ctx.node;
    QString alias;
    if (node->controller())
        runOnMain([&] { alias = node->controller()->leaderAlias(); });
    else if (node->heartbeat())
        alias = node->heartbeat()->leaderAlias();
    return alias;
}

Core::Result<QJsonObject> Interpreter::leaderCall(const QJsonObject &request, int timeoutMs)
{
    QString alias = leaderAlias();
    if (alias.isEmpty()) {
        // No leader known yet: ask each controller once.
        for (const SiteInfo &c : m_ctx.node->context().sitesOf(NodeMode::Controller)) {
            auto r = siteCall(c.host, c.port, request, timeoutMs);
            if (r || !r.error().message.startsWith("<NotLeader>"_L1)) {
                if (r || r.error().code == ErrorCode::Server)
                    return r;
            }
        }
        return serverError(u"<ControllerNotAvail>There is no leader in the raft group at present."_s);
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        const SiteInfo *site = m_ctx.node->context().siteOf(alias);
        if (!site)
            return serverError(u"<ControllerNotAvail>Unknown controller %1."_s.arg(alias));
        auto r = siteCall(site->host, site->port, request, timeoutMs);
        if (!r && r.error().message.startsWith("<NotLeader>"_L1)) {
            alias = r.error().message.section(u':', 2).trimmed();
            continue;
        }
        if (!r && r.error().code != ErrorCode::Server)
            return serverError(u"<ControllerNotAvail>The leader controller %1 is not reachable: %2"_s.arg(alias, r.error().message));
        return r;
    }
    return serverError(u"<ControllerNotAvail>The leader of the raft group keeps changing."_s);
}

Core::Result<DdbValue> Interpreter::remoteCall(const QString &alias, const Value &function, const QList<Value> &extraArgs)
{
    QJsonArray args;
    for (const Value &v : function.bound + extraArgs) {
        if (v.kind != Value::Kind::Data)
            return serverError(u"rpc cannot pass a handle to another node."_s);
        args.append(QString::fromLatin1(DdbEncoder::encode(v.data).toBase64()));
    }
    auto reply = peerCall(alias, QJsonObject{{u"op"_s, u"eval"_s}, {u"fn"_s, function.function}, {u"args"_s, args}}, 10000);
    if (!reply)
        return reply.error();
    const QByteArray bytes = QByteArray::fromBase64(reply->value(u"result"_s).toString().toLatin1());
    auto value = DdbDecoder::decode(bytes);
    if (!value)
        return serverError(u"Malformed result from %1: %2"_s.arg(alias, value.error().message));
    return *value;
}

} // namespace GrayStep::Sim
