#!/usr/bin/env bash
# limits.per_user_mailbox through two real daemons sharing one real Redis
# (and slapd with fixture.ldif): the count is shared, the message over the
# limit gets 451 4.7.1 with the documented text and audit reason, the alert
# is logged once per user, mailbox and period, other users and mailboxes
# count on their own, a new period starts from zero; without Redis, or
# with Redis down, each daemon counts alone.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
start_slapd
start_redis
# Daemon A is the default one (milter), B the second (b): $T/b.sock, $T/b.log.
A_SOCKET=unix:$T/a.sock
B_SOCKET=unix:$T/b.sock
A_LOG=$T/milter.log
B_LOG=$T/b.log

daemons() {  # CONFIG LINE...: (re)starts A and B with the same config, logs emptied
    stop_milter || fail "daemon A did not stop cleanly"
    stop_milter b || fail "daemon B did not stop cleanly"
    : >"$A_LOG"
    : >"$B_LOG"
    MILTER_SOCKET=$A_SOCKET
    start_milter "$@"
    start_milter b "socket = $B_SOCKET" "$@"
}

n=0
send() {  # A|B LOGIN FROM: the last line ("result ...") of one message in $res, queue id in $qid
    local socket=$A_SOCKET out
    [ "$1" = B ] && socket=$B_SOCKET
    n=$((n + 1))
    qid=Q$n
    out=$("$MILTER_PROBE" --socket "$socket" --macro "mail:{auth_authen}=$2" --macro "mail:i=$qid" \
        --from "<$2@example.com>" --rcpt '<friend@other.example>' --header "From: $3") ||
        fail "milter-probe failed: $out"
    res=$(printf '%s\n' "$out" | tail -n 1)
}
check() {  # WHAT EXPECTED A|B LOGIN FROM: one message, its result must be EXPECTED
    send "$3" "$4" "$5"
    expect "$1" "$2" "$res"
}
over() {  # LOGIN MAILBOX: the exact reply over the limit
    printf 'result replycode 451 4.7.1 <%s> has sent too many messages as <%s>, try again later' "$1" "$2"
}
expect() {  # WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
alerts() {  # LOGIN MAILBOX: alert lines in both logs
    cat "$A_LOG" "$B_LOG" | grep -c "^sendas-milter: warning: Q[0-9]*: send limit reached: user=<$1> mailbox=<$2> limit=" || true
}
# Waits until a period of P seconds has just begun (0.05 s into it).
window_start() {
    local p=$1 now_ns
    now_ns=$(date +%s%N)
    sleep "$(awk -v n="$now_ns" -v p="$p" 'BEGIN { ns = p * 1e9; printf "%.3f", (ns - n % ns) / 1e9 + 0.05 }')"
}
window() { echo $(($(date +%s) / $1)); }

REDIS_LINES=("redis.address = $REDIS_ADDRESS" "redis.prefix = sl:")
ACCEPT="result accept"

# --- shared count, 3 per hour -----------------------------------------------------
# Not in the last 30 s of an hour: the whole phase must sit in one window.
[ $(($(date +%s) % 3600)) -lt 3570 ] || sleep 31
daemons "limits.per_user_mailbox = 3/1h" "${REDIS_LINES[@]}"
hour=$(window 3600)
check "alice as support@ (1, A)" "$ACCEPT" A alice support@example.com
check "alice as support@ (2, B)" "$ACCEPT" B alice support@example.com
check "alice as support@ (3, A)" "$ACCEPT" A alice support@example.com
check "alice as support@ (4, B): over the limit across both daemons" "$(over alice support@example.com)" B alice support@example.com
q4=$qid
check "alice as support@ (5, A)" "$(over alice support@example.com)" A alice support@example.com
# +detail and case are the same mailbox.
check "alice as Support+x@Example.COM (6, B)" "$(over alice support@example.com)" B alice 'Support+x@Example.COM'
# The over-limit message gets no Sent copy and no rewrite, and says why.
out=$("$MILTER_PROBE" --socket "$A_SOCKET" --macro "mail:{auth_authen}=alice" --macro mail:i=QX \
    --from '<alice@example.com>' --rcpt '<friend@other.example>' --header 'From: support@example.com' \
    --header 'Sender: alice@example.com')
expect "over the limit: no change at all" "$(over alice support@example.com)" "$out"
grep -qxF "$q4: user=<alice> from=<support@example.com> envelope=<alice@example.com> right=send-as action=tempfail reason=send_limit" "$B_LOG" ||
    fail "audit line of the 4th message: $(grep "^$q4: " "$B_LOG")"
# One alert for alice and support@, written by the daemon that saw the 4th message.
expect "alerts for alice/support@" 1 "$(alerts alice support@example.com)"
grep -qxF "sendas-milter: warning: $q4: send limit reached: user=<alice> mailbox=<support@example.com> limit=3/3600s" "$B_LOG" ||
    fail "alert line: $(grep 'send limit' "$A_LOG" "$B_LOG")"
# The count lives in Redis: one token per message in the list
# PREFIXv1:sends:USER-DN:MAILBOX:WINDOW.
key="sl:v1:sends:uid=alice,ou=people,dc=example,dc=com:support@example.com:$hour"
expect "Redis count" 7 "$(redis_cli llen "$key")"
ttl=$(redis_cli ttl "$key")
if [ "$ttl" -le 3600 ] || [ "$ttl" -gt 7200 ]; then fail "Redis key $key TTL $ttl, expected (3600, 7200]"; fi

# Another mailbox, another user: their own counts. Own address: no limit.
check "alice as noreply@ (1)" "$ACCEPT" A alice noreply@example.com
check "bob as support@ (Send on Behalf) (1)" "$ACCEPT" B bob support@example.com
check "bob as support@ (2)" "$ACCEPT" A bob support@example.com
check "bob as support@ (3)" "$ACCEPT" B bob support@example.com
check "bob as support@ (4)" "$(over bob support@example.com)" A bob support@example.com
for i in 1 2 3 4 5; do
    check "alice as alice@ ($i): own address, no limit" "$ACCEPT" A alice alice@example.com
done
# A refused message is refused as before, not counted.
check "eve as support@" "result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>" B eve support@example.com
[ -z "$(redis_cli keys 'sl:v1:sends:uid=eve,*')" ] || fail "a rejected message was counted"
[ -z "$(redis_cli keys 'sl:v1:sends:uid=alice,*:alice@*')" ] || fail "an own-address message was counted"
expect "alerts for alice/support@ after all that" 1 "$(alerts alice support@example.com)"
expect "alerts for bob/support@" 1 "$(alerts bob support@example.com)"
expect "alerts for alice/noreply@" 0 "$(alerts alice noreply@example.com)"
[ "$(window 3600)" = "$hour" ] || fail "the hour changed during the test: run it again"

# --- a new period starts from zero -------------------------------------------------
# A short period; four messages (A, B, A, B) sent just after a window
# begins must all land in it, else the burst is tried again.
P=2
daemons "limits.per_user_mailbox = 3/${P}s" "${REDIS_LINES[@]}"
burst() {  # LOGIN MAILBOX: results in r1..r4; false when the window turned meanwhile
    local w
    window_start $P
    w=$(window $P)
    send A "$1" "$2"; r1=$res
    send B "$1" "$2"; r2=$res
    send A "$1" "$2"; r3=$res
    send B "$1" "$2"; r4=$res
    [ "$(window $P)" = "$w" ]
}
burst_in_one_window() {  # LOGIN MAILBOX WHAT
    local attempt
    for attempt in 1 2 3 4 5; do
        before=$(alerts "$1" "$2")
        burst "$1" "$2" && return 0
        say "$3: the ${P}s window turned during the burst (attempt $attempt), again"
    done
    fail "$3: four messages never fit in one ${P}s window"
}
burst_in_one_window dave boss@example.com "first period"
expect "dave as boss@ (1)" "$ACCEPT" "$r1"
expect "dave as boss@ (2)" "$ACCEPT" "$r2"
expect "dave as boss@ (3)" "$ACCEPT" "$r3"
expect "dave as boss@ (4)" "$(over dave boss@example.com)" "$r4"
expect "alert in the first period" $((before + 1)) "$(alerts dave boss@example.com)"
grep -q "send limit reached: user=<dave> mailbox=<boss@example.com> limit=3/${P}s$" "$A_LOG" "$B_LOG" ||
    fail "alert line names the limit 3/${P}s"
# The next period: allowed again, and over the limit it alerts again.
burst_in_one_window dave boss@example.com "next period"
expect "dave as boss@ in the next period (1)" "$ACCEPT" "$r1"
expect "dave as boss@ in the next period (2)" "$ACCEPT" "$r2"
expect "dave as boss@ in the next period (3)" "$ACCEPT" "$r3"
expect "dave as boss@ in the next period (4)" "$(over dave boss@example.com)" "$r4"
expect "one alert per period" $((before + 1)) "$(alerts dave boss@example.com)"

# --- without Redis each daemon counts alone -----------------------------------------
[ $(($(date +%s) % 3600)) -lt 3570 ] || sleep 31
daemons "limits.per_user_mailbox = 3/1h"
for d in A B; do
    for i in 1 2 3; do check "no Redis: frank as sales@ on $d ($i)" "$ACCEPT" $d frank sales@example.com; done
    check "no Redis: frank as sales@ on $d (4)" "$(over frank sales@example.com)" $d frank sales@example.com
done
expect "no Redis: one alert per daemon" "1 1" \
    "$(grep -c 'send limit reached: user=<frank> mailbox=<sales@example.com>' "$A_LOG") $(grep -c 'send limit reached: user=<frank> mailbox=<sales@example.com>' "$B_LOG")"

# --- Redis configured but down: counted locally ----------------------------------------
daemons "limits.per_user_mailbox = 3/1h" "${REDIS_LINES[@]}"
# shellcheck disable=SC2119 # stop_redis takes no arguments
stop_redis || fail "could not stop Redis"
for i in 1 2 3; do check "Redis down: bob as support@ on A ($i)" "$ACCEPT" A bob support@example.com; done
check "Redis down: bob as support@ on A (4)" "$(over bob support@example.com)" A bob support@example.com
check "Redis down: bob as support@ on B (1)" "$ACCEPT" B bob support@example.com

# --- last: the login's spelling must not reset the count -----------------------------
# The directory finds uid=alice for "ALICE" too (LDAP matches uid without
# regard to case), so the milter grants ALICE alice's rights; the count
# must be alice's as well, or a user gets a fresh limit per spelling.
restart_redis || fail "could not restart Redis"
daemons "limits.per_user_mailbox = 3/1h" "${REDIS_LINES[@]}"
for i in 1 2 3; do check "alice as support@ ($i)" "$ACCEPT" A alice support@example.com; done
check "alice as support@ (4)" "$(over alice support@example.com)" B alice support@example.com
send A ALICE support@example.com
result=$res
case $result in
"result replycode 451 4.7.1 "*) ;;
*) fail "login ALICE (= uid alice) as support@ after alice's limit: expected 451, got '$result'" ;;
esac
stop_milter b || fail "daemon B did not stop cleanly"
stop_milter || fail "daemon A did not stop cleanly"
echo PASS
