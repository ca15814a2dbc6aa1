// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/writertransport.h"

#include "dolphindb/ddbhasession.h"

#include <QHash>
#include <QObject>

#include <functional>
#include <memory>

namespace GrayStep::Engine {

// The WriterProbe's transport over a DolphinDB HA session (PROTOCOL.md §5): the session is
// created on the writer's thread (this object is made by the probe's factory there).
// prepare(): existsTable, and when absent and settings.createTable, the catalog's creation
// script (the tutorial's schema, with an INT or LONG id column as settings.idType says; VALUE partitions from yesterday to 60 days
// ahead, so the writer's own rows have a partition); for a table that exists (and
// settings.aboveTableMaxId) the catalog's maxId, so the writer starts above it. append(): the catalog's
// tableInsert{loadTable('db','tb')} with one (time, name, id) table of the batch's rows; the session's outcome
// and answering site become the attempt's outcome and node.
class DdbWriterTransport final : public WriterTransport
{
public:
    DdbWriterTransport(const QList<DolphinDb::DdbSite> &sites, const DolphinDb::DdbCredentials &credentials,
                       const DolphinDb::DdbHaSettings &settings = {});
    ~DdbWriterTransport() override;

    void prepare(const WriterSettings &settings, std::function<void(Core::Result<PreparedTable>)> done) override;
    void append(const WriterSettings &settings, qint64 firstId, int count, qint64 timeMs,
                std::function<void(AppendOutcome)> done) override;

    // The table an append sends: `count` rows with consecutive ids from firstId.
    static Core::Result<DolphinDb::DdbValue> rowTable(const WriterSettings &settings, qint64 firstId, qint64 timeMs,
                                                      int count = 1);

private:
    using Handler = std::function<void(const DolphinDb::DdbHaResult &)>;
    void onFinished(const DolphinDb::DdbHaResult &result);
    // The table's largest id (settings.aboveTableMaxId), then done.
    void readTableMaxId(const WriterSettings &settings, const std::function<void(Core::Result<PreparedTable>)> &done);

    QObject m_context;
    std::unique_ptr<DolphinDb::DdbHaSession> m_session;
    QHash<quint64, Handler> m_pending;
};

} // namespace GrayStep::Engine
