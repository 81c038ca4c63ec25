#!/usr/bin/env bash
# Redis killed mid-run: mail is still decided, and correctly (LDAP
# directly), each message within redis.timeout; the daemon logs one warning
# for the outage, not one per message. Redis restarted on the same port:
# "available again" is logged and Redis is used again. A second outage
# gets its own (single) warning.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
slapd_log_searches
start_slapd
start_redis
# local_ttl = 0: every message goes to Redis, so the outage is felt at once.
TIMEOUT=0.5
start_milter "redis.address = $REDIS_ADDRESS" "redis.timeout = $TIMEOUT" "cache.local_ttl = 0"
# Redis refuses at once when down; a decision may still take LDAP's time on
# a loaded machine: the bound is redis.timeout plus this much.
MARGIN_MS=${MARGIN_MS:-1500}
LIMIT_MS=$(awk -v t="$TIMEOUT" -v m="$MARGIN_MS" 'BEGIN { printf "%d", t * 1000 + m }')

CASES=(
    "alice|support@example.com|result accept"
    "bob|support@example.com|result accept"
    "eve|support@example.com|result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
    "carol|support@example.com|result replycode 550 5.7.1 <carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right"
)
now_ms() { date +%s%3N; }
slowest=0
send_all() {  # every case once: decided as expected, within LIMIT_MS
    local c login from want got t0 took
    for c in "${CASES[@]}"; do
        IFS='|' read -r login from want <<<"$c"
        t0=$(now_ms)
        got=$(probe_result "$login" "$from")
        took=$(($(now_ms) - t0))
        [ "$got" = "$want" ] || fail "$1: $login as $from: expected '$want', got '$got'"
        [ "$took" -le "$LIMIT_MS" ] || fail "$1: $login as $from took $took ms (limit $LIMIT_MS ms)"
        [ "$took" -le "$slowest" ] || slowest=$took
    done
}
warnings() { grep -c 'warning: Redis .* unavailable' "$MILTER_LOG" || true; }
recoveries() { grep -c "Redis $REDIS_ADDRESS available again" "$MILTER_LOG" || true; }

send_all "Redis up"
send_all "Redis up, warm"
[ "$(warnings)" = 0 ] || fail "Redis warning while Redis was up"

# --- outage 1: killed ------------------------------------------------------
stop_redis KILL
# Over more than two breaker back-off periods (2 s each).
end=$(($(date +%s) + 5))
rounds=0
while [ "$(date +%s)" -lt "$end" ] || [ $rounds -lt 3 ]; do
    send_all "Redis killed"
    rounds=$((rounds + 1))
done
say "Redis killed: $((rounds * ${#CASES[@]})) messages decided, slowest $slowest ms"
[ "$(warnings)" = 1 ] || fail "expected one Redis warning for the outage, got $(warnings)"

# --- back ------------------------------------------------------------------
restart_redis || fail "Redis did not restart"
reads0=$(redis_command_calls hgetall hget)
n=0
while [ "$(recoveries)" = 0 ]; do
    [ $n -lt 50 ] || fail "no 'available again' line within 5 s of the restart"
    send_all "Redis restarted"
    sleep 0.1
    n=$((n + 1))
done
send_all "Redis restarted"
reads1=$(redis_command_calls hgetall hget)
[ "$reads1" -gt "$reads0" ] || fail "Redis is not read again after its restart"
[ "$(redis_cli exists sendas:v1:u:alice)" = 1 ] || fail "Redis is not written again after its restart"
[ "$(recoveries)" = 1 ] || fail "expected one recovery line, got $(recoveries)"
# Warm again: answers come from Redis, not LDAP. The count does count:
# alice was looked up in LDAP while Redis was down.
searches=$(slapd_search_count '(uid=alice)')
[ "$searches" -gt 0 ] || fail "slapd counted no search for alice, though Redis was down"
send_all "Redis back, warm"
[ "$(slapd_search_count '(uid=alice)')" = "$searches" ] || fail "Redis back, warm: alice looked up in LDAP again"

# --- outage 2: its own single warning -------------------------------------
stop_redis
for _ in 1 2 3; do send_all "Redis stopped again"; done
[ "$(warnings)" = 2 ] || fail "expected a second warning for the second outage, total 2, got $(warnings)"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
