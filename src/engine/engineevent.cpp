// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/engineevent.h"

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

QString EngineEvent::kindName(Kind kind)
{
    switch (kind) {
    case Kind::RunStarted: return u"run-started"_s;
    case Kind::RunFinished: return u"run-finished"_s;
    case Kind::HostStarted: return u"host-started"_s;
    case Kind::HostDown: return u"host-down"_s;
    case Kind::HostUp: return u"host-up"_s;
    case Kind::HostFinished: return u"host-finished"_s;
    case Kind::StepStarted: return u"step-started"_s;
    case Kind::StepOutput: return u"output"_s;
    case Kind::StepFinished: return u"step-finished"_s;
    case Kind::GateResult: return u"gate"_s;
    case Kind::CheckResult: return u"check"_s;
    case Kind::Message: return u"message"_s;
    case Kind::ApprovalRequested: return u"approval-requested"_s;
    case Kind::Command: return u"command"_s;
    }
    return u"unknown"_s;
}

QString EngineEvent::outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::None: return {};
    case Outcome::Ok: return u"ok"_s;
    case Outcome::Warn: return u"warn"_s;
    case Outcome::Failed: return u"failed"_s;
    case Outcome::Skipped: return u"skipped"_s;
    case Outcome::Cancelled: return u"cancelled"_s;
    }
    return {};
}

QJsonObject EngineEvent::toJson() const
{
    QJsonObject o{{u"event"_s, kindName(kind)}, {u"t"_s, wallMs}};
    if (outcome != Outcome::None) {
        o.insert(u"outcome"_s, outcomeName(outcome));
    }
    if (!host.isEmpty()) {
        o.insert(u"host"_s, host);
    }
    if (!step.isEmpty()) {
        o.insert(u"step"_s, step);
    }
    if (!text.isEmpty()) {
        o.insert(u"text"_s, text);
    }
    if (!details.isEmpty()) {
        o.insert(u"details"_s, details);
    }
    return o;
}

} // namespace GrayStep::Engine
