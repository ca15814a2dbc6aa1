// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/node/raftstore.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

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
    QDir().mkpath(m_dir);
    QSaveFile hs(m_dir + "/raftHardState"_L1);
    if (!hs.open(QIODevice::WriteOnly))
        return Error(ErrorCode::Io, hs.errorString(), hs.fileName());
    hs.write(QJsonDocument(QJsonObject{{u"term"_s, term}, {u"vote"_s, votedFor}, {u"leader"_s, leader}})
                 .toJson(QJsonDocument::Compact));
    if (!hs.commit())
        return Error(ErrorCode::Io, hs.errorString(), hs.fileName());
    return {};
}

Core::Status RaftStore::rewriteLog(qint64 snapshotIndex, qint64 snapshotTerm, const QList<RaftEntry> &log)
{
    QDir().mkpath(m_dir);
    QSaveFile wal(m_dir + "/raftWAL.0"_L1);
    if (!wal.open(QIODevice::WriteOnly))
        return Error(ErrorCode::Io, wal.errorString(), wal.fileName());
    wal.write(QJsonDocument(QJsonObject{{u"snapIndex"_s, snapshotIndex}, {u"snapTerm"_s, snapshotTerm}})
                  .toJson(QJsonDocument::Compact)
              + '\n');
    for (const RaftEntry &e : log)
        wal.write(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact) + '\n');
    if (!wal.commit())
        return Error(ErrorCode::Io, wal.errorString(), wal.fileName());
    return {};
}

Core::Status RaftStore::appendLog(const QList<RaftEntry> &entries)
{
    if (entries.isEmpty())
        return {};
    QDir().mkpath(m_dir);
    QFile wal(m_dir + "/raftWAL.0"_L1);
    if (!wal.open(QIODevice::WriteOnly | QIODevice::Append))
        return Error(ErrorCode::Io, wal.errorString(), wal.fileName());
    for (const RaftEntry &e : entries)
        wal.write(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact) + '\n');
    return {};
}

Core::Status RaftStore::sync(RaftCore &core)
{
    if (core.takeMetaDirty()) {
        if (auto st = saveHardState(core.term(), core.votedFor(), core.leader()); !st)
            return st;
    }
    if (core.takeLogRewrite()) {
        (void)core.takeAppended();
        return rewriteLog(core.snapshotIndex(), core.snapshotTerm(), core.log());
    }
    return appendLog(core.takeAppended());
}

} // namespace GrayStep::Sim
