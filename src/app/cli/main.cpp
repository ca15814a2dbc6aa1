// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli: the same engine as the GUI, headless (DESIGN.md §7).
#include "cli/clicommand.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>

#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

QList<CliCommand> allCommands()
{
    QList<CliCommand> commands;
    // Each command's file adds its entry here.
    commands << topologyCommand();
    commands << ddbCommand();
    commands << continuityCommand();
    commands << preflightCommand();
    commands << planCommand();
    commands << runCommand();
    commands << resumeCommand();
    commands << rollbackCommand();
    return commands;
}

} // namespace GrayStep::Cli

namespace {

void printUsage(QTextStream &s)
{
    s << "usage: graystep-cli COMMAND [options] [--json]\n\ncommands:\n";
    for (const auto &c : GrayStep::Cli::allCommands()) {
        s << "  " << c.synopsis << "\n      " << c.summary << "\n";
    }
    s << "\nExit status: 0 success (for run, resume and rollback: finished and checked live), 1 the work found a "
         "problem, 2 bad usage or input; run, resume, rollback: 3 paused, 4 awaiting approval, 5 the cluster or "
         "journal is held by another run, 130/143 interrupted by Ctrl-C/SIGTERM (all resumable).\n";
    s.flush();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"graystep-cli"_s);
    QCoreApplication::setOrganizationName(u"GrayStep"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(GRAYSTEP_VERSION));

    // Library chatter (libssh, connections) only when asked for: GRAYSTEP_VERBOSE=1.
    if (qEnvironmentVariableIsEmpty("GRAYSTEP_VERBOSE")) {
        QLoggingCategory::setFilterRules(u"graystep.*.debug=false\ngraystep.*.info=false"_s);
    }
    QTextStream out(stdout);
    QTextStream err(stderr);
    QStringList args = app.arguments().mid(1);
    if (args.isEmpty() || args.first() == "--help"_L1 || args.first() == "-h"_L1) {
        printUsage(args.isEmpty() ? err : out);
        return args.isEmpty() ? GrayStep::Cli::ExitUsage : GrayStep::Cli::ExitOk;
    }
    if (args.first() == "--version"_L1) {
        out << "graystep-cli " << QCoreApplication::applicationVersion() << Qt::endl;
        return GrayStep::Cli::ExitOk;
    }
    const QString name = args.takeFirst();
    for (const auto &command : GrayStep::Cli::allCommands()) {
        if (command.name == name) {
            GrayStep::Cli::CliContext ctx{args, false, out, err};
            ctx.json = GrayStep::Cli::takeFlag(ctx.args, u"--json"_s);
            const int rc = command.run(ctx);
            out.flush();
            err.flush();
            return rc;
        }
    }
    err << "graystep-cli: unknown command '" << name << "'\n";
    printUsage(err);
    return GrayStep::Cli::ExitUsage;
}
