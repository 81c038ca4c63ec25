#!/usr/bin/env bash
# Redis hangs under a burst: more concurrent messages than redis.pool_size
# connections. Each message is still decided within redis.timeout (plus a
# margin for LDAP and a loaded machine) - waiting for a pooled connection
# and then for the hung server must not add up to twice the timeout.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
start_slapd
start_redis
TIMEOUT=2  # long, so that one timeout and two are far apart
POOL=2
N=6
MARGIN_MS=${MARGIN_MS:-1200}
LIMIT_MS=$((TIMEOUT * 1000 + MARGIN_MS))
start_milter "redis.address = $REDIS_ADDRESS" "redis.timeout = $TIMEOUT" "redis.pool_size = $POOL" \
    "cache.local_ttl = 0"
now_ms() { date +%s%3N; }

[ "$(probe_result alice support@example.com)" = "result accept" ] || fail "alice as support@ not accepted"
pause_redis
pids=
for i in $(seq 1 $N); do
    (
        t0=$(now_ms)
        got=$(probe_result alice support@example.com "B$i")
        printf '%s %s\n' "$(($(now_ms) - t0))" "$got" >"$T/burst.$i"
    ) &
    pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids || true
resume_redis
times=
for i in $(seq 1 $N); do
    read -r took got <"$T/burst.$i" || fail "message $i: no result"
    [ "$got" = "result accept" ] || fail "message $i: '$got'"
    times="$times $took"
done
say "$N concurrent messages, pool of $POOL, Redis hung (redis.timeout ${TIMEOUT}s): ms each:$times"
for took in $times; do
    [ "$took" -le "$LIMIT_MS" ] || fail "a message took $took ms with Redis hung (redis.timeout ${TIMEOUT}s, limit $LIMIT_MS ms):$times"
done
stop_milter || fail "daemon did not stop cleanly"
echo PASS
