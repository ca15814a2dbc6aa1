// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli continuity: read a table's id and time columns back and classify the writes
// (DESIGN.md §4, §7). Two forms:
//   --profile P [--table … --id … --time …] [--journal J]   the cluster of an upgrade profile,
//       read through the HA session over its data nodes; with the run's journal, the built-in
//       writer's attempt log (J.writer) and the host windows the journal recorded;
//   --site HOST:PORT --table … --id … --time … [--writer-log F]   one node, any table.
#include "cli/clicommand.h"
#include "cli/upgradecli.h"

#include "engine/clusteraccess.h"
#include "engine/continuityanalyzer.h"
#include "engine/continuityreader.h"
#include "engine/journal.h"
#include "engine/timelinerecorder.h"
#include "engine/writerlog.h"

#include "dolphindb/ddbconnection.h"
#include "dolphindb/ddbhasession.h"
#include "dolphindb/scripts.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcessEnvironment>

#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

namespace {

constexpr auto HELP = R"(usage: graystep-cli continuity --profile P [--table dfs://DB/TABLE] [--id COL] [--time COL]
                                [--journal J] [options]
       graystep-cli continuity --site HOST:PORT [--user U] [--password-env VAR]
                                --table dfs://DB/TABLE --id COL --time COL [--writer-log FILE] [options]
options: [--time-gap-ms N] [--stall-ms N] [--fatal KIND[,KIND...]] [--page-ids N] [--json]

Reads the table's id and time columns back (in id ranges of about --page-ids rows, default 1000000)
and classifies the writes:
  lost                acknowledged by the server, absent from the table (fatal)
  duplicate           present more than once (an HA resend)
  recovered           indeterminate (no reply), present
  never-written       indeterminate, absent
  failed-but-present  the server said it failed, yet the row is there
  missing-ids         absent ids no writer attempt explains (ranges)
  late-duplicate      present more than once, the copies further apart than --time-gap-ms
  time-gap            a time further after every earlier id's than --time-gap-ms (default 2000;
                      with --profile the profile's gates.maxGapMs)
  time-backwards      an id whose time is earlier than the previous id's
  stall               an append slower than --stall-ms (default 1000; with --profile and --journal
                      the profile's gates.maxGapMs)
  null-id, null-time  rows whose id or time is null (with their times when known)
  no-rows             the table (or the run's rows in it) yields no row with an id: nothing to judge
Without a writer log only duplicates, missing ids and time gaps can be judged; the output says so.
A writer log names its run's tag: only the rows of that run (name = tag) are read, so rows of an
earlier run or of the application with the same ids count for nothing.

--profile P         the cluster's data nodes, the API user and its password reference come from
                    the profile; reads go through an HA session over the data nodes (a node that
                    is down is skipped). The table is the profile's writer table (columns id and
                    time) unless --table is given (--id/--time default to id and time).
--journal J         the journal of a run of that profile: the built-in writer's attempt log
                    (J.writer) is used, and every finding names the host window (a host's stop
                    to its recovery, as the journal recorded them) it falls in.
--site HOST:PORT    one node; --password-env VAR reads the password from the environment variable
                    VAR (never from the command line); without it no login is made.
--writer-log FILE   (with --site) the built-in writer's attempt log.
--fatal KINDS       the kinds that fail the check (default: lost, missing-ids, no-rows; with
                    --profile and --journal also time-gap and stall, as the run's gates, and lost
                    only beyond gates.maxLostRows).

Exit status: 0 no fatal finding, 1 fatal findings, 2 bad usage, bad input or no connection.
)";

int usageError(CliContext &ctx, const QString &message)
{
    ctx.printError(Core::Error(Core::ErrorCode::InvalidInput, message));
    if (!ctx.json) {
        ctx.err << "see: graystep-cli continuity --help\n";
    }
    return ExitUsage;
}

int inputError(CliContext &ctx, const Core::Error &error)
{
    ctx.printError(error);
    return ExitUsage;
}

bool takeNumber(CliContext &ctx, const QString &name, qint64 *value, bool *given, QString *error)
{
    const QString text = takeOption(ctx.args, name, error);
    if (text.isEmpty()) {
        return true;
    }
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v < 0) {
        *error = u"%1 needs a number of milliseconds or ids, not '%2'"_s.arg(name, text);
        return false;
    }
    *value = v;
    if (given) {
        *given = true;
    }
    return true;
}

QString timeText(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);  // as the report prints times
}

// Where the rows come from, and what is known about the run that wrote them.
struct Source
{
    Engine::ScriptRunner run;
    QString where;                       // "on HOST:PORT" / "via data nodes a, b"
    Engine::WriterLogContents log;
    bool hasWriterLog = false;
    QString writerLogPath;
    QList<Engine::TimelineSpan> spans;   // host windows (open: endMs -1)
    std::shared_ptr<void> keepAlive;     // the connection or session behind run
};

// The writer log of a file; prints the torn-tail note.
Core::Result<Engine::WriterLogContents> loadWriterLog(CliContext &ctx, const QString &path)
{
    auto loaded = Engine::WriterLog::load(path);
    if (!loaded) {
        return loaded.error();
    }
    if (loaded->tornBytes > 0 && !ctx.json) {
        ctx.err << "graystep-cli: note: the writer log ends in a torn record (" << loaded->tornBytes
                << " bytes, a crash while writing); the whole records before it are used\n";
    }
    return loaded;
}

// The journal of a run of `profilePath`: its host windows and (when the run kept one) the
// writer's attempt log. Checked before any network work.
Core::Status readJournal(CliContext &ctx, const QString &journalPath, const QString &profilePath,
                         const QString &tablePath, Source &source)
{
    if (!QFileInfo::exists(journalPath)) {
        return Core::Error(Core::ErrorCode::NotFound, u"no such journal (--journal)"_s, journalPath);
    }
    auto journal = Engine::Journal::read(journalPath);
    if (!journal) {
        return journal.error();
    }
    const Engine::JournalRecord *run = nullptr;
    for (const Engine::JournalRecord &r : journal->records) {
        if (r.kind == u"run"_s) {
            run = &r;
            break;
        }
    }
    if (!run) {
        return Core::Error(Core::ErrorCode::InvalidInput, u"the journal holds no run (no \"run\" record)"_s,
                           journalPath);
    }
    const QString runProfile = run->data.value(u"profile"_s).toString();
    if (!runProfile.isEmpty()) {
        const QString a = QFileInfo(runProfile).canonicalFilePath();
        const QString b = QFileInfo(profilePath).canonicalFilePath();
        if (a.isEmpty() || a != b) {
            return Core::Error(Core::ErrorCode::InvalidInput,
                               u"the journal records a run of the profile %1, not of %2 (--profile)"_s.arg(
                                   runProfile, profilePath),
                               journalPath);
        }
    }
    source.spans = Engine::hostWindowsFromJournal(journal->records);

    // The runner keeps the writer's log next to the journal (UpgradeRunner: <journal>.writer).
    source.writerLogPath = journalPath + u".writer"_s;
    if (!QFileInfo::exists(source.writerLogPath)) {
        if (!ctx.json) {
            ctx.err << "graystep-cli: note: the run kept no writer log (" << source.writerLogPath
                    << "); judging the table alone\n";
        }
        source.writerLogPath.clear();
        return {};
    }
    auto log = loadWriterLog(ctx, source.writerLogPath);
    if (!log) {
        return log.error();
    }
    const QString logTable = log->meta.value(u"table"_s).toString();
    if (!logTable.isEmpty() && logTable != tablePath) {
        return Core::Error(Core::ErrorCode::InvalidInput,
                           u"the run's writer wrote %1, not %2 (--table); drop --table or --journal"_s.arg(logTable,
                                                                                                        tablePath),
                           source.writerLogPath);
    }
    source.log = std::move(log).value();
    source.hasWriterLog = true;
    return {};
}

Core::Result<DolphinDb::DdbValue> haRun(DolphinDb::DdbBlockingHaSession &session, const QString &script)
{
    DolphinDb::DdbHaResult r = session.run(script);
    if (r.ok()) {
        return std::move(r.value);
    }
    return r.error.value_or(Core::Error(Core::ErrorCode::Network, u"no data node answered"_s));
}

// The table must have the id and time columns, of types the check can count: a clear error
// naming the table, the column, its type and the option.
Core::Status checkColumns(const Engine::ScriptRunner &run, const Engine::ContinuityTableRef &ref)
{
    const auto script = DolphinDb::Scripts::tableSchema(ref.database, ref.table);
    if (!script) {
        return script.error();
    }
    const auto value = run(*script);
    if (!value) {
        return Core::Error(value.error().code, u"cannot read the table's schema: "_s + value.error().message, ref.path());
    }
    const auto columns = DolphinDb::readSchema(*value);
    if (!columns) {
        return Core::Error(columns.error().code, columns.error().message, ref.path());
    }
    const std::pair<QString, QString> wanted[] = {{ref.idColumn, u"--id"_s}, {ref.timeColumn, u"--time"_s}};
    for (const auto &[name, option] : wanted) {
        const DolphinDb::ColumnDef *found = nullptr;
        for (const DolphinDb::ColumnDef &c : *columns) {
            if (!found && c.name.compare(name, Qt::CaseInsensitive) == 0) {
                found = &c;
            }
        }
        if (found) {
            const auto type = DolphinDb::typeFromName(found->typeString);
            const QString typeText = found->typeString.isEmpty() ? u"of an unknown type"_s : found->typeString;
            if (option == u"--id"_s && (!type || (*type != DolphinDb::DataType::Int && *type != DolphinDb::DataType::Long
                                                  && *type != DolphinDb::DataType::Short))) {
                return Core::Error(Core::ErrorCode::InvalidInput,
                                   u"the id column '%1' (--id) is %2; it must be INT, LONG or SHORT"_s.arg(found->name,
                                                                                                          typeText),
                                   ref.path());
            }
            if (option == u"--time"_s && (!type || !DolphinDb::isTemporal(*type))) {
                return Core::Error(Core::ErrorCode::InvalidInput,
                                   u"the time column '%1' (--time) is %2; it must be a temporal type (TIMESTAMP, "
                                   "DATETIME, NANOTIMESTAMP, DATE, ...)"_s.arg(found->name, typeText),
                                   ref.path());
            }
        } else {
            QStringList names;
            for (const DolphinDb::ColumnDef &c : *columns) {
                names << c.name;
            }
            return Core::Error(Core::ErrorCode::InvalidInput,
                               u"the table has no column '%1' (%2); its columns: %3"_s.arg(name, option,
                                                                                           names.join(u", "_s)),
                               ref.path());
        }
    }
    return {};
}

int run(CliContext &ctx)
{
    if (takeFlag(ctx.args, u"--help"_s) || takeFlag(ctx.args, u"-h"_s)) {
        ctx.out << HELP;
        return ExitOk;
    }
    QString error;
    const QString profilePath = takeOption(ctx.args, u"--profile"_s, &error);
    const QString journalPath = takeOption(ctx.args, u"--journal"_s, &error);
    const QString site = takeOption(ctx.args, u"--site"_s, &error);
    const QString user = takeOption(ctx.args, u"--user"_s, &error);
    const QString passwordEnv = takeOption(ctx.args, u"--password-env"_s, &error);
    QString tablePath = takeOption(ctx.args, u"--table"_s, &error);
    QString idColumn = takeOption(ctx.args, u"--id"_s, &error);
    QString timeColumn = takeOption(ctx.args, u"--time"_s, &error);
    const QString writerLogPath = takeOption(ctx.args, u"--writer-log"_s, &error);
    const QString fatalText = takeOption(ctx.args, u"--fatal"_s, &error);
    Engine::ContinuityOptions options;
    qint64 pageIds = 1'000'000;
    bool timeGapGiven = false;
    bool stallGiven = false;
    if (!takeNumber(ctx, u"--time-gap-ms"_s, &options.timeGapMs, &timeGapGiven, &error)
        || !takeNumber(ctx, u"--stall-ms"_s, &options.stallMs, &stallGiven, &error)
        || !takeNumber(ctx, u"--page-ids"_s, &pageIds, nullptr, &error) || !error.isEmpty()) {
        return usageError(ctx, error);
    }
    if (!ctx.args.isEmpty()) {
        return usageError(ctx, u"unexpected argument '%1'"_s.arg(ctx.args.first()));
    }
    const bool profileMode = !profilePath.isEmpty();
    if (profileMode == !site.isEmpty()) {
        return usageError(ctx, profileMode ? u"give --profile or --site, not both"_s
                                           : u"--profile P (or --site HOST:PORT) is required"_s);
    }
    if (profileMode) {
        if (!user.isEmpty() || !passwordEnv.isEmpty() || !writerLogPath.isEmpty()) {
            return usageError(ctx, u"--user, --password-env and --writer-log go with --site; with --profile the "
                                   "profile's API user and the journal's writer log are used"_s);
        }
    } else {
        if (!journalPath.isEmpty()) {
            return usageError(ctx, u"--journal goes with --profile"_s);
        }
        if (tablePath.isEmpty() || idColumn.isEmpty() || timeColumn.isEmpty()) {
            return usageError(ctx, u"--site, --table, --id and --time are required"_s);
        }
    }
    if (!fatalText.isEmpty()) {
        options.fatalKinds = 0;
        for (const QString &name : fatalText.split(u',', Qt::SkipEmptyParts)) {
            const auto kind = Engine::findingKindFromName(name.trimmed());
            if (!kind) {
                return usageError(ctx, u"--fatal: unknown kind '%1'"_s.arg(name));
            }
            options.fatalKinds |= Engine::findingBit(*kind);
        }
    }
    if (pageIds == 0) {
        return usageError(ctx, u"--page-ids must be at least 1"_s);
    }

    Source source;
    std::optional<Core::UpgradeProfile> profile;
    QString password;
    if (profileMode) {
        int rc = ExitUsage;
        profile = loadProfileOption(ctx, profilePath, &password, &rc);
        if (!profile) {
            return rc;
        }
        if (tablePath.isEmpty()) {
            tablePath = profile->writer.database + u'/' + profile->writer.table;
        }
        if (!timeGapGiven) {
            options.timeGapMs = profile->gates.maxGapMs;
        }
    }
    if (idColumn.isEmpty()) {
        idColumn = u"id"_s;
    }
    if (timeColumn.isEmpty()) {
        timeColumn = u"time"_s;
    }
    const auto ref = Engine::ContinuityTableRef::parse(tablePath, idColumn, timeColumn);
    if (!ref) {
        return inputError(ctx, ref.error());
    }

    // Files first: a bad journal or log is bad input, found before any network work.
    if (!journalPath.isEmpty()) {
        if (const Core::Status s = readJournal(ctx, journalPath, profilePath, ref->path(), source); !s) {
            return inputError(ctx, s.error());
        }
    }
    if (!writerLogPath.isEmpty()) {
        auto log = loadWriterLog(ctx, writerLogPath);
        if (!log) {
            return inputError(ctx, log.error());
        }
        source.log = std::move(log).value();
        source.hasWriterLog = true;
        source.writerLogPath = writerLogPath;
    }
    // A writer log's run: only its rows (its tag) are read.
    Engine::ContinuityTableRef tableRef = *ref;
    if (source.hasWriterLog) {
        tableRef.tag = source.log.tag();
        if (tableRef.tag.isEmpty() && !ctx.json) {
            ctx.err << "graystep-cli: note: the writer log names no run tag (written before runs tagged their rows): "
                       "every row of the table is counted, so older rows with the same ids can hide a loss\n";
        }
        if (const Core::Status s = tableRef.validate(); !s) {
            return inputError(ctx, Core::Error(s.error().code, s.error().message, source.writerLogPath));
        }
    }
    // The run's own verdict (UpgradeRunner): its gates decide, as they did during the run.
    if (profileMode && source.hasWriterLog && fatalText.isEmpty()) {
        options.fatalKinds |= Engine::findingBit(Engine::FindingKind::TimeGap)
            | Engine::findingBit(Engine::FindingKind::Stall);
        options.allowedLost = profile->gates.maxLostRows;
        if (!stallGiven) {
            options.stallMs = profile->gates.maxGapMs;
        }
    }

    if (profileMode) {
        auto cluster = Engine::ClusterAccess::create(*profile, password);
        if (!cluster) {
            return inputError(ctx, Core::Error(cluster.error().code, cluster.error().message, profilePath));
        }
        QList<DolphinDb::DdbSite> sites;
        QStringList aliases;
        for (const Core::ClusterNode &n : (*cluster)->topology().nodesWithMode(Core::NodeMode::DataNode)) {
            sites.append(DolphinDb::DdbSite{n.host, quint16(n.port), n.alias});
            aliases << n.alias;
        }
        if (sites.isEmpty()) {
            return inputError(ctx, Core::Error(Core::ErrorCode::InvalidInput, u"the cluster has no data node"_s,
                                               profilePath));
        }
        DolphinDb::DdbHaSettings ha;
        ha.connection.connectTimeoutMs = 5000;
        ha.connection.requestTimeoutMs = 300000;
        ha.failoverTimeoutMs = 30000;
        ha.retryPauseMs = 50;
        ha.roundPauseMs = 500;
        auto session = std::make_shared<DolphinDb::DdbBlockingHaSession>(
            sites, DolphinDb::DdbCredentials{profile->apiUser, password}, ha);
        source.keepAlive = session;
        source.run = [session](const QString &script) { return haRun(*session, script); };
        source.where = u"via data nodes "_s + aliases.join(u", "_s);
    } else {
        QString sitePassword;
        if (!passwordEnv.isEmpty()) {
            const auto env = QProcessEnvironment::systemEnvironment();
            if (!env.contains(passwordEnv)) {
                return usageError(ctx,
                                  u"the environment variable %1 (--password-env) is not set"_s.arg(passwordEnv));
            }
            sitePassword = env.value(passwordEnv);
        }
        const auto target = DolphinDb::DdbSite::parse(site);
        if (!target) {
            return usageError(ctx, u"--site: "_s + target.error().message);
        }
        DolphinDb::DdbCredentials credentials;
        credentials.user = user.isEmpty() && !sitePassword.isEmpty() ? u"admin"_s : user;  // no user: no login
        credentials.password = sitePassword;
        DolphinDb::DdbConnectionSettings connectionSettings;
        connectionSettings.connectTimeoutMs = 10000;
        connectionSettings.requestTimeoutMs = 300000;
        auto connection = std::make_shared<DolphinDb::DdbBlockingConnection>();
        if (const Core::Status opened = connection->open(*target, credentials, connectionSettings); !opened) {
            return inputError(ctx, opened.error());
        }
        source.keepAlive = connection;
        source.run = [connection](const QString &script) { return connection->run(script); };
        source.where = u"on "_s + site;
    }

    if (profileMode) {  // (the --site form leaves it to the read, as servers without schema() need)
        if (const Core::Status s = checkColumns(source.run, *ref); !s) {
            return inputError(ctx, s.error());
        }
    }
    auto columns = Engine::readContinuityColumns(source.run, tableRef,
                                                 static_cast<int>(std::min<qint64>(pageIds, 50'000'000)));
    if (!columns) {
        return inputError(ctx, columns.error());
    }

    // Host windows: an open one (the run stopped while the host was down) reaches to the end.
    QList<Engine::HostWindow> windows;
    for (const Engine::TimelineSpan &s : source.spans) {
        windows.append({s.host, s.startMs, s.isOpen() ? std::numeric_limits<qint64>::max() : s.endMs});
    }

    const std::vector<qint64> restarts = source.log.restartIds();
    Engine::ContinuityInput input = columns->input();
    input.hasWriterLog = source.hasWriterLog;
    input.attempts = source.log.attempts;
    input.writerRestartIds = restarts;
    input.windows = windows;

    const Engine::ContinuityReport report = Engine::ContinuityAnalyzer(options).analyze(input);
    if (ctx.json) {
        QJsonObject o = Engine::continuityReportToJson(report, windows, source.log.nodes);
        o.insert(u"table"_s, ref->path());
        o.insert(u"idColumn"_s, ref->idColumn);
        o.insert(u"timeColumn"_s, ref->timeColumn);
        if (!tableRef.tag.isEmpty()) {
            o.insert(u"tag"_s, tableRef.tag);
            o.insert(u"tagColumn"_s, tableRef.tagColumn);
        }
        if (source.hasWriterLog) {
            QJsonArray sessions;
            for (const Engine::WriterSession &ws : source.log.sessions) {
                sessions.append(ws.toJson());
            }
            o.insert(u"writerSessions"_s, sessions);
        }
        if (profileMode) {
            o.insert(u"profile"_s, profilePath);
        } else {
            o.insert(u"site"_s, site);
        }
        if (!journalPath.isEmpty()) {
            o.insert(u"journal"_s, journalPath);
        }
        if (source.hasWriterLog) {
            o.insert(u"writerLog"_s, source.writerLogPath);
        }
        QJsonArray w;
        for (const Engine::TimelineSpan &s : source.spans) {
            w.append(QJsonObject{{u"host"_s, s.host},
                                 {u"startMs"_s, s.startMs},
                                 {u"endMs"_s, s.isOpen() ? QJsonValue() : QJsonValue(s.endMs)}});
        }
        o.insert(u"windows"_s, w);
        o.insert(u"requests"_s, columns->pages);
        ctx.printJson(o);
    } else {
        ctx.out << "table " << tableRef.describe() << " " << source.where << " (" << columns->pages << " requests)\n";
        if (source.hasWriterLog) {
            ctx.out << "writer log " << source.writerLogPath << "\n";
            for (const Engine::WriterSession &ws : source.log.sessions) {
                ctx.out << "writer started " << (ws.startMs == Engine::NULL_VALUE ? u"-"_s : timeText(ws.startMs))
                        << ": first id " << ws.firstId;
                if (ws.tableMaxId != Engine::NULL_VALUE) {
                    ctx.out << " (above the table's largest id " << ws.tableMaxId << ")";
                }
                ctx.out << ", rows tagged " << ws.tag << "\n";
            }
        }
        for (const Engine::TimelineSpan &s : source.spans) {
            ctx.out << "host window " << s.host << ": " << timeText(s.startMs) << " .. "
                    << (s.isOpen() ? u"(still open)"_s : timeText(s.endMs)) << "\n";
        }
        ctx.out << Engine::continuityReportToText(report, windows, source.log.nodes);
    }
    return report.isFatal() ? ExitProblem : ExitOk;
}

} // namespace

CliCommand continuityCommand()
{
    return {u"continuity"_s,
            u"continuity (--profile P [--table dfs://DB/TABLE --id COL --time COL] [--journal J] | --site HOST:PORT "
            "--table dfs://DB/TABLE --id COL --time COL [--writer-log FILE]) [--time-gap-ms N]"_s,
            u"classify writes: lost, duplicate, recovered, missing ids, time gaps, stalls (exit 1 on lost rows, missing ids, no rows; with a journal, also on gaps beyond the gates)"_s,
            run};
}

} // namespace GrayStep::Cli
