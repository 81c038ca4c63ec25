#!/usr/bin/env bash
# What recipients and the shared mailbox's team see over IMAP after real
# Postfix and Dovecot delivered the message: Sender: for Send on Behalf
# (also for a delegate on a personal mailbox), no Sender: for Send As even
# when the client sent one, the envelope sender kept by default, the copy in
# the mailbox's Sent folder and not in its INBOX, and no header at any
# recipient that gives the copy away.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_stack e2e
start_stack

# checks_recipient WHAT USER SUBJECT: USER's INBOX has the message once and
# nothing in its header block names the Sent copy; prints the header block.
checks_recipient() {
    local what=$1 user=$2 subject=$3 msg
    msg=$(imap_message "$user" INBOX "$subject")
    expect_no_match "$what: $user's copy gives the Sent copy away" "$msg" '\+Sent|Sent@'
    printf '%s\n' "$msg"
}

# checks_sent_copy WHAT MAILBOX SUBJECT: the copy is in MAILBOX's Sent
# folder once, and its INBOX is empty; prints the copy's header block.
checks_sent_copy() {
    local what=$1 mailbox=$2 subject=$3
    expect_eq "$what: $mailbox's INBOX" 0 "$(imap_count "$mailbox" INBOX)"
    imap_message "$mailbox" Sent "$subject"
}

# Send on Behalf, to friend with colleague in Cc. The client's own Sender:
# is replaced by the one the milter sets.
subject="on behalf of support"
qid=$(deliver bob 'Support Team <support@example.com>' --header "Subject: $subject" \
    --to friend@example.org,colleague@example.org --header 'To: friend@example.org' \
    --add-header 'Cc: colleague@example.org' \
    --add-header 'Sender: Bobby <bob.b@example.com>')
for user in friend colleague; do
    msg=$(checks_recipient "send on behalf" "$user" "$subject")
    expect_eq "send on behalf: Sender: at $user" '"Bob Builder" <bob@example.com>' "$(header_value "$msg" Sender)"
    expect_eq "send on behalf: one Sender: at $user" 1 "$(grep -ci '^Sender:' <<<"$msg")"
    expect_eq "send on behalf: From: at $user" 'Support Team <support@example.com>' "$(header_value "$msg" From)"
    expect_eq "send on behalf: Return-Path: at $user" '<bob@example.com>' "$(header_value "$msg" Return-Path)"
done
msg=$(checks_sent_copy "send on behalf" support "$subject")
expect_eq "send on behalf: Sender: in support's Sent" '"Bob Builder" <bob@example.com>' "$(header_value "$msg" Sender)"
expect_eq "send on behalf: recipients" "colleague@example.org
friend@example.org
support+Sent@example.com" "$(recipients "$qid")"

# Send As with a Sender: from the client: removed; envelope sender kept.
subject="as support"
qid=$(deliver alice 'Support Team <support@example.com>' --header "Subject: $subject" \
    --to friend@example.org,colleague@example.org --header 'To: friend@example.org' \
    --add-header 'Cc: colleague@example.org' \
    --add-header 'Sender: Alice Example <alice@example.com>')
for user in friend colleague; do
    msg=$(checks_recipient "send as" "$user" "$subject")
    expect_eq "send as: Sender: at $user" "" "$(header_value "$msg" Sender)"
    expect_eq "send as: From: at $user" 'Support Team <support@example.com>' "$(header_value "$msg" From)"
    expect_eq "send as: Return-Path: at $user" '<alice@example.com>' "$(header_value "$msg" Return-Path)"
done
msg=$(checks_sent_copy "send as" support "$subject")
expect_eq "send as: Sender: in support's Sent" "" "$(header_value "$msg" Sender)"
expect_eq "support's Sent after two messages" 2 "$(imap_count support Sent)"

# A blind copy: the Bcc recipient gets it, To: and Cc: recipients see
# neither the Bcc recipient nor the Sent copy, which the Sent folder has.
subject="with a bcc"
qid=$(deliver alice 'support@example.com' --header "Subject: $subject" \
    --to friend@example.org,colleague@example.org --header 'To: friend@example.org')
for user in friend colleague; do
    msg=$(checks_recipient "bcc" "$user" "$subject")
    expect_no_match "bcc: $user sees the blind recipient" "$msg" 'colleague@example.org'
done
checks_sent_copy "bcc" support "$subject" >/dev/null

# A delegate on a personal mailbox: the manager's Sent folder gets the copy.
subject="for the boss"
qid=$(deliver dave 'The Boss <boss@example.com>' --header "Subject: $subject")
msg=$(checks_recipient "delegate" friend "$subject")
expect_eq "delegate: Sender: at friend" '"Dave Delegate" <dave@example.com>' "$(header_value "$msg" Sender)"
expect_eq "delegate: From: at friend" 'The Boss <boss@example.com>' "$(header_value "$msg" From)"
checks_sent_copy "delegate" boss "$subject" >/dev/null
expect_eq "delegate: recipients" "boss+Sent@example.com
friend@example.org" "$(recipients "$qid")"

# Own address: no Sender:, no copy anywhere.
subject="just alice"
qid=$(deliver alice 'Alice Example <alice@example.com>' --header "Subject: $subject")
msg=$(checks_recipient "own address" friend "$subject")
expect_eq "own address: Sender: at friend" "" "$(header_value "$msg" Sender)"
expect_eq "own address: recipients" "friend@example.org" "$(recipients "$qid")"
expect_eq "own address: alice's Sent" 0 "$(imap_count alice Sent)"
expect_eq "support's Sent at the end" 3 "$(imap_count support Sent)"
echo PASS
