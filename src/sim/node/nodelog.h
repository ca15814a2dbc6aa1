// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFile>
#include <QLoggingCategory>
#include <QMutex>
#include <QString>

Q_DECLARE_LOGGING_CATEGORY(lcSimNode)

namespace GrayStep::Sim {

// The node's log file (-logFile): "<timestamp> <INFO|WARNING|ERROR> : text", appended,
// unbuffered; a line that cannot be written (full disk) is counted and goes to stderr. Thread-safe. Without a file it writes to stderr.
class NodeLog final
{
public:
    enum class Level { Info, Warning, Error };

    static NodeLog &instance();

    bool open(const QString &path);
    void write(Level level, const QString &text);
    void info(const QString &text) { write(Level::Info, text); }
    void warning(const QString &text) { write(Level::Warning, text); }
    void error(const QString &text) { write(Level::Error, text); }

private:
    bool writeWhole(const QByteArray &line);

    QMutex m_mutex;
    QFile m_file;
    qint64 m_lost = 0; // lines not written (full disk); logged as a count once writing works again
    QString m_lostReason;
};

} // namespace GrayStep::Sim
