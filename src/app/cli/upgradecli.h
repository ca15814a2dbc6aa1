// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared by the upgrade commands (preflight, plan, run, resume, rollback).
#include "cli/clicommand.h"

#include "core/upgradeprofile.h"
#include "engine/engineevent.h"
#include "engine/upgraderunner.h"

#include <optional>

namespace GrayStep::Cli {

// Loads --profile P (required) and resolves the API password; prints the error and sets
// *exitCode when it fails.
std::optional<Core::UpgradeProfile> loadProfileOption(CliContext &ctx, const QString &path, QString *password,
                                                      int *exitCode);
// One engine event as a line (JSON with --json).
void printEvent(CliContext &ctx, const Engine::EngineEvent &event);
// The exit status of a run's end (DESIGN.md §7 and the README's table); SIGNAL is the signal
// that interrupted it (0: none).
int exitCodeFor(const Engine::RunSummary &summary, int signal);
// The closing lines of a run, resume or rollback (FINISHEDTEXT when it finished).
void printRunEnd(CliContext &ctx, const Engine::RunSummary &summary, const QString &journal, int signal,
                 const QString &finishedText);
// Runs the runner to its end on its worker thread, printing events; returns the exit code.
int runAndReport(CliContext &ctx, const Core::UpgradeProfile &profile, const QString &password,
                 const Engine::RunOptions &options);

} // namespace GrayStep::Cli
