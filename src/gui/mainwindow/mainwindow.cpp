// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/mainwindow/mainwindow.h"

#include "gui/sandbox/sandboxsession.h"

#include "ui_mainwindow.h"

#include "core/configparsers.h"

#include <QDir>
#include <QFileDialog>
#include <QFuture>
#include <QHeaderView>
#include <QStyle>
#include <QtConcurrent>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Gui {

namespace {

enum TopologyColumn { ColumnName, ColumnRole, ColumnPort, ColumnSettings };
enum ProblemColumn { ColumnWhere, ColumnSeverity, ColumnMessage };

QString roleText(Core::NodeMode mode)
{
    switch (mode) {
    case Core::NodeMode::Controller: return MainWindow::tr("Controller");
    case Core::NodeMode::Agent: return MainWindow::tr("Agent");
    case Core::NodeMode::DataNode: return MainWindow::tr("Data node");
    case Core::NodeMode::ComputeNode: return MainWindow::tr("Compute node");
    }
    return {};
}

// The settings an upgrade cares about (where metadata lives, HA mode, the agent's controller).
QString keySettings(const Core::ClusterNode &node)
{
    QStringList shown;
    for (const QString &key : {u"volumes"_s, u"chunkMetaDir"_s, u"dfsMetaDir"_s, u"dfsHAMode"_s, u"controllerSite"_s}) {
        if (node.config.contains(key)) {
            shown << key + u'=' + node.config.value(key);
        }
    }
    return shown.join(u"  "_s);
}

QString allSettings(const Core::ClusterNode &node)
{
    QStringList lines;
    for (auto it = node.config.cbegin(); it != node.config.cend(); ++it) {
        lines << it.key() + u'=' + it.value();
    }
    return lines.join(u'\n');
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_ui(std::make_unique<Ui::MainWindow>())
{
    m_ui->setupUi(this);
    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 1);
    m_ui->topologyTree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_ui->topologyTree->header()->setStretchLastSection(true);
    m_ui->topologyTree->headerItem()->setTextAlignment(ColumnPort, Qt::AlignRight | Qt::AlignVCenter);
    m_ui->problemsTree->header()->setSectionResizeMode(ColumnWhere, QHeaderView::ResizeToContents);
    m_ui->problemsTree->header()->setSectionResizeMode(ColumnSeverity, QHeaderView::ResizeToContents);
    m_ui->problemsTree->header()->setStretchLastSection(true);
    connect(m_ui->actionOpen, &QAction::triggered, this, &MainWindow::onOpenTriggered);
    connect(m_ui->actionQuit, &QAction::triggered, this, &QWidget::close);
    statusBar()->showMessage(tr("Open a folder with controller.cfg and cluster.nodes (File → Open cluster configuration…)."));
}

MainWindow::~MainWindow() = default;

void MainWindow::openConfigDirectory(const QString &dir, const QString &description)
{
    const quint64 generation = ++m_loadGeneration;
    const QString source = description.isEmpty() ? QDir::toNativeSeparators(dir) : description;
    statusBar()->showMessage(tr("Reading %1…").arg(source));
    // File I/O of unknown speed (network folders): never on the GUI thread.
    QtConcurrent::run([dir] { return Core::loadTopologyFromDirectory(dir); })
        .then(this, [this, generation, dir, source](const Core::Result<Core::ClusterTopology> &result) {
            if (generation != m_loadGeneration) {
                return;   // a newer request superseded this one
            }
            if (result) {
                showTopology(*result, source);
            } else {
                showReadError(result.error(), dir);
            }
            Q_EMIT configurationShown();
        });
}

void MainWindow::startSandbox(const QString &directory, const QStringList &extraArguments)
{
    if (!m_sandbox) {
        m_sandbox = new SandboxSession(this);
        connect(m_sandbox, &SandboxSession::progressed, this,
                [this](const QString &line) { statusBar()->showMessage(tr("Sandbox: %1").arg(line)); });
        connect(m_sandbox, &SandboxSession::failed, this, [this](const QString &message) {
            setWindowTitle(tr("GrayStep"));
            m_ui->topologyTree->clear();
            m_ui->problemsTree->clear();
            addProblemRow(tr("sandbox"), Core::Severity::Error, message);
            m_ui->problemsGroup->setTitle(tr("Problems: 1 error"));
            statusBar()->showMessage(message);
            Q_EMIT sandboxFailed(message);
        });
        connect(m_sandbox, &SandboxSession::ready, this,
                [this](const Core::UpgradeProfile &profile, const QString &profilePath, bool alreadyRunning) {
                    const QString dir = QDir::toNativeSeparators(QFileInfo(profilePath).absolutePath());
                    const QString configDir = !profile.configDir.isEmpty()
                                                  ? profile.configDir
                                                  : QFileInfo(profile.clusterNodes).absolutePath();
                    openConfigDirectory(configDir, alreadyRunning ? tr("Sandbox cluster in %1 (already running)").arg(dir)
                                                                  : tr("Sandbox cluster in %1").arg(dir));
                    Q_EMIT sandboxReady(profilePath);
                });
    }
    setWindowTitle(tr("Starting the sandbox — GrayStep"));
    statusBar()->showMessage(tr("Starting the sandbox cluster in %1…").arg(QDir::toNativeSeparators(directory)));
    m_sandbox->start(directory, extraArguments);
}

void MainWindow::onOpenTriggered()
{
    auto *dialog = new QFileDialog(this, tr("Open cluster configuration"));
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &dir) { openConfigDirectory(dir); });
    dialog->open();
}

void MainWindow::showTopology(const Core::ClusterTopology &topology, const QString &source)
{
    setWindowTitle(tr("%1 — GrayStep").arg(source));
    QTreeWidget *tree = m_ui->topologyTree;
    tree->clear();
    for (const Core::ClusterHost &host : topology.hosts) {
        auto *hostItem = new QTreeWidgetItem(tree);
        hostItem->setText(ColumnName, host.address);
        hostItem->setText(ColumnRole, tr("Host"));
        hostItem->setIcon(ColumnName, style()->standardIcon(QStyle::SP_ComputerIcon));
        for (const Core::ClusterNode &node : topology.nodesOnHost(host.address)) {
            auto *nodeItem = new QTreeWidgetItem(hostItem);
            nodeItem->setText(ColumnName, node.alias);
            nodeItem->setText(ColumnRole, roleText(node.mode));
            nodeItem->setText(ColumnPort, QString::number(node.port));
            nodeItem->setTextAlignment(ColumnPort, Qt::AlignRight | Qt::AlignVCenter);
            nodeItem->setToolTip(ColumnName, node.site());
            nodeItem->setText(ColumnSettings, keySettings(node));
            nodeItem->setToolTip(ColumnSettings, allSettings(node));
        }
    }
    tree->expandAll();

    m_ui->problemsTree->clear();
    qsizetype errors = 0;
    for (const Core::TopologyProblem &p : topology.problems) {
        const QString where = p.line > 0 ? p.file + u':' + QString::number(p.line) : p.file;
        addProblemRow(where, p.severity, p.message);
        errors += p.severity == Core::Severity::Error ? 1 : 0;
    }
    const qsizetype warnings = topology.problems.size() - errors;
    m_ui->problemsGroup->setTitle(topology.problems.isEmpty()
                                      ? tr("Problems: none")
                                      : tr("Problems: %1 errors, %2 warnings").arg(errors).arg(warnings));
    statusBar()->showMessage(tr("%1: %2 hosts, %3 nodes.").arg(source).arg(topology.hosts.size()).arg(topology.nodes.size()));
}

void MainWindow::showReadError(const Core::Error &error, const QString &dir)
{
    setWindowTitle(tr("GrayStep"));
    m_ui->topologyTree->clear();
    m_ui->problemsTree->clear();
    addProblemRow(QDir::toNativeSeparators(dir), Core::Severity::Error, error.message);
    m_ui->problemsGroup->setTitle(tr("Problems: the configuration could not be read"));
    statusBar()->showMessage(tr("Could not read the configuration: %1").arg(error.message));
}

void MainWindow::addProblemRow(const QString &where, Core::Severity severity, const QString &message)
{
    auto *item = new QTreeWidgetItem(m_ui->problemsTree);
    const bool isError = severity == Core::Severity::Error;
    item->setText(ColumnWhere, where);
    item->setText(ColumnSeverity, isError ? tr("Error") : tr("Warning"));
    item->setIcon(ColumnSeverity, style()->standardIcon(isError ? QStyle::SP_MessageBoxCritical
                                                                : QStyle::SP_MessageBoxWarning));
    item->setText(ColumnMessage, message);
    item->setToolTip(ColumnMessage, message);
}

} // namespace GrayStep::Gui
