#!/usr/bin/env bash
# Negative answers ("no right", "no such user") live redis.negative_ttl, not
# redis.ttl: a right or a user added in LDAP is seen once that has passed,
# without any flush. Positive answers keep redis.ttl: a revocation made at
# the same time is still hidden then (the flush test covers seeing it).
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe
start_slapd
start_redis
NEG=4
start_milter "redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = $NEG" "cache.local_ttl = 1"

ACCEPT="result accept"
deny() { printf 'result replycode 550 5.7.1 <%s> is not allowed to send as <%s>\n' "$1" "$2"; }
result() { probe_result "$1" "$2"; }

# Cache a denial, an unknown user and a grant, all at t0.
t0=$(date +%s)
[ "$(result eve sales@example.com)" = "$(deny eve sales@example.com)" ] || fail "eve may send as sales@ before the grant"
unknown=$(result newbie newbie@example.com)
[ "$unknown" != "$ACCEPT" ] || fail "unknown user newbie accepted"
[ "$(result alice support@example.com)" = "$ACCEPT" ] || fail "alice may not send as support@"

ldap_modify <<EOF || fail "ldapmodify failed"
dn: cn=sales@example.com,ou=send-as,ou=mailbox-rights,$LDAP_BASE
changetype: modify
add: member
member: uid=eve,ou=people,$LDAP_BASE

dn: uid=newbie,ou=people,$LDAP_BASE
changetype: add
objectClass: inetOrgPerson
uid: newbie
cn: New Bie
sn: Bie
mail: newbie@example.com

dn: cn=support-team,ou=groups,$LDAP_BASE
changetype: modify
replace: member
member: uid=grace,ou=people,$LDAP_BASE
EOF

# Still cached (the negative entries live until t0 + NEG at least - 1 s
# for whole-second clocks): only checked while clearly inside that.
if [ $(($(date +%s) - t0)) -lt $((NEG - 2)) ]; then
    [ "$(result eve sales@example.com)" = "$(deny eve sales@example.com)" ] ||
        fail "eve's grant seen before redis.negative_ttl passed"
    [ "$(result newbie newbie@example.com)" = "$unknown" ] || fail "newbie seen before redis.negative_ttl passed"
else
    say "machine too slow to check the cached denial inside redis.negative_ttl: skipped that check"
fi

# Seen once negative_ttl has passed, without a flush.
deadline=$((t0 + NEG + 2))
while :; do
    eve=$(result eve sales@example.com)
    newbie=$(result newbie newbie@example.com)
    [ "$eve" = "$ACCEPT" ] && [ "$newbie" = "$ACCEPT" ] && break
    [ "$(date +%s)" -le "$deadline" ] ||
        fail "$(($(date +%s) - t0)) s after caching (negative_ttl $NEG): eve as sales@ '$eve', newbie '$newbie'"
    sleep 0.2
done
say "grant and new user seen $(($(date +%s) - t0)) s after the negative answers were cached (negative_ttl $NEG)"
# The grant cached at t0 is positive: redis.ttl, still served.
[ "$(result alice support@example.com)" = "$ACCEPT" ] ||
    fail "alice's cached grant expired with redis.negative_ttl instead of redis.ttl"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
