// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/ddbversion.h"

#include "core/coretr.h"

#include <QRegularExpression>
#include <QStringList>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Core {

namespace {

constexpr int NUMBER_PARTS = 4;
constexpr int MAX_PART_DIGITS = 6;

struct ReleaseLevel
{
    int major;
    int minor;
    int release;
    int level;
};

// DolphinDB's published levels against the previous release of the same series.
constexpr ReleaseLevel RELEASE_LEVELS[] = {
    {2, 0, 5, 2}, {2, 0, 6, 2}, {2, 0, 7, 1}, {2, 0, 8, 2}, {2, 0, 9, 2}, {2, 0, 10, 1},
    {1, 30, 17, 3}, {1, 30, 18, 2}, {1, 30, 19, 1}, {1, 30, 20, 2}, {1, 30, 21, 2}, {1, 30, 22, 1},
};

std::optional<int> levelOf(int major, int minor, int release)
{
    for (const ReleaseLevel &r : RELEASE_LEVELS) {
        if (r.major == major && r.minor == minor && r.release == release) {
            return r.level;
        }
    }
    return std::nullopt;
}

Error invalid(const QString &message)
{
    return Error(ErrorCode::InvalidInput, message);
}

} // namespace

Result<DdbVersion> DdbVersion::parse(QStringView text)
{
    static const QRegularExpression whitespace(u"\\s+"_s);
    const QStringList words = text.toString().split(whitespace, Qt::SkipEmptyParts);
    if (words.isEmpty()) {
        return invalid(Tr::tr("The version is empty."));
    }
    DdbVersion v;
    const QStringList numbers = words.first().split(u'.');
    bool numeric = numbers.size() == 3 || numbers.size() == NUMBER_PARTS;
    for (const QString &n : numbers) {
        numeric = numeric && !n.isEmpty() && n.size() <= MAX_PART_DIGITS
                  && std::all_of(n.cbegin(), n.cend(), [](QChar c) { return c.isDigit() && c.unicode() < 128; });
        if (!numeric) {
            break;
        }
        v.m_parts.append(n.toInt());
    }
    if (!numeric) {
        return invalid(Tr::tr("'%1' is not a DolphinDB version number (expected e.g. 2.00.8.12).")
                           .arg(words.first()));
    }
    while (v.m_parts.size() < NUMBER_PARTS) {
        v.m_parts.append(0);
    }
    v.m_number = words.first();
    if (words.size() > 1) {
        v.m_date = QDate::fromString(words.at(1), u"yyyy.MM.dd"_s);
        if (!v.m_date.isValid()) {
            return invalid(Tr::tr("'%1' is not a release date (expected yyyy.MM.dd, e.g. 2023.01.10).")
                               .arg(words.at(1)));
        }
        v.m_suffix = words.mid(2).join(u' ');
    }
    return v;
}

QString DdbVersion::release() const
{
    return m_number.section(u'.', 0, 2);
}

QString DdbVersion::series() const
{
    return m_number.section(u'.', 0, 1);
}

QString DdbVersion::toString() const
{
    QString s = m_number;
    if (m_date.isValid()) {
        s += u' ' + m_date.toString(u"yyyy.MM.dd"_s);
    }
    if (!m_suffix.isEmpty()) {
        s += u' ' + m_suffix;
    }
    return s;
}

std::strong_ordering DdbVersion::operator<=>(const DdbVersion &other) const
{
    for (qsizetype i = 0; i < std::max(m_parts.size(), other.m_parts.size()); ++i) {
        const int a = m_parts.value(i);
        const int b = other.m_parts.value(i);
        if (a != b) {
            return a <=> b;
        }
    }
    const qint64 da = m_date.isValid() ? m_date.toJulianDay() : -1;
    const qint64 db = other.m_date.isValid() ? other.m_date.toJulianDay() : -1;
    return da <=> db;
}

std::optional<int> releaseCompatibilityLevel(const QString &release)
{
    const auto v = DdbVersion::parse(release);
    if (!v) {
        return std::nullopt;
    }
    return levelOf(v->parts().at(0), v->parts().at(1), v->parts().at(2));
}

CompatibilityVerdict compatibilityOfUpgrade(const DdbVersion &from, const DdbVersion &to)
{
    if (!from.isValid() || !to.isValid()) {
        return {std::nullopt, Tr::tr("The compatibility level is unknown: a version is missing.")};
    }
    const QList<int> &a = from.parts();
    const QList<int> &b = to.parts();
    if (a.at(0) != b.at(0) || a.at(1) != b.at(1)) {
        return {std::nullopt,
                Tr::tr("The compatibility level is unknown: %1 and %2 belong to different release "
                       "series (%3 and %4), and the published table only covers upgrades within a series.")
                    .arg(from.number(), to.number(), from.series(), to.series())};
    }
    if (!(from < to)) {
        return {std::nullopt,
                Tr::tr("The compatibility level is unknown: %1 is not newer than %2.")
                    .arg(to.toString(), from.toString())};
    }
    if (a.at(2) == b.at(2)) {
        return {std::nullopt,
                Tr::tr("The compatibility level is unknown: %1 and %2 are builds of the same release %3, "
                       "and the published table has no level for those.")
                    .arg(from.number(), to.number(), from.release())};
    }
    int level = 5;
    QStringList steps;
    for (int release = a.at(2) + 1; release <= b.at(2); ++release) {
        const QString name = from.series() + u'.' + QString::number(release);
        const std::optional<int> l = levelOf(a.at(0), a.at(1), release);
        if (!l) {
            return {std::nullopt,
                    Tr::tr("The compatibility level is unknown: release %1 is not in the published "
                           "compatibility table. Ask the vendor for a risk assessment.")
                        .arg(name)};
        }
        level = std::min(level, *l);
        steps << Tr::tr("%1 level %2").arg(name).arg(*l);
    }
    const QString path = steps.join(u", "_s);
    if (level >= 4) {
        return {level, Tr::tr("Compatibility level %1 (%2): a rolling upgrade is supported.").arg(level).arg(path)};
    }
    return {level,
            Tr::tr("Compatibility level %1 (%2): a rolling upgrade is only promised at levels 4 and 5. "
                   "Confirm a vendor risk assessment before upgrading this cluster host by host.")
                .arg(level)
                .arg(path)};
}

} // namespace GrayStep::Core
