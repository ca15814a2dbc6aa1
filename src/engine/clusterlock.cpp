// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/clusterlock.h"

#include "engine/clusteraccess.h"
#include "engine/hostcommands.h"
#include "engine/journal.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QLockFile>
#include <QSysInfo>

using namespace Qt::Literals::StringLiterals;
using namespace GrayStep::Core;

namespace GrayStep::Engine {

namespace {

const QString LOCK_MARK = u"GRAYSTEP-LOCK "_s;

QString oneLine(QString s)
{
    s.replace(u'\n', u' ');
    s.replace(u'\r', u' ');
    return s;
}

// Creates the lock file from a complete temporary file with ln (atomic, fails when the lock
// exists), so a reader never sees a half-written lock and a full disk never leaves an empty one.
QString acquireScript(const QString &path, const QString &text)
{
    const QString dir = QFileInfo(path).path();
    return u"f=%1; mkdir -p %2 2>/dev/null; t=\"$f.$$\"; "
           "if ! printf '%s' %3 > \"$t\" 2>/dev/null; then rm -f \"$t\"; echo '%4unwritable'; "
           "df -Pk %2 2>/dev/null | awk 'NR==2 {print $4}'; exit 0; fi; "
           "if ln \"$t\" \"$f\" 2>/dev/null; then rm -f \"$t\"; echo '%4taken'; "
           "else rm -f \"$t\"; echo '%4held'; cat \"$f\" 2>/dev/null; fi"_s.arg(shellQuote(path), shellQuote(dir),
                                                                                 shellQuote(text), LOCK_MARK);
}

// Replaces the lock only while it still holds OLD (a compare-and-swap as close as sh allows).
QString replaceScript(const QString &path, const QString &oldText, const QString &text)
{
    return u"f=%1; t=\"$f.$$\"; "
           "if [ \"$(cat \"$f\" 2>/dev/null)\" != \"$(printf '%s' %2)\" ]; then echo '%4changed'; cat \"$f\" 2>/dev/null; "
           "elif printf '%s' %3 > \"$t\" 2>/dev/null && mv -f \"$t\" \"$f\"; then echo '%4taken'; "
           "else rm -f \"$t\"; echo '%4unwritable'; fi"_s.arg(shellQuote(path), shellQuote(oldText), shellQuote(text),
                                                               LOCK_MARK);
}

struct LockAnswer
{
    QString verdict;   // taken, held, changed, unwritable
    QString holderText;
};

Result<LockAnswer> runLockScript(Ssh::RemoteShell &shell, const QString &address, const QString &script)
{
    Ssh::ExecOptions o;
    o.totalTimeoutMs = 30000;
    Result<Ssh::ExecResult> r = shell.exec(script, o);
    if (!r) {
        return Error(r.error().code, u"host %1: cannot take the cluster lock: %2"_s.arg(address, r.error().message));
    }
    const QString out = QString::fromUtf8(r->stdoutData);
    const qsizetype at = out.indexOf(LOCK_MARK);
    if (!r->succeeded() || at < 0) {
        return Error(ErrorCode::Failed, u"host %1: cannot take the cluster lock (%2): %3"_s.arg(
                                            address, r->statusText(), QString::fromUtf8(r->stderrData.trimmed())));
    }
    const qsizetype nl = out.indexOf(u'\n', at);
    LockAnswer a;
    a.verdict = out.mid(at + LOCK_MARK.size(), nl < 0 ? -1 : nl - at - LOCK_MARK.size()).trimmed();
    a.holderText = nl < 0 ? QString() : out.mid(nl + 1);
    return a;
}

} // namespace

QString ClusterLockHolder::describe() const
{
    const QString since = sinceEpochS > 0
                              ? QDateTime::fromSecsSinceEpoch(sinceEpochS, Qt::UTC).toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s)
                              : u"an unknown time"_s;
    if (runId.isEmpty()) {
        return u"an unreadable lock (since %1)"_s.arg(since);
    }
    return u"run %1 (%2) of %3 on %4, pid %5, since %6, journal %7"_s.arg(runId, command.isEmpty() ? u"run"_s : command,
                                                                          user.isEmpty() ? u"?"_s : user,
                                                                          machine.isEmpty() ? u"?"_s : machine)
        .arg(pid)
        .arg(since, journal.isEmpty() ? u"?"_s : journal);
}

QJsonObject ClusterLockHolder::toJson() const
{
    return QJsonObject{{u"runId"_s, runId},     {u"user"_s, user},       {u"machine"_s, machine},
                       {u"pid"_s, pid},         {u"since"_s, sinceEpochS}, {u"journal"_s, journal},
                       {u"command"_s, command}};
}

QString ClusterLockHolder::toText() const
{
    return u"runId=%1\nuser=%2\nmachine=%3\npid=%4\nsince=%5\njournal=%6\ncommand=%7\n"_s.arg(oneLine(runId), oneLine(user),
                                                                                            oneLine(machine))
        .arg(pid)
        .arg(sinceEpochS)
        .arg(oneLine(journal), oneLine(command));
}

ClusterLockHolder ClusterLockHolder::fromText(const QString &text)
{
    ClusterLockHolder h;
    for (const QString &line : text.split(u'\n', Qt::SkipEmptyParts)) {
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0) {
            continue;
        }
        const QString key = line.left(eq);
        const QString value = line.mid(eq + 1).trimmed();
        if (key == u"runId"_s) {
            h.runId = value;
        } else if (key == u"user"_s) {
            h.user = value;
        } else if (key == u"machine"_s) {
            h.machine = value;
        } else if (key == u"pid"_s) {
            h.pid = value.toLongLong();
        } else if (key == u"since"_s) {
            h.sinceEpochS = value.toLongLong();
        } else if (key == u"journal"_s) {
            h.journal = value;
        } else if (key == u"command"_s) {
            h.command = value;
        }
    }
    return h;
}

ClusterLockHolder ClusterLockHolder::thisProcess(const QString &runId, const QString &journal, const QString &command)
{
    ClusterLockHolder h;
    h.runId = runId;
    h.user = qEnvironmentVariable("USER", qEnvironmentVariable("USERNAME"));
    h.machine = QSysInfo::machineHostName();
    h.pid = QCoreApplication::applicationPid();
    h.sinceEpochS = QDateTime::currentSecsSinceEpoch();
    h.journal = journal;
    h.command = command;
    return h;
}

QString clusterLockPath(const HostAccess &host)
{
    return hostStateDir(host) + u"/cluster.lock"_s;
}

bool journalShowsRunOver(const QString &path, const QString &runId, bool openHere)
{
    if (path.isEmpty() || !QFileInfo::exists(path)) {
        return false;
    }
    // A journal that a live process holds is in use, whatever it says.
    if (!openHere) {
        QLockFile inUse(path + u".lock"_s);
        inUse.setStaleLockTime(0);
        if (!inUse.tryLock(0)) {
            return false;
        }
        inUse.unlock();
    }
    Result<JournalContents> c = Journal::read(path);
    if (!c) {
        return false;
    }
    bool ours = false;
    bool finished = false;
    for (const JournalRecord &r : c->records) {
        if (r.kind == u"run"_s) {
            ours = ours || r.data.value(u"runId"_s).toString() == runId;
        } else if (r.kind == u"finished"_s) {
            finished = r.data.value(u"ok"_s).toBool();
        } else if (r.kind == u"resume"_s || r.kind == u"intent"_s) {
            finished = false;
        }
    }
    // Finished; or the run never wrote its run record (it stopped between lock and record).
    return !ours || finished;
}

Result<ClusterLockTaken> acquireClusterLock(const QList<ClusterLockHost> &hosts, const ClusterLockHolder &me,
                                            const ClusterLockPolicy &policy)
{
    ClusterLockTaken taken;
    QList<ClusterLockHost> done;
    const QString text = me.toText();
    const auto refuse = [&](const Error &e) -> Result<ClusterLockTaken> {
        // Same order everywhere: whoever got the first host wins; give back what this call took.
        (void)releaseClusterLock(done, me.runId);
        return e;
    };
    for (const ClusterLockHost &h : hosts) {
        const QString path = clusterLockPath(h.access);
        Result<LockAnswer> a = runLockScript(*h.shell, h.address, acquireScript(path, text));
        if (!a) {
            return refuse(a.error());
        }
        if (a->verdict == u"held"_s) {
            const ClusterLockHolder holder = ClusterLockHolder::fromText(a->holderText);
            const bool same = !holder.runId.isEmpty() && holder.runId == me.runId;
            const bool stale = !same && policy.breakFinishedRuns && holder.machine == me.machine
                               && journalShowsRunOver(holder.journal, holder.runId,
                                                                  !policy.ownJournal.isEmpty()
                                                                      && QFileInfo(holder.journal) == QFileInfo(policy.ownJournal));
            if (!same && !stale && !policy.breakForeign) {
                return refuse(Error(ErrorCode::Busy,
                                    u"the cluster is locked by %1 (lock file %2 on host %3). Another operator's run "
                                    "is in progress or did not finish: resume or roll back that run with its journal; "
                                    "if it is known to be over, break the lock with --break-lock"_s.arg(
                                        holder.describe(), path, h.address)));
            }
            a = runLockScript(*h.shell, h.address, replaceScript(path, a->holderText, text));
            if (!a) {
                return refuse(a.error());
            }
            if (a->verdict == u"changed"_s) {
                return refuse(Error(ErrorCode::Busy, u"host %1: the cluster lock changed while it was being taken (now "
                                                     "%2); try again"_s.arg(h.address, ClusterLockHolder::fromText(a->holderText).describe())));
            }
            if (a->verdict == u"taken"_s) {
                if (same) {
                    taken.takenOver << h.address;
                } else {
                    taken.broken.append({h.address, holder});
                }
            }
        }
        if (a->verdict == u"unwritable"_s) {
            bool ok = false;
            const qint64 kib = a->holderText.trimmed().toLongLong(&ok);
            return refuse(Error(ErrorCode::Failed,
                                u"host %1: cannot write the cluster lock %2: its file system is full (%3 KiB free) or "
                                "read-only; nothing was changed"_s.arg(h.address, path, ok ? QString::number(kib) : u"?"_s)));
        }
        if (a->verdict != u"taken"_s) {
            return refuse(Error(ErrorCode::Failed, u"host %1: unexpected answer taking the cluster lock: %2"_s.arg(
                                                       h.address, a->verdict)));
        }
        done << h;
    }
    return taken;
}

QStringList releaseClusterLock(const QList<ClusterLockHost> &hosts, const QString &runId)
{
    QStringList problems;
    for (const ClusterLockHost &h : hosts) {
        const QString script = u"f=%1; if [ -f \"$f\" ] && grep -qx %2 \"$f\"; then rm -f \"$f\" || exit 3; fi; echo %3"_s.arg(
            shellQuote(clusterLockPath(h.access)), shellQuote(u"runId="_s + runId), HostCommands::okMarker(u"unlocked"_s));
        Ssh::ExecOptions o;
        o.totalTimeoutMs = 15000;
        Result<Ssh::ExecResult> r = h.shell->exec(script, o);
        if (!r || !r->succeeded()) {
            problems << u"%1: %2"_s.arg(h.address, r ? r->statusText() : r.error().message);
        }
    }
    return problems;
}

Result<std::optional<ClusterLockHolder>> readClusterLock(Ssh::RemoteShell &shell, const HostAccess &host)
{
    const QString script = u"f=%1; if [ -f \"$f\" ]; then echo '%2held'; cat \"$f\"; else echo '%2none'; fi"_s.arg(
        shellQuote(clusterLockPath(host)), LOCK_MARK);
    Result<LockAnswer> a = runLockScript(shell, host.address, script);
    if (!a) {
        return a.error();
    }
    if (a->verdict == u"none"_s) {
        return std::optional<ClusterLockHolder>();
    }
    return std::optional<ClusterLockHolder>(ClusterLockHolder::fromText(a->holderText));
}

} // namespace GrayStep::Engine
