// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/writerlog.h"

#include <QByteArrayView>
#include <QFileInfo>
#include <QJsonDocument>
#include <QMutexLocker>
#include <QtEndian>

#include <algorithm>

#ifdef Q_OS_UNIX
#include <unistd.h>
#elif defined(Q_OS_WIN)
#include <io.h>
#endif

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Engine {

namespace {

constexpr char MAGIC[] = "GSWLOG01";
constexpr qsizetype MAGIC_SIZE = 8;
constexpr qsizetype HEADER_SIZE = 4;
constexpr qsizetype CRC_SIZE = 2;
constexpr quint8 TYPE_META = 1;
constexpr quint8 TYPE_NODE = 2;
constexpr quint8 TYPE_ATTEMPT = 3;
constexpr quint8 TYPE_SESSION = 4;
constexpr qsizetype ATTEMPT_PAYLOAD = 24;
constexpr qint32 NO_LATENCY = std::numeric_limits<qint32>::min();

template<typename T>
void put(QByteArray &out, T value)
{
    char buf[sizeof(T)];
    qToLittleEndian(value, buf);
    out.append(buf, sizeof(T));
}

template<typename T>
T get(const char *p)
{
    return qFromLittleEndian<T>(p);
}

QByteArray encodeRecord(quint8 type, const QByteArray &payload)
{
    QByteArray r;
    r.reserve(HEADER_SIZE + payload.size() + CRC_SIZE);
    put<quint8>(r, type);
    put<quint8>(r, 0);
    put<quint16>(r, static_cast<quint16>(payload.size()));
    r.append(payload);
    put<quint16>(r, qChecksum(QByteArrayView(r)));
    return r;
}

QByteArray encodeAttempt(const WriterAttempt &a)
{
    QByteArray p;
    p.reserve(ATTEMPT_PAYLOAD);
    put<qint64>(p, a.id);
    put<qint64>(p, a.sendMs);
    qint32 latency = NO_LATENCY;
    if (a.doneMs != NULL_VALUE) {
        latency = static_cast<qint32>(std::clamp<qint64>(a.doneMs - a.sendMs, NO_LATENCY + 1,
                                                         std::numeric_limits<qint32>::max()));
    }
    put<qint32>(p, latency);
    put<quint8>(p, static_cast<quint8>(a.outcome));
    put<quint8>(p, 0);
    put<qint16>(p, a.node);
    return p;
}

// Parses records from data (after the magic). Stops at the first incomplete or corrupt one.
void parseRecords(const QByteArray &data, WriterLogContents &c)
{
    qsizetype at = MAGIC_SIZE;
    const qsizetype size = data.size();
    const char *d = data.constData();
    while (at + HEADER_SIZE <= size) {
        const auto type = get<quint8>(d + at);
        const auto length = get<quint16>(d + at + 2);
        const qsizetype end = at + HEADER_SIZE + length + CRC_SIZE;
        if (end > size) {
            break;
        }
        const quint16 crc = qChecksum(QByteArrayView(d + at, HEADER_SIZE + length));
        if (crc != get<quint16>(d + end - CRC_SIZE) || get<quint8>(d + at + 1) != 0) {
            break;
        }
        const char *p = d + at + HEADER_SIZE;
        bool known = true;
        switch (type) {
        case TYPE_META:
            c.meta = QJsonDocument::fromJson(QByteArray(p, length)).object();
            break;
        case TYPE_NODE:
            if (length < 2) {
                known = false;
                break;
            }
            {
                const int index = get<quint16>(p);
                const QString name = QString::fromUtf8(p + 2, length - 2);
                while (c.nodes.size() <= index) {
                    c.nodes.append(QString());
                }
                c.nodes[index] = name;
            }
            break;
        case TYPE_ATTEMPT: {
            if (length != ATTEMPT_PAYLOAD) {
                known = false;
                break;
            }
            WriterAttempt a;
            a.id = get<qint64>(p);
            a.sendMs = get<qint64>(p + 8);
            const auto latency = get<qint32>(p + 16);
            a.doneMs = latency == NO_LATENCY ? NULL_VALUE : a.sendMs + latency;
            const auto outcome = get<quint8>(p + 20);
            a.outcome = outcome <= 2 ? static_cast<AttemptOutcome>(outcome) : AttemptOutcome::Indeterminate;
            a.node = get<qint16>(p + 22);
            c.attempts.push_back(a);
            break;
        }
        case TYPE_SESSION:
            c.sessions.push_back(WriterSession::fromJson(QJsonDocument::fromJson(QByteArray(p, length)).object()));
            break;
        default:
            known = false;  // a newer writer's record: skip it, keep reading
            break;
        }
        Q_UNUSED(known);
        at = end;
    }
    c.validBytes = at;
    c.tornBytes = size - at;
}

QJsonValue jsonId(qint64 v)
{
    return v == NULL_VALUE ? QJsonValue() : QJsonValue(QString::number(v));  // exact beyond 2^53
}

qint64 idFromJson(const QJsonValue &v)
{
    bool ok = false;
    const qint64 id = v.toString().toLongLong(&ok);
    return ok ? id : NULL_VALUE;
}

} // namespace

QJsonObject WriterSession::toJson() const
{
    return QJsonObject{{u"startMs"_s, jsonId(startMs)},
                       {u"firstId"_s, jsonId(firstId)},
                       {u"tableMaxId"_s, jsonId(tableMaxId)},
                       {u"tag"_s, tag}};
}

WriterSession WriterSession::fromJson(const QJsonObject &o)
{
    return WriterSession{idFromJson(o.value(u"startMs"_s)), idFromJson(o.value(u"firstId"_s)),
                         idFromJson(o.value(u"tableMaxId"_s)), o.value(u"tag"_s).toString()};
}

QString WriterLogContents::tag() const
{
    const QString t = meta.value(u"tag"_s).toString();
    if (!t.isEmpty()) {
        return t;
    }
    for (const WriterSession &s : sessions) {
        if (!s.tag.isEmpty()) {
            return s.tag;
        }
    }
    return {};
}

std::vector<qint64> WriterLogContents::restartIds() const
{
    std::vector<qint64> ids;
    for (const WriterSession &s : sessions) {
        if (s.firstId != NULL_VALUE) {
            ids.push_back(s.firstId);
        }
    }
    std::sort(ids.begin(), ids.end());
    // The first session is the run's start, not a restart (a log from before sessions were
    // recorded has its first attempts below every recorded session).
    qint64 firstAttempt = NULL_VALUE;
    for (const WriterAttempt &a : attempts) {
        firstAttempt = firstAttempt == NULL_VALUE ? a.id : std::min(firstAttempt, a.id);
    }
    if (!ids.empty() && (firstAttempt == NULL_VALUE || ids.front() <= firstAttempt)) {
        ids.erase(ids.begin());
    }
    return ids;
}

WriterLog::WriterLog() = default;

WriterLog::~WriterLog()
{
    close();
}

Result<WriterLogContents> WriterLog::load(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, u"cannot read the writer log: %1"_s.arg(f.errorString()), path);
    }
    const QByteArray data = f.readAll();
    WriterLogContents c;
    const QByteArrayView magic(MAGIC, MAGIC_SIZE);
    if (data.size() < MAGIC_SIZE) {
        // A log cut while its first bytes were written: empty, if what is there fits.
        if (!magic.startsWith(QByteArrayView(data))) {
            return Error(ErrorCode::InvalidInput, u"not a GrayStep writer log"_s, path);
        }
        c.tornBytes = data.size();
        return c;
    }
    if (QByteArrayView(data).first(MAGIC_SIZE) != magic) {
        return Error(ErrorCode::InvalidInput, u"not a GrayStep writer log"_s, path);
    }
    parseRecords(data, c);
    return c;
}

Status WriterLog::open(const QString &path, const QJsonObject &meta)
{
    close();
    QMutexLocker lock(&m_mutex);
    WriterLogContents contents;
    auto file = std::make_unique<QFile>(path);
    bool exists = QFileInfo::exists(path) && QFileInfo(path).size() > 0;
    if (exists) {
        auto loaded = load(path);
        if (!loaded) {
            return loaded.error();
        }
        contents = std::move(loaded).value();
        if (contents.tornBytes > 0) {
            // Cut the torn record off, so what is appended next can be read back.
            if (!file->open(QIODevice::ReadWrite)) {
                return Error(ErrorCode::Io, u"cannot open the writer log: %1"_s.arg(file->errorString()), path);
            }
            if (!file->resize(contents.validBytes)) {
                return Error(ErrorCode::Io,
                             u"cannot cut the torn end of the writer log: %1"_s.arg(file->errorString()), path);
            }
            file->close();
        }
        // Torn inside the magic: the log never got its first record; start it again.
        exists = contents.validBytes >= MAGIC_SIZE;
        if (!exists) {
            contents = WriterLogContents();
        }
    }
    if (!file->open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        return Error(ErrorCode::Io, u"cannot open the writer log: %1"_s.arg(file->errorString()), path);
    }
    m_file = std::move(file);
    m_path = path;
    m_open = true;
    m_contents = std::move(contents);
    m_contents.tornBytes = 0;
    if (!exists) {
        if (m_file->write(MAGIC, MAGIC_SIZE) != MAGIC_SIZE) {
            return Error(ErrorCode::Io, u"cannot write the writer log: %1"_s.arg(m_file->errorString()), path);
        }
        m_contents.validBytes = MAGIC_SIZE;
        m_contents.meta = meta;
        lock.unlock();
        return writeRecord(TYPE_META, QJsonDocument(meta).toJson(QJsonDocument::Compact));
    }
    if (m_contents.meta.isEmpty() && m_contents.attempts.empty() && !meta.isEmpty()) {
        // The meta record itself was torn: write it again.
        m_contents.meta = meta;
        lock.unlock();
        return writeRecord(TYPE_META, QJsonDocument(meta).toJson(QJsonDocument::Compact));
    }
    return {};
}

void WriterLog::openInMemory(const QJsonObject &meta)
{
    close();
    QMutexLocker lock(&m_mutex);
    m_contents = WriterLogContents();
    m_contents.meta = meta;
    m_path.clear();
    m_open = true;
}

void WriterLog::close()
{
    QMutexLocker lock(&m_mutex);
    if (m_file) {
        m_file->close();
        m_file.reset();
    }
    m_open = false;
}

bool WriterLog::isOpen() const
{
    QMutexLocker lock(&m_mutex);
    return m_open;
}

QString WriterLog::path() const
{
    QMutexLocker lock(&m_mutex);
    return m_path;
}

Status WriterLog::writeRecord(quint8 type, const QByteArray &payload)
{
    QMutexLocker lock(&m_mutex);
    if (!m_open) {
        return Error(ErrorCode::Internal, u"the writer log is not open"_s);
    }
    if (!m_file) {
        return {};
    }
    const QByteArray record = encodeRecord(type, payload);
    if (m_file->write(record) != record.size()) {
        m_file->resize(m_contents.validBytes);  // best effort: no torn record before the next one
        return Error(ErrorCode::Io, u"cannot append to the writer log: %1"_s.arg(m_file->errorString()), m_path);
    }
    m_contents.validBytes += record.size();
    return {};
}

Result<int> WriterLog::nodeIndex(const QString &name)
{
    int index;
    {
        QMutexLocker lock(&m_mutex);
        index = static_cast<int>(m_contents.nodes.indexOf(name));
        if (index >= 0) {
            return index;
        }
        index = static_cast<int>(m_contents.nodes.size());
        if (index > std::numeric_limits<qint16>::max()) {
            return Error(ErrorCode::Internal, u"too many nodes in the writer log"_s);
        }
        m_contents.nodes.append(name);
    }
    QByteArray payload;
    put<quint16>(payload, static_cast<quint16>(index));
    payload.append(name.toUtf8().left(60000));
    const Status written = writeRecord(TYPE_NODE, payload);
    if (!written) {
        return written.error();
    }
    return index;
}

Status WriterLog::append(const WriterAttempt &attempt)
{
    const Status written = writeRecord(TYPE_ATTEMPT, encodeAttempt(attempt));
    if (!written) {
        return written;
    }
    QMutexLocker lock(&m_mutex);
    WriterAttempt stored = attempt;
    // What a reload will see: the latency is stored in 32 bits.
    if (stored.doneMs != NULL_VALUE) {
        stored.doneMs = stored.sendMs
            + std::clamp<qint64>(stored.doneMs - stored.sendMs, NO_LATENCY + 1, std::numeric_limits<qint32>::max());
    }
    m_contents.attempts.push_back(stored);
    return {};
}

Status WriterLog::appendSession(const WriterSession &session)
{
    const Status written = writeRecord(TYPE_SESSION, QJsonDocument(session.toJson()).toJson(QJsonDocument::Compact));
    if (!written) {
        return written;
    }
    QMutexLocker lock(&m_mutex);
    m_contents.sessions.push_back(session);
    return {};
}

Status WriterLog::sync()
{
    QMutexLocker lock(&m_mutex);
    if (!m_file) {
        return {};
    }
#ifdef Q_OS_UNIX
    if (::fsync(m_file->handle()) != 0) {
        return Error(ErrorCode::Io, u"cannot sync the writer log"_s, m_path);
    }
#elif defined(Q_OS_WIN)
    if (::_commit(m_file->handle()) != 0) {
        return Error(ErrorCode::Io, u"cannot sync the writer log"_s, m_path);
    }
#endif
    return {};
}

QJsonObject WriterLog::meta() const
{
    QMutexLocker lock(&m_mutex);
    return m_contents.meta;
}

QStringList WriterLog::nodes() const
{
    QMutexLocker lock(&m_mutex);
    return m_contents.nodes;
}

std::vector<WriterSession> WriterLog::sessions() const
{
    QMutexLocker lock(&m_mutex);
    return m_contents.sessions;
}

qint64 WriterLog::attemptCount() const
{
    QMutexLocker lock(&m_mutex);
    return static_cast<qint64>(m_contents.attempts.size());
}

std::vector<WriterAttempt> WriterLog::attempts(qint64 from) const
{
    QMutexLocker lock(&m_mutex);
    const auto &all = m_contents.attempts;
    const auto start = static_cast<size_t>(std::clamp<qint64>(from, 0, static_cast<qint64>(all.size())));
    return std::vector<WriterAttempt>(all.begin() + static_cast<std::ptrdiff_t>(start), all.end());
}

WriterLogContents WriterLog::snapshot() const
{
    QMutexLocker lock(&m_mutex);
    return m_contents;
}

} // namespace GrayStep::Engine
