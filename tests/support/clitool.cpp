// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/clitool.h"

#include "support/testdata.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
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
        if (e.isEmpty()) {
            continue;
        }
        if (kind.isEmpty() || (e.value(u"event"_s).toString() == kind && (step.isEmpty() || e.value(u"step"_s).toString() == step))) {
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

QMap<QString, QString> sandboxVersions(const QString &dir)
{
    QMap<QString, QString> v;
    const Cli c = runTool(u"graystep-sandbox"_s, {u"status"_s, u"--dir"_s, dir, u"--json"_s});
    for (const QJsonValue &n : QJsonDocument::fromJson(c.out).object().value(u"nodes"_s).toArray()) {
        const QJsonObject o = n.toObject();
        v.insert(o.value(u"alias"_s).toString(),
                 o.value(u"state"_s).toString() == u"up"_s ? o.value(u"version"_s).toString() : QString());
    }
    return v;
}

QMap<QString, int> sandboxExecutions(const QString &dir, int hosts)
{
    QMap<QString, int> count;
    for (int i = 1; i <= hosts; ++i) {
        QFile f(dir + u"/host%1/.graystep/executions.log"_s.arg(i));
        if (!f.open(QIODevice::ReadOnly)) {
            continue;
        }
        for (const QByteArray &line : f.readAll().split('\n')) {
            if (!line.trimmed().isEmpty()) {
                count[QString::fromUtf8(line.split(' ').value(0))] += 1;
            }
        }
    }
    return count;
}

QStringList planOrder(const QString &profile)
{
    const Cli c = runTool(u"graystep-cli"_s, {u"plan"_s, u"--profile"_s, profile, u"--json"_s});
    QStringList order;
    for (const QJsonValue &h : c.last().value(u"hosts"_s).toArray()) {
        order << h.toObject().value(u"address"_s).toString();
    }
    return order;
}

} // namespace GrayStep::Test
