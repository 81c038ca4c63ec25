#!/usr/bin/env bash
# sendasctl audit with the usage records in Redis: a Send As or Send on
# Behalf holder carries its last use, UNUSED_RIGHT flags a right held but
# not used within --unused, with the last-used date; --diff lists the rights
# granted and revoked in LDAP since an earlier --format json snapshot;
# Redis down leaves the report without UNUSED_RIGHT and exits 69.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd redis probe sendasctl ldapadd
start_slapd
start_redis
start_milter "redis.address = $REDIS_ADDRESS"
B=dc=example,dc=com
audit() {  # ARGS...: output in $out, status in $rc
    rc=0
    out=$("$SENDASCTL" -c "$MILTER_CONF" audit "$@" 2>"$T/audit.err") || rc=$?
}
unused_of() {  # MAILBOX DN: the UNUSED_RIGHT lines of $out (text) for it
    grep "^  UNUSED_RIGHT $1 $2: " <<<"$out" || true
}

r=$(probe_result alice 'Support <support@example.com>' QA1)
[ "$r" = "result accept" ] || fail "alice as support@: $r"
for i in $(seq 50); do
    [ -n "$("$SENDASCTL" -c "$MILTER_CONF" usage --user alice@example.com --format csv | tail -n +2)" ] && break
    sleep 0.1
done

# --- UNUSED_RIGHT and last use -------------------------------------------------
audit
[ "$rc" = 0 ] || fail "audit exited $rc: $(cat "$T/audit.err")"
[ -z "$(unused_of support@example.com "uid=alice,ou=people,$B")" ] || fail "alice's used right flagged: $out"
grep -q "^  send-as: alice@example.com  (.*)  last used 20" <<<"$out" || fail "no last use for alice: $out"
unused_of support@example.com "uid=bob,ou=people,$B" | grep -q 'send-on-behalf not used within 90d, no use recorded' ||
    fail "bob's unused Send on Behalf not flagged: $out"
unused_of sales@example.com "uid=frank,ou=people,$B" | grep -q 'send-as not used within 90d' ||
    fail "frank's unused Send As not flagged: $out"
[ -z "$(grep 'UNUSED_RIGHT .* full-access' <<<"$out")" ] || fail "Full Access flagged as unused: $out"
grep -q "^  full-access: carol@example.com  (.*)$" <<<"$out" || fail "Full Access holder line: $out"
audit --unused 0
[ -z "$(grep UNUSED_RIGHT <<<"$out")" ] || fail "--unused 0 still reports UNUSED_RIGHT"
sleep 2
audit --unused 1s --format json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
support = [m for m in d["mailboxes"] if m["mailbox"] == "support@example.com"][0]
alice = [h for h in support["rights"]["send-as"] if h["user"] == "alice@example.com"][0]
assert alice["last_used"].startswith("20"), alice
assert support["rights"]["send-on-behalf"][0]["last_used"] is None, support
found = [f for f in d["findings"] if f["code"] == "UNUSED_RIGHT" and f["dn"].startswith("uid=alice,")
         and f["mailbox"] == "support@example.com"]
assert len(found) == 1 and "not used within 1s, last used " + alice["last_used"] in found[0]["detail"], found
' "$out" || fail "audit --unused 1s --format json: $out"
audit --format csv
grep -q '^holder,support@example.com,send-as,alice@example.com,.*",,last used 20' <<<"$out" || fail "csv last use: $out"

# --- --diff: granted and revoked since a snapshot --------------------------------------
audit --format json --unused 0
printf '%s\n' "$out" >"$T/before.json"
audit --diff "$T/before.json"
[ "$rc" = 0 ] && [ "$out" = "no changes" ] || fail "diff against itself ($rc): $out"
ldap_modify <<EOF
dn: cn=sales@example.com,ou=send-as,ou=mailbox-rights,$B
changetype: modify
add: member
member: uid=eve,ou=people,$B

dn: cn=sales@example.com,ou=send-on-behalf,ou=mailbox-rights,$B
changetype: modify
replace: member
member: uid=dave,ou=people,$B
EOF
audit --diff "$T/before.json"
expect="granted  sales@example.com  send-as  eve@example.com  (uid=eve,ou=people,$B)
granted  sales@example.com  send-on-behalf  dave@example.com  (uid=dave,ou=people,$B)
revoked  sales@example.com  send-on-behalf  frank@example.com  (uid=frank,ou=people,$B)"
[ "$rc" = 0 ] && [ "$out" = "$expect" ] || fail "diff ($rc): expected
$expect
got
$out"
audit --diff "$T/before.json" --format csv
[ "$(sed -n 2p <<<"$out")" = "granted,sales@example.com,send-as,eve@example.com,\"uid=eve,ou=people,$B\"" ] ||
    fail "diff csv: $out"
audit --diff "$T/before.json" --format json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [c["user"] for c in d["granted"]] == ["eve@example.com", "dave@example.com"] and [c["user"] for c in d["revoked"]] == ["frank@example.com"], d
' "$out" || fail "diff json: $out"
printf '{"version":1,"mailboxes":[{"mailbox":"x"}]}' >"$T/bad.json"
audit --diff "$T/bad.json"
[ "$rc" = 65 ] || fail "--diff with a document that is no snapshot exited $rc"
audit --diff "$T/missing.json"
[ "$rc" = 65 ] || fail "--diff with a missing file exited $rc"

# --- Redis down: the report without usage, exit 69 -----------------------------------
stop_redis || fail "Redis did not stop"
audit
[ "$rc" = 69 ] || fail "audit with Redis down exited $rc"
grep -q 'usage records in Redis .*the report has no last use and no UNUSED_RIGHT' "$T/audit.err" ||
    fail "no message for unread usage: $(cat "$T/audit.err")"
grep -q '^support@example.com$' <<<"$out" || fail "no report with Redis down: $out"
[ -z "$(grep UNUSED_RIGHT <<<"$out")" ] || fail "UNUSED_RIGHT without usage records"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
