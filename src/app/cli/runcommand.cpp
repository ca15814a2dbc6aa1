// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli run --profile P: the upgrade, events streamed as lines (JSON lines with --json).
#include "cli/upgradecli.h"

#include "core/ddbversion.h"
#include "engine/clusteraccess.h"
#include "engine/upgradeplan.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtConcurrent/QtConcurrentRun>

#include <csignal>
#include <cstdio>
#include <mutex>
#include <utility>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

int runAndReport(CliContext &ctx, const Core::UpgradeProfile &profile, const QString &password,
                 const Engine::RunOptions &options)
{
    Engine::UpgradeRunner runner(profile, password, options);
    QObject::connect(&runner, &Engine::UpgradeRunner::event, &runner,
                     [&ctx](const Engine::EngineEvent &e) { printEvent(ctx, e); }, Qt::DirectConnection);
    // approvalPerHost: the worker announces the host; this thread asks (on a terminal) or
    // declines (no terminal: the run stops paused, resumable, like a canary stop).
    std::mutex approvalMutex;
    QString approvalHost;
    QString approvalQuestion;
    QObject::connect(&runner, &Engine::UpgradeRunner::approvalRequested, &runner,
                     [&](const QString &host, const QStringList &aliases) {
                         std::lock_guard<std::mutex> lock(approvalMutex);
                         approvalHost = host;
                         approvalQuestion = u"%1 (%2)"_s.arg(host, aliases.join(u", "_s));
                     },
                     Qt::DirectConnection);
    const bool terminal = ::isatty(STDIN_FILENO) == 1;
    // Ctrl-C once: pause after the current host; twice: abort at the next step boundary. Both
    // leave a resumable journal.
    static volatile std::sig_atomic_t interrupts = 0;
    interrupts = 0;
    auto previous = std::signal(SIGINT, [](int) { interrupts = interrupts + 1; });
    runner.start();
    int seen = 0;
    while (!runner.wait(200)) {
        QString host;
        QString question;
        {
            std::lock_guard<std::mutex> lock(approvalMutex);
            host = std::exchange(approvalHost, QString());
            question = std::exchange(approvalQuestion, QString());
        }
        if (!host.isEmpty()) {
            if (!terminal) {
                runner.declineApproval(
                    u"approvalPerHost: host %1 awaits approval and stdin is not a terminal to ask on"_s.arg(question));
            } else {
                ctx.err << "Upgrade host " << question << " now? [y/N] ";
                ctx.err.flush();
                char line[64] = {};
                const QString answer = std::fgets(line, sizeof line, stdin) ? QString::fromLatin1(line).trimmed() : QString();
                if (answer.compare(u"y"_s, Qt::CaseInsensitive) == 0 || answer.compare(u"yes"_s, Qt::CaseInsensitive) == 0) {
                    runner.approve();
                } else {
                    runner.declineApproval(u"host %1 was not approved at the prompt"_s.arg(question));
                }
            }
        }
        if (interrupts > seen) {
            seen = interrupts;
            if (seen == 1) {
                ctx.err << "graystep-cli: pausing after the current host (Ctrl-C again to abort at the next step)\n";
                runner.requestPause();
            } else {
                ctx.err << "graystep-cli: aborting at the next step boundary\n";
                runner.requestAbort();
            }
            ctx.err.flush();
        }
    }
    std::signal(SIGINT, previous);
    const Engine::RunSummary s = runner.summary();
    const QJsonObject result{{u"result"_s, s.ok ? (s.paused ? u"paused"_s : u"ok"_s) : (s.paused ? u"paused"_s : u"failed"_s)},
                             {u"journal"_s, options.journalPath},
                             {u"failure"_s, s.failure},
                             {u"hostsDone"_s, QJsonArray::fromStringList(s.hostsDone)},
                             {u"hostsRolledBack"_s, QJsonArray::fromStringList(s.hostsRolledBack)},
                             {u"wallMs"_s, s.wallMs},
                             {u"unavoidableMs"_s, s.unavoidableMs},
                             {u"continuity"_s, s.continuity}};
    if (ctx.json) {
        ctx.printJson(result);
    } else {
        if (s.ok) {
            ctx.out << "Upgrade finished: every node runs " << profile.targetVersion << ".\n";
        } else if (s.paused) {
            ctx.out << "Stopped: " << s.failure << "\nContinue with: graystep-cli resume --journal " << options.journalPath
                    << '\n';
        } else {
            ctx.out << "UPGRADE FAILED: " << s.failure << '\n';
        }
        if (!s.hostsRolledBack.isEmpty()) {
            ctx.out << "Rolled back: " << s.hostsRolledBack.join(u", "_s) << '\n';
        }
        ctx.out << "Journal: " << options.journalPath << '\n';
    }
    return (s.ok || s.paused) ? ExitOk : ExitProblem;
}

namespace {

int runRunCommand(CliContext &ctx)
{
    QString error;
    Engine::RunOptions o;
    const QString profilePath = takeOption(ctx.args, u"--profile"_s, &error);
    o.journalPath = takeOption(ctx.args, u"--journal"_s, &error);
    const QString rate = takeOption(ctx.args, u"--writer-rate"_s, &error);
    const bool yes = takeFlag(ctx.args, u"--yes"_s);
    o.canary = takeFlag(ctx.args, u"--canary"_s);
    o.writer = !takeFlag(ctx.args, u"--no-writer"_s);
    o.acceptCompatibilityRisk = takeFlag(ctx.args, u"--accept-compatibility-risk"_s);
    o.rollbackOnFailure = !takeFlag(ctx.args, u"--no-rollback"_s);
    for (;;) {
        const QString p = takeOption(ctx.args, u"--package-for"_s, &error);
        if (p.isEmpty()) {
            break;
        }
        const qsizetype eq = p.indexOf(u'=');
        if (eq <= 0) {
            error = u"--package-for expects HOST=ZIP"_s;
            break;
        }
        o.packageForHost.insert(p.left(eq), QFileInfo(p.mid(eq + 1)).absoluteFilePath());
    }
    if (!rate.isEmpty()) {
        bool ok = false;
        o.writerRate = rate.toInt(&ok);
        if (!ok || o.writerRate < 1 || o.writerRate > 1000) {
            error = u"--writer-rate expects 1..1000"_s;
        }
    }
    if (reportUsageProblem(ctx, error)) {
        return ExitUsage;
    }
    int rc = ExitOk;
    QString password;
    std::optional<Core::UpgradeProfile> profile = loadProfileOption(ctx, profilePath, &password, &rc);
    if (!profile) {
        return rc;
    }
    o.profilePath = QFileInfo(profilePath).absoluteFilePath();
    if (o.journalPath.isEmpty()) {
        o.journalPath = QFileInfo(profilePath).absolutePath() + u"/graystep-"_s
                        + QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s) + u".journal"_s;
    }
    o.journalPath = QFileInfo(o.journalPath).absoluteFilePath();
    // The compatibility verdict is asked for like on any profile (a sandbox rehearsal asks what
    // the real run will ask); the journal records whether and how it was confirmed. On a real
    // cluster a path below level 4 needs its own flag: --yes answers questions, it does not
    // accept a risk the vendor does not cover (the runner refuses before changing anything).
    if (o.acceptCompatibilityRisk) {
        o.compatibilityConfirmedBy = u"--accept-compatibility-risk"_s;
    } else if (yes && profile->sandbox) {
        o.acceptCompatibilityRisk = true;
        o.compatibilityConfirmedBy = u"--yes (sandbox profile)"_s;
    }
    if (!yes) {
        Core::Result<Engine::UpgradePlan> plan = QtConcurrent::run([&]() -> Core::Result<Engine::UpgradePlan> {
            auto access = Engine::ClusterAccess::create(*profile, password);
            if (!access) {
                return access.error();
            }
            return Engine::buildUpgradePlan(**access);
        }).result();
        if (!plan) {
            ctx.printError(plan.error());
            return ExitProblem;
        }
        ctx.err << plan->toText();
        const Core::Result<Core::DdbVersion> from = Core::DdbVersion::parse(plan->fromVersion);
        const Core::Result<Core::DdbVersion> to = Core::DdbVersion::parse(profile->targetVersion);
        if (from && to && !o.acceptCompatibilityRisk) {
            const Core::CompatibilityVerdict verdict = Core::compatibilityOfUpgrade(*from, *to);
            if (!verdict.rollingUpgradePromised()) {
                ctx.err << "\nCompatibility: " << verdict.explanation
                        << "\nType 'accept' to confirm the vendor's risk assessment for this path: ";
                ctx.err.flush();
                char answer[64] = {};
                if (!std::fgets(answer, sizeof answer, stdin) || QString::fromLatin1(answer).trimmed() != u"accept"_s) {
                    ctx.printError(Core::Error(Core::ErrorCode::InvalidInput,
                                               u"the compatibility risk was not confirmed; nothing was changed"_s));
                    return ExitUsage;
                }
                o.acceptCompatibilityRisk = true;
                o.compatibilityConfirmedBy = u"prompt"_s;
            }
        }
        ctx.err << "\nType 'yes' to run this plan: ";
        ctx.err.flush();
        char line[64] = {};
        if (!std::fgets(line, sizeof line, stdin) || QString::fromLatin1(line).trimmed() != u"yes"_s) {
            ctx.printError(Core::Error(Core::ErrorCode::InvalidInput, u"not confirmed; nothing was changed"_s));
            return ExitUsage;
        }
    }
    return runAndReport(ctx, *profile, password, o);
}

} // namespace

CliCommand runCommand()
{
    return {u"run"_s,
            u"run --profile P [--journal J] [--yes] [--canary] [--writer-rate N] [--no-writer] "
            "[--accept-compatibility-risk] [--package-for HOST=ZIP]"_s,
            u"the upgrade, host by host, journaled; events as lines (JSON lines with --json). --yes answers the plan's "
            "question, and on a sandbox profile the compatibility verdict's too (journaled as such); on a real cluster "
            "a path below level 4 needs --accept-compatibility-risk. With approvalPerHost each host is asked for on a "
            "terminal; without one the run stops paused before the host"_s,
            runRunCommand};
}

} // namespace GrayStep::Cli
