"""The shell scripts supportkit runs on the remote machine, and how their output reads.

Each script is a constant given to ``sh -c``: what varies (folders, names, the command
to run) arrives as positional arguments, quoted by ``toolkit.remote.ssh``, so nothing a
user typed is ever parsed as shell code there. POSIX sh and the tools of a minimal
Debian (coreutils, mawk): the remote needs no Python.
"""

from __future__ import annotations

# $1: the folder to make the private one in ("" = $TMPDIR or /tmp).
# Prints key=value lines: what the machine is, a supportkit already there, the private
# folder (0700, made with mktemp), the free space in it, and whether it can execute.
PROBE = r"""
base=${1:-${TMPDIR:-/tmp}}
echo "os=$(uname -s 2>/dev/null)"
echo "machine=$(uname -m 2>/dev/null)"
echo "libc=$(getconf GNU_LIBC_VERSION 2>/dev/null)"
echo "base=$base"
if sk=$(command -v supportkit 2>/dev/null); then
  echo "installed=$sk"
  echo "installed_version=$("$sk" --version 2>/dev/null | head -n 1)"
fi
d=$(umask 077 && mktemp -d "$base/supportkit-remote.XXXXXXXX" 2>&1) || {
  echo "mkdir_error=$d"; exit 0; }
echo "dir=$d"
echo "free_kb=$(df -Pk "$d" 2>/dev/null | awk 'NR == 2 { print $4 }')"
if printf '#!/bin/sh\nexit 0\n' > "$d/.exec-test" 2>/dev/null; then
  chmod 700 "$d/.exec-test" && "$d/.exec-test" 2>/dev/null && echo "exec=ok" || echo "exec=no"
else
  echo "exec=nowrite"
fi
rm -f "$d/.exec-test"
mkdir -p "$d/tmp" "$d/out"
"""

# $1: the file to write from stdin, atomically (a partial copy never has the name).
# $2: "x" to make it executable and start it once (--version): a build that cannot run
# there (an older C library, another processor) says so now, before any run.
PUT = r"""
f=$1
umask 077
cat > "$f.part" || { rm -f "$f.part"; exit 71; }
mv -f "$f.part" "$f" || exit 71
if [ "$2" = x ]; then
  chmod 700 "$f" || exit 71
  TMPDIR=$(dirname "$f")/tmp "$f" --version || exit 72
fi
"""

# $1: the private folder; $2: 0 | 1 | n (run as is, with sudo, with sudo -n: nobody to
# type a password); then the command. Through a pseudo-terminal, a dropped connection
# is a hang-up: the run stops and cleans up (its own SIGHUP handling, exit 129) and
# then this removes the folder, build included. With sudo, what root wrote into the
# folder is given back to the user, who fetches and removes it.
RUN = r"""
d=$1 how=$2
shift 2
trap 'rm -rf "$d"; exit 129' HUP
trap 'rm -rf "$d"; exit 143' TERM
cd "$d" || exit 1
TMPDIR=$d/tmp
export TMPDIR
case $how in
  0) "$@" ;;
  *) if [ "$how" = n ]; then s="sudo -n"; else s=sudo; fi
     $s -- env TMPDIR="$TMPDIR" sh -c 'o=$1; shift; "$@"; rc=$?
       chown -R "$o" "$TMPDIR" "${TMPDIR%/tmp}/out" 2>/dev/null; exit $rc' \
       sh "$(id -u):$(id -g)" "$@" ;;
esac
"""

# $1: the private folder. One name a line: what the run left in out/.
LIST = r"""ls -A -- "$1/out" """

# $1: the private folder, $2: a name in out/.
FETCH = r"""exec cat -- "$1/out/$2" """

# $1: the private folder; $2: "keep" to leave out/ (the bundle) and remove the rest.
CLEAN = r"""
d=$1
case $d in */supportkit-remote.*) ;; *) exit 2 ;; esac
if [ "$2" = keep ]; then
  for f in "$d"/* "$d"/.[!.]*; do
    [ -e "$f" ] || continue
    [ "$f" = "$d/out" ] || rm -rf -- "$f"
  done
else
  rm -rf -- "$d"
fi
"""


def parse_probe(text: str) -> dict[str, str]:
    """The key=value lines PROBE printed (the first of each key; noise ignored)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.strip("\r").partition("=")
        if eq and key.isidentifier():
            out.setdefault(key, value)
    return out
