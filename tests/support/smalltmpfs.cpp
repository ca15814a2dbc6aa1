// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/smalltmpfs.h"

#include <QFile>
#include <QProcess>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Test {

SmallTmpfs::SmallTmpfs(const QString &dir, int sizeKiB)
    : m_dir(dir)
{
    m_mounted = ::geteuid() == 0
                && QProcess::execute(u"mount"_s, {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"size=%1k"_s.arg(sizeKiB),
                                                  u"graystep-test"_s, dir})
                       == 0;
}

SmallTmpfs::~SmallTmpfs()
{
    if (m_mounted)
        QProcess::execute(u"umount"_s, {m_dir});
}

bool SmallTmpfs::fill() const
{
    QFile f(m_dir + u"/ballast"_s);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return false;
    const QByteArray page(4096, 'x');
    while (f.write(page) == page.size()) {
    }
    return f.error() != QFileDevice::NoError;
}

void SmallTmpfs::drain() const
{
    QFile::remove(m_dir + u"/ballast"_s);
}

} // namespace GrayStep::Test
