// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "dolphindb/ddbvalue.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace GrayStep::Sim {

// The subset of the DolphinDB script language the emulator understands: statements separated
// by newlines or ';', assignments, literals (numbers, "strings", 'strings', `symbols, `a`b,
// dates 2023.01.01, timestamps, months 2023.01M, true/false/NULL), vectors [a, b], pairs a:b,
// ranges a..b, arithmetic and comparisons, and/or, calls f(a, , b) with empty arguments,
// partial applications f{a}, method calls x.f(a) (= f(x, a)), and
// select/exec [top N] <list> from <expr> [where <cond>] [order by c [asc|desc], ...]
// [limit [OFFSET,] N].
struct ScriptNode;
using NodePtr = std::shared_ptr<const ScriptNode>;

struct ScriptNode
{
    enum class Kind {
        Empty,      // an omitted argument
        Literal,    // value
        Ident,      // text
        Call,       // text(children...)
        Partial,    // text{children...}
        Apply,      // children[0](children[1..]) for a callee that is an expression
        Binary,     // children[0] text children[1]; text: + - * / % == != < <= > >= and or .. :
        Unary,      // text children[0]; text: - !
        Vector,     // [children...]
        Assign,     // text = children[0]
        Select,     // exec? top? selectList from `from` where `where` order by / limit
    };
    Kind kind = Kind::Empty;
    QString text;
    DolphinDb::DdbValue value;
    QList<NodePtr> children;
    // Select
    bool exec = false;
    bool star = false;
    QList<NodePtr> columns;
    QStringList aliases;
    NodePtr from;
    NodePtr where;
    qint64 top = -1;             // select top N (-1: none)
    QList<NodePtr> orderBy;      // order by c1 [asc|desc], c2 ...
    QList<bool> orderDesc;
    bool hasLimit = false;       // limit N | limit OFFSET, N (N < 0: the last |N| rows)
    qint64 limitOffset = 0;
    qint64 limitCount = 0;
    int line = 1;
};

// Parses a whole script. Errors read like the real server's:
// "Syntax Error: [line #2] Cannot recognize the token xyz".
Core::Result<QList<NodePtr>> parseScript(const QString &script);

} // namespace GrayStep::Sim
