// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

namespace GrayStep::Core {

// Injectable time source (KeePassXC pattern). Wall time for records and reports,
// monotonic time for deadlines and durations (never affected by clock steps).
class Clock
{
public:
    virtual ~Clock() = default;
    virtual qint64 wallMs() const = 0;       // ms since the Unix epoch, UTC
    virtual qint64 monotonicMs() const = 0;  // ms since an arbitrary fixed point

    // The process-wide system clock.
    static const Clock &system();
};

class SystemClock final : public Clock
{
public:
    qint64 wallMs() const override;
    qint64 monotonicMs() const override;
};

} // namespace GrayStep::Core
