// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuitycheck.h"

#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

namespace {

void check(QPromise<Core::Result<ContinuityCheckResult>> &promise, const ContinuityCheckRequest &request)
{
    promise.setProgressRange(0, 1000);
    DolphinDb::DdbBlockingConnection connection;
    if (const Core::Status opened = connection.open(request.site, request.credentials, request.connection); !opened) {
        promise.addResult(opened.error());
        return;
    }
    auto columns = readContinuityColumns([&](const QString &script) { return connection.run(script); },
                                         request.table, request.pageRows,
                                         [&](qint64 read, qint64 total) {
                                             if (total > 0) {
                                                 promise.setProgressValue(static_cast<int>(
                                                     std::min<qint64>(1000, read * 1000 / total)));
                                             }
                                             return !promise.isCanceled();
                                         });
    connection.close();
    if (!columns) {
        promise.addResult(columns.error());
        return;
    }
    ContinuityInput input;
    input.ids = columns->ids;
    input.times = columns->times;
    input.attempts = request.attempts;
    input.hasWriterLog = request.hasWriterLog;
    input.windows = request.windows;
    input.extraNullIdRows = columns->nullIdRows;
    ContinuityCheckResult result;
    result.report = ContinuityAnalyzer(request.options).analyze(input);
    result.series = std::make_shared<const ContinuitySeries>(result.report, request.attempts);
    result.requests = columns->pages;
    promise.setProgressValue(1000);
    promise.addResult(std::move(result));
}

} // namespace

QFuture<Core::Result<ContinuityCheckResult>> runContinuityCheck(QThreadPool *pool, ContinuityCheckRequest request)
{
    return QtConcurrent::run(pool, [request = std::move(request)](QPromise<Core::Result<ContinuityCheckResult>> &promise) {
        check(promise, request);
    });
}

} // namespace GrayStep::Engine
