#!/usr/bin/env bash
# Report mode through the real daemon and slapd (fixture.ldif): in report
# mode nothing is refused or changed and the audit says what would have
# happened; report_domains / enforce_domains and the LDAP mailbox lists
# (ldap.report_base / ldap.enforce_base, added here with ldapadd) choose
# per domain and per mailbox; audit.format = json writes one parseable
# object per decision with the documented fields.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe ldapadd
start_slapd

B=dc=example,dc=com
# Per-mailbox lists: support@ and boss@ in report, sales@ and boss@ enforced
# (a mailbox on both lists is enforced).
LDAPNOINIT=1 "$LDAPADD" -x -H "$SLAPD_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" >"$T/ldapadd.log" 2>&1 <<EOF || die "ldapadd failed: $(cat "$T/ldapadd.log")"
dn: ou=report,ou=mailbox-rights,$B
objectClass: organizationalUnit
ou: report

dn: cn=support@example.com,ou=report,ou=mailbox-rights,$B
objectClass: organizationalRole
cn: support@example.com

dn: cn=boss@example.com,ou=report,ou=mailbox-rights,$B
objectClass: organizationalRole
cn: boss@example.com

dn: ou=enforce,ou=mailbox-rights,$B
objectClass: organizationalUnit
ou: enforce

dn: cn=sales@example.com,ou=enforce,ou=mailbox-rights,$B
objectClass: organizationalRole
cn: sales@example.com

dn: cn=boss@example.com,ou=enforce,ou=mailbox-rights,$B
objectClass: organizationalRole
cn: boss@example.com
EOF
LISTS=("ldap.report_base = ou=report,ou=mailbox-rights,$B" "ldap.enforce_base = ou=enforce,ou=mailbox-rights,$B")

daemon() {  # CONFIG LINE...: (re)starts the daemon with an empty log
    if [ -n "$MILTER_PID" ]; then stop_milter || fail "daemon did not stop cleanly"; fi
    : >"$T/milter.log"
    start_milter "rewrite.send_as_envelope = mailbox" "$@"
}
n=0
probe() {  # LOGIN ENVELOPE FROM [--header ...]...: output in $out, queue id in $qid
    local login=$1 envelope=$2 from=$3
    shift 3
    n=$((n + 1))
    qid=Q$n
    out=$("$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=$login" --macro "mail:i=$qid" \
        --from "$envelope" --rcpt '<friend@other.example>' --header "From: $from" "$@") ||
        fail "milter-probe failed: $out"
}
unchanged() {  # WHAT: the last message passed with no change at all
    [ "$out" = "result accept" ] || fail "$1: expected the message accepted unchanged, got:
$out"
}
rejected() {  # WHAT LOGIN MAILBOX
    [ "$out" = "result replycode 550 5.7.1 <$2> is not allowed to send as <$3>" ] ||
        fail "$1: expected 550 for $2 as $3, got:
$out"
}
audit_is() {  # LINE WHAT: the last message's audit line is exactly LINE
    local got
    got=$(grep "^$qid: " "$MILTER_LOG" || true)
    [ "$got" = "$1" ] || fail "$2: audit line
expected: $1
got:      $got"
}

# --- mode = report ------------------------------------------------------------
daemon "mode = report"
probe eve '<eve@example.com>' 'support@example.com'
unchanged "report: eve as support@"
audit_is "$qid: user=<eve> from=<support@example.com> envelope=<eve@example.com> right=none action=would-reject reason=no_right mode=report" \
    "report: eve as support@"
probe carol '<carol@example.com>' 'support@example.com'
unchanged "report: carol (Full Access only) as support@"
audit_is "$qid: user=<carol> from=<support@example.com> envelope=<carol@example.com> right=full-access action=would-reject reason=full_access_only mode=report" \
    "report: carol as support@"
# Send As: no Sender: removal, no envelope change, no Sent copy.
probe alice '<alice@example.com>' 'Support <support@example.com>' --header 'Sender: alice@example.com'
unchanged "report: alice (Send As) as support@"
audit_is "$qid: user=<alice> from=<support@example.com> envelope=<alice@example.com> right=send-as action=accept mode=report" \
    "report: alice as support@"
# Send on Behalf: no Sender: added, no Sent copy.
probe bob '<bob@example.com>' 'support@example.com'
unchanged "report: bob (Send on Behalf) as support@"
audit_is "$qid: user=<bob> from=<support@example.com> envelope=<bob@example.com> right=send-on-behalf action=accept mode=report" \
    "report: bob as support@"
# Header errors are reported too, not refused.
probe alice '<alice@example.com>' 'support@example.com' --header 'From: alice@example.com'
unchanged "report: two From: headers"
grep -q "^$qid: user=<alice> .*action=would-reject reason=multiple_from mode=report$" "$MILTER_LOG" ||
    fail "report: two From: headers: $(grep "^$qid: " "$MILTER_LOG")"

# --- mode = enforce (the default) refuses and changes, for comparison -------------
daemon
probe eve '<eve@example.com>' 'support@example.com'
rejected "enforce: eve as support@" eve support@example.com
audit_is "$qid: user=<eve> from=<support@example.com> envelope=<eve@example.com> right=none action=reject reason=no_right" \
    "enforce: eve as support@"
probe alice '<alice@example.com>' 'Support <support@example.com>' --header 'Sender: alice@example.com'
for change in 'chgfrom <support@example.com>' 'delheader Sender 1' 'addrcpt_par <support+Sent@example.com> NOTIFY=NEVER'; do
    grep -qxF "$change" <<<"$out" || fail "enforce: alice as support@ should be rewritten and copied ($change): $out"
done

# --- per domain ----------------------------------------------------------------
# Envelope = From:, as many clients send it: only the shared mailbox's
# domain is claimed.
daemon "report_domains = example.org"
probe eve '<team@example.org>' 'team@example.org'
unchanged "report_domains: eve as team@example.org"
audit_is "$qid: user=<eve> from=<team@example.org> envelope=<team@example.org> right=none action=would-reject reason=no_right mode=report" \
    "report_domains: eve as team@example.org"
probe eve '<support@example.com>' 'support@example.com'
rejected "report_domains: eve as support@example.com" eve support@example.com
# One enforced address enforces the message.
probe eve '<support@example.com>' 'team@example.org'
rejected "report_domains: From: in report, envelope enforced" eve team@example.org

daemon "mode = report" "enforce_domains = example.com"
probe eve '<support@example.com>' 'support@example.com'
rejected "enforce_domains: eve as support@example.com" eve support@example.com
probe eve '<team@example.org>' 'team@example.org'
unchanged "enforce_domains: eve as team@example.org"
audit_is "$qid: user=<eve> from=<team@example.org> envelope=<team@example.org> right=none action=would-reject reason=no_right mode=report" \
    "enforce_domains: eve as team@example.org"

# --- per mailbox, from LDAP ------------------------------------------------------
daemon "${LISTS[@]}"
for i in 1 2; do  # the second answer comes from the cache: the list must survive it
    probe eve '<support@example.com>' 'support@example.com'
    unchanged "report list under enforce: eve as support@ ($i)"
    audit_is "$qid: user=<eve> from=<support@example.com> envelope=<support@example.com> right=none action=would-reject reason=no_right mode=report" \
        "report list: eve as support@ ($i)"
done
probe eve '<sales@example.com>' 'sales@example.com'
rejected "enforce list under enforce: eve as sales@" eve sales@example.com
probe eve '<deep@example.com>' 'deep@example.com'
rejected "enforce mode, unlisted deep@" eve deep@example.com
probe eve '<boss@example.com>' 'boss@example.com'
rejected "on both lists: enforced" eve boss@example.com

daemon "mode = report" "${LISTS[@]}"
probe eve '<sales@example.com>' 'sales@example.com'
rejected "enforce list under report: eve as sales@" eve sales@example.com
probe eve '<deep@example.com>' 'deep@example.com'
unchanged "report mode, unlisted deep@"
probe eve '<support@example.com>' 'support@example.com'
unchanged "report list under report: eve as support@"

# The LDAP list wins over the domain lists.
daemon "report_domains = example.com" "${LISTS[@]}"
probe eve '<sales@example.com>' 'sales@example.com'
rejected "enforce list beats report_domains: eve as sales@" eve sales@example.com
probe eve '<deep@example.com>' 'deep@example.com'
unchanged "report_domains, unlisted deep@"
daemon "mode = report" "enforce_domains = example.com" "${LISTS[@]}"
probe eve '<support@example.com>' 'support@example.com'
unchanged "report list beats enforce_domains: eve as support@"
probe eve '<deep@example.com>' 'deep@example.com'
rejected "enforce_domains, unlisted deep@" eve deep@example.com

# --- audit.format = json ----------------------------------------------------------
json_is() {  # LINE: the log has exactly this line
    grep -qxF "$1" "$MILTER_LOG" || fail "json audit line: expected
$1
in:
$(cat "$MILTER_LOG")"
}
daemon "audit.format = json"
probe alice '<alice@example.com>' 'Support <support@example.com>' --header 'Sender: alice@example.com'
json_is "{\"queue_id\":\"$qid\",\"user\":\"alice\",\"from\":[\"support@example.com\"],\"envelope\":[\"alice@example.com\"],\"right\":\"send-as\",\"action\":\"accept\",\"sender_removed\":\"yes\",\"envelope_set\":\"support@example.com\",\"sent_copy\":[\"support+Sent@example.com\"]}"
probe bob '<bob@example.com>' 'support@example.com'
json_is "{\"queue_id\":\"$qid\",\"user\":\"bob\",\"from\":[\"support@example.com\"],\"envelope\":[\"bob@example.com\"],\"right\":\"send-on-behalf\",\"action\":\"accept\",\"sender_set\":\"yes\",\"sent_copy\":[\"support+Sent@example.com\"]}"
probe eve '<eve@example.com>' 'support@example.com'
json_is "{\"queue_id\":\"$qid\",\"user\":\"eve\",\"from\":[\"support@example.com\"],\"envelope\":[\"eve@example.com\"],\"right\":\"none\",\"action\":\"reject\",\"reason\":\"no_right\"}"
cp "$MILTER_LOG" "$T/enforce-json.log"
daemon "audit.format = json" "mode = report"
probe eve '<eve@example.com>' 'support@example.com'
json_is "{\"queue_id\":\"$qid\",\"user\":\"eve\",\"from\":[\"support@example.com\"],\"envelope\":[\"eve@example.com\"],\"right\":\"none\",\"action\":\"would-reject\",\"reason\":\"no_right\",\"mode\":\"report\"}"
cat "$T/enforce-json.log" >>"$MILTER_LOG"
! grep -q "^Q[0-9]*: user=" "$MILTER_LOG" || fail "audit.format = json still writes text audit lines"
if command -v python3 >/dev/null 2>&1; then
    grep '^{' "$MILTER_LOG" >"$T/audit.jsonl"
    python3 - "$T/audit.jsonl" <<'PY' || fail "json audit lines do not parse or have undocumented fields"
import json, sys
strings = {"queue_id", "user", "right", "action", "reason", "mode", "stale", "sender_set", "sender_removed", "envelope_set"}
lists = {"from", "sender", "envelope", "sent_copy"}
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 4, lines
for line in lines:
    obj = json.loads(line)
    assert isinstance(obj, dict), line
    for key in ("queue_id", "user", "from", "right", "action"):
        assert key in obj, (key, line)
    for key, value in obj.items():
        if key in strings:
            assert isinstance(value, str), (key, line)
        elif key in lists:
            assert isinstance(value, list) and all(isinstance(v, str) for v in value), (key, line)
        else:
            raise AssertionError("undocumented field %s in %s" % (key, line))
PY
else
    say "python3 not found: JSON parse check skipped"
fi
stop_milter || fail "daemon did not stop cleanly"

# --- last: the user's own envelope must not undo a mailbox's report list --------
# An ordinary message has the user's own address as envelope sender. With
# support@ on the report list, alice's Send As message must pass unchanged
# and eve's be reported, although alice@ / eve@ sit in an enforced domain.
daemon "${LISTS[@]}"
probe eve '<eve@example.com>' 'support@example.com'
unchanged "report list, envelope = the user's own address: eve as support@"
probe alice '<alice@example.com>' 'Support <support@example.com>' --header 'Sender: alice@example.com'
unchanged "report list, envelope = the user's own address: alice as support@"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
