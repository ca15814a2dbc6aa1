// SPDX-License-Identifier: GPL-3.0-or-later
// graystep: the desktop application.
#include "gui/mainwindow/mainwindow.h"
#include "gui/sandbox/sandboxsession.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

using namespace Qt::Literals::StringLiterals;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"graystep"_s);
    QApplication::setApplicationDisplayName(u"GrayStep"_s);
    QApplication::setOrganizationName(u"GrayStep"_s);
    QApplication::setApplicationVersion(QStringLiteral(GRAYSTEP_VERSION));

    // Qt's own texts (dialog buttons) and ours (embedded at :/i18n), for the user's language.
    QTranslator qtTranslator;
    if (qtTranslator.load(QLocale(), u"qtbase"_s, u"_"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QApplication::installTranslator(&qtTranslator);
    }
    QTranslator translator;
    if (translator.load(QLocale(), u"graystep"_s, u"_"_s, u":/i18n"_s)) {
        QApplication::installTranslator(&translator);
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Grayscale (rolling) upgrades of DolphinDB HA clusters."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configDir(u"config-dir"_s,
                                       QApplication::translate("main", "Open the cluster configuration in <dir>."),
                                       QApplication::translate("main", "dir"));
    const QCommandLineOption sandbox(u"sandbox"_s,
                                     QApplication::translate("main", "Start the sandbox cluster (emulated, on this machine) and open it."));
    const QCommandLineOption sandboxDir(u"sandbox-dir"_s,
                                        QApplication::translate("main", "Where the sandbox lives (default: %1).")
                                            .arg(GrayStep::Gui::SandboxSession::defaultDirectory()),
                                        QApplication::translate("main", "dir"));
    const QCommandLineOption example(u"example"_s,
                                     QApplication::translate("main", "Open the bundled example (the tutorial's topology, files only)."));
    parser.addOption(configDir);
    parser.addOption(sandbox);
    parser.addOption(sandboxDir);
    parser.addOption(example);
    parser.process(app);
    if (int(parser.isSet(configDir)) + int(parser.isSet(sandbox)) + int(parser.isSet(example)) > 1) {
        qCritical("%s", qPrintable(QApplication::translate("main", "Give only one of --config-dir, --sandbox and --example.")));
        return 2;
    }

    GrayStep::Gui::MainWindow window;
    window.show();
    if (parser.isSet(sandbox)) {
        window.startSandbox(parser.isSet(sandboxDir) ? parser.value(sandboxDir)
                                                     : GrayStep::Gui::SandboxSession::defaultDirectory());
    } else if (parser.isSet(example)) {
        window.openConfigDirectory(u":/examples/tutorial"_s,
                                   QApplication::translate("main", "Bundled example (tutorial cluster, not a live sandbox)"));
    } else if (parser.isSet(configDir)) {
        window.openConfigDirectory(parser.value(configDir));
    }
    return app.exec();
}
