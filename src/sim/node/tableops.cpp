// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/tableops.h"

#include <cmath>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Sim::TableOps {

using Core::Error;
using Core::ErrorCode;

namespace {

bool isTextType(DataType t)
{
    return t == DataType::String || t == DataType::Symbol;
}

qint64 nullOf(DataType t)
{
    switch (elementSize(t)) {
    case 1:
        return NULL_INT8;
    case 2:
        return NULL_SHORT;
    case 4:
        return NULL_INT;
    default:
        return NULL_LONG;
    }
}

// Builds a fixed-size vector from qint64 values (kNullInt = null).
DdbVector fromInts(DataType type, const QList<qint64> &values)
{
    const int size = elementSize(type);
    QByteArray raw;
    raw.reserve(values.size() * size);
    for (qint64 v : values) {
        const qint64 w = v == SimColumn::kNullInt ? nullOf(type) : v;
        switch (size) {
        case 1: {
            const qint8 x = qint8(w);
            raw.append(reinterpret_cast<const char *>(&x), 1);
            break;
        }
        case 2: {
            const qint16 x = qint16(w);
            raw.append(reinterpret_cast<const char *>(&x), 2);
            break;
        }
        case 4: {
            const qint32 x = qint32(w);
            raw.append(reinterpret_cast<const char *>(&x), 4);
            break;
        }
        default:
            raw.append(reinterpret_cast<const char *>(&w), 8);
            break;
        }
    }
    return DdbVector::fromRaw(type, raw);
}

// Nanoseconds per unit of a temporal type measured from the epoch (0 = not epoch-based).
qint64 nsPerUnit(DataType t)
{
    switch (t) {
    case DataType::Date:
        return 86400LL * 1000000000LL;
    case DataType::DateHour:
        return 3600LL * 1000000000LL;
    case DataType::DateTime:
        return 1000000000LL;
    case DataType::Timestamp:
        return 1000000LL;
    case DataType::NanoTimestamp:
        return 1;
    default:
        return 0;
    }
}

qint64 floorDiv(qint64 a, qint64 b)
{
    qint64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        --q;
    return q;
}

} // namespace

qint64 toDays(DataType type, qint64 value)
{
    if (value == SimColumn::kNullInt)
        return value;
    const qint64 unit = nsPerUnit(type);
    if (unit == 0)
        return value;
    // Avoid overflow: convert through the coarser unit.
    if (unit >= 86400LL * 1000000000LL)
        return value;
    return floorDiv(value, 86400LL * 1000000000LL / unit);
}

DdbValue toDdb(const SimTable &table)
{
    QStringList names;
    QList<DdbVector> cols;
    for (const SimColumn &c : table.columns) {
        names << c.name;
        const DataType t = DataType(c.type);
        switch (typeCategory(c.type)) {
        case TypeCategory::Floating: {
            QList<double> d;
            d.reserve(c.reals.size());
            for (double x : c.reals)
                d << (std::isnan(x) ? NULL_DOUBLE : x);
            if (t == DataType::Float) {
                QList<float> f;
                for (double x : d)
                    f << (x == NULL_DOUBLE ? NULL_FLOAT : float(x));
                cols << DdbVector::floats(f);
            } else {
                cols << DdbVector::doubles(d);
            }
            break;
        }
        case TypeCategory::Text:
            cols << (t == DataType::Symbol ? DdbVector::symbols(c.texts) : DdbVector::strings(c.texts));
            break;
        default:
            cols << fromInts(t, c.ints);
            break;
        }
    }
    auto result = DdbValue::table(names, cols);
    return result ? *result : DdbValue();
}

Core::Result<SimTable> fromDdb(const DdbValue &table)
{
    if (!table.isTable())
        return Error(ErrorCode::InvalidInput, u"The argument must be a table."_s);
    SimTable out;
    const QStringList names = table.columnNames();
    for (int i = 0; i < table.columnCount(); ++i) {
        const DdbVector &v = table.column(i);
        SimColumn c;
        c.name = names.at(i);
        c.type = int(v.type());
        switch (typeCategory(c.type)) {
        case TypeCategory::Floating:
            for (qint64 r = 0; r < v.size(); ++r)
                c.reals << (v.isNull(r) ? std::nan("") : v.doubleAt(r));
            break;
        case TypeCategory::Text:
            for (qint64 r = 0; r < v.size(); ++r)
                c.texts << v.stringAt(r);
            break;
        case TypeCategory::Integral:
            for (qint64 r = 0; r < v.size(); ++r)
                c.ints << (v.isNull(r) ? SimColumn::kNullInt : v.intAt(r));
            break;
        case TypeCategory::Unsupported:
            return Error(ErrorCode::InvalidInput, u"The emulator cannot store columns of type %1."_s.arg(typeName(v.type())));
        }
        out.columns << c;
    }
    return out;
}

DdbVector take(const DdbVector &v, const QList<qint64> &rows)
{
    const DataType t = v.type();
    switch (v.kind()) {
    case ElementKind::Fixed: {
        const int size = elementSize(t);
        QByteArray raw;
        raw.reserve(rows.size() * size);
        const char *data = v.hasSymbolBase() ? nullptr : v.rawData();
        for (qint64 r : rows)
            raw.append(data + r * size, size);
        return DdbVector::fromRaw(t, raw, v.decimalScale());
    }
    case ElementKind::CString: {
        QStringList s;
        s.reserve(rows.size());
        for (qint64 r : rows)
            s << v.stringAt(r);
        return t == DataType::Symbol ? DdbVector::symbols(s) : DdbVector::strings(t, s);
    }
    case ElementKind::Any: {
        QList<DdbValue> a;
        for (qint64 r : rows)
            a << v.anyAt(r);
        return DdbVector::anys(a);
    }
    case ElementKind::Blob: {
        QList<QByteArray> b;
        for (qint64 r : rows)
            b << v.bytesAt(r);
        return DdbVector::blobs(b);
    }
    default:
        return DdbVector::voids(rows.size());
    }
}

DdbValue elementAt(const DdbVector &v, qint64 i)
{
    return DdbValue::scalar(take(v, {i}));
}

DdbVector repeat(const DdbValue &scalar, qint64 count)
{
    QList<qint64> rows(count, 0);
    return take(scalar.elements(), rows);
}

Core::Result<DdbVector> concat(const QList<DdbVector> &parts)
{
    if (parts.isEmpty())
        return DdbVector::voids(0);
    const DataType t = parts.first().type();
    for (const DdbVector &p : parts)
        if (p.type() != t)
            return Error(ErrorCode::InvalidInput, u"Cannot combine %1 and %2 values."_s.arg(typeName(t), typeName(p.type())));
    switch (parts.first().kind()) {
    case ElementKind::Fixed: {
        QByteArray raw;
        for (const DdbVector &p : parts)
            raw.append(p.rawData(), p.rawSize());
        return DdbVector::fromRaw(t, raw, parts.first().decimalScale());
    }
    case ElementKind::CString: {
        QStringList s;
        for (const DdbVector &p : parts)
            for (qint64 i = 0; i < p.size(); ++i)
                s << p.stringAt(i);
        return t == DataType::Symbol ? DdbVector::symbols(s) : DdbVector::strings(t, s);
    }
    case ElementKind::Any: {
        QList<DdbValue> a;
        for (const DdbVector &p : parts)
            for (qint64 i = 0; i < p.size(); ++i)
                a << p.anyAt(i);
        return DdbVector::anys(a);
    }
    case ElementKind::Void: {
        qint64 n = 0;
        for (const DdbVector &p : parts)
            n += p.size();
        return DdbVector::voids(n);
    }
    default:
        return Error(ErrorCode::InvalidInput, u"Cannot combine %1 values."_s.arg(typeName(t)));
    }
}

Core::Result<DdbVector> vectorOf(const QList<DdbValue> &scalars)
{
    DataType t = DataType::Void;
    for (const DdbValue &s : scalars)
        if (s.type() != DataType::Void) {
            t = s.type();
            break;
        }
    QList<DdbVector> parts;
    for (const DdbValue &s : scalars) {
        if (!s.isScalar())
            return Error(ErrorCode::InvalidInput, u"Expected a scalar, got %1."_s.arg(s.describe()));
        if (s.type() == DataType::Void && t != DataType::Void) {
            auto nullElem = convert(DdbVector::voids(1), t);
            if (!nullElem)
                return nullElem.error();
            parts << *nullElem;
        } else {
            parts << s.elements();
        }
    }
    return concat(parts);
}

Core::Result<DdbVector> convert(const DdbVector &v, DataType to)
{
    const DataType from = v.type();
    if (from == to)
        return v;
    if (from == DataType::Void) {
        if (isTextType(to))
            return DdbVector::strings(to, QStringList(v.size(), QString()));
        if (elementKind(to) == ElementKind::Fixed) {
            if (to == DataType::Float || to == DataType::Double) {
                QList<double> d(v.size(), NULL_DOUBLE);
                return to == DataType::Double ? DdbVector::doubles(d) : DdbVector::floats(QList<float>(v.size(), NULL_FLOAT));
            }
            return fromInts(to, QList<qint64>(v.size(), SimColumn::kNullInt));
        }
    }
    if (isTextType(from) && isTextType(to)) {
        QStringList s;
        for (qint64 i = 0; i < v.size(); ++i)
            s << v.stringAt(i);
        return to == DataType::Symbol ? DdbVector::symbols(s) : DdbVector::strings(s);
    }
    const TypeCategory fc = typeCategory(int(from)), tc = typeCategory(int(to));
    if (fc == TypeCategory::Integral && tc == TypeCategory::Integral) {
        const qint64 uf = nsPerUnit(from), ut = nsPerUnit(to);
        const bool temporalFrom = isTemporal(from), temporalTo = isTemporal(to);
        if (temporalFrom && temporalTo && (uf == 0 || ut == 0))
            return Error(ErrorCode::InvalidInput, u"Cannot convert %1 to %2."_s.arg(typeName(from), typeName(to)));
        QList<qint64> out;
        out.reserve(v.size());
        for (qint64 i = 0; i < v.size(); ++i) {
            if (v.isNull(i)) {
                out << SimColumn::kNullInt;
                continue;
            }
            qint64 x = v.intAt(i);
            if (temporalFrom && temporalTo) {
                if (uf > ut)
                    x = x * (uf / ut);
                else
                    x = floorDiv(x, ut / uf);
            }
            out << x;
        }
        return fromInts(to, out);
    }
    if (tc == TypeCategory::Floating && (fc == TypeCategory::Integral || fc == TypeCategory::Floating)) {
        QList<double> d;
        for (qint64 i = 0; i < v.size(); ++i)
            d << (v.isNull(i) ? NULL_DOUBLE : v.doubleAt(i));
        if (to == DataType::Double)
            return DdbVector::doubles(d);
        QList<float> f;
        for (double x : d)
            f << (x == NULL_DOUBLE ? NULL_FLOAT : float(x));
        return DdbVector::floats(f);
    }
    return Error(ErrorCode::InvalidInput, u"Cannot convert %1 to %2."_s.arg(typeName(from), typeName(to)));
}

} // namespace GrayStep::Sim::TableOps
