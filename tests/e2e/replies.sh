#!/usr/bin/env bash
# What the submitting client is told, through real Postfix: one message per
# row of the decision table (doc/design.md, section 2), then the directory going down and coming back.
# Refused messages leave no trace: not at the recipient, not in the Sent
# folder.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_stack e2e
start_stack

# Own address: accepted, unchanged, no copy. Mail for another domain stays
# on this machine (discard).
qid=$(deliver alice 'Alice Example <alice@example.com>' --header 'Subject: own address' \
    --to friend@example.org,someone@other.example)
expect_eq "own address: recipients" "friend@example.org
someone@other.example" "$(recipients "$qid")"
delivery_lines "$qid" | grep -F 'to=<someone@other.example>, relay=none,' | grep -qF '(kept on this machine' ||
    fail "other.example was not discarded locally: $(delivery_lines "$qid")"
expect_audit "$qid" "user=<alice> from=<alice@example.com> (.* )?right=own action=accept"

# Send As: accepted, plus the copy for support's Sent folder.
out=$(submit alice 'Support <support@example.com>' --header 'Subject: send as')
expect_reply "$out" "250 2.0.0 Ok:"
qid=$(accepted "$out")
wait_delivered "$qid"
expect_eq "send as: recipients" "friend@example.org
support+Sent@example.com" "$(recipients "$qid")"
expect_audit "$qid" "user=<alice> from=<support@example.com> (.* )?right=send-as action=accept( .*)? sent_copy=<support\+Sent@example.com>"

# Send on Behalf: accepted, plus the copy.
out=$(submit bob 'Support <support@example.com>' --header 'Subject: send on behalf')
expect_reply "$out" "250 2.0.0 Ok:"
qid=$(accepted "$out")
wait_delivered "$qid"
expect_eq "send on behalf: recipients" "friend@example.org
support+Sent@example.com" "$(recipients "$qid")"
expect_audit "$qid" "user=<bob> from=<support@example.com> (.* )?right=send-on-behalf action=accept( .*)? sent_copy=<support\+Sent@example.com>"

# Full Access only: refused, the text says why.
out=$(submit carol 'Support <support@example.com>' --header 'Subject: full access only')
expect_reply "$out" \
    "550 5.7.1 <carol> has Full Access to <support@example.com> but no Send As or Send on Behalf right"
qid=$(rejected_queue_id "$out")
[ -n "$qid" ] || fail "full access only: no milter-reject line in the Postfix log"
expect_audit "$qid" "user=<carol> from=<support@example.com> (.* )?right=full-access action=reject .*reason=[a-z_]+"
expect_no_match "full access only: audit" "$(audit_line "$qid")" "sent_copy="

# No right at all: refused.
out=$(submit eve 'Support <support@example.com>' --header 'Subject: no right')
expect_reply "$out" "550 5.7.1 <eve> is not allowed to send as <support@example.com>"
qid=$(rejected_queue_id "$out")
[ -n "$qid" ] || fail "no right: no milter-reject line in the Postfix log"
expect_audit "$qid" "user=<eve> from=<support@example.com> (.* )?right=none action=reject .*reason=[a-z_]+"

# What arrived: the three accepted messages at friend, the two copies in
# support's Sent folder, nothing in support's INBOX, nothing refused anywhere.
expect_eq "friend's INBOX" "Subject: own address
Subject: send as
Subject: send on behalf" "$(imap_headers friend INBOX | grep '^Subject:' | sort)"
expect_eq "support's Sent" "Subject: send as
Subject: send on behalf" "$(imap_headers support Sent | grep '^Subject:' | sort)"
expect_eq "support's INBOX" 0 "$(imap_count support INBOX)"
for user in carol eve; do
    expect_eq "$user's Sent" 0 "$(imap_count "$user" Sent)"
done

# Directory down and nothing cached: tempfail, the client may retry. frank
# on sales@ has not been looked up before in this run, so no cache layer
# can answer for the directory.
stop_slapd || fail "could not stop slapd"
out=$(submit frank 'Sales <sales@example.com>' --header 'Subject: directory down')
expect_reply "$out" "451 4.7.1 sender rights cannot be verified now, try again later"
qid=$(rejected_queue_id "$out")
[ -n "$qid" ] || fail "directory down: no milter-reject line in the Postfix log"
expect_audit "$qid" "user=<frank> from=<sales@example.com> (.* )?action=tempfail .*reason=[a-z_]+"

# The retry after the directory is back goes through (Send As wins for frank).
start_slapd_again || fail "could not start slapd again"
qid=$(deliver frank 'Sales <sales@example.com>' --header 'Subject: directory back')
expect_eq "directory back: recipients" "friend@example.org
sales+Sent@example.com" "$(recipients "$qid")"
expect_eq "friend never got the tempfailed message" 0 "$(subject_count friend INBOX 'directory down')"
echo PASS
