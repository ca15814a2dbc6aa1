// SPDX-License-Identifier: GPL-3.0-or-later
// The run's writer: started before staging, checked after each host (the continuity checkpoint),
// judged at the end against the table read back, by the profile's gates.
#include "engine/runwork_p.h"

namespace GrayStep::Engine {

Result<DdbValue> UpgradeRunner::Work::runOnAnyDataNode(const QString &script, int timeoutMs)
{
    QStringList errors;
    for (const Core::ClusterNode &n : m_cluster->topology().nodesWithMode(Core::NodeMode::DataNode)) {
        Result<DdbValue> r = m_cluster->runOn(n.alias, script, timeoutMs);
        if (r) {
            return r;
        }
        errors << n.alias + u": "_s + r.error().message;
    }
    return Error(ErrorCode::Network, errors.join(u"; "_s));
}

namespace {

// The continuity verdict of a run, tied to the profile's gates: more than gates.maxLostRows
// lost rows, a gap in the table's time column or an append slower than gates.maxGapMs (no
// acknowledged write for that long), missing ids or no rows at all fail it.
ContinuityOptions gateOptions(const Core::UpgradeProfile::Gates &gates)
{
    ContinuityOptions co;
    co.timeGapMs = gates.maxGapMs;
    co.stallMs = gates.maxGapMs;
    co.fatalKinds |= findingBit(FindingKind::TimeGap) | findingBit(FindingKind::Stall);
    co.allowedLost = gates.maxLostRows;
    return co;
}

// "N attempts, N acknowledged, N lost, N duplicate, N time gap(s) beyond M ms, max latency N ms".
QString verdictFigures(const ContinuityReport &report, qint64 maxGapMs)
{
    return u"%1 attempts, %2 acknowledged, %3 lost, %4 duplicate, %5 time gap(s) beyond %6 ms, max latency %7 ms"_s
        .arg(report.attempts)
        .arg(report.acknowledged)
        .arg(report.total(FindingKind::Lost))
        .arg(report.total(FindingKind::Duplicate) + report.total(FindingKind::LateDuplicate))
        .arg(report.total(FindingKind::TimeGap))
        .arg(maxGapMs)
        .arg(report.latencyMaxMs == NULL_VALUE ? 0 : report.latencyMaxMs);
}

QString idsOf(const QList<ContinuityFinding> &findings)
{
    QStringList ids;
    for (const ContinuityFinding &f : findings.mid(0, 10)) {
        ids << (f.firstId == f.lastId ? QString::number(f.firstId) : u"%1..%2"_s.arg(f.firstId).arg(f.lastId));
    }
    return ids.join(u", "_s);
}

} // namespace

// Before the next host: every attempt the writer sent since the last checkpoint, up to the
// end of this host's window (its stop to its recovery done, as journaled), against this run's
// rows (its tag) read back over their id range (and the id before it, so a gap at the
// boundary counts). The profile's gates decide (gateOptions: lost rows, time gaps and stalls
// beyond gates.maxGapMs); a breach stops the run, saying what and where; findings are tied to
// this host's window when they fall in it. Each attempt is judged by exactly one checkpoint
// (the last one's end is journaled).
Result<QJsonObject> UpgradeRunner::Work::continuityCheckpoint(const QString &host)
{
    HostWindow window{host, NULL_VALUE, QDateTime::currentMSecsSinceEpoch()};
    qint64 fromMs = NULL_VALUE;
    for (const JournalRecord &r : m_journal->records()) {
        if (r.kind == u"done"_s && r.step == stepKey(StepId::Continuity) && r.data.contains(u"toMs"_s)) {
            fromMs = qint64(r.data.value(u"toMs"_s).toDouble());
        }
    }
    for (const TimelineSpan &s : hostWindowsFromJournal(m_journal->records())) {
        if (s.host == host) {
            window.startMs = s.startMs;
            window.endMs = s.isOpen() ? window.endMs : s.endMs;
        }
    }
    if (window.startMs == NULL_VALUE) {
        return QJsonObject{{u"skipped"_s, u"no window in the journal"_s}};
    }
    // No wait for the appends still in flight: they are indeterminate here (never "lost"), and
    // the run's final check judges every attempt again.
    (void)m_writerLog->sync();
    const WriterLogContents log = m_writerLog->snapshot();
    const WindowAttempts w = attemptsInWindow(log.attempts, fromMs == NULL_VALUE ? std::numeric_limits<qint64>::min() : fromMs + 1,
                                              window.endMs);
    if (w.attempts.empty()) {
        message(u"continuity %1: the writer made no attempt since the last checkpoint"_s.arg(host), host);
        emitEvent(EngineEvent::Kind::CheckResult, Outcome::Warn, host, stepKey(StepId::Continuity),
                  u"no write attempt since the last checkpoint"_s);
        return QJsonObject{{u"attempts"_s, 0}, {u"toMs"_s, window.endMs}};
    }
    // The id before the window's first (the previous window's last attempt) is read too.
    const bool earlier = !log.attempts.empty() && log.attempts.front().id < w.firstId;
    const qint64 readFirst = earlier ? w.firstId - 1 : w.firstId;
    const QString tag = log.tag();
    Result<QString> script = Scripts::idRange(m_profile.writer.database, m_profile.writer.table, u"id"_s, u"time"_s,
                                              readFirst, w.lastId, Scripts::RowFilter{u"name"_s, tag});
    if (!script) {
        return script.error();
    }
    const std::vector<qint64> restarts = log.restartIds();
    ContinuityReport report;
    for (int attempt = 0;; ++attempt) {
        Result<DdbValue> v = runOnAnyDataNode(*script, 60000);
        Result<IdTimePage> page = v ? readIdTimePage(*v, u"id"_s, u"time"_s) : Result<IdTimePage>(v.error());
        ContinuityColumns cols;
        Status read = page ? appendColumns(page->ids, page->times, cols) : Status(page.error());
        if (!read) {
            // Not judged here; the run's final check reads the whole table again.
            message(u"continuity %1: cannot read ids %2..%3 back: %4"_s.arg(host).arg(w.firstId).arg(w.lastId).arg(
                        read.error().message),
                    host);
            emitEvent(EngineEvent::Kind::CheckResult, Outcome::Warn, host, stepKey(StepId::Continuity),
                      u"the window could not be read back: "_s + read.error().message);
            return QJsonObject{{u"error"_s, read.error().message}};
        }
        ContinuityInput in = cols.input();
        in.attempts = w.attempts;
        in.hasWriterLog = true;
        in.writerRestartIds = restarts;
        in.windows = {window};
        report = ContinuityAnalyzer(gateOptions(m_profile.gates)).analyze(in);
        if (report.total(FindingKind::Lost) > 0 && attempt == 0) {
            QThread::msleep(3000); // rule out a read that raced the last appends' visibility
            continue;
        }
        break;
    }
    const qint64 lost = report.total(FindingKind::Lost);
    const bool breach = report.isFatal();
    const QStringList reasons = continuityVerdictReasons(report, {window});
    QString text = u"writer up to the end of %1's window (ids %2..%3, rows tagged %4): "_s.arg(host)
                       .arg(w.firstId)
                       .arg(w.lastId)
                       .arg(tag.isEmpty() ? u"(untagged)"_s : tag)
                   + verdictFigures(report, m_profile.gates.maxGapMs);
    if (breach) {
        text += u"; FAILS: "_s + reasons.join(u"; "_s);
    }
    emitEvent(EngineEvent::Kind::CheckResult, breach ? Outcome::Failed : Outcome::Ok, host, stepKey(StepId::Continuity), text,
              continuityReportToJson(report, {window}, log.nodes));
    if (breach) {
        QString why;
        if (report.isFatal(FindingKind::Lost)) {
            why = u"%1 acknowledged row(s) lost up to the end of the host's window (ids %2; gate: at most %3)"_s.arg(lost)
                      .arg(idsOf(report.findingsOf(FindingKind::Lost)))
                      .arg(m_profile.gates.maxLostRows);
        }
        QStringList others;
        for (const QString &r : reasons) {
            if (!r.startsWith(u"lost:"_s)) {
                others << r;
            }
        }
        if (!others.isEmpty()) {
            why += (why.isEmpty() ? u"the writer's continuity up to the end of the host's window fails the gates: "_s
                                  : u"; "_s)
                + others.join(u"; "_s);
        }
        return stepError(host, stepKey(StepId::Continuity),
                         why + u"; the run stops before the next host. To go on anyway, raise gates.maxLostRows or "
                               "gates.maxGapMs in the profile and resume"_s);
    }
    return QJsonObject{{u"attempts"_s, report.attempts}, {u"acknowledged"_s, report.acknowledged},
                       {u"lost"_s, lost},                {u"duplicate"_s, report.total(FindingKind::Duplicate)},
                       {u"timeGaps"_s, report.total(FindingKind::TimeGap)},
                       {u"firstId"_s, w.firstId},        {u"lastId"_s, w.lastId},
                       {u"tag"_s, tag},
                       {u"fromMs"_s, fromMs == NULL_VALUE ? QJsonValue() : QJsonValue(double(fromMs))},
                       {u"toMs"_s, double(window.endMs)}};
}

// The writer: an HA session over the data nodes writing this run's rows (tagged with the run
// id, ids above the table's largest) into the profile's table. Its log lies next to the
// journal; the log's meta names the table and the tag, each writer start is a session in it.
void UpgradeRunner::Work::startWriter()
{
    if (!m_options.writer || !m_profile.writer.enabled) {
        return;
    }
    QList<DdbSite> sites;
    for (const Core::ClusterNode &n : m_cluster->topology().nodesWithMode(Core::NodeMode::DataNode)) {
        sites.append(DdbSite{n.host, n.port, n.alias});
    }
    const DdbCredentials cred{m_profile.apiUser, m_cluster->apiPassword()};
    const QString tag = writerRunTag(m_runId);
    m_writerLog = std::make_unique<WriterLog>();
    const QString logPath = m_options.journalPath + u".writer"_s;
    if (Status s = m_writerLog->open(logPath, QJsonObject{{u"table"_s, QString(m_profile.writer.database + u'/' + m_profile.writer.table)},
                                                          {u"tag"_s, tag}});
        !s) {
        message(u"writer log: "_s + s.error().message);
        m_writerLog.reset();
        return;
    }
    m_writer = std::make_unique<WriterProbe>(
        [sites, cred]() -> std::unique_ptr<WriterTransport> { return std::make_unique<DdbWriterTransport>(sites, cred); },
        m_writerLog.get());
    WriterSettings ws;
    ws.database = m_profile.writer.database;
    ws.table = m_profile.writer.table;
    ws.rowsPerSecond = m_options.writerRate > 0 ? m_options.writerRate : m_profile.writer.rowsPerSecond;
    ws.idType = m_profile.writer.longIds ? WriterIdType::Long : WriterIdType::Int;
    ws.firstId = m_writerLog->attemptCount() > 0 ? 0 : 1;
    ws.aboveTableMaxId = true;
    // A resumed run's log keeps the tag it started with.
    const QString loggedTag = m_writerLog->snapshot().tag();
    ws.name = loggedTag.isEmpty() ? tag : loggedTag;
    m_writer->start(ws);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 15000 && m_writer->acknowledged() == 0 && m_writer->state() != WriterProbe::State::Failed) {
        QThread::msleep(50);
    }
    const std::vector<WriterSession> sessions = m_writerLog->sessions();
    const QString from = sessions.empty() ? u"(not started)"_s
        : sessions.back().tableMaxId == NULL_VALUE
            ? QString::number(sessions.back().firstId)
            : u"%1 (above the table's largest id %2)"_s.arg(sessions.back().firstId).arg(sessions.back().tableMaxId);
    message(u"writer: %1 rows/s into %2/%3, rows tagged %4, ids from %5 (%6 acknowledged so far)"_s.arg(ws.rowsPerSecond)
                .arg(ws.database, ws.table, ws.name, from)
                .arg(m_writer->acknowledged()));
}

// The run's final continuity check: every attempt of the writer log against this run's rows
// (its tag) read back, judged by the profile's gates (gateOptions); a breach fails the run,
// saying what and where. The verdict, its reasons and the findings go to the summary (report).
void UpgradeRunner::Work::finishWriter()
{
    if (!m_writer) {
        return;
    }
    m_writer->stop();
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 30000 && m_writer->state() != WriterProbe::State::Stopped
           && m_writer->state() != WriterProbe::State::Failed) {
        QThread::msleep(50);
    }
    m_writer.reset();
    (void)m_writerLog->sync();
    const WriterLogContents log = m_writerLog->snapshot();
    // Read this run's rows back through a data node and classify every attempt.
    Result<ContinuityTableRef> ref = ContinuityTableRef::parse(m_profile.writer.database + u'/' + m_profile.writer.table,
                                                               u"id"_s, u"time"_s);
    if (!ref) {
        message(u"continuity: "_s + ref.error().message);
        return;
    }
    ref->tag = log.tag();
    if (ref->tag.isEmpty()) {
        message(u"continuity: the writer log names no run tag (written before runs tagged their rows): every row of "
                "the table is counted, so older rows with the same ids can hide a loss"_s);
    }
    // Findings are tied to the hosts' windows as the journal has them (those a crashed process
    // opened too), each lasting until the host's recovery is done: writes that stall while its
    // chunks recover belong to that host. These are the windows `graystep-cli continuity
    // --journal` reports, so the live report and a later one attribute alike. (The timeline's
    // HostDown..HostUp band is the shorter time the host's nodes were not serving.)
    const QList<TimelineSpan> spans = hostWindowsFromJournal(m_journal->records());
    QList<HostWindow> windows;
    for (const TimelineSpan &s : spans) {
        windows.append({s.host, s.startMs, s.isOpen() ? QDateTime::currentMSecsSinceEpoch() : s.endMs});
    }
    const std::vector<qint64> restarts = log.restartIds();
    for (int attempt = 0;; ++attempt) {
        Result<ContinuityColumns> cols = readContinuityColumns(
            [&](const QString &script) -> Result<DdbValue> { return runOnAnyDataNode(script, 60000); }, *ref);
        if (!cols) {
            // Fallback: one read of both columns (servers without `top`/`order by`).
            message(u"continuity: paged read failed (%1); reading the columns in one request"_s.arg(cols.error().message));
            Result<QString> script = Scripts::idTimeAll(ref->database, ref->table, ref->idColumn, ref->timeColumn,
                                                        ref->filter());
            Result<DdbValue> all = script ? runOnAnyDataNode(*script, 120000) : Result<DdbValue>(script.error());
            if (all) {
                Result<IdTimePage> page = readIdTimePage(*all, ref->idColumn, ref->timeColumn);
                if (page) {
                    ContinuityColumns c;
                    if (Status st = appendColumns(page->ids, page->times, c); st) {
                        cols = std::move(c);
                    }
                }
            }
        }
        if (!cols) {
            message(u"continuity: cannot read the table back: "_s + cols.error().message);
            m_summary.continuity = QJsonObject{{u"error"_s, cols.error().message}};
            return;
        }
        ContinuityInput in = cols->input();
        in.attempts = log.attempts;
        in.hasWriterLog = true;
        in.writerRestartIds = restarts;
        in.windows = windows;
        const ContinuityReport report = ContinuityAnalyzer(gateOptions(m_profile.gates)).analyze(in);
        m_summary.continuity = continuityReportToJson(report, windows, log.nodes);
        m_summary.continuity.insert(u"table"_s, ref->path());
        m_summary.continuity.insert(u"tag"_s, ref->tag);
        const qint64 lost = report.total(FindingKind::Lost);
        if (lost > 0 && attempt == 0) {
            // Rule out a read that raced the last appends' visibility: read once more.
            message(u"continuity: %1 acknowledged id(s) not found (%2); reading the table again in 3 s"_s.arg(lost).arg(
                idsOf(report.findingsOf(FindingKind::Lost))));
            QThread::msleep(3000);
            continue;
        }
        const bool breach = report.isFatal();
        const QStringList reasons = continuityVerdictReasons(report, windows);
        QString text = u"writer: "_s + verdictFigures(report, m_profile.gates.maxGapMs);
        if (breach) {
            text += u"; FAILS: "_s + reasons.join(u"; "_s);
        }
        emitEvent(EngineEvent::Kind::CheckResult, breach ? Outcome::Failed : Outcome::Ok, {}, stepKey(StepId::Continuity), text,
                  m_summary.continuity);
        if (breach && m_summary.ok) {
            m_summary.ok = false;
            m_summary.failure = u"the writer's continuity fails the gates: "_s + reasons.join(u"; "_s);
        }
        return;
    }
}

} // namespace GrayStep::Engine
