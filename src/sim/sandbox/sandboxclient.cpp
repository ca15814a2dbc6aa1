// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxclient.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QtEndian>

#include <algorithm>
#include <cstring>
#include <limits>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Sim {

QString SandboxValue::toString() const
{
    if (form == 0) {
        return scalar.toString();
    }
    return {};
}

int SandboxValue::rowCount() const
{
    if (form == 6) {
        return children.isEmpty() ? 0 : children.first().rowCount();
    }
    if (type == 25) {
        return int(children.size());
    }
    return int(items.size());
}

QVariant SandboxValue::cell(int row, const QString &column) const
{
    const qsizetype c = columnNames.indexOf(column);
    if (form != 6 || c < 0 || c >= children.size()) {
        return {};
    }
    const SandboxValue &col = children.at(c);
    if (col.type == 25) {
        return row < col.children.size() ? col.children.at(row).scalar : QVariant();
    }
    return col.items.value(row);
}

QVariant SandboxValue::dictValue(const QString &key) const
{
    if (form != 5 || children.size() != 2) {
        return {};
    }
    const SandboxValue &keys = children[0];
    const SandboxValue &values = children[1];
    for (int i = 0; i < keys.items.size(); ++i) {
        if (keys.items.at(i).toString() == key) {
            return values.type == 25 ? values.children.value(i).scalar : values.items.value(i);
        }
    }
    return {};
}

namespace {

struct Reader
{
    const QByteArray &data;
    qsizetype pos = 0;
    bool needMore = false;
    QString error;

    bool have(qsizetype n)
    {
        if (pos + n > data.size()) {
            needMore = true;
            return false;
        }
        return true;
    }
    template<typename T>
    bool read(T *out)
    {
        if (!have(sizeof(T))) {
            return false;
        }
        std::memcpy(out, data.constData() + pos, sizeof(T));
        *out = qFromLittleEndian(*out);
        pos += sizeof(T);
        return true;
    }
    bool readCString(QString *out)
    {
        const qsizetype end = data.indexOf('\0', pos);
        if (end < 0) {
            needMore = true;
            return false;
        }
        *out = QString::fromUtf8(data.constData() + pos, end - pos);
        pos = end + 1;
        return true;
    }
    bool fail(const QString &message)
    {
        if (error.isEmpty()) {
            error = message;
        }
        return false;
    }
};

bool readElement(Reader &r, int type, QVariant *out)
{
    switch (type) {
    case 0:
        *out = QVariant();
        return true;
    case 1:
    case 2: {
        qint8 v = 0;
        if (!r.read(&v)) {
            return false;
        }
        *out = v == qint8(0x80) ? QVariant() : QVariant(qint64(v));
        return true;
    }
    case 3: {
        qint16 v = 0;
        if (!r.read(&v)) {
            return false;
        }
        *out = v == std::numeric_limits<qint16>::min() ? QVariant() : QVariant(qint64(v));
        return true;
    }
    case 4: case 6: case 7: case 8: case 9: case 10: case 11: case 28: case 29: {
        qint32 v = 0;
        if (!r.read(&v)) {
            return false;
        }
        *out = v == std::numeric_limits<qint32>::min() ? QVariant() : QVariant(qint64(v));
        return true;
    }
    case 5: case 12: case 13: case 14: {
        qint64 v = 0;
        if (!r.read(&v)) {
            return false;
        }
        *out = v == std::numeric_limits<qint64>::min() ? QVariant() : QVariant(v);
        return true;
    }
    case 15: {
        quint32 bits = 0;
        if (!r.read(&bits)) {
            return false;
        }
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        *out = f == -std::numeric_limits<float>::max() ? QVariant() : QVariant(double(f));
        return true;
    }
    case 16: {
        quint64 bits = 0;
        if (!r.read(&bits)) {
            return false;
        }
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        *out = d == -std::numeric_limits<double>::max() ? QVariant() : QVariant(d);
        return true;
    }
    case 17: case 18: case 20: case 21: case 22: case 23: case 24: {
        QString s;
        if (!r.readCString(&s)) {
            return false;
        }
        *out = s;
        return true;
    }
    case 19: case 30: case 31: {
        if (!r.have(16)) {
            return false;
        }
        QByteArray raw = r.data.mid(r.pos, 16);
        std::reverse(raw.begin(), raw.end());
        r.pos += 16;
        *out = raw.toHex();
        return true;
    }
    case 32: {
        qint32 len = 0;
        if (!r.read(&len)) {
            return false;
        }
        if (len < 0) {
            return r.fail(u"negative BLOB length"_s);
        }
        if (!r.have(len)) {
            return false;
        }
        *out = r.data.mid(r.pos, len);
        r.pos += len;
        return true;
    }
    default:
        return r.fail(u"unsupported data type %1"_s.arg(type));
    }
}

bool readObject(Reader &r, SandboxValue *out, int depth = 0);

bool readVectorBody(Reader &r, int type, SandboxValue *out, int depth)
{
    qint32 rows = 0;
    qint32 cols = 0;
    if (!r.read(&rows) || !r.read(&cols)) {
        return false;
    }
    if (rows < 0 || cols < 0) {
        return r.fail(u"negative vector size"_s);
    }
    if (type == 25) {
        for (qint32 i = 0; i < rows; ++i) {
            SandboxValue child;
            if (!readObject(r, &child, depth + 1)) {
                return false;
            }
            out->children << child;
        }
        return true;
    }
    if (type == 145) {   // symbol vector with a symbol base
        qint32 baseId = 0;
        qint32 baseSize = 0;
        if (!r.read(&baseId) || !r.read(&baseSize)) {
            return false;
        }
        QStringList base;
        for (qint32 i = 0; i < baseSize; ++i) {
            QString s;
            if (!r.readCString(&s)) {
                return false;
            }
            base << s;
        }
        for (qint32 i = 0; i < rows; ++i) {
            qint32 idx = 0;
            if (!r.read(&idx)) {
                return false;
            }
            if (idx < 0 || idx >= base.size()) {
                return r.fail(u"symbol index out of range"_s);
            }
            out->items << base.at(idx);
        }
        out->type = 17;
        return true;
    }
    if (type >= 64 && type < 128) {
        return r.fail(u"array vectors are not supported"_s);
    }
    out->items.reserve(rows);
    for (qint32 i = 0; i < rows; ++i) {
        QVariant v;
        if (!readElement(r, type, &v)) {
            return false;
        }
        out->items << v;
    }
    return true;
}

bool readObject(Reader &r, SandboxValue *out, int depth)
{
    if (depth > 16) {
        return r.fail(u"objects nested too deeply"_s);
    }
    quint8 type = 0;
    quint8 form = 0;
    if (!r.read(&type) || !r.read(&form)) {
        return false;
    }
    out->form = form;
    out->type = type;
    switch (form) {
    case 0:
        if (type == 0) {
            quint8 v = 0;
            return r.read(&v);
        }
        return readElement(r, type, &out->scalar);
    case 1:
    case 2:
        return readVectorBody(r, type, out, depth);
    case 4: {
        SandboxValue keys;
        if (!readObject(r, &keys, depth + 1)) {
            return false;
        }
        out->items = keys.items;
        return true;
    }
    case 5: {
        SandboxValue keys;
        SandboxValue values;
        if (!readObject(r, &keys, depth + 1) || !readObject(r, &values, depth + 1)) {
            return false;
        }
        out->children = {keys, values};
        return true;
    }
    case 6: {
        qint32 rows = 0;
        qint32 cols = 0;
        QString name;
        if (!r.read(&rows) || !r.read(&cols) || !r.readCString(&name)) {
            return false;
        }
        if (cols < 0 || rows < 0) {
            return r.fail(u"negative table size"_s);
        }
        for (qint32 i = 0; i < cols; ++i) {
            QString col;
            if (!r.readCString(&col)) {
                return false;
            }
            out->columnNames << col;
        }
        for (qint32 i = 0; i < cols; ++i) {
            SandboxValue col;
            if (!readObject(r, &col, depth + 1)) {
                return false;
            }
            out->children << col;
        }
        return true;
    }
    default:
        return r.fail(u"unsupported data form %1"_s.arg(form));
    }
}

} // namespace

qsizetype SandboxClient::decode(const QByteArray &data, SandboxValue *out, QString *error)
{
    Reader r{data, 0, false, {}};
    SandboxValue value;
    if (readObject(r, &value)) {
        *out = value;
        return r.pos;
    }
    if (!r.error.isEmpty()) {
        *error = r.error;
        return -1;
    }
    return 0;
}

QByteArray SandboxClient::encodeString(const QString &text)
{
    QByteArray out("\x12\x00", 2);
    out += text.toUtf8();
    out += '\0';
    return out;
}

QByteArray SandboxClient::encodeStringVector(const QStringList &items)
{
    QByteArray out("\x12\x01", 2);
    const qint32 rows = qToLittleEndian(qint32(items.size()));
    const qint32 cols = qToLittleEndian(qint32(1));
    out.append(reinterpret_cast<const char *>(&rows), 4);
    out.append(reinterpret_cast<const char *>(&cols), 4);
    for (const QString &s : items) {
        out += s.toUtf8();
        out += '\0';
    }
    return out;
}

SandboxClient::SandboxClient(int timeoutMs)
    : m_timeoutMs(timeoutMs)
{}

SandboxClient::~SandboxClient() = default;

bool SandboxClient::isOpen() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

void SandboxClient::close()
{
    if (m_socket) {
        m_socket->abort();
        m_socket.reset();
    }
    m_sessionId = "0";
    m_buffer.clear();
}

Status SandboxClient::open(const QString &host, quint16 port, const QString &user, const QString &password)
{
    close();
    m_site = host + u':' + QString::number(port);
    m_socket = std::make_unique<QTcpSocket>();
    m_socket->connectToHost(host, port);
    if (!m_socket->waitForConnected(m_timeoutMs)) {
        const Error e(ErrorCode::Network, m_socket->errorString(), m_site);
        close();
        return e;
    }
    auto connected = request("connect\n", {}, true);
    if (!connected) {
        close();
        return connected.error();
    }
    auto login = call(u"login"_s, {encodeString(user), encodeString(password), QByteArray("\x01\x00\x00", 3)});
    if (!login) {
        Error e = login.error();
        if (e.code == ErrorCode::Server) {
            e.code = ErrorCode::Auth;
        }
        close();
        return e;
    }
    return {};
}

Status SandboxClient::readMore(const QString &what)
{
    if (!m_socket->waitForReadyRead(m_timeoutMs)) {
        const bool timedOut = m_socket->error() == QAbstractSocket::SocketTimeoutError;
        return Error(timedOut ? ErrorCode::Timeout : ErrorCode::Network,
                     (timedOut ? u"no reply while reading the %1"_s : u"connection lost while reading the %1"_s).arg(what),
                     m_site);
    }
    m_buffer += m_socket->readAll();
    return {};
}

Result<SandboxValue> SandboxClient::run(const QString &script)
{
    return request("script\n" + script.toUtf8(), {});
}

Result<SandboxValue> SandboxClient::call(const QString &function, const QList<QByteArray> &args)
{
    QByteArray payload;
    for (const QByteArray &a : args) {
        payload += a;
    }
    return request("function\n" + function.toUtf8() + '\n' + QByteArray::number(args.size()) + "\n1", payload);
}

Result<SandboxValue> SandboxClient::request(const QByteArray &body, const QByteArray &args, bool connect)
{
    if (!isOpen()) {
        return Error(ErrorCode::Network, u"not connected"_s, m_site);
    }
    const QByteArray header = (connect ? QByteArray("API ") : QByteArray("API2 ")) + m_sessionId + ' '
        + QByteArray::number(body.size()) + (connect ? " / 0_1_4_2\n" : " / 0_1_4_64\n");
    m_socket->write(header + body + args);
    if (!m_socket->waitForBytesWritten(m_timeoutMs) && m_socket->bytesToWrite() > 0) {
        return Error(ErrorCode::Network, m_socket->errorString(), m_site);
    }
    // Header and status lines, skipping "MSG\n...\0" print frames.
    QList<QByteArray> lines;
    while (lines.size() < 2) {
        if (lines.isEmpty() && m_buffer.startsWith("MSG\n")) {
            const qsizetype end = m_buffer.indexOf('\0');
            if (end >= 0) {
                m_buffer.remove(0, end + 1);
                continue;
            }
        } else {
            const qsizetype nl = m_buffer.indexOf('\n');
            if (nl >= 0) {
                QByteArray line = m_buffer.left(nl);
                if (line.endsWith('\r')) {
                    line.chop(1);
                }
                lines << line;
                m_buffer.remove(0, nl + 1);
                continue;
            }
        }
        if (auto s = readMore(u"reply header"_s); !s) {
            close();
            return s.error();
        }
    }
    const QList<QByteArray> fields = lines[0].split(' ');
    if (fields.size() != 3) {
        close();
        return Error(ErrorCode::Protocol, u"invalid reply header \"%1\""_s.arg(QString::fromUtf8(lines[0])), m_site);
    }
    m_sessionId = fields[0];
    const int objects = fields[1].toInt();
    const QString status = QString::fromUtf8(lines[1]);
    if (status != "OK"_L1) {
        return Error(ErrorCode::Server, status, m_site);
    }
    SandboxValue value;
    if (objects == 0) {
        return value;
    }
    for (;;) {
        QString error;
        const qsizetype used = decode(m_buffer, &value, &error);
        if (used > 0) {
            m_buffer.remove(0, used);
            return value;
        }
        if (used < 0) {
            close();
            return Error(ErrorCode::Protocol, error, m_site);
        }
        if (auto s = readMore(u"reply object"_s); !s) {
            close();
            return s.error();
        }
    }
}

} // namespace GrayStep::Sim
