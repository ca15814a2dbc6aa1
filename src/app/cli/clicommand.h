// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QJsonValue>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QTextStream>

#include <functional>

namespace GrayStep::Cli {

// Exit codes shared by every command (DESIGN.md §7).
enum ExitCode : int {
    ExitOk = 0,        // the work succeeded
    ExitProblem = 1,   // the work ran and found a problem
    ExitUsage = 2,     // bad usage or bad input
    // The upgrade commands (run, resume, rollback) also end with these; each is resumable.
    ExitPaused = 3,            // canary, pause, a declined approval
    ExitAwaitingApproval = 4,  // a host needs an approval and there was nobody to ask
    ExitBusy = 5,              // the cluster or the journal is held by another run: nothing was done
    // Interrupted by a signal: 128 + the signal (130 Ctrl-C, 143 SIGTERM).
};

// What a command gets: its arguments (after the command name) and where to write.
struct CliContext
{
    QStringList args;
    bool json = false;  // --json was given (removed from args)
    QTextStream &out;
    QTextStream &err;

    // Prints "graystep-cli: <error>" on err, or {"error":…} on out with --json.
    void printError(const Core::Error &error) const;
    // Prints a JSON document (compact, one line) on out.
    void printJson(const QJsonValue &value) const;
};

struct CliCommand
{
    QString name;
    QString synopsis;   // "topology (--config-dir DIR | --controller-cfg F --nodes F ...)"
    QString summary;    // one line for --help
    std::function<int(CliContext &)> run;
};

// The command table; each command's file contributes a function returning its entry.
QList<CliCommand> allCommands();

// The commands (one file each in cli/).
CliCommand topologyCommand();
CliCommand ddbCommand();
CliCommand continuityCommand();
CliCommand preflightCommand();
CliCommand planCommand();
CliCommand runCommand();
CliCommand resumeCommand();
CliCommand rollbackCommand();

// Small argument helper: takes "--name value" from args; returns {} when absent.
// Sets *error when the option is present without a value.
QString takeOption(QStringList &args, const QString &name, QString *error = nullptr);
bool takeFlag(QStringList &args, const QString &name);
// Every "--package-for HOST=ZIP": host address -> absolute path of the zip.
QMap<QString, QString> takePackageFor(QStringList &args, QString *error);

// After the options are taken: prints the first usage problem — the option error, then
// `missing` (a required option's message, empty when all are there), then any argument
// left over — and returns true; false when there is none.
bool reportUsageProblem(CliContext &ctx, const QString &optionError, const QString &missing = {});

} // namespace GrayStep::Cli
