// SPDX-License-Identifier: GPL-3.0-or-later
// The continuity report's output: JSON (CLI --json, the run's events and summary, report
// export), the human text, and the reasons a verdict fails.
#include "engine/continuityanalyzer.h"

#include <QDateTime>
#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

namespace {

QJsonValue jsonNumber(qint64 v)
{
    return v == NULL_VALUE ? QJsonValue() : QJsonValue(v);
}

QString timeText(qint64 ms)
{
    if (ms == NULL_VALUE) {
        return u"-"_s;
    }
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QString nodeName(const QStringList &names, int node)
{
    return node >= 0 && node < names.size() ? names.at(node) : QString();
}

bool hasValue(FindingKind kind)
{
    return kind == FindingKind::TimeGap || kind == FindingKind::Stall || kind == FindingKind::TimeBackwards
        || kind == FindingKind::LateDuplicate;
}

QString idsText(const ContinuityFinding &f)
{
    if (f.firstId == NULL_VALUE) {
        return u"-"_s;
    }
    return f.firstId == f.lastId ? QString::number(f.firstId) : u"%1..%2"_s.arg(f.firstId).arg(f.lastId);
}

// "(T .. T) during HOST" for one finding; a finding without a known time says so.
QString whereText(const ContinuityFinding &f, const QList<HostWindow> &windows)
{
    QString s = f.startMs == NULL_VALUE && f.endMs == NULL_VALUE
        ? u"(time unknown)"_s
        : u"(%1 .. %2)"_s.arg(timeText(f.startMs), timeText(f.endMs));
    if (f.window >= 0 && f.window < windows.size()) {
        s += u" during "_s + windows.at(f.window).host;
    }
    return s;
}

// One example of a fatal finding: what and where.
QString exampleText(const ContinuityFinding &f, const QList<HostWindow> &windows)
{
    switch (f.kind) {
    case FindingKind::TimeGap:
        return u"%1 ms between ids %2 and %3 %4"_s.arg(f.valueMs).arg(f.firstId).arg(f.lastId).arg(whereText(f, windows));
    case FindingKind::Stall:
        return u"ids %1, %2 append(s) up to %3 ms %4"_s.arg(idsText(f)).arg(f.count).arg(f.valueMs).arg(
            whereText(f, windows));
    case FindingKind::TimeBackwards:
        return u"id %1 is %2 ms earlier than id %3 %4"_s.arg(f.lastId).arg(f.valueMs).arg(f.firstId).arg(
            whereText(f, windows));
    case FindingKind::NoRows:
        return u"the table (or the run's filter) yields no row with an id: a wrong table, column or filter "
               "looks the same"_s;
    default:
        return u"ids %1 %2"_s.arg(idsText(f), whereText(f, windows));
    }
}

QString kindSummary(const ContinuityReport &report, FindingKind kind)
{
    const qint64 total = report.total(kind);
    switch (kind) {
    case FindingKind::Lost:
        return u"%1 acknowledged id(s) absent (allowed: %2)"_s.arg(total).arg(report.allowedLost);
    case FindingKind::TimeGap:
        return u"%1 time gap(s) beyond %2 ms"_s.arg(total).arg(report.timeGapMs);
    case FindingKind::Stall:
        return u"%1 append(s) slower than %2 ms"_s.arg(total).arg(report.stallMs);
    case FindingKind::MissingIds:
        return u"%1 id(s) absent that no writer attempt explains"_s.arg(total);
    case FindingKind::NoRows:
        return u"nothing to judge"_s;
    default:
        return u"%1"_s.arg(total);
    }
}

} // namespace

QStringList continuityVerdictReasons(const ContinuityReport &report, const QList<HostWindow> &windows,
                                     int examplesPerKind)
{
    QStringList reasons;
    for (size_t k = 0; k < FINDING_KIND_COUNT; ++k) {
        const auto kind = static_cast<FindingKind>(k);
        if (!report.isFatal(kind)) {
            continue;
        }
        QStringList examples;
        for (const ContinuityFinding &f : report.findings) {
            if (f.kind == kind && examples.size() < examplesPerKind) {
                examples << exampleText(f, windows);
            }
        }
        const qint64 more = report.findingCounts[k] - examples.size();
        QString line = findingKindName(kind) + u": "_s + kindSummary(report, kind) + u": "_s + examples.join(u"; "_s);
        if (more > 0) {
            line += u"; %1 more"_s.arg(more);
        }
        reasons << line;
    }
    return reasons;
}

QJsonObject continuityReportToJson(const ContinuityReport &report, const QList<HostWindow> &windows,
                                   const QStringList &nodeNames)
{
    QJsonObject o;
    o.insert(u"mode"_s, report.writerMode ? u"writer"_s : u"existing-table"_s);
    o.insert(u"verdict"_s, report.isFatal() ? u"fail"_s : u"pass"_s);
    o.insert(u"reasons"_s, QJsonArray::fromStringList(continuityVerdictReasons(report, windows)));
    o.insert(u"notJudged"_s, QJsonArray::fromStringList(report.notJudged));
    o.insert(u"thresholds"_s, QJsonObject{{u"timeGapMs"_s, report.timeGapMs},
                                          {u"stallMs"_s, report.stallMs},
                                          {u"allowedLost"_s, report.allowedLost}});
    o.insert(u"gapsAcrossWriterRestarts"_s, report.gapsAcrossWriterRestarts);
    QJsonArray fatal;
    QJsonObject totals;
    for (size_t k = 0; k < FINDING_KIND_COUNT; ++k) {
        const auto kind = static_cast<FindingKind>(k);
        if (report.fatalKinds & findingBit(kind)) {
            fatal.append(findingKindName(kind));
        }
        totals.insert(findingKindName(kind), report.totals[k]);
    }
    o.insert(u"fatalKinds"_s, fatal);
    o.insert(u"totals"_s, totals);
    o.insert(u"rows"_s, report.rows);
    o.insert(u"distinctIds"_s, report.distinctIds);
    o.insert(u"minId"_s, jsonNumber(report.minId));
    o.insert(u"maxId"_s, jsonNumber(report.maxId));
    o.insert(u"minTimeMs"_s, jsonNumber(report.minTimeMs));
    o.insert(u"maxTimeMs"_s, jsonNumber(report.maxTimeMs));
    o.insert(u"nullIdRows"_s, report.nullIdRows);
    o.insert(u"nullTimeRows"_s, report.nullTimeRows);
    if (report.writerMode) {
        o.insert(u"attempts"_s, QJsonObject{{u"total"_s, report.attempts},
                                            {u"acknowledged"_s, report.acknowledged},
                                            {u"failed"_s, report.failed},
                                            {u"indeterminate"_s, report.indeterminate}});
        o.insert(u"latencyMs"_s, QJsonObject{{u"p50"_s, jsonNumber(report.latencyP50Ms)},
                                             {u"p99"_s, jsonNumber(report.latencyP99Ms)},
                                             {u"max"_s, jsonNumber(report.latencyMaxMs)}});
    }
    quint32 rateMax = 0;
    for (quint32 c : report.rate.counts) {
        rateMax = std::max(rateMax, c);
    }
    o.insert(u"rate"_s, QJsonObject{{u"startMs"_s, jsonNumber(report.rate.startMs)},
                                    {u"bucketMs"_s, report.rate.bucketMs},
                                    {u"buckets"_s, static_cast<qint64>(report.rate.counts.size())},
                                    {u"maxRowsPerBucket"_s, static_cast<qint64>(rateMax)}});
    QJsonArray list;
    for (const auto &f : report.findings) {
        QJsonObject j{{u"kind"_s, findingKindName(f.kind)},
                      {u"firstId"_s, jsonNumber(f.firstId)},
                      {u"lastId"_s, jsonNumber(f.lastId)},
                      {u"count"_s, f.count},
                      {u"startMs"_s, jsonNumber(f.startMs)},
                      {u"endMs"_s, jsonNumber(f.endMs)}};
        if (hasValue(f.kind)) {
            j.insert(u"valueMs"_s, f.valueMs);
        }
        if (f.node >= 0) {
            j.insert(u"node"_s, nodeName(nodeNames, f.node));
        }
        if (f.window >= 0 && f.window < windows.size()) {
            j.insert(u"host"_s, windows.at(f.window).host);
        }
        list.append(j);
    }
    o.insert(u"findings"_s, list);
    o.insert(u"findingsTruncated"_s, report.findingsTruncated);
    // The host windows the findings were tied to (a finding's "host" names one of them).
    QJsonArray spans;
    for (const HostWindow &w : windows) {
        spans.append(QJsonObject{{u"host"_s, w.host}, {u"startMs"_s, jsonNumber(w.startMs)}, {u"endMs"_s, jsonNumber(w.endMs)}});
    }
    o.insert(u"windows"_s, spans);
    return o;
}

QString continuityReportToText(const ContinuityReport &report, const QList<HostWindow> &windows,
                               const QStringList &nodeNames, int maxLines)
{
    QString s;
    s += u"verdict: "_s + (report.isFatal() ? u"FAIL"_s : u"pass"_s) + u"  ("_s
        + (report.writerMode ? u"writer log"_s : u"existing table, no writer log"_s) + u")\n"_s;
    for (const QString &reason : continuityVerdictReasons(report, windows)) {
        s += u"  because "_s + reason + u'\n';
    }
    if (!report.notJudged.isEmpty()) {
        s += u"not judged without a writer log: "_s + report.notJudged.join(u", "_s) + u'\n';
    }
    if (report.gapsAcrossWriterRestarts > 0) {
        s += u"not judged: %1 time gap(s) across a restart of the writer (the tool was not writing)\n"_s.arg(
            report.gapsAcrossWriterRestarts);
    }
    s += u"rows %1, distinct ids %2, ids %3..%4, time %5 .. %6\n"_s.arg(report.rows)
             .arg(report.distinctIds)
             .arg(report.minId == NULL_VALUE ? u"-"_s : QString::number(report.minId),
                  report.maxId == NULL_VALUE ? u"-"_s : QString::number(report.maxId),
                  timeText(report.minTimeMs), timeText(report.maxTimeMs));
    if (report.writerMode) {
        s += u"attempts %1: acknowledged %2, failed %3, indeterminate %4; latency p50 %5 ms, p99 %6 ms, max %7 ms\n"_s
                 .arg(report.attempts).arg(report.acknowledged).arg(report.failed).arg(report.indeterminate)
                 .arg(report.latencyP50Ms == NULL_VALUE ? u"-"_s : QString::number(report.latencyP50Ms),
                      report.latencyP99Ms == NULL_VALUE ? u"-"_s : QString::number(report.latencyP99Ms),
                      report.latencyMaxMs == NULL_VALUE ? u"-"_s : QString::number(report.latencyMaxMs));
    }
    for (size_t k = 0; k < FINDING_KIND_COUNT; ++k) {
        if (report.findingCounts[k] > 0) {
            const auto kind = static_cast<FindingKind>(k);
            s += u"  %1: %2 (%3 findings)%4\n"_s.arg(findingKindName(kind))
                     .arg(report.totals[k])
                     .arg(report.findingCounts[k])
                     .arg(report.isFatal(kind) ? u"  FATAL"_s : QString());
        }
    }
    int lines = 0;
    for (const auto &f : report.findings) {
        if (lines++ >= maxLines) {
            s += u"  … %1 more findings (use --json)\n"_s.arg(report.findings.size() - maxLines);
            break;
        }
        if (f.kind == FindingKind::NoRows) {
            s += u"  no-rows: "_s + exampleText(f, windows) + u'\n';
            continue;
        }
        s += u"  %1 id %2 count %3 %4"_s.arg(findingKindName(f.kind), idsText(f)).arg(f.count)
                 .arg(f.startMs == NULL_VALUE && f.endMs == NULL_VALUE
                          ? u"time unknown"_s
                          : u"at %1 .. %2"_s.arg(timeText(f.startMs), timeText(f.endMs)));
        if (hasValue(f.kind)) {
            s += u" (%1 ms)"_s.arg(f.valueMs);
        }
        if (f.node >= 0) {
            s += u" node "_s + nodeName(nodeNames, f.node);
        }
        if (f.window >= 0 && f.window < windows.size()) {
            s += u" during "_s + windows.at(f.window).host;
        }
        s += u'\n';
    }
    return s;
}

} // namespace GrayStep::Engine
