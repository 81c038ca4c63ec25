#!/usr/bin/env bash
# A warm cache asks LDAP nothing: after one message per user, further
# messages make no LDAP search (slapd's own operation log) - with the
# in-process tier (default; then no Redis read either) and with Redis alone
# (cache.local_ttl = 0).
# With Redis alone a warm message costs one Redis round trip: one HGETALL
# with the GETs of the generation and of the user's one cached rights
# record's mailbox and domain generations, in one script (Redis' INFO
# commandstats), and exactly one call in the daemon's redis_calls counter.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
slapd_log_searches
start_slapd
start_redis

# login, From: mailbox, expected result line
CASES=(
    "alice|support@example.com|result accept"
    "bob|support@example.com|result accept"
    "frank|sales@example.com|result accept"
    "alice|alice@example.com|result accept"
    "eve|support@example.com|result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
    "carol|support@example.com|result replycode 550 5.7.1 <carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right"
)

send_all() {  # every case once, each decided as expected
    local c login from want got
    for c in "${CASES[@]}"; do
        IFS='|' read -r login from want <<<"$c"
        got=$(probe_result "$login" "$from")
        [ "$got" = "$want" ] || fail "$login as $from: expected '$want', got '$got'"
    done
}

# --- in-process tier (default local_ttl) ---------------------------------
start_milter "redis.address = $REDIS_ADDRESS"
send_all
cold=$(slapd_search_count)
# The positive control: the same count saw the cold lookups.
[ "$cold" -gt 0 ] || fail "cold run: slapd counted no LDAP search"
reads0=$(redis_command_calls get hgetall hget)
for _ in 1 2 3; do send_all; done
warm=$(slapd_search_count)
reads=$(($(redis_command_calls get hgetall hget) - reads0))
[ "$warm" = "$cold" ] || fail "local tier: $((warm - cold)) LDAP searches for 18 warm messages (expected 0)"
# A hot user costs no network call at all.
[ "$reads" = 0 ] || fail "local tier: $reads Redis reads for 18 warm messages (expected 0)"
say "local tier: 18 warm messages, 0 LDAP searches, 0 Redis reads"
stop_milter || fail "daemon did not stop cleanly"

# --- Redis alone -----------------------------------------------------------
# A new daemon with an empty in-process tier and Redis still warm from above.
# usage.record = no: the usage recorder's batched writes are Redis calls
# of their own, off the message path; the count below is the cache's.
start_milter "redis.address = $REDIS_ADDRESS" "cache.local_ttl = 0" "usage.record = no"
# Positive control for this daemon: a login nobody asked about yet is a
# cold lookup, and the count sees it.
before=$(slapd_search_count)
probe_result dave support@example.com >/dev/null
[ "$(slapd_search_count)" -gt "$before" ] || fail "Redis alone: a cold login made no LDAP search"
before=$(slapd_search_count)
send_all
after=$(slapd_search_count)
[ "$after" = "$before" ] ||
    fail "Redis alone, new daemon over a warm Redis: $((after - before)) LDAP searches for 6 messages (expected 0)"
for _ in 1 2; do send_all; done
after=$(slapd_search_count)
[ "$after" = "$before" ] || fail "Redis alone: $((after - before)) LDAP searches for 18 warm messages (expected 0)"
say "Redis alone: 18 warm messages, 0 LDAP searches"

# Per message: Redis commands, and round trips as the daemon counts them.
# The daemon publishes its counters every ~2 s (itself one HSET+EXPIRE round
# trip, counted in redis_calls from the next publication on): sample at
# publications, and take the publications out by their HSETs.
published_calls=
await_publication() {  # sets published_calls to a newly published redis_calls
    local last now n=0
    last=$(milter_stat redis_calls)
    while [ $n -lt 100 ]; do
        sleep 0.05
        now=$(milter_stat redis_calls)
        if [ "$now" != "$last" ]; then
            published_calls=$now
            return 0
        fi
        n=$((n + 1))
    done
    fail "the daemon published no stats for 5 s"
}
messages=${#CASES[@]}
await_publication
calls0=$published_calls
hset0=$(redis_command_calls hset)
reads0=$(redis_command_calls hgetall hget)
gets0=$(redis_command_calls get)
searches0=$(slapd_search_count)
send_all
reads1=$(redis_command_calls hgetall hget)
gets1=$(redis_command_calls get)
await_publication
calls1=$published_calls
hset1=$(redis_command_calls hset)
[ "$(slapd_search_count)" = "$searches0" ] || fail "Redis alone: LDAP searched during the measured messages"
reads=$((reads1 - reads0))
gets=$((gets1 - gets0))
trips=$((calls1 - calls0 - (hset1 - hset0)))
say "Redis alone, $messages warm messages: $reads HGETALL/HGET, $gets GET, $trips round trips (redis_calls)"
[ "$reads" = "$messages" ] || fail "expected $messages HGETALL/HGET for $messages warm messages, Redis counted $reads"
[ "$gets" = $((3 * messages)) ] ||
    fail "expected three GETs (the generation, the mailbox's and the domain's) per warm message, Redis counted $gets"
[ "$trips" = "$messages" ] || fail "expected one Redis round trip per warm message, the daemon counted $trips"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
