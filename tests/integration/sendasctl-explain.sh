#!/usr/bin/env bash
# `sendasctl explain USER ADDRESS`: the decision, the right and the group
# path that grants it; exit 0 allow, 1 deny, 2 unknown (directory down).
# With Redis, a second explain is answered from the cache, and so it is
# while slapd is down.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis milter sendasctl
start_slapd
MILTER_SOCKET=unix:$T/unused.sock
MILTER_CONF=$T/milter.conf
write_milter_config "$MILTER_CONF"

out='' rc=''
explain() {  # CONF USER ADDRESS: sets $out and $rc
    rc=0
    out=$("$SENDASCTL" -c "$1" explain "$2" "$3" 2>&1) || rc=$?
}
expect() {  # WHAT EXIT LINE...: the output has every LINE exactly
    local what=$1 want=$2 line
    shift 2
    [ "$rc" = "$want" ] || fail "$what: exit $rc, expected $want; output:
$out"
    for line in "$@"; do
        grep -qxF -- "$line" <<<"$out" || fail "$what: expected the line '$line' in:
$out"
    done
}
P=ou=people,$LDAP_BASE
R=ou=mailbox-rights,$LDAP_BASE

explain "$MILTER_CONF" alice support@example.com
expect "alice as support@" 0 \
    "address:  support@example.com" \
    "right:    send-as" \
    "path:     uid=alice,$P -> cn=support-team,ou=groups,$LDAP_BASE -> cn=support@example.com,ou=send-as,$R" \
    "decision: accept" \
    "actions:  Sent copy to <support+Sent@example.com> (NOTIFY=NEVER)"

explain "$MILTER_CONF" bob support@example.com
expect "bob as support@" 0 \
    "right:    send-on-behalf" \
    "path:     uid=bob,$P -> cn=support@example.com,ou=send-on-behalf,$R" \
    "decision: accept"

explain "$MILTER_CONF" alice alice@example.com
expect "alice as herself" 0 "right:    own" "decision: accept" "actions:  none"

explain "$MILTER_CONF" eve support@example.com
expect "eve as support@" 1 \
    "right:    none" \
    "holds:    nothing" \
    "decision: reject 550 5.7.1 <eve> is not allowed to send as <support@example.com>"

explain "$MILTER_CONF" carol support@example.com
expect "carol as support@" 1 \
    "right:    full-access" \
    "holds:    full-access" \
    "path:     uid=carol,$P -> cn=support@example.com,ou=full-access,$R" \
    "decision: reject 550 5.7.1 <carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right"

explain "$MILTER_CONF" nobody-here support@example.com
expect "unknown user" 1 "user:     nobody-here (not in the directory)"

# --- with Redis: the cache answers the second time -------------------------
start_redis
write_milter_config "$T/redis.conf" "redis.address = $REDIS_ADDRESS"
explain "$T/redis.conf" alice support@example.com
expect "alice as support@, cold Redis" 0 "right:    send-as" "source:   LDAP"
explain "$T/redis.conf" alice support@example.com
expect "alice as support@, warm Redis" 0 "right:    send-as" "source:   cache" "decision: accept" \
    "path:     uid=alice,$P -> cn=support-team,ou=groups,$LDAP_BASE -> cn=support@example.com,ou=send-as,$R"
explain "$T/redis.conf" eve support@example.com
explain "$T/redis.conf" eve support@example.com
expect "eve as support@, warm Redis" 1 "source:   cache" \
    "decision: reject 550 5.7.1 <eve> is not allowed to send as <support@example.com>"

# --- slapd down --------------------------------------------------------------
stop_slapd || fail "slapd did not stop"
explain "$MILTER_CONF" alice support@example.com
expect "alice as support@, slapd down" 2 \
    "user:     alice (directory unavailable)" "source:   none (LDAP unavailable)" \
    "decision: tempfail 451 4.7.1 sender rights cannot be verified now, try again later"
explain "$MILTER_CONF" eve support@example.com
expect "eve as support@, slapd down" 2
# Within redis.ttl the cache still knows.
explain "$T/redis.conf" alice support@example.com
expect "alice as support@, slapd down, warm Redis" 0 "source:   cache" "decision: accept"
explain "$T/redis.conf" carol support@example.com
expect "carol as support@, slapd down, nothing cached for her" 2 "source:   none (LDAP unavailable)"
echo PASS
