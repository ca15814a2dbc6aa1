// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace GrayStep::Sim {

// The shell scripts of a host's server/clusterDemo/, written by `up`. All are POSIX sh (the
// tutorial runs them with `sh`), change into their own directory first, and use the real
// product's launch commands (PROTOCOL.md §7.1).

// nohup ./../dolphindb -console 0 -mode controller -home data -script dolphindb.dos ...
QString startControllerScript();
// nohup ./../dolphindb -console 0 -mode agent -home data -script dolphindb.dos ...
QString startAgentScript();
// SIGTERM to this host's dolphindb processes only: those whose working directory is this
// clusterDemo (pid files in data/ are checked the same way), waits up to 15 s, then SIGKILL.
// Several emulated hosts share one machine, so the real script's "every dolphindb process"
// would stop the other hosts too.
QString stopAllNodeScript();
// The upgrade script with the real prompts and markers (PROTOCOL.md §7.4); offline only.
// Interactive: `sh upgrade.sh`; non-interactive: `sh upgrade.sh --offline 2.00.8.12 --yes`.
QString upgradeScript();

} // namespace GrayStep::Sim
