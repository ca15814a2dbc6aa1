// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/simtable.h"

#include <QHash>
#include <QJsonArray>

#include <cmath>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

namespace {
const QList<QPair<int, QString>> &typeNames()
{
    static const QList<QPair<int, QString>> names = {
        {DdbType::Void, u"VOID"_s},          {DdbType::Bool, u"BOOL"_s},         {DdbType::Char, u"CHAR"_s},
        {DdbType::Short, u"SHORT"_s},        {DdbType::Int, u"INT"_s},           {DdbType::Long, u"LONG"_s},
        {DdbType::Date, u"DATE"_s},          {DdbType::Month, u"MONTH"_s},       {DdbType::Time, u"TIME"_s},
        {DdbType::Minute, u"MINUTE"_s},      {DdbType::Second, u"SECOND"_s},     {DdbType::DateTime, u"DATETIME"_s},
        {DdbType::Timestamp, u"TIMESTAMP"_s}, {DdbType::NanoTime, u"NANOTIME"_s},
        {DdbType::NanoTimestamp, u"NANOTIMESTAMP"_s}, {DdbType::Float, u"FLOAT"_s}, {DdbType::Double, u"DOUBLE"_s},
        {DdbType::Symbol, u"SYMBOL"_s},      {DdbType::String, u"STRING"_s},     {DdbType::DateHour, u"DATEHOUR"_s},
    };
    return names;
}
} // namespace

TypeCategory typeCategory(int type)
{
    switch (type) {
    case DdbType::Bool: case DdbType::Char: case DdbType::Short: case DdbType::Int: case DdbType::Long:
    case DdbType::Date: case DdbType::Month: case DdbType::Time: case DdbType::Minute: case DdbType::Second:
    case DdbType::DateTime: case DdbType::Timestamp: case DdbType::NanoTime: case DdbType::NanoTimestamp:
    case DdbType::DateHour:
        return TypeCategory::Integral;
    case DdbType::Float: case DdbType::Double:
        return TypeCategory::Floating;
    case DdbType::Symbol: case DdbType::String:
        return TypeCategory::Text;
    default:
        return TypeCategory::Unsupported;
    }
}

QString typeName(int type)
{
    for (const auto &p : typeNames())
        if (p.first == type)
            return p.second;
    return u"UNKNOWN"_s;
}

int typeFromName(const QString &name)
{
    const QString upper = name.toUpper();
    for (const auto &p : typeNames())
        if (p.second == upper)
            return p.first;
    return -1;
}

qsizetype SimColumn::size() const
{
    switch (typeCategory(type)) {
    case TypeCategory::Floating:
        return reals.size();
    case TypeCategory::Text:
        return texts.size();
    default:
        return ints.size();
    }
}

void SimColumn::appendFrom(const SimColumn &other, qsizetype row)
{
    switch (typeCategory(type)) {
    case TypeCategory::Floating:
        reals << other.reals.at(row);
        break;
    case TypeCategory::Text:
        texts << other.texts.at(row);
        break;
    default:
        ints << other.ints.at(row);
        break;
    }
}

void SimColumn::reserve(qsizetype n)
{
    switch (typeCategory(type)) {
    case TypeCategory::Floating:
        reals.reserve(n);
        break;
    case TypeCategory::Text:
        texts.reserve(n);
        break;
    default:
        ints.reserve(n);
        break;
    }
}

int SimTable::columnIndex(const QString &name) const
{
    for (qsizetype i = 0; i < columns.size(); ++i)
        if (columns.at(i).name.compare(name, Qt::CaseInsensitive) == 0)
            return int(i);
    return -1;
}

SimTable SimTable::emptyCopy() const
{
    SimTable t;
    for (const SimColumn &c : columns) {
        SimColumn e;
        e.name = c.name;
        e.type = c.type;
        t.columns << e;
    }
    return t;
}

void SimTable::appendRow(const SimTable &from, qsizetype row)
{
    for (qsizetype c = 0; c < columns.size(); ++c)
        columns[c].appendFrom(from.columns.at(c), row);
}

void SimTable::append(const SimTable &other)
{
    for (qsizetype c = 0; c < columns.size() && c < other.columns.size(); ++c) {
        SimColumn &dst = columns[c];
        const SimColumn &src = other.columns.at(c);
        dst.ints += src.ints;
        dst.reals += src.reals;
        dst.texts += src.texts;
    }
}

QJsonObject SimTable::toJson() const
{
    QJsonArray cols;
    for (const SimColumn &c : columns) {
        QJsonArray values;
        switch (typeCategory(c.type)) {
        case TypeCategory::Floating:
            for (double d : c.reals)
                values.append(std::isnan(d) ? QJsonValue() : QJsonValue(d));
            break;
        case TypeCategory::Text:
            for (const QString &s : c.texts)
                values.append(s);
            break;
        default:
            for (qint64 v : c.ints)
                values.append(v == SimColumn::kNullInt ? QJsonValue() : QJsonValue(v));
            break;
        }
        cols.append(QJsonObject{{u"n"_s, c.name}, {u"t"_s, c.type}, {u"v"_s, values}});
    }
    return QJsonObject{{u"cols"_s, cols}};
}

SimTable SimTable::fromJson(const QJsonObject &o)
{
    SimTable t;
    const QJsonArray cols = o.value(u"cols"_s).toArray();
    for (const QJsonValue &cv : cols) {
        const QJsonObject co = cv.toObject();
        SimColumn c;
        c.name = co.value(u"n"_s).toString();
        c.type = co.value(u"t"_s).toInt();
        const QJsonArray values = co.value(u"v"_s).toArray();
        c.reserve(values.size());
        for (const QJsonValue &v : values) {
            switch (typeCategory(c.type)) {
            case TypeCategory::Floating:
                c.reals << (v.isNull() ? std::nan("") : v.toDouble());
                break;
            case TypeCategory::Text:
                c.texts << v.toString();
                break;
            default:
                c.ints << (v.isNull() ? SimColumn::kNullInt : v.toInteger());
                break;
            }
        }
        t.columns << c;
    }
    return t;
}

} // namespace GrayStep::Sim
