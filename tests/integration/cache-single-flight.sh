#!/usr/bin/env bash
# Single flight: with a cold cache, N concurrent connections for one user
# make one LDAP user search, not N. slapd is paused (SIGSTOP) while the
# connections arrive, so they all miss the cache together and wait behind
# the first one's search; then it is resumed. A second warm burst makes no
# search at all.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
slapd_log_searches
start_slapd
start_redis
N=${N:-20}
# ldap.timeout well above the pause, so the paused search is not given up.
start_milter "redis.address = $REDIS_ADDRESS" "ldap.timeout = 15"

USER_FILTER='(uid=alice)'
# The rights search names the address's groups and its domain's (@example.com).
RIGHTS_FILTER='base="ou=mailbox-rights,dc=example,dc=com" scope=2 deref=0 filter="(|(&(objectClass=groupOfNames)(cn=support@example.com))'


burst() {  # NAME: N concurrent messages alice -> support@, all accepted
    local i pids=()
    for i in $(seq 1 "$N"); do
        probe_message alice support@example.com "$1$i" --timeout 30 >"$T/$1.$i.out" 2>&1 &
        pids+=("$!")
    done
    printf '%s\n' "${pids[@]}" >"$T/$1.pids"
}
burst_wait() {  # NAME
    local pid i bad=0
    while read -r pid; do wait "$pid" || bad=$((bad + 1)); done <"$T/$1.pids"
    [ "$bad" = 0 ] || fail "$1: $bad of $N probes failed: $(cat "$T/$1".*.out | head -n 20)"
    for i in $(seq 1 "$N"); do
        [ "$(tail -n 1 "$T/$1.$i.out")" = "result accept" ] ||
            fail "$1: message $i not accepted: $(cat "$T/$1.$i.out")"
    done
}

users0=$(slapd_search_count "$USER_FILTER")
rights0=$(slapd_search_count "$RIGHTS_FILTER")
pause_slapd
burst cold
sleep 2  # all N connected and waiting on the paused directory
resume_slapd
burst_wait cold
users=$(($(slapd_search_count "$USER_FILTER") - users0))
rights=$(($(slapd_search_count "$RIGHTS_FILTER") - rights0))
say "cold burst of $N: $users user searches, $rights rights group searches for support@"
[ "$users" = 1 ] || fail "cold burst of $N connections for alice: $users LDAP user searches (expected 1)"
# The rights lookups start together when the user answer arrives; they
# are collapsed too, unless the machine is so slow that some come late.
[ "$rights" -ge 1 ] && [ "$rights" -le 2 ] || fail "cold burst of $N connections: $rights rights lookups for support@ (expected 1)"

before=$(slapd_search_count)
burst warm
burst_wait warm
[ "$(slapd_search_count)" = "$before" ] || fail "warm burst of $N: $(($(slapd_search_count) - before)) LDAP searches"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
