#!/usr/bin/env bash
# ldap.sasl_mech = GSSAPI with ldap.keytab against the Samba AD DC, which
# is its own KDC here: the daemon holds no password at all, gets its
# ticket from the keytab and binds with Kerberos; AD refuses anonymous
# searches, so a right found proves the bind. A keytab whose keys are
# stale (the password was reset) is refused: tempfail.
set -eu
. "$(dirname "$0")/lib.sh"
. "$SENDAS_LIB_DIR/../lib/samba.sh"
require_stack samba probe
ls /usr/lib/*/sasl2/libgssapiv2.so* >/dev/null 2>&1 ||
    skip "the Cyrus SASL GSSAPI plugin is missing (install libsasl2-modules-gssapi-mit)"
SAMBA_KDC=yes
start_samba
# The principal is ldap/127.0.0.2: the name in the URI, not a reverse lookup.
export LDAPSASL_NOCANON=on
gssapi=("${SAMBA_MILTER_LINES[@]}" "-ldap.bind_dn" "-ldap.bind_password_file" "ldap.sasl_mech = GSSAPI")

start_milter "${gssapi[@]}" "ldap.keytab = $SAMBA_KEYTAB"
[ "$(probe_result alice support@example.com)" = "result accept" ] || fail "alice as support@ with a GSSAPI bind"
[ "$(probe_result eve boss@example.com)" = "result accept" ] || fail "eve as boss@ with a GSSAPI bind"
stop_milter || fail "daemon did not stop cleanly"

# Control: the account's password is reset, so the keytab's keys are stale.
"$SAMBA_TOOL" user setpassword svc-milter --newpassword='Reset-since-1!' -s "$T/samba/etc/smb.conf" \
    >"$T/setpassword.log" 2>&1 ||
    { cat "$T/setpassword.log" >&2; die "could not reset svc-milter's password"; }
start_milter "${gssapi[@]}" "ldap.keytab = $SAMBA_KEYTAB"
got=$(probe_result alice support@example.com)
case $got in "result replycode 451 4.7.1 "*) ;; *) fail "a stale keytab: expected a 451 tempfail, got '$got'" ;; esac
grep -q "bind: .*(check ldap.sasl_mech, ldap.keytab" "$MILTER_LOG" || fail "the refused Kerberos bind is not logged with its keys"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
