#!/usr/bin/env bash
# What miltertest cannot see, through our own protocol client: the envelope
# sender change under Send As, and the Sent copy's NOTIFY=NEVER argument.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
start_slapd
start_milter "rewrite.send_as_envelope = mailbox"

probe() {  # LOGIN ENVELOPE [--header ...]...
    local login=$1 envelope=$2
    shift 2
    "$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=$login" --macro mail:i=QID \
        --from "$envelope" --rcpt '<friend@other.example>' "$@"
}
expect() {  # OUTPUT LINE: the output must have LINE exactly
    grep -qxF -- "$2" <<<"$1" || fail "expected line '$2' in:
$1"
}
expect_not() {  # OUTPUT PATTERN
    ! grep -qE -- "$2" <<<"$1" || fail "unexpected '$2' in:
$1"
}

# Send As: envelope set to the mailbox, Sender: removed, copy without DSN.
out=$(probe alice '<alice@example.com>' --header 'From: Support <support@example.com>' --header 'Sender: alice@example.com')
expect "$out" "chgfrom <support@example.com>"
expect "$out" "delheader Sender 1"
expect "$out" "addrcpt_par <support+Sent@example.com> NOTIFY=NEVER"
expect "$out" "result accept"
expect_not "$out" "^addrcpt "

# Send on Behalf: envelope kept, Sender: added, copy without DSN.
out=$(probe bob '<bob@example.com>' --header 'From: support@example.com')
expect_not "$out" "^chgfrom"
expect "$out" 'addheader Sender: "Bob Builder" <bob@example.com>'
expect "$out" "addrcpt_par <support+Sent@example.com> NOTIFY=NEVER"

# Own address: nothing changes at all.
out=$(probe alice '<alice@example.com>' --header 'From: Alice <alice@example.com>')
[ "$(printf '%s\n' "$out")" = "result accept" ] || fail "own address changed something: $out"

# Two shared mailboxes, one spelled with +detail and upper case: one copy each.
out=$(probe alice '<alice@example.com>' --header 'From: support@example.com, heidi@example.com' \
    --header 'Sender: alice@example.com')
expect "$out" "result replycode 550 5.7.1 <alice> is not allowed to send as <heidi@example.com>"
expect_not "$out" "addrcpt"
out=$(probe frank '<frank@example.com>' --header 'From: sales@example.com, Sales+x@EXAMPLE.com' \
    --header 'Sender: frank@example.com')
[ "$(grep -c '^addrcpt_par <sales+Sent@example.com> NOTIFY=NEVER$' <<<"$out")" = 1 ] ||
    fail "expected exactly one copy for sales@: $out"

# A mailbox listed under ou=no-sent-copy gets no copy, but still its envelope.
out=$(probe alice '<alice@example.com>' --header 'From: noreply@example.com')
expect "$out" "chgfrom <noreply@example.com>"
expect "$out" "result accept"
expect_not "$out" "addrcpt"
grep -qE "from=<noreply@example.com> .*right=send-as action=accept envelope_set=<noreply@example.com>$" "$MILTER_LOG" ||
    fail "audit line for noreply@ should show no sent_copy"

# Rejected: no envelope change, no copy.
out=$(probe eve '<eve@example.com>' --header 'From: support@example.com')
expect "$out" "result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>"
expect_not "$out" "chgfrom|addrcpt"

# Folded From: (CRLF + space) is fine; a bare CR inside it is not.
out=$(probe alice '<alice@example.com>' --header-escaped 'From: Support\r\n <support@example.com>')
expect "$out" "addrcpt_par <support+Sent@example.com> NOTIFY=NEVER"
out=$(probe alice '<alice@example.com>' --header-escaped 'From: support@example.com\rBcc: x@y.example')
expect "$out" "result replycode 550 5.7.1 From: header rejected: control character in header"

# Several messages on one connection keep their own state.
out=$("$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=alice" --messages 3 \
    --from '<alice@example.com>' --rcpt '<friend@other.example>' --header 'From: support@example.com')
[ "$(grep -c '^addrcpt_par <support+Sent@example.com> NOTIFY=NEVER$' <<<"$out")" = 3 ] ||
    fail "expected one copy per message over one connection: $out"
echo PASS
