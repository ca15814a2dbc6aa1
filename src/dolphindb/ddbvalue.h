// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The DolphinDB value model (PROTOCOL.md §4): every data form and type the wire can carry.
//
// Design notes (read before using it for big data):
// - DdbVector is a typed column. Fixed-size types keep their elements packed in one
//   contiguous little-endian buffer exactly as on the wire (values<T>() gives a typed
//   pointer), so a 10 M-row INT column is one 40 MB block, never a QVariant per cell.
// - STRING-like vectors keep all bytes (each element followed by its 0x00, i.e. the wire
//   bytes) in one buffer plus an offset table; BLOB keeps payloads plus offsets.
// - SYMBOL vectors decoded from the symbol-base form (type 0x91) keep the base (a shared
//   string vector) plus one int32 index per row. Plain SYMBOL vectors (type 0x11) are kept
//   as strings and re-encode as 0x11, so decode -> encode is byte-identical.
// - Copies are cheap (shared, immutable storage). Values are immutable once built.
// - The host must be little-endian (x86-64, ARM64): element buffers are used in place.
// - Temporal values are the raw wire integers (no time zone, PROTOCOL.md §4.3); MONTH counts
//   months from year 0 (year*12 + month-1). Helpers below convert to/from Qt types.

#include "core/result.h"

#include <QByteArray>
#include <QDate>
#include <QDateTime>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>
#include <QTime>
#include <QUuid>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

namespace GrayStep::DolphinDb {

enum class DataForm : quint8 {
    Scalar = 0,
    Vector = 1,
    Pair = 2,
    Matrix = 3,
    Set = 4,
    Dictionary = 5,
    Table = 6,
    Chart = 7,
    Chunk = 8,
    SysObj = 9,
};

// Type codes of PROTOCOL.md §4.3. The enum is 8 bits wide; codes outside the list are
// representable (the decoder rejects them with an error, it never guesses).
enum class DataType : quint8 {
    Void = 0,
    Bool = 1,
    Char = 2,
    Short = 3,
    Int = 4,
    Long = 5,
    Date = 6,
    Month = 7,
    Time = 8,
    Minute = 9,
    Second = 10,
    DateTime = 11,
    Timestamp = 12,
    NanoTime = 13,
    NanoTimestamp = 14,
    Float = 15,
    Double = 16,
    Symbol = 17,
    String = 18,
    Uuid = 19,
    FunctionDef = 20,
    Handle = 21,
    Code = 22,
    DataSource = 23,
    Resource = 24,
    Any = 25,
    Compress = 26,
    DictionaryType = 27,
    DateHour = 28,
    DateMinute = 29,
    IpAddr = 30,
    Int128 = 31,
    Blob = 32,
    Decimal = 33,
    Complex = 34,
    Point = 35,
    Duration = 36,
    Decimal32 = 37,
    Decimal64 = 38,
    Decimal128 = 39,
};

// On-wire flag bit that marks a SYMBOL vector carrying a symbol base (0x91 = 17|0x80).
inline constexpr quint8 SYMBOL_BASE_FLAG = 0x80;

// Null sentinels (PROTOCOL.md §4.3).
inline constexpr qint8 NULL_INT8 = std::numeric_limits<qint8>::min();
inline constexpr qint16 NULL_SHORT = std::numeric_limits<qint16>::min();
inline constexpr qint32 NULL_INT = std::numeric_limits<qint32>::min();
inline constexpr qint64 NULL_LONG = std::numeric_limits<qint64>::min();
inline constexpr float NULL_FLOAT = -std::numeric_limits<float>::max();
inline constexpr double NULL_DOUBLE = -std::numeric_limits<double>::max();

// How elements of a type are laid out on the wire.
enum class ElementKind : quint8 {
    Void,         // VOID: scalar 1 byte, vector elements carry no bytes
    Fixed,        // fixed size (elementSize() bytes)
    CString,      // 0x00-terminated text (STRING, SYMBOL, HANDLE, CODE, DATASOURCE, RESOURCE)
    Blob,         // int32 length + bytes
    FunctionDef,  // 1 byte kind + 0x00-terminated name
    Any,          // each element a complete object
    Unsupported,  // COMPRESS, DICTIONARY-as-type, DECIMAL(33), unknown codes
};

ElementKind elementKind(DataType type);
// Bytes per element for ElementKind::Fixed types, 0 otherwise.
int elementSize(DataType type);
bool isDecimal(DataType type);   // DECIMAL32/64/128 (carry a scale)
bool isTemporal(DataType type);  // DATE .. NANOTIMESTAMP, DATEHOUR, DATEMINUTE
bool isKnownType(quint8 code);
// "INT", "SYMBOL", ... (DolphinDB spelling); "TYPE<n>" for unknown codes.
QString typeName(DataType type);
QString formName(DataForm form);
// Parses a DolphinDB type name ("INT", "symbol"); nullopt when unknown.
std::optional<DataType> typeFromName(QStringView name);

// A growable byte buffer. Small buffers use malloc/realloc; on Linux, buffers of 4 MiB and
// more are anonymous mappings grown with mremap (pages move, nothing is copied) and marked
// for transparent huge pages, so a column can grow as bytes arrive without ever holding two
// copies and with few page faults. Move-only; DdbVector shares it read-only.
class DdbBuffer final
{
public:
    DdbBuffer() = default;
    ~DdbBuffer();
    DdbBuffer(DdbBuffer &&other) noexcept;
    DdbBuffer &operator=(DdbBuffer &&other) noexcept;
    DdbBuffer(const DdbBuffer &) = delete;
    DdbBuffer &operator=(const DdbBuffer &) = delete;

    const char *data() const { return m_data; }
    char *data() { return m_data; }
    qint64 size() const { return m_size; }
    qint64 capacity() const { return m_capacity; }
    // Grows the capacity to at least `capacity`; false when the allocation fails.
    bool reserve(qint64 capacity);
    // Appends; false when the allocation fails.
    bool append(const void *bytes, qint64 count);
    // Sets the size (must be <= capacity); new bytes are uninitialised.
    void setSize(qint64 size) { m_size = size; }
    // Releases unused capacity.
    void squeeze();

private:
    void release();

    char *m_data = nullptr;
    qint64 m_size = 0;
    qint64 m_capacity = 0;
    bool m_mapped = false;
};

class DdbValue;
struct DdbSymbolBase;

// A typed column (or the element storage of a scalar, pair, set, matrix, dictionary).
class DdbVector final
{
public:
    DdbVector() = default;  // an empty VOID vector

    DataType type() const { return m_type; }
    qint64 size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    ElementKind kind() const { return elementKind(m_type); }
    // SYMBOL stored as base + int32 indices (decoded from / encodes to type 0x91).
    bool hasSymbolBase() const { return m_base != nullptr; }
    // DECIMAL32/64/128 scale (digits after the point).
    qint32 decimalScale() const { return m_scale; }
    // Array vector ("INT[]", wire type 64+t): size() rows, each an array of fixed-size
    // elements of type(); the leaves are packed in rawData(), row i occupies leaves
    // [arrayOffsets()[i], arrayOffsets()[i+1]).
    bool isArrayVector() const { return m_arrayOffsets != nullptr; }
    const qint64 *arrayOffsets() const;
    qint64 leafCount() const;
    // All leaves as one plain vector (shares storage).
    DdbVector leaves() const;
    // Row i of an array vector as a plain vector.
    DdbVector arrayAt(qint64 i) const;

    // Fixed-size types: the packed little-endian elements (size() * elementSize(type()) bytes).
    // Symbol-base vectors: the int32 indices. Strings/blobs: the byte store.
    const char *rawData() const;
    qint64 rawSize() const;
    template<typename T>
    const T *values() const
    {
        return reinterpret_cast<const T *>(rawData());
    }
    // Symbol-base vectors: the base (a plain STRING vector whose entry 0 is "").
    const DdbVector &symbolBase() const;
    const qint32 *symbolIndices() const { return values<qint32>(); }
    // String/blob vectors: size()+1 offsets into rawData(); element i occupies
    // [offsets[i], offsets[i+1]) including its 0x00 terminator for text types.
    const qint64 *offsets() const;

    bool isNull(qint64 i) const;
    // Integral and temporal types, BOOL, CHAR, DECIMAL32/64 (unscaled), symbol index for
    // symbol-base vectors, FLOAT/DOUBLE truncated. Null elements give the type's null sentinel.
    qint64 intAt(qint64 i) const;
    // Numbers as double (decimals scaled); null gives NaN.
    double doubleAt(qint64 i) const;
    // Text of STRING/SYMBOL/HANDLE/CODE/... (UTF-8 decoded), FUNCTIONDEF name, BLOB bytes as
    // UTF-8; for other types the DolphinDB-style text (formatAt).
    QString stringAt(qint64 i) const;
    // Raw element bytes: text without its terminator, blob payload, or the fixed-size bytes
    // in wire order.
    QByteArray bytesAt(qint64 i) const;
    // UUID/INT128/IPADDR elements as QUuid (wire bytes are reversed, PROTOCOL.md §4.3).
    QUuid uuidAt(qint64 i) const;
    // FUNCTIONDEF kind byte.
    int functionKindAt(qint64 i) const;
    // ANY vectors.
    const DdbValue &anyAt(qint64 i) const;
    // DolphinDB-style text of one element ("2023.01.10T09:30:00.123", "2023.01M", "" for null).
    QString formatAt(qint64 i) const;
    // JSON for one element: numbers, bools, strings; null elements give QJsonValue::Null;
    // temporal types give their formatted text.
    QJsonValue jsonAt(qint64 i) const;

    // Deep, byte-wise equality (symbol-base and plain symbol vectors compare by text).
    bool operator==(const DdbVector &other) const;
    bool operator!=(const DdbVector &other) const { return !(*this == other); }

    // ---- builders ----
    // Fixed-size elements from packed little-endian bytes (count = bytes.size()/elementSize).
    static DdbVector fromRaw(DataType type, const QByteArray &bytes, qint32 decimalScale = 0);
    static DdbVector fromRaw(DataType type, const void *bytes, qint64 count, qint32 decimalScale = 0);
    static DdbVector bools(const QList<qint8> &values);  // 0, 1 or NULL_INT8
    static DdbVector chars(const QList<qint8> &values);
    static DdbVector shorts(const QList<qint16> &values);
    // INT and every 32-bit temporal type (DATE, MONTH, TIME, MINUTE, SECOND, DATETIME, DATEHOUR...).
    static DdbVector int32s(DataType type, const QList<qint32> &values);
    // LONG and every 64-bit temporal type (TIMESTAMP, NANOTIME, NANOTIMESTAMP).
    static DdbVector int64s(DataType type, const QList<qint64> &values);
    static DdbVector floats(const QList<float> &values);
    static DdbVector doubles(const QList<double> &values);
    static DdbVector decimal32s(qint32 scale, const QList<qint32> &values);
    static DdbVector decimal64s(qint32 scale, const QList<qint64> &values);
    static DdbVector uuids(DataType type, const QList<QUuid> &values);  // UUID, INT128, IPADDR
    // Text elements: STRING, SYMBOL (plain 0x11 form), HANDLE, CODE, ... Text must not
    // contain U+0000 (it is cut there, as the wire cannot carry it).
    static DdbVector strings(DataType type, const QStringList &values);
    static DdbVector strings(const QStringList &values) { return strings(DataType::String, values); }
    static DdbVector utf8Strings(DataType type, const QList<QByteArray> &values);
    // SYMBOL with a symbol base built from the distinct values (entry 0 = ""): encodes as 0x91.
    static DdbVector symbols(const QStringList &values);
    // SYMBOL with an explicit base (entry 0 should be "") and indices into it.
    static DdbVector symbols(const DdbVector &base, const QList<qint32> &indices);
    static DdbVector blobs(const QList<QByteArray> &values);
    static DdbVector anys(const QList<DdbValue> &values);
    static DdbVector voids(qint64 count);
    static DdbVector functionDef(int kind, const QString &name);
    // Array vector from its rows (all plain fixed-size vectors of the same type and scale).
    static DdbVector arrayVector(DataType type, const QList<DdbVector> &rows);

private:
    friend struct DdbAccess;  // ddbaccess_p.h: construction by the decoder

    DataType m_type = DataType::Void;
    qint32 m_scale = 0;
    qint64 m_size = 0;
    std::shared_ptr<const DdbBuffer> m_data;     // packed values / text bytes / symbol indices / VOID scalar byte
    std::shared_ptr<const DdbBuffer> m_offsets;  // text and blob: size()+1 qint64 offsets
    std::shared_ptr<const DdbVector> m_base;     // symbol base
    std::shared_ptr<const QList<DdbValue>> m_any;
    std::shared_ptr<const DdbBuffer> m_arrayOffsets;  // array vector: size()+1 leaf offsets
};

// One complete DolphinDB object: a form plus its data.
class DdbValue final
{
public:
    // A VOID scalar meaning "nothing" (what a void function returns).
    DdbValue();

    DataForm form() const { return m_form; }
    // The type byte: element type for scalar/vector/pair/matrix/set, the VALUE type for a
    // dictionary, the table kind (0 = basic) for a table.
    DataType type() const { return m_type; }

    bool isScalar() const { return m_form == DataForm::Scalar; }
    bool isVector() const { return m_form == DataForm::Vector; }
    bool isTable() const { return m_form == DataForm::Table; }
    bool isDictionary() const { return m_form == DataForm::Dictionary; }
    // A VOID scalar (nothing or NULL).
    bool isVoid() const { return m_form == DataForm::Scalar && m_type == DataType::Void; }
    // A null scalar (VOID scalar, or a scalar whose single element is null).
    bool isNull() const;

    // Scalar, vector, pair, set (its keys), matrix (column-major data), dictionary (keys).
    const DdbVector &elements() const { return m_elements; }
    // Dictionary values.
    const DdbVector &dictionaryValues() const;

    // Tables.
    QString tableName() const;
    qint64 rowCount() const;  // table rows, vector/pair/set size, matrix rows, dictionary size
    int columnCount() const;  // table columns, matrix columns
    QStringList columnNames() const;
    const DdbVector &column(int index) const;
    // Column by name (case-insensitive, as DolphinDB); nullptr when absent.
    const DdbVector *column(QStringView name) const;
    int columnIndex(QStringView name) const;

    // Matrices.
    const DdbValue *matrixRowLabels() const;
    const DdbValue *matrixColumnLabels() const;

    // Scalar conversions; *ok false on a type that does not convert or on null.
    bool toBool(bool *ok = nullptr) const;
    qint64 toInt64(bool *ok = nullptr) const;
    double toDouble(bool *ok = nullptr) const;
    // Scalar: its text (STRING/SYMBOL verbatim, others formatted). Other forms: a short
    // description ("TABLE 3 rows x 2 columns").
    QString toString() const;
    // "INT SCALAR", "SYMBOL VECTOR(3)", "TABLE(2x3)", for messages and tests.
    QString describe() const;
    // JSON: scalar -> value; vector/pair/set -> array; dictionary -> object (or array of
    // [key, value] when keys are not text); table -> {"columns":[{name,type}], "rows":[[...]]};
    // matrix -> {"rows":r,"columns":c,"data":[[column]...]}.
    QJsonValue toJson() const;

    bool operator==(const DdbValue &other) const;
    bool operator!=(const DdbValue &other) const { return !(*this == other); }

    // ---- builders ----
    static DdbValue voidValue(bool isNull = false);
    static DdbValue scalar(const DdbVector &oneElement);  // vector of size 1
    static DdbValue boolean(bool value);
    static DdbValue int32(qint32 value, DataType type = DataType::Int);
    static DdbValue int64(qint64 value, DataType type = DataType::Long);
    static DdbValue float64(double value);
    static DdbValue string(const QString &value, DataType type = DataType::String);
    static DdbValue symbol(const QString &value) { return string(value, DataType::Symbol); }
    static DdbValue blob(const QByteArray &value);
    static DdbValue uuid(const QUuid &value, DataType type = DataType::Uuid);
    static DdbValue vector(const DdbVector &elements);
    static DdbValue pair(const DdbVector &twoElements);
    static DdbValue set(const DdbVector &keys);
    static DdbValue dictionary(const DdbVector &keys, const DdbVector &values);
    // Column-major data of rows*cols elements; optional label vectors (full objects).
    static DdbValue matrix(const DdbVector &data, qint32 rows, qint32 cols,
                           std::optional<DdbValue> rowLabels = {},
                           std::optional<DdbValue> columnLabels = {});
    // Columns must all have the same size; names.size() == columns.size().
    static Core::Result<DdbValue> table(const QStringList &names, const QList<DdbVector> &columns,
                                        const QString &name = {});

private:
    friend struct DdbAccess;
    struct Extra;

    DataForm m_form = DataForm::Scalar;
    DataType m_type = DataType::Void;
    DdbVector m_elements;
    std::shared_ptr<const Extra> m_extra;
};

// ---- temporal helpers (all values are wall-clock, no time zone) ----
namespace Temporal {
qint32 dateFromQDate(QDate date);                 // DATE: days since 1970-01-01
QDate qdateFromDate(qint32 days);
qint32 monthFromYearMonth(int year, int month);   // MONTH: year*12 + month-1 (from year 0)
qint64 timestampFromDateTime(const QDateTime &dt);  // TIMESTAMP: ms since epoch (dt's wall clock)
QDateTime dateTimeFromTimestamp(qint64 ms);       // UTC QDateTime
// The DolphinDB text of a temporal value ("" for null).
QString format(DataType type, qint64 value);
} // namespace Temporal

} // namespace GrayStep::DolphinDb
