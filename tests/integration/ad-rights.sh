#!/usr/bin/env bash
# ldap.layout = ad against a real Samba AD DC (tests/lib/samba.sh): every
# kind of right Exchange leaves in AD, decided through the daemon with
# milter-probe, as a bind account that is a plain domain user.
#   Send As      alice through a Send-As ACE for a group twice nested above
#                her, bob through an ACE of his own, carol denied by a deny
#                ACE although her group is allowed; SELF's ACE grants no one
#   On Behalf    dave in boss's publicDelegates, eve through a group in it
#   Full Access  frank, only that: refused with its own reply
#   own          heidi's addresses live only in proxyAddresses (SMTP:, smtp:);
#                dave finds her mailbox by them for his Send-As ACE on it
#   disabled     grace has a Send-As ACE and a mail address: she owns and
#                holds nothing
#   admins       Administrator's full control counts only with
#                ldap.send_as_full_control = yes; a deny still wins then
set -eu
. "$(dirname "$0")/lib.sh"
. "$SENDAS_LIB_DIR/../lib/samba.sh"
require_stack samba probe
start_samba
start_milter "${SAMBA_MILTER_LINES[@]}"

not_allowed() { printf 'result replycode 550 5.7.1 <%s> is not allowed to send as <%s>\n' "$1" "$2"; }

# expect LOGIN FROM RESULT
expect() {
    local got
    got=$(probe_result "$1" "$2")
    [ "$got" = "$3" ] || fail "$1 as $2: expected '$3', got '$got'"
}

# probe_with_envelope LOGIN ENVELOPE FROM: the result line (logins
# without a mail address of their own send with the mailbox's envelope).
probe_with_envelope() {
    "$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=$1" --macro mail:i=QID \
        --from "<$2>" --rcpt '<friend@other.example>' --header "From: $3" | tail -n 1
}

expect alice support@example.com "result accept"
expect alice helpdesk@example.com "result accept"  # an smtp: proxy address of support
expect bob support@example.com "result accept"
expect bob sales@example.com "result accept"
expect carol support@example.com "$(not_allowed carol support@example.com)"
expect dave boss@example.com "result accept"
expect eve boss@example.com "result accept"
expect bob boss@example.com "$(not_allowed bob boss@example.com)"
expect frank support@example.com \
    "result replycode 550 5.7.1 <frank> has Full Access to <support@example.com> but no Send As or Send on Behalf right"
expect heidi heidi@example.com "result accept"
expect heidi h.alias@example.org "result accept"
expect dave heidi@example.com "result accept"        # a mailbox known by its SMTP: proxy only
expect dave h.alias@example.org "result accept"       # and by an smtp: one
expect heidi heidi.sip@example.com "$(not_allowed heidi heidi.sip@example.com)"  # a sip: proxy is no mail address
expect grace support@example.com "$(not_allowed grace support@example.com)"
expect grace grace@example.com "$(not_allowed grace grace@example.com)"
expect alice alice@example.com "result accept"  # control: an enabled user's own mail
expect staff0007 news@example.com "result accept"
out=$(probe_with_envelope Administrator support@example.com support@example.com)
[ "$out" = "$(not_allowed Administrator support@example.com)" ] || fail "Administrator as support@: $out"

# Which right, from the audit line.
grep -q 'user=<alice> from=<support@example.com> .*right=send-as action=accept' "$MILTER_LOG" ||
    fail "alice's Send As not logged as such"
grep -q 'user=<eve> from=<boss@example.com> .*right=send-on-behalf action=accept sender_set=yes' "$MILTER_LOG" ||
    fail "eve's Send on Behalf not logged as such"
grep -q 'login grace: AD account disabled' "$MILTER_LOG" || fail "grace's disabled account not logged"

# The login may be the userPrincipalName too.
out=$(probe_with_envelope bob@example.com bob@example.com support@example.com)
[ "$out" = "result accept" ] || fail "bob by his UPN as support@: $out"

# The bind account is a plain user: no group beyond its primary one.
groups=$(samba_search -b "$SAMBA_BIND_DN" -s base memberOf | grep -c '^memberOf:' || true)
[ "$groups" = 0 ] || fail "the bind account is in $groups groups"
primary=$(samba_search -b "$SAMBA_BIND_DN" -s base primaryGroupID | sed -n 's/^primaryGroupID: //p')
[ "$primary" = 513 ] || fail "the bind account's primary group is $primary, not Domain Users (513)"

stop_milter || fail "daemon did not stop cleanly"
start_milter "${SAMBA_MILTER_LINES[@]}" "ldap.send_as_full_control = yes"
out=$(probe_with_envelope Administrator support@example.com support@example.com)
[ "$out" = "result accept" ] || fail "Administrator as support@ with ldap.send_as_full_control = yes: $out"
expect carol support@example.com "$(not_allowed carol support@example.com)"
expect grace support@example.com "$(not_allowed grace support@example.com)"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
