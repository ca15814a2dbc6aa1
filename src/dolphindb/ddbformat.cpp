// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/ddbformat.h"

#include <QJsonArray>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::DolphinDb {

namespace {

QString renderTable(const QStringList &headers, const QList<QStringList> &columns, qint64 totalRows)
{
    const qint64 shown = columns.isEmpty() ? 0 : columns.first().size();
    QList<int> widths;
    for (int c = 0; c < headers.size(); ++c) {
        int w = int(headers.at(c).size());
        for (const QString &cell : columns.at(c)) {
            w = std::max(w, int(cell.size()));
        }
        widths << std::min(w, 120);
    }
    auto line = [&](const QStringList &cells) -> QString {
        QString out;
        for (int c = 0; c < cells.size(); ++c) {
            QString cell = cells.at(c);
            if (cell.size() > 120) {
                cell = cell.left(117) + u"..."_s;
            }
            if (c + 1 < cells.size()) {
                out += cell.leftJustified(widths.at(c));
                out += u"  "_s;
            } else {
                out += cell;
            }
        }
        return out + u'\n';
    };
    QString out = line(headers);
    QStringList rule;
    for (int w : std::as_const(widths)) {
        rule << QString(w, u'-');
    }
    out += line(rule);
    for (qint64 r = 0; r < shown; ++r) {
        QStringList cells;
        for (const QStringList &col : columns) {
            cells << col.at(r);
        }
        out += line(cells);
    }
    if (totalRows > shown) {
        out += u"... %1 more rows (%2 in total)\n"_s.arg(totalRows - shown).arg(totalRows);
    }
    return out;
}

QStringList cells(const DdbVector &v, qint64 maxRows)
{
    QStringList out;
    const qint64 n = std::min(v.size(), maxRows);
    for (qint64 i = 0; i < n; ++i) {
        out << v.formatAt(i);
    }
    return out;
}

} // namespace

QString formatText(const DdbValue &value, qint64 maxRows)
{
    switch (value.form()) {
    case DataForm::Scalar:
        return value.toString() + u'\n';
    case DataForm::Vector:
    case DataForm::Pair:
    case DataForm::Set:
        return renderTable({typeName(value.elements().type())}, {cells(value.elements(), maxRows)},
                           value.elements().size());
    case DataForm::Dictionary:
        return renderTable({u"key"_s, u"value"_s},
                           {cells(value.elements(), maxRows), cells(value.dictionaryValues(), maxRows)},
                           value.elements().size());
    case DataForm::Table: {
        QList<QStringList> cols;
        for (int c = 0; c < value.columnCount(); ++c) {
            cols << cells(value.column(c), maxRows);
        }
        if (value.columnCount() == 0) {
            return u"(empty table)\n"_s;
        }
        return renderTable(value.columnNames(), cols, value.rowCount());
    }
    case DataForm::Matrix: {
        const qint64 rows = value.rowCount();
        const qint64 shown = std::min(rows, maxRows);
        QStringList headers;
        QList<QStringList> cols;
        const DdbValue *rl = value.matrixRowLabels();
        const DdbValue *cl = value.matrixColumnLabels();
        if (rl) {
            headers << QString();
            cols << cells(rl->elements(), shown);
        }
        for (int c = 0; c < value.columnCount(); ++c) {
            headers << (cl ? cl->elements().formatAt(c) : u"col%1"_s.arg(c + 1));
            QStringList col;
            for (qint64 r = 0; r < shown; ++r) {
                col << value.elements().formatAt(qint64(c) * rows + r);
            }
            cols << col;
        }
        return renderTable(headers, cols, rows);
    }
    default:
        return value.describe() + u'\n';
    }
}

QJsonObject toJsonEnvelope(const DdbValue &value)
{
    QJsonObject o{{u"form"_s, formName(value.form())},
                  {u"type"_s, value.isTable() ? u"TABLE"_s : typeName(value.type())},
                  {u"value"_s, value.toJson()}};
    if (value.isTable()) {
        o.insert(u"rows"_s, value.rowCount());
        o.insert(u"columns"_s, value.columnCount());
    }
    return o;
}

} // namespace GrayStep::DolphinDb
