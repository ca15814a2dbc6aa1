// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>

namespace GrayStep::Test {

// One run of a built tool (graystep-cli, graystep-sandbox) as a test sees it.
struct Cli
{
    int exitCode = -1;   // 128 + N when a signal N ended it
    QByteArray out;
    QByteArray err;
    // The last line of stdout as JSON (the result line of --json commands).
    QJsonObject last() const;
    // Every stdout line that is a JSON object; with KIND, those whose "event" is KIND (and whose
    // "step" is STEP when given).
    QList<QJsonObject> events(const QString &kind = {}, const QString &step = {}) const;
};

// Runs binDir()/TOOL with ARGS to its end (stdin closed).
Cli runTool(const QString &tool, const QStringList &args,
            const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(), int timeoutMs = 600000);

// graystep-cli ARGS (use --json), calling onEvent with each stdout line parsed as JSON as it
// comes, to act at a given point of a run. onEvent gets the process id too (to signal it).
Cli runWatching(const QStringList &args, const std::function<void(const QJsonObject &, qint64 pid)> &onEvent,
                int timeoutMs = 300000, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

// The sandbox in DIR as tests look at it:
// every node, alias -> version text ("" when down), from `graystep-sandbox status`;
QMap<QString, QString> sandboxVersions(const QString &dir);
// detached step id -> launches, from host1..hostN/.graystep/executions.log;
QMap<QString, int> sandboxExecutions(const QString &dir, int hosts = 3);
// the host addresses in the order `graystep-cli plan` gives for PROFILE.
QStringList planOrder(const QString &profile);

} // namespace GrayStep::Test
