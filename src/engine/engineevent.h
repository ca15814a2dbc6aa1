// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace GrayStep::Engine {

// What the engine tells the world, as a plain value that crosses threads through
// queued signals (the GUI) and becomes one JSON line in `graystep-cli run --json`.
struct EngineEvent
{
    enum class Kind {
        RunStarted,
        RunFinished,
        HostStarted,    // the host's turn begins (gate passed)
        HostDown,       // the host's nodes are stopped: its window of unavailability opens
        HostUp,         // the host's nodes answer again: the window closes
        HostFinished,
        StepStarted,
        StepOutput,     // one line of a command's stdout/stderr
        StepFinished,
        GateResult,
        CheckResult,    // a pre-flight item
        Message,
        ApprovalRequested,  // approvalPerHost: the host's gate passed, the runner waits for approve()/abort()
        Command,        // a command a step runs, before it first runs in that step (text: as the plan
                        // shows it; details: kind, target, detached step id)
    };
    enum class Outcome { None, Ok, Warn, Failed, Skipped, Cancelled };

    Kind kind = Kind::Message;
    Outcome outcome = Outcome::None;
    qint64 wallMs = 0;
    QString host;      // host address; empty for cluster-level events
    QString step;      // step id ("stop", "backup", …) or check id
    QString text;      // the output line, the message, or a one-line summary
    QJsonObject details;

    QJsonObject toJson() const;
    static QString kindName(Kind kind);
    static QString outcomeName(Outcome outcome);
};

} // namespace GrayStep::Engine

Q_DECLARE_METATYPE(GrayStep::Engine::EngineEvent)
