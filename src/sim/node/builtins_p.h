// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared helpers of the built-in function tables (builtins*.cpp). Private to the node library.

#include "sim/node/interpreter.h"

#include <QHash>

namespace GrayStep::Sim::Builtins {

using Table = QHash<QString, Interpreter::Builtin>;

void registerNode(Table &t);     // builtinsnode.cpp: identity, config, rpc, pnodeRun, faults, math
void registerCluster(Table &t);  // builtinscluster.cpp: controller functions
void registerDfs(Table &t);      // builtinsdfs.cpp: databases, tables, writes, reads

Core::Error error(const QString &message);
// "The function [f] expects n argument(s)" unless min <= args.size() <= max.
Core::Status arity(const QString &fn, const QList<Value> &args, int min, int max);
// Scalar text argument (STRING/SYMBOL); error names the function.
Core::Result<QString> text(const QString &fn, const QList<Value> &args, int index);
// Text scalar or vector argument as a list.
Core::Result<QStringList> texts(const QString &fn, const QList<Value> &args, int index);
Value data(const DolphinDb::DdbValue &v);

} // namespace GrayStep::Sim::Builtins
