// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/clitool.h"

#include "support/testdata.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QProcess>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Test {

QJsonObject Cli::last() const
{
    const QList<QByteArray> lines = out.trimmed().split('\n');
    return lines.isEmpty() ? QJsonObject() : QJsonDocument::fromJson(lines.last()).object();
}

QList<QJsonObject> Cli::events(const QString &kind, const QString &step) const
{
    QList<QJsonObject> found;
    for (const QByteArray &line : out.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (e.value(u"event"_s).toString() == kind && (step.isEmpty() || e.value(u"step"_s).toString() == step)) {
            found.append(e);
        }
    }
    return found;
}

Cli runTool(const QString &tool, const QStringList &args, const QProcessEnvironment &env, int timeoutMs)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(binDir() + u'/' + tool, args);
    Cli c;
    if (!p.waitForStarted(10000)) {
        return c;
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    c.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : 128 + 9;
    c.out = p.readAllStandardOutput();
    c.err = p.readAllStandardError();
    return c;
}

Cli runWatching(const QStringList &args, const std::function<void(const QJsonObject &, qint64)> &onEvent, int timeoutMs,
                const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(binDir() + u"/graystep-cli"_s, args);
    p.closeWriteChannel();
    Cli c;
    QByteArray pending;
    QElapsedTimer t;
    t.start();
    const auto take = [&] {
        pending += p.readAllStandardOutput();
        for (qsizetype nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
            const QByteArray line = pending.left(nl);
            pending.remove(0, nl + 1);
            c.out += line + '\n';
            onEvent(QJsonDocument::fromJson(line).object(), p.processId());
        }
    };
    while (p.state() != QProcess::NotRunning && t.elapsed() < timeoutMs) {
        p.waitForReadyRead(100);
        take();
    }
    if (!p.waitForFinished(10000)) {
        p.kill();
        p.waitForFinished();
    }
    take();
    c.out += pending;
    c.err = p.readAllStandardError();
    c.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : 128 + 9;
    return c;
}

} // namespace GrayStep::Test
