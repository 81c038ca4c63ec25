#!/usr/bin/env bash
# ldap.sasl_mech = EXTERNAL over ldapi:// (OpenLDAP): the daemon binds as
# the identity of its process, with no password anywhere, and decides as
# with any other bind.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
socket_path=$T/ldapi
SLAPD_EXTRA_URIS="ldapi://${socket_path//\//%2F}"
slapd_log_searches
start_slapd
start_milter "ldap.uri = $SLAPD_EXTRA_URIS" "ldap.sasl_mech = EXTERNAL"
[ "$(probe_result bob support@example.com)" = "result accept" ] || fail "bob as support@ over ldapi:// with EXTERNAL"
[ "$(probe_result eve support@example.com)" = "result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>" ] ||
    fail "eve as support@ over ldapi:// with EXTERNAL"
grep -q "BIND dn=\"gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth\" mech=EXTERNAL" "$T/slapd.log" ||
    fail "slapd saw no EXTERNAL bind as this process: $(grep BIND "$T/slapd.log" | head -n 5)"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
