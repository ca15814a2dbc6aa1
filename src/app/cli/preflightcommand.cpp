// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli preflight --profile P: the pre-flight checklist (DESIGN.md §3, §7).
#include "cli/upgradecli.h"

#include "engine/clusteraccess.h"
#include "engine/preflight.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

std::optional<Core::UpgradeProfile> loadProfileOption(CliContext &ctx, const QString &path, QString *password,
                                                      int *exitCode)
{
    if (path.isEmpty()) {
        ctx.printError(Core::Error(Core::ErrorCode::InvalidInput, u"--profile P is required"_s));
        *exitCode = ExitUsage;
        return std::nullopt;
    }
    Core::Result<Core::UpgradeProfile> p = Core::UpgradeProfile::load(path);
    if (!p) {
        ctx.printError(p.error());
        *exitCode = ExitUsage;
        return std::nullopt;
    }
    Core::Result<QString> pw = Engine::resolveApiPassword(*p);
    if (!pw) {
        ctx.printError(pw.error());
        *exitCode = ExitUsage;
        return std::nullopt;
    }
    *password = *pw;
    return *p;
}

void printEvent(CliContext &ctx, const Engine::EngineEvent &e)
{
    static QMutex mutex;
    QMutexLocker lock(&mutex);
    if (ctx.json) {
        ctx.out << QString::fromUtf8(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact)) << '\n';
    } else {
        const QString when = QDateTime::fromMSecsSinceEpoch(e.wallMs).toString(u"HH:mm:ss.zzz"_s);
        QString what = Engine::EngineEvent::kindName(e.kind);
        if (e.outcome != Engine::EngineEvent::Outcome::None) {
            what += u'/' + Engine::EngineEvent::outcomeName(e.outcome);
        }
        ctx.out << when << ' ' << what;
        if (!e.host.isEmpty()) {
            ctx.out << " [" << e.host << ']';
        }
        if (!e.step.isEmpty()) {
            ctx.out << ' ' << e.step;
        }
        ctx.out << ": " << e.text << '\n';
    }
    ctx.out.flush();
}

namespace {

int runPreflightCommand(CliContext &ctx)
{
    QString error;
    const QString profilePath = takeOption(ctx.args, u"--profile"_s, &error);
    const QString timeout = takeOption(ctx.args, u"--timeout"_s, &error);
    const QString downtimeJournal = takeOption(ctx.args, u"--downtime-journal"_s, &error);
    if (reportUsageProblem(ctx, error)) {
        return ExitUsage;
    }
    Engine::PreflightOptions o;
    if (!timeout.isEmpty()) {
        bool ok = false;
        const int seconds = timeout.toInt(&ok);
        if (!ok || seconds < 1 || seconds > 3600) {
            ctx.printError(Core::Error(Core::ErrorCode::InvalidInput,
                                       u"--timeout expects whole seconds from 1 to 3600, not '%1'"_s.arg(timeout), u"--timeout"_s));
            return ExitUsage;
        }
        o.timeoutMs = seconds * 1000;
    }
    if (!downtimeJournal.isEmpty()) {
        // How long a host was down in an earlier run (a rehearsal): dfsRecoveryWaitTime is judged against it.
        Core::Result<Engine::DowntimeEstimate> d = Engine::hostDowntimeFromJournal(downtimeJournal);
        if (!d) {
            ctx.printError(d.error());
            return ExitUsage;
        }
        o.hostDowntime = *d;
    }
    int rc = ExitOk;
    QString password;
    std::optional<Core::UpgradeProfile> profile = loadProfileOption(ctx, profilePath, &password, &rc);
    if (!profile) {
        return rc;
    }
    const Engine::PreflightReport report =
        QtConcurrent::run([&] { return Engine::runPreflight(*profile, password, o); }).result();
    if (ctx.json) {
        ctx.printJson(report.toJson());
    } else {
        ctx.out << report.toText();
    }
    return report.anyFailed() ? ExitProblem : ExitOk;
}

} // namespace

CliCommand preflightCommand()
{
    return {u"preflight"_s, u"preflight --profile P [--timeout S] [--downtime-journal J]"_s,
            u"the pre-flight checklist (pass/warn/fail with evidence and fix); exit 1 if any item fails. An item that "
            "does not answer within --timeout (default 60 s) fails. dfsRecoveryWaitTime is judged against the longest "
            "host downtime of journal J (an earlier run or rehearsal), else a documented default of 120 s"_s,
            runPreflightCommand};
}

} // namespace GrayStep::Cli
