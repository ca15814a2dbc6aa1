// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QString>

namespace GrayStep::Sim {

// A host's "disk": a size-limited tmpfs mounted on D/host<N> (Linux, root, where mount is allowed),
// so a full disk is real for everything on that host (SFTP uploads, df, backups, the nodes' own
// writes). Where tmpfs cannot be had the sandbox falls back to the nodes' emulated quota
// (simSetFault diskFull); tmpfsUnavailableReason() says why.
namespace SandboxDisk {

inline constexpr qint64 DefaultSizeMiB = 512;
inline constexpr auto BallastFile = ".graystep-ballast";

// Empty when this process may try to mount tmpfs (Linux, euid 0, GRAYSTEP_SANDBOX_TMPFS != 0);
// else why not.
QString tmpfsUnavailableReason();
// True when `dir` is a mount point (/proc/self/mountinfo).
bool isMountPoint(const QString &dir);
// Mounts a tmpfs of `sizeMiB` on `dir` keeping what `dir` holds (moved aside, mounted, copied in
// with modes). On failure `dir` is as before and the error carries mount's own message.
Core::Status mountTmpfs(const QString &dir, qint64 sizeMiB);
// The reverse: the ballast is dropped, the contents are copied back onto the real directory and
// the tmpfs is unmounted. Nothing to do when `dir` is not a mount point.
Core::Status unmountTmpfs(const QString &dir);
// Fills the file system of `dir` with <dir>/.graystep-ballast until the kernel answers ENOSPC;
// returns the ballast's size.
Core::Result<qint64> fillWithBallast(const QString &dir);
// Removes the ballast; returns the bytes it held (0 when there was none).
qint64 removeBallast(const QString &dir);
// Free bytes of the file system holding `dir` (statvfs), -1 on error.
qint64 freeBytes(const QString &dir);

} // namespace SandboxDisk

} // namespace GrayStep::Sim
