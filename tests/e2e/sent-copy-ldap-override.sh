#!/usr/bin/env bash
# The per-mailbox override of the Sent copy from LDAP (doc/design.md, section 2): a mailbox
# with an entry under ldap.no_sent_copy_base never gets a copy, one under
# ldap.sent_copy_base always does, whatever sent_copy.send_as and
# sent_copy.send_on_behalf say; other mailboxes follow those.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_stack e2e ldapadd
always=ou=sent-copy,ou=mailbox-rights,$LDAP_BASE
start_stack "ldap.sent_copy_base = $always"

# set_override MAILBOX yes|no: lists the mailbox under the matching subtree.
set_override() {
    local base=ou=no-sent-copy,ou=mailbox-rights,$LDAP_BASE
    [ "$2" = yes ] && base=$always
    LDAPNOINIT=1 "$LDAPADD" -x -H "$SLAPD_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" -c >/dev/null 2>&1 <<LDIF || true
dn: $always
objectClass: organizationalUnit
ou: sent-copy

dn: cn=$1,$base
objectClass: organizationalRole
cn: $1
LDIF
    LDAPNOINIT=1 "$LDAPSEARCH" -x -LLL -H "$SLAPD_URI" -b "cn=$1,$base" -s base dn >/dev/null 2>&1 ||
        fail "cannot list $1 under $base"
}

# Set before the first message, so that no cache can hold an older answer:
# support says no, loop@ (heidi's Send As, through a group cycle) says yes,
# sales@ (frank's Send As) says nothing.
set_override support@example.com no
set_override loop@example.com yes

# Defaults on (sent_copy.* = yes).
qid=$(deliver alice 'Support <support@example.com>' --header 'Subject: support, override no')
expect_eq "override no, send as: recipients" "friend@example.org" "$(recipients "$qid")"
qid=$(deliver bob 'Support <support@example.com>' --header 'Subject: support on behalf, override no')
expect_eq "override no, send on behalf: recipients" "friend@example.org" "$(recipients "$qid")"
qid=$(deliver frank 'Sales <sales@example.com>' --header 'Subject: sales, no override')
expect_eq "no override: recipients" "friend@example.org
sales+Sent@example.com" "$(recipients "$qid")"

# Defaults off: only loop@, which says yes, gets its copy.
restart_milter "ldap.sent_copy_base = $always" "sent_copy.send_as = no" "sent_copy.send_on_behalf = no"
qid=$(deliver heidi 'Loop <loop@example.com>' --header 'Subject: loop, override yes')
expect_eq "override yes, default off: recipients" "friend@example.org
loop+Sent@example.com" "$(recipients "$qid")"
qid=$(deliver alice 'Support <support@example.com>' --header 'Subject: support, override no, default off')
expect_eq "override no, default off: recipients" "friend@example.org" "$(recipients "$qid")"
qid=$(deliver frank 'Sales <sales@example.com>' --header 'Subject: sales, default off')
expect_eq "no override, default off: recipients" "friend@example.org" "$(recipients "$qid")"

# What the teams see in their Sent folders.
expect_eq "support's Sent" 0 "$(imap_count support Sent)"
expect_eq "sales' Sent" "Subject: sales, no override" "$(imap_headers sales Sent | grep '^Subject:')"
expect_eq "loop's Sent" "Subject: loop, override yes" "$(imap_headers loop Sent | grep '^Subject:')"
echo PASS
