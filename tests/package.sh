#!/usr/bin/env bash
# The Debian package as an admin gets it: builds it from this tree (in a
# copy, so the tree stays clean), checks it with lintian, installs it with
# apt, checks file modes and the unit, runs the INSTALLED daemon with the
# installed config against a private slapd as the unit does (user
# sendas-milter, no capabilities, a 0400 password file that postfix cannot
# read), checks readiness as systemd would hear it (READY=1 once the socket
# accepts connections, RELOADING=1/READY=1, STOPPING=1 through
# NOTIFY_SOCKET), one accept and one reject through its socket (also as
# the postfix user), reloads it; where systemd is PID 1, starts the unit
# itself (Type=notify). Then purges the package and checks that nothing is
# left but the system user (kept, as usual in Debian).
#
#   sudo bash tests/package.sh
#
# Root only: it installs packages (build tools, lintian, slapd, miltertest,
# then sendas-milter itself) and removes sendas-milter again.
# Environment:
#   MILTER_PROBE  protocol client (default $top_builddir/tests/tools/milter-probe,
#                 else the one the package build compiled for its unit tests)
#   top_builddir  build tree (default: the source tree)
#   KEEP_TMP      keep the build and test directories (paths printed)
#   SENDAS_PKG_DIR  skip the build and use the .deb/.changes already built
#                 there (for working on this script)
# Exit: 0 pass, 1 fail, 77 skip (not root), 99 hard error.
set -uo pipefail

started=$SECONDS
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir}"
export top_builddir
PKG=sendas-milter
CONF=/etc/sendas-milter/sendas-milter.conf

say() { printf '%s\n' "$*" >&2; }
# Other jobs may be installing packages: wait for dpkg's lock, don't fail.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
step() { printf '\n=== %s (%ss)\n' "$*" "$((SECONDS - started))"; }

if [ "$(id -u)" -ne 0 ]; then
    say "SKIP: tests/package.sh installs and purges packages: run it as root"
    exit 77
fi
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "ok installed"; then
    say "FAIL: $PKG is already installed; this test installs and purges it. Purge it first (apt-get purge $PKG)."
    exit 1
fi

# --- state that the exit trap undoes --------------------------------------

W=                 # build directory (the copy of the tree, the .deb files)
INSTALLED=no       # sendas-milter installed by us and not yet purged
OWN_POLICY=no      # /usr/sbin/policy-rc.d created by us
POLICY=/usr/sbin/policy-rc.d

# What this script changed on the machine, undone at exit (pkg_cleanup).
pkg_undo() {
    if [ "$INSTALLED" = yes ]; then
        say "cleanup: purging $PKG"
        DEBIAN_FRONTEND=noninteractive apt_get purge -y -q "$PKG" >/dev/null 2>&1
        INSTALLED=no
    fi
    [ "$OWN_POLICY" = yes ] && rm -f "$POLICY"
    if [ -n "$W" ] && [ -d "$W" ]; then
        if [ -n "${KEEP_TMP:-}" ]; then say "KEEP_TMP: build directory kept: $W"; else rm -rf -- "$W"; fi
    fi
    return 0
}

pkg_cleanup() {
    local rc=$?
    trap - EXIT
    set +e
    pkg_undo
    exit "$rc"
}
trap pkg_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { say "FAIL: $*"; exit 1; }
die() { say "ERROR: $*"; exit 99; }
expect() {  # OUTPUT LINE: OUTPUT must contain LINE exactly
    grep -qxF -- "$2" <<<"$1" || fail "expected line '$2' in:
$1"
}

# --- tools -----------------------------------------------------------------

step "installing what building and testing the package needs"
export DEBIAN_FRONTEND=noninteractive
# Build dependencies of the tree, slapd, ldap-utils, miltertest; it keeps
# postinst scripts from starting server instances.
bash "$top_srcdir/tests/install-deps.sh" || die "tests/install-deps.sh failed"
extra=()
for p in build-essential dpkg-dev debhelper lintian; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || extra+=("$p")
done
if [ ${#extra[@]} -gt 0 ]; then
    apt_get install -y -q --no-install-recommends "${extra[@]}" >/dev/null ||
        { apt_get update -q >/dev/null && apt_get install -y -q --no-install-recommends "${extra[@]}"; } ||
        die "cannot install ${extra[*]}"
fi

# Nothing the package's maintainer scripts do may start a service here.
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    OWN_POLICY=yes
fi
printf 'PID 1 is %s%s\n' "$(ps -p 1 -o comm= 2>/dev/null || echo '?')" \
    "$([ -d /run/systemd/system ] && echo ', systemd is running' || echo ', no systemd: the postinst starts nothing')"

# --- build -----------------------------------------------------------------

step "building the package in a copy of the tree"
W=$(mktemp -d "${TMPDIR:-/tmp}/sendas-pkg.XXXXXX") || die "mktemp failed"
chmod 755 "$W"  # apt's sandbox user reads the .deb from here
upstream=$(cd "$top_srcdir" && dpkg-parsechangelog -S Version) || die "cannot read debian/changelog"
upstream=${upstream%-*}
src=$W/$PKG-$upstream
mkdir -p "$src"
# The tree's sources as they are now, without build products: what git
# tracks or would track; without git, what .gitignore does not exclude.
if git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$src" || die "copying the tree failed"
else
    tar -C "$top_srcdir" --exclude-vcs --exclude-vcs-ignores -cf - . | tar -xf - -C "$src" ||
        die "copying the tree failed"
fi

# debian/control is the truth about build dependencies.
if ! (cd "$src" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
    (cd "$src" && apt_get build-dep -y -q "$src") >"$W/build-dep.log" 2>&1 ||
        { cat "$W/build-dep.log" >&2; die "cannot install the build dependencies"; }
fi

# The source package too, for lintian's source checks (debian/watch,
# debian/upstream/metadata, debian/tests): the orig tarball is the tree
# without debian/, made before the build leaves its products in the tree.
tar -C "$W" --exclude="$PKG-$upstream/debian" -czf "$W/${PKG}_$upstream.orig.tar.gz" "$PKG-$upstream" ||
    die "cannot make the orig tarball"
(cd "$src" && dpkg-source -b .) >"$W/source.log" 2>&1 || { cat "$W/source.log" >&2; fail "dpkg-source -b failed"; }
dsc=$(ls "$W"/${PKG}_*.dsc 2>/dev/null | head -n 1)

build_started=$SECONDS
if [ -n "${SENDAS_PKG_DIR:-}" ]; then
    # Reuse a build (developing this script): the .deb, .changes and the
    # files they list are taken from there.
    echo "SENDAS_PKG_DIR: not building, using the packages in $SENDAS_PKG_DIR"
    cp -p "$SENDAS_PKG_DIR"/${PKG}*_*.deb "$SENDAS_PKG_DIR"/${PKG}_*.changes "$SENDAS_PKG_DIR"/${PKG}_*.buildinfo "$W"/ ||
        die "no packages in $SENDAS_PKG_DIR"
    : >"$W/build.log"
elif ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
    tail -n 60 "$W/build.log" >&2
    fail "dpkg-buildpackage failed (log above)"
fi
echo "dpkg-buildpackage -us -uc -b: $((SECONDS - build_started)) s"
if grep -E '(warning|Warning): ' "$W/build.log" | grep -v '^dpkg-' >&2; then
    say "note: the build printed warnings (above)"
fi
deb=$(ls "$W"/${PKG}_*.deb 2>/dev/null | head -n 1)
changes=$(ls "$W"/${PKG}_*.changes 2>/dev/null | head -n 1)
[ -f "$deb" ] && [ -f "$changes" ] || fail "no .deb or .changes in $W"

step "lintian"
lint=$(lintian --pedantic --display-info --show-overrides "$dsc" "$changes" 2>&1 | grep -v '^running with root privileges')
printf '%s\n' "${lint:-(no tags)}"
if grep -q '^E: ' <<<"$lint"; then
    fail "lintian reports errors"
fi

step "dpkg -c $(basename "$deb")"
listing=$(dpkg -c "$deb") || fail "dpkg -c failed"
printf '%s\n' "$listing"
grep -q ' \./usr/sbin/sendas-milter$' <<<"$listing" || fail "the package has no /usr/sbin/sendas-milter"

# --- install ---------------------------------------------------------------

step "installing $(basename "$deb") with apt"
INSTALLED=yes
apt_get install -y -q "$deb" >"$W/install.log" 2>&1 || { cat "$W/install.log" >&2; fail "apt-get install failed"; }

# The checks of the installed package: the DEP-8 test, run here too.
step "debian/tests/installed"
MILTER_PROBE=${MILTER_PROBE:-$top_builddir/tests/tools/milter-probe}
[ -x "$MILTER_PROBE" ] || MILTER_PROBE=$src/tests/tools/milter-probe  # built by the package's make check
[ -x "$MILTER_PROBE" ] || die "no milter-probe: build it with make check, or set MILTER_PROBE"
MILTER_PROBE=$MILTER_PROBE AUTOPKGTEST_ARTIFACTS=$W bash "$top_srcdir/debian/tests/installed" ||
    fail "debian/tests/installed failed"

# --- purge -------------------------------------------------------------------

step "apt-get purge $PKG"
apt_get purge -y -q "$PKG" >"$W/purge.log" 2>&1 || { cat "$W/purge.log" >&2; fail "apt-get purge failed"; }
INSTALLED=no
left=()
status=$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)
case $status in "" | *not-installed) ;; *) left+=("dpkg still lists $PKG as '$status'") ;; esac
for path in /usr/sbin/sendas-milter /usr/sbin/sendasctl /etc/sendas-milter \
    /lib/systemd/system/sendas-milter.service /usr/share/doc/sendas-milter \
    /usr/share/man/man8/sendas-milter.8.gz /usr/share/man/man5/sendas-milter.conf.5.gz \
    /usr/share/man/man8/sendasctl.8.gz /var/spool/postfix/sendas-milter \
    /etc/systemd/system/multi-user.target.wants/sendas-milter.service; do
    [ -e "$path" ] && left+=("$path")
done
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
echo "purged: no files left; the system user stays (Debian practice): $(getent passwd sendas-milter)"

step "PASS: build, lintian, install, accept/reject through the installed daemon, reload, purge"
echo "tests/package.sh took $((SECONDS - started)) s"
exit 0
