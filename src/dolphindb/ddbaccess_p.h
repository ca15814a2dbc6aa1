// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Private to graystep_dolphindb: direct construction of DdbVector/DdbValue internals
// (used by the builders and the decoder, which move finished buffers in without copying).

#include "dolphindb/ddbvalue.h"

namespace GrayStep::DolphinDb {

struct DdbValue::Extra
{
    // table
    QString name;
    QStringList names;
    QList<DdbVector> columns;
    // dictionary values
    DdbVector values;
    // matrix
    qint32 rows = 0;
    qint32 cols = 0;
    std::optional<DdbValue> rowLabels;
    std::optional<DdbValue> colLabels;
};

struct DdbAccess
{
    using Extra = DdbValue::Extra;
    static std::shared_ptr<Extra> makeExtra() { return std::make_shared<Extra>(); }
    static DdbVector fixed(DataType type, DdbBuffer &&data, qint64 count, qint32 scale = 0)
    {
        DdbVector v;
        v.m_type = type;
        v.m_size = count;
        v.m_scale = scale;
        v.m_data = std::make_shared<const DdbBuffer>(std::move(data));
        return v;
    }
    // VOID: scalar keeps its one byte (0 nothing, 1 null); vectors have no data.
    static DdbVector voids(qint64 count, std::optional<quint8> scalarByte)
    {
        DdbVector v;
        v.m_type = DataType::Void;
        v.m_size = count;
        if (scalarByte) {
            DdbBuffer b;
            b.append(&*scalarByte, 1);
            v.m_data = std::make_shared<const DdbBuffer>(std::move(b));
        }
        return v;
    }
    static DdbVector text(DataType type, DdbBuffer &&bytes, DdbBuffer &&offsets, qint64 count)
    {
        DdbVector v;
        v.m_type = type;
        v.m_size = count;
        v.m_data = std::make_shared<const DdbBuffer>(std::move(bytes));
        v.m_offsets = std::make_shared<const DdbBuffer>(std::move(offsets));
        return v;
    }
    static DdbVector symbolBase(const std::shared_ptr<const DdbVector> &base, DdbBuffer &&indices,
                                qint64 count)
    {
        DdbVector v;
        v.m_type = DataType::Symbol;
        v.m_size = count;
        v.m_data = std::make_shared<const DdbBuffer>(std::move(indices));
        v.m_base = base;
        return v;
    }
    static std::shared_ptr<const DdbVector> baseOf(const DdbVector &v) { return v.m_base; }
    // Array vector: leaves (fixed-size, packed) + rows+1 leaf offsets.
    static DdbVector arrayVector(DataType type, DdbBuffer &&leaves, qint64 leafCount, DdbBuffer &&offsets,
                                 qint64 rows, qint32 scale)
    {
        DdbVector v = fixed(type, std::move(leaves), leafCount, scale);
        v.m_size = rows;
        v.m_arrayOffsets = std::make_shared<const DdbBuffer>(std::move(offsets));
        return v;
    }
    static DdbVector any(QList<DdbValue> &&values)
    {
        DdbVector v;
        v.m_type = DataType::Any;
        v.m_size = values.size();
        v.m_any = std::make_shared<const QList<DdbValue>>(std::move(values));
        return v;
    }
    static DdbValue value(DataForm form, DataType type, const DdbVector &elements,
                          std::shared_ptr<const DdbValue::Extra> extra = {})
    {
        DdbValue v;
        v.m_form = form;
        v.m_type = type;
        v.m_elements = elements;
        v.m_extra = std::move(extra);
        return v;
    }
    static const DdbValue::Extra *extra(const DdbValue &v) { return v.m_extra.get(); }
    static bool voidScalarIsNull(const DdbVector &v)
    {
        return v.m_data && v.m_data->size() > 0 && v.m_data->data()[0] != 0;
    }
    static quint8 voidScalarByte(const DdbVector &v)
    {
        return (v.m_data && v.m_data->size() > 0) ? quint8(v.m_data->data()[0]) : 0;
    }
};

} // namespace GrayStep::DolphinDb
