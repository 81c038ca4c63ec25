#!/usr/bin/env bash
# The bind to AD over TLS, verified against ldap.ca_file: StartTLS on
# ldap:// and LDAPS both work with the CA that signed the DC's certificate;
# with another CA the daemon refuses the server (tempfail, the message is
# kept), and says why.
set -eu
. "$(dirname "$0")/lib.sh"
. "$SENDAS_LIB_DIR/../lib/samba.sh"
require_stack samba probe
start_samba

start_milter "${SAMBA_MILTER_LINES[@]}" "ldap.starttls = yes" "ldap.ca_file = $SAMBA_CA"
[ "$(probe_result alice support@example.com)" = "result accept" ] || fail "alice as support@ over StartTLS"
stop_milter || fail "daemon did not stop cleanly"

start_milter "${SAMBA_MILTER_LINES[@]}" "ldap.uri = ldaps://127.0.0.2/" "ldap.ca_file = $SAMBA_CA"
[ "$(probe_result eve boss@example.com)" = "result accept" ] || fail "eve as boss@ over LDAPS"
stop_milter || fail "daemon did not stop cleanly"

# A CA that did not sign the DC's certificate.
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/other.key" \
    -out "$T/other-ca.pem" -days 1 -subj "/CN=another CA" >/dev/null 2>&1 || die "could not make a second CA"
start_milter "${SAMBA_MILTER_LINES[@]}" "ldap.starttls = yes" "ldap.ca_file = $T/other-ca.pem"
got=$(probe_result alice support@example.com)
case $got in
"result replycode 451 4.7.1 "*) ;;
*) fail "alice as support@ with a CA that does not match: expected a 451 tempfail, got '$got'" ;;
esac
grep -q 'StartTLS' "$MILTER_LOG" || fail "the log does not say StartTLS failed"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
