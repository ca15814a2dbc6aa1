// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/scriptparser.h"

#include <QDate>
#include <QRegularExpression>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

namespace {

struct Token
{
    enum class Type { End, Newline, Number, String, Symbols, Temporal, Ident, Op };
    Type type = Type::End;
    QString text;
    DdbValue value;
    int line = 1;
};

Error syntaxError(int line, const QString &what)
{
    return Error(ErrorCode::Server, u"Syntax Error: [line #%1] %2"_s.arg(line).arg(what));
}

class Lexer
{
public:
    explicit Lexer(const QString &s)
        : m_s(s)
    {}

    Core::Result<QList<Token>> run()
    {
        QList<Token> out;
        while (true) {
            skipSpaces();
            if (m_pos >= m_s.size()) {
                out << Token{Token::Type::End, {}, {}, m_line};
                return out;
            }
            const QChar c = m_s.at(m_pos);
            if (c == u'\n' || c == u';') {
                out << Token{Token::Type::Newline, QString(c), {}, m_line};
                if (c == u'\n')
                    ++m_line;
                ++m_pos;
                continue;
            }
            if (c == u'/' && peek(1) == u'/') {
                while (m_pos < m_s.size() && m_s.at(m_pos) != u'\n')
                    ++m_pos;
                continue;
            }
            if (c.isDigit()) {
                auto t = number();
                if (!t)
                    return t.error();
                out << *t;
                continue;
            }
            if (c == u'"' || c == u'\'') {
                auto t = string(c);
                if (!t)
                    return t.error();
                out << *t;
                continue;
            }
            if (c == u'`') {
                out << symbols();
                continue;
            }
            if (c.isLetter() || c == u'_') {
                const qsizetype start = m_pos;
                while (m_pos < m_s.size() && (m_s.at(m_pos).isLetterOrNumber() || m_s.at(m_pos) == u'_'))
                    ++m_pos;
                // append!, insert! style names
                if (m_pos < m_s.size() && m_s.at(m_pos) == u'!' && peek(1) != u'=')
                    ++m_pos;
                out << Token{Token::Type::Ident, m_s.mid(start, m_pos - start), {}, m_line};
                continue;
            }
            static const QStringList ops = {u"=="_s, u"!="_s, u"<>"_s, u"<="_s, u">="_s, u"&&"_s, u"||"_s, u".."_s};
            const QString two = m_s.mid(m_pos, 2);
            if (ops.contains(two)) {
                out << Token{Token::Type::Op, two, {}, m_line};
                m_pos += 2;
                continue;
            }
            static const QString singles = u"+-*/%<>=!(){}[],:."_s;
            if (singles.contains(c)) {
                out << Token{Token::Type::Op, QString(c), {}, m_line};
                ++m_pos;
                continue;
            }
            return syntaxError(m_line, u"Cannot recognize the token "_s + QString(c));
        }
    }

private:
    QChar peek(int n) const { return m_pos + n < m_s.size() ? m_s.at(m_pos + n) : QChar(); }

    void skipSpaces()
    {
        while (m_pos < m_s.size()) {
            const QChar c = m_s.at(m_pos);
            if (c == u' ' || c == u'\t' || c == u'\r')
                ++m_pos;
            else
                break;
        }
    }

    Core::Result<Token> number()
    {
        static const QRegularExpression temporal(
            uR"(^(\d{4})\.(\d{2})\.(\d{2})(?:([T ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?)"_s);
        static const QRegularExpression month(uR"(^(\d{4})\.(\d{2})M)"_s);
        const QString rest = m_s.mid(m_pos, 40);
        auto mm = month.match(rest);
        if (mm.hasMatch()) {
            m_pos += mm.capturedLength();
            return Token{Token::Type::Temporal, mm.captured(0), DdbValue::int32(Temporal::monthFromYearMonth(mm.captured(1).toInt(), mm.captured(2).toInt()), DataType::Month), m_line};
        }
        auto m = temporal.match(rest);
        if (m.hasMatch()) {
            const QDate date(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt());
            if (!date.isValid())
                return syntaxError(m_line, u"Invalid date "_s + m.captured(0));
            m_pos += m.capturedLength();
            const qint32 days = Temporal::dateFromQDate(date);
            if (m.captured(4).isEmpty())
                return Token{Token::Type::Temporal, m.captured(0), DdbValue::int32(days, DataType::Date), m_line};
            const qint64 secs = qint64(days) * 86400 + m.captured(5).toInt() * 3600 + m.captured(6).toInt() * 60 + m.captured(7).toInt();
            const QString frac = m.captured(8);
            if (frac.isEmpty())
                return Token{Token::Type::Temporal, m.captured(0), DdbValue::int32(qint32(secs), DataType::DateTime), m_line};
            if (frac.size() <= 3) {
                const qint64 ms = secs * 1000 + QString(frac + u"00"_s).left(3).toLongLong();
                return Token{Token::Type::Temporal, m.captured(0), DdbValue::int64(ms, DataType::Timestamp), m_line};
            }
            const qint64 ns = secs * 1000000000LL + QString(frac + u"00000000"_s).left(9).toLongLong();
            return Token{Token::Type::Temporal, m.captured(0), DdbValue::int64(ns, DataType::NanoTimestamp), m_line};
        }
        const qsizetype start = m_pos;
        while (m_pos < m_s.size() && m_s.at(m_pos).isDigit())
            ++m_pos;
        bool isFloat = false;
        if (m_pos < m_s.size() && m_s.at(m_pos) == u'.' && peek(1) != u'.') {
            isFloat = true;
            ++m_pos;
            while (m_pos < m_s.size() && m_s.at(m_pos).isDigit())
                ++m_pos;
        }
        const QString text = m_s.mid(start, m_pos - start);
        if (m_pos < m_s.size() && (m_s.at(m_pos) == u'l' || m_s.at(m_pos) == u'L') && !isFloat) {
            ++m_pos;
            return Token{Token::Type::Number, text, DdbValue::int64(text.toLongLong()), m_line};
        }
        if (m_pos < m_s.size() && (m_s.at(m_pos).isLetter() || m_s.at(m_pos) == u'_'))
            return syntaxError(m_line, u"Cannot recognize the token "_s + text + m_s.at(m_pos));
        if (isFloat)
            return Token{Token::Type::Number, text, DdbValue::float64(text.toDouble()), m_line};
        bool ok = false;
        const qint64 v = text.toLongLong(&ok);
        if (!ok)
            return syntaxError(m_line, u"Cannot recognize the token "_s + text);
        if (v > std::numeric_limits<qint32>::max())
            return Token{Token::Type::Number, text, DdbValue::int64(v), m_line};
        return Token{Token::Type::Number, text, DdbValue::int32(qint32(v)), m_line};
    }

    Core::Result<Token> string(QChar quote)
    {
        const int line = m_line;
        ++m_pos;
        QString out;
        while (m_pos < m_s.size() && m_s.at(m_pos) != quote) {
            QChar c = m_s.at(m_pos);
            if (c == u'\\' && m_pos + 1 < m_s.size()) {
                ++m_pos;
                c = m_s.at(m_pos);
                if (c == u'n')
                    c = u'\n';
                else if (c == u't')
                    c = u'\t';
            }
            if (c == u'\n')
                ++m_line;
            out += c;
            ++m_pos;
        }
        if (m_pos >= m_s.size())
            return syntaxError(line, u"The string is not terminated: "_s + QString(quote) + out.left(20));
        ++m_pos;
        return Token{Token::Type::String, out, DdbValue::string(out), line};
    }

    Token symbols()
    {
        QStringList list;
        while (m_pos < m_s.size() && m_s.at(m_pos) == u'`') {
            ++m_pos;
            const qsizetype start = m_pos;
            while (m_pos < m_s.size() && (m_s.at(m_pos).isLetterOrNumber() || m_s.at(m_pos) == u'_' || m_s.at(m_pos) == u'.'))
                ++m_pos;
            list << m_s.mid(start, m_pos - start);
        }
        if (list.size() == 1)
            return Token{Token::Type::Symbols, list.first(), DdbValue::string(list.first()), m_line};
        return Token{Token::Type::Symbols, list.join(u'`'), DdbValue::vector(DdbVector::strings(list)), m_line};
    }

    const QString &m_s;
    qsizetype m_pos = 0;
    int m_line = 1;
};

class Parser
{
public:
    explicit Parser(QList<Token> tokens)
        : m_t(std::move(tokens))
    {}

    Core::Result<QList<NodePtr>> script()
    {
        QList<NodePtr> out;
        while (true) {
            while (is(Token::Type::Newline))
                ++m_i;
            if (is(Token::Type::End))
                return out;
            auto st = statement();
            if (!st)
                return st.error();
            out << *st;
            if (!is(Token::Type::Newline) && !is(Token::Type::End))
                return unexpected();
        }
    }

private:
    const Token &cur() const { return m_t.at(m_i); }
    bool is(Token::Type t) const { return cur().type == t; }
    bool isOp(const QString &op) const { return cur().type == Token::Type::Op && cur().text == op; }
    bool isWord(const QString &w) const { return cur().type == Token::Type::Ident && cur().text.compare(w, Qt::CaseInsensitive) == 0; }
    Error unexpected() const
    {
        const Token &t = cur();
        if (t.type == Token::Type::End)
            return syntaxError(t.line, u"Incomplete statement"_s);
        return syntaxError(t.line, u"Cannot recognize the token "_s + t.text);
    }
    bool accept(const QString &op)
    {
        if (isOp(op)) {
            ++m_i;
            return true;
        }
        return false;
    }
    NodePtr make(ScriptNode n)
    {
        return std::make_shared<const ScriptNode>(std::move(n));
    }

    Core::Result<NodePtr> statement()
    {
        // name = expr (but not name == expr)
        if (is(Token::Type::Ident) && m_i + 1 < m_t.size() && m_t.at(m_i + 1).type == Token::Type::Op
            && m_t.at(m_i + 1).text == "="_L1) {
            ScriptNode n;
            n.kind = ScriptNode::Kind::Assign;
            n.text = cur().text;
            n.line = cur().line;
            m_i += 2;
            auto e = expr();
            if (!e)
                return e.error();
            n.children << *e;
            return make(std::move(n));
        }
        return expr();
    }

    Core::Result<NodePtr> expr() { return orExpr(); }

    Core::Result<NodePtr> binaryLevel(const QStringList &ops, Core::Result<NodePtr> (Parser::*next)(), bool words = false)
    {
        auto left = (this->*next)();
        if (!left)
            return left;
        while (true) {
            QString op;
            for (const QString &o : ops) {
                if ((words && isWord(o)) || (!words && isOp(o))) {
                    op = o;
                    break;
                }
            }
            if (op.isEmpty())
                return left;
            const int line = cur().line;
            ++m_i;
            auto right = (this->*next)();
            if (!right)
                return right;
            ScriptNode n;
            n.kind = ScriptNode::Kind::Binary;
            n.text = op.toLower();
            if (n.text == "&&"_L1)
                n.text = u"and"_s;
            if (n.text == "||"_L1)
                n.text = u"or"_s;
            if (n.text == "<>"_L1)
                n.text = u"!="_s;
            if (n.text == "="_L1)
                n.text = u"=="_s;
            n.line = line;
            n.children << *left << *right;
            left = make(std::move(n));
        }
    }

    Core::Result<NodePtr> orExpr()
    {
        auto l = binaryLevel({u"or"_s}, &Parser::andExpr, true);
        if (!l)
            return l;
        return l;
    }
    Core::Result<NodePtr> andExpr()
    {
        auto r = binaryLevel({u"||"_s}, &Parser::andExpr2);
        return r;
    }
    Core::Result<NodePtr> andExpr2() { return binaryLevel({u"and"_s}, &Parser::andExpr3, true); }
    Core::Result<NodePtr> andExpr3() { return binaryLevel({u"&&"_s}, &Parser::cmpExpr); }
    Core::Result<NodePtr> cmpExpr()
    {
        QStringList ops{u"=="_s, u"!="_s, u"<>"_s, u"<="_s, u">="_s, u"<"_s, u">"_s};
        if (m_inWhere)
            ops << u"="_s;
        return binaryLevel(ops, &Parser::pairExpr);
    }
    Core::Result<NodePtr> pairExpr() { return binaryLevel({u":"_s}, &Parser::rangeExpr); }
    Core::Result<NodePtr> rangeExpr() { return binaryLevel({u".."_s}, &Parser::addExpr); }
    Core::Result<NodePtr> addExpr() { return binaryLevel({u"+"_s, u"-"_s}, &Parser::mulExpr); }
    Core::Result<NodePtr> mulExpr() { return binaryLevel({u"*"_s, u"/"_s, u"%"_s}, &Parser::unary); }

    Core::Result<NodePtr> unary()
    {
        if (isOp(u"-"_s) || isOp(u"!"_s)) {
            ScriptNode n;
            n.kind = ScriptNode::Kind::Unary;
            n.text = cur().text;
            n.line = cur().line;
            ++m_i;
            auto e = unary();
            if (!e)
                return e;
            n.children << *e;
            return make(std::move(n));
        }
        return postfix();
    }

    Core::Result<QList<NodePtr>> args(const QString &close)
    {
        QList<NodePtr> out;
        if (accept(close))
            return out;
        while (true) {
            if (isOp(u","_s) || isOp(close)) {
                ScriptNode empty;
                empty.kind = ScriptNode::Kind::Empty;
                out << make(std::move(empty));
            } else {
                auto e = expr();
                if (!e)
                    return e.error();
                out << *e;
            }
            if (accept(close))
                return out;
            if (!accept(u","_s))
                return unexpected();
        }
    }

    Core::Result<NodePtr> postfix()
    {
        auto base = primary();
        if (!base)
            return base;
        NodePtr node = *base;
        while (true) {
            if (isOp(u"("_s) || isOp(u"{"_s)) {
                const bool partial = isOp(u"{"_s);
                const int line = cur().line;
                ++m_i;
                auto a = args(partial ? u"}"_s : u")"_s);
                if (!a)
                    return a.error();
                ScriptNode n;
                n.line = line;
                if (node->kind == ScriptNode::Kind::Ident) {
                    n.kind = partial ? ScriptNode::Kind::Partial : ScriptNode::Kind::Call;
                    n.text = node->text;
                    n.children = *a;
                } else if (!partial) {
                    n.kind = ScriptNode::Kind::Apply;
                    n.children << node << *a;
                } else {
                    return unexpected();
                }
                node = make(std::move(n));
                continue;
            }
            if (isOp(u"."_s) && m_i + 1 < m_t.size() && m_t.at(m_i + 1).type == Token::Type::Ident) {
                ++m_i;
                const QString name = cur().text;
                const int line = cur().line;
                ++m_i;
                ScriptNode n;
                n.kind = ScriptNode::Kind::Call;
                n.text = name;
                n.line = line;
                n.children << node;
                if (accept(u"("_s)) {
                    auto a = args(u")"_s);
                    if (!a)
                        return a.error();
                    n.children << *a;
                }
                node = make(std::move(n));
                continue;
            }
            return node;
        }
    }

    Core::Result<NodePtr> primary()
    {
        const Token &t = cur();
        switch (t.type) {
        case Token::Type::Number:
        case Token::Type::String:
        case Token::Type::Symbols:
        case Token::Type::Temporal: {
            ScriptNode n;
            n.kind = ScriptNode::Kind::Literal;
            n.value = t.value;
            n.text = t.text;
            n.line = t.line;
            ++m_i;
            return make(std::move(n));
        }
        case Token::Type::Ident: {
            if (isWord(u"select"_s) || isWord(u"exec"_s))
                return select();
            ScriptNode n;
            n.kind = ScriptNode::Kind::Ident;
            n.text = t.text;
            n.line = t.line;
            ++m_i;
            return make(std::move(n));
        }
        case Token::Type::Op:
            if (accept(u"("_s)) {
                const bool saved = m_inWhere;
                m_inWhere = false;
                auto e = expr();
                m_inWhere = saved;
                if (!e)
                    return e;
                if (!accept(u")"_s))
                    return unexpected();
                return e;
            }
            if (isOp(u"["_s)) {
                const int line = t.line;
                ++m_i;
                auto a = args(u"]"_s);
                if (!a)
                    return a.error();
                ScriptNode n;
                n.kind = ScriptNode::Kind::Vector;
                n.children = *a;
                n.line = line;
                return make(std::move(n));
            }
            return unexpected();
        default:
            return unexpected();
        }
    }

    Core::Result<NodePtr> select()
    {
        ScriptNode n;
        n.kind = ScriptNode::Kind::Select;
        n.exec = isWord(u"exec"_s);
        n.line = cur().line;
        ++m_i;
        if (isWord(u"top"_s) && m_i + 1 < m_t.size() && m_t.at(m_i + 1).type == Token::Type::Number) {
            ++m_i;
            n.top = cur().value.toInt64();
            if ((cur().value.type() != DataType::Long && cur().value.type() != DataType::Int) || n.top < 0)
                return syntaxError(cur().line, u"The number after top must be a non-negative integer"_s);
            ++m_i;
        }
        if (accept(u"*"_s)) {
            n.star = true;
        } else {
            while (true) {
                NodePtr col;
                if (is(Token::Type::Ident) && m_i + 3 < m_t.size() && m_t.at(m_i + 1).text == "("_L1
                    && m_t.at(m_i + 2).text == "*"_L1 && m_t.at(m_i + 3).text == ")"_L1) {
                    ScriptNode star;
                    star.kind = ScriptNode::Kind::Call;
                    star.text = cur().text;
                    star.line = cur().line;
                    m_i += 4;
                    col = make(std::move(star));
                } else {
                    auto e = expr();
                    if (!e)
                        return e;
                    col = *e;
                }
                QString alias;
                if (isWord(u"as"_s)) {
                    ++m_i;
                    if (!is(Token::Type::Ident))
                        return unexpected();
                    alias = cur().text;
                    ++m_i;
                }
                n.columns << col;
                n.aliases << alias;
                if (!accept(u","_s))
                    break;
            }
        }
        if (!isWord(u"from"_s))
            return unexpected();
        ++m_i;
        auto from = postfix();
        if (!from)
            return from;
        n.from = *from;
        if (isWord(u"where"_s)) {
            ++m_i;
            m_inWhere = true;
            auto w = expr();
            m_inWhere = false;
            if (!w)
                return w;
            n.where = *w;
        }
        if (isWord(u"group"_s) || isWord(u"context"_s) || isWord(u"pivot"_s) || isWord(u"having"_s))
            return syntaxError(cur().line, u"The emulator does not support '%1' clauses"_s.arg(cur().text));
        if (isWord(u"order"_s)) {
            ++m_i;
            if (!isWord(u"by"_s))
                return unexpected();
            ++m_i;
            while (true) {
                auto e = expr();
                if (!e)
                    return e;
                n.orderBy << *e;
                bool desc = false;
                if (isWord(u"asc"_s)) {
                    ++m_i;
                } else if (isWord(u"desc"_s)) {
                    desc = true;
                    ++m_i;
                }
                n.orderDesc << desc;
                if (!accept(u","_s))
                    break;
            }
        }
        if (isWord(u"limit"_s)) {
            ++m_i;
            const auto integer = [this](qint64 *out) -> bool {
                const bool negative = accept(u"-"_s);
                if (!is(Token::Type::Number)
                    || (cur().value.type() != DataType::Long && cur().value.type() != DataType::Int))
                    return false;
                *out = negative ? -cur().value.toInt64() : cur().value.toInt64();
                ++m_i;
                return true;
            };
            qint64 first = 0;
            if (!integer(&first))
                return syntaxError(cur().line, u"The limit clause takes integers"_s);
            n.hasLimit = true;
            n.limitCount = first;
            if (accept(u","_s)) {
                qint64 second = 0;
                if (!integer(&second) || first < 0 || second < 0)
                    return syntaxError(cur().line, u"limit OFFSET, N takes non-negative integers"_s);
                n.limitOffset = first;
                n.limitCount = second;
            }
        }
        if (n.top >= 0 && n.hasLimit)
            return syntaxError(n.line, u"A SQL query can't use both top and limit clauses."_s);
        if (isWord(u"group"_s) || isWord(u"order"_s) || isWord(u"context"_s) || isWord(u"limit"_s))
            return syntaxError(cur().line, u"The emulator does not support '%1' here"_s.arg(cur().text));
        return make(std::move(n));
    }

    QList<Token> m_t;
    qsizetype m_i = 0;
    bool m_inWhere = false;
};

} // namespace

Core::Result<QList<NodePtr>> parseScript(const QString &script)
{
    auto tokens = Lexer(script).run();
    if (!tokens)
        return tokens.error();
    return Parser(*tokens).script();
}

} // namespace GrayStep::Sim
