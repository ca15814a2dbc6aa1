// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clustertopology.h"
#include "core/result.h"

#include <QMainWindow>

#include <memory>

namespace Ui {
class MainWindow;
}

namespace GrayStep::Gui {

class SandboxSession;

// The main window: File → Open cluster configuration… reads a folder of DolphinDB
// configuration files (off the GUI thread) and shows hosts → nodes and the problems.
class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Starts reading the configuration in `dir` (see Core::loadTopologyFromDirectory) and
    // shows it when done; a newer call supersedes an unfinished one. `description` names
    // the source in the title (e.g. "bundled example"); empty means the folder path.
    void openConfigDirectory(const QString &dir, const QString &description = {});

    // `graystep --sandbox`: starts the sandbox cluster in `directory` (or joins the one that
    // runs there) through `graystep-sandbox up`, then shows its topology. `extraArguments`
    // go to `up` (tests use --no-ssh, --fast, --base-address).
    void startSandbox(const QString &directory, const QStringList &extraArguments = {});

Q_SIGNALS:
    // The sandbox is up and its topology is being read (configurationShown() follows).
    void sandboxReady(const QString &profilePath);
    void sandboxFailed(const QString &message);
    // The result of openConfigDirectory() is on screen (a topology or a read error).
    // With Qt 6.4 this can happen before openConfigDirectory() returns, when the
    // background read finished before its continuation was attached.
    void configurationShown();

private:
    void onOpenTriggered();
    void showTopology(const Core::ClusterTopology &topology, const QString &source);
    void showReadError(const Core::Error &error, const QString &dir);
    void addProblemRow(const QString &where, Core::Severity severity, const QString &message);

    std::unique_ptr<Ui::MainWindow> m_ui;
    SandboxSession *m_sandbox = nullptr;
    quint64 m_loadGeneration = 0;
};

} // namespace GrayStep::Gui
