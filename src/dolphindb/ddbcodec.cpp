// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/ddbcodec.h"

#include "dolphindb/ddbaccess_p.h"

#include <QHash>

#include <cstring>
#include <vector>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::DolphinDb {

// ================================================================ encoder

namespace {

// Array vector blocks (PROTOCOL.md §4.5): up to 65535 rows each; lengths written with the
// smallest width (1, 2 or 4 bytes) that holds the block's longest row.
constexpr qint64 ARRAY_BLOCK_ROWS = 65535;

int lengthWidth(const qint64 *offsets, qint64 first, qint64 rows)
{
    qint64 maxLen = 0;
    for (qint64 k = first; k < first + rows; ++k) {
        maxLen = std::max(maxLen, offsets[k + 1] - offsets[k]);
    }
    return maxLen < 256 ? 1 : (maxLen < 65536 ? 2 : 4);
}

class Writer
{
public:
    explicit Writer(QByteArray &out)
        : m_out(out)
    {}

    void raw(const void *p, qint64 n)
    {
        if (n > 0) {
            m_out.append(static_cast<const char *>(p), qsizetype(n));
        }
    }
    void u8(quint8 v) { m_out.append(char(v)); }
    void i32(qint32 v) { raw(&v, 4); }
    void flag(quint8 type, DataForm form)
    {
        u8(type);
        u8(quint8(form));
    }

    void object(const DdbValue &v)
    {
        const DdbVector &e = v.elements();
        switch (v.form()) {
        case DataForm::Scalar:
            flag(quint8(v.type()), DataForm::Scalar);
            scalarBody(e);
            return;
        case DataForm::Vector:
        case DataForm::Pair:
            vectorObject(e, v.form());
            return;
        case DataForm::Set:
            flag(quint8(v.type()), DataForm::Set);
            vectorObject(e, DataForm::Vector);
            return;
        case DataForm::Dictionary:
        case DataForm::Chart:
            flag(quint8(v.type()), v.form());
            vectorObject(e, DataForm::Vector);
            vectorObject(v.dictionaryValues(), DataForm::Vector);
            return;
        case DataForm::Matrix: {
            const quint8 t = typeByte(e);
            flag(t, DataForm::Matrix);
            const DdbValue *rl = v.matrixRowLabels();
            const DdbValue *cl = v.matrixColumnLabels();
            u8(quint8((rl ? 1 : 0) | (cl ? 2 : 0)));
            if (rl) {
                object(*rl);
            }
            if (cl) {
                object(*cl);
            }
            flag(t, DataForm::Matrix);
            i32(qint32(v.rowCount()));
            i32(qint32(v.columnCount()));
            elements(e);
            return;
        }
        case DataForm::Table: {
            flag(quint8(v.type()), DataForm::Table);
            i32(qint32(v.rowCount()));
            i32(v.columnCount());
            cstring(v.tableName().toUtf8());
            for (const QString &n : v.columnNames()) {
                cstring(n.toUtf8());
            }
            for (int c = 0; c < v.columnCount(); ++c) {
                vectorObject(v.column(c), DataForm::Vector);
            }
            return;
        }
        default:
            // Forms we never build (CHUNK, SYSOBJ): write a VOID scalar rather than garbage.
            flag(0, DataForm::Scalar);
            u8(0);
            return;
        }
    }

private:
    static quint8 typeByte(const DdbVector &e)
    {
        if (e.isArrayVector()) {
            return quint8(64 + quint8(e.type()));
        }
        const bool base = e.hasSymbolBase() && e.size() > 0;
        return quint8(quint8(e.type()) | (base ? SYMBOL_BASE_FLAG : 0));
    }

    void cstring(const QByteArray &utf8)
    {
        const qsizetype nul = utf8.indexOf('\0');
        m_out.append(nul >= 0 ? utf8.left(nul) : utf8);
        m_out.append('\0');
    }

    void scalarBody(const DdbVector &e)
    {
        switch (e.kind()) {
        case ElementKind::Void:
            u8(DdbAccess::voidScalarByte(e));
            return;
        case ElementKind::Fixed:
            if (isDecimal(e.type())) {
                i32(e.decimalScale());
            }
            raw(e.rawData(), elementSize(e.type()));
            return;
        case ElementKind::CString:
            cstring(e.bytesAt(0));
            return;
        case ElementKind::FunctionDef:
            u8(quint8(e.functionKindAt(0)));
            cstring(e.bytesAt(0));
            return;
        case ElementKind::Blob: {
            const QByteArray b = e.bytesAt(0);
            i32(qint32(b.size()));
            raw(b.constData(), b.size());
            return;
        }
        case ElementKind::Any:
            object(e.anyAt(0));
            return;
        case ElementKind::Unsupported:
            return;
        }
    }

    void vectorObject(const DdbVector &e, DataForm form)
    {
        flag(typeByte(e), form);
        i32(qint32(e.size()));
        i32(e.isArrayVector() ? qint32(e.leafCount()) : 1);
        elements(e);
    }

    void arrayElements(const DdbVector &e)
    {
        if (isDecimal(e.type())) {
            i32(e.decimalScale());
        }
        const qint64 *o = e.arrayOffsets();
        const int es = elementSize(e.type());
        for (qint64 r = 0; r < e.size();) {
            const qint64 n = std::min(ARRAY_BLOCK_ROWS, e.size() - r);
            const int width = lengthWidth(o, r, n);
            const quint16 rows16 = quint16(n);
            raw(&rows16, 2);
            u8(quint8(width));
            u8(0);
            for (qint64 k = r; k < r + n; ++k) {
                const quint32 len = quint32(o[k + 1] - o[k]);
                raw(&len, width);  // little-endian host: the low bytes come first
            }
            raw(e.rawData() + o[r] * es, (o[r + n] - o[r]) * es);
            r += n;
        }
    }

    void elements(const DdbVector &e)
    {
        if (e.isArrayVector()) {
            arrayElements(e);
            return;
        }
        if (e.hasSymbolBase()) {
            if (e.size() == 0) {
                return;  // written as plain 0x11 with no elements
            }
            const auto base = DdbAccess::baseOf(e);
            auto it = m_bases.constFind(base.get());
            if (it != m_bases.constEnd()) {
                i32(*it);
                i32(0);
            } else {
                const qint32 id = qint32(m_bases.size());
                m_bases.insert(base.get(), id);
                i32(id);
                i32(qint32(base->size()));
                raw(base->rawData(), base->rawSize());
            }
            raw(e.rawData(), e.size() * 4);
            return;
        }
        switch (e.kind()) {
        case ElementKind::Void:
            return;
        case ElementKind::Fixed:
            if (isDecimal(e.type())) {
                i32(e.decimalScale());
            }
            raw(e.rawData(), e.size() * elementSize(e.type()));
            return;
        case ElementKind::CString:
        case ElementKind::FunctionDef:
            raw(e.rawData(), e.rawSize());
            return;
        case ElementKind::Blob:
            for (qint64 i = 0; i < e.size(); ++i) {
                const qint64 *o = e.offsets();
                i32(qint32(o[i + 1] - o[i]));
                raw(e.rawData() + o[i], o[i + 1] - o[i]);
            }
            return;
        case ElementKind::Any:
            for (qint64 i = 0; i < e.size(); ++i) {
                object(e.anyAt(i));
            }
            return;
        case ElementKind::Unsupported:
            return;
        }
    }

    QByteArray &m_out;
    QHash<const void *, qint32> m_bases;
};

class Sizer
{
public:
    qint64 object(const DdbValue &v)
    {
        const DdbVector &e = v.elements();
        switch (v.form()) {
        case DataForm::Scalar:
            return 2 + scalarBody(e);
        case DataForm::Vector:
        case DataForm::Pair:
            return vectorObject(e);
        case DataForm::Set:
            return 2 + vectorObject(e);
        case DataForm::Dictionary:
        case DataForm::Chart:
            return 2 + vectorObject(e) + vectorObject(v.dictionaryValues());
        case DataForm::Matrix: {
            qint64 n = 2 + 1 + 2 + 8 + elements(e);
            if (const DdbValue *l = v.matrixRowLabels()) {
                n += object(*l);
            }
            if (const DdbValue *l = v.matrixColumnLabels()) {
                n += object(*l);
            }
            return n;
        }
        case DataForm::Table: {
            qint64 n = 2 + 8 + v.tableName().toUtf8().size() + 1;
            for (const QString &s : v.columnNames()) {
                n += s.toUtf8().size() + 1;
            }
            for (int c = 0; c < v.columnCount(); ++c) {
                n += vectorObject(v.column(c));
            }
            return n;
        }
        default:
            return 3;
        }
    }

private:
    qint64 scalarBody(const DdbVector &e)
    {
        switch (e.kind()) {
        case ElementKind::Void:
            return 1;
        case ElementKind::Fixed:
            return (isDecimal(e.type()) ? 4 : 0) + elementSize(e.type());
        case ElementKind::CString:
            return e.bytesAt(0).size() + 1;
        case ElementKind::FunctionDef:
            return e.bytesAt(0).size() + 2;
        case ElementKind::Blob:
            return 4 + e.bytesAt(0).size();
        case ElementKind::Any:
            return object(e.anyAt(0));
        case ElementKind::Unsupported:
            return 0;
        }
        return 0;
    }
    qint64 vectorObject(const DdbVector &e) { return 10 + elements(e); }
    qint64 elements(const DdbVector &e)
    {
        if (e.isArrayVector()) {
            qint64 n = (isDecimal(e.type()) ? 4 : 0) + e.leafCount() * elementSize(e.type());
            for (qint64 r = 0; r < e.size(); r += ARRAY_BLOCK_ROWS) {
                const qint64 rows = std::min(ARRAY_BLOCK_ROWS, e.size() - r);
                n += 4 + rows * lengthWidth(e.arrayOffsets(), r, rows);
            }
            return n;
        }
        if (e.hasSymbolBase()) {
            if (e.size() == 0) {
                return 0;
            }
            const auto base = DdbAccess::baseOf(e);
            qint64 n = 8 + e.size() * 4;
            if (!m_bases.contains(base.get())) {
                m_bases.insert(base.get());
                n += base->rawSize();
            }
            return n;
        }
        switch (e.kind()) {
        case ElementKind::Fixed:
            return (isDecimal(e.type()) ? 4 : 0) + e.size() * elementSize(e.type());
        case ElementKind::CString:
        case ElementKind::FunctionDef:
            return e.rawSize();
        case ElementKind::Blob:
            return e.size() * 4 + e.rawSize();
        case ElementKind::Any: {
            qint64 n = 0;
            for (qint64 i = 0; i < e.size(); ++i) {
                n += object(e.anyAt(i));
            }
            return n;
        }
        default:
            return 0;
        }
    }
    QSet<const void *> m_bases;
};

} // namespace

void DdbEncoder::encode(const DdbValue &value, QByteArray &out)
{
    const qint64 n = Sizer().object(value);
    out.reserve(qsizetype(out.size() + n));
    Writer(out).object(value);
}

QByteArray DdbEncoder::encode(const DdbValue &value)
{
    QByteArray out;
    encode(value, out);
    return out;
}

qint64 DdbEncoder::encodedSize(const DdbValue &value)
{
    return Sizer().object(value);
}

// ================================================================ decoder

namespace {

enum class St : quint8 {
    Flag,
    VecHeader,
    MatLabelFlags,
    MatRowLabel,
    MatColLabel,
    MatInnerFlag,
    MatHeader,
    ElemScale,
    ElemBaseHeader,
    ElemBaseStrings,
    ElemData,
    ArrBlock,
    ArrLengths,
    ArrValues,
    SetKeys,
    DictKeys,
    DictValues,
    TableHeader,
    TableName,
    TableColNames,
    TableColumns,
};

enum class Step : quint8 { NeedMore, Push, Done, Error };

struct Frame
{
    St st = St::Flag;
    DataForm form = DataForm::Scalar;
    DataType type = DataType::Void;
    quint8 outerType = 0;
    bool symBase = false;
    bool arrayVector = false;
    qint64 rowsDone = 0;      // array vector: rows covered by finished blocks
    qint64 blockRows = 0;
    int lengthWidth = 0;
    QByteArray lengths;       // array vector: the current block's raw lengths
    qint64 leafTotal = 0;
    qint32 rows = 0;
    qint32 cols = 0;
    qint64 count = 0;   // elements to read
    qint64 index = 0;   // elements (or columns, names) done
    qint32 scale = 0;
    // element storage
    DdbBuffer data;
    DdbBuffer offsets;
    qint64 target = 0;      // fixed: total bytes
    qint64 elemStart = 0;   // text/blob: start of current element in data
    qint32 blobLen = -1;    // blob: length of current element, -1 = length not read yet
    bool fnKindRead = false;
    // symbol base
    qint32 baseId = 0;
    qint32 baseSize = 0;
    std::shared_ptr<const DdbVector> base;
    // children
    bool hasChild = false;
    DdbValue child;
    QList<DdbValue> anys;
    QList<DdbVector> columns;
    QStringList names;
    QString tableName;
    DdbVector keys;
    quint8 labelFlags = 0;
    std::optional<DdbValue> rowLabels;
    std::optional<DdbValue> colLabels;
    DdbValue result;
};

} // namespace

struct DdbDecoder::Private
{
    Limits limits;
    Status status = Status::NeedMore;
    Core::Error error;
    DdbValue value;
    std::vector<std::unique_ptr<Frame>> stack;
    QHash<qint32, std::shared_ptr<const DdbVector>> bases;
    qint64 consumedTotal = 0;
    // input of the current feed()
    const char *begin = nullptr;
    const char *p = nullptr;
    const char *end = nullptr;
    // partial small read across feeds
    char scratch[16];
    int scratchLen = 0;

    qint64 offset() const { return consumedTotal + (p - begin); }
    qint64 avail() const { return end - p; }

    Step fail(const QString &what)
    {
        error = Core::Error(Core::ErrorCode::Protocol,
                            u"malformed DolphinDB object at byte %1: %2"_s.arg(offset()).arg(what));
        return Step::Error;
    }

    // Pointer to n (<= 16) contiguous bytes, or nullptr when they have not all arrived
    // (the ones that did are kept; call again with the same n).
    const char *take(int n)
    {
        if (scratchLen == 0 && avail() >= n) {
            const char *r = p;
            p += n;
            return r;
        }
        const int got = int(std::min<qint64>(n - scratchLen, avail()));
        if (got <= 0) {
            return nullptr;
        }
        std::memcpy(scratch + scratchLen, p, size_t(got));
        p += got;
        scratchLen += got;
        if (scratchLen == n) {
            scratchLen = 0;
            return scratch;
        }
        return nullptr;
    }

    static qint32 i32(const char *q)
    {
        qint32 v;
        std::memcpy(&v, q, 4);
        return v;
    }

    // Appends bytes up to and including the next 0x00 to out. True when the terminator was
    // found; false when input ran out (everything available was appended).
    bool readCString(DdbBuffer &out, qint64 elemStart, bool *tooLong, bool *oom)
    {
        if (avail() <= 0) {
            return false;
        }
        const void *z = std::memchr(p, 0, size_t(avail()));
        const qint64 n = z ? (static_cast<const char *>(z) - p) + 1 : avail();
        if (out.size() - elemStart + n > limits.maxElementBytes) {
            *tooLong = true;
            return false;
        }
        if (!out.append(p, n)) {
            *oom = true;
            return false;
        }
        p += n;
        return z != nullptr;
    }

    // Reads a 0x00-terminated UTF-8 string into a QString.
    Step readName(Frame &f, QString *target, const char *what)
    {
        bool tooLong = false;
        bool oom = false;
        if (!readCString(f.data, 0, &tooLong, &oom)) {
            if (tooLong) {
                return fail(u"%1 longer than %2 bytes"_s.arg(QLatin1StringView(what)).arg(limits.maxElementBytes));
            }
            if (oom) {
                return fail(u"out of memory"_s);
            }
            return Step::NeedMore;
        }
        const QByteArrayView text(f.data.data(), qsizetype(f.data.size() - 1));
        if (!text.isValidUtf8()) {
            return fail(u"%1 is not valid UTF-8"_s.arg(QLatin1StringView(what)));
        }
        *target = QString::fromUtf8(text);
        f.data.setSize(0);
        return Step::Done;
    }

    Step run(Frame &f);
    Step setType(Frame &f, quint8 t);
    void startElements(Frame &f);
    void enterData(Frame &f);
    Step readElements(Frame &f);
    Step readTextElement(Frame &f, const char *what);
    Step readData(Frame &f);
    Step finishElements(Frame &f);
};


namespace {

// Elements of a count beyond this are not a real reply (2^40 x 16 bytes).
constexpr qint64 MAX_ELEMENTS = qint64(1) << 40;

} // namespace

Step DdbDecoder::Private::run(Frame &f)
{
    for (;;) {
        switch (f.st) {
        case St::Flag: {
            const char *q = take(2);
            if (!q) {
                return Step::NeedMore;
            }
            const quint8 t = quint8(q[0]);
            const quint8 fm = quint8(q[1]);
            if (fm > quint8(DataForm::Chart)) {
                return fail(u"unknown or unsupported data form %1 (type byte 0x%2)"_s.arg(fm).arg(
                    t, 2, 16, QLatin1Char('0')));
            }
            f.form = DataForm(fm);
            f.outerType = t;
            switch (f.form) {
            case DataForm::Table:
                f.st = St::TableHeader;
                continue;
            case DataForm::Dictionary:
            case DataForm::Chart:
            case DataForm::Set: {
                const quint8 vt = quint8(t & ~SYMBOL_BASE_FLAG);
                if (!isKnownType(vt)) {
                    return fail(u"unknown data type code %1"_s.arg(t));
                }
                f.type = DataType(vt);
                f.st = f.form == DataForm::Set ? St::SetKeys : St::DictKeys;
                continue;
            }
            default:
                break;
            }
            if (setType(f, t) == Step::Error) {
                return Step::Error;
            }
            if (f.form == DataForm::Scalar) {
                if (f.symBase) {
                    return fail(u"a scalar cannot carry a symbol base"_s);
                }
                f.count = 1;
                startElements(f);
            } else if (f.form == DataForm::Matrix) {
                f.st = St::MatLabelFlags;
            } else {
                f.st = St::VecHeader;
            }
            continue;
        }
        case St::VecHeader: {
            const char *q = take(8);
            if (!q) {
                return Step::NeedMore;
            }
            f.rows = i32(q);
            f.cols = i32(q + 4);
            if (f.rows < 0) {
                return fail(u"negative element count %1"_s.arg(f.rows));
            }
            f.count = f.rows;
            startElements(f);
            continue;
        }
        case St::MatLabelFlags: {
            const char *q = take(1);
            if (!q) {
                return Step::NeedMore;
            }
            f.labelFlags = quint8(q[0]);
            if (f.labelFlags > 3) {
                return fail(u"invalid matrix label flags 0x%1"_s.arg(f.labelFlags, 2, 16, QLatin1Char('0')));
            }
            f.st = St::MatRowLabel;
            continue;
        }
        case St::MatRowLabel:
        case St::MatColLabel: {
            const bool row = f.st == St::MatRowLabel;
            if (!(f.labelFlags & (row ? 1 : 2))) {
                f.st = row ? St::MatColLabel : St::MatInnerFlag;
                continue;
            }
            if (!f.hasChild) {
                return Step::Push;
            }
            f.hasChild = false;
            if (f.child.form() != DataForm::Vector) {
                return fail(u"matrix labels must be a vector, got %1"_s.arg(f.child.describe()));
            }
            (row ? f.rowLabels : f.colLabels) = std::move(f.child);
            f.child = DdbValue();
            f.st = row ? St::MatColLabel : St::MatInnerFlag;
            continue;
        }
        case St::MatInnerFlag: {
            const char *q = take(2);
            if (!q) {
                return Step::NeedMore;
            }
            if (quint8(q[1]) != quint8(DataForm::Matrix)) {
                return fail(u"matrix data has form %1, expected 3 (MATRIX)"_s.arg(quint8(q[1])));
            }
            if (setType(f, quint8(q[0])) == Step::Error) {
                return Step::Error;
            }
            f.st = St::MatHeader;
            continue;
        }
        case St::MatHeader: {
            const char *q = take(8);
            if (!q) {
                return Step::NeedMore;
            }
            f.rows = i32(q);
            f.cols = i32(q + 4);
            if (f.rows < 0 || f.cols < 0) {
                return fail(u"negative matrix size %1 x %2"_s.arg(f.rows).arg(f.cols));
            }
            f.count = qint64(f.rows) * f.cols;
            if (f.count == 0 && qint64(f.rows) + f.cols > limits.maxVoidElements) {
                // An empty matrix whose other dimension is not backed by any byte.
                return fail(u"empty matrix of %1 x %2 is not plausible"_s.arg(f.rows).arg(f.cols));
            }
            startElements(f);
            continue;
        }
        case St::ElemScale:
        case St::ElemBaseHeader:
        case St::ElemBaseStrings:
        case St::ElemData:
        case St::ArrBlock:
        case St::ArrLengths:
        case St::ArrValues:
            return readElements(f);
        case St::SetKeys: {
            if (!f.hasChild) {
                return Step::Push;
            }
            f.hasChild = false;
            if (f.child.form() != DataForm::Vector) {
                return fail(u"set keys must be a vector, got %1"_s.arg(f.child.describe()));
            }
            f.result = DdbAccess::value(DataForm::Set, f.type, f.child.elements());
            return Step::Done;
        }
        case St::DictKeys: {
            if (!f.hasChild) {
                return Step::Push;
            }
            f.hasChild = false;
            if (f.child.form() != DataForm::Vector) {
                return fail(u"dictionary keys must be a vector, got %1"_s.arg(f.child.describe()));
            }
            f.keys = f.child.elements();
            f.child = DdbValue();
            f.st = St::DictValues;
            continue;
        }
        case St::DictValues: {
            if (!f.hasChild) {
                return Step::Push;
            }
            f.hasChild = false;
            if (f.child.form() != DataForm::Vector) {
                return fail(u"dictionary values must be a vector, got %1"_s.arg(f.child.describe()));
            }
            if (f.child.elements().size() != f.keys.size()) {
                return fail(u"dictionary has %1 keys but %2 values"_s.arg(f.keys.size())
                                .arg(f.child.elements().size()));
            }
            auto x = DdbAccess::makeExtra();
            x->values = f.child.elements();
            f.result = DdbAccess::value(f.form, f.type, f.keys, std::move(x));
            return Step::Done;
        }
        case St::TableHeader: {
            const char *q = take(8);
            if (!q) {
                return Step::NeedMore;
            }
            f.rows = i32(q);
            f.cols = i32(q + 4);
            if (f.rows < 0 || f.cols < 0) {
                return fail(u"negative table size %1 rows x %2 columns"_s.arg(f.rows).arg(f.cols));
            }
            f.st = St::TableName;
            continue;
        }
        case St::TableName: {
            const Step s = readName(f, &f.tableName, "table name");
            if (s != Step::Done) {
                return s;
            }
            f.index = 0;
            f.st = St::TableColNames;
            continue;
        }
        case St::TableColNames: {
            while (f.index < f.cols) {
                QString name;
                const Step s = readName(f, &name, "column name");
                if (s != Step::Done) {
                    return s;
                }
                f.names << name;
                ++f.index;
            }
            f.index = 0;
            f.st = St::TableColumns;
            continue;
        }
        case St::TableColumns: {
            if (f.hasChild) {
                f.hasChild = false;
                const QString &name = f.names.at(f.index);
                if (f.child.form() != DataForm::Vector) {
                    return fail(u"table column '%1' is not a vector (%2)"_s.arg(name, f.child.describe()));
                }
                if (f.child.elements().size() != f.rows) {
                    return fail(u"table column '%1' has %2 rows, the table header says %3"_s.arg(name)
                                    .arg(f.child.elements().size())
                                    .arg(f.rows));
                }
                f.columns << f.child.elements();
                f.child = DdbValue();
                ++f.index;
            }
            if (f.index < f.cols) {
                return Step::Push;
            }
            auto x = DdbAccess::makeExtra();
            x->name = f.tableName;
            x->names = f.names;
            x->columns = f.columns;
            f.result = DdbAccess::value(DataForm::Table, DataType(f.outerType), DdbVector(),
                                        std::move(x));
            return Step::Done;
        }
        }
    }
}

Step DdbDecoder::Private::setType(Frame &f, quint8 t)
{
    f.symBase = false;
    if (t & SYMBOL_BASE_FLAG) {
        if (quint8(t & ~SYMBOL_BASE_FLAG) != quint8(DataType::Symbol)) {
            return fail(u"unknown data type code %1 (0x%2)"_s.arg(t).arg(t, 2, 16, QLatin1Char('0')));
        }
        f.symBase = true;
        t = quint8(DataType::Symbol);
    } else if (t >= 64 && isKnownType(quint8(t - 64))) {
        const DataType leaf = DataType(t - 64);
        if (elementKind(leaf) != ElementKind::Fixed) {
            return fail(u"array vectors of %1 (type code %2) are not supported"_s.arg(typeName(leaf)).arg(t));
        }
        if (f.form != DataForm::Vector) {
            return fail(u"an array vector type (code %1) needs the VECTOR form"_s.arg(t));
        }
        f.arrayVector = true;
        f.type = leaf;
        return Step::Done;
    }
    if (!isKnownType(t)) {
        return fail(u"unknown data type code %1"_s.arg(t));
    }
    f.type = DataType(t);
    if (elementKind(f.type) == ElementKind::Unsupported) {
        return fail(u"data type %1 is not supported"_s.arg(typeName(f.type)));
    }
    return Step::Done;
}

void DdbDecoder::Private::startElements(Frame &f)
{
    if (isDecimal(f.type)) {
        f.st = St::ElemScale;
    } else if (f.symBase) {
        f.st = St::ElemBaseHeader;
    } else {
        enterData(f);
    }
}

void DdbDecoder::Private::enterData(Frame &f)
{
    f.st = St::ElemData;
    f.index = 0;
    f.data = DdbBuffer();
    f.offsets = DdbBuffer();
    if (f.arrayVector) {
        const qint64 zero = 0;
        f.offsets.append(&zero, sizeof zero);
        f.rowsDone = 0;
        f.leafTotal = 0;
        f.target = 0;
        f.st = St::ArrBlock;
        return;
    }
    if (f.symBase) {
        f.target = f.count * 4;
        return;
    }
    switch (elementKind(f.type)) {
    case ElementKind::Fixed:
        f.target = f.count * elementSize(f.type);
        break;
    case ElementKind::CString:
    case ElementKind::Blob:
    case ElementKind::FunctionDef: {
        const qint64 zero = 0;
        f.offsets.append(&zero, sizeof zero);
        f.elemStart = 0;
        f.blobLen = -1;
        f.fnKindRead = false;
        break;
    }
    default:
        break;
    }
}

Step DdbDecoder::Private::readElements(Frame &f)
{
    if (f.count > MAX_ELEMENTS) {
        return fail(u"element count %1 is not plausible"_s.arg(f.count));
    }
    if (elementKind(f.type) == ElementKind::Void && f.count > limits.maxVoidElements) {
        return fail(u"VOID vector of %1 elements exceeds the limit of %2"_s.arg(f.count).arg(limits.maxVoidElements));
    }
    for (;;) {
        switch (f.st) {
        case St::ElemScale: {
            const char *q = take(4);
            if (!q) {
                return Step::NeedMore;
            }
            f.scale = i32(q);
            if (f.scale < 0 || f.scale > 38) {
                return fail(u"invalid decimal scale %1"_s.arg(f.scale));
            }
            if (f.symBase) {
                f.st = St::ElemBaseHeader;
            } else {
                enterData(f);
            }
            continue;
        }
        case St::ElemBaseHeader: {
            const char *q = take(8);
            if (!q) {
                return Step::NeedMore;
            }
            f.baseId = i32(q);
            f.baseSize = i32(q + 4);
            if (f.baseSize < 0) {
                return fail(u"negative symbol base size %1"_s.arg(f.baseSize));
            }
            if (f.baseSize == 0) {
                const auto it = bases.constFind(f.baseId);
                if (it == bases.constEnd()) {
                    if (f.count == 0) {
                        // An empty vector referencing nothing: tolerate, keep an empty base.
                        f.base = std::make_shared<const DdbVector>(DdbVector::strings({QString()}));
                    } else {
                        return fail(u"symbol base %1 is referenced before it is defined"_s.arg(f.baseId));
                    }
                } else {
                    f.base = *it;
                }
                enterData(f);
                continue;
            }
            f.index = 0;
            f.data = DdbBuffer();
            f.offsets = DdbBuffer();
            const qint64 zero = 0;
            f.offsets.append(&zero, sizeof zero);
            f.elemStart = 0;
            f.st = St::ElemBaseStrings;
            continue;
        }
        case St::ElemBaseStrings: {
            while (f.index < f.baseSize) {
                const Step s = readTextElement(f, "symbol");
                if (s != Step::Done) {
                    return s;
                }
            }
            auto base = std::make_shared<const DdbVector>(DdbAccess::text(
                DataType::String, std::move(f.data), std::move(f.offsets), f.baseSize));
            bases.insert(f.baseId, base);
            f.base = std::move(base);
            enterData(f);
            continue;
        }
        case St::ElemData:
            return readData(f);
        case St::ArrBlock: {
            if (f.rowsDone == f.count) {
                return finishElements(f);
            }
            const char *q = take(4);
            if (!q) {
                return Step::NeedMore;
            }
            quint16 rows16;
            std::memcpy(&rows16, q, 2);
            f.blockRows = rows16;
            f.lengthWidth = quint8(q[2]);
            if (f.lengthWidth != 1 && f.lengthWidth != 2 && f.lengthWidth != 4) {
                return fail(u"array vector block with length width %1"_s.arg(f.lengthWidth));
            }
            if (f.blockRows == 0 || f.blockRows > f.count - f.rowsDone) {
                return fail(u"array vector block of %1 rows where %2 remain"_s.arg(f.blockRows)
                                .arg(f.count - f.rowsDone));
            }
            f.lengths.clear();
            f.st = St::ArrLengths;
            continue;
        }
        case St::ArrLengths: {
            const qint64 need = f.blockRows * f.lengthWidth - f.lengths.size();
            const qint64 n = std::min(need, avail());
            if (n > 0) {
                f.lengths.append(p, qsizetype(n));
                p += n;
            }
            if (f.lengths.size() < f.blockRows * f.lengthWidth) {
                return Step::NeedMore;
            }
            for (qint64 k = 0; k < f.blockRows; ++k) {
                quint32 len = 0;
                std::memcpy(&len, f.lengths.constData() + k * f.lengthWidth, size_t(f.lengthWidth));
                f.leafTotal += len;
                if (f.leafTotal > MAX_ELEMENTS) {
                    return fail(u"array vector with %1 values is not plausible"_s.arg(f.leafTotal));
                }
                if (!f.offsets.append(&f.leafTotal, sizeof f.leafTotal)) {
                    return fail(u"out of memory"_s);
                }
            }
            f.target = f.leafTotal * elementSize(f.type);
            f.st = St::ArrValues;
            continue;
        }
        case St::ArrValues: {
            const qint64 need = f.target - f.data.size();
            const qint64 n = std::min(need, avail());
            if (n > 0) {
                const qint64 size = f.data.size();
                if (size + n > f.data.capacity()) {
                    const qint64 cap = std::min(f.target, std::max(size + n, f.data.capacity() * 2));
                    if (!f.data.reserve(cap)) {
                        return fail(u"out of memory (%1 bytes)"_s.arg(cap));
                    }
                }
                std::memcpy(f.data.data() + size, p, size_t(n));
                f.data.setSize(size + n);
                p += n;
            }
            if (f.data.size() < f.target) {
                return Step::NeedMore;
            }
            f.rowsDone += f.blockRows;
            f.st = St::ArrBlock;
            continue;
        }
        default:
            return fail(u"internal decoder state"_s);
        }
    }
}

// One 0x00-terminated text element into f.data / f.offsets.
Step DdbDecoder::Private::readTextElement(Frame &f, const char *what)
{
    bool tooLong = false;
    bool oom = false;
    if (!readCString(f.data, f.elemStart, &tooLong, &oom)) {
        if (tooLong) {
            return fail(u"%1 element longer than %2 bytes"_s.arg(QLatin1StringView(what))
                            .arg(limits.maxElementBytes));
        }
        if (oom) {
            return fail(u"out of memory"_s);
        }
        return Step::NeedMore;
    }
    const qint64 textStart = f.elemStart + (f.type == DataType::FunctionDef && f.st == St::ElemData ? 1 : 0);
    const QByteArrayView text(f.data.data() + textStart, qsizetype(f.data.size() - 1 - textStart));
    if (!text.isValidUtf8()) {
        return fail(u"%1 element %2 is not valid UTF-8"_s.arg(QLatin1StringView(what)).arg(f.index));
    }
    const qint64 stop = f.data.size();
    if (!f.offsets.append(&stop, sizeof stop)) {
        return fail(u"out of memory"_s);
    }
    f.elemStart = stop;
    ++f.index;
    return Step::Done;
}

Step DdbDecoder::Private::readData(Frame &f)
{
    if (f.symBase || elementKind(f.type) == ElementKind::Fixed) {
        const qint64 need = f.target - f.data.size();
        const qint64 n = std::min(need, avail());
        if (n > 0) {
            const qint64 size = f.data.size();
            if (size + n > f.data.capacity()) {
                // Grow only with bytes that have arrived (at most ~2x them), never to the
                // claimed count up front.
                const qint64 cap = std::min(f.target, std::max(size + n, f.data.capacity() * 2));
                if (!f.data.reserve(cap)) {
                    return fail(u"out of memory (%1 bytes)"_s.arg(cap));
                }
            }
            std::memcpy(f.data.data() + size, p, size_t(n));
            f.data.setSize(size + n);
            p += n;
        }
        if (f.data.size() < f.target) {
            return Step::NeedMore;
        }
        return finishElements(f);
    }
    switch (elementKind(f.type)) {
    case ElementKind::Void:
        if (f.form == DataForm::Scalar) {
            const char *q = take(1);
            if (!q) {
                return Step::NeedMore;
            }
            const quint8 b = quint8(q[0]);
            f.result = DdbAccess::value(DataForm::Scalar, DataType::Void,
                                        DdbAccess::voids(1, b ? std::optional<quint8>(b) : std::nullopt));
            return Step::Done;
        }
        return finishElements(f);
    case ElementKind::CString:
        while (f.index < f.count) {
            const Step s = readTextElement(f, "text");
            if (s != Step::Done) {
                return s;
            }
        }
        return finishElements(f);
    case ElementKind::FunctionDef:
        while (f.index < f.count) {
            if (!f.fnKindRead) {
                const char *q = take(1);
                if (!q) {
                    return Step::NeedMore;
                }
                if (!f.data.append(q, 1)) {
                    return fail(u"out of memory"_s);
                }
                f.fnKindRead = true;
            }
            const Step s = readTextElement(f, "function name");
            if (s != Step::Done) {
                return s;
            }
            f.fnKindRead = false;
        }
        return finishElements(f);
    case ElementKind::Blob:
        while (f.index < f.count) {
            if (f.blobLen < 0) {
                const char *q = take(4);
                if (!q) {
                    return Step::NeedMore;
                }
                f.blobLen = i32(q);
                if (f.blobLen < 0) {
                    return fail(u"negative BLOB length %1"_s.arg(f.blobLen));
                }
                if (f.blobLen > limits.maxElementBytes) {
                    return fail(u"BLOB element of %1 bytes exceeds the limit of %2"_s.arg(f.blobLen)
                                    .arg(limits.maxElementBytes));
                }
                f.elemStart = f.data.size();
            }
            const qint64 have = f.data.size() - f.elemStart;
            const qint64 n = std::min<qint64>(f.blobLen - have, avail());
            if (n > 0 && !f.data.append(p, n)) {
                return fail(u"out of memory"_s);
            }
            p += n;
            if (f.data.size() - f.elemStart < f.blobLen) {
                return Step::NeedMore;
            }
            const qint64 stop = f.data.size();
            if (!f.offsets.append(&stop, sizeof stop)) {
                return fail(u"out of memory"_s);
            }
            f.blobLen = -1;
            ++f.index;
        }
        return finishElements(f);
    case ElementKind::Any:
        if (f.hasChild) {
            f.hasChild = false;
            f.anys.append(std::move(f.child));
            f.child = DdbValue();
            ++f.index;
        }
        if (f.index < f.count) {
            return Step::Push;
        }
        return finishElements(f);
    default:
        return fail(u"data type %1 is not supported"_s.arg(typeName(f.type)));
    }
}

Step DdbDecoder::Private::finishElements(Frame &f)
{
    DdbVector vec;
    if (f.arrayVector) {
        vec = DdbAccess::arrayVector(f.type, std::move(f.data), f.leafTotal, std::move(f.offsets), f.count,
                                     f.scale);
        f.result = DdbAccess::value(f.form, f.type, vec);
        return Step::Done;
    }
    if (f.symBase) {
        const auto *ix = reinterpret_cast<const qint32 *>(f.data.data());
        const quint32 baseSize = quint32(f.base->size());
        for (qint64 i = 0; i < f.count; ++i) {
            if (quint32(ix[i]) >= baseSize) {
                return fail(u"symbol index %1 at row %2 is outside the symbol base (%3 entries)"_s
                                .arg(ix[i])
                                .arg(i)
                                .arg(baseSize));
            }
        }
        vec = DdbAccess::symbolBase(f.base, std::move(f.data), f.count);
    } else {
        switch (elementKind(f.type)) {
        case ElementKind::Fixed:
            vec = DdbAccess::fixed(f.type, std::move(f.data), f.count, f.scale);
            break;
        case ElementKind::CString:
        case ElementKind::Blob:
        case ElementKind::FunctionDef:
            vec = DdbAccess::text(f.type, std::move(f.data), std::move(f.offsets), f.count);
            break;
        case ElementKind::Void:
            vec = DdbAccess::voids(f.count, std::nullopt);
            break;
        case ElementKind::Any:
            vec = DdbAccess::any(std::move(f.anys));
            break;
        default:
            return fail(u"data type %1 is not supported"_s.arg(typeName(f.type)));
        }
    }
    if (f.form == DataForm::Matrix) {
        auto x = DdbAccess::makeExtra();
        x->rows = f.rows;
        x->cols = f.cols;
        x->rowLabels = std::move(f.rowLabels);
        x->colLabels = std::move(f.colLabels);
        f.result = DdbAccess::value(DataForm::Matrix, f.type, vec, std::move(x));
    } else {
        f.result = DdbAccess::value(f.form, f.type, vec);
    }
    return Step::Done;
}

DdbDecoder::DdbDecoder()
    : DdbDecoder(Limits{})
{}

DdbDecoder::DdbDecoder(Limits limits)
    : d(std::make_unique<Private>())
{
    d->limits = limits;
}

DdbDecoder::~DdbDecoder() = default;

DdbDecoder::Status DdbDecoder::feed(const char *data, qsizetype size, qsizetype *consumed)
{
    if (consumed) {
        *consumed = 0;
    }
    if (d->status != Status::NeedMore) {
        return d->status;
    }
    d->begin = d->p = data;
    d->end = data + size;
    if (d->stack.empty()) {
        d->stack.push_back(std::make_unique<Frame>());
    }
    for (;;) {
        Frame &f = *d->stack.back();
        const Step s = d->run(f);
        if (s == Step::NeedMore) {
            break;
        }
        if (s == Step::Error) {
            d->status = Status::Failed;
            break;
        }
        if (s == Step::Push) {
            if (int(d->stack.size()) >= d->limits.maxDepth) {
                d->fail(u"objects nested deeper than %1 levels"_s.arg(d->limits.maxDepth));
                d->status = Status::Failed;
                break;
            }
            d->stack.push_back(std::make_unique<Frame>());
            continue;
        }
        DdbValue v = std::move(f.result);
        d->stack.pop_back();
        if (d->stack.empty()) {
            d->value = std::move(v);
            d->status = Status::Done;
            break;
        }
        Frame &parent = *d->stack.back();
        parent.child = std::move(v);
        parent.hasChild = true;
    }
    const qsizetype used = d->p - d->begin;
    d->consumedTotal += used;
    d->begin = d->p = d->end = nullptr;
    if (consumed) {
        *consumed = used;
    }
    return d->status;
}

DdbDecoder::Status DdbDecoder::status() const
{
    return d->status;
}

DdbValue DdbDecoder::takeValue()
{
    return std::exchange(d->value, DdbValue());
}

const Core::Error &DdbDecoder::error() const
{
    return d->error;
}

qint64 DdbDecoder::bytesConsumed() const
{
    return d->consumedTotal;
}

void DdbDecoder::reset()
{
    d->stack.clear();
    d->bases.clear();
    d->status = Status::NeedMore;
    d->error = Core::Error();
    d->value = DdbValue();
    d->consumedTotal = 0;
    d->scratchLen = 0;
}

Core::Result<DdbValue> DdbDecoder::decode(QByteArrayView bytes, qsizetype *consumed, Limits limits)
{
    DdbDecoder dec(limits);
    qsizetype used = 0;
    switch (dec.feed(bytes.data(), bytes.size(), &used)) {
    case Status::Done:
        if (consumed) {
            *consumed = used;
        }
        return dec.takeValue();
    case Status::Failed:
        return dec.error();
    case Status::NeedMore:
        break;
    }
    return Core::Error(Core::ErrorCode::Protocol,
                       u"incomplete DolphinDB object: the input ended after %1 bytes"_s.arg(bytes.size()));
}

} // namespace GrayStep::DolphinDb
