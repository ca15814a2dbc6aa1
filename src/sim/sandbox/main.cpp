// SPDX-License-Identifier: GPL-3.0-or-later
// graystep-sandbox: lays out, starts, stops and inspects the emulated DolphinDB HA cluster
// (DESIGN.md §5, §7). The logic is in graystep_simsandbox (SandboxLauncher).
#include "sim/sandbox/sandboxlauncher.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

using namespace Qt::Literals::StringLiterals;
using GrayStep::Sim::SandboxLauncher;
using GrayStep::Sim::UpOptions;

namespace {

const char *const Usage = R"(usage: graystep-sandbox COMMAND [options]
  up [--dir D] [--hosts N] [--controllers K] [--version V] [--base-address A]
     [--no-ssh] [--fast] [--from-config DIR] [--node-binary PATH] [--timeout S]
     [--no-tmpfs] [--disk-mib M]
        lay out (first time) and start the sandbox; prints JSON (directory, profile,
        hosts with address, SSH port and node ports, packages, "disk"). When D already
        runs, reports it ("alreadyRunning": true) and starts nothing. As root each host
        is put on its own tmpfs of M MiB (default 512) so disk-full is real; elsewhere
        (or --no-tmpfs, or mount refused) disk-full is emulated by the nodes.
  down [--dir D]            stop every node and sshd, unmount the hosts' tmpfs (their
                            files are kept); nothing started from D is left
  status [--dir D] [--json] every node: up/down, pid, role, version, leader
  fault [--dir D] KIND [ARGS] [--clear]
        slow-recovery | stuck-recovery | normal-recovery | fail-start ALIAS | kill ALIAS
        | disk-full HOST | stop-sshd HOST | start-sshd HOST | election-storm
        | lose-write [ALIAS]   (each running data node, or ALIAS, acknowledges its next
                                append and stores nothing)
        (HOST = address or index; --clear undoes fail-start, disk-full, election-storm,
        lose-write)
up, down and fault always print JSON on stdout (--json is accepted); progress goes to stderr.
Defaults: --dir ./graystep-sandbox, --hosts 3, --version 2.00.7.4, --base-address 127.0.10.1.
)";

QString take(QStringList &args, const QString &name, bool *missing)
{
    const qsizetype i = args.indexOf(name);
    if (i < 0) {
        return {};
    }
    if (i + 1 >= args.size()) {
        *missing = true;
        args.removeAt(i);
        return {};
    }
    const QString v = args.at(i + 1);
    args.remove(i, 2);
    return v;
}

bool flag(QStringList &args, const QString &name)
{
    return args.removeAll(name) > 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    QTextStream err(stderr);
    QStringList args = app.arguments().mid(1);
    if (args.isEmpty() || args.first() == "--help"_L1 || args.first() == "-h"_L1) {
        (args.isEmpty() ? err : out) << Usage;
        return args.isEmpty() ? 2 : 0;
    }
    const QString command = args.takeFirst();
    // up, down and fault always print JSON; status prints a table unless --json is given.
    const bool json = flag(args, u"--json"_s);
    bool missing = false;
    QString dir = take(args, u"--dir"_s, &missing);
    if (dir.isEmpty()) {
        dir = u"graystep-sandbox"_s;
    }
    SandboxLauncher launcher(dir);
    launcher.setProgress([&err](const QString &line) {
        err << "graystep-sandbox: " << line << Qt::endl;
    });
    const auto usage = [&err](const QString &why) {
        err << "graystep-sandbox: " << why << "\n" << Usage;
        return 2;
    };
    const auto fail = [&err, &out](const GrayStep::Core::Error &e, bool asJson) {
        if (asJson) {
            out << QJsonDocument(QJsonObject{{u"error"_s, e.toString()}}).toJson();
        }
        err << "graystep-sandbox: " << e.toString() << Qt::endl;
        return e.code == GrayStep::Core::ErrorCode::InvalidInput ? 2 : 1;
    };

    if (command == "up"_L1) {
        UpOptions o;
        bool okHosts = true;
        bool okCtl = true;
        bool okTimeout = true;
        const QString hosts = take(args, u"--hosts"_s, &missing);
        const QString controllers = take(args, u"--controllers"_s, &missing);
        const QString version = take(args, u"--version"_s, &missing);
        const QString base = take(args, u"--base-address"_s, &missing);
        const QString timeout = take(args, u"--timeout"_s, &missing);
        o.fromConfig = take(args, u"--from-config"_s, &missing);
        o.nodeBinary = take(args, u"--node-binary"_s, &missing);
        o.ssh = !flag(args, u"--no-ssh"_s);
        o.fast = flag(args, u"--fast"_s);
        o.tmpfs = !flag(args, u"--no-tmpfs"_s);
        bool okDisk = true;
        const QString diskMiB = take(args, u"--disk-mib"_s, &missing);
        if (!diskMiB.isEmpty()) {
            o.diskMiB = diskMiB.toLongLong(&okDisk);
            okDisk = okDisk && o.diskMiB >= 64;
        }
        if (!okDisk) {
            return usage(u"--disk-mib needs a size in MiB (64 or more)"_s);
        }
        if (!hosts.isEmpty()) {
            o.hosts = hosts.toInt(&okHosts);
        }
        if (!controllers.isEmpty()) {
            o.controllers = controllers.toInt(&okCtl);
        }
        if (!timeout.isEmpty()) {
            o.timeoutMs = timeout.toInt(&okTimeout) * 1000;
        }
        if (!version.isEmpty()) {
            o.version = version;
        }
        if (!base.isEmpty()) {
            o.baseAddress = base;
        }
        if (missing || !okHosts || !okCtl || !okTimeout || !args.isEmpty()) {
            return usage(args.isEmpty() ? u"bad option value"_s : u"unknown arguments: "_s + args.join(u' '));
        }
        auto r = launcher.up(o);
        if (!r) {
            if (launcher.isLaidOut()) {
                err << "graystep-sandbox: what did start keeps running; stop it with: graystep-sandbox down --dir "
                    << launcher.directory() << Qt::endl;
            }
            return fail(r.error(), true);
        }
        out << QJsonDocument(*r).toJson();
        return 0;
    }
    if (command == "down"_L1) {
        if (missing || !args.isEmpty()) {
            return usage(u"unknown arguments: "_s + args.join(u' '));
        }
        auto r = launcher.down();
        if (!r) {
            return fail(r.error(), true);
        }
        out << QJsonDocument(*r).toJson();
        return r->value(u"stopped"_s).toBool() ? 0 : 1;
    }
    if (command == "status"_L1) {
        if (missing || !args.isEmpty()) {
            return usage(u"unknown arguments: "_s + args.join(u' '));
        }
        auto r = launcher.status();
        if (!r) {
            return fail(r.error(), json);
        }
        if (json) {
            out << QJsonDocument(*r).toJson();
            return 0;
        }
        out << "sandbox " << r->value(u"directory"_s).toString() << ", leader "
            << r->value(u"leader"_s).toString() << "\n";
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n").arg(u"HOST"_s, -15).arg(u"ALIAS"_s, -10).arg(u"ROLE"_s, -11)
                   .arg(u"PORT"_s, -5).arg(u"STATE"_s, -5).arg(u"PID"_s, -8).arg(u"VERSION"_s);
        for (const QJsonValue &v : r->value(u"nodes"_s).toArray()) {
            const QJsonObject n = v.toObject();
            QString role = n.value(u"mode"_s).toString();
            if (n.value(u"leader"_s).toBool()) {
                role += u'*';
            }
            out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                       .arg(n.value(u"host"_s).toString(), -15).arg(n.value(u"alias"_s).toString(), -10)
                       .arg(role, -11).arg(n.value(u"port"_s).toInt(), -5).arg(n.value(u"state"_s).toString(), -5)
                       .arg(n.value(u"pid"_s).isNull() ? u"-"_s : QString::number(n.value(u"pid"_s).toInteger()), -8)
                       .arg(n.value(u"version"_s).toString());
        }
        for (const QJsonValue &v : r->value(u"hosts"_s).toArray()) {
            const QJsonObject h = v.toObject();
            if (!h.value(u"sshd"_s).isNull()) {
                out << "sshd " << h.value(u"address"_s).toString() << ':' << h.value(u"sshPort"_s).toInt() << ' '
                    << h.value(u"sshd"_s).toString() << "\n";
            }
        }
        return 0;
    }
    if (command == "fault"_L1) {
        if (missing || args.isEmpty()) {
            return usage(u"fault needs a KIND"_s);
        }
        const QString kind = args.takeFirst();
        auto r = launcher.fault(kind, args);
        if (!r) {
            return fail(r.error(), true);
        }
        out << QJsonDocument(*r).toJson();
        return 0;
    }
    return usage(u"unknown command \"%1\""_s.arg(command));
}
