#!/usr/bin/env bash
# The daemon detached (no -f), as init scripts start it, with Redis and a
# relative -c: flushes reach it, it publishes its counters, two SIGUSR1
# reloads re-read the file and keep deciding, SIGTERM stops it and removes
# its pid file. Each of these once failed only in daemon mode.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis milter sendasctl
start_slapd
start_redis

MILTER_SOCKET=unix:$T/milter.sock
MILTER_CONF=$T/milter.conf
PIDFILE=$T/milter.pid
write_milter_config "$MILTER_CONF" "redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = 300" \
    "cache.local_ttl = 300"

# Relative -c from the test directory; the pid file names $T so that the
# exit trap recognises the process as ours. Not a child of ours: start_milter
# and stop_milter cannot wait for it.
on_exit '[ -z "$MILTER_PID" ] || _terminate "$MILTER_PID"'
(cd "$T" && "$SENDAS_MILTER" -c milter.conf --pidfile "$PIDFILE") </dev/null >"$T/start.out" 2>&1 ||
    fail "daemon did not start: $(cat "$T/start.out")"
n=100
while [ $n -gt 0 ] && { [ ! -s "$PIDFILE" ] || ! _socket_ready "$MILTER_SOCKET"; }; do
    sleep 0.1
    n=$((n - 1))
done
[ -s "$PIDFILE" ] || fail "no pid file after 10 s"
MILTER_PID=$(cat "$PIDFILE")
_pid_ours "$MILTER_PID" || fail "pid file names $MILTER_PID, not a running daemon of this test"
[ "$(sed 's/^.*) //' "/proc/$MILTER_PID/stat" | cut -d' ' -f2)" = 1 ] || fail "the daemon is not detached (ppid != 1)"

ACCEPT="result accept"
deny() { printf 'result replycode 550 5.7.1 <%s> is not allowed to send as <%s>\n' "$1" "$2"; }
expect_soon() {  # LOGIN FROM WANT WHY: within 2 s
    local got n=0
    while :; do
        got=$(probe_result "$1" "$2")
        [ "$got" = "$3" ] && return 0
        [ $n -lt 20 ] || fail "$4: $1 as $2: expected '$3' within 2 s, still '$got'"
        sleep 0.1
        n=$((n + 1))
    done
}
reload() {
    kill -USR1 "$MILTER_PID"
    sleep 0.5
    _pid_alive "$MILTER_PID" || fail "daemon died on SIGUSR1 ($1)"
}

# --- decisions, and the flush listener lives in the detached process ------
expect_soon alice support@example.com "$ACCEPT" "Send As through the nested team"
expect_soon alice sales@example.com "$(deny alice sales@example.com)" "no right yet"
printf 'dn: cn=sales@example.com,ou=send-as,ou=mailbox-rights,%s\nchangetype: modify\nadd: member\nmember: uid=alice,ou=people,%s\n' \
    "$LDAP_BASE" "$LDAP_BASE" | ldap_modify || fail "ldapmodify failed"
[ "$(probe_result alice sales@example.com)" = "$(deny alice sales@example.com)" ] ||
    fail "granted in LDAP but not flushed: the cached denial should still apply"
# Redis alone would not show the grant (the local tier keeps the denial for
# 300 s): only the pub/sub message to the detached daemon drops it.
"$SENDASCTL" -c "$MILTER_CONF" cache flush alice >/dev/null || fail "sendasctl cache flush alice"
expect_soon alice sales@example.com "$ACCEPT" "after cache flush alice (daemon mode)"

# --- its counters are published -------------------------------------------
n=50
while [ $n -gt 0 ] && [ "$(milter_stat local_hits)" -eq 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
[ "$(milter_stat local_hits)" -gt 0 ] || fail "the detached daemon published no counters"

# --- two reloads through the relative -c ----------------------------------
other() { probe_result alice someone@other.example; }
[ "$(other)" = "$(deny alice someone@other.example)" ] || fail "foreign_from = reject by default"
printf 'foreign_from = accept\n%s' "$(cat "$MILTER_CONF")" >"$MILTER_CONF.new" && mv "$MILTER_CONF.new" "$MILTER_CONF"
reload first
expect_soon alice someone@other.example "$ACCEPT" "first reload (relative -c re-read after chdir /)"
sed -i 's/^foreign_from = accept$/foreign_from = reject/' "$MILTER_CONF"
reload second
expect_soon alice someone@other.example "$(deny alice someone@other.example)" "second reload"
expect_soon alice support@example.com "$ACCEPT" "decisions after two reloads"
# The reloaded runtime has its own listener: flushes still arrive.
printf 'dn: cn=sales@example.com,ou=send-as,ou=mailbox-rights,%s\nchangetype: modify\ndelete: member\nmember: uid=alice,ou=people,%s\n' \
    "$LDAP_BASE" "$LDAP_BASE" | ldap_modify || fail "ldapmodify failed"
expect_soon alice sales@example.com "$ACCEPT" "revoked in LDAP, still cached"
"$SENDASCTL" -c "$MILTER_CONF" cache flush alice >/dev/null || fail "sendasctl cache flush alice"
expect_soon alice sales@example.com "$(deny alice sales@example.com)" "after a flush following two reloads"

# --- SIGTERM --------------------------------------------------------------
kill -TERM "$MILTER_PID"
milter_knock "$MILTER_SOCKET"
_wait_gone "$MILTER_PID" 100 || fail "detached daemon did not exit within 10 s of SIGTERM"
MILTER_PID=
[ ! -e "$PIDFILE" ] || fail "pid file left behind after SIGTERM"
echo PASS
