#!/usr/bin/env bash
# A password never crosses the network in clear: a simple bind with
# ldap.bind_password_file over plain ldap:// to a host that is not this
# one's loopback is refused when the config is read (sendas-milter -t
# exits 78 and nothing is sent), unless ldap.allow_plaintext_bind = yes.
#
# The "remote" host is 0.0.0.0: no loopback address, so the check treats
# it as it treats any other host, yet Linux connects to it on this
# machine, so the control with allow_plaintext_bind = yes reaches the
# test's own slapd and nothing leaves the machine.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd milter
slapd_log_searches
start_slapd
printf '%s\n' "$LDAP_ROOTPW" >"$T/password"
MILTER_SOCKET=unix:$T/milter.sock
bind_lines=("ldap.uri = ldap://0.0.0.0:$SLAPD_PORT/" "ldap.bind_dn = $LDAP_ROOTDN" "ldap.bind_password_file = $T/password")
binds() { grep -c " BIND dn=\"$LDAP_ROOTDN\"" "$T/slapd.log" || true; }

write_milter_config "$T/refused.conf" "${bind_lines[@]}"
status=0
out=$("$SENDAS_MILTER" -t -c "$T/refused.conf" 2>&1) || status=$?
[ $status = 78 ] || fail "sendas-milter -t with a clear-text bind to 0.0.0.0: status $status, expected 78: $out"
grep -q "ldap.uri: .*in clear to 0.0.0.0.*ldap.allow_plaintext_bind = yes" <<<"$out" ||
    fail "the refusal does not say why and what to do: $out"
[ "$(binds)" = 0 ] || fail "the refused config still bound to slapd"

# Control: the same bind, allowed, does reach slapd and succeeds.
write_milter_config "$T/allowed.conf" "${bind_lines[@]}" "ldap.allow_plaintext_bind = yes"
out=$("$SENDAS_MILTER" -t -c "$T/allowed.conf" 2>&1) || fail "sendas-milter -t with allow_plaintext_bind = yes: $out"
[ "$(binds)" -ge 1 ] || fail "no bind as $LDAP_ROOTDN seen in the slapd log with allow_plaintext_bind = yes"

# The loopback needs no permission: the same bind to 127.0.0.1.
write_milter_config "$T/loopback.conf" "${bind_lines[@]}" "ldap.uri = $SLAPD_URI"
out=$("$SENDAS_MILTER" -t -c "$T/loopback.conf" 2>&1) || fail "sendas-milter -t with a bind to $SLAPD_URI: $out"
echo PASS
