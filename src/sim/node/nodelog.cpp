// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/nodelog.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include <cstdio>

Q_LOGGING_CATEGORY(lcSimNode, "graystep.sim")

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

NodeLog &NodeLog::instance()
{
    static NodeLog log;
    return log;
}

bool NodeLog::open(const QString &path)
{
    QMutexLocker lock(&m_mutex);
    QDir().mkpath(QFileInfo(path).absolutePath());
    m_file.setFileName(path);
    // Unbuffered: a line that cannot be written (full disk) fails at once and is not retried later
    // behind the lines written after it.
    return m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered);
}

void NodeLog::write(Level level, const QString &text)
{
    const char *tag = level == Level::Info ? "<INFO>" : level == Level::Warning ? "<WARNING>" : "<ERROR>";
    const QByteArray line = QDateTime::currentDateTime().toString(u"yyyy-MM-dd hh:mm:ss.zzz"_s).toUtf8() + ' ' + tag
                            + " : " + text.toUtf8() + '\n';
    QMutexLocker lock(&m_mutex);
    if (m_file.isOpen()) {
        if (m_lost > 0) {
            const QByteArray note = QDateTime::currentDateTime().toString(u"yyyy-MM-dd hh:mm:ss.zzz"_s).toUtf8()
                                    + " <WARNING> : " + QByteArray::number(m_lost) + " log lines lost: "
                                    + m_lostReason.toUtf8() + '\n';
            if (writeWhole(note))
                m_lost = 0;
        }
        if (m_lost > 0 || !writeWhole(line)) {
            ++m_lost;
            std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
        }
    } else {
        std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    }
}

bool NodeLog::writeWhole(const QByteArray &line)
{
    const qint64 before = m_file.size();
    if (m_file.write(line) == line.size())
        return true;
    m_lostReason = m_file.errorString();
    (void)m_file.resize(before); // no torn line
    return false;
}

} // namespace GrayStep::Sim
