#!/usr/bin/env bash
# Redis behind Sentinel: one master, one replica, three sentinels, an ACL
# user and the default user switched off. The daemon has no redis.address:
# it finds the master through redis.sentinels and redis.master_name and
# logs in as redis.user. The master is killed under load: every decision
# stays right while the sentinels promote the replica (LDAP answers
# directly meanwhile), send counts made before the kill survive on the new
# master, and afterwards the daemon caches in the new master and hears
# flushes through it.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
_need REDIS_SENTINEL redis-sentinel redis-sentinel
start_slapd

PASSWORD=sentinel-test-secret
printf '%s\n' "$PASSWORD" >"$T/redis.pw"
chmod 600 "$T/redis.pw"
ACL=(--user default off --user sendas on ">$PASSWORD" '~*' '&*' '+@all')
declare -A PIDS PORTS

# launch NAME COMMAND...: a server of this test, stopped at exit.
launch() {
    local name=$1
    shift
    "$@" </dev/null >>"$T/$name.out" 2>&1 &
    PIDS[$name]=$!
    on_exit _terminate "${PIDS[$name]}"
}
rcli() {  # PORT ARG...: as the ACL user
    "$REDIS_CLI" -h 127.0.0.1 -p "$1" --user sendas --pass "$PASSWORD" --no-auth-warning "${@:2}"
}
scli() { "$REDIS_CLI" -h 127.0.0.1 -p "$1" "${@:2}"; }  # PORT ARG...: a sentinel
start_redis_node() {  # NAME [ARG...]
    local name=$1
    shift
    PORTS[$name]=$(pick_port)
    launch "$name" "$REDIS_SERVER" --port "${PORTS[$name]}" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" \
        --set-proc-title no --logfile "$T/$name.log" "${ACL[@]}" --masteruser sendas --masterauth "$PASSWORD" "$@"
    wait_for 100 eval '[ "$(rcli "${PORTS[$name]}" ping 2>/dev/null)" = PONG ]' || fail "$name did not start"
}
start_redis_node master
start_redis_node replica --replicaof 127.0.0.1 "${PORTS[master]}"
wait_for 100 eval 'rcli "${PORTS[master]}" info replication | grep -q "^connected_slaves:1"' ||
    fail "the replica did not attach to the master"

SENTINELS=
for i in 1 2 3; do
    PORTS[sentinel$i]=$(pick_port)
    cat >"$T/sentinel$i.conf" <<EOF
port ${PORTS[sentinel$i]}
bind 127.0.0.1
dir $T
logfile $T/sentinel$i.log
set-proc-title no
sentinel monitor mymaster 127.0.0.1 ${PORTS[master]} 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
sentinel auth-user mymaster sendas
sentinel auth-pass mymaster $PASSWORD
EOF
    launch "sentinel$i" "$REDIS_SENTINEL" "$T/sentinel$i.conf"
    SENTINELS="$SENTINELS 127.0.0.1:${PORTS[sentinel$i]}"
done
master_port_at() { scli "$1" sentinel get-master-addr-by-name mymaster 2>/dev/null | sed -n 2p; }
# A failover needs the sentinels to know each other (they meet on the
# master within a few seconds).
for i in 1 2 3; do
    wait_for 150 eval '[ "$(scli "${PORTS[sentinel'$i']}" sentinel sentinels mymaster 2>/dev/null | grep -c "^name$")" -ge 2 ]' ||
        fail "sentinel $i did not meet the other two"
done

start_milter "redis.sentinels =$SENTINELS" "redis.master_name = mymaster" "redis.user = sendas" \
    "redis.password_file = $T/redis.pw" "redis.timeout = 0.5" "limits.per_user_mailbox = 1000/1h"

# --- before the failover: the master the sentinels name is the one used ------
[ "$(probe_result alice support@example.com)" = "result accept" ] || fail "alice as support refused"
wait_for 30 eval '[ "$(rcli "${PORTS[master]}" exists sendas:v1:u:alice)" = 1 ]' ||
    fail "no cache record for alice in the master the sentinels name"
# The default user is off: a client without the ACL user cannot even PING.
[ "$(scli "${PORTS[master]}" ping 2>&1)" != PONG ] || fail "the default user still works: redis.user proves nothing"
for n in $(seq 19); do probe_result alice support@example.com >/dev/null; done
count_key=$(rcli "${PORTS[master]}" --scan --pattern 'sendas:v1:sends:*' | head -n 1)
[ -n "$count_key" ] || fail "no send-limit list in the master"
[ "$(rcli "${PORTS[master]}" llen "$count_key")" = 20 ] || fail "master counts $(rcli "${PORTS[master]}" llen "$count_key") messages, not 20"
# The documented window: counts not yet replicated when the master dies.
wait_for 30 eval '[ "$(rcli "${PORTS[replica]}" llen "$count_key")" = 20 ]' || fail "the replica did not receive the counts"

# --- the master killed under load --------------------------------------------
load() {  # messages for 12 s, one verdict a line
    local end=$(($(date +%s) + 12))
    while [ "$(date +%s)" -lt "$end" ]; do
        printf 'alice %s\n' "$(probe_result alice support@example.com)"
        printf 'eve %s\n' "$(probe_result eve support@example.com)"
    done >"$T/verdicts"
}
load &
LOAD=$!
sleep 2
kill -KILL "${PIDS[master]}"
say "master killed"
wait_for 200 eval '[ "$(master_port_at "${PORTS[sentinel1]}")" = "${PORTS[replica]}" ]' ||
    fail "the sentinels did not promote the replica within 20 s"
say "sentinels name the former replica"
wait "$LOAD" || fail "the load generator failed"
total=$(wc -l <"$T/verdicts")
[ "$total" -gt 20 ] || fail "only $total messages during the failover: the load proves nothing"
wrong=$(grep -v -e '^alice result accept$' -e '^eve result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>$' \
    "$T/verdicts" || true)
[ -z "$wrong" ] || fail "wrong or undecided verdicts during the failover: $(printf '%s' "$wrong" | sort | uniq -c)"
say "$total messages decided during the failover, all correctly"

# --- after: the promoted replica is the cache and the flush channel ----------
wait_for 100 eval '[ "$(probe_result bob support@example.com)" = "result accept" ] &&
    [ "$(rcli "${PORTS[replica]}" exists sendas:v1:u:bob)" = 1 ]' ||
    fail "the daemon does not cache in the promoted replica"
wait_for 100 eval '[ "$(rcli "${PORTS[replica]}" pubsub numsub sendas:v1:flush | sed -n 2p)" -ge 1 ]' ||
    fail "the daemon's flush listener did not move to the promoted replica"
after=$(rcli "${PORTS[replica]}" llen "$count_key")
[ "$after" -ge 20 ] || fail "send counts lost in the failover: $after of at least 20"
grep -q "warning: Redis master mymaster of sentinels" "$MILTER_LOG" ||
    fail "the outage was not logged under the master's name"
say "after the failover: cache, flushes and $after send counts on the promoted replica"
