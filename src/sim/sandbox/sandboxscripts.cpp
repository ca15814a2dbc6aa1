// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/sandbox/sandboxscripts.h"

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Sim {

namespace {

// Lists this host's dolphindb processes: argv[0] is .../dolphindb, the command line has
// "-mode", and the working directory is this clusterDemo (or below it). Sets $pids.
// One `ps` per scan (not a fork per process): thirty hosts stop in parallel on two cores.
const char *const FindPidsFunction = R"SH(
here=$(pwd -P)
find_pids() {
    pids=""
    for p in $(ps -eo pid=,args= | awk '($2 == "dolphindb" || $2 ~ /\/dolphindb$/) && / -mode / {print $1}'); do
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
        case "$cwd" in "$here"|"$here"/*) pids="$pids $p" ;; esac
    done
}
)SH";

} // namespace

QString startControllerScript()
{
    return uR"SH(#!/bin/sh
# Starts this host's controller. DolphinDB clusterDemo launch command (GrayStep sandbox: the
# dolphindb binary is the ddbsim emulator). Run from clusterDemo/: sh startController.sh
cd "$(dirname "$0")" || exit 1
workDir=$(pwd)
export LD_LIBRARY_PATH=$(dirname "$workDir"):$LD_LIBRARY_PATH
nohup ./../dolphindb -console 0 -mode controller -home data -script dolphindb.dos -config config/controller.cfg -logFile log/controller.log -nodesFile config/cluster.nodes -clusterConfig config/cluster.cfg > controller.nohup 2>&1 < /dev/null &
)SH"_s;
}

QString startAgentScript()
{
    return uR"SH(#!/bin/sh
# Starts this host's agent; the agent starts data nodes when the leader controller asks
# (startDataNode). Run from clusterDemo/: sh startAgent.sh
cd "$(dirname "$0")" || exit 1
workDir=$(pwd)
export LD_LIBRARY_PATH=$(dirname "$workDir"):$LD_LIBRARY_PATH
nohup ./../dolphindb -console 0 -mode agent -home data -script dolphindb.dos -config config/agent.cfg -logFile log/agent.log > agent.nohup 2>&1 < /dev/null &
)SH"_s;
}

QString stopAllNodeScript()
{
    return uR"SH(#!/bin/sh
# Stops this host's DolphinDB processes (controller, agent, data nodes) with SIGTERM.
# GrayStep sandbox: several emulated hosts share one machine, so only processes running from
# this clusterDemo/ are touched (the vendor's script signals every dolphindb process).
cd "$(dirname "$0")" || exit 1
)SH"_s + QString::fromLatin1(FindPidsFunction)
        + uR"SH(
find_pids
if [ -z "$pids" ]; then
    echo "No dolphindb process is running on this host."
    exit 0
fi
echo "Stopping dolphindb processes:$pids"
kill -TERM $pids 2>/dev/null
i=0
while [ $i -lt 150 ]; do
    find_pids
    [ -z "$pids" ] && { echo "All dolphindb processes on this host are stopped."; exit 0; }
    sleep 0.1
    i=$((i + 1))
done
echo "Still running after 15 s, killing:$pids"
kill -KILL $pids 2>/dev/null
exit 1
)SH"_s;
}

QString upgradeScript()
{
    return uR"SH(#!/bin/sh
# upgrade.sh: upgrades this DolphinDB install (GrayStep sandbox edition; offline only).
#   interactive:      sh upgrade.sh          (the vendor's prompts)
#   non-interactive:  sh upgrade.sh --offline <version> --yes
# The package DolphinDB_Linux64_V<version>.zip must sit in this directory (clusterDemo/).
# Its server/ files replace the install's, except dolphindb.cfg, dolphindb.lic and clusterDemo/.
# Markers: UpLoadSuccess, UnzipSuccess, UpgradeSuccess (each on its own line).
cd "$(dirname "$0")" || exit 1
)SH"_s + QString::fromLatin1(FindPidsFunction)
        + uR"SH(
server=$(dirname "$here")
method=""
version=""
confirmed=""
while [ $# -gt 0 ]; do
    case "$1" in
        --offline) [ $# -ge 2 ] || { echo "--offline needs a version"; exit 2; }; method=2; version=$2; shift 2 ;;
        --online) [ $# -ge 2 ] || { echo "--online needs a version"; exit 2; }; method=1; version=$2; shift 2 ;;
        --yes|-y) confirmed=y; shift ;;
        *) echo "Unknown argument: $1 (usage: sh upgrade.sh [--offline <version>] [--yes])"; exit 2 ;;
    esac
done
if [ -z "$confirmed" ]; then
    echo "Have you shut down dolphindb process and backed up metadata?(y/n)"
    read -r answer || exit 1
    case "$answer" in
        y|Y|yes|YES) ;;
        *) echo "Please shut down dolphindb process and back up metadata first."; exit 1 ;;
    esac
fi
find_pids
if [ -n "$pids" ]; then
    echo "dolphindb is still running on this host (pid$pids). Stop it first: sh stopAllNode.sh"
    exit 1
fi
if [ -z "$method" ]; then
    echo "Please choose the upgrade method:"
    echo "1: online upgrade (download the package)"
    echo "2: offline upgrade (the package is already in $here)"
    echo "3: exit"
    read -r method || exit 1
fi
case "$method" in
    1) echo "Online upgrade downloads from the vendor's site and is not available in the GrayStep sandbox (no internet access). Use 2 (offline)."; exit 1 ;;
    2) ;;
    3) echo "Exit."; exit 0 ;;
    *) echo "Invalid choice: $method"; exit 1 ;;
esac
if [ -z "$version" ]; then
    echo "Please input the version number to upgrade, e.g. 2.00.9.1"
    read -r version || exit 1
fi
package="DolphinDB_Linux64_V$version.zip"
if [ ! -f "$package" ]; then
    echo "Cannot find $package in $here (offline upgrade needs the package in clusterDemo/)."
    exit 1
fi
echo "DolphinDB package uploaded successfully! UpLoadSuccess"
work="$here/.upgrade.$$"
rm -rf "$work"
mkdir -p "$work" || exit 1
if ! unzip -q -o "$package" -d "$work" || [ ! -f "$work/server/dolphindb" ]; then
    echo "Failed to unzip $package (or it holds no server/dolphindb)."
    rm -rf "$work"
    exit 1
fi
echo "DolphinDB package unzipped successfully! UnzipSuccess"
# Sandbox marker of a package that fails at start; a good package does not carry it.
rm -f "$server/ddbsim.broken"
for f in "$work"/server/* "$work"/server/.[!.]*; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    case "$name" in dolphindb.cfg|dolphindb.lic|clusterDemo) continue ;; esac
    if [ -d "$f" ]; then
        mkdir -p "$server/$name" && cp -R "$f/." "$server/$name/" || { echo "Failed to copy $name"; rm -rf "$work"; exit 1; }
    else
        # unlink first: the old binary may be shared (hard link) or still mapped
        rm -f "$server/$name" && cp -p "$f" "$server/$name" || { echo "Failed to copy $name"; rm -rf "$work"; exit 1; }
    fi
done
rm -rf "$work"
echo "DolphinDB upgraded successfully! UpgradeSuccess"
exit 0
)SH"_s;
}

} // namespace GrayStep::Sim
