// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/testdata.h"

#include <QDir>
#include <QFile>
#include <QTest>

namespace GrayStep::Test {

QString testDataPath(const QString &relative)
{
    // ctest sets GRAYSTEP_TEST_DATA; a test binary started by hand falls back to the
    // source tree it was built from.
    QString root = qEnvironmentVariable("GRAYSTEP_TEST_DATA");
    if (root.isEmpty()) {
        root = QStringLiteral(GRAYSTEP_TEST_DATA_DIR);
    }
    return QDir(root).filePath(relative);
}

QByteArray readTestData(const QString &relative)
{
    QFile file(testDataPath(relative));
    if (!file.open(QIODevice::ReadOnly)) {
        qWarning("test data missing: %s", qPrintable(file.fileName()));
        return {};
    }
    return file.readAll();
}

QString binDir()
{
    const QString dir = qEnvironmentVariable("GRAYSTEP_BIN_DIR");
    return dir.isEmpty() ? QStringLiteral(GRAYSTEP_BUILD_BIN_DIR) : dir;
}

} // namespace GrayStep::Test
