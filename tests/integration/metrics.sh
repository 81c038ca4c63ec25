#!/usr/bin/env bash
# The Prometheus endpoint: scraped over HTTP after real traffic, counters
# moved by exactly the traffic sent.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
start_slapd
port=$(pick_port)
start_milter "metrics.listen = 127.0.0.1:$port"

value() {  # METRIC-WITH-LABELS: its value in the scrape, 0 when absent
    awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }' <<<"$page"
}
send() {  # LOGIN FROM
    "$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=$1" --from "<$1@example.com>" \
        --rcpt '<friend@other.example>' --header "From: $2" >/dev/null
}

page=$(metrics_scrape "$port")
grep -q '^HTTP/1.[01] 200' <<<"$page" || fail "metrics endpoint did not answer 200: $(head -3 <<<"$page")"
before_accept=$(value 'sendas_milter_decisions_total{action="accept",right="send-as"}')

send alice support@example.com
send alice support@example.com
send bob support@example.com
send eve support@example.com
send carol support@example.com

page=$(metrics_scrape "$port")
check() {  # METRIC EXPECTED
    local got
    got=$(value "$1")
    awk -v a="$got" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }' || fail "$1 is $got, expected $2"
}
check 'sendas_milter_decisions_total{action="accept",right="send-as"}' "$((before_accept + 2))"
check 'sendas_milter_decisions_total{action="accept",right="send-on-behalf"}' 1
check 'sendas_milter_decisions_total{action="reject",right="none"}' 1
check 'sendas_milter_decisions_total{action="reject",right="full-access"}' 1
check 'sendas_milter_rejects_total{reason="no_right"}' 1
check 'sendas_milter_rejects_total{reason="full_access_only"}' 1
check 'sendas_milter_connections' 0
# alice's second message came from the in-process tier.
[ "$(value 'sendas_milter_cache_hits_total{tier="local"}')" != 0 ] || fail "no local cache hit counted"
searches=$(value 'sendas_milter_ldap_search_duration_seconds_count')
[ "${searches%.*}" -gt 0 ] || fail "no LDAP search latency observed"
grep -q '^# TYPE sendas_milter_redis_call_duration_seconds histogram' <<<"$page" || fail "redis histogram missing"
echo PASS
