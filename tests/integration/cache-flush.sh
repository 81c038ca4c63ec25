#!/usr/bin/env bash
# A change in LDAP is invisible while cached and visible at once after
# `sendasctl cache flush USER` or `sendasctl cache flush` (doc/design.md, section 7):
# a grant (alice on sales@, eve on sales@) and a revocation (alice's Send As
# on support@ through cn=support-team). Both tiers are on (redis.ttl and
# cache.local_ttl long), so only the flush can make the change visible.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe sendasctl
start_slapd
start_redis
start_milter "redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = 300" "cache.local_ttl = 300"

ACCEPT="result accept"
deny() { printf 'result replycode 550 5.7.1 <%s> is not allowed to send as <%s>\n' "$1" "$2"; }
expect() {  # LOGIN MAILBOX WANT WHY
    local got
    got=$(probe_result "$1" "$2")
    [ "$got" = "$3" ] || fail "$4: $1 as $2: expected '$3', got '$got'"
}
# After a flush the daemon drops its in-process tier when the pub/sub
# message arrives: allow it one second, no more.
expect_soon() {  # LOGIN MAILBOX WANT WHY
    local got n=0
    while :; do
        got=$(probe_result "$1" "$2")
        [ "$got" = "$3" ] && return 0
        [ $n -lt 10 ] || fail "$4: $1 as $2: expected '$3' within 1 s, still '$got'"
        sleep 0.1
        n=$((n + 1))
    done
}
flush() {
    local out
    out=$("$SENDASCTL" -c "$MILTER_CONF" cache flush "$@" 2>&1) || fail "sendasctl cache flush $*: $out"
    printf '%s\n' "$out"
}
member() {  # add|replace GROUP-DN MEMBER-DN (groupOfNames needs a member: no delete)
    printf 'dn: %s\nchangetype: modify\n%s: member\nmember: %s\n' "$2" "$1" "$3" | ldap_modify ||
        fail "ldapmodify $1 member $3 of $2 failed"
}
SALES_AS=cn=sales@example.com,ou=send-as,ou=mailbox-rights,$LDAP_BASE

# --- grant, flush one user -------------------------------------------------
expect alice sales@example.com "$(deny alice sales@example.com)" "before the grant"
expect eve sales@example.com "$(deny eve sales@example.com)" "before the grant"
expect alice support@example.com "$ACCEPT" "before the revocation"
member add "$SALES_AS" "uid=alice,ou=people,$LDAP_BASE"
member add "$SALES_AS" "uid=eve,ou=people,$LDAP_BASE"
expect alice sales@example.com "$(deny alice sales@example.com)" "granted in LDAP, cached denial"
expect eve sales@example.com "$(deny eve sales@example.com)" "granted in LDAP, cached denial"
# A daemon restarted meanwhile still has Redis: the change stays invisible.
stop_milter || fail "daemon did not stop cleanly"
start_milter "redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = 300" "cache.local_ttl = 300"
expect alice sales@example.com "$(deny alice sales@example.com)" "granted in LDAP, denial cached in Redis"

out=$(flush alice)
[ "$out" = "flushed cached answers for alice (uid=alice,ou=people,$LDAP_BASE, 1 cached spelling)" ] ||
    fail "unexpected flush output: $out"
expect_soon alice sales@example.com "$ACCEPT" "after cache flush alice"
expect eve sales@example.com "$(deny eve sales@example.com)" "cache flush alice flushed eve too"

# --- grant, flush everything ---------------------------------------------
gen0=$(redis_cli get sendas:v1:gen)
out=$(flush)
[ "$out" = "flushed all cached answers" ] || fail "unexpected flush output: $out"
gen1=$(redis_cli get sendas:v1:gen)
[ "$gen1" = "$((${gen0:-0} + 1))" ] || fail "cache flush did not move the generation: '$gen0' -> '$gen1'"
expect_soon eve sales@example.com "$ACCEPT" "after cache flush (all)"

# --- revoke --------------------------------------------------------------
expect alice support@example.com "$ACCEPT" "before the revocation"
# alice holds it through the nested cn=support-team: take her out of that team.
member replace "cn=support-team,ou=groups,$LDAP_BASE" "uid=grace,ou=people,$LDAP_BASE"
expect alice support@example.com "$ACCEPT" "revoked in LDAP, cached grant"
flush alice >/dev/null
expect_soon alice support@example.com "$(deny alice support@example.com)" "revoked, after cache flush alice"
# And stays revoked: no tier brings the old grant back.
stop_milter || fail "daemon did not stop cleanly"
start_milter "redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = 300" "cache.local_ttl = 300"
expect alice support@example.com "$(deny alice support@example.com)" "revoked, new daemon"

# --- revoke, flush everything (local tier of a running daemon) -------------
expect bob support@example.com "$ACCEPT" "before the revocation"
member replace "cn=support@example.com,ou=send-on-behalf,ou=mailbox-rights,$LDAP_BASE" "uid=dave,ou=people,$LDAP_BASE"
expect bob support@example.com "$ACCEPT" "revoked in LDAP, cached grant"
flush >/dev/null
expect_soon bob support@example.com "$(deny bob support@example.com)" "revoked, after cache flush (all)"

# --- revoke, flush one user: every spelling of the login --------------------
# slapd matches uid case-insensitively: "Dave" and "DAVE" are dave, each
# cached under its own login. Once, only "dave" was flushed.
for login in dave Dave DAVE; do
    expect "$login" boss@example.com "$ACCEPT" "before the revocation"
done
member replace "cn=boss@example.com,ou=send-on-behalf,ou=mailbox-rights,$LDAP_BASE" "uid=grace,ou=people,$LDAP_BASE"
expect DAVE boss@example.com "$ACCEPT" "revoked in LDAP, cached grant"
out=$(flush dave)
[ "$out" = "flushed cached answers for dave (uid=dave,ou=people,$LDAP_BASE, 3 cached spellings)" ] ||
    fail "unexpected flush output: $out"
for login in dave Dave DAVE; do
    expect_soon "$login" boss@example.com "$(deny "$login" boss@example.com)" "revoked, after cache flush dave"
done
# A new daemon: Redis has none of the three any more.
stop_milter || fail "daemon did not stop cleanly"
start_milter "redis.address = $REDIS_ADDRESS" "redis.ttl = 300" "redis.negative_ttl = 300" "cache.local_ttl = 300"
expect Dave boss@example.com "$(deny Dave boss@example.com)" "revoked, new daemon"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
