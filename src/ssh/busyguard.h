// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <atomic>

namespace GrayStep::Ssh {

// One call at a time per shell: a concurrent call gets a clear error instead of
// corrupting the session. Internal to the ssh library (LocalShell, SshShell).
class BusyGuard final
{
public:
    explicit BusyGuard(std::atomic<bool> &busy)
        : m_busy(busy)
        , m_acquired(!busy.exchange(true))
    {}
    ~BusyGuard()
    {
        if (m_acquired) {
            m_busy.store(false);
        }
    }
    BusyGuard(const BusyGuard &) = delete;
    BusyGuard &operator=(const BusyGuard &) = delete;
    bool acquired() const { return m_acquired; }

private:
    std::atomic<bool> &m_busy;
    bool m_acquired;
};

} // namespace GrayStep::Ssh
