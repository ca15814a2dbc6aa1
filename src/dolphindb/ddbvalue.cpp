// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/ddbvalue.h"

#include "dolphindb/ddbaccess_p.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QtEndian>

#include <cmath>
#include <cstdlib>
#include <cstring>

#if defined(Q_OS_LINUX)
#include <sys/mman.h>
#endif

using namespace Qt::Literals::StringLiterals;

static_assert(Q_BYTE_ORDER == Q_LITTLE_ENDIAN,
              "graystep_dolphindb keeps wire buffers in place and needs a little-endian host");

namespace GrayStep::DolphinDb {

// ---------------------------------------------------------------- type table

ElementKind elementKind(DataType type)
{
    switch (type) {
    case DataType::Void:
        return ElementKind::Void;
    case DataType::Symbol:
    case DataType::String:
    case DataType::Handle:
    case DataType::Code:
    case DataType::DataSource:
    case DataType::Resource:
        return ElementKind::CString;
    case DataType::Blob:
        return ElementKind::Blob;
    case DataType::FunctionDef:
        return ElementKind::FunctionDef;
    case DataType::Any:
        return ElementKind::Any;
    case DataType::Compress:
    case DataType::DictionaryType:
    case DataType::Decimal:
        return ElementKind::Unsupported;
    default:
        return elementSize(type) > 0 ? ElementKind::Fixed : ElementKind::Unsupported;
    }
}

int elementSize(DataType type)
{
    switch (type) {
    case DataType::Bool:
    case DataType::Char:
        return 1;
    case DataType::Short:
        return 2;
    case DataType::Int:
    case DataType::Date:
    case DataType::Month:
    case DataType::Time:
    case DataType::Minute:
    case DataType::Second:
    case DataType::DateTime:
    case DataType::DateHour:
    case DataType::DateMinute:
    case DataType::Float:
    case DataType::Decimal32:
        return 4;
    case DataType::Long:
    case DataType::Timestamp:
    case DataType::NanoTime:
    case DataType::NanoTimestamp:
    case DataType::Double:
    case DataType::Duration:
    case DataType::Decimal64:
        return 8;
    case DataType::Uuid:
    case DataType::IpAddr:
    case DataType::Int128:
    case DataType::Complex:
    case DataType::Point:
    case DataType::Decimal128:
        return 16;
    default:
        return 0;
    }
}

bool isDecimal(DataType type)
{
    return type == DataType::Decimal32 || type == DataType::Decimal64 || type == DataType::Decimal128;
}

bool isTemporal(DataType type)
{
    const auto c = quint8(type);
    return (c >= quint8(DataType::Date) && c <= quint8(DataType::NanoTimestamp))
        || type == DataType::DateHour || type == DataType::DateMinute;
}

namespace {
const char *const TYPE_NAMES[] = {
    "VOID", "BOOL", "CHAR", "SHORT", "INT", "LONG", "DATE", "MONTH", "TIME", "MINUTE",
    "SECOND", "DATETIME", "TIMESTAMP", "NANOTIME", "NANOTIMESTAMP", "FLOAT", "DOUBLE",
    "SYMBOL", "STRING", "UUID", "FUNCTIONDEF", "HANDLE", "CODE", "DATASOURCE", "RESOURCE",
    "ANY", "COMPRESS", "DICTIONARY", "DATEHOUR", "DATEMINUTE", "IPADDR", "INT128", "BLOB",
    "DECIMAL", "COMPLEX", "POINT", "DURATION", "DECIMAL32", "DECIMAL64", "DECIMAL128",
};
constexpr int TYPE_COUNT = int(sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]));
} // namespace

bool isKnownType(quint8 code)
{
    return code < TYPE_COUNT;
}

QString typeName(DataType type)
{
    const int c = int(type);
    if (c < TYPE_COUNT) {
        return QString::fromLatin1(TYPE_NAMES[c]);
    }
    return u"TYPE%1"_s.arg(c);
}

std::optional<DataType> typeFromName(QStringView name)
{
    for (int i = 0; i < TYPE_COUNT; ++i) {
        if (name.compare(QLatin1StringView(TYPE_NAMES[i]), Qt::CaseInsensitive) == 0) {
            return DataType(i);
        }
    }
    return std::nullopt;
}

QString formName(DataForm form)
{
    switch (form) {
    case DataForm::Scalar: return u"SCALAR"_s;
    case DataForm::Vector: return u"VECTOR"_s;
    case DataForm::Pair: return u"PAIR"_s;
    case DataForm::Matrix: return u"MATRIX"_s;
    case DataForm::Set: return u"SET"_s;
    case DataForm::Dictionary: return u"DICTIONARY"_s;
    case DataForm::Table: return u"TABLE"_s;
    case DataForm::Chart: return u"CHART"_s;
    case DataForm::Chunk: return u"CHUNK"_s;
    case DataForm::SysObj: return u"SYSOBJ"_s;
    }
    return u"FORM%1"_s.arg(int(form));
}

// ---------------------------------------------------------------- DdbBuffer

namespace {
#if defined(Q_OS_LINUX)
constexpr qint64 MAP_THRESHOLD = 4LL << 20;
constexpr qint64 HUGE_PAGE = 2LL << 20;
#endif
} // namespace

DdbBuffer::~DdbBuffer()
{
    release();
}

void DdbBuffer::release()
{
#if defined(Q_OS_LINUX)
    if (m_mapped) {
        ::munmap(m_data, size_t(m_capacity));
        m_data = nullptr;
        m_mapped = false;
        return;
    }
#endif
    std::free(m_data);
    m_data = nullptr;
}

DdbBuffer::DdbBuffer(DdbBuffer &&other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
    , m_capacity(std::exchange(other.m_capacity, 0))
    , m_mapped(std::exchange(other.m_mapped, false))
{}

DdbBuffer &DdbBuffer::operator=(DdbBuffer &&other) noexcept
{
    if (this != &other) {
        release();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_capacity = std::exchange(other.m_capacity, 0);
        m_mapped = std::exchange(other.m_mapped, false);
    }
    return *this;
}

bool DdbBuffer::reserve(qint64 capacity)
{
    if (capacity <= m_capacity) {
        return true;
    }
    if (capacity < 0 || quint64(capacity) > quint64(std::numeric_limits<size_t>::max() / 2)) {
        return false;
    }
#if defined(Q_OS_LINUX)
    if (capacity >= MAP_THRESHOLD) {
        const qint64 cap = (capacity + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        void *p = nullptr;
        if (m_mapped) {
            p = ::mremap(m_data, size_t(m_capacity), size_t(cap), MREMAP_MAYMOVE);
        } else {
            p = ::mmap(nullptr, size_t(cap), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        }
        if (p == MAP_FAILED) {
            return false;
        }
        ::madvise(p, size_t(cap), MADV_HUGEPAGE);
        if (!m_mapped) {
            if (m_size > 0) {
                std::memcpy(p, m_data, size_t(m_size));
            }
            std::free(m_data);
        }
        m_data = static_cast<char *>(p);
        m_capacity = cap;
        m_mapped = true;
        return true;
    }
#endif
    void *p = std::realloc(m_data, size_t(capacity));
    if (!p) {
        return false;
    }
    m_data = static_cast<char *>(p);
    m_capacity = capacity;
    return true;
}

bool DdbBuffer::append(const void *bytes, qint64 count)
{
    if (count <= 0) {
        return true;
    }
    if (m_size + count > m_capacity) {
        if (!reserve(std::max(m_size + count, m_capacity + m_capacity / 2 + 16))) {
            return false;
        }
    }
    std::memcpy(m_data + m_size, bytes, size_t(count));
    m_size += count;
    return true;
}

void DdbBuffer::squeeze()
{
    if (!m_mapped && m_capacity > m_size && m_size > 0) {
        if (void *p = std::realloc(m_data, size_t(m_size))) {
            m_data = static_cast<char *>(p);
            m_capacity = m_size;
        }
    }
}

// ---------------------------------------------------------------- temporal

namespace {

qint64 floorDiv(qint64 a, qint64 b)
{
    qint64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        --q;
    }
    return q;
}

constexpr qint64 EPOCH_JULIAN_DAY = 2440588;  // 1970-01-01

QString dateText(qint64 days)
{
    const QDate d = QDate::fromJulianDay(EPOCH_JULIAN_DAY + days);
    return QString::asprintf("%04d.%02d.%02d", d.year(), d.month(), d.day());
}

QString clockText(qint64 secondsOfDay)
{
    return QString::asprintf("%02lld:%02lld:%02lld", secondsOfDay / 3600, (secondsOfDay / 60) % 60,
                             secondsOfDay % 60);
}

} // namespace

namespace Temporal {

qint32 dateFromQDate(QDate date)
{
    return qint32(date.toJulianDay() - EPOCH_JULIAN_DAY);
}

QDate qdateFromDate(qint32 days)
{
    return QDate::fromJulianDay(EPOCH_JULIAN_DAY + days);
}

qint32 monthFromYearMonth(int year, int month)
{
    return qint32(year * 12 + (month - 1));
}

qint64 timestampFromDateTime(const QDateTime &dt)
{
    // Wall clock of dt, taken as if it were UTC (DolphinDB temporals carry no zone).
    const QDate d = dt.date();
    const QTime t = dt.time();
    return (d.toJulianDay() - EPOCH_JULIAN_DAY) * 86400000LL + t.msecsSinceStartOfDay();
}

QDateTime dateTimeFromTimestamp(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
}

QString format(DataType type, qint64 v)
{
    switch (type) {
    case DataType::Date:
        return v == NULL_INT ? QString() : dateText(v);
    case DataType::Month: {
        if (v == NULL_INT) {
            return {};
        }
        const qint64 y = floorDiv(v, 12);
        return QString::asprintf("%04lld.%02lldM", y, v - y * 12 + 1);
    }
    case DataType::Time:
        return v == NULL_INT ? QString()
                             : clockText(v / 1000) % QString::asprintf(".%03lld", v % 1000);
    case DataType::Minute:
        return v == NULL_INT ? QString() : QString::asprintf("%02lld:%02lldm", v / 60, v % 60);
    case DataType::Second:
        return v == NULL_INT ? QString() : clockText(v);
    case DataType::DateTime: {
        if (v == NULL_INT) {
            return {};
        }
        const qint64 d = floorDiv(v, 86400);
        return dateText(d) % u'T' % clockText(v - d * 86400);
    }
    case DataType::Timestamp: {
        if (v == NULL_LONG) {
            return {};
        }
        const qint64 d = floorDiv(v, 86400000);
        const qint64 ms = v - d * 86400000;
        return dateText(d) % u'T' % clockText(ms / 1000) % QString::asprintf(".%03lld", ms % 1000);
    }
    case DataType::NanoTime:
        return v == NULL_LONG ? QString()
                              : clockText(v / 1000000000) % QString::asprintf(".%09lld", v % 1000000000);
    case DataType::NanoTimestamp: {
        if (v == NULL_LONG) {
            return {};
        }
        const qint64 d = floorDiv(v, 86400000000000LL);
        const qint64 ns = v - d * 86400000000000LL;
        return dateText(d) % u'T' % clockText(ns / 1000000000)
            % QString::asprintf(".%09lld", ns % 1000000000);
    }
    case DataType::DateHour: {
        if (v == NULL_INT) {
            return {};
        }
        const qint64 d = floorDiv(v, 24);
        return dateText(d) % QString::asprintf("T%02lld", v - d * 24);
    }
    case DataType::DateMinute: {
        if (v == NULL_INT) {
            return {};
        }
        const qint64 d = floorDiv(v, 1440);
        const qint64 m = v - d * 1440;
        return dateText(d) % QString::asprintf("T%02lld:%02lldm", m / 60, m % 60);
    }
    default:
        return QString::number(v);
    }
}

} // namespace Temporal

// ---------------------------------------------------------------- DdbVector

namespace {

template<typename T>
T readAt(const char *base, qint64 i)
{
    T v;
    std::memcpy(&v, base + i * qint64(sizeof(T)), sizeof(T));
    return v;
}

bool allZero(const char *p, int n)
{
    for (int i = 0; i < n; ++i) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

bool isInt128Null(const char *p)
{
    // INT128 minimum: 0x8000...0000 stored little-endian.
    return quint8(p[15]) == 0x80 && allZero(p, 15);
}

QString decimalText(qint64 unscaled, int scale)
{
    const bool neg = unscaled < 0;
    quint64 mag = neg ? quint64(0) - quint64(unscaled) : quint64(unscaled);
    QString digits = QString::number(mag);
    if (scale > 0) {
        if (digits.size() <= scale) {
            digits = QString(scale - digits.size() + 1, u'0') + digits;
        }
        digits.insert(digits.size() - scale, u'.');
    }
    return neg ? u'-' + digits : digits;
}

const char *const DURATION_UNITS[] = {"ns", "us", "ms", "s", "m", "H", "d", "w", "M", "y", "B"};

} // namespace

const char *DdbVector::rawData() const
{
    return m_data ? m_data->data() : nullptr;
}

qint64 DdbVector::rawSize() const
{
    return m_data ? m_data->size() : 0;
}

const qint64 *DdbVector::arrayOffsets() const
{
    return m_arrayOffsets ? reinterpret_cast<const qint64 *>(m_arrayOffsets->data()) : nullptr;
}

qint64 DdbVector::leafCount() const
{
    return m_arrayOffsets ? arrayOffsets()[m_size] : m_size;
}

DdbVector DdbVector::leaves() const
{
    DdbVector v = *this;
    v.m_arrayOffsets.reset();
    v.m_size = leafCount();
    return v;
}

DdbVector DdbVector::arrayAt(qint64 i) const
{
    if (!m_arrayOffsets || i < 0 || i >= m_size) {
        return {};
    }
    const qint64 *o = arrayOffsets();
    const int es = elementSize(m_type);
    return fromRaw(m_type, rawData() + o[i] * es, o[i + 1] - o[i], m_scale);
}

DdbVector DdbVector::arrayVector(DataType type, const QList<DdbVector> &rows)
{
    DdbBuffer leaves;
    DdbBuffer offs;
    qint64 total = 0;
    offs.append(&total, sizeof total);
    const int es = elementSize(type);
    qint32 scale = 0;
    for (const DdbVector &r : rows) {
        Q_ASSERT(r.type() == type && !r.isArrayVector());
        leaves.append(r.rawData(), r.size() * es);
        total += r.size();
        scale = r.decimalScale();
        offs.append(&total, sizeof total);
    }
    return DdbAccess::arrayVector(type, std::move(leaves), total, std::move(offs), rows.size(), scale);
}

const DdbVector &DdbVector::symbolBase() const
{
    static const DdbVector empty;
    return m_base ? *m_base : empty;
}

const qint64 *DdbVector::offsets() const
{
    return m_offsets ? reinterpret_cast<const qint64 *>(m_offsets->data()) : nullptr;
}

bool DdbVector::isNull(qint64 i) const
{
    if (i < 0 || i >= m_size) {
        return true;
    }
    if (m_arrayOffsets) {
        return arrayOffsets()[i + 1] == arrayOffsets()[i];
    }
    if (m_base) {
        const qint32 idx = symbolIndices()[i];
        return idx == 0 || m_base->bytesAt(idx).isEmpty();
    }
    const char *p = rawData();
    switch (m_type) {
    case DataType::Void:
        return true;
    case DataType::Bool:
    case DataType::Char:
        return readAt<qint8>(p, i) == NULL_INT8;
    case DataType::Short:
        return readAt<qint16>(p, i) == NULL_SHORT;
    case DataType::Float:
        return readAt<float>(p, i) == NULL_FLOAT || std::isnan(readAt<float>(p, i));
    case DataType::Double:
        return readAt<double>(p, i) == NULL_DOUBLE || std::isnan(readAt<double>(p, i));
    case DataType::Uuid:
    case DataType::IpAddr:
        return allZero(p + i * 16, 16);
    case DataType::Int128:
    case DataType::Decimal128:
        return isInt128Null(p + i * 16);
    case DataType::Complex:
    case DataType::Point:
        return readAt<double>(p + i * 16, 0) == NULL_DOUBLE;
    case DataType::Duration:
        return readAt<qint32>(p + i * 8, 0) == NULL_INT;
    case DataType::Any:
        return m_any->at(i).isNull();
    default:
        break;
    }
    switch (kind()) {
    case ElementKind::Fixed:
        if (elementSize(m_type) == 4) {
            return readAt<qint32>(p, i) == NULL_INT;
        }
        if (elementSize(m_type) == 8) {
            return readAt<qint64>(p, i) == NULL_LONG;
        }
        return false;
    case ElementKind::CString:
    case ElementKind::Blob:
    case ElementKind::FunctionDef:
        return bytesAt(i).isEmpty();
    default:
        return false;
    }
}

qint64 DdbVector::intAt(qint64 i) const
{
    if (i < 0 || i >= m_size || m_arrayOffsets) {
        return NULL_LONG;
    }
    if (m_base) {
        return symbolIndices()[i];
    }
    const char *p = rawData();
    switch (m_type) {
    case DataType::Bool:
    case DataType::Char: {
        const qint8 v = readAt<qint8>(p, i);
        return v == NULL_INT8 ? NULL_LONG : v;
    }
    case DataType::Short: {
        const qint16 v = readAt<qint16>(p, i);
        return v == NULL_SHORT ? NULL_LONG : v;
    }
    case DataType::Float: {
        const float f = readAt<float>(p, i);
        return (f == NULL_FLOAT || std::isnan(f) || std::fabs(f) > 9.2e18f) ? NULL_LONG : qint64(f);
    }
    case DataType::Double: {
        const double d = readAt<double>(p, i);
        return (d == NULL_DOUBLE || std::isnan(d) || std::fabs(d) > 9.2e18) ? NULL_LONG : qint64(d);
    }
    case DataType::Any:
        return m_any->at(i).toInt64();
    default:
        break;
    }
    if (kind() == ElementKind::Fixed) {
        if (elementSize(m_type) == 4) {
            const qint32 v = readAt<qint32>(p, i);
            return v == NULL_INT ? NULL_LONG : v;
        }
        if (elementSize(m_type) == 8 && m_type != DataType::Duration) {
            return readAt<qint64>(p, i);
        }
    }
    if (kind() == ElementKind::CString) {
        bool ok = false;
        const qint64 v = bytesAt(i).trimmed().toLongLong(&ok);
        return ok ? v : NULL_LONG;
    }
    return NULL_LONG;
}

double DdbVector::doubleAt(qint64 i) const
{
    if (isNull(i) || m_arrayOffsets) {
        return std::nan("");
    }
    const char *p = rawData();
    switch (m_type) {
    case DataType::Float:
        return readAt<float>(p, i);
    case DataType::Double:
        return readAt<double>(p, i);
    case DataType::Decimal32:
    case DataType::Decimal64:
        return double(intAt(i)) / std::pow(10.0, m_scale);
    case DataType::Any:
        return m_any->at(i).toDouble();
    default:
        break;
    }
    if (kind() == ElementKind::CString) {
        bool ok = false;
        const double v = bytesAt(i).trimmed().toDouble(&ok);
        return ok ? v : std::nan("");
    }
    const qint64 v = intAt(i);
    return v == NULL_LONG ? std::nan("") : double(v);
}

QByteArray DdbVector::bytesAt(qint64 i) const
{
    if (i < 0 || i >= m_size) {
        return {};
    }
    if (m_base) {
        const qint32 idx = symbolIndices()[i];
        return m_base->bytesAt(idx);
    }
    const char *p = rawData();
    if (m_arrayOffsets) {
        const qint64 *o = arrayOffsets();
        const int es = elementSize(m_type);
        return QByteArray(p + o[i] * es, qsizetype((o[i + 1] - o[i]) * es));
    }
    switch (kind()) {
    case ElementKind::Fixed: {
        const int n = elementSize(m_type);
        return QByteArray(p + i * n, n);
    }
    case ElementKind::CString: {
        const qint64 *o = offsets();
        return QByteArray(p + o[i], qsizetype(o[i + 1] - o[i] - 1));
    }
    case ElementKind::FunctionDef: {
        const qint64 *o = offsets();
        return QByteArray(p + o[i] + 1, qsizetype(o[i + 1] - o[i] - 2));
    }
    case ElementKind::Blob: {
        const qint64 *o = offsets();
        return QByteArray(p + o[i], qsizetype(o[i + 1] - o[i]));
    }
    default:
        return {};
    }
}

int DdbVector::functionKindAt(qint64 i) const
{
    if (m_type != DataType::FunctionDef || i < 0 || i >= m_size) {
        return -1;
    }
    return quint8(rawData()[offsets()[i]]);
}

QUuid DdbVector::uuidAt(qint64 i) const
{
    if (elementSize(m_type) != 16 || i < 0 || i >= m_size) {
        return {};
    }
    const char *p = rawData() + i * 16;
    uchar b[16];
    for (int k = 0; k < 16; ++k) {
        b[k] = uchar(p[15 - k]);
    }
    return QUuid::fromRfc4122(QByteArrayView(reinterpret_cast<const char *>(b), 16));
}

QString DdbVector::stringAt(qint64 i) const
{
    switch (kind()) {
    case ElementKind::CString:
    case ElementKind::FunctionDef:
    case ElementKind::Blob:
        return QString::fromUtf8(bytesAt(i));
    default:
        return formatAt(i);
    }
}

const DdbValue &DdbVector::anyAt(qint64 i) const
{
    static const DdbValue nothing;
    if (!m_any || i < 0 || i >= m_any->size()) {
        return nothing;
    }
    return m_any->at(i);
}

QString DdbVector::formatAt(qint64 i) const
{
    if (i < 0 || i >= m_size) {
        return {};
    }
    if (m_type == DataType::Any) {
        return m_any->at(i).toString();
    }
    if (m_arrayOffsets) {
        const DdbVector row = arrayAt(i);
        QStringList items;
        for (qint64 k = 0; k < row.size(); ++k) {
            items << row.formatAt(k);
        }
        return u'[' + items.join(u',') + u']';
    }
    if (m_type == DataType::Void || isNull(i)) {
        return {};
    }
    if (m_base || kind() == ElementKind::CString || kind() == ElementKind::FunctionDef
        || kind() == ElementKind::Blob) {
        return QString::fromUtf8(bytesAt(i));
    }
    const char *p = rawData();
    switch (m_type) {
    case DataType::Bool:
        return readAt<qint8>(p, i) ? u"true"_s : u"false"_s;
    case DataType::Char:
    case DataType::Short:
    case DataType::Int:
    case DataType::Long:
        return QString::number(intAt(i));
    case DataType::Float:
        return QString::number(double(readAt<float>(p, i)), 'g', QLocale::FloatingPointShortest);
    case DataType::Double:
        return QString::number(readAt<double>(p, i), 'g', QLocale::FloatingPointShortest);
    case DataType::Decimal32:
    case DataType::Decimal64:
        return decimalText(intAt(i), m_scale);
    case DataType::Uuid:
        return uuidAt(i).toString(QUuid::WithoutBraces);
    case DataType::IpAddr: {
        const char *e = p + i * 16;
        if (allZero(e + 4, 12)) {
            return QString::asprintf("%u.%u.%u.%u", quint8(e[3]), quint8(e[2]), quint8(e[1]),
                                     quint8(e[0]));
        }
        QStringList groups;
        for (int k = 7; k >= 0; --k) {
            groups << QString::number(quint16(quint8(e[2 * k + 1]) << 8 | quint8(e[2 * k])), 16);
        }
        return groups.join(u':');
    }
    case DataType::Int128:
    case DataType::Decimal128: {
        QByteArray b = bytesAt(i);
        std::reverse(b.begin(), b.end());
        return QString::fromLatin1(b.toHex());
    }
    case DataType::Complex:
        return QString::number(readAt<double>(p + i * 16, 0)) % u'+'
            % QString::number(readAt<double>(p + i * 16, 1)) % u'i';
    case DataType::Point:
        return u'(' % QString::number(readAt<double>(p + i * 16, 0)) % u", "_s
            % QString::number(readAt<double>(p + i * 16, 1)) % u')';
    case DataType::Duration: {
        const qint32 v = readAt<qint32>(p + i * 8, 0);
        const qint32 unit = readAt<qint32>(p + i * 8, 1);
        const QString u = (unit >= 0 && unit <= 10) ? QString::fromLatin1(DURATION_UNITS[unit])
                                                    : u"?"_s;
        return QString::number(v) + u;
    }
    default:
        break;
    }
    if (isTemporal(m_type)) {
        return Temporal::format(m_type, elementSize(m_type) == 4 ? qint64(readAt<qint32>(p, i))
                                                                 : readAt<qint64>(p, i));
    }
    return QString::fromLatin1(bytesAt(i).toHex());
}

QJsonValue DdbVector::jsonAt(qint64 i) const
{
    if (m_type == DataType::Any) {
        return anyAt(i).toJson();
    }
    if (m_arrayOffsets) {
        const DdbVector row = arrayAt(i);
        QJsonArray a;
        for (qint64 k = 0; k < row.size(); ++k) {
            a.append(row.jsonAt(k));
        }
        return a;
    }
    if (isNull(i)) {
        return QJsonValue::Null;
    }
    switch (m_type) {
    case DataType::Bool:
        return bool(intAt(i));
    case DataType::Char:
    case DataType::Short:
    case DataType::Int:
    case DataType::Long:
        return QJsonValue(intAt(i));
    case DataType::Float:
    case DataType::Double:
        return doubleAt(i);
    case DataType::Decimal32:
    case DataType::Decimal64:
        return doubleAt(i);
    default:
        return formatAt(i);
    }
}

bool DdbVector::operator==(const DdbVector &other) const
{
    if (m_type != other.m_type || m_size != other.m_size || m_scale != other.m_scale
        || bool(m_arrayOffsets) != bool(other.m_arrayOffsets)) {
        return false;
    }
    if (m_arrayOffsets) {
        return m_arrayOffsets->size() == other.m_arrayOffsets->size()
            && std::memcmp(m_arrayOffsets->data(), other.m_arrayOffsets->data(), size_t(m_arrayOffsets->size())) == 0
            && rawSize() == other.rawSize()
            && (rawSize() == 0 || std::memcmp(rawData(), other.rawData(), size_t(rawSize())) == 0);
    }
    if (m_base || other.m_base || kind() == ElementKind::CString || kind() == ElementKind::Blob
        || kind() == ElementKind::FunctionDef) {
        for (qint64 i = 0; i < m_size; ++i) {
            if (bytesAt(i) != other.bytesAt(i) || functionKindAt(i) != other.functionKindAt(i)) {
                return false;
            }
        }
        return true;
    }
    switch (kind()) {
    case ElementKind::Void:
        return DdbAccess::voidScalarByte(*this) == DdbAccess::voidScalarByte(other);
    case ElementKind::Fixed:
        return rawSize() == other.rawSize()
            && (rawSize() == 0 || std::memcmp(rawData(), other.rawData(), size_t(rawSize())) == 0);
    case ElementKind::Any:
        return *m_any == *other.m_any;
    default:
        return true;
    }
}

// ---- builders

DdbVector DdbVector::fromRaw(DataType type, const void *bytes, qint64 count, qint32 decimalScale)
{
    DdbBuffer b;
    const qint64 n = count * elementSize(type);
    if (n > 0) {
        b.reserve(n);
        b.append(bytes, n);
    }
    return DdbAccess::fixed(type, std::move(b), count, decimalScale);
}

DdbVector DdbVector::fromRaw(DataType type, const QByteArray &bytes, qint32 decimalScale)
{
    const int es = elementSize(type);
    const qint64 count = es > 0 ? bytes.size() / es : 0;
    return fromRaw(type, bytes.constData(), count, decimalScale);
}

DdbVector DdbVector::bools(const QList<qint8> &values)
{
    return fromRaw(DataType::Bool, values.constData(), values.size());
}

DdbVector DdbVector::chars(const QList<qint8> &values)
{
    return fromRaw(DataType::Char, values.constData(), values.size());
}

DdbVector DdbVector::shorts(const QList<qint16> &values)
{
    return fromRaw(DataType::Short, values.constData(), values.size());
}

DdbVector DdbVector::int32s(DataType type, const QList<qint32> &values)
{
    Q_ASSERT(elementSize(type) == 4);
    return fromRaw(type, values.constData(), values.size());
}

DdbVector DdbVector::int64s(DataType type, const QList<qint64> &values)
{
    Q_ASSERT(elementSize(type) == 8);
    return fromRaw(type, values.constData(), values.size());
}

DdbVector DdbVector::floats(const QList<float> &values)
{
    return fromRaw(DataType::Float, values.constData(), values.size());
}

DdbVector DdbVector::doubles(const QList<double> &values)
{
    return fromRaw(DataType::Double, values.constData(), values.size());
}

DdbVector DdbVector::decimal32s(qint32 scale, const QList<qint32> &values)
{
    return fromRaw(DataType::Decimal32, values.constData(), values.size(), scale);
}

DdbVector DdbVector::decimal64s(qint32 scale, const QList<qint64> &values)
{
    return fromRaw(DataType::Decimal64, values.constData(), values.size(), scale);
}

DdbVector DdbVector::uuids(DataType type, const QList<QUuid> &values)
{
    QByteArray raw;
    raw.reserve(values.size() * 16);
    for (const QUuid &u : values) {
        QByteArray b = u.toRfc4122();
        std::reverse(b.begin(), b.end());
        raw += b;
    }
    return fromRaw(type, raw);
}

DdbVector DdbVector::utf8Strings(DataType type, const QList<QByteArray> &values)
{
    DdbBuffer bytes;
    DdbBuffer offs;
    qint64 off = 0;
    offs.append(&off, sizeof off);
    for (const QByteArray &v : values) {
        const qsizetype nul = v.indexOf('\0');
        const QByteArray text = nul >= 0 ? v.left(nul) : v;
        bytes.append(text.constData(), text.size());
        const char zero = 0;
        bytes.append(&zero, 1);
        off = bytes.size();
        offs.append(&off, sizeof off);
    }
    if (elementKind(type) != ElementKind::CString) {
        type = DataType::String;
    }
    return DdbAccess::text(type, std::move(bytes), std::move(offs), values.size());
}

DdbVector DdbVector::strings(DataType type, const QStringList &values)
{
    QList<QByteArray> utf8;
    utf8.reserve(values.size());
    for (const QString &s : values) {
        utf8 << s.toUtf8();
    }
    return utf8Strings(type, utf8);
}

DdbVector DdbVector::symbols(const QStringList &values)
{
    QStringList base{QString()};
    QHash<QString, qint32> index;
    index.insert(QString(), 0);
    QList<qint32> indices;
    indices.reserve(values.size());
    for (const QString &s : values) {
        auto it = index.constFind(s);
        if (it == index.constEnd()) {
            it = index.insert(s, qint32(base.size()));
            base << s;
        }
        indices << *it;
    }
    return symbols(strings(DataType::String, base), indices);
}

DdbVector DdbVector::symbols(const DdbVector &base, const QList<qint32> &indices)
{
    DdbBuffer b;
    b.append(indices.constData(), indices.size() * qint64(sizeof(qint32)));
    return DdbAccess::symbolBase(std::make_shared<const DdbVector>(base), std::move(b),
                                 indices.size());
}

DdbVector DdbVector::blobs(const QList<QByteArray> &values)
{
    DdbBuffer bytes;
    DdbBuffer offs;
    qint64 off = 0;
    offs.append(&off, sizeof off);
    for (const QByteArray &v : values) {
        bytes.append(v.constData(), v.size());
        off = bytes.size();
        offs.append(&off, sizeof off);
    }
    return DdbAccess::text(DataType::Blob, std::move(bytes), std::move(offs), values.size());
}

DdbVector DdbVector::anys(const QList<DdbValue> &values)
{
    QList<DdbValue> copy = values;
    return DdbAccess::any(std::move(copy));
}

DdbVector DdbVector::voids(qint64 count)
{
    return DdbAccess::voids(count, std::nullopt);
}

DdbVector DdbVector::functionDef(int kind, const QString &name)
{
    DdbBuffer bytes;
    DdbBuffer offs;
    const char k = char(kind);
    const QByteArray n = name.toUtf8();
    bytes.append(&k, 1);
    bytes.append(n.constData(), n.size());
    const char zero = 0;
    bytes.append(&zero, 1);
    qint64 off = 0;
    offs.append(&off, sizeof off);
    off = bytes.size();
    offs.append(&off, sizeof off);
    return DdbAccess::text(DataType::FunctionDef, std::move(bytes), std::move(offs), 1);
}

// ---------------------------------------------------------------- DdbValue

DdbValue::DdbValue()
    : m_elements(DdbAccess::voids(1, std::nullopt))
{}

bool DdbValue::isNull() const
{
    if (m_form != DataForm::Scalar) {
        return false;
    }
    if (m_type == DataType::Void) {
        return true;
    }
    return m_elements.isNull(0);
}

const DdbVector &DdbValue::dictionaryValues() const
{
    static const DdbVector empty;
    // CHART is encoded like a dictionary (PROTOCOL.md §4.2).
    return ((m_form == DataForm::Dictionary || m_form == DataForm::Chart) && m_extra) ? m_extra->values : empty;
}

QString DdbValue::tableName() const
{
    return (m_form == DataForm::Table && m_extra) ? m_extra->name : QString();
}

qint64 DdbValue::rowCount() const
{
    switch (m_form) {
    case DataForm::Table:
        return (m_extra && !m_extra->columns.isEmpty()) ? m_extra->columns.first().size() : 0;
    case DataForm::Matrix:
        return m_extra ? m_extra->rows : 0;
    default:
        return m_elements.size();
    }
}

int DdbValue::columnCount() const
{
    if (m_form == DataForm::Table && m_extra) {
        return int(m_extra->columns.size());
    }
    if (m_form == DataForm::Matrix && m_extra) {
        return m_extra->cols;
    }
    return 0;
}

QStringList DdbValue::columnNames() const
{
    return (m_form == DataForm::Table && m_extra) ? m_extra->names : QStringList();
}

const DdbVector &DdbValue::column(int index) const
{
    static const DdbVector empty;
    if (m_form != DataForm::Table || !m_extra || index < 0 || index >= m_extra->columns.size()) {
        return empty;
    }
    return m_extra->columns.at(index);
}

int DdbValue::columnIndex(QStringView name) const
{
    if (m_form != DataForm::Table || !m_extra) {
        return -1;
    }
    for (int i = 0; i < m_extra->names.size(); ++i) {
        if (name.compare(m_extra->names.at(i), Qt::CaseInsensitive) == 0) {
            return i;
        }
    }
    return -1;
}

const DdbVector *DdbValue::column(QStringView name) const
{
    const int i = columnIndex(name);
    return i >= 0 ? &m_extra->columns.at(i) : nullptr;
}

const DdbValue *DdbValue::matrixRowLabels() const
{
    return (m_form == DataForm::Matrix && m_extra && m_extra->rowLabels) ? &*m_extra->rowLabels
                                                                         : nullptr;
}

const DdbValue *DdbValue::matrixColumnLabels() const
{
    return (m_form == DataForm::Matrix && m_extra && m_extra->colLabels) ? &*m_extra->colLabels
                                                                         : nullptr;
}

bool DdbValue::toBool(bool *ok) const
{
    const qint64 v = toInt64(ok);
    return v != 0 && v != NULL_LONG;
}

qint64 DdbValue::toInt64(bool *ok) const
{
    qint64 v = NULL_LONG;
    if (m_form == DataForm::Scalar && m_type != DataType::Void && !m_elements.isNull(0)) {
        v = m_elements.intAt(0);
    }
    if (ok) {
        *ok = v != NULL_LONG;
    }
    return v;
}

double DdbValue::toDouble(bool *ok) const
{
    double v = std::nan("");
    if (m_form == DataForm::Scalar && m_type != DataType::Void) {
        v = m_elements.doubleAt(0);
    }
    if (ok) {
        *ok = !std::isnan(v);
    }
    return v;
}

QString DdbValue::toString() const
{
    if (m_form == DataForm::Scalar) {
        return m_type == DataType::Void ? QString() : m_elements.formatAt(0);
    }
    return describe();
}

QString DdbValue::describe() const
{
    switch (m_form) {
    case DataForm::Scalar:
        return typeName(m_type) % u" SCALAR"_s;
    case DataForm::Table:
        return u"TABLE(%1 rows x %2 columns)"_s.arg(rowCount()).arg(columnCount());
    case DataForm::Matrix:
        return u"%1 MATRIX(%2x%3)"_s.arg(typeName(m_type)).arg(rowCount()).arg(columnCount());
    case DataForm::Dictionary:
        return u"DICTIONARY(%1->%2, %3)"_s.arg(typeName(m_elements.type()), typeName(m_type))
            .arg(m_elements.size());
    default:
        return u"%1 %2(%3)"_s.arg(typeName(m_type), formName(m_form)).arg(m_elements.size());
    }
}

QJsonValue DdbValue::toJson() const
{
    switch (m_form) {
    case DataForm::Scalar:
        return m_type == DataType::Void ? QJsonValue(QJsonValue::Null) : m_elements.jsonAt(0);
    case DataForm::Vector:
    case DataForm::Pair:
    case DataForm::Set: {
        QJsonArray a;
        for (qint64 i = 0; i < m_elements.size(); ++i) {
            a.append(m_elements.jsonAt(i));
        }
        return a;
    }
    case DataForm::Dictionary:
    case DataForm::Chart: {
        const DdbVector &vals = dictionaryValues();
        const bool textKeys = m_elements.kind() == ElementKind::CString;
        if (textKeys) {
            QJsonObject o;
            for (qint64 i = 0; i < m_elements.size(); ++i) {
                o.insert(m_elements.stringAt(i), vals.jsonAt(i));
            }
            return o;
        }
        QJsonArray a;
        for (qint64 i = 0; i < m_elements.size(); ++i) {
            a.append(QJsonArray{m_elements.jsonAt(i), vals.jsonAt(i)});
        }
        return a;
    }
    case DataForm::Table: {
        QJsonArray cols;
        for (int c = 0; c < columnCount(); ++c) {
            cols.append(QJsonObject{{u"name"_s, m_extra->names.at(c)},
                                    {u"type"_s, typeName(column(c).type())}});
        }
        QJsonArray rows;
        for (qint64 r = 0; r < rowCount(); ++r) {
            QJsonArray row;
            for (int c = 0; c < columnCount(); ++c) {
                row.append(column(c).jsonAt(r));
            }
            rows.append(row);
        }
        return QJsonObject{{u"columns"_s, cols}, {u"rows"_s, rows}};
    }
    case DataForm::Matrix: {
        QJsonArray data;
        const qint64 r = rowCount();
        for (int c = 0; c < columnCount(); ++c) {
            QJsonArray col;
            for (qint64 i = 0; i < r; ++i) {
                col.append(m_elements.jsonAt(qint64(c) * r + i));
            }
            data.append(col);
        }
        QJsonObject o{{u"rows"_s, r}, {u"columns"_s, columnCount()}, {u"data"_s, data}};
        if (const DdbValue *l = matrixRowLabels()) {
            o.insert(u"rowLabels"_s, l->toJson());
        }
        if (const DdbValue *l = matrixColumnLabels()) {
            o.insert(u"columnLabels"_s, l->toJson());
        }
        return o;
    }
    default:
        return QJsonValue::Null;
    }
}

bool DdbValue::operator==(const DdbValue &other) const
{
    if (m_form != other.m_form || m_type != other.m_type || !(m_elements == other.m_elements)) {
        return false;
    }
    if (bool(m_extra) != bool(other.m_extra)) {
        return false;
    }
    if (!m_extra) {
        return true;
    }
    const Extra &a = *m_extra;
    const Extra &b = *other.m_extra;
    return a.name == b.name && a.names == b.names && a.columns == b.columns && a.values == b.values
        && a.rows == b.rows && a.cols == b.cols && a.rowLabels == b.rowLabels
        && a.colLabels == b.colLabels;
}

DdbValue DdbValue::voidValue(bool isNull)
{
    return DdbAccess::value(DataForm::Scalar, DataType::Void,
                            DdbAccess::voids(1, isNull ? std::optional<quint8>(1) : std::nullopt));
}

DdbValue DdbValue::scalar(const DdbVector &oneElement)
{
    Q_ASSERT(oneElement.size() == 1);
    return DdbAccess::value(DataForm::Scalar, oneElement.type(), oneElement);
}

DdbValue DdbValue::boolean(bool value)
{
    return scalar(DdbVector::bools({qint8(value ? 1 : 0)}));
}

DdbValue DdbValue::int32(qint32 value, DataType type)
{
    return scalar(DdbVector::int32s(type, {value}));
}

DdbValue DdbValue::int64(qint64 value, DataType type)
{
    return scalar(DdbVector::int64s(type, {value}));
}

DdbValue DdbValue::float64(double value)
{
    return scalar(DdbVector::doubles({value}));
}

DdbValue DdbValue::string(const QString &value, DataType type)
{
    return scalar(DdbVector::strings(type, {value}));
}

DdbValue DdbValue::blob(const QByteArray &value)
{
    return scalar(DdbVector::blobs({value}));
}

DdbValue DdbValue::uuid(const QUuid &value, DataType type)
{
    return scalar(DdbVector::uuids(type, {value}));
}

DdbValue DdbValue::vector(const DdbVector &elements)
{
    return DdbAccess::value(DataForm::Vector, elements.type(), elements);
}

DdbValue DdbValue::pair(const DdbVector &twoElements)
{
    return DdbAccess::value(DataForm::Pair, twoElements.type(), twoElements);
}

DdbValue DdbValue::set(const DdbVector &keys)
{
    return DdbAccess::value(DataForm::Set, keys.type(), keys);
}

DdbValue DdbValue::dictionary(const DdbVector &keys, const DdbVector &values)
{
    auto x = std::make_shared<Extra>();
    x->values = values;
    return DdbAccess::value(DataForm::Dictionary, values.type(), keys, std::move(x));
}

DdbValue DdbValue::matrix(const DdbVector &data, qint32 rows, qint32 cols,
                          std::optional<DdbValue> rowLabels, std::optional<DdbValue> columnLabels)
{
    auto x = std::make_shared<Extra>();
    x->rows = rows;
    x->cols = cols;
    x->rowLabels = std::move(rowLabels);
    x->colLabels = std::move(columnLabels);
    return DdbAccess::value(DataForm::Matrix, data.type(), data, std::move(x));
}

Core::Result<DdbValue> DdbValue::table(const QStringList &names, const QList<DdbVector> &columns,
                                       const QString &name)
{
    if (names.size() != columns.size()) {
        return Core::Error(Core::ErrorCode::InvalidInput,
                           u"table needs one name per column (%1 names, %2 columns)"_s
                               .arg(names.size())
                               .arg(columns.size()));
    }
    for (int i = 1; i < columns.size(); ++i) {
        if (columns.at(i).size() != columns.first().size()) {
            return Core::Error(Core::ErrorCode::InvalidInput,
                               u"table column '%1' has %2 rows, expected %3"_s.arg(names.at(i))
                                   .arg(columns.at(i).size())
                                   .arg(columns.first().size()));
        }
    }
    auto x = std::make_shared<Extra>();
    x->name = name;
    x->names = names;
    x->columns = columns;
    return DdbAccess::value(DataForm::Table, DataType::Void, DdbVector(), std::move(x));
}

} // namespace GrayStep::DolphinDb
