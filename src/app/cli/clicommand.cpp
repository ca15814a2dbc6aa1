// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/clicommand.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

void CliContext::printError(const Core::Error &error) const
{
    if (json) {
        QJsonObject o{{u"error"_s, error.message},
                      {u"code"_s, Core::errorCodeName(error.code)}};
        if (!error.where.isEmpty()) {
            o.insert(u"where"_s, error.where);
        }
        printJson(o);
        return;
    }
    err << "graystep-cli: " << error.toString() << Qt::endl;
}

void CliContext::printJson(const QJsonValue &value) const
{
    QJsonDocument doc = value.isArray() ? QJsonDocument(value.toArray())
                                        : QJsonDocument(value.toObject());
    out << QString::fromUtf8(doc.toJson(QJsonDocument::Compact)) << Qt::endl;
}

QString takeOption(QStringList &args, const QString &name, QString *error)
{
    const qsizetype i = args.indexOf(name);
    if (i < 0) {
        return {};
    }
    if (i + 1 >= args.size()) {
        if (error) {
            *error = u"option %1 needs a value"_s.arg(name);
        }
        args.removeAt(i);
        return {};
    }
    const QString value = args.at(i + 1);
    args.remove(i, 2);
    return value;
}

bool reportUsageProblem(CliContext &ctx, const QString &optionError, const QString &missing)
{
    QString problem = optionError;
    if (problem.isEmpty()) {
        problem = missing;
    }
    if (problem.isEmpty() && !ctx.args.isEmpty()) {
        problem = u"unexpected argument: "_s + ctx.args.join(u' ');
    }
    if (problem.isEmpty()) {
        return false;
    }
    ctx.printError(Core::Error(Core::ErrorCode::InvalidInput, problem));
    return true;
}

bool takeFlag(QStringList &args, const QString &name)
{
    return args.removeAll(name) > 0;
}

QMap<QString, QString> takePackageFor(QStringList &args, QString *error)
{
    QMap<QString, QString> packages;
    for (;;) {
        const QString p = takeOption(args, u"--package-for"_s, error);
        if (p.isEmpty()) {
            break;
        }
        const qsizetype eq = p.indexOf(u'=');
        if (eq <= 0) {
            *error = u"--package-for expects HOST=ZIP"_s;
            break;
        }
        packages.insert(p.left(eq), QFileInfo(p.mid(eq + 1)).absoluteFilePath());
    }
    return packages;
}

} // namespace GrayStep::Cli
