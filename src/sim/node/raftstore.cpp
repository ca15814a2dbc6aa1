// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/raftstore.h"
#include "sim/node/durablefile.h"

#include <QFile>
#include <QJsonDocument>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

using Core::Error;
using Core::ErrorCode;

RaftStore::RaftStore(QString dir)
    : m_dir(std::move(dir))
{}

Core::Result<RaftStore::Loaded> RaftStore::load() const
{
    Loaded loaded;
    QFile hs(m_dir + "/raftHardState"_L1);
    if (hs.exists()) {
        if (!hs.open(QIODevice::ReadOnly))
            return Error(ErrorCode::Io, hs.errorString(), hs.fileName());
        const QJsonDocument doc = QJsonDocument::fromJson(hs.readAll());
        if (doc.isNull())
            return Error(ErrorCode::InvalidInput, u"corrupt raft hard state"_s, hs.fileName());
        loaded.term = doc.object().value(u"term"_s).toInteger();
        loaded.votedFor = doc.object().value(u"vote"_s).toString();
        loaded.leader = doc.object().value(u"leader"_s).toString();
    }
    QFile wal(m_dir + "/raftWAL.0"_L1);
    if (wal.exists() && wal.open(QIODevice::ReadOnly)) {
        while (!wal.atEnd()) {
            const QJsonDocument doc = QJsonDocument::fromJson(wal.readLine().trimmed());
            if (doc.isNull())
                continue;
            const QJsonObject o = doc.object();
            if (o.contains(u"snapIndex"_s)) {
                loaded.snapshotIndex = o.value(u"snapIndex"_s).toInteger();
                loaded.snapshotTerm = o.value(u"snapTerm"_s).toInteger();
                loaded.log.clear();
                continue;
            }
            RaftEntry e = RaftEntry::fromJson(o);
            // A later line with the same index replaces the tail (truncation after a conflict).
            while (!loaded.log.isEmpty() && loaded.log.last().index >= e.index)
                loaded.log.removeLast();
            loaded.log << e;
        }
    }
    return loaded;
}

Core::Status RaftStore::saveHardState(qint64 term, const QString &votedFor, const QString &leader)
{
    return DurableFile::replace(m_dir + "/raftHardState"_L1,
                                QJsonDocument(QJsonObject{{u"term"_s, term}, {u"vote"_s, votedFor}, {u"leader"_s, leader}})
                                    .toJson(QJsonDocument::Compact));
}

Core::Status RaftStore::rewriteLog(qint64 snapshotIndex, qint64 snapshotTerm, const QList<RaftEntry> &log)
{
    QByteArray bytes = QJsonDocument(QJsonObject{{u"snapIndex"_s, snapshotIndex}, {u"snapTerm"_s, snapshotTerm}})
                           .toJson(QJsonDocument::Compact)
                       + '\n';
    for (const RaftEntry &e : log)
        bytes += QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact) + '\n';
    return DurableFile::replace(m_dir + "/raftWAL.0"_L1, bytes);
}

Core::Status RaftStore::appendLog(const QList<RaftEntry> &entries)
{
    if (entries.isEmpty())
        return {};
    QByteArray bytes;
    for (const RaftEntry &e : entries)
        bytes += QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact) + '\n';
    return DurableFile::append(m_dir + "/raftWAL.0"_L1, bytes);
}

Core::Status RaftStore::sync(RaftCore &core)
{
    // What failed to reach the disk (full disk) is written at the next sync: the hard state again,
    // the log as a whole (the failed append was cut off, the entries are only in memory).
    m_hardStateDirty = core.takeMetaDirty() || m_hardStateDirty;
    if (m_hardStateDirty) {
        if (auto st = saveHardState(core.term(), core.votedFor(), core.leader()); !st)
            return st;
        m_hardStateDirty = false;
    }
    m_rewriteNeeded = core.takeLogRewrite() || m_rewriteNeeded;
    if (m_rewriteNeeded) {
        (void)core.takeAppended();
        if (auto st = rewriteLog(core.snapshotIndex(), core.snapshotTerm(), core.log()); !st)
            return st;
        m_rewriteNeeded = false;
        return {};
    }
    if (auto st = appendLog(core.takeAppended()); !st) {
        m_rewriteNeeded = true;
        return st;
    }
    return {};
}

} // namespace GrayStep::Sim
