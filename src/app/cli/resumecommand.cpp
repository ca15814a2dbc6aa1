// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli resume --journal J: continue a run after a crash, a canary stop or a pause.
#include "cli/upgradecli.h"

#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

namespace {

int runResumeCommand(CliContext &ctx)
{
    QString error;
    const QString journal = takeOption(ctx.args, u"--journal"_s, &error);
    const QString profileOverride = takeOption(ctx.args, u"--profile"_s, &error);
    const bool noWriter = takeFlag(ctx.args, u"--no-writer"_s);
    const bool breakLock = takeFlag(ctx.args, u"--break-lock"_s);
    if (reportUsageProblem(ctx, error, journal.isEmpty() ? u"--journal J is required"_s : QString())) {
        return ExitUsage;
    }
    Core::Result<Engine::RunOptions> o = Engine::runOptionsFromJournal(QFileInfo(journal).absoluteFilePath());
    if (!o) {
        ctx.printError(o.error());
        return ExitUsage;
    }
    if (noWriter) {
        o->writer = false;
    }
    o->breakLock = breakLock;
    o->command = u"resume"_s;
    int rc = ExitOk;
    QString password;
    const QString profilePath = profileOverride.isEmpty() ? o->profilePath : profileOverride;
    std::optional<Core::UpgradeProfile> profile = loadProfileOption(ctx, profilePath, &password, &rc);
    if (!profile) {
        return rc;
    }
    return runAndReport(ctx, *profile, password, *o);
}

} // namespace

CliCommand resumeCommand()
{
    return {u"resume"_s, u"resume --journal J [--profile P] [--no-writer] [--break-lock]"_s,
            u"continue the journal's run: re-verifies on the hosts, never runs a step twice"_s, runResumeCommand};
}

} // namespace GrayStep::Cli
