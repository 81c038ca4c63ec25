#!/usr/bin/env bash
# Usage records in Redis, shared by two daemons: every accepted Send As and
# Send on Behalf message counts once for its user, mailbox and right, on
# whichever host; the first use of a right logs first_use once across both
# hosts, a day's count over alerts.daily_threshold logs one usage_alert;
# rejected mail counts nothing; `sendasctl usage` shows and filters the
# counts; a Redis outage neither refuses mail nor loses its counts.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe sendasctl
start_slapd
start_redis
config=("redis.address = $REDIS_ADDRESS" "cache.local_ttl = 0" "alerts.daily_threshold = 3")
start_milter "${config[@]}"
start_milter b "${config[@]}"
A=$MILTER_SOCKET B=${MILTER_SOCKETS[b]}
LOGS=("$MILTER_LOG" "${MILTER_LOGS[b]}")

send() {  # SOCKET LOGIN FROM QID: must be accepted
    local r
    r=$(MILTER_SOCKET=$1 probe_result "$2" "$3" "$4")
    [ "$r" = "result accept" ] || fail "$2 as $3 via $1: $r"
}
count_lines() {  # PATTERN: lines matching in both daemons' logs
    cat "${LOGS[@]}" | grep -c -- "$1" || true
}
wait_lines() {  # PATTERN N: until both logs hold N such lines (10 s)
    local i
    for i in $(seq 100); do
        [ "$(count_lines "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "expected $2 log lines matching '$1', got $(count_lines "$1")"
}
usage_csv() {  # sendasctl usage --format csv ARGS...: the rows without the header
    "$SENDASCTL" -c "$MILTER_CONF" usage --format csv "$@" | tail -n +2 | cut -d, -f1-4
}

alice_first='first_use: user=<alice@example.com> mailbox=<support@example.com> right=send-as'
bob_first='first_use: user=<bob@example.com> mailbox=<support@example.com> right=send-on-behalf'

# --- first use: once per right, across both hosts ----------------------------
send "$A" alice 'Support <support@example.com>' QA1
send "$B" bob 'Support <support@example.com>' QB1
wait_lines "$alice_first" 1
wait_lines "$bob_first" 1
grep -q "^QA1: $alice_first" "$MILTER_LOG" || fail "first_use for alice not logged by daemon A with QA1"
grep -q "QB1: $bob_first" "${MILTER_LOGS[b]}" || fail "first_use for bob not logged by daemon B with QB1"
send "$B" alice 'Support <support@example.com>' QA2
send "$A" bob 'Support <support@example.com>' QB2
# Both uses were written when their counts show; only then is the absence
# of a second first_use meaningful.
for i in $(seq 50); do
    [ "$(usage_csv | grep -c ',2$')" = 2 ] && break
    sleep 0.1
done
expect=$'alice@example.com,support@example.com,send-as,2\nbob@example.com,support@example.com,send-on-behalf,2'
[ "$(usage_csv)" = "$expect" ] || fail "usage after two messages each: expected
$expect
got
$(usage_csv)"
[ "$(count_lines 'first_use:')" = 2 ] || fail "first_use logged $(count_lines 'first_use:') times for 2 rights"

# --- rejected mail counts nothing ----------------------------------------------
r=$(probe_result eve 'Support <support@example.com>' QE1)
[ "${r#result replycode 550}" != "$r" ] || fail "eve as support@ not rejected: $r"
send "$A" dave 'Boss <boss@example.com>' QD1
wait_lines 'first_use: user=<dave@example.com>' 1
[ -z "$(usage_csv --user eve@example.com)" ] || fail "a rejected message was recorded: $(usage_csv --user eve@example.com)"
[ -z "$(usage_csv | grep '^eve')" ] || fail "eve in the usage report"

# --- the daily threshold: one usage_alert, on whichever host crosses it ------
[ "$(count_lines 'usage_alert:')" = 0 ] || fail "usage_alert before the threshold was crossed"
send "$A" alice 'Support <support@example.com>' QA3
send "$B" alice 'Support <support@example.com>' QA4
wait_lines 'usage_alert: user=<alice@example.com> mailbox=<support@example.com> right=send-as .* count=4 limit=3 rule=daily_threshold' 1
send "$A" alice 'Support <support@example.com>' QA5
send "$B" alice 'Support <support@example.com>' QA6
for i in $(seq 50); do
    [ "$(usage_csv --user alice@example.com)" = "alice@example.com,support@example.com,send-as,6" ] && break
    sleep 0.1
done
[ "$(usage_csv --user alice@example.com)" = "alice@example.com,support@example.com,send-as,6" ] ||
    fail "alice's count: $(usage_csv --user alice@example.com)"
[ "$(count_lines 'usage_alert:')" = 1 ] || fail "usage_alert logged $(count_lines 'usage_alert:') times in a day"
[ "$(count_lines 'usage_alert: user=<bob')" = 0 ] || fail "bob (2 messages) over a threshold of 3"

# --- sendasctl usage: filters and formats --------------------------------------
[ "$(usage_csv --mailbox BOSS@example.com)" = "dave@example.com,boss@example.com,send-on-behalf,1" ] ||
    fail "--mailbox boss@: $(usage_csv --mailbox BOSS@example.com)"
[ "$(usage_csv --user uid=bob,ou=people,dc=example,dc=com | cut -d, -f1)" = "bob@example.com" ] ||
    fail "--user by DN: $(usage_csv --user uid=bob,ou=people,dc=example,dc=com)"
json=$("$SENDASCTL" -c "$MILTER_CONF" usage --format json --user alice@example.com)
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
rows = d["usage"]
assert len(rows) == 1 and rows[0]["messages"] == 6 and rows[0]["right"] == "send-as", rows
assert list(rows[0]["days"].values()) == [6], rows[0]["days"]
assert rows[0]["dn"] == "uid=alice,ou=people,dc=example,dc=com", rows[0]
' "$json" || fail "usage --format json: $json"
text=$("$SENDASCTL" -c "$MILTER_CONF" usage)
grep -q 'alice@example.com  support@example.com  send-as  messages=6  last_used=20' <<<"$text" || fail "usage text: $text"
rc=0
"$SENDASCTL" -c "$MILTER_CONF" usage --since 3x >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "usage --since 3x exited $rc, expected 64"

# The record expires with the retention period after its last use.
key=$(redis_cli --scan --pattern 'sendas:v1:usage:send-as:*alice*')
ttl=$(redis_cli ttl "$key")
[ "$ttl" -gt $((180 * 86400 - 60)) ] && [ "$ttl" -le $((180 * 86400)) ] || fail "TTL of $key: $ttl"

# --- Redis down: mail still flows, the counts follow once it is back --------------
stop_redis || fail "Redis did not stop"
send "$A" frank 'Sales <sales@example.com>' QF1
wait_lines 'usage: cannot record in Redis' 1
rc=0
"$SENDASCTL" -c "$MILTER_CONF" usage >/dev/null 2>"$T/usage.err" || rc=$?
[ "$rc" = 69 ] || fail "usage with Redis down exited $rc, expected 69"
restart_redis || fail "Redis did not come back"
wait_lines 'first_use: user=<frank@example.com> mailbox=<sales@example.com> right=send-as' 1
[ "$(usage_csv --user frank@example.com)" = "frank@example.com,sales@example.com,send-as,1" ] ||
    fail "frank's use during the outage: $(usage_csv --user frank@example.com)"
wait_lines 'usage: recording in Redis .* again' 1

stop_milter b || fail "daemon B did not stop cleanly"
stop_milter || fail "daemon A did not stop cleanly"
echo PASS
