#!/usr/bin/env bash
# The change watcher over RFC 4533 content sync (slapd with syncprov, the
# default ldap.watch = auto), two daemons sharing one Redis with long TTLs
# in both tiers, so only the watcher can make a change visible:
#   - one daemon holds the lease and watches; sendasctl cache stats shows it;
#   - a revoked and a granted Send As decides the next message on either
#     daemon within 2 s at p99 over 20 trials each (the figures are printed);
#   - a change to a nested group and to a user's addresses reach the
#     answers they change, with no global flush and other answers kept;
#   - slapd restarted: the watch resumes from its cookie;
#   - the watching daemon killed: the other takes the lease over and
#     invalidations go on;
#   - positive control: with ldap.watch = off the revoked right is still
#     honoured from the cache.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/watch-common.sh"
SLAPD_SYNCPROV=yes
require_stack slapd redis probe sendasctl ldapadd
slapd_log_searches
start_slapd
start_redis
CACHE=("redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = 300" "cache.local_ttl = 300")
declare -A METRICS=([one]=$(pick_port) [two]=$(pick_port))
start_milter one "${CACHE[@]}" "-ldap.watch" "metrics.listen = 127.0.0.1:${METRICS[one]}"
start_milter two "${CACHE[@]}" "-ldap.watch" "metrics.listen = 127.0.0.1:${METRICS[two]}"
metric() {  # DAEMON NAME: its value, "absent" if not served
    metrics_scrape "${METRICS[$1]}" | awk -v n="$2" '$1 == n { print $2; found = 1 } END { if (!found) print "absent" }'
}

# --- one watcher -------------------------------------------------------------
holder=$(await_holder 5)
case $holder in
"${MILTER_PIDS[one]}") watcher=one other=two ;;
"${MILTER_PIDS[two]}") watcher=two other=one ;;
*) fail "the lease names pid $holder, neither daemon (${MILTER_PIDS[one]}, ${MILTER_PIDS[two]})" ;;
esac
sleep 2
n=$(grep -c "this daemon watches the directory" "${MILTER_LOGS[one]}" "${MILTER_LOGS[two]}" | awk -F: '{ s += $2 } END { print s }')
[ "$n" = 1 ] || fail "expected one daemon to watch, $n say they do"
grep -q "another daemon watches the directory" "${MILTER_LOGS[$other]}" || fail "$other does not stand by"
stats=$("$SENDASCTL" -c "${MILTER_CONFS[one]}" cache stats) || fail "sendasctl cache stats failed: $stats"
printf '%s\n' "$stats" | grep -q "^watcher: holder=[^ ]*:$holder:.* mode=syncrepl state=watching lag_ms=[0-9]" ||
    fail "cache stats does not show the watcher: $stats"

# --- revoke and grant latency, on both daemons ---------------------------------
gen0=$(redis_cli get sendas:v1:gen)
await one alice support@example.com "$ACCEPT" 0 >/dev/null
await two alice support@example.com "$ACCEPT" 0 >/dev/null
alice_searches=$(slapd_search_count "support@example.com")
trials one two
summary "grant latency (syncrepl, 2 daemons)" "${GRANTS[@]}"
summary "revoke latency (syncrepl, 2 daemons)" "${REVOKES[@]}"
[ "$(p99 "${GRANTS[@]}")" -le 2000 ] || fail "grant p99 above 2 s"
[ "$(p99 "${REVOKES[@]}")" -le 2000 ] || fail "revoke p99 above 2 s"
# The watcher's metrics: 40 changes, each with its latency; the other stands by.
[ "$(metric "$watcher" sendas_milter_watch_changes_total)" -ge 40 ] 2>/dev/null ||
    fail "watcher's changes counter: $(metric "$watcher" sendas_milter_watch_changes_total)"
[ "$(metric "$watcher" sendas_milter_watch_change_latency_seconds_count)" -ge 40 ] 2>/dev/null ||
    fail "watcher's latency count: $(metric "$watcher" sendas_milter_watch_change_latency_seconds_count)"
[ "$(metric "$watcher" 'sendas_milter_watch_state{state="watching"}')" = 1 ] || fail "watcher's state gauge not watching"
[ "$(metric "$other" 'sendas_milter_watch_state{state="standby"}')" = 1 ] || fail "$other's state gauge not standby"
[ "$(metric "$other" sendas_milter_watch_changes_total)" = 0 ] || fail "$other read changes while standing by"
# One group's edits dropped nothing else: no global flush, alice's answer
# on support@ still served from the caches on both daemons.
[ "$(redis_cli get sendas:v1:gen)" = "$gen0" ] || fail "the generation moved: a global flush for a group edit"
await one alice support@example.com "$ACCEPT" 0 >/dev/null
await two alice support@example.com "$ACCEPT" 0 >/dev/null
[ "$(slapd_search_count "support@example.com")" = "$alice_searches" ] ||
    fail "alice's cached answer on support@ was dropped by edits of sales@"

# --- a nested group, a user entry ---------------------------------------------
# alice holds Send As on support@ through cn=support-team.
member add "cn=support-team,ou=groups,$LDAP_BASE" "uid=grace,ou=people,$LDAP_BASE"
start=$(now_ms)
member delete "cn=support-team,ou=groups,$LDAP_BASE" "uid=alice,ou=people,$LDAP_BASE"
ms=$(await two alice support@example.com "$(deny alice support@example.com)" 2000 "$start")
echo "nested group revoke: $ms ms"
await one alice support@example.com "$(deny alice support@example.com)" 2000 "$start" >/dev/null
await one bob bob.b@example.com "$ACCEPT" 0 >/dev/null
start=$(now_ms)
printf 'dn: uid=bob,ou=people,%s\nchangetype: modify\ndelete: mail\nmail: bob.b@example.com\n' "$LDAP_BASE" | ldap_modify ||
    fail "ldapmodify bob failed"
ms=$(await one bob bob.b@example.com "$(deny bob bob.b@example.com)" 2000 "$start")
echo "user address removed: $ms ms"

# --- slapd restarted -------------------------------------------------------------
restart_slapd || fail "slapd did not restart"
sleep 1
start=$(now_ms)
member add "$SALES_AS" "$EVE"
ms=$(await "$other" eve sales@example.com "$ACCEPT" 4000 "$start")
echo "grant after slapd restart: $ms ms"

# --- the watcher dies ---------------------------------------------------------
{
    kill -KILL "${MILTER_PIDS[$watcher]}"
    wait "${MILTER_PIDS[$watcher]}"
} 2>/dev/null || true
MILTER_PIDS[$watcher]=
start=$(now_ms)
while [ "$(watch_holder)" != "${MILTER_PIDS[$other]}" ]; do
    [ $(($(now_ms) - start)) -le 8000 ] || fail "$other did not take the lease over within 8 s"
    sleep 0.1
done
echo "lease taken over after $(($(now_ms) - start)) ms"
await "$other" eve sales@example.com "$ACCEPT" 0 >/dev/null
start=$(now_ms)
member delete "$SALES_AS" "$EVE"
ms=$(await "$other" eve sales@example.com "$(deny eve sales@example.com)" 2000 "$start")
echo "revoke after failover: $ms ms"
stop_milter "$other" || fail "$other did not stop cleanly"
[ -z "$(watch_holder)" ] || fail "a stopped watcher kept the lease"

# --- positive control: no watcher ---------------------------------------------
start_milter nowatch "${CACHE[@]}" "redis.prefix = off:" "ldap.watch = off"
member add "$SALES_AS" "$EVE"
await nowatch eve sales@example.com "$ACCEPT" 0 >/dev/null
member delete "$SALES_AS" "$EVE"
sleep 3
[ "$(MILTER_SOCKET=${MILTER_SOCKETS[nowatch]} probe_result eve sales@example.com)" = "$ACCEPT" ] ||
    fail "control: without the watcher the revoked right should still be honoured from the cache"
stop_milter nowatch || fail "nowatch did not stop cleanly"
echo PASS
