#!/usr/bin/env bash
# Domain grants as the admin sees them, against the fixture's crm, whose
# Send As on every address of notify.example.com comes from the group
# named @notify.example.com (through cn=notifiers):
#   - sendasctl explain and audit show it as a domain grant, and the
#     exact-address group of alerts@notify.example.com winning over it;
#   - a change to the domain group's membership, or a new exact group that
#     shadows it, reaches cached answers through the change watcher (the
#     per-domain generation sendas:v1:mg:@notify.example.com), with long
#     TTLs in both tiers;
#   - positive control: with ldap.watch = off the cached grant outlives
#     the revocation until sendasctl cache flush.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/watch-common.sh"
SLAPD_SYNCPROV=yes
require_stack slapd redis probe sendasctl ldapadd
start_slapd
start_redis
BASE=("local_domains = example.com example.org notify.example.com" "redis.address = $REDIS_ADDRESS"
    "redis.ttl = 300" "redis.negative_ttl = 300" "cache.local_ttl = 300")
start_milter one "${BASE[@]}" "-ldap.watch"
P=ou=people,$LDAP_BASE
R=ou=mailbox-rights,$LDAP_BASE
DOMAIN_AS=cn=@notify.example.com,ou=send-as,$R
NOTIFIERS=cn=notifiers,ou=groups,$LDAP_BASE
CRM=uid=crm,$P
# Before the first message: crm's Send on Behalf on the domain goes, so
# that its Send As alone decides; groupOfNames needs a member, eve keeps
# the groups alive while crm leaves them.
DOMAIN_BEHALF=cn=@notify.example.com,ou=send-on-behalf,$R
member add "$DOMAIN_BEHALF" "uid=eve,$P"
member delete "$DOMAIN_BEHALF" "$CRM"
member add "$NOTIFIERS" "uid=eve,$P"

# --- explain -------------------------------------------------------------------
out=$("$SENDASCTL" -c "${MILTER_CONFS[one]}" explain crm billing@notify.example.com 2>&1) ||
    fail "explain crm as billing@notify: exit $?: $out"
for line in "right:    send-as" \
    "path:     $CRM -> $NOTIFIERS -> $DOMAIN_AS" \
    "grant:    domain grant: the group of @notify.example.com (every address of the domain without a group of its own for the right)" \
    "decision: accept"; do
    grep -qxF -- "$line" <<<"$out" || fail "explain crm as billing@notify: no line '$line' in:
$out"
done
rc=0
out=$("$SENDASCTL" -c "${MILTER_CONFS[one]}" explain crm alerts@notify.example.com 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "explain crm as alerts@notify: exit $rc, expected 1: $out"
grep -qxF "right:    none" <<<"$out" || fail "explain crm as alerts@notify: $out"
! grep -q "^grant:" <<<"$out" || fail "explain crm as alerts@notify names a domain grant: $out"

# --- audit ---------------------------------------------------------------------
out=$("$SENDASCTL" -c "${MILTER_CONFS[one]}" audit --unused 0 --mailbox @notify.example.com 2>&1) ||
    fail "audit --mailbox @notify.example.com: $out"
grep -qxF "@notify.example.com  (domain grant: every address of notify.example.com without a group of its own for the right)" <<<"$out" ||
    fail "audit does not show @notify.example.com as a domain grant: $out"
grep -qxF "  send-as: crm@example.com  ($CRM -> $NOTIFIERS -> $DOMAIN_AS)" <<<"$out" || fail "audit: crm's domain grant: $out"
! grep -q "MAILBOX_WITHOUT_ENTRY" <<<"$out" || fail "audit: a domain group is no mailbox: $out"
out=$("$SENDASCTL" -c "${MILTER_CONFS[one]}" audit --unused 0 --mailbox alerts@notify.example.com 2>&1) ||
    fail "audit --mailbox alerts@notify.example.com: $out"
grep -q "^  DOMAIN_GRANT_SHADOWED alerts@notify.example.com $CRM: send-as on @notify.example.com does not reach" <<<"$out" ||
    fail "audit: crm's shadowed domain grant on alerts@: $out"

# --- the change watcher --------------------------------------------------------
await_holder 5 >/dev/null
await one crm billing@notify.example.com "$ACCEPT" 0 >/dev/null
await one crm billing+eu@notify.example.com "$ACCEPT" 0 >/dev/null
gen=$(redis_cli get sendas:v1:mg:@notify.example.com)
# Out of the nested group: the watcher walks up to the domain group.
member delete "$NOTIFIERS" "$CRM"
ms=$(await one crm billing@notify.example.com "$(deny crm billing@notify.example.com)" 5000)
await one crm billing+eu@notify.example.com "$(deny crm billing+eu@notify.example.com)" 5000 >/dev/null
say "domain group revoke seen after $ms ms"
[ "$(redis_cli get sendas:v1:mg:@notify.example.com)" != "$gen" ] ||
    fail "the domain generation did not move (was $gen)"
member add "$NOTIFIERS" "$CRM"
await one crm billing@notify.example.com "$ACCEPT" 5000 >/dev/null
# A new exact group that leaves crm out wins over the domain group.
ldap_modify <<LDIF || fail "cannot add billing@notify's own Send As group"
dn: cn=billing@notify.example.com,ou=send-as,$R
changetype: add
objectClass: groupOfNames
cn: billing@notify.example.com
member: uid=alice,$P
LDIF
await one crm billing@notify.example.com "$(deny crm billing@notify.example.com)" 5000 >/dev/null
await one crm other@notify.example.com "$ACCEPT" 0 >/dev/null
printf 'dn: cn=billing@notify.example.com,ou=send-as,%s\nchangetype: delete\n' "$R" | ldap_modify ||
    fail "cannot delete billing@notify's own group"
await one crm billing@notify.example.com "$ACCEPT" 5000 >/dev/null

# --- positive control: no watcher, a flush -------------------------------------
stop_milter one || fail "daemon one did not stop cleanly"
start_milter two "${BASE[@]}"
await two crm billing@notify.example.com "$ACCEPT" 0 >/dev/null
member delete "$NOTIFIERS" "$CRM"
sleep 2
[ "$(MILTER_SOCKET=${MILTER_SOCKETS[two]} probe_result crm billing@notify.example.com)" = "$ACCEPT" ] ||
    fail "without a watcher the cached grant should still hold"
"$SENDASCTL" -c "${MILTER_CONFS[two]}" cache flush >/dev/null || fail "sendasctl cache flush failed"
await two crm billing@notify.example.com "$(deny crm billing@notify.example.com)" 5000 >/dev/null
echo PASS
