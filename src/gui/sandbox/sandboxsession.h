// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/upgradeprofile.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

class QProcess;

namespace GrayStep::Gui {

// Brings up the sandbox cluster for `graystep --sandbox`: runs `graystep-sandbox up` (which
// starts the emulated hosts, or reports a sandbox that already runs) as a separate process,
// reads the upgrade profile it wrote, and reports it. Nothing here blocks the GUI thread.
class SandboxSession final : public QObject
{
    Q_OBJECT

public:
    explicit SandboxSession(QObject *parent = nullptr);
    ~SandboxSession() override;

    // Where the sandbox lives unless the user says otherwise (per-user application data).
    static QString defaultDirectory();
    // graystep-sandbox next to this executable (GRAYSTEP_SANDBOX_BIN overrides it).
    static QString launcherPath();

    // `extraArguments` go to `up` as they are (e.g. --no-ssh, --base-address).
    void start(const QString &directory, const QStringList &extraArguments = {});
    bool isStarting() const;

Q_SIGNALS:
    void progressed(const QString &line);   // the launcher's progress (its stderr), line by line
    void ready(const GrayStep::Core::UpgradeProfile &profile, const QString &profilePath, bool alreadyRunning);
    void failed(const QString &message);

private:
    void onFinished(int exitCode);

    QPointer<QProcess> m_process;
    QByteArray m_stderrTail;
};

} // namespace GrayStep::Gui
