#!/usr/bin/env bash
# The config keys whose effect only the real MTA and mail store show, one
# daemon restart each on the same Postfix and Dovecot:
#   rewrite.send_as_envelope = mailbox   Return-Path: at the recipient
#   sent_copy.send_as = no               no Sent copy under Send As only
#   sent_copy.send_on_behalf = no        no Sent copy under Send on Behalf only
#   a Sent copy that cannot be delivered never bounces to the sender
#   (NOTIFY=NEVER on the added recipient)
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_stack e2e
start_stack "rewrite.send_as_envelope = mailbox"

# Send As: the envelope sender becomes the mailbox; the copy still goes.
qid=$(deliver alice 'Support <support@example.com>' --header 'Subject: envelope as mailbox')
msg=$(imap_message friend INBOX 'envelope as mailbox')
expect_eq "send as: Return-Path: at friend" '<support@example.com>' "$(header_value "$msg" Return-Path)"
grep -qE "^[A-Za-z]{3} .* $qid: from=<support@example.com>," "$POSTFIX_LOG" ||
    fail "send as: Postfix did not queue $qid with envelope sender support@example.com"
msg=$(imap_message support Sent 'envelope as mailbox')
expect_eq "send as: Return-Path: in support's Sent" '<support@example.com>' "$(header_value "$msg" Return-Path)"

# Send on Behalf: the envelope stays the user's own.
deliver bob 'Support <support@example.com>' --header 'Subject: envelope on behalf' >/dev/null
msg=$(imap_message friend INBOX 'envelope on behalf')
expect_eq "send on behalf: Return-Path: at friend" '<bob@example.com>' "$(header_value "$msg" Return-Path)"

# sent_copy.send_as = no: no copy under Send As, still one under Send on Behalf.
restart_milter "sent_copy.send_as = no"
qid=$(deliver alice 'Support <support@example.com>' --header 'Subject: as, copy off')
expect_eq "send_as = no: recipients" "friend@example.org" "$(recipients "$qid")"
expect_audit "$qid" "user=<alice> from=<support@example.com> (.* )?right=send-as action=accept.*"
expect_no_match "send_as = no: audit" "$(audit_line "$qid")" "sent_copy="
qid=$(deliver bob 'Support <support@example.com>' --header 'Subject: on behalf, as-copy off')
expect_eq "send_as = no, on behalf: recipients" "friend@example.org
support+Sent@example.com" "$(recipients "$qid")"

# sent_copy.send_on_behalf = no: the other way round.
restart_milter "sent_copy.send_on_behalf = no"
qid=$(deliver bob 'Support <support@example.com>' --header 'Subject: on behalf, copy off')
expect_eq "send_on_behalf = no: recipients" "friend@example.org" "$(recipients "$qid")"
qid=$(deliver alice 'Support <support@example.com>' --header 'Subject: as, on-behalf-copy off')
expect_eq "send_on_behalf = no, send as: recipients" "friend@example.org
support+Sent@example.com" "$(recipients "$qid")"

# What support's team sees: exactly the copies that were due, in Sent.
expect_eq "support's Sent" "Subject: as, on-behalf-copy off
Subject: envelope as mailbox
Subject: envelope on behalf
Subject: on behalf, as-copy off" "$(imap_headers support Sent | grep '^Subject:' | sort)"
expect_eq "support's INBOX" 0 "$(imap_count support INBOX)"

# A copy address Dovecot refuses: the copy bounces inside Postfix, the
# recipient still gets the message, and the sender gets no bounce.
restart_milter "sent_copy.address = %l-missing+Sent@%d"
out=$(submit alice 'Support <support@example.com>' --header 'Subject: copy undeliverable')
qid=$(accepted "$out")
wait_removed "$qid"
delivery_lines "$qid" | grep -F 'to=<friend@example.org>' | grep -qF ' status=sent ' ||
    fail "undeliverable copy: friend did not get the message:
$(delivery_lines "$qid")"
delivery_lines "$qid" | grep -F 'to=<support-missing+Sent@example.com>' | grep -qF ' status=bounced ' ||
    fail "undeliverable copy: expected the copy to bounce:
$(delivery_lines "$qid")"
if grep -E "[[:space:]]$qid: sender non-delivery notification" "$POSTFIX_LOG"; then
    fail "undeliverable copy: Postfix sent alice a bounce for the Sent copy (NOTIFY=NEVER missing)"
fi
imap_message friend INBOX 'copy undeliverable' >/dev/null
wait_queue_empty
expect_eq "undeliverable copy: alice's INBOX" 0 "$(imap_count alice INBOX)"
echo PASS
