// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/ddbwritertransport.h"

#include "dolphindb/scripts.h"

#include <QDate>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Engine {

namespace {

AttemptOutcome toAttemptOutcome(DdbOutcome outcome)
{
    switch (outcome) {
    case DdbOutcome::Acknowledged: return AttemptOutcome::Acknowledged;
    case DdbOutcome::Failed: return AttemptOutcome::Failed;
    case DdbOutcome::Indeterminate: return AttemptOutcome::Indeterminate;
    }
    return AttemptOutcome::Indeterminate;
}

QString errorText(const DdbHaResult &r)
{
    return r.error ? r.error->toString() : QString();
}

} // namespace

DdbWriterTransport::DdbWriterTransport(const QList<DdbSite> &sites, const DdbCredentials &credentials,
                                       const DdbHaSettings &settings)
    : m_session(std::make_unique<DdbHaSession>())
{
    m_session->setSites(sites);
    m_session->setCredentials(credentials);
    m_session->setSettings(settings);
    QObject::connect(m_session.get(), &DdbHaSession::finished, &m_context,
                     [this](const DdbHaResult &result) { onFinished(result); });
}

DdbWriterTransport::~DdbWriterTransport()
{
    m_pending.clear();
    QObject::disconnect(m_session.get(), nullptr, &m_context, nullptr);
    m_session->close();
}

void DdbWriterTransport::onFinished(const DdbHaResult &result)
{
    const auto it = m_pending.find(result.id);
    if (it == m_pending.end()) {
        return;
    }
    const Handler handler = std::move(it.value());
    m_pending.erase(it);
    handler(result);
}

Result<DdbValue> DdbWriterTransport::rowTable(const WriterSettings &settings, qint64 firstId, qint64 timeMs,
                                              int count)
{
    if (count < 1) {
        return Error(ErrorCode::InvalidInput, u"an append needs at least one row"_s);
    }
    if (firstId > settings.maxId() - (count - 1)) {
        return Error(ErrorCode::InvalidInput, u"ids beyond the id column's maximum %1"_s.arg(settings.maxId()));
    }
    DdbVector idColumn;
    if (settings.idType == WriterIdType::Int) {
        QList<qint32> ids;
        ids.reserve(count);
        for (int i = 0; i < count; ++i) {
            ids.append(static_cast<qint32>(firstId + i));
        }
        idColumn = DdbVector::int32s(DataType::Int, ids);
    } else {
        QList<qint64> ids;
        ids.reserve(count);
        for (int i = 0; i < count; ++i) {
            ids.append(firstId + i);
        }
        idColumn = DdbVector::int64s(DataType::Long, ids);
    }
    return DdbValue::table({u"time"_s, u"name"_s, u"id"_s},
                           {DdbVector::int64s(DataType::Timestamp, QList<qint64>(count, timeMs)),
                            DdbVector::strings(DataType::Symbol, QStringList(count, settings.name)),
                            idColumn});
}

void DdbWriterTransport::prepare(const WriterSettings &settings, std::function<void(Result<PreparedTable>)> done)
{
    const auto exists = Scripts::tableExists(settings.database, settings.table);
    if (!exists) {
        done(exists.error());
        return;
    }
    const quint64 rid = m_session->runScript(*exists);
    m_pending.insert(rid, [this, settings, done](const DdbHaResult &r) {
        if (!r.ok()) {
            done(r.error.value_or(Error(ErrorCode::Network, u"no answer to existsTable"_s)));
            return;
        }
        bool ok = false;
        const bool present = r.value.toBool(&ok);
        if (!ok) {
            done(Error(ErrorCode::Protocol, u"existsTable answered %1"_s.arg(r.value.describe())));
            return;
        }
        if (present) {
            readTableMaxId(settings, done);
            return;
        }
        if (!settings.createTable) {
            done(Error(ErrorCode::NotFound, u"the table %1/%2 does not exist"_s.arg(settings.database, settings.table)));
            return;
        }
        const QDate today = QDate::currentDate();
        const auto create = Scripts::createStockTable(settings.database, settings.table, today.addDays(-1),
                                                      today.addDays(60), settings.idType == WriterIdType::Long);
        if (!create) {
            done(create.error());
            return;
        }
        const quint64 cid = m_session->runScript(*create);
        m_pending.insert(cid, [done](const DdbHaResult &c) {
            if (!c.ok()) {
                done(c.error.value_or(Error(ErrorCode::Network, u"no answer to the table creation"_s)));
                return;
            }
            done(PreparedTable{NULL_VALUE, true});
        });
    });
}

void DdbWriterTransport::readTableMaxId(const WriterSettings &settings, const std::function<void(Result<PreparedTable>)> &done)
{
    if (!settings.aboveTableMaxId) {
        done(PreparedTable{});
        return;
    }
    const auto script = Scripts::maxId(settings.database, settings.table, u"id"_s);
    if (!script) {
        done(script.error());
        return;
    }
    const quint64 rid = m_session->runScript(*script);
    m_pending.insert(rid, [settings, done](const DdbHaResult &r) {
        if (!r.ok()) {
            done(Error(ErrorCode::Network,
                       u"cannot read the largest id of %1/%2 (the writer starts above it): %3"_s.arg(
                           settings.database, settings.table,
                           r.error ? r.error->message : u"no answer"_s)));
            return;
        }
        const auto maxId = DolphinDb::readMaxId(r.value);
        if (!maxId) {
            done(Error(maxId.error().code, u"%1/%2: %3"_s.arg(settings.database, settings.table, maxId.error().message)));
            return;
        }
        done(PreparedTable{*maxId == NULL_LONG ? NULL_VALUE : *maxId, false});
    });
}

void DdbWriterTransport::append(const WriterSettings &settings, qint64 firstId, int count, qint64 timeMs,
                                std::function<void(AppendOutcome)> done)
{
    const auto function = Scripts::tableInsertFunction(settings.database, settings.table);
    const auto table = rowTable(settings, firstId, timeMs, count);
    if (!function || !table) {
        done(AppendOutcome{AttemptOutcome::Failed, QString(),
                           (!function ? function.error() : table.error()).toString()});
        return;
    }
    const quint64 rid = m_session->callFunction(*function, {*table});
    m_pending.insert(rid, [done](const DdbHaResult &r) {
        done(AppendOutcome{toAttemptOutcome(r.outcome), r.site.toString(), errorText(r)});
    });
}

} // namespace GrayStep::Engine
