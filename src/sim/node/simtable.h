// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <limits>

namespace GrayStep::Sim {

// DolphinDB type codes (PROTOCOL.md §4.3) the emulated DFS stores.
namespace DdbType {
constexpr int Void = 0, Bool = 1, Char = 2, Short = 3, Int = 4, Long = 5, Date = 6, Month = 7, Time = 8,
              Minute = 9, Second = 10, DateTime = 11, Timestamp = 12, NanoTime = 13, NanoTimestamp = 14,
              Float = 15, Double = 16, Symbol = 17, String = 18, DateHour = 28;
}

enum class TypeCategory { Integral, Floating, Text, Unsupported };
TypeCategory typeCategory(int type);
QString typeName(int type);          // "TIMESTAMP"
int typeFromName(const QString &name); // -1 when unknown

// A column of a stored table. Integral/temporal values are kept as qint64 (null = kNullInt),
// floating as double (null = NaN), SYMBOL/STRING as text.
struct SimColumn
{
    static constexpr qint64 kNullInt = std::numeric_limits<qint64>::min();

    QString name;
    int type = DdbType::Int;
    QList<qint64> ints;
    QList<double> reals;
    QStringList texts;

    qsizetype size() const;
    void appendFrom(const SimColumn &other, qsizetype row);
    void reserve(qsizetype n);
};

// A small columnar table: the unit stored in chunks and moved between nodes.
struct SimTable
{
    QList<SimColumn> columns;

    qsizetype rows() const { return columns.isEmpty() ? 0 : columns.first().size(); }
    int columnIndex(const QString &name) const;
    SimTable emptyCopy() const;
    void appendRow(const SimTable &from, qsizetype row);
    void append(const SimTable &other);

    QJsonObject toJson() const;
    static SimTable fromJson(const QJsonObject &o);
};

} // namespace GrayStep::Sim
