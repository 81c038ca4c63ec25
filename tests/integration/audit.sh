#!/usr/bin/env bash
# `sendasctl audit` against a real slapd loaded with audit-fixture.ldif
# (instead of fixture.ldif): every finding code appears exactly where the
# fixture puts it, and nowhere else, in text, csv and json; holders come
# with their group paths; --mailbox, audit.user_filter,
# audit.disabled_filter and ldap.nested_depth change what they should;
# LDAP down is an error, not an empty report.
set -eu
. "$(dirname "$0")/lib.sh"
FIXTURE=$SENDAS_LIB_DIR/audit-fixture.ldif
require_stack slapd sendasctl
start_slapd

B=dc=example,dc=com
MILTER_SOCKET=unix:$T/unused.sock  # sendasctl reads the daemon's config; no daemon runs
audit() {  # [CONFIG LINE...] -- [sendasctl audit args...]: output in $out, status in $rc
    local lines=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do lines+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    write_milter_config "$T/ctl.conf" "audit.disabled_filter = (description=disabled)" ${lines[@]+"${lines[@]}"}
    rc=0
    out=$("$SENDASCTL" -c "$T/ctl.conf" audit --unused 0 "$@" 2>"$T/ctl.err") || rc=$?
}
same() {  # WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || fail "$1: expected
$2
--- got:
$3"
}

# The findings the fixture holds, "CODE mailbox dn", sorted.
expected_findings=$(sort <<EOF
FULL_ACCESS_WITHOUT_SEND support@example.com uid=carol,ou=people,$B
SEND_AS_AND_ON_BEHALF sales@example.com uid=frank,ou=people,$B
DANGLING_MEMBER ghost@example.com uid=nobody,ou=people,$B
NOT_A_USER devices@example.com cn=printer,ou=devices,$B
DISABLED_MEMBER locked@example.com uid=mallory,ou=people,$B
GROUP_CYCLE loop@example.com cn=cycle-a,ou=groups,$B
NESTED_TOO_DEEP deep@example.com uid=grace,ou=people,$B
EMPTY_GROUP empty@example.com cn=empty@example.com,ou=send-on-behalf,ou=mailbox-rights,$B
MAILBOX_WITHOUT_ENTRY orphan@example.com cn=orphan@example.com,ou=send-as,ou=mailbox-rights,$B
EOF
)
expected_mailboxes="clean@example.com
deep@example.com
devices@example.com
empty@example.com
ghost@example.com
locked@example.com
loop@example.com
orphan@example.com
sales@example.com
support@example.com"

# --- text ------------------------------------------------------------------
text_findings() {  # "  CODE mailbox dn: detail" lines after "findings:"
    sed -n '/^findings:$/,$p' <<<"$1" | tail -n +2 | grep -v '^  none$' | sed 's/^  //; s/: .*//' | sort
}
audit --
[ "$rc" = 0 ] || fail "audit exited $rc: $(cat "$T/ctl.err")"
text=$out
same "text findings" "$expected_findings" "$(text_findings "$text")"
same "text mailboxes" "$expected_mailboxes" "$(grep -E '^[^ ]' <<<"$text" | grep -v '^findings:$')"
grep -qxF "  send-as: alice@example.com  (uid=alice,ou=people,$B -> cn=team,ou=groups,$B -> cn=support@example.com,ou=send-as,ou=mailbox-rights,$B)" <<<"$text" ||
    fail "alice's nested Send As path on support@ missing:
$text"
grep -qxF "  full-access: carol@example.com  (uid=carol,ou=people,$B -> cn=support@example.com,ou=full-access,ou=mailbox-rights,$B)" <<<"$text" ||
    fail "carol's Full Access on support@ missing"
# heidi reached through the cycle, once; grace too deep: not a holder.
[ "$(grep -c '^  send-as: heidi@example.com  (' <<<"$text")" = 1 ] || fail "heidi should hold loop@ once"
! grep -q 'grace@example.com  (' <<<"$text" || fail "grace is beyond ldap.nested_depth: no holder"
# The disabled account still holds its right: the audit shows it.
grep -q '^  send-as: mallory@example.com  (' <<<"$text" || fail "mallory (disabled) must still be listed"
# Each holder line sits under its own mailbox.
same "holders of clean@" "  send-as: alice@example.com  (uid=alice,ou=people,$B -> cn=team,ou=groups,$B -> cn=clean@example.com,ou=send-as,ou=mailbox-rights,$B)" \
    "$(sed -n '/^clean@example.com$/,/^[^ ]/p' <<<"$text" | grep '^  ')"

# --- csv -------------------------------------------------------------------
# Splits RFC 4180 rows (no line breaks in this fixture's values) into
# fields joined by TAB.
csv_tab() {
    awk '{
        line = $0; out = ""; n = 0
        while (1) {
            if (substr(line, 1, 1) == "\"") {
                f = ""; i = 2
                while (1) {
                    c = substr(line, i, 1)
                    if (c == "\"" && substr(line, i + 1, 1) == "\"") { f = f "\""; i += 2; continue }
                    if (c == "\"") { i++; break }
                    if (c == "") { print "unterminated quote: " $0 > "/dev/stderr"; exit 1 }
                    f = f c; i++
                }
                line = substr(line, i)
            } else {
                j = index(line, ","); if (j == 0) j = length(line) + 1
                f = substr(line, 1, j - 1); line = substr(line, j)
            }
            out = out (n++ ? "\t" : "") f
            if (line == "") break
            if (substr(line, 1, 1) != ",") { print "text after a quoted field: " $0 > "/dev/stderr"; exit 1 }
            line = substr(line, 2)
            if (line == "") { out = out "\t"; n++; break }
        }
        print n "\t" out
    }'
}
audit -- --format csv
[ "$rc" = 0 ] || fail "audit --format csv exited $rc"
csv=$(csv_tab <<<"$out") || fail "csv does not parse:
$out"
same "csv header" "8	kind	mailbox	right	user	dn	path	code	detail" "$(head -1 <<<"$csv")"
bad=$(awk -F'\t' '$1 != 8' <<<"$csv")
[ -z "$bad" ] || fail "csv rows without 8 fields: $bad"
same "csv findings" "$expected_findings" "$(awk -F'\t' '$2 == "finding" { print $8 " " $3 " " $6 }' <<<"$csv" | sort)"
# A mailbox without holders (empty@) shows only in its finding row.
same "csv mailboxes" "$expected_mailboxes" "$(tail -n +2 <<<"$csv" | cut -f3 | sort -u)"
grep -qxF "8	holder	support@example.com	send-as	alice@example.com	uid=alice,ou=people,$B	uid=alice,ou=people,$B -> cn=team,ou=groups,$B -> cn=support@example.com,ou=send-as,ou=mailbox-rights,$B		" <<<"$csv" ||
    fail "csv holder row for alice on support@ missing:
$csv"
[ "$(awk -F'\t' '$2 == "holder" && $3 == "loop@example.com" { n++ } END { print n + 0 }' <<<"$csv")" = 1 ] ||
    fail "csv: loop@ has exactly one holder (heidi)"

# --- json ------------------------------------------------------------------
audit -- --format json
[ "$rc" = 0 ] || fail "audit --format json exited $rc"
json=$out
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool <<<"$json" >/dev/null || fail "audit --format json is not JSON:
$json"
else
    say "python3 not found: JSON syntax check skipped"
fi
[ "$(wc -l <<<"$json")" = 1 ] || fail "json: one document on one line expected"
case $json in '{"version":1,"mailboxes":[{"mailbox":'*'],"findings":[{"code":'*'}]}') ;; *) fail "json shape: $json" ;; esac
json_findings=$(printf '%s\n' "${json#*\"findings\":\[}" | grep -o '{"code":"[^"]*","mailbox":"[^"]*","dn":"[^"]*"' |
    sed 's/{"code":"\([^"]*\)","mailbox":"\([^"]*\)","dn":"\([^"]*\)"/\1 \2 \3/' | sort)
same "json findings" "$expected_findings" "$json_findings"
[ "$(grep -o '"code":' <<<"$json" | wc -l)" = 9 ] || fail "json: 9 findings expected"
same "json mailboxes" "$expected_mailboxes" "$(grep -o '{"mailbox":"[^"]*","rights":' <<<"$json" | cut -d'"' -f4 | sort)"
grep -qF "{\"mailbox\":\"support@example.com\",\"rights\":{\"send-as\":[{\"user\":\"alice@example.com\",\"dn\":\"uid=alice,ou=people,$B\",\"path\":[\"uid=alice,ou=people,$B\",\"cn=team,ou=groups,$B\",\"cn=support@example.com,ou=send-as,ou=mailbox-rights,$B\"]}],\"send-on-behalf\":[],\"full-access\":[" <<<"$json" ||
    fail "json: support@ rights with alice's path missing:
$json"
grep -qF '{"mailbox":"empty@example.com","rights":{"send-as":[],"send-on-behalf":[],"full-access":[]}}' <<<"$json" ||
    fail "json: empty@ lists no holder under every right"

# --- --mailbox ---------------------------------------------------------------
audit -- --mailbox SALES@example.com
[ "$rc" = 0 ] || fail "audit --mailbox exited $rc"
same "--mailbox sales@ (text)" "sales@example.com
  send-as: frank@example.com  (uid=frank,ou=people,$B -> cn=sales@example.com,ou=send-as,ou=mailbox-rights,$B)
  send-on-behalf: frank@example.com  (uid=frank,ou=people,$B -> cn=sales@example.com,ou=send-on-behalf,ou=mailbox-rights,$B)
findings:
  SEND_AS_AND_ON_BEHALF sales@example.com uid=frank,ou=people,$B: holds both; Send As wins" "$out"
audit -- --mailbox loop@example.com --format csv
same "--mailbox loop@ (csv mailboxes)" "loop@example.com" "$(csv_tab <<<"$out" | tail -n +2 | cut -f3 | sort -u)"
same "--mailbox loop@ (csv findings)" "GROUP_CYCLE" "$(csv_tab <<<"$out" | awk -F'\t' '$2 == "finding" { print $8 }')"
audit -- --mailbox orphan@example.com --format json
case $out in '{"version":1,"mailboxes":[{"mailbox":"orphan@example.com",'*'"findings":[{"code":"MAILBOX_WITHOUT_ENTRY","mailbox":"orphan@example.com",'*'}]}') ;;
*) fail "--mailbox orphan@ (json): $out" ;; esac
[ "$(grep -o '"mailbox":' <<<"$out" | wc -l)" = 2 ] || fail "--mailbox orphan@ (json): one mailbox, one finding: $out"
audit -- --mailbox clean@example.com
same "--mailbox clean@: no findings" "  none" "$(sed -n '/^findings:$/,$p' <<<"$out" | tail -n +2)"

# --- configuration ------------------------------------------------------------
# Without audit.disabled_filter nobody is disabled.
audit "audit.disabled_filter =" --
same "no disabled_filter" "$(grep -v DISABLED_MEMBER <<<"$expected_findings")" "$(text_findings "$out")"
# audit.user_filter decides who is a user: bob is not, then.
audit "audit.user_filter = (&(objectClass=inetOrgPerson)(!(uid=bob)))" -- --mailbox devices@example.com
same "user_filter without bob" "EMPTY_GROUP devices@example.com cn=devices@example.com,ou=send-as,ou=mailbox-rights,$B
NOT_A_USER devices@example.com cn=printer,ou=devices,$B
NOT_A_USER devices@example.com uid=bob,ou=people,$B" "$(text_findings "$out")"
# ldap.nested_depth as the daemon reads it: 6 reaches grace.
audit "ldap.nested_depth = 6" -- --mailbox deep@example.com
same "nested_depth 6" "" "$(text_findings "$out")"
grep -q '^  send-as: grace@example.com  (uid=grace,ou=people,'"$B"' -> cn=chain1,' <<<"$out" ||
    fail "nested_depth 6: grace holds deep@ through chain1..chain6:
$out"

# Straight from LDAP: a configured Redis (here one that does not answer) plays no part.
audit "redis.address = 127.0.0.1:1" --
[ "$rc" = 0 ] || fail "audit with Redis unreachable exited $rc: $(cat "$T/ctl.err")"
same "findings with Redis unreachable" "$expected_findings" "$(text_findings "$out")"

# --- errors -------------------------------------------------------------------
audit -- --format xml
[ "$rc" = 64 ] || fail "--format xml: expected exit 64 (EX_USAGE), got $rc"
stop_slapd || fail "could not stop slapd"

audit -- --format json
[ "$rc" = 69 ] || fail "LDAP down: expected exit 69 (EX_UNAVAILABLE), got $rc with: $out"
[ -z "$out" ] || fail "LDAP down: no report on stdout expected, got: $out"
grep -q 'LDAP' "$T/ctl.err" || fail "LDAP down: stderr should say so: $(cat "$T/ctl.err")"
echo PASS
