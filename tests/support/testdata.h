// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace GrayStep::Test {

// Absolute path of a file below tests/data (from GRAYSTEP_TEST_DATA, set by ctest).
QString testDataPath(const QString &relative);
// The file's bytes; fails the current test (QFAIL-style message on stderr) and returns {} when missing.
QByteArray readTestData(const QString &relative);
// Directory of the built executables (graystep-cli, ddbsim, ...), from GRAYSTEP_BIN_DIR.
QString binDir();

} // namespace GrayStep::Test
