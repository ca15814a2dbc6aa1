// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-cli topology: parse and validate the cluster configuration files (DESIGN.md §7).
#include "cli/clicommand.h"

#include "core/configparsers.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Cli {

namespace {

struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(GrayStep::Cli)
};

QString severityName(Core::Severity severity)
{
    return severity == Core::Severity::Error ? u"error"_s : u"warning"_s;
}

QJsonObject toJson(const Core::ClusterTopology &topology)
{
    QJsonArray hosts;
    for (const Core::ClusterHost &host : topology.hosts) {
        hosts.append(QJsonObject{{u"address"_s, host.address}, {u"nodes"_s, QJsonArray::fromStringList(host.aliases)}});
    }
    QJsonArray nodes;
    for (const Core::ClusterNode &node : topology.nodes) {
        QJsonObject config;
        for (auto it = node.config.cbegin(); it != node.config.cend(); ++it) {
            config.insert(it.key(), it.value());
        }
        QJsonObject o{{u"alias"_s, node.alias},
                      {u"mode"_s, Core::nodeModeName(node.mode)},
                      {u"host"_s, node.host},
                      {u"port"_s, node.port},
                      {u"config"_s, config}};
        if (!node.computeGroup.isEmpty()) {
            o.insert(u"computeGroup"_s, node.computeGroup);
        }
        nodes.append(o);
    }
    QJsonArray problems;
    for (const Core::TopologyProblem &p : topology.problems) {
        problems.append(QJsonObject{{u"file"_s, p.file},
                                    {u"line"_s, p.line},
                                    {u"severity"_s, severityName(p.severity)},
                                    {u"message"_s, p.message}});
    }
    return {{u"hosts"_s, hosts}, {u"nodes"_s, nodes}, {u"problems"_s, problems}};
}

void printTable(const Core::ClusterTopology &topology, QTextStream &out)
{
    const QStringList header = {Tr::tr("HOST"), Tr::tr("ALIAS"), Tr::tr("MODE"), Tr::tr("PORT")};
    QList<QStringList> rows;
    for (const Core::ClusterHost &host : topology.hosts) {
        bool first = true;
        for (const Core::ClusterNode &node : topology.nodesOnHost(host.address)) {
            rows.append({first ? host.address : QString(), node.alias, Core::nodeModeName(node.mode),
                         QString::number(node.port)});
            first = false;
        }
    }
    QList<qsizetype> widths;
    for (qsizetype c = 0; c < header.size(); ++c) {
        qsizetype w = header.at(c).size();
        for (const QStringList &row : std::as_const(rows)) {
            w = std::max(w, row.at(c).size());
        }
        widths << w;
    }
    const auto printRow = [&](const QStringList &row) {
        QString line;
        for (qsizetype c = 0; c < row.size(); ++c) {
            line += c + 1 < row.size() ? row.at(c).leftJustified(widths.at(c) + 2) : row.at(c);
        }
        out << line << '\n';
    };
    printRow(header);
    for (const QStringList &row : std::as_const(rows)) {
        printRow(row);
    }
    out << Tr::tr("Hosts: %1, nodes: %2").arg(topology.hosts.size()).arg(topology.nodes.size()) << '\n';
    if (topology.problems.isEmpty()) {
        out << Tr::tr("No problems found.") << '\n';
        return;
    }
    out << '\n' << Tr::tr("Problems:") << '\n';
    for (const Core::TopologyProblem &p : topology.problems) {
        out << "  " << p.file;
        if (p.line > 0) {
            out << ':' << p.line;
        }
        out << ": " << severityName(p.severity) << ": " << p.message << '\n';
    }
}

int run(CliContext &ctx)
{
    QString optionError;
    const QString dir = takeOption(ctx.args, u"--config-dir"_s, &optionError);
    Core::TopologyPaths paths{takeOption(ctx.args, u"--controller-cfg"_s, &optionError),
                              takeOption(ctx.args, u"--nodes"_s, &optionError),
                              takeOption(ctx.args, u"--cluster-cfg"_s, &optionError),
                              takeOption(ctx.args, u"--agent-cfg"_s, &optionError)};
    const bool anyFile = !paths.controllerCfg.isEmpty() || !paths.clusterNodes.isEmpty()
                         || !paths.clusterCfg.isEmpty() || !paths.agentCfg.isEmpty();
    if (optionError.isEmpty() && !ctx.args.isEmpty()) {
        optionError = Tr::tr("unexpected argument '%1'").arg(ctx.args.first());
    } else if (optionError.isEmpty() && !dir.isEmpty() && anyFile) {
        optionError = Tr::tr("give either --config-dir or the file options, not both");
    } else if (optionError.isEmpty() && dir.isEmpty() && (paths.controllerCfg.isEmpty() || paths.clusterNodes.isEmpty())) {
        optionError = Tr::tr("give --config-dir DIR, or --controller-cfg F and --nodes F");
    }
    if (!optionError.isEmpty()) {
        ctx.printError(Core::Error(Core::ErrorCode::InvalidInput, optionError));
        return ExitUsage;
    }

    const auto topology = dir.isEmpty() ? Core::loadTopology(paths) : Core::loadTopologyFromDirectory(dir);
    if (!topology) {
        ctx.printError(topology.error());
        return ExitUsage;
    }
    if (ctx.json) {
        ctx.printJson(toJson(*topology));
    } else {
        printTable(*topology, ctx.out);
    }
    return topology->hasErrors() ? ExitProblem : ExitOk;
}

} // namespace

CliCommand topologyCommand()
{
    return {u"topology"_s,
            u"topology (--config-dir DIR | --controller-cfg F --nodes F [--cluster-cfg F] [--agent-cfg F]) [--json]"_s,
            Tr::tr("parse and validate the cluster configuration files; list hosts, nodes and problems"),
            run};
}

} // namespace GrayStep::Cli
