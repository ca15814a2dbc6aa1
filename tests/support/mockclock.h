// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"

#include <atomic>

namespace GrayStep::Test {

// A clock the test moves by hand.
class MockClock final : public Core::Clock
{
public:
    explicit MockClock(qint64 wallStartMs = 1673343000000, qint64 monotonicStartMs = 0)
        : m_wall(wallStartMs)
        , m_mono(monotonicStartMs)
    {}

    qint64 wallMs() const override { return m_wall.load(); }
    qint64 monotonicMs() const override { return m_mono.load(); }

    void advance(qint64 ms)
    {
        m_wall += ms;
        m_mono += ms;
    }
    void setWallMs(qint64 ms) { m_wall = ms; }

private:
    std::atomic<qint64> m_wall;
    std::atomic<qint64> m_mono;
};

} // namespace GrayStep::Test
