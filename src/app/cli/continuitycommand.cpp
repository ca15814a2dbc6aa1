// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli continuity: read a table's id and time columns back and classify the writes
// (DESIGN.md §4, §7), with the built-in writer's log when one is given.
#include "cli/clicommand.h"

#include "engine/continuityanalyzer.h"
#include "engine/continuityreader.h"
#include "engine/writerlog.h"

#include "dolphindb/ddbconnection.h"

#include <QJsonObject>
#include <QProcessEnvironment>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

namespace {

constexpr auto HELP = R"(usage: graystep-cli continuity --site HOST:PORT [--user U] [--password-env VAR]
                                --table dfs://DB/TABLE --id COL --time COL
                                [--writer-log FILE] [--time-gap-ms N] [--stall-ms N]
                                [--fatal KIND[,KIND...]] [--page-ids N] [--json]

Reads the table's id and time columns back (in id ranges of about --page-ids rows, default 1000000)
and classifies the writes:
  lost                acknowledged by the server, absent from the table (fatal)
  duplicate           present more than once (an HA resend)
  recovered           indeterminate (no reply), present
  never-written       indeterminate, absent
  failed-but-present  the server said it failed, yet the row is there
  missing-ids         absent ids no writer attempt explains (ranges)
  time-gap            consecutive ids further apart than --time-gap-ms (default 2000)
  stall               an append slower than --stall-ms (default 1000)
Without --writer-log (the built-in writer's attempt log) only duplicates, missing ids and
time gaps can be judged; the output says so.

--password-env VAR  reads the password from the environment variable VAR (never from the
                    command line); without it no login is made.
--fatal KINDS       the kinds that fail the check (default: lost).

Exit status: 0 no fatal finding, 1 fatal findings, 2 bad usage, bad input or no connection.
The --profile P and --journal J forms (DESIGN.md §7) come with the upgrade engine.
)";

int usageError(CliContext &ctx, const QString &message)
{
    ctx.printError(Core::Error(Core::ErrorCode::InvalidInput, message));
    if (!ctx.json) {
        ctx.err << "see: graystep-cli continuity --help\n";
    }
    return ExitUsage;
}

bool takeNumber(CliContext &ctx, const QString &name, qint64 *value, QString *error)
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
    return true;
}

int run(CliContext &ctx)
{
    if (takeFlag(ctx.args, u"--help"_s) || takeFlag(ctx.args, u"-h"_s)) {
        ctx.out << HELP;
        return ExitOk;
    }
    QString error;
    const QString site = takeOption(ctx.args, u"--site"_s, &error);
    const QString user = takeOption(ctx.args, u"--user"_s, &error);
    const QString passwordEnv = takeOption(ctx.args, u"--password-env"_s, &error);
    const QString tablePath = takeOption(ctx.args, u"--table"_s, &error);
    const QString idColumn = takeOption(ctx.args, u"--id"_s, &error);
    const QString timeColumn = takeOption(ctx.args, u"--time"_s, &error);
    const QString writerLogPath = takeOption(ctx.args, u"--writer-log"_s, &error);
    const QString fatalText = takeOption(ctx.args, u"--fatal"_s, &error);
    Engine::ContinuityOptions options;
    qint64 pageIds = 1'000'000;
    if (!takeNumber(ctx, u"--time-gap-ms"_s, &options.timeGapMs, &error)
        || !takeNumber(ctx, u"--stall-ms"_s, &options.stallMs, &error)
        || !takeNumber(ctx, u"--page-ids"_s, &pageIds, &error) || !error.isEmpty()) {
        return usageError(ctx, error);
    }
    if (!ctx.args.isEmpty()) {
        return usageError(ctx, u"unexpected argument '%1'"_s.arg(ctx.args.first()));
    }
    if (site.isEmpty() || tablePath.isEmpty() || idColumn.isEmpty() || timeColumn.isEmpty()) {
        return usageError(ctx, u"--site, --table, --id and --time are required"_s);
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
    const auto ref = Engine::ContinuityTableRef::parse(tablePath, idColumn, timeColumn);
    if (!ref) {
        ctx.printError(ref.error());
        return ExitUsage;
    }
    QString password;
    if (!passwordEnv.isEmpty()) {
        const auto env = QProcessEnvironment::systemEnvironment();
        if (!env.contains(passwordEnv)) {
            return usageError(ctx, u"the environment variable %1 (--password-env) is not set"_s.arg(passwordEnv));
        }
        password = env.value(passwordEnv);
    }

    // The writer log first: a bad file is bad input, found before any network work.
    Engine::WriterLogContents log;
    if (!writerLogPath.isEmpty()) {
        auto loaded = Engine::WriterLog::load(writerLogPath);
        if (!loaded) {
            ctx.printError(loaded.error());
            return ExitUsage;
        }
        log = std::move(loaded).value();
        if (log.tornBytes > 0 && !ctx.json) {
            ctx.err << "graystep-cli: note: the writer log ends in a torn record (" << log.tornBytes
                    << " bytes, a crash while writing); the whole records before it are used\n";
        }
    }

    const auto target = DolphinDb::DdbSite::parse(site);
    if (!target) {
        return usageError(ctx, u"--site: "_s + target.error().message);
    }
    DolphinDb::DdbCredentials credentials;
    credentials.user = user.isEmpty() && !password.isEmpty() ? u"admin"_s : user;  // no user: no login
    credentials.password = password;
    DolphinDb::DdbConnectionSettings connectionSettings;
    connectionSettings.connectTimeoutMs = 10000;
    connectionSettings.requestTimeoutMs = 300000;
    auto connection = std::make_shared<DolphinDb::DdbBlockingConnection>();
    if (const Core::Status opened = connection->open(*target, credentials, connectionSettings); !opened) {
        ctx.printError(opened.error());
        return ExitUsage;
    }
    const Engine::ScriptRunner runner = [connection](const QString &script) { return connection->run(script); };
    auto columns = Engine::readContinuityColumns(runner, *ref, static_cast<int>(std::min<qint64>(pageIds, 50'000'000)));
    if (!columns) {
        ctx.printError(columns.error());
        return ExitUsage;
    }

    Engine::ContinuityInput input;
    input.ids = columns->ids;
    input.times = columns->times;
    input.hasWriterLog = !writerLogPath.isEmpty();
    input.attempts = log.attempts;
    input.extraNullIdRows = columns->nullIdRows;

    const Engine::ContinuityReport report = Engine::ContinuityAnalyzer(options).analyze(input);
    if (ctx.json) {
        QJsonObject o = Engine::continuityReportToJson(report, {}, log.nodes);
        o.insert(u"table"_s, ref->path());
        o.insert(u"site"_s, site);
        o.insert(u"requests"_s, columns->pages);
        ctx.printJson(o);
    } else {
        ctx.out << "table " << ref->path() << " on " << site << " (" << columns->pages << " requests)\n"
                << Engine::continuityReportToText(report, {}, log.nodes);
    }
    return report.isFatal() ? ExitProblem : ExitOk;
}

} // namespace

CliCommand continuityCommand()
{
    return {u"continuity"_s,
            u"continuity --site HOST:PORT --table dfs://DB/TABLE --id COL --time COL [--writer-log FILE] "
            "[--time-gap-ms N]"_s,
            u"classify writes: lost, duplicate, recovered, missing ids, time gaps, stalls (exit 1 on lost rows)"_s,
            run};
}

} // namespace GrayStep::Cli
