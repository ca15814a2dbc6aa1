// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace GrayStep::Test {

// A small tmpfs mounted on a directory for the life of this object, so a test can fill a real
// file system and see the kernel's ENOSPC. Needs root and mount (else mounted() is false: skip).
class SmallTmpfs final
{
public:
    explicit SmallTmpfs(const QString &dir, int sizeKiB = 1024);
    ~SmallTmpfs();
    SmallTmpfs(const SmallTmpfs &) = delete;
    SmallTmpfs &operator=(const SmallTmpfs &) = delete;

    bool mounted() const { return m_mounted; }
    // Fills the file system with a ballast file until the kernel refuses; true when it did.
    bool fill() const;
    // Removes the ballast.
    void drain() const;

private:
    QString m_dir;
    bool m_mounted = false;
};

} // namespace GrayStep::Test
