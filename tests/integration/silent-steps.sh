#!/usr/bin/env bash
# The steps that only collect facts (connect, MAIL FROM, headers) are
# answered with silence where the MTA offers SMFIP_NR_CONN, SMFIP_NR_MAIL and
# SMFIP_NR_HDR (Postfix and Sendmail 8.14+ do), and with "continue" where it
# does not. A stray or missing reply would desynchronise the exchange: the
# client waits for none, or reads one as the end-of-message verdict.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
start_slapd
start_milter

NR_CONN=0x1000 NR_MAIL=0x4000 NR_HDR=0x80
SILENT=$((NR_CONN | NR_MAIL | NR_HDR))

probe() {  # NOT-OFFERED LOGIN FROM-HEADER: two messages on one connection
    "$MILTER_PROBE" --socket "$MILTER_SOCKET" --verbose --not-offer "$1" --messages 2 \
        --macro "mail:{auth_authen}=$2" --macro mail:i=QID --from "<$2@example.com>" \
        --rcpt '<friend@other.example>' --header "From: $3" --header 'Subject: hi' --header 'To: x@other.example' \
        2>"$T/negotiation"
}
negotiated_protocol() { sed -n 's/^negotiated .* protocol \(0x[0-9a-f]*\)$/\1/p' "$T/negotiation"; }

for offer in all without-nr; do
    not_offered=0
    [ "$offer" = all ] || not_offered=$(printf '0x%x' "$SILENT")
    out=$(probe "$not_offered" alice 'Support <support@example.com>') || fail "$offer: exchange failed: $out"
    protocol=$(negotiated_protocol)
    [ -n "$protocol" ] || fail "$offer: no negotiation printed"
    if [ "$offer" = all ]; then
        [ $((protocol & SILENT)) = $((SILENT)) ] || fail "offered, but not negotiated silent steps: $protocol"
    else
        [ $((protocol & SILENT)) = 0 ] || fail "negotiated silent steps that were not offered: $protocol"
    fi
    [ "$(grep -c '^addrcpt_par <support+Sent@example.com> NOTIFY=NEVER$' <<<"$out")" = 2 ] ||
        fail "$offer: expected the Sent copy in both messages: $out"
    [ "$(grep -c '^result accept$' <<<"$out")" = 2 ] || fail "$offer: expected two accepts: $out"

    out=$(probe "$not_offered" eve 'support@example.com') || fail "$offer: exchange failed: $out"
    [ "$(grep -c '^result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>$' <<<"$out")" = 2 ] ||
        fail "$offer: expected two rejects: $out"
    # Nothing but the verdict and the changes: no reply to a silent step.
    ! grep -vE '^(message [12]|addrcpt_par .*|result .*)$' <<<"$out" || fail "$offer: unexpected step reply: $out"
done
echo PASS
