// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/continuityanalyzer.h"
#include "engine/continuityreader.h"
#include "engine/continuityseries.h"

#include "dolphindb/ddbconnection.h"

#include <QFuture>

#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QThreadPool;
QT_END_NAMESPACE

namespace GrayStep::Engine {

// One continuity check as the GUI and the engine run it: connect, read the id and time
// columns back, analyse (with the writer's attempts when given), build the chart series.
struct ContinuityCheckRequest
{
    DolphinDb::DdbSite site;
    DolphinDb::DdbCredentials credentials;   // secret: never logged
    DolphinDb::DdbConnectionSettings connection;
    ContinuityTableRef table;
    bool hasWriterLog = false;
    std::vector<WriterAttempt> attempts;
    QList<HostWindow> windows;
    ContinuityOptions options;
    int pageRows = 1'000'000;
};

struct ContinuityCheckResult
{
    ContinuityReport report;
    std::shared_ptr<const ContinuitySeries> series;  // shared: cheap to hand to the GUI thread
    qint64 requests = 0;
};

// Runs the check on `pool` (an engine-owned pool; never the GUI thread, the DolphinDB calls
// block). Progress: rows read of rows total (QFuture progress value/maximum, 0..1000 scaled).
// Cancel the future to stop between pages. The result is an error for bad input, a refused
// connection, a failed read, or cancellation.
QFuture<Core::Result<ContinuityCheckResult>> runContinuityCheck(QThreadPool *pool, ContinuityCheckRequest request);

} // namespace GrayStep::Engine
