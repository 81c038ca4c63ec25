#!/usr/bin/env bash
# sendasctl on ldap.layout = ad against a real Samba AD DC: explain names
# the ACE or the publicDelegates value and the group that carries the
# right; audit reads every member of a group larger than one range of
# values (1,600, AD returns 1,500 at a time), lists nested holders with no
# depth limit even with ldap.nested_depth = 0 (the DC resolves nesting),
# reports a deny ACE and a disabled holder, and raises no false
# NESTED_TOO_DEEP, NOT_A_USER or SELF finding.
set -eu
. "$(dirname "$0")/lib.sh"
. "$SENDAS_LIB_DIR/../lib/samba.sh"
require_stack samba sendasctl
start_samba
MILTER_SOCKET=unix:$T/unused.sock
write_milter_config "$T/ad.conf" "${SAMBA_MILTER_LINES[@]}" "ldap.nested_depth = 0"

# explain USER ADDRESS: its output; the exit status in $status.
explain() {
    status=0
    out=$("$SENDASCTL" -c "$T/ad.conf" explain "$1" "$2" 2>&1) || status=$?
}
expect_line() {  # TEXT: one line of $out contains it
    grep -qF -- "$1" <<<"$out" || fail "expected '$1' in:
$out"
}

explain alice support@example.com
[ $status = 0 ] || fail "explain alice support@: status $status: $out"
expect_line "right:    send-as"
expect_line "path:     CN=alice,$SAMBA_USERS -> CN=sendas-support,$SAMBA_USERS -> Send-As ACE "
expect_line "in nTSecurityDescriptor of CN=support,$SAMBA_USERS"
expect_line "holds:    send-as, full-access"

explain bob support@example.com
expect_line "path:     CN=bob,$SAMBA_USERS -> Send-As ACE "

explain eve boss@example.com
[ $status = 0 ] || fail "explain eve boss@: status $status"
expect_line "right:    send-on-behalf"
expect_line "path:     CN=eve,$SAMBA_USERS -> CN=assistants,$SAMBA_USERS -> publicDelegates of CN=boss,$SAMBA_USERS"

explain dave boss@example.com
expect_line "path:     CN=dave,$SAMBA_USERS -> publicDelegates of CN=boss,$SAMBA_USERS"

explain carol support@example.com
[ $status = 1 ] || fail "explain carol support@ (denied): status $status"
expect_line "holds:    nothing"

explain grace grace@example.com
[ $status = 1 ] || fail "explain grace (disabled) grace@: status $status"
grep -qxF "user:     grace (CN=grace,$SAMBA_USERS), own addresses: " <<<"$out" || fail "grace owns addresses: $out"
explain alice alice@example.com
grep -qxF "user:     alice (CN=alice,$SAMBA_USERS), own addresses: alice@example.com" <<<"$out" ||
    fail "alice's own addresses: $out"

explain frank support@example.com
[ $status = 1 ] || fail "explain frank support@ (Full Access only): status $status"
expect_line "path:     CN=frank,$SAMBA_USERS -> CN=support@example.com,OU=full-access,OU=mailbox-rights,$SAMBA_BASE"

started=$SECONDS
"$SENDASCTL" -c "$T/ad.conf" audit >"$T/audit.txt" 2>"$T/audit.err" || {
    cat "$T/audit.err" >&2
    fail "sendasctl audit failed"
}
say "audit of the AD fixture: $((SECONDS - started)) s"
"$SENDASCTL" -c "$T/ad.conf" audit --format json >"$T/audit.json" || fail "sendasctl audit --format json failed"
out=$(cat "$T/audit.txt")

# The whole 1,600-member group, not the first range of 1,500.
holders=$(grep -c '^  send-as: staff[0-9]*@example.com  (CN=staff[0-9]*,CN=Users,.* -> CN=all-staff,' "$T/audit.txt" || true)
[ "$holders" = "$SAMBA_BULK_MEMBERS" ] || fail "news@: $holders Send As holders through all-staff, expected $SAMBA_BULK_MEMBERS"
expect_line "CN=alice,$SAMBA_USERS -> CN=helpdesk,$SAMBA_USERS -> CN=support-team,$SAMBA_USERS -> CN=sendas-support,$SAMBA_USERS -> nTSecurityDescriptor of CN=support,$SAMBA_USERS"
expect_line "send-on-behalf: eve@example.com  (CN=eve,$SAMBA_USERS -> CN=assistants-emea,$SAMBA_USERS -> CN=assistants,$SAMBA_USERS -> publicDelegates of CN=boss,$SAMBA_USERS)"
expect_line "send-on-behalf: dave@example.com"
expect_line "DENIED_MEMBER support@example.com CN=carol,$SAMBA_USERS"
expect_line "DISABLED_MEMBER support@example.com CN=grace,$SAMBA_USERS"
expect_line "FULL_ACCESS_WITHOUT_SEND support@example.com CN=frank,$SAMBA_USERS"
expect_line "full-access: alice@example.com"
# carol is denied: listed as a finding, never as a holder.
if grep -q '^  send-as: carol@' "$T/audit.txt"; then fail "carol listed as a Send As holder despite the deny ACE"; fi
for false_finding in NESTED_TOO_DEEP NOT_A_USER S-1-5-10 DANGLING_MEMBER; do
    if grep -q "$false_finding" "$T/audit.txt"; then
        fail "audit reports $false_finding on AD: $(grep "$false_finding" "$T/audit.txt" | head -n 3)"
    fi
done
grep -q '"code":"DENIED_MEMBER"' "$T/audit.json" || fail "JSON audit lacks the DENIED_MEMBER finding"

# The groups layout keeps its depth limit: the positive control of the
# NESTED_TOO_DEEP check above, on the same directory read as groups.
write_milter_config "$T/groups.conf" "${SAMBA_MILTER_LINES[@]}" "ldap.layout = groups" "ldap.nested_depth = 0" \
    "ldap.send_as_base = OU=full-access,OU=mailbox-rights,$SAMBA_BASE" \
    "ldap.send_on_behalf_base = OU=full-access,OU=mailbox-rights,$SAMBA_BASE" \
    "ldap.group_filter = (&(objectClass=group)(cn=%m))" \
    "audit.user_filter = (&(objectCategory=person)(objectClass=user))"
samba_admin_modify <<EOF
dn: CN=support@example.com,OU=full-access,OU=mailbox-rights,$SAMBA_BASE
changetype: modify
add: member
member: CN=helpdesk,$SAMBA_USERS
EOF
"$SENDASCTL" -c "$T/groups.conf" audit >"$T/groups.txt" || fail "audit with the groups layout failed"
grep -q "NESTED_TOO_DEEP support@example.com CN=carol,$SAMBA_USERS" "$T/groups.txt" ||
    fail "the groups layout with nested_depth = 0 did not report carol in helpdesk as too deep:
$(cat "$T/groups.txt")"
echo PASS
