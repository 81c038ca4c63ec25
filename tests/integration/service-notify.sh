#!/usr/bin/env bash
# systemd readiness without systemd: the test plays the service manager's
# part of the sd_notify protocol (tests/lib/notify-listener.py on a
# datagram socket named by NOTIFY_SOCKET) and checks that the daemon says
# READY=1 only once its socket accepts connections, RELOADING=1 then
# READY=1 around a SIGUSR1 reload, and STOPPING=1 on SIGTERM; a daemon that
# cannot open its socket never says READY=1.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd milter
python=$(_find_tool python3)
[ -n "$python" ] || skip "python3 not found (Debian package python3)"
listener=$SENDAS_LIB_DIR/../lib/notify-listener.py
"$SENDAS_MILTER" --version >/dev/null
ldd "$SENDAS_MILTER" 2>/dev/null | grep -q libsystemd || skip "built without libsystemd (./configure --without-systemd)"
start_slapd

# listen NAME: a listener on $T/NAME.notify writing $T/NAME.out; prints its pid.
listen() {
    "$python" "$listener" "$T/$1.notify" "${MILTER_SOCKET#unix:}" "$T/$1.out" 60 </dev/null >/dev/null 2>&1 &
    local pid=$! n=50
    on_exit _terminate "$pid"
    until grep -qx listening "$T/$1.out" 2>/dev/null; do
        n=$((n - 1))
        [ $n -gt 0 ] || fail "the notify listener did not start"
        sleep 0.1
    done
}
# await NAME PATTERN [COUNT]: up to 10 s for COUNT (default 1) lines matching PATTERN.
await() {
    local n=100
    until [ "$(grep -cE -- "$2" "$T/$1.out")" -ge "${3:-1}" ]; do
        n=$((n - 1))
        [ $n -gt 0 ] || fail "no '$2' (x${3:-1}) from the daemon within 10 s; got: $(cat "$T/$1.out")"
        sleep 0.1
    done
}

MILTER_SOCKET=unix:$T/milter.sock
listen main
NOTIFY_SOCKET=$T/main.notify start_milter
await main '^READY=1'
[ "$(grep -m 1 '^READY=1' "$T/main.out")" = "READY=1 connect=ok" ] ||
    fail "READY=1 came before the socket accepted connections: $(cat "$T/main.out")"
[ "$(grep -c . "$T/main.out")" -eq 2 ] || fail "expected 'listening' and one READY=1 at start: $(cat "$T/main.out")"

kill -USR1 "$MILTER_PID"
await main '^READY=1' 2
sed -n '3,4p' "$T/main.out" | tr '\n' '|' | grep -qE '^RELOADING=1 MONOTONIC_USEC=[0-9]+\|READY=1 connect=ok\|$' ||
    fail "a reload should send RELOADING=1 (with MONOTONIC_USEC) then READY=1: $(cat "$T/main.out")"
grep -q "configuration reloaded" "$MILTER_LOG" || fail "READY=1 after the reload, but no reload logged"

stop_milter || fail "the daemon did not stop cleanly"
await main '^STOPPING=1$'
[ "$(tail -n 1 "$T/main.out")" = STOPPING=1 ] || fail "STOPPING=1 is not the last message: $(cat "$T/main.out")"

# The control: a socket in a directory that does not exist cannot be
# opened; the daemon exits without READY=1.
listen broken
write_milter_config "$T/broken.conf" "socket = unix:$T/no-such-dir/milter.sock"
rc=0
NOTIFY_SOCKET=$T/broken.notify timeout 20 "$SENDAS_MILTER" -f -c "$T/broken.conf" >"$T/broken.log" 2>&1 || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "the daemon with an impossible socket: exit $rc: $(cat "$T/broken.log")"
sleep 0.3  # a datagram sent just before the exit is read by now
! grep -q READY=1 "$T/broken.out" || fail "READY=1 although the socket never opened: $(cat "$T/broken.out")"
echo PASS
