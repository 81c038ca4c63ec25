#!/usr/bin/env bash
# The change watcher by polling (slapd without syncprov): daemon one asks
# for ldap.watch = poll, daemon two runs the default auto, which must find
# no content sync in the root DSE and poll too; both share one Redis with
# long TTLs, ldap.change_poll = 1:
#   - revokes and grants decide the next message within ldap.change_poll
#     plus 2.5 s at p99 (a change waits up to one poll, then the search,
#     the invalidation and the probe's own retries; about 1 s on an idle
#     machine, the rest is room for a loaded one: p99 of 20 is the worst);
#   - a deleted rights group, which no timestamp shows, is found by the
#     periodic listing;
#   - slapd restarted: polling resumes from its mark.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/watch-common.sh"
require_stack slapd redis probe sendasctl ldapadd
start_slapd
start_redis
CACHE=("redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = 300" "cache.local_ttl = 300"
    "ldap.change_poll = 1")
# Two first, alone: it holds the lease, and auto must have chosen poll.
start_milter two "${CACHE[@]}" "-ldap.watch"
holder=$(await_holder 5)
[ "$holder" = "${MILTER_PIDS[two]}" ] || fail "the lease names pid $holder, not daemon two's"
start_milter one "${CACHE[@]}" "ldap.watch = poll"
sleep 2
stats=$("$SENDASCTL" -c "${MILTER_CONFS[one]}" cache stats) || fail "sendasctl cache stats failed: $stats"
printf '%s\n' "$stats" | grep -q "^watcher: holder=[^ ]*:$holder:.* mode=poll state=watching lag_ms=[0-9]" ||
    fail "cache stats does not show daemon two polling: $stats"

trials one two
summary "grant latency (poll every 1 s, 2 daemons)" "${GRANTS[@]}"
summary "revoke latency (poll every 1 s, 2 daemons)" "${REVOKES[@]}"
[ "$(p99 "${GRANTS[@]}")" -le 3500 ] || fail "grant p99 above 3.5 s"
[ "$(p99 "${REVOKES[@]}")" -le 3500 ] || fail "revoke p99 above 3.5 s"

# --- a deleted rights group -----------------------------------------------------
await two heidi loop@example.com "$ACCEPT" 0 >/dev/null
start=$(now_ms)
printf 'dn: cn=loop@example.com,ou=send-as,ou=mailbox-rights,%s\nchangetype: delete\n' "$LDAP_BASE" | ldap_modify ||
    fail "ldapmodify delete failed"
# Listed every 15 polls of 1 s, plus a poll.
ms=$(await two heidi loop@example.com "$(deny heidi loop@example.com)" 18000 "$start")
echo "deleted rights group: $ms ms"

# --- slapd restarted -------------------------------------------------------------
restart_slapd || fail "slapd did not restart"
await one eve sales@example.com "$(deny eve sales@example.com)" 0 >/dev/null
start=$(now_ms)
member add "$SALES_AS" "$EVE"
ms=$(await one eve sales@example.com "$ACCEPT" 4000 "$start")
echo "grant after slapd restart: $ms ms"
stop_milter one || fail "one did not stop cleanly"
stop_milter two || fail "two did not stop cleanly"
echo PASS
