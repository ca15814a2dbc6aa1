// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/hostcommands.h"

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::Engine {

QString shellQuote(const QString &word)
{
    QString quoted = word;
    quoted.replace(u"'"_s, u"'\\''"_s);
    return u'\'' + quoted + u'\'';
}

namespace HostCommands {

namespace {

// Shell function definitions shared by the scripts below.
// gs_procs DIR: pids whose /proc/PID/exe is DIR/dolphindb (or that file, since replaced).
// One find over /proc (a readlink per process costs a fork each: 130 ms for 90 processes);
// DIR's glob characters are escaped for -lname.
const QString PROCS_FN = uR"SH(gs_procs() {
  gs_pat=$(printf '%s' "$1" | sed 's/[][*?\\]/\\&/g')
  find /proc -mindepth 2 -maxdepth 2 -name exe \( -lname "$gs_pat/dolphindb" -o -lname "$gs_pat/dolphindb (deleted)" \) 2>/dev/null \
    | sed -n 's|^/proc/\([0-9][0-9]*\)/exe$|\1|p'
}
)SH"_s;

// gs_copy_over SRC DST: copies SRC's entries over DST, except the kept ones, each entry
// first to a .graystep-new sibling and then moved into place.
const QString COPY_OVER_FN = uR"SH(gs_copy_over() {
  for f in "$1"/* "$1"/.[!.]*; do
    [ -e "$f" ] || continue
    n=${f##*/}
    case "$n" in clusterDemo|dolphindb.cfg|dolphindb.lic|.graystep-complete) continue ;; esac
    rm -rf "$2/$n.graystep-new"
    cp -a "$f" "$2/$n.graystep-new"
    if [ -d "$2/$n" ] && [ ! -L "$2/$n" ]; then rm -rf "$2/$n"; fi
    mv -f "$2/$n.graystep-new" "$2/$n"
  done
}
)SH"_s;

QString header()
{
    return u"set -eu\n"_s;
}

} // namespace

QString okMarker(const QString &what)
{
    return u"GRAYSTEP-OK "_s + what;
}

QString listServerProcesses(const QString &installDir)
{
    return header() + PROCS_FN + u"gs_procs "_s + shellQuote(installDir) + u"\n"_s;
}

QString stopAllNodes(const QString &installDir, int timeoutS)
{
    const QString dir = shellQuote(installDir);
    return header() + PROCS_FN
           + uR"SH(cd %1/clusterDemo
if [ -n "$(gs_procs %1)" ]; then sh ./stopAllNode.sh; fi
i=0
while [ -n "$(gs_procs %1)" ]; do
  i=$((i + 1))
  if [ "$i" -gt %2 ]; then echo "still running after %3 s: $(gs_procs %1 | tr '\n' ' ')" >&2; exit 4; fi
  sleep 0.2
done
echo %4
)SH"_s.arg(dir, QString::number(timeoutS * 5), QString::number(timeoutS),
                      shellQuote(okMarker(u"stopped"_s)));
}

QString startControllerAndAgent(const QString &installDir, bool controller, bool agent)
{
    QString s = header() + u"cd "_s + shellQuote(installDir) + u"/clusterDemo\n"_s;
    if (controller) {
        s += u"sh ./startController.sh\n"_s;
    }
    if (agent) {
        // Older packages name it startagent.sh.
        s += u"if [ -f ./startAgent.sh ]; then sh ./startAgent.sh; else sh ./startagent.sh; fi\n"_s;
    }
    return s + u"echo "_s + shellQuote(okMarker(u"started"_s)) + u'\n';
}

QString backupMetadata(const QString &backupDir, const QList<BackupItem> &items)
{
    const QString dir = shellQuote(backupDir);
    QString s = header() + uR"SH(b=%1
if [ -f "$b/MANIFEST" ]; then echo "a complete backup already exists in $b; not overwriting it" >&2; exit 6; fi
rm -rf "$b.partial"
mkdir -p "$b.partial"
)SH"_s.arg(dir);
    for (const BackupItem &item : items) {
        const QString src = shellQuote(item.sourceDir);
        const QString dst = u"\"$b.partial\"/"_s + shellQuote(item.label);
        s += u"[ -d %1 ] || { echo \"metadata directory missing: \"%1 >&2; exit 3; }\n"_s.arg(src);
        s += u"mkdir -p \"$(dirname %1)\"\ncp -a %2 %1\n"_s.arg(dst, src);
    }
    s += uR"SH((cd "$b.partial" && find . -type f -print | LC_ALL=C sort | while IFS= read -r f; do
  f=${f#./}
  printf '%s  %s  %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$(wc -c < "$f" | tr -d ' ')" "$f"
done) > "$b.manifest"
mv "$b.manifest" "$b.partial/MANIFEST"
mv "$b.partial" "$b"
echo "files: $(wc -l < "$b/MANIFEST" | tr -d ' ')"
echo %1
)SH"_s.arg(shellQuote(okMarker(u"backup"_s)));
    return s;
}

QString probeBackup(const QString &backupDir, const QList<BackupItem> &items)
{
    QString probe = u"if [ -f "_s + shellQuote(backupDir + u"/MANIFEST"_s) + u" ]; then echo manifest; fi\n"_s;
    for (int i = 0; i < items.size(); ++i) {
        probe += u"[ -d "_s + shellQuote(items[i].sourceDir) + u" ] || echo absent:"_s + QString::number(i) + u'\n';
    }
    return probe;
}

QString verifyBackup(const QString &backupDir)
{
    return header() + uR"SH(cd %1
[ -f MANIFEST ] || { echo "no MANIFEST in $(pwd)" >&2; exit 5; }
bad=0
while IFS= read -r line; do
  sum=${line%%  *}; rest=${line#*  }; size=${rest%%  *}; f=${rest#*  }
  if [ ! -f "$f" ]; then echo "missing: $f" >&2; bad=1; continue; fi
  [ "$(wc -c < "$f" | tr -d ' ')" = "$size" ] || { echo "size differs: $f" >&2; bad=1; continue; }
  [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sum" ] || { echo "checksum differs: $f" >&2; bad=1; }
done < MANIFEST
extra=$(find . -type f ! -name MANIFEST | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
  grep -qF "  $f" MANIFEST || echo "$f"; done)
[ -z "$extra" ] || { echo "not in MANIFEST: $extra" >&2; bad=1; }
[ "$bad" = 0 ] || exit 5
echo %2
)SH"_s.arg(shellQuote(backupDir), shellQuote(okMarker(u"verified"_s)));
}

namespace {

// Keeps the old binaries (once) and unpacks the staged package next to it, marked with the
// zip's identity (size, mtime, inode) so that a package staged again is unpacked again.
// Reads the variables inst, zip, bak; leaves the unpacked server/ in $stage/server.
const QString PREPARE_BODY = uR"SH(if [ ! -f "$bak/.graystep-complete" ]; then
  rm -rf "$bak.partial"
  mkdir -p "$bak.partial"
  for f in "$inst"/* "$inst"/.[!.]*; do
    [ -e "$f" ] || continue
    case "${f##*/}" in clusterDemo) continue ;; esac
    cp -a "$f" "$bak.partial/"
  done
  touch "$bak.partial/.graystep-complete"
  rm -rf "$bak"
  mv "$bak.partial" "$bak"
  echo "kept the old binaries in $bak"
fi
stage="$zip.unpacked"
id=$(stat -c '%s %Y %i' "$zip")
if [ ! -f "$stage/.graystep-complete" ] || [ "$(cat "$stage/.graystep-complete")" != "$id" ]; then
  rm -rf "$stage"
  mkdir -p "$stage"
  unzip -q -o "$zip" -d "$stage"
  [ -f "$stage/server/dolphindb" ] || { echo "the package holds no server/dolphindb: $zip" >&2; exit 3; }
  printf '%s\n' "$id" > "$stage/.graystep-complete"
  echo "unpacked $zip"
fi
)SH"_s;

QString prepareVariables(const QString &installDir, const QString &packageZip, const QString &oldVersion)
{
    return u"inst=%1\nzip=%2\nbak=%3\n"_s.arg(shellQuote(installDir), shellQuote(packageZip),
                                                shellQuote(installDir + u".bak-"_s + oldVersion));
}

} // namespace

QString preparePackage(const QString &installDir, const QString &packageZip, const QString &oldVersion)
{
    return header() + prepareVariables(installDir, packageZip, oldVersion) + PREPARE_BODY + u"echo "_s
           + shellQuote(okMarker(u"prepared"_s)) + u'\n';
}

QString installPackage(const QString &installDir, const QString &packageZip, const QString &oldVersion)
{
    // Prepared at stage time normally; done here when it was not (or the package changed).
    return header() + COPY_OVER_FN + prepareVariables(installDir, packageZip, oldVersion) + PREPARE_BODY
           + uR"SH(gs_copy_over "$stage/server" "$inst"
chmod +x "$inst/dolphindb"
rm -rf "$stage"
echo %1
)SH"_s.arg(shellQuote(okMarker(u"installed"_s)));
}

QString restoreBinaries(const QString &installDir, const QString &oldVersion)
{
    return header() + COPY_OVER_FN + uR"SH(inst=%1
bak=%2
[ -f "$bak/.graystep-complete" ] || { echo "no complete copy of the old binaries in $bak" >&2; exit 3; }
for f in "$inst"/* "$inst"/.[!.]*; do
  [ -e "$f" ] || continue
  n=${f##*/}
  case "$n" in clusterDemo|dolphindb.cfg|dolphindb.lic) continue ;; esac
  [ -e "$bak/$n" ] || rm -rf "$f"
done
gs_copy_over "$bak" "$inst"
echo %3
)SH"_s.arg(shellQuote(installDir), shellQuote(installDir + u".bak-"_s + oldVersion),
              shellQuote(okMarker(u"restored-binaries"_s)));
}

QString restoreMetadata(const QString &backupDir, const QList<BackupItem> &items)
{
    QString s = header() + u"b="_s + shellQuote(backupDir) + u"\n"_s
                + u"[ -f \"$b/MANIFEST\" ] || { echo \"no complete backup in $b\" >&2; exit 3; }\n"_s;
    for (const BackupItem &item : items) {
        const QString src = u"\"$b\"/"_s + shellQuote(item.label);
        const QString dst = shellQuote(item.sourceDir);
        s += u"[ -d %1 ] || { echo \"backup lacks \"%2 >&2; exit 3; }\n"_s.arg(src, shellQuote(item.label));
        s += u"rm -rf %1.graystep-new\ncp -a %2 %1.graystep-new\nrm -rf %1\nmv %1.graystep-new %1\n"_s.arg(dst, src);
    }
    return s + u"echo "_s + shellQuote(okMarker(u"restored-metadata"_s)) + u'\n';
}

QString freeSpaceKiB(const QString &path)
{
    return header() + u"df -Pk "_s + shellQuote(path) + u" | awk 'NR==2 {print $4}'\n"_s;
}

QString sha256OfFile(const QString &path)
{
    return header() + u"sha256sum "_s + shellQuote(path) + u" | cut -d' ' -f1\n"_s;
}

} // namespace HostCommands

} // namespace GrayStep::Engine
