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

namespace {

volatile std::sig_atomic_t s_interrupts = 0;
volatile std::sig_atomic_t s_terminates = 0;

} // namespace

int exitCodeFor(const Engine::RunSummary &s, int signal)
{
    switch (s.end) {
    case Engine::RunEnd::Finished: return ExitOk;
    case Engine::RunEnd::Failed: return ExitProblem;
    case Engine::RunEnd::Refused: return s.failureCode == Core::ErrorCode::Busy ? ExitBusy : ExitUsage;
    case Engine::RunEnd::AwaitingApproval: return ExitAwaitingApproval;
    case Engine::RunEnd::Paused:
    case Engine::RunEnd::Interrupted:
        if (signal != 0) {
            return 128 + signal;
        }
        return s.end == Engine::RunEnd::Paused ? ExitPaused : 128 + SIGINT;
    }
    return ExitProblem;
}

void printRunEnd(CliContext &ctx, const Engine::RunSummary &s, const QString &journal, int signal, const QString &finishedText)
{
    const QString resume = u"graystep-cli resume --journal "_s + journal;
    switch (s.end) {
    case Engine::RunEnd::Finished:
        ctx.out << finishedText << '\n';
        break;
    case Engine::RunEnd::Failed:
        ctx.out << "FAILED: " << s.failure << '\n';
        break;
    case Engine::RunEnd::Refused:
        ctx.out << "REFUSED (nothing was changed): " << s.failure << '\n';
        break;
    case Engine::RunEnd::AwaitingApproval:
        ctx.out << "WAITING FOR APPROVAL: " << s.failure << "\nApprove on a terminal with: " << resume << '\n';
        break;
    case Engine::RunEnd::Paused:
    case Engine::RunEnd::Interrupted:
        ctx.out << (signal == SIGTERM  ? "INTERRUPTED (SIGTERM): "
                    : signal == SIGINT ? "INTERRUPTED (Ctrl-C): "
                                       : "PAUSED: ")
                << s.failure << "\nResumable: " << resume << '\n';
        break;
    }
    if (!s.hostsRolledBack.isEmpty()) {
        ctx.out << "Rolled back: " << s.hostsRolledBack.join(u", "_s) << '\n';
    }
    ctx.out << "Journal: " << journal << '\n';
}

int runAndReport(CliContext &ctx, const Core::UpgradeProfile &profile, const QString &password,
                 const Engine::RunOptions &options)
{
    Engine::UpgradeRunner runner(profile, password, options);
    QObject::connect(&runner, &Engine::UpgradeRunner::event, &runner,
                     [&ctx](const Engine::EngineEvent &e) { printEvent(ctx, e); }, Qt::DirectConnection);
    // approvalPerHost: the worker announces the host; this thread asks (on a terminal), or,
    // with no terminal, stops the run "awaiting approval" (resumable, its own exit status).
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
    // Ctrl-C once: pause after the current host; twice: abort at the next step boundary.
    // SIGTERM: abort at the next step boundary. Each leaves a resumable journal and its exit
    // status says so (128 + the signal).
    s_interrupts = 0;
    s_terminates = 0;
    auto previousInt = std::signal(SIGINT, [](int) { s_interrupts = s_interrupts + 1; });
    auto previousTerm = std::signal(SIGTERM, [](int) { s_terminates = s_terminates + 1; });
    runner.start();
    int seenInt = 0;
    int seenTerm = 0;
    int signal = 0;
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
                    u"host %1 awaits approval (approvalPerHost) and stdin is not a terminal to ask on; none of its "
                    "nodes was stopped"_s.arg(question),
                    true);
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
        if (s_terminates > seenTerm) {
            seenTerm = s_terminates;
            signal = SIGTERM;
            ctx.err << "graystep-cli: SIGTERM: stopping at the next step boundary (the journal stays resumable)\n";
            runner.requestAbort();
            ctx.err.flush();
        }
        if (s_interrupts > seenInt) {
            seenInt = s_interrupts;
            signal = signal == 0 ? SIGINT : signal;
            if (seenInt == 1) {
                ctx.err << "graystep-cli: Ctrl-C: pausing after the current host (Ctrl-C again to stop at the next step)\n";
                runner.requestPause();
            } else {
                ctx.err << "graystep-cli: Ctrl-C: stopping at the next step boundary\n";
                runner.requestAbort();
            }
            ctx.err.flush();
        }
    }
    std::signal(SIGINT, previousInt);
    std::signal(SIGTERM, previousTerm);
    const Engine::RunSummary s = runner.summary();
    // A run that finished although a signal came (it was on its last host) is finished.
    const int sig = s.end == Engine::RunEnd::Finished ? 0 : signal;
    const int rc = exitCodeFor(s, sig);
    const QJsonObject result{{u"result"_s, Engine::runEndName(s.end)},
                             {u"exitCode"_s, rc},
                             {u"signal"_s, sig},
                             {u"journal"_s, options.journalPath},
                             {u"failure"_s, s.failure},
                             {u"hostsDone"_s, QJsonArray::fromStringList(s.hostsDone)},
                             {u"hostsRolledBack"_s, QJsonArray::fromStringList(s.hostsRolledBack)},
                             {u"wallMs"_s, s.wallMs},
                             {u"unavoidableMs"_s, s.unavoidableMs},
                             {u"live"_s, s.live},
                             {u"continuity"_s, s.continuity}};
    if (ctx.json) {
        ctx.printJson(result);
    } else {
        printRunEnd(ctx, s, options.journalPath, sig,
                    u"Upgrade finished: every node runs %1 (checked live just now)."_s.arg(profile.targetVersion));
    }
    return rc;
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
    o.breakLock = takeFlag(ctx.args, u"--break-lock"_s);
    o.packageForHost = takePackageFor(ctx.args, &error);
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
    // A journal that holds this run of this profile already: run behaves as resume (it
    // re-verifies on the hosts); one that holds another run is refused.
    if (Core::Result<Engine::RunOptions> existing = Engine::optionsForNewRun(o, profile->targetVersion); !existing) {
        ctx.printError(existing.error());
        return ExitUsage;
    } else if (existing->resume) {
        ctx.err << "graystep-cli: the journal holds this run already: resuming it\n";
        return runAndReport(ctx, *profile, password, *existing);
    }
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
            Engine::PlanOptions po;
            po.writer = o.writer;
            po.packageForHost = o.packageForHost;
            return Engine::buildUpgradePlan(**access, po);
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
            "[--accept-compatibility-risk] [--package-for HOST=ZIP] [--break-lock]"_s,
            u"the upgrade, host by host, journaled; events as lines (JSON lines with --json). --yes answers the plan's "
            "question, and on a sandbox profile the compatibility verdict's too (journaled as such); on a real cluster "
            "a path below level 4 needs --accept-compatibility-risk. With approvalPerHost each host is asked for on a "
            "terminal; without one the run stops before the host, awaiting approval (exit 4). --break-lock takes over "
            "another run's cluster lock (journaled). Exit: 0 finished and checked live, 1 failed, 2 bad input, "
            "3 paused, 4 awaiting approval, 5 the cluster or journal is held by another run, 130/143 interrupted"_s,
            runRunCommand};
}

} // namespace GrayStep::Cli
