// SPDX-License-Identifier: GPL-3.0-or-later
#include "ssh/remoteshell.h"

#include "ssh/logging.h"

#include <QDeadlineTimer>
#include <QRegularExpression>
#include <QThread>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Core::Error;
using GrayStep::Core::ErrorCode;
using GrayStep::Core::Result;
using GrayStep::Core::Status;

namespace GrayStep::Ssh {

Q_LOGGING_CATEGORY(lcSsh, "graystep.ssh")

QString ExecResult::statusText() const
{
    if (signalled()) {
        return u"killed by SIG%1%2"_s.arg(signalName, coreDumped ? u" (core dumped)"_s : QString());
    }
    return u"exit %1"_s.arg(exitCode);
}

QString DetachedStatus::stateName(State s)
{
    switch (s) {
    case State::Absent: return u"absent"_s;
    case State::Starting: return u"starting"_s;
    case State::Running: return u"running"_s;
    case State::Finished: return u"finished"_s;
    case State::Lost: return u"lost"_s;
    }
    return u"unknown"_s;
}

RemoteShell::~RemoteShell() = default;

void RemoteShell::cancel()
{
    m_cancelled.store(true);
    interruptBlockingCall();
}

void RemoteShell::clearCancel()
{
    m_cancelled.store(false);
}

Error RemoteShell::cancelledError(const QString &what) const
{
    return Error(ErrorCode::Cancelled, u"%1 cancelled"_s.arg(what), describe());
}

Result<QString> RemoteShell::sha256(const QString &remotePath)
{
    const Result<ExecResult> r = exec(u"sha256sum -- "_s + shellPath(remotePath));
    if (!r) {
        return r.error();
    }
    if (!r->succeeded()) {
        return Error(ErrorCode::Failed, u"sha256sum %1 failed (%2): %3"_s.arg(remotePath, r->statusText(),
                                                                            QString::fromUtf8(r->stderrData.trimmed())),
                     describe());
    }
    const QString hex = QString::fromLatin1(r->stdoutData.left(64)).toLower();
    static const QRegularExpression re(u"^[0-9a-f]{64}$"_s);
    if (!re.match(hex).hasMatch()) {
        return Error(ErrorCode::Protocol, u"unexpected sha256sum output for %1"_s.arg(remotePath), describe());
    }
    return hex;
}

// ---------------------------------------------------------------------------------------------
// Detached steps. Layout in STATE_DIR: ID.lock/ (mkdir = the atomic "launched" marker),
// ID.status (key=value lines, replaced atomically with mv), ID.out, ID.err.
// ---------------------------------------------------------------------------------------------

namespace {

// The runner, started with setsid/nohup: sh -c RUNNER graystep-step DIR ID COMMAND
const char RUNNER[] =
    "d=$1; id=$2; f=\"$d/$id.status\"; s=$(date +%s); "
    "w() { printf '%s\\n' \"step=$id\" \"pid=$$\" \"started=$s\" \"$@\" > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\"; }; "
    // A runner that cannot record its start (a full disk) runs nothing: its step reads as lost.
    "w state=running || exit 91; "
    "sh -c \"$3\" > \"$d/$id.out\" 2> \"$d/$id.err\" < /dev/null; rc=$?; "
    "w state=finished \"exit=$rc\" \"finished=$(date +%s)\"";

// Prints the step's status file plus alive=0/1 (a zombie counts as gone), or state=starting/absent.
const char OUTPUT_MARK[] = "@@graystep-step-output@@";

QString statusScript(const QString &dir, const QString &id, int holdMs = 0, bool withOutput = false)
{
    // With holdMs, the command first waits on the host (50 ms steps, up to holdMs) while the
    // step is still running and its runner alive, so a finish is seen within 50 ms and a long
    // step costs one command per holdMs instead of one per poll.
    const QString hold =
        holdMs <= 0 ? QString()
                    : u"n=0; while [ $n -lt %1 ] && [ -e \"$f\" ] && grep -qx state=running \"$f\" 2>/dev/null; do "
                      "p=$(sed -n 's/^pid=//p' \"$f\"); { [ -n \"$p\" ] && kill -0 \"$p\" 2>/dev/null; } || break; "
                      "sleep 0.05 2>/dev/null || sleep 1; n=$((n + 1)); done; "_s.arg(qMax(1, holdMs / 50));
    // Liveness is checked *before* the status file is printed: a runner that finishes in
    // between has written state=finished by then, so it never reads as lost.
    return u"d=%1; id=%2; f=\"$d/$id.status\"; "_s.arg(shellPath(dir), shellQuote(id)) + hold
           + u"if [ -e \"$f\" ]; then p=$(sed -n 's/^pid=//p' \"$f\"); a=0; "
             "if [ -n \"$p\" ] && kill -0 \"$p\" 2>/dev/null; then a=1; "
             "if [ -r /proc/$p/stat ] && [ \"$(sed 's/.*) //' /proc/$p/stat | cut -c1)\" = Z ]; then a=0; fi; "
             // A reused pid (after a reboot) is not our runner: it carries GRAYSTEP_STEP=ID.
             "if [ -r /proc/$p/environ ] && ! tr '\\0' '\\n' < /proc/$p/environ | grep -qx \"GRAYSTEP_STEP=$id\"; "
             "then a=0; fi; fi; "
             "cat \"$f\"; echo alive=$a; "_s
           // A finished step's stdout comes along, after a mark the status lines never hold.
           + (withOutput ? u"if grep -qx state=finished \"$f\"; then echo %1; tail -c 1048576 -- \"$d/$id.out\" 2>/dev/null; fi; "_s.arg(
                               QString::fromLatin1(OUTPUT_MARK))
                         : QString())
           // Launched but no status file: starting while its runner (the one process carrying
           // GRAYSTEP_STEP=ID before it writes the status) lives; lost once it is gone.
           + u"elif [ -d \"$d/$id.lock\" ]; then echo state=starting; "
             "if [ -d /proc/self ] && printf 'x\\0' | grep -qzx x 2>/dev/null; then "
             "if grep -lzx \"GRAYSTEP_STEP=$id\" /proc/[0-9]*/environ >/dev/null 2>&1; then echo alive=1; "
             "else echo alive=0; fi; fi; "
             "else echo state=absent; fi"_s;
}

DetachedStatus parseStatus(const QString &id, const QByteArray &text)
{
    DetachedStatus st;
    st.stepId = id;
    QString state;
    bool alive = false;
    bool sawAlive = false;
    const QByteArray mark = QByteArray(OUTPUT_MARK) + '\n';
    const qsizetype at = text.indexOf(mark);
    const QList<QByteArray> lines = (at < 0 ? text : text.left(at)).split('\n');
    if (at >= 0) {
        st.hasOutput = true;
        st.output = text.mid(at + mark.size());
    }
    for (const QByteArray &raw : lines) {
        const QByteArray line = raw.trimmed();
        const qsizetype eq = line.indexOf('=');
        if (eq <= 0) {
            continue;
        }
        const QByteArray key = line.left(eq);
        const QByteArray value = line.mid(eq + 1);
        if (key == "state") {
            state = QString::fromUtf8(value);
        } else if (key == "pid") {
            st.pid = value.toLongLong();
        } else if (key == "exit") {
            st.exitCode = value.toInt();
        } else if (key == "started") {
            st.startedEpoch = value.toLongLong();
        } else if (key == "finished") {
            st.finishedEpoch = value.toLongLong();
        } else if (key == "alive") {
            alive = value == "1";
            sawAlive = true;
        }
    }
    if (state == u"finished") {
        st.state = DetachedStatus::State::Finished;
    } else if (state == u"running") {
        st.state = alive ? DetachedStatus::State::Running : DetachedStatus::State::Lost;
    } else if (state == u"starting") {
        // alive=0: launched, never wrote its status, and its runner is gone.
        st.state = sawAlive && !alive ? DetachedStatus::State::Lost : DetachedStatus::State::Starting;
    } else {
        st.state = DetachedStatus::State::Absent;
    }
    return st;
}

} // namespace

Result<DetachedStatus> RemoteShell::startDetached(const DetachedStep &step)
{
    if (!isValidStepId(step.id)) {
        return Error(ErrorCode::InvalidInput, u"invalid step id '%1' (letters, digits, . _ - only)"_s.arg(step.id));
    }
    if (step.stateDir.isEmpty() || step.command.isEmpty()) {
        return Error(ErrorCode::InvalidInput, u"detached step %1 needs a command and a state directory"_s.arg(step.id));
    }
    const QString launcher =
        u"d=%1; id=%2; mkdir -p \"$d\" || exit 90; "
        "if mkdir \"$d/$id.lock\" 2>/dev/null; then "
        "GRAYSTEP_STEP=\"$id\" setsid nohup sh -c %3 graystep-step \"$d\" \"$id\" %4 > /dev/null 2>&1 < /dev/null & "
        "echo launched=1; r=$!; i=0; while [ ! -e \"$d/$id.status\" ] && [ $i -lt 200 ] && kill -0 $r 2>/dev/null "
        "&& [ \"$(sed 's/.*) //' /proc/$r/stat 2>/dev/null | cut -c1)\" != Z ]; do sleep 0.05; i=$((i+1)); done; "
        "else echo launched=0; fi; "_s
            .arg(shellPath(step.stateDir), shellQuote(step.id), shellQuote(QString::fromLatin1(RUNNER)),
                 shellQuote(step.command))
        + statusScript(step.stateDir, step.id, step.holdMs, true);
    ExecOptions opts;
    opts.totalTimeoutMs = 30000 + qMax(0, step.holdMs);
    const Result<ExecResult> r = exec(launcher, opts);
    if (!r) {
        return r.error();
    }
    if (!r->succeeded()) {
        return Error(ErrorCode::Failed, u"cannot start detached step %1 in %2 (%3): %4"_s
                                            .arg(step.id, step.stateDir, r->statusText(),
                                                 QString::fromUtf8(r->stderrData.trimmed())),
                     describe());
    }
    DetachedStatus st = parseStatus(step.id, r->stdoutData);
    st.launchedNow = r->stdoutData.contains("launched=1");
    qCInfo(lcSsh) << describe() << "detached step" << step.id << (st.launchedNow ? "launched" : "adopted")
                  << "pid" << st.pid << DetachedStatus::stateName(st.state);
    return st;
}

Result<DetachedStatus> RemoteShell::detachedStatus(const QString &stepId, const QString &stateDir)
{
    return readDetachedStatus(stepId, stateDir, 0);
}

Result<DetachedStatus> RemoteShell::readDetachedStatus(const QString &stepId, const QString &stateDir, int holdMs)
{
    if (!isValidStepId(stepId)) {
        return Error(ErrorCode::InvalidInput, u"invalid step id '%1'"_s.arg(stepId));
    }
    ExecOptions opts;
    opts.totalTimeoutMs = 30000 + holdMs;
    // A wait (holdMs > 0) brings the finished step's output along.
    const Result<ExecResult> r = exec(statusScript(stateDir, stepId, holdMs, holdMs > 0), opts);
    if (!r) {
        return r.error();
    }
    if (!r->succeeded()) {
        return Error(ErrorCode::Failed, u"cannot read the status of step %1 (%2)"_s.arg(stepId, r->statusText()),
                     describe());
    }
    return parseStatus(stepId, r->stdoutData);
}

Result<DetachedStatus> RemoteShell::waitDetached(const QString &stepId, const QString &stateDir,
                                                 const WaitOptions &options)
{
    QDeadlineTimer deadline = options.totalTimeoutMs > 0 ? QDeadlineTimer(options.totalTimeoutMs)
                                                         : QDeadlineTimer(QDeadlineTimer::Forever);
    for (;;) {
        if (isCancelled()) {
            return cancelledError(u"waiting for step %1"_s.arg(stepId));
        }
        // The host waits for the finish itself (up to pollIntervalMs, bounded by the deadline).
        const int hold = int(qMin<qint64>(qMax(0, options.pollIntervalMs),
                                          deadline.isForever() ? options.pollIntervalMs : qMax<qint64>(0, deadline.remainingTime())));
        const Result<DetachedStatus> st = readDetachedStatus(stepId, stateDir, hold);
        if (!st) {
            return st;
        }
        if (st->state == DetachedStatus::State::Finished || st->state == DetachedStatus::State::Lost
            || st->state == DetachedStatus::State::Absent) {
            return st;
        }
        if (deadline.hasExpired()) {
            return Error(ErrorCode::Timeout, u"step %1 still %2 after %3 ms"_s.arg(stepId, DetachedStatus::stateName(st->state))
                                                 .arg(options.totalTimeoutMs),
                         describe());
        }
        if (st->state == DetachedStatus::State::Starting) {
            // Launched, its status file not written yet: a moment.
            QThread::msleep(20);
        }
    }
}

Result<QByteArray> RemoteShell::detachedOutput(const QString &stepId, const QString &stateDir, bool stderrStream,
                                               qint64 maxBytes)
{
    if (!isValidStepId(stepId)) {
        return Error(ErrorCode::InvalidInput, u"invalid step id '%1'"_s.arg(stepId));
    }
    ExecOptions opts;
    opts.totalTimeoutMs = 30000;
    opts.captureBytes = maxBytes;
    const QString file = stepId + (stderrStream ? u".err"_s : u".out"_s);
    const Result<ExecResult> r =
        exec(u"tail -c %1 -- %2/%3"_s.arg(maxBytes).arg(shellPath(stateDir), shellQuote(file)), opts);
    if (!r) {
        return r.error();
    }
    if (!r->succeeded()) {
        return Error(ErrorCode::NotFound, u"no output file for step %1"_s.arg(stepId), describe());
    }
    return r->stdoutData;
}

// ---------------------------------------------------------------------------------------------

QString shellQuote(const QString &text)
{
    QString out = u"'"_s;
    for (QChar c : text) {
        if (c == u'\'') {
            out += u"'\\''"_s;
        } else {
            out += c;
        }
    }
    out += u'\'';
    return out;
}

QString shellPath(const QString &path)
{
    if (path == u"~"_s) {
        return u"\"$HOME\""_s;
    }
    if (path.startsWith(u"~/"_s)) {
        return u"\"$HOME\"/"_s + shellQuote(path.mid(2));
    }
    return shellQuote(path);
}

QString userNameProblem(const QString &user)
{
    if (user.isEmpty()) {
        return u"the SSH user name is empty"_s;
    }
    if (user.size() > 64) {
        return u"the SSH user name is longer than 64 characters"_s;
    }
    if (user.startsWith(u'-')) {
        return u"the SSH user name must not start with '-'"_s;
    }
    for (qsizetype i = 0; i < user.size(); ++i) {
        const QChar c = user.at(i);
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
                        || c == u'.' || c == u'_' || c == u'-' || c == u'@' || (c == u'$' && i == user.size() - 1);
        if (!ok) {
            return u"the SSH user name contains '%1', which is not allowed (use letters, digits, '.', '_', '-', '@')"_s
                .arg(c);
        }
    }
    return {};
}

bool isValidStepId(const QString &id)
{
    static const QRegularExpression re(u"^[A-Za-z0-9._-]{1,128}$"_s);
    return re.match(id).hasMatch() && id != u"."_s && id != u".."_s;
}

} // namespace GrayStep::Ssh
