#!/usr/bin/env bash
# Against a real slapd: addresses compare exactly (own values and rights
# groups are never cut at a delimiter; a detail address falls back to its
# base only when it is no mailbox of its own), LDAP's folding is re-checked,
# Resent-From: is checked, and one message cannot cost thousands of LDAP
# searches (max_from_mailboxes, ldap.max_searches_per_message, one group
# walk per message).
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
slapd_log_searches
start_slapd

P=ou=people,$LDAP_BASE
G=ou=groups,$LDAP_BASE
AS=ou=send-as,ou=mailbox-rights,$LDAP_BASE
{
    # A user whose only address has a '-' detail, one with a '+' detail.
    printf 'dn: uid=asmith,%s\nobjectClass: inetOrgPerson\nuid: asmith\ncn: A Smith\nsn: Smith\nmail: alice-smith@example.com\n\n' "$P"
    printf 'dn: uid=jdoe,%s\nobjectClass: inetOrgPerson\nuid: jdoe\ncn: J Doe\nsn: Doe\nmail: john+doe@example.com\n\n' "$P"
    # team@ for alice; team-leads@ is a separate mailbox, carol's.
    printf 'dn: cn=team@example.com,%s\nobjectClass: groupOfNames\ncn: team@example.com\nmember: uid=alice,%s\n\n' "$AS" "$P"
    printf 'dn: cn=team-leads@example.com,%s\nobjectClass: groupOfNames\ncn: team-leads@example.com\nmember: uid=carol,%s\n\n' "$AS" "$P"
    # walker is in 60 groups; each of ten mailboxes is granted to one of them.
    printf 'dn: uid=walker,%s\nobjectClass: inetOrgPerson\nuid: walker\ncn: Walker\nsn: W\nmail: walker@example.com\n\n' "$P"
    for i in $(seq 1 60); do
        printf 'dn: cn=w%s,%s\nobjectClass: groupOfNames\ncn: w%s\nmember: uid=walker,%s\n\n' "$i" "$G" "$i" "$P"
    done
    for i in $(seq 1 10); do
        printf 'dn: cn=box%s@example.com,%s\nobjectClass: groupOfNames\ncn: box%s@example.com\nmember: cn=w%s,%s\n\n' \
            "$i" "$AS" "$i" "$((i * 6))" "$G"
    done
} | LDAPNOINIT=1 ldapadd -x -H "$SLAPD_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" >/dev/null || fail "ldapadd failed"

# The null envelope sender: only the header addresses are decided here.
msg() { probe_message "$1" "$2" "${3:-QID}" --from '<>' "${@:4}"; }
ACCEPT="result accept"
deny() { printf 'result replycode 550 5.7.1 <%s> is not allowed to send as <%s>\n' "$1" "$2"; }
expect() {  # LOGIN FROM WANT WHY
    local got
    got=$(msg "$1" "$2" "${5:-QID}" | tail -n 1)
    [ "$got" = "$3" ] || fail "$4: $1 as $2: expected '$3', got '$got'"
}
audit() { grep -F "$1: " "$MILTER_LOG" | tail -n 1; }

# --- recipient_delimiter = - (and +) ---------------------------------------
start_milter "recipient_delimiter = +-"
expect asmith alice-smith@example.com "$ACCEPT" "own address with a '-' in it"
expect asmith alice@example.com "$(deny asmith alice@example.com)" "alice@ is not asmith's"
expect asmith alice-jones@example.com "$(deny asmith alice-jones@example.com)" "another '-' address" Q-JONES
audit Q-JONES | grep -qF "from=<alice-jones@example.com>" || fail "audit hides what recipients saw: $(audit Q-JONES)"
audit Q-JONES | grep -qF "base=<alice@example.com>" || fail "audit does not name the base: $(audit Q-JONES)"
expect jdoe john@example.com "$(deny jdoe john@example.com)" "john@ from john+doe@"
expect jdoe john+doe@example.com "$ACCEPT" "own address with a '+' in it"
expect alice team@example.com "$ACCEPT" "Send As team@"
expect alice team-leads@example.com "$(deny alice team-leads@example.com)" "team-leads@ is a mailbox of its own"
out=$(msg alice team+news@example.com Q-NEWS)
grep -qxF "$ACCEPT" <<<"$(tail -n 1 <<<"$out")" || fail "team+news@ by its base: $out"
grep -qF "addrcpt_par <team+Sent@example.com> NOTIFY=NEVER" <<<"$out" || fail "Sent copy of team+news@ not to team's Sent: $out"
audit Q-NEWS | grep -qF "base=<team@example.com>" || fail "audit: $(audit Q-NEWS)"
expect alice alice+lists@example.com "$ACCEPT" "own address by its base"

# --- Resent-From: of the most recent block --------------------------------
got=$(msg eve eve@example.com Q-RESENT --header 'Resent-From: support@example.com' | tail -n 1)
[ "$got" = "$(deny eve support@example.com)" ] || fail "Resent-From: support@ by eve: $got"
got=$(msg alice alice@example.com Q-RESENT2 --header 'Resent-From: support@example.com' | tail -n 1)
[ "$got" = "$ACCEPT" ] || fail "Resent-From: support@ by alice (Send As): $got"
stop_milter || fail "daemon did not stop cleanly"

# --- the server's folding is re-checked -----------------------------------
# slapd matches cn=team@example.com for "Team@": with case-sensitive local
# parts the milter must not take that group.
start_milter "local_part_case_sensitive = yes"
expect alice team@example.com "$ACCEPT" "case-sensitive, exact spelling"
expect alice Team@example.com "$(deny alice Team@example.com)" "case-sensitive, LDAP folded the case"
stop_milter || fail "daemon did not stop cleanly"

# --- cost per message (3000 addresses: what one milter packet holds) --------
start_milter "ldap.no_sent_copy_base ="
many=$(for i in $(seq 1 3000); do printf 'box%s@example.com, ' "$i"; done)
before=$(slapd_search_count)
got=$(msg walker "${many%, }" Q-MANY | tail -n 1)
case $got in "result replycode 550 5.7.1 From: and Resent-From: name more than 10 mailboxes"*) ;;
*) fail "3000 From: mailboxes: $got" ;; esac
many_searches=$(($(slapd_search_count) - before))
say "3000 From: mailboxes: $many_searches LDAP searches"
[ "$many_searches" -le 1 ] || fail "3000 From: mailboxes cost $many_searches searches (the user lookup at most)"

ten=$(for i in $(seq 1 10); do printf 'box%s@example.com, ' "$i"; done)
before=$(slapd_search_count)
got=$(msg walker "${ten%, }" Q-TEN --header 'Sender: walker@example.com' | tail -n 1)
[ "$got" = "$ACCEPT" ] || fail "ten mailboxes through 60 groups: $got"
ten_searches=$(($(slapd_search_count) - before))
say "walker, 60 groups, 10 mailboxes, cold: $ten_searches LDAP searches"
# The count counts: a cold message searches. The user, one search per
# mailbox and one walk of one search per level (walker, then his 60
# groups at once): 13 at most; a search per group walked would be 72, a
# walk per mailbox 600+.
[ "$ten_searches" -gt 0 ] || fail "a cold message made no LDAP search"
[ "$ten_searches" -le 13 ] || fail "$ten_searches searches: the group walk is not shared, or not one search per level"
stop_milter || fail "daemon did not stop cleanly"

start_milter "ldap.no_sent_copy_base =" "ldap.max_searches_per_message = 8" "cache.local_ttl = 0"
before=$(slapd_search_count)
got=$(msg walker "${ten%, }" Q-BUDGET --header 'Sender: walker@example.com' | tail -n 1)
[ "$got" = "result replycode 550 5.7.1 checking the sender rights of this message needs too many directory lookups" ] ||
    fail "over the search budget: $got"
budget_searches=$(($(slapd_search_count) - before))
[ "$budget_searches" -le 8 ] || fail "the budget of 8 searches allowed $budget_searches"
grep -q "Q-BUDGET: rights lookups stopped after 8 LDAP searches" "$MILTER_LOG" || fail "no warning naming the budget"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
