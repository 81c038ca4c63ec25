#!/usr/bin/env bash
# `sendasctl cache stats`: one line per daemon sharing the Redis
# ("HOST:PID: name=value ..."), then a totals line; the counters match what
# happened (hits and misses per tier, LDAP lookups, and LDAP searches as
# slapd's own log counts them). Without redis.address it says why and
# exits 69 (EX_UNAVAILABLE).
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe sendasctl
slapd_log_searches
start_slapd
start_redis
searches0=$(slapd_search_count)
start_milter "redis.address = $REDIS_ADDRESS"

stats() {
    "$SENDASCTL" -c "$MILTER_CONF" cache stats 2>&1 || fail "sendasctl cache stats failed: $("$SENDASCTL" -c "$MILTER_CONF" cache stats 2>&1)"
}
# Waits until the daemon named HOST:PID has published NAME=VALUE.
await_counter() {  # DAEMON NAME VALUE
    local n=0
    until stats | grep -q "^$1: .*\b$2=$3\b"; do
        [ $n -lt 50 ] || fail "daemon $1 did not publish $2=$3 within 5 s: $(stats)"
        sleep 0.1
        n=$((n + 1))
    done
}
field() {  # LINE NAME: the value of NAME=... in LINE
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# One cold message and two warm ones for alice, Send As support@: each
# message asks for the user and for one right.
for _ in 1 2 3; do
    [ "$(probe_result alice support@example.com)" = "result accept" ] || fail "alice as support@ not accepted"
done
d1="$(hostname):$MILTER_PID"
await_counter "$d1" local_hits 4
out=$(stats)
line=$(printf '%s\n' "$out" | grep "^$d1: ") || fail "no line for $d1 in: $out"
searches=$(($(slapd_search_count) - searches0))
want="local_hits=4 local_misses=2 redis_hits=0 redis_misses=2 ldap_lookups=2 ldap_searches=$searches stale_answers=0 redis_errors=0"
for kv in $want; do
    [ "$(field "$line" "${kv%%=*}")" = "${kv#*=}" ] || fail "expected $kv in: $line"
done
[ "$(field "$line" redis_calls)" -ge 3 ] || fail "expected redis_calls >= 3 (a read, two writes) in: $line"
total=$(printf '%s\n' "$out" | grep '^total (1 daemons): ') || fail "no totals line for 1 daemon in: $out"
[ "$(field "$total" ldap_lookups)" = 2 ] || fail "totals: $total"

# A second daemon on the same Redis: its own line, and the totals add up.
start_milter milter2 "redis.address = $REDIS_ADDRESS"
# bob as support@ through it: a miss in its own local tier, alice's records
# in Redis are no help for bob.
[ "$(MILTER_SOCKET=${MILTER_SOCKETS[milter2]} probe_result bob support@example.com)" = "result accept" ] ||
    fail "bob as support@ not accepted by the second daemon"
d2="$(hostname):${MILTER_PIDS[milter2]}"
await_counter "$d2" ldap_lookups 2
out=$(stats)
[ "$(printf '%s\n' "$out" | grep -c "^$d1: \|^$d2: ")" = 2 ] || fail "expected a line for $d1 and one for $d2: $out"
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "expected two daemon lines, a totals line and a watcher line: $out"
# ldap.watch = off (the harness's base config): no daemon watches.
printf '%s\n' "$out" | grep -qx "watcher: none (ldap.watch = off, or no daemon holds the lease)" ||
    fail "expected no watcher: $out"
total=$(printf '%s\n' "$out" | grep '^total (2 daemons): ') || fail "no totals line for 2 daemons in: $out"
[ "$(field "$total" ldap_lookups)" = 4 ] || fail "totals should add 2 + 2 LDAP lookups: $out"
[ "$(field "$total" local_hits)" = 4 ] || fail "totals should add 4 + 0 local hits: $out"
say "$out"
stop_milter milter2 || true

# Without Redis there is nothing to read the counters from.
sed '/^\[redis\]/,/^\[/{/^address = /d}' "$MILTER_CONF" >"$T/noredis.conf"
rc=0
msg=$("$SENDASCTL" -c "$T/noredis.conf" cache stats 2>&1) || rc=$?
[ "$rc" = 69 ] || fail "cache stats without redis.address: exit $rc (expected 69): $msg"
case $msg in *"neither redis.address nor redis.sentinels configured"*) ;; *) fail "cache stats without redis.address: $msg" ;; esac
stop_milter || fail "daemon did not stop cleanly"
echo PASS
