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
    return m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text);
}

void NodeLog::write(Level level, const QString &text)
{
    const char *tag = level == Level::Info ? "<INFO>" : level == Level::Warning ? "<WARNING>" : "<ERROR>";
    const QByteArray line = QDateTime::currentDateTime().toString(u"yyyy-MM-dd hh:mm:ss.zzz"_s).toUtf8() + ' ' + tag
                            + " : " + text.toUtf8() + '\n';
    QMutexLocker lock(&m_mutex);
    if (m_file.isOpen()) {
        m_file.write(line);
        m_file.flush();
    } else {
        std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    }
}

} // namespace GrayStep::Sim
