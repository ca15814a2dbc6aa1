// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target over the four configuration parsers, the topology builder and DdbVersion.
// The input is split at NUL bytes into controller.cfg, cluster.nodes, cluster.cfg, agent.cfg.
#include "core/configparsers.h"
#include "core/ddbversion.h"

#include <QByteArray>
#include <QList>

#include <cstdint>
#include <cstdlib>

using namespace GrayStep::Core;

namespace {

// Every problem must point into its file (line 0 = whole file) and say something.
void checkProblems(const QList<TopologyProblem> &problems, const QList<QByteArray> &parts)
{
    qsizetype maxLines = 1;
    for (const QByteArray &p : parts) {
        maxLines = std::max(maxLines, p.count('\n') + 1);
    }
    for (const TopologyProblem &p : problems) {
        if (p.line < 0 || p.line > maxLines || p.message.isEmpty() || p.file.isEmpty()) {
            std::abort();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    QList<QByteArray> parts = input.split('\0');
    while (parts.size() < 4) {
        parts.append(QByteArray());
    }

    checkProblems(parseControllerCfg(parts.at(0)).problems, parts);
    const NodesFile nodes = parseClusterNodes(parts.at(1));
    checkProblems(nodes.problems, parts);
    for (const ClusterNode &n : nodes.nodes) {
        if (n.alias.isEmpty() || n.host.isEmpty() || n.port == 0 || n.line < 1) {
            std::abort();
        }
    }
    checkProblems(parseClusterCfg(parts.at(2)).problems, parts);
    checkProblems(parseAgentCfg(parts.at(3)).problems, parts);

    const ClusterTopology topology = buildTopology({parts.at(0), parts.at(1), parts.at(2), parts.at(3)});
    checkProblems(topology.problems, parts);
    qsizetype grouped = 0;
    for (const ClusterHost &h : topology.hosts) {
        grouped += h.aliases.size();
    }
    if (grouped != topology.nodes.size()) {
        std::abort();
    }

    const QString a = QString::fromUtf8(parts.at(0).left(64));
    const QString b = QString::fromUtf8(parts.at(1).left(64));
    aliasMatches(a, b);
    const auto from = DdbVersion::parse(a);
    const auto to = DdbVersion::parse(b);
    if (from && to) {
        const CompatibilityVerdict verdict = compatibilityOfUpgrade(*from, *to);
        if (verdict.explanation.isEmpty() || (verdict.level && (*verdict.level < 1 || *verdict.level > 5))) {
            std::abort();
        }
        if ((*from < *to) == (*to < *from) && !(*from == *to)) {
            std::abort();
        }
    }
    return 0;
}
