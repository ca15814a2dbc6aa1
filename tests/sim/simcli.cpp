// SPDX-License-Identifier: GPL-3.0-or-later
// Developer helper (not a test): runs one script on an emulated node and prints the result as JSON.
//   simcli HOST PORT SCRIPT
#include "support/simclient.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc < 4) {
        std::fprintf(stderr, "usage: simcli HOST PORT SCRIPT\n");
        return 2;
    }
    auto r = GrayStep::Test::runOnce(QString::fromLocal8Bit(argv[1]), QString::fromLocal8Bit(argv[2]).toInt(),
                                     QString::fromLocal8Bit(argv[3]));
    if (!r) {
        std::printf("ERROR: %s\n", qPrintable(r.error().message));
        return 1;
    }
    const QJsonValue j = r->toJson();
    std::printf("%s %s\n", qPrintable(r->describe()),
                j.isObject() ? QJsonDocument(j.toObject()).toJson(QJsonDocument::Compact).constData()
                : j.isArray() ? QJsonDocument(j.toArray()).toJson(QJsonDocument::Compact).constData()
                              : qPrintable(j.toVariant().toString()));
    return 0;
}
