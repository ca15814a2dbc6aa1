// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/outputsink.h"

namespace GrayStep::Ssh {

OutputSink::OutputSink(const ExecOptions &options, ExecResult &result)
    : m_options(options)
    , m_result(result)
{}

bool OutputSink::add(const char *data, qint64 size, bool isStderr)
{
    if (size <= 0 || m_limitExceeded) {
        return !m_limitExceeded;
    }
    m_total += size;
    if (m_options.maxOutputBytes > 0 && m_total > m_options.maxOutputBytes) {
        m_limitExceeded = true;
        return false;
    }
    QByteArray &captured = isStderr ? m_result.stderrData : m_result.stdoutData;
    bool &truncated = isStderr ? m_result.stderrTruncated : m_result.stdoutTruncated;
    const qint64 room = m_options.captureBytes - captured.size();
    if (room >= size) {
        captured.append(data, size);
    } else {
        if (room > 0) {
            captured.append(data, room);
        }
        truncated = true;
    }
    const auto &callback = isStderr ? m_options.onStderrLine : m_options.onStdoutLine;
    if (callback) {
        QByteArray &pending = isStderr ? m_pendingErr : m_pendingOut;
        pending.append(data, size);
        emitLines(pending, isStderr, false);
    }
    return true;
}

void OutputSink::emitLines(QByteArray &pending, bool isStderr, bool flushAll)
{
    const auto &callback = isStderr ? m_options.onStderrLine : m_options.onStdoutLine;
    const qsizetype maxLine = qMax(1, m_options.maxLineBytes);
    qsizetype start = 0;
    for (;;) {
        const qsizetype nl = pending.indexOf('\n', start);
        if (nl < 0) {
            if (pending.size() - start >= maxLine) {
                callback(QString::fromUtf8(pending.constData() + start, maxLine));
                start += maxLine;
                continue;
            }
            break;
        }
        qsizetype len = nl - start;
        if (len > maxLine) {
            callback(QString::fromUtf8(pending.constData() + start, maxLine));
            start += maxLine;
            continue;
        }
        if (len > 0 && pending.at(start + len - 1) == '\r') {
            --len;
        }
        callback(QString::fromUtf8(pending.constData() + start, len));
        start = nl + 1;
    }
    if (flushAll && start < pending.size()) {
        callback(QString::fromUtf8(pending.constData() + start, pending.size() - start));
        start = pending.size();
    }
    pending.remove(0, start);
}

void OutputSink::finish()
{
    if (m_options.onStdoutLine) {
        emitLines(m_pendingOut, false, true);
    }
    if (m_options.onStderrLine) {
        emitLines(m_pendingErr, true, true);
    }
}

} // namespace GrayStep::Ssh
