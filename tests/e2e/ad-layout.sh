#!/usr/bin/env bash
# The whole mail path with ldap.layout = ad: real Postfix and Dovecot in
# front of the daemon reading a Samba AD DC (tests/lib/samba.sh), as users
# see it over SMTP and IMAP: Send As through a nested group's Send-As ACE
# (no Sender:, the copy in support's Sent folder), Send on Behalf through
# a group in boss's publicDelegates (Sender: set), and the refusals of a
# deny ACE and of a disabled account at DATA.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=../lib/samba.sh
. "$E2E_LIB_DIR/../lib/samba.sh"
require_stack e2e samba
prepare_postfix
start_samba
start_milter "user = $E2E_MILTER_USER" "group = $E2E_MILTER_GROUP" "${SAMBA_MILTER_LINES[@]}"
start_dovecot
start_postfix

# Send As: alice through sendas-support -> support-team -> helpdesk.
subject="ad send as"
qid=$(deliver alice 'Support Team <support@example.com>' --header "Subject: $subject" \
    --add-header 'Sender: Alice <alice@example.com>')
msg=$(imap_message friend INBOX "$subject")
expect_eq "send as: Sender: at friend" "" "$(header_value "$msg" Sender)"
expect_eq "send as: From: at friend" 'Support Team <support@example.com>' "$(header_value "$msg" From)"
expect_eq "send as: recipients" "friend@example.org
support+Sent@example.com" "$(recipients "$qid")"
msg=$(imap_message support Sent "$subject")
expect_eq "send as: From: in support's Sent" 'Support Team <support@example.com>' "$(header_value "$msg" From)"
expect_audit "$qid" "user=<alice> from=<support@example.com> .*right=send-as action=accept .*"

# Send on Behalf: eve through assistants (-> assistants-emea) in publicDelegates.
subject="ad on behalf"
qid=$(deliver eve 'The Boss <boss@example.com>' --header "Subject: $subject")
msg=$(imap_message friend INBOX "$subject")
expect_eq "on behalf: Sender: at friend" '"Eve" <eve@example.com>' "$(header_value "$msg" Sender)"
msg=$(imap_message boss Sent "$subject")
expect_eq "on behalf: Sender: in boss's Sent" '"Eve" <eve@example.com>' "$(header_value "$msg" Sender)"

# carol: her group is allowed, a deny ACE names her. grace: disabled.
out=$(submit carol 'Support <support@example.com>')
expect_reply "$out" "550 5.7.1 <carol> is not allowed to send as <support@example.com>"
out=$(submit grace 'Grace <grace@example.com>')
expect_reply "$out" "550 5.7.1 <grace> is not allowed to send as <grace@example.com>"
# Control: the same path accepts an enabled user's own address.
qid=$(deliver heidi 'Heidi <heidi@example.com>' --from heidi@example.com)
expect_audit "$qid" "user=<heidi> from=<heidi@example.com> .*right=own action=accept.*"
echo PASS
