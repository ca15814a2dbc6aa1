// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/heartbeat.h"

#include "sim/node/nodelog.h"
#include "sim/node/peerlink.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

HeartbeatSender::HeartbeatSender(const NodeContext &ctx, Payload payload, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_payload(std::move(payload))
{
    m_controllers = ctx.sitesOf(NodeMode::Controller);
    // An agent started without cluster.nodes knows its controller from agent.cfg.
    const QString controllerSite = ctx.settings.value(u"controllerSite"_s);
    if (m_controllers.isEmpty() && !controllerSite.isEmpty()) {
        auto site = parseSite(controllerSite, NodeMode::Controller);
        if (site)
            m_controllers << *site;
    }
    connect(&m_timer, &QTimer::timeout, this, &HeartbeatSender::beat);
}

void HeartbeatSender::start()
{
    m_timer.start(int(m_ctx.knobs.heartbeatIntervalMs));
    beat();
}

QString HeartbeatSender::leaderAlias() const
{
    QMutexLocker lock(&m_mutex);
    return m_leader.alias;
}

SiteInfo HeartbeatSender::leaderSite() const
{
    QMutexLocker lock(&m_mutex);
    return m_leader;
}

QJsonObject HeartbeatSender::faults() const
{
    QMutexLocker lock(&m_mutex);
    return m_faults;
}

void HeartbeatSender::beat()
{
    if (m_inFlight || m_controllers.isEmpty())
        return;
    SiteInfo target = leaderSite();
    if (target.host.isEmpty()) {
        target = m_controllers.at(m_next % m_controllers.size());
        m_next++;
    }
    QJsonObject msg = m_payload();
    msg.insert(u"op"_s, u"heartbeat"_s);
    msg.insert(u"alias"_s, m_ctx.self.alias);
    msg.insert(u"mode"_s, nodeModeName(m_ctx.mode()));
    m_inFlight = true;
    const int timeout = int(qMax<qint64>(200, m_ctx.knobs.heartbeatIntervalMs * 2));
    QPointer<HeartbeatSender> self(this);
    m_ctx.background->start([self, target, msg, timeout] {
        const auto reply = PeerLink::call(target.host, target.port, msg, timeout);
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, target, reply] {
                if (!self)
                    return;
                self->m_inFlight = false;
                QMutexLocker lock(&self->m_mutex);
                if (!reply || PeerLink::isError(*reply)) {
                    self->m_leader = SiteInfo();
                    return;
                }
                const QJsonObject site = reply->value(u"leaderSite"_s).toObject();
                SiteInfo leader;
                leader.alias = site.value(u"alias"_s).toString();
                leader.host = site.value(u"host"_s).toString();
                leader.port = site.value(u"port"_s).toInt();
                leader.mode = NodeMode::Controller;
                const bool changed = leader.alias != self->m_leader.alias;
                self->m_leader = leader;
                if (!reply->value(u"notLeader"_s).toBool())
                    self->m_faults = reply->value(u"faults"_s).toObject();
                lock.unlock();
                if (changed && !leader.alias.isEmpty())
                    NodeLog::instance().info(u"The leader controller is %1"_s.arg(leader.site()));
                if (reply->value(u"notLeader"_s).toBool() && !leader.host.isEmpty())
                    QMetaObject::invokeMethod(self, &HeartbeatSender::beat, Qt::QueuedConnection);
            },
            Qt::QueuedConnection);
    });
}

} // namespace GrayStep::Sim
