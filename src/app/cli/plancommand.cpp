// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli plan --profile P: the ordered plan with every command (a dry run; read-only).
// A target that is not newer than the cluster (nothing to upgrade, a downgrade) is printed
// loudly and exits 1: `run` refuses that plan.
#include "cli/upgradecli.h"

#include "engine/clusteraccess.h"
#include "engine/upgradeplan.h"

#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

namespace {

int runPlanCommand(CliContext &ctx)
{
    QString error;
    const QString profilePath = takeOption(ctx.args, u"--profile"_s, &error);
    Engine::PlanOptions options;
    options.writer = !takeFlag(ctx.args, u"--no-writer"_s);
    options.packageForHost = takePackageFor(ctx.args, &error);
    if (reportUsageProblem(ctx, error)) {
        return ExitUsage;
    }
    int rc = ExitOk;
    QString password;
    std::optional<Core::UpgradeProfile> profile = loadProfileOption(ctx, profilePath, &password, &rc);
    if (!profile) {
        return rc;
    }
    Core::Result<Engine::UpgradePlan> plan = QtConcurrent::run([&]() -> Core::Result<Engine::UpgradePlan> {
        Core::Result<std::unique_ptr<Engine::ClusterAccess>> access = Engine::ClusterAccess::create(*profile, password);
        if (!access) {
            return access.error();
        }
        return Engine::buildUpgradePlan(**access, options);
    }).result();
    if (!plan) {
        ctx.printError(plan.error());
        return ExitProblem;
    }
    if (ctx.json) {
        ctx.printJson(plan->toJson());
    } else {
        ctx.out << plan->toText();
    }
    if (!plan->refusal.isEmpty()) {
        // Said on stderr too, so that a script reading only the plan still sees it.
        ctx.printError(Core::Error(Core::ErrorCode::Failed, plan->refusal, u"plan"_s));
        return ExitProblem;
    }
    return ExitOk;
}

} // namespace

CliCommand planCommand()
{
    return {u"plan"_s, u"plan --profile P [--no-writer] [--package-for HOST=ZIP]"_s,
            u"the ordered plan with every command `run` (with the same options) would run (dry run, read-only)"_s,
            runPlanCommand};
}

} // namespace GrayStep::Cli
