// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/continuitytypes.h"

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

namespace {

constexpr std::array<QLatin1StringView, FINDING_KIND_COUNT> KIND_NAMES = {
    "lost"_L1,       "duplicate"_L1,  "recovered"_L1, "never-written"_L1, "failed-but-present"_L1,
    "missing-ids"_L1, "time-gap"_L1,  "stall"_L1,     "null-id"_L1,       "null-time"_L1,
    "time-backwards"_L1, "late-duplicate"_L1, "no-rows"_L1,
};

constexpr std::array<QLatin1StringView, 3> OUTCOME_NAMES = {
    "acknowledged"_L1, "failed"_L1, "indeterminate"_L1,
};

} // namespace

QString attemptOutcomeName(AttemptOutcome outcome)
{
    const auto i = static_cast<size_t>(outcome);
    return i < OUTCOME_NAMES.size() ? QString(OUTCOME_NAMES[i]) : u"unknown"_s;
}

std::optional<AttemptOutcome> attemptOutcomeFromName(const QString &name)
{
    for (size_t i = 0; i < OUTCOME_NAMES.size(); ++i) {
        if (name == OUTCOME_NAMES[i]) {
            return static_cast<AttemptOutcome>(i);
        }
    }
    return std::nullopt;
}

QString findingKindName(FindingKind kind)
{
    const auto i = static_cast<size_t>(kind);
    return i < KIND_NAMES.size() ? QString(KIND_NAMES[i]) : u"unknown"_s;
}

std::optional<FindingKind> findingKindFromName(const QString &name)
{
    for (size_t i = 0; i < KIND_NAMES.size(); ++i) {
        if (name == KIND_NAMES[i]) {
            return static_cast<FindingKind>(i);
        }
    }
    return std::nullopt;
}

} // namespace GrayStep::Engine
