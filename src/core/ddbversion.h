// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QDate>
#include <QList>
#include <QString>

#include <compare>
#include <optional>

namespace GrayStep::Core {

// A DolphinDB server version as `version()` prints it: "2.00.8.12 2023.01.10",
// optionally followed by build words ("2.00.11.3 2024.01.18 LINUX x86_64").
// The number has 3 or 4 dot-separated parts (a missing 4th part counts as 0);
// the date (yyyy.MM.dd) is optional so a DBA can type just "2.00.9.1".
class DdbVersion final
{
public:
    DdbVersion() = default;

    // Parses the text; the error says what is wrong with it.
    static Result<DdbVersion> parse(QStringView text);

    bool isValid() const { return !m_parts.isEmpty(); }
    // Numeric parts, e.g. {2, 0, 8, 12}.
    const QList<int> &parts() const { return m_parts; }
    // The release: first three parts as written, e.g. "2.00.8".
    QString release() const;
    // The series: first two parts as written, e.g. "2.00".
    QString series() const;
    // The number as written, e.g. "2.00.8.12".
    QString number() const { return m_number; }
    QDate date() const { return m_date; }
    // Words after the date, e.g. "LINUX x86_64"; empty when absent.
    QString buildSuffix() const { return m_suffix; }
    // "2.00.8.12 2023.01.10[ suffix]".
    QString toString() const;

    // Orders by the numeric parts, then by date (a missing date sorts first).
    // The build suffix does not take part.
    std::strong_ordering operator<=>(const DdbVersion &other) const;
    bool operator==(const DdbVersion &other) const { return (*this <=> other) == 0; }

private:
    QList<int> m_parts;
    QString m_number;
    QDate m_date;
    QString m_suffix;
};

// DolphinDB's published compatibility level (1..5) of a release against its
// predecessor in the same series (PROCEDURE.md); std::nullopt when the table
// has no entry. `release` is "2.00.8"-style (see DdbVersion::release()).
std::optional<int> releaseCompatibilityLevel(const QString &release);

// The compatibility of upgrading `from` to `to`: the minimum level over every
// adjacent release pair on the way. Unknown (no level) when a release on the
// path is missing from the table, the series differ, `to` is not newer, or both
// are builds of the same release (the table says nothing about those).
struct CompatibilityVerdict
{
    std::optional<int> level;
    QString explanation;   // a sentence for the DBA, also when the level is unknown

    // Rolling (grayscale) upgrades are only promised at levels 4 and 5.
    bool rollingUpgradePromised() const { return level && *level >= 4; }
};

CompatibilityVerdict compatibilityOfUpgrade(const DdbVersion &from, const DdbVersion &to);

} // namespace GrayStep::Core
