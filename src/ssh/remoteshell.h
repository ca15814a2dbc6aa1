// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace GrayStep::Ssh {

// ---------------------------------------------------------------------------------------------
// Value types shared by every RemoteShell.
// ---------------------------------------------------------------------------------------------

// Options for one command. Callbacks run on the thread that called exec(), synchronously,
// one line at a time (without the trailing newline; a final line without a newline is passed
// too; a line longer than maxLineBytes arrives in pieces). A callback must not call back into
// the same shell.
struct ExecOptions
{
    std::function<void(const QString &line)> onStdoutLine;
    std::function<void(const QString &line)> onStderrLine;
    // Fail with ErrorCode::Timeout when the command prints nothing for this long / runs longer
    // than this (0 = no limit). The command is then killed (its whole process group).
    int idleTimeoutMs = 0;
    int totalTimeoutMs = 0;
    // Kill the command and fail when stdout+stderr exceed this many bytes (0 = no limit).
    qint64 maxOutputBytes = 256ll * 1024 * 1024;
    // How much of each stream ExecResult keeps (the first bytes; see *Truncated).
    qint64 captureBytes = 4ll * 1024 * 1024;
    int maxLineBytes = 64 * 1024;
    // Bytes written to the command's stdin, then EOF. The way to hand a secret to a remote
    // command (e.g. `sudo -S`): never on the command line. Never logged.
    QByteArray stdinData;
};

struct ExecResult
{
    int exitCode = -1;          // valid when !signalled()
    QString signalName;         // "KILL", "TERM", ... when a signal ended the command
    bool coreDumped = false;
    QByteArray stdoutData;      // the first ExecOptions::captureBytes of each stream
    QByteArray stderrData;
    bool stdoutTruncated = false;
    bool stderrTruncated = false;
    qint64 durationMs = 0;

    bool signalled() const { return !signalName.isEmpty(); }
    bool succeeded() const { return !signalled() && exitCode == 0; }
    // "exit 0", "exit 3", "killed by SIGKILL".
    QString statusText() const;
};

struct TransferProgress
{
    qint64 bytesDone = 0;       // of the whole file, including a resumed prefix
    qint64 bytesTotal = 0;
    qint64 resumedFrom = 0;     // bytes already on the remote side when this attempt began
    double bytesPerSecond = 0;  // this attempt's rate
    qint64 etaMs = -1;          // -1 when unknown
};

struct UploadOptions
{
    // Throttled: at most every 100 ms or 1 MiB, plus once at the end. Runs on the calling thread.
    std::function<void(const TransferProgress &)> onProgress;
    bool resume = true;                 // continue REMOTE.part from its size
    bool checkFreeSpace = true;         // refuse up front when the remote disk is too small
    qint64 freeSpaceMarginBytes = 16ll * 1024 * 1024;
    bool removePartialOnDiskFull = true;
    // Deadlines: no progress for idleTimeoutMs / the whole upload (0 = none).
    int idleTimeoutMs = 30000;
    int totalTimeoutMs = 0;
    // SHA-256 (hex) the local file must have; empty = computed here. Checked on the remote side.
    QString expectedSha256;
};

struct UploadResult
{
    qint64 bytes = 0;           // file size
    qint64 resumedFrom = 0;     // remote .part size this attempt started from
    qint64 bytesSent = 0;       // bytes written in this attempt
    int writes = 0;             // write requests in this attempt
    QString sha256;             // verified on the remote side
    qint64 durationMs = 0;
};

struct FreeSpace
{
    qint64 availableBytes = 0;  // for an unprivileged user (f_bavail)
    qint64 totalBytes = 0;
};

// A step that must survive a dropped connection: run with setsid/nohup on the target, its
// state in STATE_DIR/ID.status (step id, pid, exit code), its output in STATE_DIR/ID.out/.err.
// Starting the same id twice never runs it twice: a second start adopts the first.
struct DetachedStep
{
    QString id;          // [A-Za-z0-9._-], at most 128 characters
    QString command;     // run by `sh -c`
    QString stateDir;    // on the target; "~/..." is relative to the user's home
    // startDetached() waits on the host up to this long for the step to finish before it
    // answers (0: answers at once). A short step then costs one command in all.
    int holdMs = 0;
};

struct DetachedStatus
{
    enum class State {
        Absent,     // never started (no lock, no status file)
        Starting,   // launched, status file not written yet
        Running,    // runner alive
        Finished,   // exit code known
        Lost,       // the runner is gone without a result (killed, host rebooted, or it could not
                    // record its start, e.g. on a full disk, and ran nothing)
    };
    State state = State::Absent;
    QString stepId;
    qint64 pid = -1;
    int exitCode = -1;          // when Finished (128+N when a signal N ended the command)
    qint64 startedEpoch = 0;
    qint64 finishedEpoch = 0;
    bool launchedNow = false;   // startDetached(): true if this call launched it, false if adopted
    // When Finished and read by startDetached()/waitDetached(): the tail (1 MiB) of the step's
    // stdout, read in the same command (detachedOutput() reads it again if needed).
    bool hasOutput = false;
    QByteArray output;

    static QString stateName(State s);
};

struct WaitOptions
{
    // Each status read waits on the host up to this long for the step to finish (it sees the
    // finish within 50 ms); a cancel() interrupts it.
    int pollIntervalMs = 2000;
    int totalTimeoutMs = 0;     // 0 = until finished/lost or cancelled
};

// ---------------------------------------------------------------------------------------------
// The interface the engine depends on.
//
// Blocking by design: every call runs to completion (or to its deadline, or to cancel()) on
// the calling thread. Call it from a worker thread, never from the GUI thread. One instance
// is used by one thread at a time (a second concurrent call fails with ErrorCode::Internal);
// the engine gives each host its own shell on its own QThread (see ShellHost for a
// ready-made QThread + QFuture facade). cancel() is the only call that is safe from any
// thread: the running call (and every later one, until clearCancel()) returns
// ErrorCode::Cancelled within 1 s, and a running command is killed on the target.
// ---------------------------------------------------------------------------------------------
class RemoteShell
{
public:
    virtual ~RemoteShell();
    RemoteShell(const RemoteShell &) = delete;
    RemoteShell &operator=(const RemoteShell &) = delete;

    // "root@127.0.30.1:2222", "local". Never contains a secret.
    virtual QString describe() const = 0;

    // Explicit connect (every other call connects on demand). No-op for LocalShell.
    virtual Core::Status connect() = 0;
    virtual void disconnect() = 0;
    virtual bool isConnected() const = 0;

    // Runs COMMAND through the target user's shell, without a PTY (stdout and stderr apart).
    // A non-zero exit or a signal is a successful ExecResult; errors are transport problems,
    // deadlines, output limits and cancel.
    virtual Core::Result<ExecResult> exec(const QString &command, const ExecOptions &options = {}) = 0;

    // Uploads LOCAL to REMOTE: written to REMOTE.part (resumed from its size), SHA-256 checked on
    // the target, then moved over REMOTE with `mv -f`. REMOTE is never half-written.
    virtual Core::Result<UploadResult> upload(const QString &localPath, const QString &remotePath,
                                              const UploadOptions &options = {}) = 0;
    // A small file (fails when larger than maxBytes).
    virtual Core::Result<QByteArray> download(const QString &remotePath, qint64 maxBytes = 4 * 1024 * 1024) = 0;
    virtual Core::Result<FreeSpace> freeSpace(const QString &remoteDir) = 0;
    // Hex SHA-256 of a file on the target.
    virtual Core::Result<QString> sha256(const QString &remotePath);

    // Detached steps (built on exec(), so every shell has them).
    Core::Result<DetachedStatus> startDetached(const DetachedStep &step);
    Core::Result<DetachedStatus> detachedStatus(const QString &stepId, const QString &stateDir);
    // Until Finished or Lost, the deadline, or cancel (each read waits on the host, see WaitOptions).
    Core::Result<DetachedStatus> waitDetached(const QString &stepId, const QString &stateDir,
                                              const WaitOptions &options = {});
    // The step's captured stdout / stderr (at most maxBytes of each, from the end).
    Core::Result<QByteArray> detachedOutput(const QString &stepId, const QString &stateDir, bool stderrStream = false,
                                            qint64 maxBytes = 64 * 1024);

    // Thread-safe. Sticky until clearCancel().
    void cancel();
    void clearCancel();
    bool isCancelled() const { return m_cancelled.load(); }

protected:
    RemoteShell() = default;
    // Called by cancel() on the cancelling thread: interrupt a blocking call if one is running.
    virtual void interruptBlockingCall() {}
    Core::Error cancelledError(const QString &what) const;

private:
    // The status, read after waiting on the host up to holdMs while the step still runs.
    Core::Result<DetachedStatus> readDetachedStatus(const QString &stepId, const QString &stateDir, int holdMs);

    std::atomic<bool> m_cancelled{false};
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

// 'text' quoted for a POSIX shell (single quotes, ' as '\'').
QString shellQuote(const QString &text);
// A remote path for a shell command: "~/x" becomes "$HOME"/'x', anything else is quoted.
QString shellPath(const QString &path);
// Empty when USER is acceptable as an SSH user name, else why not. The rule is stricter than
// Debian's libssh (which rejects shell metacharacters): letters, digits, '.', '_', '-', '@',
// a trailing '$'; not starting with '-'; at most 64 characters.
QString userNameProblem(const QString &user);
bool isValidStepId(const QString &id);

} // namespace GrayStep::Ssh
