// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QString>

namespace GrayStep::Sim {

// The node's file writes with their failures noticed (a full disk, a read-only file system):
// nothing written by a failed call stays behind, so a later append never lands after a torn line
// and the node's files stay what they were before the call. Errors carry the system's text
// ("No space left on device").
namespace DurableFile {

// Appends `bytes` to `path` (created when missing) and flushes. On failure the file is cut back to
// its previous size. `previousSize` (optional) receives that size, for undo().
Core::Status append(const QString &path, const QByteArray &bytes, qint64 *previousSize = nullptr);
// Cuts `path` back to `size` (undoes an append whose companion write failed).
void undo(const QString &path, qint64 size);
// Replaces `path` atomically (written to a temporary file, then renamed over it): on failure the
// old file is untouched.
Core::Status replace(const QString &path, const QByteArray &bytes);
// True when an error of the calls above is the file system being full.
bool isNoSpace(const Core::Error &error);

} // namespace DurableFile

} // namespace GrayStep::Sim
