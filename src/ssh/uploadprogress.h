// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ssh/remoteshell.h"

#include <QElapsedTimer>

#include <functional>

namespace GrayStep::Ssh {

// Upload progress for UploadOptions::onProgress, throttled to at most one report every
// 100 ms or 1 MiB (plus forced ones: the first and the last). Internal to the ssh library,
// shared by LocalShell and SshShell.
class UploadProgress final
{
public:
    UploadProgress(std::function<void(const TransferProgress &)> callback, qint64 size, qint64 resumedFrom)
        : m_callback(std::move(callback))
        , m_size(size)
        , m_resumedFrom(resumedFrom)
    {
        m_clock.start();
    }

    void report(qint64 done, bool force)
    {
        if (!m_callback) {
            return;
        }
        const qint64 now = m_clock.elapsed();
        if (!force && now - m_lastMs < 100 && done - m_lastBytes < 1024 * 1024) {
            return;
        }
        m_lastMs = now;
        m_lastBytes = done;
        TransferProgress p;
        p.bytesDone = done;
        p.bytesTotal = m_size;
        p.resumedFrom = m_resumedFrom;
        p.bytesPerSecond = double(done - m_resumedFrom) / qMax<double>(0.001, double(now) / 1000.0);
        p.etaMs = p.bytesPerSecond > 0 ? qint64(double(m_size - done) / p.bytesPerSecond * 1000.0) : -1;
        m_callback(p);
    }

private:
    std::function<void(const TransferProgress &)> m_callback;
    qint64 m_size;
    qint64 m_resumedFrom;
    QElapsedTimer m_clock;
    qint64 m_lastMs = 0;
    qint64 m_lastBytes = 0;
};

} // namespace GrayStep::Ssh
