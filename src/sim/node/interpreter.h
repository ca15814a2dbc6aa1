// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "dolphindb/ddbvalue.h"
#include "sim/node/scriptparser.h"

#include <QHash>
#include <QJsonObject>
#include <QString>

#include <functional>

namespace GrayStep::Sim {

class SimNode;

// A script value: data (any DolphinDB object) or one of the handles scripts pass around.
struct Value
{
    enum class Kind { Data, Database, DfsTable, Function };
    Kind kind = Kind::Data;
    DolphinDb::DdbValue data;
    QString dbPath;         // Database, DfsTable
    QString table;          // DfsTable
    QString function;       // Function: name
    QList<Value> bound;     // Function: partially applied arguments

    static Value of(const DolphinDb::DdbValue &v)
    {
        Value x;
        x.data = v;
        return x;
    }
    bool isEmptyArg() const { return kind == Kind::Data && data.isVoid(); }
};

// One API session's state.
struct Session
{
    QByteArray id;
    QString user;
    bool loggedIn = false;
    QHash<QString, Value> variables;
};

// What one request runs with.
struct ExecContext
{
    SimNode *node = nullptr;
    Session *session = nullptr;   // null for internal evaluation (rpc/pnodeRun from a peer)
    QByteArray clientId;          // HA (PROTOCOL.md §5.3)
    qint64 seqNo = 0;             // absolute value
    bool mutated = false;         // the request changed cluster state
    bool resultRecorded = false;  // the write path stored the HA result with its commit
    QByteArray recordedResult;
};

// Evaluates scripts and function requests against the node and the cluster. Runs in a worker
// thread; reaches the node's state through runOnMain and other nodes through PeerLink.
class Interpreter final
{
public:
    explicit Interpreter(ExecContext &ctx);

    Core::Result<DolphinDb::DdbValue> runScript(const QString &script);
    // `function` may be a name or a partial application such as tableInsert{loadTable('db','t')}.
    Core::Result<DolphinDb::DdbValue> runFunction(const QString &function, const QList<DolphinDb::DdbValue> &args);
    Core::Result<Value> call(const QString &name, QList<Value> args, int line);

    using Builtin = std::function<Core::Result<Value>(Interpreter &, QList<Value> &)>;
    static const QHash<QString, Builtin> &builtins();

    ExecContext &context() { return m_ctx; }
    SimNode *node() const { return m_ctx.node; }

    // Calls the leader controller (locally when this node is it); follows <NotLeader> once.
    Core::Result<QJsonObject> leaderCall(const QJsonObject &request, int timeoutMs = 5000);
    // Calls a node by alias (locally when it is this node).
    Core::Result<QJsonObject> peerCall(const QString &alias, const QJsonObject &request, int timeoutMs = 5000);
    Core::Result<QJsonObject> siteCall(const QString &host, int port, const QJsonObject &request, int timeoutMs = 5000);
    // The current leader's alias (may be empty).
    QString leaderAlias();
    // Runs a function on another node (rpc); returns its result.
    Core::Result<DolphinDb::DdbValue> remoteCall(const QString &alias, const Value &function, const QList<Value> &extraArgs);

private:
    struct Scope
    {
        const DolphinDb::DdbValue *table = nullptr; // select context: columns by name
    };
    Core::Result<Value> eval(const NodePtr &node, const Scope &scope);
    Core::Result<Value> evalSelect(const ScriptNode &node, const Scope &scope);
    Core::Result<Value> evalIdent(const ScriptNode &node, const Scope &scope);
    Core::Result<Value> evalBinary(const ScriptNode &node, const Scope &scope);
    Core::Result<DolphinDb::DdbValue> materialize(const Value &v, int line);

    ExecContext &m_ctx;
};

// Element-wise operators with scalar broadcasting (+ - * / % == != < <= > >= and or .. :).
Core::Result<DolphinDb::DdbValue> binaryOperator(const QString &op, const DolphinDb::DdbValue &a,
                                                 const DolphinDb::DdbValue &b);

// The error for an unknown function in a `function` request.
QString unknownFunctionError(const QString &name);

} // namespace GrayStep::Sim
