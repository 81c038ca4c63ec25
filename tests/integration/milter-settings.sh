#!/usr/bin/env bash
# The operations keys reach what they steer: log_level = debug logs each
# message's lookup path (and info does not), milter.timeout drops a client
# that stalls longer, milter.backlog is the listening socket's backlog.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
command -v ss >/dev/null || skip "ss not found (install iproute2)"
start_slapd

# log_level = debug: the user, the address with its right and group path,
# and the LDAP searches it cost; the same lookup again costs none.
start_milter "log_level = debug"
[ "$(probe_result alice support@example.com Q1)" = "result accept" ] || fail "alice as support@ not accepted"
[ "$(probe_result alice support@example.com Q2)" = "result accept" ] || fail "alice as support@ again"
grep -qxF "debug: Q1: lookup user=<alice> status=found dn=<uid=alice,ou=people,$LDAP_BASE>" "$MILTER_LOG" ||
    fail "no debug line for the user: $(grep lookup "$MILTER_LOG")"
grep -qE "^debug: Q1: lookup address=<support@example.com> status=found right=send-as path=<uid=alice,ou=people,$LDAP_BASE>,.*<cn=support@example.com,ou=send-as," \
    "$MILTER_LOG" || fail "no debug line with the group path: $(grep lookup "$MILTER_LOG")"
grep -qE '^debug: Q1: lookup ldap_searches=[1-9]' "$MILTER_LOG" || fail "cold lookup cost no search: $(grep lookup "$MILTER_LOG")"
grep -qxF 'debug: Q2: lookup ldap_searches=0' "$MILTER_LOG" || fail "warm lookup: $(grep 'Q2: lookup' "$MILTER_LOG")"
# log_level = info (a reload applies it): the audit line, no debug line.
write_milter_config "$MILTER_CONF" "log_level = info"
kill -USR1 "$MILTER_PID"
n=50
while [ $n -gt 0 ] && ! grep -q "configuration reloaded" "$MILTER_LOG"; do sleep 0.1; n=$((n - 1)); done
[ "$(probe_result alice support@example.com Q3)" = "result accept" ] || fail "alice as support@ after the reload"
grep -q "^Q3: user=<alice> from=<support@example.com> .*right=send-as action=accept" "$MILTER_LOG" ||
    fail "no audit line for Q3"
[ "$(grep -c "Q3: lookup" "$MILTER_LOG")" -eq 0 ] || fail "debug lines at log_level = info: $(grep 'Q3: lookup' "$MILTER_LOG")"
[ "$(grep -c "Q1: lookup" "$MILTER_LOG")" -ge 3 ] || fail "the count of debug lines sees none"
stop_milter || fail "daemon did not stop cleanly"

# stalled PORT SECONDS: connects, sends the first 2 of a command's 4 length
# bytes and stalls; "closed" when the daemon drops the connection within
# SECONDS, else "open". (Between whole commands libmilter's worker pool
# checks idle connections only every 10 minutes.)
stalled() {
    local rc=0 line
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf '\0\0' >&3
    IFS= read -r -t "$2" -u 3 line || rc=$?
    exec 3<&-
    [ $rc -gt 128 ] && echo open || echo closed
}
backlog() {  # PORT: Send-Q of the listening socket, its backlog
    ss -Hltn "sport = :$1" | awk '{ print $3 }'
}

# Defaults: libmilter waits 7210 s, the backlog is SOMAXCONN (capped by the kernel).
port=$(pick_port)
start_milter "socket = inet:$port@127.0.0.1"
[ "$(stalled "$port" 4)" = open ] || fail "default milter.timeout: a stalled client was dropped within 4 s"
somaxconn=$(cat /proc/sys/net/core/somaxconn)
want=$((somaxconn < 4096 ? somaxconn : 4096))
[ "$(backlog "$port")" = "$want" ] || fail "default backlog: $(backlog "$port"), expected $want"
stop_milter || fail "daemon did not stop cleanly"

port=$(pick_port)
start_milter "socket = inet:$port@127.0.0.1" "milter.timeout = 2" "milter.backlog = 7"
start=$SECONDS
[ "$(stalled "$port" 10)" = closed ] || fail "milter.timeout = 2: a stalled client was kept 10 s"
[ $((SECONDS - start)) -ge 1 ] || fail "milter.timeout = 2: dropped at once"
[ "$(backlog "$port")" = 7 ] || fail "milter.backlog = 7: the socket's backlog is $(backlog "$port")"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
