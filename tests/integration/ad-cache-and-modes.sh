#!/usr/bin/env bash
# What sits on top of the directory works the same on ldap.layout = ad
# (Samba AD DC, tests/lib/samba.sh): the Sent copy (NOTIFY=NEVER) for Send
# As and Send on Behalf, none for own mail; the cache (a warm message asks
# AD nothing, Redis serves a second daemon); send limits; metrics; report
# mode.
set -eu
. "$(dirname "$0")/lib.sh"
. "$SENDAS_LIB_DIR/../lib/samba.sh"
require_stack samba probe redis
start_samba
start_redis
port=$(pick_port)
start_milter "${SAMBA_MILTER_LINES[@]}" "redis.address = $REDIS_ADDRESS" "metrics.listen = 127.0.0.1:$port" \
    "limits.per_user_mailbox = 2/1h"

value() {  # METRIC-WITH-LABELS [PORT]: its value in a fresh scrape, 0 when absent
    metrics_scrape "${2:-$port}" | awk -v m="$1" '$1 == m { v = $2 } END { print (v == "" ? 0 : v) + 0 }'
}
searches() { value sendas_milter_ldap_search_duration_seconds_count "$@"; }

# Sent copies, from the modifications milter-probe reports.
out=$(probe_message alice 'Support <support@example.com>' Q1)
grep -qx 'addrcpt_par <support+Sent@example.com> NOTIFY=NEVER' <<<"$out" || fail "no Sent copy for alice as support@: $out"
out=$(probe_message eve 'Boss <boss@example.com>' Q2)
grep -qx 'addrcpt_par <boss+Sent@example.com> NOTIFY=NEVER' <<<"$out" || fail "no Sent copy for eve as boss@: $out"
grep -q '^chgheader Sender' <<<"$out" || grep -q '^addheader Sender' <<<"$out" || fail "no Sender: for eve as boss@: $out"
out=$(probe_message heidi 'h.alias@example.org' Q3)
if grep -q '^addrcpt' <<<"$out"; then fail "a Sent copy for heidi's own address: $out"; fi
[ "$(tail -n 1 <<<"$out")" = "result accept" ] || fail "heidi as her proxy address: $out"

# The cache: the same question again costs AD no search; a new one does.
cold=$(searches)
[ "$(probe_result alice support@example.com Q4)" = "result accept" ] || fail "alice as support@, warm"
[ "$(searches)" = "$cold" ] || fail "a warm message searched AD: $cold -> $(searches) searches"
[ "$(probe_result bob sales@example.com Q5)" = "result accept" ] || fail "bob as sales@, cold"
[ "$(searches)" -gt "$cold" ] || fail "a cold message was not counted as an AD search (the control of the warm one)"

# A second daemon on the same Redis answers from it without asking AD;
# the control: a question nobody asked yet costs it searches.
port2=$(pick_port)
start_milter second "${SAMBA_MILTER_LINES[@]}" "redis.address = $REDIS_ADDRESS" "metrics.listen = 127.0.0.1:$port2"
[ "$(MILTER_SOCKET=${MILTER_SOCKETS[second]} probe_result alice support@example.com Q6)" = "result accept" ] ||
    fail "second daemon: alice as support@"
[ "$(searches "$port2")" = 0 ] || fail "the second daemon asked AD $(searches "$port2") times for a cached answer"
[ "$(MILTER_SOCKET=${MILTER_SOCKETS[second]} probe_result dave boss@example.com Q6b)" = "result accept" ] ||
    fail "second daemon: dave as boss@"
[ "$(searches "$port2")" -gt 0 ] || fail "the second daemon's cold question was not counted"

# Send limit: bob's third message as sales@ within the hour waits.
[ "$(probe_result bob sales@example.com Q7)" = "result accept" ] || fail "bob's second message as sales@"
got=$(probe_result bob sales@example.com Q8)
case $got in "result replycode 451 4.7.1 <bob> has sent too many messages as <sales@example.com>"*) ;; *) fail "bob's third message as sales@ within 1h: $got" ;; esac

[ "$(value 'sendas_milter_decisions_total{action="accept",right="send-as"}')" -ge 4 ] ||
    fail "Send As decisions not counted in the metrics"
stop_milter second || fail "second daemon did not stop cleanly"
stop_milter || fail "daemon did not stop cleanly"

# Report mode: carol's denied Send As is logged, not enforced.
start_milter "${SAMBA_MILTER_LINES[@]}" "mode = report"
[ "$(probe_result carol support@example.com Q9)" = "result accept" ] || fail "report mode: carol as support@ not accepted"
grep -q 'Q9: user=<carol> from=<support@example.com> .*action=would-reject reason=no_right mode=report' "$MILTER_LOG" ||
    fail "report mode: carol's would-reject not logged"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
