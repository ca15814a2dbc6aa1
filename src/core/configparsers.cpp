// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/configparsers.h"

#include "core/coretr.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Core {

namespace {

constexpr qint64 MAX_CONFIG_FILE_BYTES = 1024 * 1024;

// Settings that must be whole numbers wherever they appear.
const QStringList WHOLE_NUMBER_KEYS = {
    u"workerNum"_s, u"localExecutors"_s, u"maxConnections"_s, u"webWorkerNum"_s,
    u"dfsReplicationFactor"_s, u"dfsReplicaReliabilityLevel"_s, u"dataSync"_s,
    u"dfsRecoveryWaitTime"_s, u"raftElectionTick"_s, u"maxBatchJobWorker"_s,
};
// Settings that must be numbers (a fraction is allowed).
const QStringList NUMBER_KEYS = {u"maxMemSize"_s};

class Reporter
{
public:
    Reporter(QString file, QList<TopologyProblem> &out)
        : m_file(std::move(file))
        , m_out(out)
    {}
    void error(int line, const QString &message) { m_out.append({m_file, line, Severity::Error, message}); }
    void warning(int line, const QString &message) { m_out.append({m_file, line, Severity::Warning, message}); }

private:
    QString m_file;
    QList<TopologyProblem> &m_out;
};

// The file's lines, trimmed (so CR of CRLF goes too), without a leading UTF-8 BOM.
QStringList splitLines(const QByteArray &content)
{
    QString text = QString::fromUtf8(content);
    if (text.startsWith(QChar(0xFEFF))) {
        text.remove(0, 1);
    }
    QStringList lines = text.split(u'\n');
    if (lines.size() > 1 && lines.last().isEmpty()) {
        lines.removeLast();   // the newline ending the last line
    }
    for (QString &line : lines) {
        line = line.trimmed();
    }
    return lines;
}

// Problems of one file in line order (whole-file problems, line 0, first).
void sortByLine(QList<TopologyProblem> &problems)
{
    std::stable_sort(problems.begin(), problems.end(),
                     [](const TopologyProblem &a, const TopologyProblem &b) { return a.line < b.line; });
}

bool isComment(const QString &line)
{
    return line.startsWith(u'#');
}

bool allCharsIn(QStringView text, QStringView extra)
{
    return std::all_of(text.begin(), text.end(), [&](QChar c) {
        return (c.unicode() < 128 && c.isLetterOrNumber()) || extra.contains(c);
    });
}

bool isSettingName(const QString &key)
{
    return !key.isEmpty() && key.front().unicode() < 128 && key.front().isLetter() && allCharsIn(key, u"_");
}

bool isAliasPattern(const QString &pattern)
{
    return allCharsIn(pattern, u"_-%?");
}

ConfigFile parseKeyValues(const QByteArray &content, const QString &file, bool allowAliasPrefix)
{
    ConfigFile cfg;
    cfg.file = file;
    Reporter report(file, cfg.problems);
    const QStringList lines = splitLines(content);
    QHash<QString, int> firstLine;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString &text = lines.at(i);
        const int n = int(i + 1);
        if (text.isEmpty()) {
            if (n == 1 && lines.size() > 1) {
                report.error(n, Tr::tr("the first line is blank; DolphinDB refuses configuration files "
                                       "whose first line is blank"));
            }
            continue;
        }
        if (isComment(text)) {
            continue;
        }
        const qsizetype eq = text.indexOf(u'=');
        if (eq < 0) {
            report.error(n, Tr::tr("expected key=value, found '%1'").arg(text));
            continue;
        }
        const QString name = text.left(eq).trimmed();
        const QString value = text.mid(eq + 1).trimmed();
        if (name.isEmpty()) {
            report.error(n, Tr::tr("the setting name before '=' is missing"));
            continue;
        }
        QString pattern;
        QString key = name;
        const qsizetype dot = allowAliasPrefix ? name.lastIndexOf(u'.') : -1;
        if (dot >= 0) {
            pattern = name.left(dot).trimmed();
            key = name.mid(dot + 1).trimmed();
            if (pattern.isEmpty()) {
                report.error(n, Tr::tr("the node alias before '.' in '%1' is missing").arg(name));
                continue;
            }
            if (!isAliasPattern(pattern)) {
                report.error(n, Tr::tr("'%1' is not a node alias pattern (letters, digits, '_', '-', "
                                       "and the wildcards '%' and '?')").arg(pattern));
                continue;
            }
        }
        if (!isSettingName(key)) {
            report.error(n, Tr::tr("'%1' is not a setting name").arg(key));
            continue;
        }
        if (value.isEmpty()) {
            report.warning(n, Tr::tr("'%1' has no value").arg(name));
        }
        const QString id = pattern.isEmpty() ? key : pattern + u'.' + key;
        if (const auto it = firstLine.constFind(id); it != firstLine.cend()) {
            report.error(n, Tr::tr("'%1' is set twice (first on line %2)").arg(id).arg(*it));
        } else {
            firstLine.insert(id, n);
        }
        cfg.settings.append({pattern, key, value, n});
    }
    for (const ConfigSetting &s : std::as_const(cfg.settings)) {
        if (s.value.isEmpty()) {
            continue;
        }
        bool ok = true;
        if (WHOLE_NUMBER_KEYS.contains(s.key)) {
            s.value.toLongLong(&ok);
            if (!ok) {
                report.error(s.line, Tr::tr("'%1' must be a whole number, found '%2'").arg(s.key, s.value));
            }
        } else if (NUMBER_KEYS.contains(s.key)) {
            s.value.toDouble(&ok);
            if (!ok) {
                report.error(s.line, Tr::tr("'%1' must be a number, found '%2'").arg(s.key, s.value));
            }
        }
    }
    return cfg;
}

void checkMode(const ConfigFile &cfg, const QString &expected, Reporter &report)
{
    const ConfigSetting *mode = cfg.find(u"mode"_s);
    if (!mode) {
        report.error(0, Tr::tr("mode=%1 is missing").arg(expected));
    } else if (mode->value != expected) {
        report.error(mode->line, Tr::tr("mode is '%1', but %2 must say mode=%3").arg(mode->value, cfg.file, expected));
    }
}

// The site in setting `key`, reporting a missing or malformed one.
std::optional<Site> siteSetting(const ConfigFile &cfg, const QString &key, Reporter &report)
{
    const ConfigSetting *s = cfg.find(key);
    if (!s) {
        report.error(0, Tr::tr("%1 is missing").arg(key));
        return std::nullopt;
    }
    auto site = parseSite(s->value, key);
    if (!site) {
        report.error(s->line, site.error().message);
        return std::nullopt;
    }
    return *site;
}

struct SiteEntry
{
    Site site;
    NodeMode mode;
};

// The entries of agent.cfg's `sites` ("host:port:alias:mode,..."); bad ones are reported
// when `report` is given, and skipped.
QList<SiteEntry> sitesEntries(const ConfigSetting &sites, Reporter *report)
{
    QList<SiteEntry> entries;
    for (const QString &raw : sites.value.split(u',')) {
        const QString entry = raw.trimmed();
        if (entry.isEmpty()) {
            continue;
        }
        if (entry.count(u':') != 3) {
            if (report) {
                report->error(sites.line, Tr::tr("sites entry '%1' must be host:port:alias:mode").arg(entry));
            }
            continue;
        }
        const qsizetype colon = entry.lastIndexOf(u':');
        const auto site = parseSite(QStringView(entry).left(colon), u"sites entry"_s);
        const QString modeText = entry.mid(colon + 1).trimmed();
        const auto mode = nodeModeFromName(modeText.toLower());
        if (!site) {
            if (report) {
                report->error(sites.line, site.error().message);
            }
        } else if (!mode) {
            if (report) {
                report->error(sites.line, Tr::tr("sites entry '%1' has unknown mode '%2'").arg(entry, modeText));
            }
        } else {
            entries.append({*site, *mode});
        }
    }
    return entries;
}

const ClusterNode *findNode(const QList<ClusterNode> &nodes, const QString &alias)
{
    const auto it = std::find_if(nodes.cbegin(), nodes.cend(), [&](const ClusterNode &n) { return n.alias == alias; });
    return it == nodes.cend() ? nullptr : &*it;
}

// Reports when `site` (the value of `key`) is not a node of mode `expected` in cluster.nodes.
void checkSiteInNodes(const Site &site, NodeMode expected, const QString &key, int line,
                      const NodesFile &nodes, Reporter &report)
{
    const ClusterNode *node = findNode(nodes.nodes, site.alias);
    if (!node) {
        report.error(line, Tr::tr("%1 %2 does not match any %3 in %4")
                               .arg(key, site.toString(), nodeModeName(expected), nodes.file));
    } else if (node->mode != expected) {
        report.error(line, Tr::tr("%1 %2 names '%3', which %4 lists as %5 (line %6), not as %7")
                               .arg(key, site.toString(), site.alias, nodes.file, nodeModeName(node->mode))
                               .arg(node->line)
                               .arg(nodeModeName(expected)));
    } else if (node->host != site.host || node->port != site.port) {
        report.error(line, Tr::tr("%1 %2 does not match %3, which lists %4 (line %5)")
                               .arg(key, site.toString(), nodes.file, node->site())
                               .arg(node->line));
    }
}

int wholeNumber(const ConfigFile &cfg, const QString &key, int fallback)
{
    const ConfigSetting *s = cfg.find(key);
    bool ok = false;
    const int v = s ? s->value.toInt(&ok) : 0;
    return ok ? v : fallback;
}

void checkController(const ConfigFile &ctl, const NodesFile &nodes, Reporter &report)
{
    if (const ConfigSetting *s = ctl.find(u"localSite"_s)) {
        if (const auto site = parseSite(s->value, u"localSite"_s)) {
            checkSiteInNodes(*site, NodeMode::Controller, u"localSite"_s, s->line, nodes, report);
        }
    }
    const auto controllers = std::count_if(nodes.nodes.cbegin(), nodes.nodes.cend(),
                                           [](const ClusterNode &n) { return n.mode == NodeMode::Controller; });
    const ConfigSetting *ha = ctl.find(u"dfsHAMode"_s);
    const bool raft = ha && ha->value.compare("Raft"_L1, Qt::CaseInsensitive) == 0;
    if (raft && controllers < 3) {
        report.error(ha->line, Tr::tr("dfsHAMode=Raft needs at least 3 controllers, but %1 lists %2")
                                   .arg(nodes.file)
                                   .arg(controllers));
    } else if (!raft && controllers > 1) {
        report.error(ha ? ha->line : 0, Tr::tr("%1 lists %2 controllers, which needs dfsHAMode=Raft")
                                            .arg(nodes.file)
                                            .arg(controllers));
    }
    const int factor = wholeNumber(ctl, u"dfsReplicationFactor"_s, 0);
    if (wholeNumber(ctl, u"dfsReplicaReliabilityLevel"_s, 0) == 1 && factor > 1) {
        QSet<QString> dataHosts;
        for (const ClusterNode &n : nodes.nodes) {
            if (n.mode == NodeMode::DataNode) {
                dataHosts.insert(n.host);
            }
        }
        if (factor > dataHosts.size()) {
            report.error(ctl.find(u"dfsReplicationFactor"_s)->line,
                         Tr::tr("dfsReplicationFactor=%1 with dfsReplicaReliabilityLevel=1 needs data nodes "
                                "on %1 hosts, but only %2 hosts have data nodes")
                             .arg(factor)
                             .arg(dataHosts.size()));
        }
    }
}

void checkAgent(const ConfigFile &agent, const NodesFile &nodes, Reporter &report)
{
    for (const QString &key : {u"localSite"_s, u"controllerSite"_s}) {
        if (const ConfigSetting *s = agent.find(key)) {
            if (const auto site = parseSite(s->value, key)) {
                const NodeMode expected = key == "localSite"_L1 ? NodeMode::Agent : NodeMode::Controller;
                checkSiteInNodes(*site, expected, key, s->line, nodes, report);
            }
        }
    }
    QStringList controllers;
    for (const ClusterNode &n : nodes.nodes) {
        if (n.mode == NodeMode::Controller) {
            controllers << n.alias;
        }
    }
    const ConfigSetting *sites = agent.find(u"sites"_s);
    if (!sites) {
        if (controllers.size() > 1) {
            report.warning(0, Tr::tr("sites is missing; with %1 controllers the agent needs all of them in sites "
                                     "to follow a change of leader").arg(controllers.size()));
        }
        return;
    }
    for (const SiteEntry &e : sitesEntries(*sites, nullptr)) {
        checkSiteInNodes(e.site, e.mode, u"sites entry"_s, sites->line, nodes, report);
        controllers.removeAll(e.site.alias);
    }
    for (const QString &alias : std::as_const(controllers)) {
        report.warning(sites->line, Tr::tr("sites does not list controller '%1'; the agent cannot follow "
                                           "a change of leader to it").arg(alias));
    }
}

bool appliesToClusterCfg(NodeMode mode)
{
    return mode == NodeMode::DataNode || mode == NodeMode::ComputeNode;
}

void checkClusterCfg(const ConfigFile &cluster, const NodesFile &nodes, Reporter &report)
{
    for (const ConfigSetting &s : cluster.settings) {
        if (s.aliasPattern.isEmpty()) {
            continue;
        }
        const bool matched = std::any_of(nodes.nodes.cbegin(), nodes.nodes.cend(), [&](const ClusterNode &n) {
            return appliesToClusterCfg(n.mode) && aliasMatches(s.aliasPattern, n.alias);
        });
        if (!matched) {
            report.warning(s.line, Tr::tr("'%1.%2' matches no data or compute node in %3")
                                       .arg(s.aliasPattern, s.key, nodes.file));
        }
    }
}

QMap<QString, QString> globalSettings(const ConfigFile &cfg)
{
    QMap<QString, QString> map;
    for (const ConfigSetting &s : cfg.settings) {
        if (s.aliasPattern.isEmpty()) {
            map.insert(s.key, s.value);
        }
    }
    return map;
}

void computeEffectiveConfig(ClusterNode &node, const ConfigFile &ctl, const std::optional<ConfigFile> &cluster,
                            const std::optional<ConfigFile> &agent)
{
    QMap<QString, QString> config;
    if (node.mode == NodeMode::Controller) {
        config = globalSettings(ctl);
    } else if (node.mode == NodeMode::Agent && agent) {
        config = globalSettings(*agent);
        // agent.cfg belongs to one host: give every agent its own site in `sites` too.
        const QString own = config.value(u"localSite"_s);
        if (config.contains(u"sites"_s) && !own.isEmpty()) {
            config[u"sites"_s].replace(own + u":agent"_s, node.site() + u":agent"_s);
        }
    } else if (appliesToClusterCfg(node.mode) && cluster) {
        for (const ConfigSetting &s : cluster->settings) {
            if (s.aliasPattern.isEmpty()) {
                config.insert(s.key, QString(s.value).replace(u"<ALIAS>"_s, node.alias));
            } else if (aliasMatches(s.aliasPattern, node.alias)) {
                config.insert(s.key, s.value);
            }
        }
    }
    config.insert(u"mode"_s, nodeModeName(node.mode));
    config.insert(u"localSite"_s, node.site());
    node.config = config;
}

} // namespace

QString Site::toString() const
{
    return host + u':' + QString::number(port) + u':' + alias;
}

Result<Site> parseSite(QStringView text, const QString &what)
{
    const QString value = text.trimmed().toString();
    const auto fail = [&](const QString &why) {
        return Error(ErrorCode::InvalidInput, Tr::tr("malformed %1 '%2': %3").arg(what, value, why));
    };
    const QStringList parts = value.split(u':');
    if (parts.size() != 3) {
        return fail(Tr::tr("expected host:port:alias"));
    }
    Site site;
    site.host = parts.at(0).trimmed();
    site.alias = parts.at(2).trimmed();
    const QString port = parts.at(1).trimmed();
    if (site.host.isEmpty()) {
        return fail(Tr::tr("the host is empty"));
    }
    if (!allCharsIn(site.host, u".-_")) {
        return fail(Tr::tr("'%1' is not an IP address or host name").arg(site.host));
    }
    bool ok = false;
    const qlonglong number = port.toLongLong(&ok);
    if (!ok || port.startsWith(u'+') || port.startsWith(u'-')) {
        return fail(Tr::tr("port '%1' is not a number").arg(port));
    }
    if (number < 1 || number > 65535) {
        return fail(Tr::tr("port %1 is out of range (1-65535)").arg(port));
    }
    site.port = quint16(number);
    if (site.alias.isEmpty()) {
        return fail(Tr::tr("the alias is empty"));
    }
    if (!allCharsIn(site.alias, u"_-")) {
        return fail(Tr::tr("alias '%1' may only contain letters, digits, '_' and '-'").arg(site.alias));
    }
    return site;
}

const ConfigSetting *ConfigFile::find(const QString &key) const
{
    for (auto it = settings.crbegin(); it != settings.crend(); ++it) {
        if (it->aliasPattern.isEmpty() && it->key == key) {
            return &*it;
        }
    }
    return nullptr;
}

ConfigFile parseControllerCfg(const QByteArray &content, const QString &file)
{
    ConfigFile cfg = parseKeyValues(content, file, false);
    Reporter report(file, cfg.problems);
    checkMode(cfg, u"controller"_s, report);
    siteSetting(cfg, u"localSite"_s, report);
    if (const ConfigSetting *ha = cfg.find(u"dfsHAMode"_s);
        ha && ha->value.compare("Raft"_L1, Qt::CaseInsensitive) != 0) {
        report.error(ha->line, Tr::tr("dfsHAMode '%1' is not known (the only value is Raft)").arg(ha->value));
    }
    sortByLine(cfg.problems);
    return cfg;
}

ConfigFile parseAgentCfg(const QByteArray &content, const QString &file)
{
    ConfigFile cfg = parseKeyValues(content, file, false);
    Reporter report(file, cfg.problems);
    checkMode(cfg, u"agent"_s, report);
    siteSetting(cfg, u"localSite"_s, report);
    siteSetting(cfg, u"controllerSite"_s, report);
    if (const ConfigSetting *sites = cfg.find(u"sites"_s)) {
        sitesEntries(*sites, &report);
    }
    sortByLine(cfg.problems);
    return cfg;
}

ConfigFile parseClusterCfg(const QByteArray &content, const QString &file)
{
    ConfigFile cfg = parseKeyValues(content, file, true);
    Reporter report(file, cfg.problems);
    for (const ConfigSetting &s : std::as_const(cfg.settings)) {
        if (!s.aliasPattern.isEmpty() && s.value.contains(u"<ALIAS>"_s)) {
            report.warning(s.line, Tr::tr("<ALIAS> is only expanded in settings without a node alias; "
                                          "write the alias instead"));
        }
    }
    sortByLine(cfg.problems);
    return cfg;
}

NodesFile parseClusterNodes(const QByteArray &content, const QString &file)
{
    NodesFile result;
    result.file = file;
    Reporter report(file, result.problems);
    const QStringList lines = splitLines(content);
    const auto header = std::find_if(lines.cbegin(), lines.cend(),
                                     [](const QString &l) { return !l.isEmpty() && !isComment(l); });
    if (header == lines.cend()) {
        report.error(1, Tr::tr("the file is empty; it must start with the header 'localSite,mode'"));
        return result;
    }
    if (lines.first().isEmpty()) {
        report.error(1, Tr::tr("the first line is blank; it must be the header 'localSite,mode' "
                               "(the server does not start otherwise)"));
    }
    qsizetype columns = 3;
    qsizetype firstNodeLine = header - lines.cbegin() + 1;
    const QStringList headerFields = header->toLower().remove(u' ').split(u',');
    if (headerFields == QStringList{u"localsite"_s, u"mode"_s}) {
        columns = 2;
    } else if (headerFields == QStringList{u"localsite"_s, u"mode"_s, u"computegroup"_s}) {
        columns = 3;
    } else {
        report.error(int(firstNodeLine), Tr::tr("expected the header 'localSite,mode' or "
                                                "'localSite,mode,computeGroup', found '%1'").arg(*header));
        --firstNodeLine;   // read the line as a node too, to report what it says
    }

    QHash<QString, int> aliasLine;
    QHash<QString, std::pair<QString, int>> endpoints;   // "host:port" -> alias, line
    for (qsizetype i = firstNodeLine; i < lines.size(); ++i) {
        const QString &text = lines.at(i);
        const int n = int(i + 1);
        if (text.isEmpty() || isComment(text)) {
            continue;
        }
        QStringList fields = text.split(u',');
        for (QString &f : fields) {
            f = f.trimmed();
        }
        if (fields.size() < 2) {
            report.error(n, Tr::tr("expected 'host:port:alias,mode', found '%1'").arg(text));
            continue;
        }
        if (fields.size() > columns) {
            report.error(n, Tr::tr("too many fields in '%1' (the header has %2 columns)").arg(text).arg(columns));
            continue;
        }
        const auto site = parseSite(fields.at(0), u"localSite"_s);
        const auto mode = nodeModeFromName(fields.at(1).toLower());
        if (!site) {
            report.error(n, site.error().message);
        }
        if (!mode) {
            report.error(n, Tr::tr("unknown mode '%1' (expected controller, agent, datanode or computenode)")
                                .arg(fields.at(1)));
        }
        const QString group = fields.value(2);
        if (mode && !group.isEmpty() && *mode != NodeMode::ComputeNode) {
            report.error(n, Tr::tr("only compute nodes have a computeGroup, but '%1' is a %2")
                                .arg(site ? site->alias : fields.at(0), nodeModeName(*mode)));
        }
        if (!site || !mode) {
            continue;
        }
        if (const auto it = aliasLine.constFind(site->alias); it != aliasLine.cend()) {
            report.error(n, Tr::tr("duplicate alias '%1' (first on line %2)").arg(site->alias).arg(*it));
            continue;
        }
        aliasLine.insert(site->alias, n);
        const QString endpoint = site->host + u':' + QString::number(site->port);
        if (const auto other = endpoints.constFind(endpoint); other != endpoints.cend()) {
            report.error(n, Tr::tr("%1 is already used by '%2' (line %3)").arg(endpoint, other->first).arg(other->second));
        } else {
            endpoints.insert(endpoint, {site->alias, n});
        }
        ClusterNode node;
        node.alias = site->alias;
        node.mode = *mode;
        node.host = site->host;
        node.port = site->port;
        node.computeGroup = *mode == NodeMode::ComputeNode ? group : QString();
        node.line = n;
        result.nodes.append(node);
    }

    if (std::none_of(result.nodes.cbegin(), result.nodes.cend(),
                     [](const ClusterNode &node) { return node.mode == NodeMode::Controller; })) {
        report.error(0, Tr::tr("no controller is listed"));
    }
    // Per host: one agent, and an agent wherever data or compute nodes run.
    QHash<QString, const ClusterNode *> agentOf;
    QHash<QString, const ClusterNode *> firstWorkerOf;
    QStringList hostOrder;
    for (const ClusterNode &node : std::as_const(result.nodes)) {
        if (!hostOrder.contains(node.host)) {
            hostOrder << node.host;
        }
        if (node.mode == NodeMode::Agent) {
            if (const ClusterNode *first = agentOf.value(node.host)) {
                report.error(node.line, Tr::tr("host %1 already has agent '%2' (line %3); a host runs one agent")
                                            .arg(node.host, first->alias)
                                            .arg(first->line));
            } else {
                agentOf.insert(node.host, &node);
            }
        } else if (appliesToClusterCfg(node.mode) && !firstWorkerOf.contains(node.host)) {
            firstWorkerOf.insert(node.host, &node);
        }
    }
    for (const QString &host : std::as_const(hostOrder)) {
        const ClusterNode *worker = firstWorkerOf.value(host);
        if (worker && !agentOf.contains(host)) {
            report.error(worker->line, Tr::tr("host %1 has data or compute nodes but no agent to start them").arg(host));
        }
    }
    sortByLine(result.problems);
    return result;
}

bool aliasMatches(const QString &pattern, const QString &alias)
{
    // Iterative wildcard match: linear-ish, no recursion, no regex.
    qsizetype p = 0;
    qsizetype a = 0;
    qsizetype star = -1;
    qsizetype starAlias = 0;
    while (a < alias.size()) {
        if (p < pattern.size() && (pattern.at(p) == u'?' || pattern.at(p) == alias.at(a))) {
            ++p;
            ++a;
        } else if (p < pattern.size() && pattern.at(p) == u'%') {
            star = p++;
            starAlias = a;
        } else if (star >= 0) {
            p = star + 1;
            a = ++starAlias;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern.at(p) == u'%') {
        ++p;
    }
    return p == pattern.size();
}

ClusterTopology buildTopology(const TopologySources &sources)
{
    ClusterTopology topology;
    const ConfigFile ctl = parseControllerCfg(sources.controllerCfg, sources.controllerCfgName);
    const NodesFile nodes = parseClusterNodes(sources.clusterNodes, sources.clusterNodesName);
    std::optional<ConfigFile> cluster;
    std::optional<ConfigFile> agent;
    if (sources.clusterCfg) {
        cluster = parseClusterCfg(*sources.clusterCfg, sources.clusterCfgName);
    }
    if (sources.agentCfg) {
        agent = parseAgentCfg(*sources.agentCfg, sources.agentCfgName);
    }

    QList<TopologyProblem> &problems = topology.problems;
    problems << ctl.problems << nodes.problems;
    Reporter ctlReport(ctl.file, problems);
    checkController(ctl, nodes, ctlReport);
    if (cluster) {
        problems << cluster->problems;
        Reporter report(cluster->file, problems);
        checkClusterCfg(*cluster, nodes, report);
    }
    if (agent) {
        problems << agent->problems;
        Reporter report(agent->file, problems);
        checkAgent(*agent, nodes, report);
    }
    const QStringList fileOrder = {sources.controllerCfgName, sources.clusterNodesName,
                                   sources.clusterCfgName, sources.agentCfgName};
    std::stable_sort(problems.begin(), problems.end(), [&](const TopologyProblem &a, const TopologyProblem &b) {
        const qsizetype fa = fileOrder.indexOf(a.file);
        const qsizetype fb = fileOrder.indexOf(b.file);
        return fa != fb ? fa < fb : a.line < b.line;
    });

    topology.nodes = nodes.nodes;
    for (ClusterNode &node : topology.nodes) {
        computeEffectiveConfig(node, ctl, cluster, agent);
        auto host = std::find_if(topology.hosts.begin(), topology.hosts.end(),
                                 [&](const ClusterHost &h) { return h.address == node.host; });
        if (host == topology.hosts.end()) {
            topology.hosts.append({node.host, {}});
            host = topology.hosts.end() - 1;
        }
        host->aliases << node.alias;
    }
    return topology;
}

namespace {

Result<QByteArray> readConfigFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error(ErrorCode::Io, Tr::tr("cannot read %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    }
    QByteArray data = file.read(MAX_CONFIG_FILE_BYTES + 1);
    if (file.error() != QFileDevice::NoError) {
        return Error(ErrorCode::Io, Tr::tr("cannot read %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    }
    if (data.size() > MAX_CONFIG_FILE_BYTES) {
        return Error(ErrorCode::InvalidInput, Tr::tr("%1 is larger than 1 MiB; that is not a configuration file")
                                                  .arg(QDir::toNativeSeparators(path)));
    }
    return data;
}

} // namespace

Result<ClusterTopology> loadTopology(const TopologyPaths &paths)
{
    TopologySources sources;
    const auto read = [](const QString &path, QByteArray &into, QString &name) -> Status {
        auto data = readConfigFile(path);
        if (!data) {
            return data.error();
        }
        into = std::move(data).value();
        name = QFileInfo(path).fileName();
        return {};
    };
    if (Status s = read(paths.controllerCfg, sources.controllerCfg, sources.controllerCfgName); !s) {
        return s.error();
    }
    if (Status s = read(paths.clusterNodes, sources.clusterNodes, sources.clusterNodesName); !s) {
        return s.error();
    }
    if (!paths.clusterCfg.isEmpty()) {
        sources.clusterCfg.emplace();
        if (Status s = read(paths.clusterCfg, *sources.clusterCfg, sources.clusterCfgName); !s) {
            return s.error();
        }
    }
    if (!paths.agentCfg.isEmpty()) {
        sources.agentCfg.emplace();
        if (Status s = read(paths.agentCfg, *sources.agentCfg, sources.agentCfgName); !s) {
            return s.error();
        }
    }
    return buildTopology(sources);
}

Result<TopologyPaths> findTopologyFiles(const QString &dir)
{
    const QDir base(dir);
    if (!base.exists()) {
        return Error(ErrorCode::NotFound, Tr::tr("the folder %1 does not exist").arg(QDir::toNativeSeparators(dir)));
    }
    for (const QString &sub : {u"."_s, u"config"_s, u"clusterDemo/config"_s}) {
        const QDir d(base.filePath(sub));
        const auto fileIn = [&](const QString &name) {
            const QString path = QDir::cleanPath(d.filePath(name));
            return QFileInfo(path).isFile() ? path : QString();
        };
        TopologyPaths paths{fileIn(u"controller.cfg"_s), fileIn(u"cluster.nodes"_s), fileIn(u"cluster.cfg"_s),
                            fileIn(u"agent.cfg"_s)};
        if (!paths.controllerCfg.isEmpty() && !paths.clusterNodes.isEmpty()) {
            return paths;
        }
    }
    return Error(ErrorCode::NotFound, Tr::tr("no controller.cfg and cluster.nodes in %1 "
                                             "(also looked in config/ and clusterDemo/config/)")
                                          .arg(QDir::toNativeSeparators(dir)));
}

Result<ClusterTopology> loadTopologyFromDirectory(const QString &dir)
{
    const auto paths = findTopologyFiles(dir);
    if (!paths) {
        return paths.error();
    }
    return loadTopology(*paths);
}

} // namespace GrayStep::Core
