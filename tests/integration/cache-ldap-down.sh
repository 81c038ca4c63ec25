#!/usr/bin/env bash
# slapd stopped:
#  - warm cache within redis.ttl: decided from the cache, not marked stale;
#  - warm cache past redis.ttl, cache.stale_ttl = 60: decided from the
#    expired entry, the audit line says stale=yes (grants and denials alike);
#  - warm cache past redis.ttl, cache.stale_ttl = 0: 451 4.7.1 tempfail;
#  - cold cache: on_directory_error (tempfail by default; reject when set).
# Each part uses its own redis.prefix, so no part reads another's records.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
start_slapd
start_redis

ACCEPT="result accept"
DENY_EVE="result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
TEMPFAIL="result replycode 451 4.7.1 sender rights cannot be verified now, try again later"
qn=0
expect() {  # LOGIN MAILBOX WANT WHY: sets $qid, the message's queue id
    local got
    qn=$((qn + 1))
    qid=Q$qn
    got=$(probe_result "$1" "$2" "$qid")
    [ "$got" = "$3" ] || fail "$4: $1 as $2: expected '$3', got '$got'"
}
audit() {  # QID: the message's audit line
    local line n=0
    while ! line=$(grep -m1 "^$1: " "$MILTER_LOG"); do
        [ $n -lt 20 ] || fail "no audit line for $1"
        sleep 0.1
        n=$((n + 1))
    done
    printf '%s\n' "$line"
}
expect_stale() {  # QID yes|no
    local line
    line=$(audit "$1")
    case "$2:$line" in
    yes:*" stale=yes"*) ;;
    no:*" stale="*) fail "audit line marked stale: $line" ;;
    yes:*) fail "audit line not marked stale=yes: $line" ;;
    esac
}
warm() {
    expect alice support@example.com "$ACCEPT" "$1, warming"
    expect_stale "$qid" no
    expect eve support@example.com "$DENY_EVE" "$1, warming"
    expect_stale "$qid" no
}
restart() {  # config lines for a new daemon
    stop_milter || fail "daemon did not stop cleanly"
    start_milter "redis.address = $REDIS_ADDRESS" "$@"
}

# --- within redis.ttl -------------------------------------------------------
start_milter "redis.address = $REDIS_ADDRESS" "redis.prefix = fresh:" "cache.local_ttl = 0" "redis.ttl = 300"
warm "fresh"
stop_slapd || fail "slapd did not stop"
expect alice support@example.com "$ACCEPT" "fresh cache, slapd down"
expect_stale "$qid" no
expect eve support@example.com "$DENY_EVE" "fresh cache, slapd down"
expect_stale "$qid" no
start_slapd_again || fail "slapd did not start again"

# --- past redis.ttl, within cache.stale_ttl --------------------------------
restart "redis.prefix = stale:" "cache.local_ttl = 0" "redis.ttl = 1" "redis.negative_ttl = 1" "cache.stale_ttl = 60"
warm "stale_ttl=60"
stop_slapd || fail "slapd did not stop"
sleep 2.1  # past redis.ttl (whole seconds) for sure
expect alice support@example.com "$ACCEPT" "expired cache, stale_ttl=60, slapd down"
expect_stale "$qid" yes
expect eve support@example.com "$DENY_EVE" "expired cache, stale_ttl=60, slapd down"
expect_stale "$qid" yes
# Own address: only the user entry is used, and it is stale.
expect alice alice@example.com "$ACCEPT" "expired cache, stale_ttl=60, slapd down, own address"
expect_stale "$qid" yes
# Never stale for a user the cache has not seen.
expect bob support@example.com "$TEMPFAIL" "stale_ttl=60, bob never cached, slapd down"
start_slapd_again || fail "slapd did not start again"
# LDAP back: fresh answers again.
expect alice support@example.com "$ACCEPT" "stale_ttl=60, slapd back"
expect_stale "$qid" no

# Only the rights entry expired (the user's was refreshed since): stale too.
restart "redis.prefix = stale2:" "cache.local_ttl = 0" "redis.ttl = 3" "redis.negative_ttl = 3" "cache.stale_ttl = 60"
expect alice support@example.com "$ACCEPT" "stale_ttl=60, rights cached"
sleep 3.1
expect alice alice@example.com "$ACCEPT" "stale_ttl=60, user refreshed"
t1=$(date +%s)
stop_slapd || fail "slapd did not stop"
expect alice support@example.com "$ACCEPT" "stale_ttl=60, rights expired, user fresh, slapd down"
if [ "$(date +%s)" -lt $((t1 + 2)) ]; then
    expect_stale "$qid" yes
else
    say "machine too slow to check a stale rights entry under a fresh user entry: skipped"
fi
start_slapd_again || fail "slapd did not start again"

# --- past redis.ttl, cache.stale_ttl = 0 -----------------------------------
restart "redis.prefix = nostale:" "cache.local_ttl = 0" "redis.ttl = 1" "redis.negative_ttl = 1" "cache.stale_ttl = 0"
warm "stale_ttl=0"
stop_slapd || fail "slapd did not stop"
sleep 2.1
expect alice support@example.com "$TEMPFAIL" "expired cache, stale_ttl=0, slapd down"
expect eve support@example.com "$TEMPFAIL" "expired cache, stale_ttl=0, slapd down"
grep -q "^$qid: .*action=tempfail" "$MILTER_LOG" || fail "no tempfail audit line for $qid: $(audit "$qid")"
# Records written under cache.stale_ttl = 60 (the stale2: part above, by a
# daemon since reconfigured, or by another host) are not served stale by a
# daemon whose cache.stale_ttl is 0.
restart "redis.prefix = stale2:" "cache.local_ttl = 0" "redis.ttl = 3" "redis.negative_ttl = 3" "cache.stale_ttl = 0"
sleep 1.1  # past the ttl of the stale2: records for sure
expect alice support@example.com "$TEMPFAIL" "stale_ttl lowered to 0, records written under stale_ttl=60, slapd down"

# --- cold cache ------------------------------------------------------------
restart "redis.prefix = cold:"
expect alice support@example.com "$TEMPFAIL" "cold cache, slapd down"
expect alice alice@example.com "$TEMPFAIL" "cold cache, slapd down, own address"
restart "redis.prefix = cold:" "on_directory_error = reject"
got=$(probe_result alice support@example.com)
case $got in
"result replycode 550 5.7.1 "*) ;;
*) fail "cold cache, slapd down, on_directory_error = reject: expected a 550 5.7.1 reject, got '$got'" ;;
esac
stop_milter || fail "daemon did not stop cleanly"
echo PASS
