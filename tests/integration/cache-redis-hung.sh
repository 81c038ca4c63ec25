#!/usr/bin/env bash
# Redis hung (SIGSTOP: connections open, no answers): every message is still
# decided correctly, within redis.timeout plus a margin, and thanks to the
# breaker (2 s back-off) at most one message per back-off period waits for
# the timeout, also when several arrive together as the back-off ends. One
# warning for the hang; SIGCONT: recovery is logged and Redis is used again.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
start_slapd
start_redis
TIMEOUT=1  # long enough to tell a message that waited for it from one that did not
start_milter "redis.address = $REDIS_ADDRESS" "redis.timeout = $TIMEOUT" "cache.local_ttl = 0"
MARGIN_MS=${MARGIN_MS:-1500}
LIMIT_MS=$((TIMEOUT * 1000 + MARGIN_MS))
BACK_OFF=2

CASES=(
    "alice|support@example.com|result accept"
    "eve|support@example.com|result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
    "frank|sales@example.com|result accept"
)
now_ms() { date +%s%3N; }
slow=0       # messages that took most of redis.timeout beyond the usual
sent=0
baseline=0   # slowest message with Redis healthy
send_all() {  # CONTEXT: every case once, decided as expected, within LIMIT_MS
    local c login from want got t0 took
    for c in "${CASES[@]}"; do
        IFS='|' read -r login from want <<<"$c"
        t0=$(now_ms)
        got=$(probe_result "$login" "$from")
        took=$(($(now_ms) - t0))
        [ "$got" = "$want" ] || fail "$1: $login as $from: expected '$want', got '$got'"
        [ "$took" -le "$LIMIT_MS" ] || fail "$1: $login as $from took $took ms (limit $LIMIT_MS ms)"
        case $1 in
        healthy) [ "$took" -le "$baseline" ] || baseline=$took ;;
        hung)
            sent=$((sent + 1))
            [ "$took" -lt $((baseline + TIMEOUT * 800)) ] || slow=$((slow + 1))
            ;;
        esac
    done
}
warnings() { grep -c 'warning: Redis .* unavailable' "$MILTER_LOG" || true; }
recoveries() { grep -c "Redis $REDIS_ADDRESS available again" "$MILTER_LOG" || true; }

for _ in 1 2 3; do send_all healthy; done

pause_redis
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt 6 ]; do send_all hung; done
elapsed=$(($(date +%s) - start + 1))
say "Redis hung ${elapsed}s: $sent messages, $slow waited for redis.timeout (healthy slowest ${baseline} ms)"
# The first message after each back-off period may wait; no other.
[ "$slow" -le $((elapsed / BACK_OFF + 1)) ] ||
    fail "$slow of $sent messages waited for redis.timeout in ${elapsed}s (breaker: at most $((elapsed / BACK_OFF + 1)))"
[ "$slow" -ge 1 ] || fail "no message waited for the hung Redis: was it hung at all?"
[ "$(warnings)" = 1 ] || fail "expected one Redis warning for the hang, got $(warnings)"

# Concurrent messages when the back-off ends: one of them tries Redis
# again, the others go on without it (the pool's contract: one timeout per
# back-off period, not one per message).
sleep $((BACK_OFF + 1))
pids=
for i in $(seq 1 8); do
    (
        t0=$(now_ms)
        got=$(probe_result alice support@example.com "C$i")
        printf '%s %s\n' "$(($(now_ms) - t0))" "$got" >"$T/concurrent.$i"
    ) &
    pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids || true
resume_redis
waited=0
for i in $(seq 1 8); do
    read -r took got <"$T/concurrent.$i" || fail "concurrent message $i: no result"
    [ "$got" = "result accept" ] || fail "concurrent message $i: '$got'"
    [ "$took" -le "$LIMIT_MS" ] || fail "concurrent message $i took $took ms (limit $LIMIT_MS ms)"
    [ "$took" -lt $((baseline + TIMEOUT * 800)) ] || waited=$((waited + 1))
done
say "8 concurrent messages after the back-off: $waited waited for redis.timeout"
[ "$waited" -le 1 ] || fail "$waited of 8 concurrent messages waited for the hung Redis after the back-off (expected at most 1)"

reads0=$(redis_command_calls hgetall hget)
n=0
while [ "$(recoveries)" = 0 ]; do
    [ $n -lt 50 ] || fail "no 'available again' line within 5 s of SIGCONT"
    send_all recovered
    sleep 0.1
    n=$((n + 1))
done
send_all recovered
[ "$(redis_command_calls hgetall hget)" -gt "$reads0" ] || fail "Redis is not read again after SIGCONT"
[ "$(warnings)" = 1 ] || fail "warnings after recovery: $(warnings)"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
