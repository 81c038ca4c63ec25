#!/usr/bin/env bash
# LDAP searches of one cold rights lookup, as slapd's stats log counts them.
# Each `sendasctl explain` is a new process without Redis: its cache is
# empty, so it asks LDAP for the user and for the rights on one mailbox.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd milter sendasctl
slapd_log_searches
start_slapd
MILTER_SOCKET=unix:$T/unused.sock
MILTER_CONF=$T/milter.conf
write_milter_config "$MILTER_CONF"
P=ou=people,$LDAP_BASE
G=ou=groups,$LDAP_BASE
R=ou=mailbox-rights,$LDAP_BASE

out='' searches=''
explain() {  # USER ADDRESS: sets $out and $searches (the searches it made)
    local before
    before=$(slapd_search_count)
    out=$("$SENDASCTL" -c "$MILTER_CONF" explain "$1" "$2" 2>&1) || true
    searches=$(($(slapd_search_count) - before))
    say "explain $1 $2: $searches LDAP searches"
}
has() {  # WHAT LINE: the last explain printed LINE exactly
    grep -qxF -- "$2" <<<"$out" || fail "$1: expected the line '$2' in:
$out"
}
expect_searches() {  # WHAT N
    [ "$searches" = "$2" ] || fail "$1: $searches LDAP searches, expected $2; slapd log:
$(grep -F ' SRCH base=' "$T/slapd.log" | tail -n "$searches")"
}
member_searches() {  # DN: upward-walk searches that asked for DN's groups so far
    slapd_search_count "(member=$1)"
}

# alice may Send As support@ through cn=support-team, and is a direct member
# of noreply@'s Send As group. This took 15 searches before the single
# rights search and the shared walk, 7 with a walk of one search per
# group. Now 6: the user, one rights search, a walk of one search per
# level (alice; support-team and noreply@'s group at once, which reaches
# support@'s Send As group; then that group's holders, which proves she
# holds neither the Send on Behalf nor the Full Access group), the list.
explain alice support@example.com
has "alice as support@" "path:     uid=alice,$P -> cn=support-team,$G -> cn=support@example.com,ou=send-as,$R"
expect_searches "alice as support@" 6

# Two nested rights on one mailbox: the walk up from alice is done once,
# not once per rights group.
ldap_modify <<EOF || fail "ldapmodify failed"
dn: cn=shared@example.com,ou=send-as,$R
changetype: add
objectClass: groupOfNames
cn: shared@example.com
member: cn=support-team,$G

dn: cn=shared@example.com,ou=send-on-behalf,$R
changetype: add
objectClass: groupOfNames
cn: shared@example.com
member: cn=support-team,$G
EOF
alice0=$(member_searches "uid=alice,$P")
team0=$(member_searches "cn=support-team,$G")
explain alice shared@example.com
has "alice as shared@" "holds:    send-as, send-on-behalf"
has "alice as shared@" "path:     uid=alice,$P -> cn=support-team,$G -> cn=shared@example.com,ou=send-as,$R"
[ "$(($(member_searches "uid=alice,$P") - alice0))" = 1 ] || fail "alice as shared@: her groups searched more than once"
[ "$(($(member_searches "cn=support-team,$G") - team0))" = 1 ] ||
    fail "alice as shared@: support-team's groups searched more than once"
# 9 before (the user, 3 rights searches, a walk of 2 per group, the list):
# now the walk reaches both groups with the same 2 searches (alice, then
# support-team with noreply@'s group).
expect_searches "alice as shared@" 5
echo PASS
