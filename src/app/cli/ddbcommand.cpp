// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli ddb SITE [--user U] [--password-env VAR] [--timeout S] SCRIPT [--json]
// Runs one script on one DolphinDB node and prints the result (DESIGN.md §7).
// The password is read only from an environment variable; without --password-env the
// sandbox's published default is used. It never appears in output or errors.
#include "cli/clicommand.h"

#include "dolphindb/ddbconnection.h"
#include "dolphindb/ddbformat.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonObject>
#include <QTimer>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::DolphinDb;

namespace GrayStep::Cli {

namespace {

constexpr auto SANDBOX_DEFAULT_PASSWORD = "123456";

int usage(CliContext &ctx, const QString &message)
{
    ctx.printError(Core::Error(Core::ErrorCode::InvalidInput, message));
    return ExitUsage;
}

int runDdb(CliContext &ctx)
{
    QStringList &args = ctx.args;
    QString optError;
    if (args.contains(u"--password"_s)) {
        return usage(ctx, u"passwords are not accepted on the command line; use --password-env VAR"_s);
    }
    const QString user = takeOption(args, u"--user"_s, &optError);
    const QString passwordEnv = takeOption(args, u"--password-env"_s, &optError);
    const QString timeoutText = takeOption(args, u"--timeout"_s, &optError);
    if (!optError.isEmpty()) {
        return usage(ctx, optError);
    }
    for (const QString &a : std::as_const(args)) {
        if (a.startsWith(u"--"_s)) {
            return usage(ctx, u"unknown option %1"_s.arg(a));
        }
    }
    if (args.size() != 2) {
        return usage(ctx, u"usage: ddb SITE [--user U] [--password-env VAR] [--timeout S] SCRIPT [--json]"_s);
    }
    const auto site = DdbSite::parse(args.at(0));
    if (!site) {
        return usage(ctx, site.error().message);
    }
    const QString script = args.at(1);
    if (script.trimmed().isEmpty()) {
        return usage(ctx, u"the script is empty"_s);
    }
    DdbCredentials cred;
    cred.user = user.isEmpty() ? u"admin"_s : user;
    if (!passwordEnv.isEmpty()) {
        if (!qEnvironmentVariableIsSet(passwordEnv.toLocal8Bit().constData())) {
            return usage(ctx, u"environment variable %1 is not set"_s.arg(passwordEnv));
        }
        cred.password = qEnvironmentVariable(passwordEnv.toLocal8Bit().constData());
    } else {
        cred.password = QString::fromLatin1(SANDBOX_DEFAULT_PASSWORD);
    }
    DdbConnectionSettings settings;
    if (!timeoutText.isEmpty()) {
        bool ok = false;
        const double seconds = timeoutText.toDouble(&ok);
        if (!ok || seconds <= 0 || seconds > 86400) {
            return usage(ctx, u"invalid --timeout '%1' (seconds)"_s.arg(timeoutText));
        }
        settings.connectTimeoutMs = std::min(settings.connectTimeoutMs, int(seconds * 1000));
        settings.requestTimeoutMs = int(seconds * 1000);
    }

    DdbConnection conn;
    conn.setSettings(settings);
    QEventLoop loop;
    std::optional<Core::Error> failure;
    DdbReply reply;
    bool done = false;
    QObject::connect(&conn, &DdbConnection::openFailed, &loop, [&](const Core::Error &e) {
        failure = e;
        done = true;
        loop.quit();
    });
    QObject::connect(&conn, &DdbConnection::opened, &loop, [&] { conn.runScript(script); });
    QObject::connect(&conn, &DdbConnection::requestFinished, &loop, [&](const DdbReply &r) {
        reply = r;
        done = true;
        loop.quit();
    });
    QObject::connect(&conn, &DdbConnection::progressMessage, &loop, [&](const QString &m) {
        if (!ctx.json) {
            ctx.err << m << Qt::endl;
        }
    });
    conn.open(*site, cred);
    if (!done) {
        loop.exec();
    }
    if (failure) {
        ctx.printError(*failure);
        return ExitProblem;
    }
    if (reply.error) {
        ctx.printError(*reply.error);
        return ExitProblem;
    }
    if (ctx.json) {
        QJsonObject o = toJsonEnvelope(reply.value);
        o.insert(u"site"_s, site->toString());
        if (!reply.messages.isEmpty()) {
            o.insert(u"messages"_s, QJsonArray::fromStringList(reply.messages));
        }
        ctx.printJson(o);
    } else {
        ctx.out << formatText(reply.value);
    }
    return ExitOk;
}

} // namespace

CliCommand ddbCommand()
{
    return {u"ddb"_s,
            u"ddb SITE [--user U] [--password-env VAR] [--timeout S] SCRIPT"_s,
            u"run one script on one DolphinDB node (host:port) and print the result"_s,
            runDdb};
}

} // namespace GrayStep::Cli
