#!/usr/bin/env bash
# Wrong bind credentials are a configuration error, not an outage to retry:
# messages get on_directory_error (451 by default), the log says so once,
# and the daemon does not bind again for every message.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
slapd_log_searches
start_slapd
printf 'not-the-password\n' >"$T/bind.pw"
chmod 600 "$T/bind.pw"
start_milter "ldap.bind_dn = $LDAP_ROOTDN" "ldap.bind_password_file = $T/bind.pw"

binds() { grep -cF ' BIND dn="'"$LDAP_ROOTDN"'"' "$T/slapd.log" || true; }
TEMPFAIL="result replycode 451 4.7.1 sender rights cannot be verified now, try again later"
for i in $(seq 1 10); do
    got=$(probe_result alice support@example.com "Q$i")
    [ "$got" = "$TEMPFAIL" ] || fail "message $i with a refused bind: expected '$TEMPFAIL', got '$got'"
done
b=$(binds)
say "10 messages with wrong credentials: $b bind attempts"
[ "$b" -ge 1 ] || fail "slapd saw no bind: the count does not count"
# One bind, plus at most the one retry a transient error would get.
[ "$b" -le 2 ] || fail "$b binds for 10 messages: a refused bind is retried per message"
warnings=$(grep -c "LDAP .* unavailable.*bind: Invalid credentials.*check ldap.bind_dn" "$MILTER_LOG" || true)
[ "$warnings" = 1 ] || fail "expected one warning naming the refused bind, got $warnings: $(grep LDAP "$MILTER_LOG")"

rc=0
out=$("$SENDAS_MILTER" -t -c "$MILTER_CONF" 2>&1) || rc=$?
[ $rc -eq 69 ] && grep -q "Invalid credentials" <<<"$out" || fail "-t with a wrong password: exit $rc: $out"

# The right password, by reload: decisions come back at once.
printf '%s\n' "$LDAP_ROOTPW" >"$T/bind.pw"
kill -USR1 "$MILTER_PID"
n=50
while [ $n -gt 0 ] && [ "$(probe_result alice support@example.com)" != "result accept" ]; do
    sleep 0.1
    n=$((n - 1))
done
[ "$(probe_result alice support@example.com)" = "result accept" ] || fail "fixed credentials after reload not used"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
