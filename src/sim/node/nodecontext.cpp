// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/nodecontext.h"

#include <QCoreApplication>
#include <QThread>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

QList<SiteInfo> NodeContext::sitesOf(NodeMode m) const
{
    QList<SiteInfo> out;
    for (const SiteInfo &s : cluster)
        if (s.mode == m)
            out << s;
    return out;
}

const SiteInfo *NodeContext::siteOf(const QString &alias) const
{
    if (alias == self.alias)
        return &self;
    for (const SiteInfo &s : cluster)
        if (s.alias == alias)
            return &s;
    return nullptr;
}

QString NodeContext::chunkMetaDir() const
{
    const QString configured = settings.value(u"chunkMetaDir"_s);
    if (!configured.isEmpty())
        return configured.startsWith(u'/') ? configured : workDir + u'/' + configured;
    return nodeHome(self.alias) + "/storage"_L1;
}

QString NodeContext::dfsMetaDir() const
{
    const QString configured = settings.value(u"dfsMetaDir"_s);
    if (!configured.isEmpty())
        return configured.startsWith(u'/') ? configured : workDir + u'/' + configured;
    return nodeHome(self.alias) + "/dfsMeta"_L1;
}

QString NodeContext::raftDir() const
{
    return nodeHome(self.alias) + "/raft"_L1;
}

const SiteInfo *NodeContext::agentFor(const QString &alias) const
{
    const SiteInfo *node = siteOf(alias);
    if (!node)
        return nullptr;
    for (const SiteInfo &s : cluster)
        if (s.mode == NodeMode::Agent && s.host == node->host)
            return &s;
    return nullptr;
}

void runOnMain(const std::function<void()> &fn)
{
    QCoreApplication *app = QCoreApplication::instance();
    if (!app || QThread::currentThread() == app->thread()) {
        fn();
        return;
    }
    QMetaObject::invokeMethod(app, fn, Qt::BlockingQueuedConnection);
}

} // namespace GrayStep::Sim
