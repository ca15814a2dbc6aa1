// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ssh/remoteshell.h"

#include <QByteArray>

namespace GrayStep::Ssh {

// Internal: turns the byte streams of one command into lines for the callbacks, keeps the
// captured prefix of each stream and enforces the output limit. Used by SshShell and LocalShell.
class OutputSink final
{
public:
    explicit OutputSink(const ExecOptions &options, ExecResult &result);

    // Returns false once stdout+stderr exceeded ExecOptions::maxOutputBytes.
    bool add(const char *data, qint64 size, bool isStderr);
    // Passes the unterminated last line of each stream on.
    void finish();
    qint64 totalBytes() const { return m_total; }
    bool limitExceeded() const { return m_limitExceeded; }

private:
    void emitLines(QByteArray &pending, bool isStderr, bool flushAll);

    const ExecOptions &m_options;
    ExecResult &m_result;
    QByteArray m_pendingOut;
    QByteArray m_pendingErr;
    qint64 m_total = 0;
    bool m_limitExceeded = false;
};

} // namespace GrayStep::Ssh
