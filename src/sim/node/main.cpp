// SPDX-License-Identifier: GPL-3.0-or-later
// ddbsim: one emulated DolphinDB node (controller, agent or data node) with the real server's
// command line. See README.md in this folder.
#include "sim/node/nodelog.h"
#include "sim/node/simnode.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace {

int g_signalFds[2] = {-1, -1};

void onTerm(int)
{
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(g_signalFds[0], &c, 1);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"ddbsim"_s);
    GrayStep::Sim::SimNode node;
    if (!node.init(QCoreApplication::arguments(), QString::fromLocal8Bit(argv[0])))
        return 1;

    // SIGTERM/SIGINT -> graceful shutdown in the event loop (self-pipe).
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0)
        return 1;
    QSocketNotifier notifier(g_signalFds[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &node, [&node] {
        char c;
        [[maybe_unused]] const auto n = ::read(g_signalFds[1], &c, 1);
        node.shutdown();
        // Exit within 2 s whatever is still running.
        QTimer::singleShot(1500, &node, [] { ::_exit(0); });
    });
    struct sigaction sa = {};
    sa.sa_handler = onTerm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    node.start();
    const int rc = QCoreApplication::exec();
    GrayStep::Sim::NodeLog::instance().info(u"Exit."_s);
    // Worker threads may still block in peer calls: leave without waiting for them.
    ::_exit(rc);
}
