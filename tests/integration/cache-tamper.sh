#!/usr/bin/env bash
# redis.hmac_key_file: whoever can write to Redis cannot grant a right or
# lock a user out through it. With a key, against a real Redis and slapd:
#   (a) alice's hash copied over eve's: eve is still refused support@, and
#       the decision comes from LDAP (its search count rises);
#   (b) one byte of carol's record changed (Full Access "f" to Send As
#       "a"): ignored, LDAP decides, the record is written again;
#   (c) redis_bad_records (published stats) and the Prometheus counter
#       sendas_milter_cache_bad_records_total: 0 before, more after, and
#       one warning in the log, not one per message;
#   (d) a second daemon on the same Redis with another key: its decisions
#       stay right and it counts and reports verification failures;
#   (e) send limits: entries pushed by hand, copies of a valid token, and
#       another key's tokens do not count; a counter forged as a string is
#       counted locally; real tokens still reach the limit;
#   and sendasctl cache stats shows, but does not add, counters that are no
#   numbers.
# Control: without a key, the copy of (a) is believed - what the key stops.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe sendasctl

slapd_log_searches
start_slapd
start_redis
head -c 32 /dev/urandom >"$T/key-a"
head -c 32 /dev/urandom >"$T/key-b"
chmod 0400 "$T/key-a" "$T/key-b"
A_METRICS=$(pick_port)
B_METRICS=$(pick_port)
A_SOCKET=unix:$T/milter.sock
B_SOCKET=unix:$T/b.sock
B_LOG=$T/b.log
# Every message asks Redis: no in-process tier to hide a record behind.
COMMON=("redis.address = $REDIS_ADDRESS" "cache.local_ttl = 0" "redis.ttl = 300" "redis.negative_ttl = 300")
A_LINES=("${COMMON[@]}" "redis.hmac_key_file = $T/key-a" "metrics.listen = 127.0.0.1:$A_METRICS")
B_LINES=("${COMMON[@]}" "redis.hmac_key_file = $T/key-b" "metrics.listen = 127.0.0.1:$B_METRICS")

ACCEPT="result accept"
DENY_EVE="result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
DENY_CAROL="result replycode 550 5.7.1 <carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right"
WARNING="cache records fail verification"

# MAIL FROM:<>, so that From: alone decides: a user record copied from
# alice's would otherwise also fail eve's own envelope address.
send() {  # A|B LOGIN FROM: the result line
    local socket=$A_SOCKET out
    [ "$1" = B ] && socket=$B_SOCKET
    out=$("$MILTER_PROBE" --socket "$socket" --macro "mail:{auth_authen}=$2" --macro "mail:i=QID" \
        --from "<>" --rcpt '<friend@other.example>' --header "From: $3") ||
        fail "milter-probe failed for $2 as $3 on $1: $out"
    printf '%s\n' "$out" | tail -n 1
}
expect() {  # A|B LOGIN FROM WANT WHY
    local got
    got=$(send "$1" "$2" "$3")
    [ "$got" = "$4" ] || fail "$5: $2 as $3 on daemon $1: expected '$4', got '$got'"
}
bad_metric() {  # PORT: sendas_milter_cache_bad_records_total, "absent" if not served
    metrics_scrape "$1" | awk '$1 == "sendas_milter_cache_bad_records_total" { print $2; found = 1 }
        END { if (!found) print "absent" }'
}
# The daemon publishes its counters every ~2 s: one publication after the
# traffic just sent.
published() {  # NAME
    sleep 2.5
    [ -n "$(redis_cli --scan --pattern 'sendas:v1:stats:*')" ] || fail "the daemon published no stats"
    milter_stat "$1"
}
# Offset of field INDEX's content in a record ("LEN:CONTENT" fields).
field_offset() {  # RECORD INDEX
    local r=$1 i=$2 pos=0 len
    while :; do
        len=${r:pos}
        len=${len%%:*}
        [ "$i" -eq 0 ] && { echo $((pos + ${#len} + 1)); return; }
        pos=$((pos + ${#len} + 1 + len))
        i=$((i - 1))
    done
}
start_b() { start_milter b "socket = $B_SOCKET" "$@"; }  # daemon B: $T/b.conf, $B_LOG
stop_b() { stop_milter b || fail "daemon B did not stop cleanly"; }

# --- warm, and nothing is bad yet (positive control) -----------------------
# A daemon restarted over a warm Redis: an empty in-process tier, so every
# answer below comes from Redis (verified) or LDAP (counted by slapd).
MILTER_SOCKET=$A_SOCKET
restart_a() {  # EXTRA CONFIG LINE...
    stop_milter || fail "daemon A did not stop cleanly"
    start_milter "${A_LINES[@]}" "$@"
}
warm() {  # A|B WHY
    expect "$1" alice support@example.com "$ACCEPT" "$2"
    expect "$1" eve support@example.com "$DENY_EVE" "$2"
    expect "$1" carol support@example.com "$DENY_CAROL" "$2"
}
restart_a
warm A "cold"
restart_a
before=$(slapd_search_count)
warm A "warm Redis, new daemon"
[ "$(slapd_search_count)" = "$before" ] ||
    fail "warm, signed: $(($(slapd_search_count) - before)) LDAP searches (expected 0)"
[ "$(published redis_bad_records)" = 0 ] || fail "redis_bad_records is $(milter_stat redis_bad_records) before any tampering"
[ "$(bad_metric "$A_METRICS")" = 0 ] || fail "bad records metric before tampering: $(bad_metric "$A_METRICS")"
[ "$(grep -c "$WARNING" "$MILTER_LOG")" = 0 ] || fail "verification warning before any tampering"
say "warm and signed: 0 LDAP searches, 0 bad records"

# --- (a) alice's hash copied over eve's; (b) one byte of carol's record ----
[ "$(redis_cli copy sendas:v1:u:alice sendas:v1:u:eve replace)" = 1 ] || fail "redis COPY failed"
# Full Access ("f") becomes Send As ("a") in carol's rights on support@.
field=r:support@example.com
record=$(redis_cli --raw hget sendas:v1:u:carol "$field")
at=$(field_offset "$record" 6)  # version, tag, generation, status, fresh, stale, flags
[ "${record:at:1}" = f ] || fail "carol's flags are not 'f' at offset $at: $record"
forged=${record:0:at}a${record:at+1}
redis_cli hset sendas:v1:u:carol "$field" "$forged" >/dev/null
restart_a

before=$(slapd_search_count)
expect A eve support@example.com "$DENY_EVE" "alice's records in eve's hash"
[ "$(slapd_search_count "(uid=eve)")" -gt 0 ] && [ "$(slapd_search_count)" -ge $((before + 2)) ] ||
    fail "eve not decided from LDAP (user and rights) after alice's hash was copied over hers"
before=$(slapd_search_count)
expect A carol support@example.com "$DENY_CAROL" "carol's record changed to Send As"
[ "$(slapd_search_count)" -gt "$before" ] || fail "carol decided with no LDAP search after her record was changed"
rewritten=$(redis_cli --raw hget sendas:v1:u:carol "$field")
[ "$rewritten" != "$forged" ] && [ "${rewritten:$(field_offset "$rewritten" 6):1}" = f ] ||
    fail "carol's changed record was not written again from LDAP: $rewritten"
# What LDAP answered was written back, signed: warm again.
before=$(slapd_search_count)
expect A eve support@example.com "$DENY_EVE" "eve after her records were written again"
expect A carol support@example.com "$DENY_CAROL" "carol after her record was written again"
[ "$(slapd_search_count)" = "$before" ] || fail "rewritten records not used: LDAP searched again"
say "(a) copied hash and (b) one byte changed: refused, from LDAP; written again, then warm"

# --- (c) counted, and warned once ------------------------------------------
bad=$(published redis_bad_records)
[ "$bad" = 3 ] || fail "redis_bad_records is $bad after 3 forged records (eve's 2, carol's 1)"
metric=$(bad_metric "$A_METRICS")
[ "$metric" = "$bad" ] || fail "Prometheus bad records $metric, published stat $bad"
[ "$(grep -c "$WARNING" "$MILTER_LOG")" = 1 ] ||
    fail "expected one verification warning, got: $(grep "$WARNING" "$MILTER_LOG")"
say "(c) $bad bad records counted (stats and metrics), one warning"

# --- (d) a daemon with another key on the same Redis -----------------------
start_b "${B_LINES[@]}"
for round in 1 2 3; do
    warm B "another key, round $round"
    warm A "first key after B, round $round"
done
[ "$(grep -c "$WARNING" "$B_LOG")" = 1 ] ||
    fail "daemon B: expected one verification warning, got: $(grep -c "$WARNING" "$B_LOG")"
[ "$(grep -c "$WARNING" "$MILTER_LOG")" = 1 ] ||
    fail "daemon A: expected still one verification warning, got: $(grep -c "$WARNING" "$MILTER_LOG")"
metric=$(bad_metric "$B_METRICS")
[ "$metric" -ge 9 ] || fail "daemon B counted $metric bad records in 3 rounds of 3 users (expected >= 9)"
grep -qF "Redis $REDIS_ADDRESS: $WARNING" "$B_LOG" || fail "B's warning does not name Redis: $(cat "$B_LOG")"
say "(d) another key: right decisions, $metric bad records, one warning each"
stop_b

# --- (e) send limits --------------------------------------------------------
[ $(($(date +%s) % 3600)) -lt 3570 ] || sleep 31
LIMIT=("limits.per_user_mailbox = 3/1h")
restart_a "${LIMIT[@]}"
start_b "${B_LINES[@]}" "${LIMIT[@]}"
hour=$(($(date +%s) / 3600))
over() { printf 'result replycode 451 4.7.1 <%s> has sent too many messages as <%s>, try again later' "$1" "$2"; }
list="sendas:v1:sends:uid=alice,ou=people,dc=example,dc=com:support@example.com:$hour"
for i in $(seq 1 50); do redis_cli rpush "$list" "forged-$i" >/dev/null; done
# Three messages through B: tokens under key-b, worthless to A.
for i in 1 2 3; do expect B alice support@example.com "$ACCEPT" "50 forged entries, message $i on B"; done
expect A alice support@example.com "$ACCEPT" "forged entries and B's tokens, message 1 on A"
token=$(redis_cli lindex "$list" -1)
case $token in *.*) ;; *) fail "A's token is not RANDOM.TAG: '$token'" ;; esac
for i in $(seq 1 10); do redis_cli rpush "$list" "$token" >/dev/null; done
expect A alice support@example.com "$ACCEPT" "ten copies of A's first token, message 2 on A"
expect A alice support@example.com "$ACCEPT" "message 3 on A"
# Positive control: A's own tokens still reach the limit.
expect A alice support@example.com "$(over alice support@example.com)" "message 4 on A"
[ "$(redis_cli llen "$list")" = 67 ] || fail "list length $(redis_cli llen "$list"), expected 50 + 3 + 1 + 10 + 3"
# A counter forged as a string: no list to push to, counted locally.
dave="sendas:v1:sends:uid=dave,ou=people,dc=example,dc=com:boss@example.com:$hour"
redis_cli set "$dave" 1000 >/dev/null
expect A dave boss@example.com "$ACCEPT" "a counter forged as the string 1000"
say "(e) send limit: forged, copied and foreign tokens not counted; the 4th real message refused"
stop_b
stop_milter || fail "daemon A did not stop cleanly"

# --- sendasctl cache stats over counters that are no numbers ---------------
# A prefix of its own: the daemons' published stats stay out of the total.
write_milter_config "$T/stats.conf" "redis.address = $REDIS_ADDRESS" "redis.prefix = st:"
redis_cli hset st:v1:stats:forged:1 local_hits 99999999999999999999999 ldap_lookups lots >/dev/null
redis_cli hset st:v1:stats:honest:2 local_hits 5 ldap_lookups 2 >/dev/null
out=$("$SENDASCTL" -c "$T/stats.conf" cache stats 2>&1) || fail "sendasctl cache stats over forged counters: $out"
grep -qF "forged:1: ldap_lookups=lots local_hits=99999999999999999999999" <<<"$out" ||
    fail "forged counters not shown as they are: $out"
grep -qE "^total .* ldap_lookups=2 local_hits=5( |$)" <<<"$out" || fail "forged counters added to the total: $out"
say "sendasctl cache stats: forged counters shown, not added"

# --- control: without a key the copy is believed ---------------------------
redis_cli flushall >/dev/null
: >"$MILTER_LOG"
start_milter "${COMMON[@]}"
warm A "unsigned"
redis_cli copy sendas:v1:u:alice sendas:v1:u:eve replace >/dev/null
got=$(send A eve support@example.com)
[ "$got" = "$ACCEPT" ] || fail "control: without a key, the copied hash should make eve alice, got '$got'"
say "control: without a key, alice's copied records let eve send as support@"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
