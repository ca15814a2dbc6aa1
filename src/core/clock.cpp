// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/clock.h"

#include <QDateTime>
#include <QElapsedTimer>

namespace GrayStep::Core {

const Clock &Clock::system()
{
    static const SystemClock clock;
    return clock;
}

qint64 SystemClock::wallMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

qint64 SystemClock::monotonicMs() const
{
    static const QElapsedTimer origin = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return origin.elapsed();
}

} // namespace GrayStep::Core
