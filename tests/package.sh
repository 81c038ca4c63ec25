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

# What this script changed on the machine, undone; the harness's exit
# trap runs it (on_exit) once the harness is loaded, pkg_cleanup before.
pkg_undo() {
    if [ -n "${MILTER_PID:-}" ] && declare -F _terminate >/dev/null; then
        _terminate "$MILTER_PID"
        MILTER_PID=
    fi
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
lint=$(lintian --pedantic --display-info --show-overrides "$changes" 2>&1 | grep -v '^running with root privileges')
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

/usr/sbin/sendas-milter --version | grep -qxF "sendas-milter $upstream" ||
    fail "installed sendas-milter --version: $(/usr/sbin/sendas-milter --version 2>&1)"
getent passwd sendas-milter >/dev/null || fail "no system user sendas-milter"
getent group sendas-milter >/dev/null || fail "no group sendas-milter"
mode_is() {  # PATH "OWNER:GROUP MODE"
    [ "$(stat -c '%U:%G %a' "$1" 2>&1)" = "$2" ] || fail "$1 is $(stat -c '%U:%G %a' "$1" 2>&1), expected $2"
}
mode_is "$CONF" "root:sendas-milter 640"
dpkg-query -W -f='${Conffiles}\n' "$PKG" | grep -q " $CONF " || fail "$CONF is not a conffile"
UNIT=/lib/systemd/system/sendas-milter.service
[ -f "$UNIT" ] || fail "no systemd unit"
for line in Type=notify User=sendas-milter Group=sendas-milter RuntimeDirectory=sendas-milter \
    CapabilityBoundingSet= ReadWritePaths=-/var/spool/postfix/sendas-milter; do
    grep -qxF "$line" "$UNIT" || fail "the unit lacks the line $line"
done
[ ! -e /etc/systemd/system/multi-user.target.wants/sendas-milter.service ] ||
    fail "the unit was enabled on installation; it must wait until configured"
postfix_member=no
if getent passwd postfix >/dev/null; then
    id -nG postfix | tr ' ' '\n' | grep -qx sendas-milter || fail "postfix is not in group sendas-milter"
    postfix_member=yes
fi
if [ -d /var/spool/postfix ]; then
    # The daemon, not root, creates the socket there.
    mode_is /var/spool/postfix/sendas-milter "sendas-milter:sendas-milter 750"
fi
echo "installed: user and group sendas-milter, $CONF root:sendas-milter 0640, unit (Type=notify," \
    "User=sendas-milter, no capabilities) installed disabled, postfix in group: $postfix_member"

# The unit's sandbox as systemd rates it (--offline: no running systemd needed).
if systemd-analyze security --offline=yes "$UNIT" >"$W/security.txt" 2>&1; then
    grep -F '✗' "$W/security.txt" || true
    tail -n 1 "$W/security.txt"
else
    echo "systemd-analyze security --offline=yes failed: $(tail -n 3 "$W/security.txt")"
fi

# check_unit_under_systemd: only where systemd is PID 1. The unit as
# shipped, pointed at the test's slapd by a runtime drop-in (PrivateTmp
# hides $T from it, so the socket is the default one in /run): `systemctl
# start` must return with the socket accepting connections (Type=notify),
# the daemon running as sendas-milter; reload and stop must succeed.
check_unit_under_systemd() {
    local dropin=/run/systemd/system/sendas-milter.service.d opts pid out
    opts="-c $CONF --ldap.uri $SLAPD_URI --ldap.timeout 2"
    mkdir -p "$dropin"
    printf '[Service]\nExecStartPre=\nExecStartPre=/usr/sbin/sendas-milter -t %s\nExecStart=\nExecStart=/usr/sbin/sendas-milter -f %s\n' \
        "$opts" "$opts" >"$dropin/test.conf"
    on_exit sh -c "systemctl stop sendas-milter; rm -rf $dropin; systemctl daemon-reload"
    systemctl daemon-reload
    systemctl start sendas-milter || { journalctl -u sendas-milter -n 30 --no-pager >&2; fail "systemctl start failed"; }
    # No wait: Type=notify returned only after READY=1.
    out=$(MILTER_SOCKET=unix:/run/sendas-milter/milter.sock probe alice) || fail "probe right after systemctl start: $out"
    expect "$out" "result accept"
    [ "$(systemctl show -p Type --value sendas-milter)" = notify ] || fail "the unit is not Type=notify"
    pid=$(systemctl show -p MainPID --value sendas-milter)
    [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$(id -u sendas-milter)" ] ||
        fail "the unit's daemon does not run as sendas-milter"
    systemctl reload sendas-milter || fail "systemctl reload failed"
    [ "$(systemctl show -p ActiveState --value sendas-milter)" = active ] || fail "not active after reload"
    systemd-analyze security sendas-milter | tail -n 1
    systemctl stop sendas-milter || fail "systemctl stop failed"
    echo "systemd: start returned with the socket accepting connections; reload and stop succeeded"
}

# --- run the installed daemon as the unit does -----------------------------

step "running /usr/sbin/sendas-milter as sendas-milter with $CONF against a private slapd"
export SENDAS_MILTER=/usr/sbin/sendas-milter
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
require_stack slapd
on_exit pkg_undo  # the harness's exit trap replaced pkg_cleanup
start_slapd

MILTER_PROBE=${MILTER_PROBE:-$top_builddir/tests/tools/milter-probe}
[ -x "$MILTER_PROBE" ] || MILTER_PROBE=$src/tests/tools/milter-probe  # built by the package's make check
[ -x "$MILTER_PROBE" ] || die "no milter-probe: build it with make check, or set MILTER_PROBE"
install -m 755 "$MILTER_PROBE" "$T/milter-probe"
# $T/run stands for /run/sendas-milter as systemd makes it (RuntimeDirectory=).
chmod 711 "$T"
install -d -m 750 -o sendas-milter -g sendas-milter "$T/run"
# The unit's identity: user sendas-milter and its groups, no capabilities.
as_unit() { setpriv --reuid=sendas-milter --regid=sendas-milter --init-groups --inh-caps=-all -- "$@"; }

# The bind password as README.Debian says: 0400, the daemon's user's alone.
install -m 0400 -o sendas-milter -g sendas-milter /dev/null "$T/ldap.password"
printf '%s\n' "$LDAP_ROOTPW" >"$T/ldap.password"
mode_is "$T/ldap.password" "sendas-milter:sendas-milter 400"
as_unit cat "$T/ldap.password" >/dev/null || fail "the user sendas-milter cannot read its password file"
if [ "$postfix_member" = yes ]; then
    ! runuser -u postfix -- cat "$T/ldap.password" >/dev/null 2>&1 ||
        fail "the postfix user reads the daemon's password file"
    echo "the password file: read by sendas-milter, not by postfix (a member of its group)"
fi

# The installed config, with the test's directory, socket, pid file and bind.
MILTER_SOCKET=unix:$T/run/milter.sock
overrides=(--ldap.uri "$SLAPD_URI" --ldap.timeout 2 --socket "$MILTER_SOCKET" --pidfile "$T/run/sendas-milter.pid"
    --ldap.bind_dn "$LDAP_ROOTDN" --ldap.bind_password_file "$T/ldap.password")
out=$(as_unit /usr/sbin/sendas-milter -t -c "$CONF" "${overrides[@]}" 2>&1) || fail "-t with the installed config: $out"
grep -q "configuration OK" <<<"$out" || fail "-t did not say OK: $out"
! grep -q "may read the secret" <<<"$out" || fail "-t warned about the 0400 password file: $out"

# Readiness as systemd reads it (Type=notify), from a listener on the
# socket NOTIFY_SOCKET names.
python=$(_find_tool python3)
[ -n "$python" ] || die "python3 not found (Debian package python3)"
"$python" "$top_srcdir/tests/lib/notify-listener.py" "$T/notify" "${MILTER_SOCKET#unix:}" "$T/notify.out" 120 \
    </dev/null >/dev/null 2>&1 &
on_exit _terminate $!
await_notify() {  # PATTERN COUNT: up to 10 s
    local n=100
    until [ "$(grep -cE -- "$1" "$T/notify.out" 2>/dev/null)" -ge "$2" ]; do
        n=$((n - 1))
        [ $n -gt 0 ] || fail "no '$1' (x$2) from the installed daemon: $(cat "$T/notify.out" 2>&1)"
        sleep 0.1
    done
}
await_notify '^listening$' 1

start_daemon milter "$MILTER_SOCKET" \
    as_unit env NOTIFY_SOCKET="$T/notify" /usr/sbin/sendas-milter -f -c "$CONF" "${overrides[@]}" ||
    fail "the installed daemon did not start as sendas-milter"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$MILTER_PID/status")
[ "$uid" = "$(id -u sendas-milter)" ] || fail "daemon runs as uid $uid, expected sendas-milter's"
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$MILTER_PID/status")
[ "$caps" = 0000000000000000 ] || fail "daemon has capabilities $caps"
[ "$(stat -c '%U:%G %A' "$T/run/milter.sock")" = "sendas-milter:sendas-milter srwxrwx---" ] ||
    fail "socket is $(stat -c '%U:%G %A' "$T/run/milter.sock")"
await_notify '^READY=1' 1
[ "$(grep -m 1 '^READY=1' "$T/notify.out")" = "READY=1 connect=ok" ] ||
    fail "READY=1 before the socket accepted connections: $(cat "$T/notify.out")"
echo "sd_notify: READY=1 once the socket accepts connections"

probe() {  # [runuser -u USER --] LOGIN: From: support@example.com as LOGIN
    local login=${*: -1}
    "${@:1:$#-1}" "$T/milter-probe" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=$login" \
        --macro mail:i=PKGTEST --from "<$login@example.com>" --rcpt '<friend@other.example>' \
        --header 'From: Support <support@example.com>'
}
out=$(probe alice) || fail "probe (alice): $out"
echo "alice as support@example.com:"; sed 's/^/    /' <<<"$out"
expect "$out" "result accept"
expect "$out" "addrcpt_par <support+Sent@example.com> NOTIFY=NEVER"
out=$(probe eve) || fail "probe (eve): $out"
echo "eve as support@example.com:"; sed 's/^/    /' <<<"$out"
expect "$out" "result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
if [ "$postfix_member" = yes ]; then
    # Through the group alone, as Postfix reaches it.
    out=$(probe runuser -u postfix -- eve 2>&1) || fail "probe as the postfix user: $out"
    expect "$out" "result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
    echo "the postfix user reaches the socket through group sendas-milter"
fi

# A reload as sendas-milter: the 0640 root:sendas-milter conffile and the
# 0400 password file must be readable; systemd hears RELOADING=1, READY=1.
kill -USR1 "$MILTER_PID"
n=50
until grep -q "configuration reloaded" "$MILTER_LOG"; do
    n=$((n - 1))
    [ $n -gt 0 ] || { cat "$MILTER_LOG" >&2; fail "no 'configuration reloaded' within 5 s of SIGUSR1"; }
    sleep 0.1
done
await_notify '^READY=1' 2
grep -qE '^RELOADING=1 MONOTONIC_USEC=[0-9]+$' "$T/notify.out" || fail "no RELOADING=1: $(cat "$T/notify.out")"
out=$(probe alice) || fail "probe after reload: $out"
expect "$out" "result accept"
echo "SIGUSR1: configuration reloaded by the unprivileged daemon (RELOADING=1, READY=1); decisions still work"
stop_milter || fail "the installed daemon did not stop cleanly on SIGTERM"
await_notify '^STOPPING=1$' 1
grep -F 'PKGTEST:' "$MILTER_LOG" | sed 's/^/audit: /'

# --- under systemd, where it runs ---------------------------------------------

if [ -d /run/systemd/system ]; then
    step "systemctl start sendas-milter (Type=notify)"
    check_unit_under_systemd
else
    echo "systemd is not PID 1 here: the unit itself is not started (readiness is checked above through NOTIFY_SOCKET)"
fi

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
