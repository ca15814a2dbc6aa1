// SPDX-License-Identifier: GPL-3.0-or-later
#include "gui/sandbox/sandboxsession.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QtConcurrent>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Gui {

SandboxSession::SandboxSession(QObject *parent)
    : QObject(parent)
{}

SandboxSession::~SandboxSession()
{
    // The sandbox outlives the window on purpose (stop it with `graystep-sandbox down`);
    // only an unfinished `up` is interrupted.
    if (m_process) {
        m_process->kill();
        m_process->waitForFinished(2000);
    }
}

QString SandboxSession::defaultDirectory()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)).filePath(u"sandbox"_s);
}

QString SandboxSession::launcherPath()
{
    const QString overridden = qEnvironmentVariable("GRAYSTEP_SANDBOX_BIN");
    if (!overridden.isEmpty()) {
        return overridden;
    }
#ifdef Q_OS_WIN
    return QDir(QCoreApplication::applicationDirPath()).filePath(u"graystep-sandbox.exe"_s);
#else
    return QDir(QCoreApplication::applicationDirPath()).filePath(u"graystep-sandbox"_s);
#endif
}

bool SandboxSession::isStarting() const
{
    return m_process != nullptr;
}

void SandboxSession::start(const QString &directory, const QStringList &extraArguments)
{
    if (m_process) {
        return;
    }
    const QString launcher = launcherPath();
    if (!QFileInfo(launcher).isExecutable()) {
        Q_EMIT failed(tr("The sandbox launcher was not found at %1.").arg(QDir::toNativeSeparators(launcher)));
        return;
    }
    m_stderrTail.clear();
    m_process = new QProcess(this);
    connect(m_process, &QProcess::readyReadStandardError, this, [this] {
        m_stderrTail += m_process->readAllStandardError();
        qsizetype nl;
        while ((nl = m_stderrTail.indexOf('\n')) >= 0) {
            const QString line = QString::fromUtf8(m_stderrTail.left(nl)).trimmed();
            m_stderrTail.remove(0, nl + 1);
            if (!line.isEmpty()) {
                Q_EMIT progressed(line);
            }
        }
    });
    connect(m_process, &QProcess::finished, this, [this](int exitCode) { onFinished(exitCode); });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            Q_EMIT failed(tr("The sandbox launcher could not be started: %1").arg(m_process->errorString()));
            m_process->deleteLater();
            m_process = nullptr;
        }
    });
    QStringList args{u"up"_s, u"--dir"_s, directory};
    args += extraArguments;
    m_process->start(launcher, args);
}

void SandboxSession::onFinished(int exitCode)
{
    QProcess *process = m_process;
    m_process = nullptr;
    process->deleteLater();
    const QByteArray out = process->readAllStandardOutput();
    const QString lastError = QString::fromUtf8(m_stderrTail + process->readAllStandardError()).trimmed();
    const QJsonObject reply = QJsonDocument::fromJson(out).object();
    const QString profilePath = reply.value(u"profile"_s).toString();
    if (exitCode != 0 || profilePath.isEmpty()) {
        QString why = reply.value(u"error"_s).toString();
        if (why.isEmpty()) {
            why = lastError.isEmpty() ? tr("exit status %1").arg(exitCode) : lastError.section(u'\n', -1);
        }
        Q_EMIT failed(tr("The sandbox did not start: %1").arg(why));
        return;
    }
    const bool alreadyRunning = reply.value(u"alreadyRunning"_s).toBool();
    // A small local file, but still file I/O: read it off the GUI thread.
    QtConcurrent::run([profilePath] { return Core::UpgradeProfile::load(profilePath); })
        .then(this, [this, profilePath, alreadyRunning](const Core::Result<Core::UpgradeProfile> &profile) {
            if (profile) {
                Q_EMIT ready(*profile, profilePath, alreadyRunning);
            } else {
                Q_EMIT failed(tr("The sandbox's profile cannot be read: %1").arg(profile.error().toString()));
            }
        });
}

} // namespace GrayStep::Gui
