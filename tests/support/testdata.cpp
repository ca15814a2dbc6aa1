// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/testdata.h"

#include <QDir>
#include <QFile>
#include <QTest>

namespace GrayStep::Test {

QString testDataPath(const QString &relative)
{
    const QString root = qEnvironmentVariable("GRAYSTEP_TEST_DATA");
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
    return qEnvironmentVariable("GRAYSTEP_BIN_DIR");
}

} // namespace GrayStep::Test
