// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli rollback --journal J --host ADDR: roll one host back from its verified backup
// (only inside the safe window: before its nodes rejoined with the new version).
#include "cli/upgradecli.h"

#include <QFileInfo>
#include <QJsonObject>

#include <thread>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

namespace {

int runRollbackCommand(CliContext &ctx)
{
    QString error;
    const QString journal = takeOption(ctx.args, u"--journal"_s, &error);
    const QString host = takeOption(ctx.args, u"--host"_s, &error);
    const QString profileOverride = takeOption(ctx.args, u"--profile"_s, &error);
    const bool breakLock = takeFlag(ctx.args, u"--break-lock"_s);
    const QString missing = journal.isEmpty() || host.isEmpty() ? u"--journal J and --host ADDR are required"_s : QString();
    if (reportUsageProblem(ctx, error, missing)) {
        return ExitUsage;
    }
    Core::Result<Engine::RunOptions> o = Engine::runOptionsFromJournal(QFileInfo(journal).absoluteFilePath());
    if (!o) {
        ctx.printError(o.error());
        return ExitUsage;
    }
    int rc = ExitOk;
    QString password;
    std::optional<Core::UpgradeProfile> profile =
        loadProfileOption(ctx, profileOverride.isEmpty() ? o->profilePath : profileOverride, &password, &rc);
    if (!profile) {
        return rc;
    }
    if (!profile->host(host)) {
        QStringList hosts;
        for (const Core::HostAccess &h : profile->hosts) {
            hosts << h.address;
        }
        ctx.printError(Core::Error(Core::ErrorCode::InvalidInput,
                                   u"--host %1 is not a host of the cluster (its hosts: %2)"_s.arg(host, hosts.join(u", "_s))));
        return ExitUsage;
    }
    Engine::RunSummary s;
    std::thread worker([&] {
        s = Engine::UpgradeRunner::rollbackHost(
            *profile, password, o->journalPath, host, [&ctx](const Engine::EngineEvent &e) { printEvent(ctx, e); },
            breakLock);
    });
    worker.join();
    rc = exitCodeFor(s, 0);
    if (ctx.json) {
        ctx.printJson(QJsonObject{{u"result"_s, Engine::runEndName(s.end)},
                                  {u"exitCode"_s, rc},
                                  {u"host"_s, host},
                                  {u"failure"_s, s.failure},
                                  {u"live"_s, s.live}});
    } else {
        printRunEnd(ctx, s, o->journalPath, 0,
                    u"Host %1 rolled back and running: its nodes answer with the old version (checked live just now)."_s.arg(host));
    }
    return rc;
}

} // namespace

CliCommand rollbackCommand()
{
    return {u"rollback"_s, u"rollback --journal J --host ADDR [--profile P] [--break-lock]"_s,
            u"roll one host back from its verified backup (only before its nodes rejoined)"_s, runRollbackCommand};
}

} // namespace GrayStep::Cli
