#!/usr/bin/env bash
# The daemon as an admin meets it first: -t (LDAP and Redis), --version,
# --help, refused configs naming file, line and key, and the shipped sample
# config.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd milter
start_slapd
conf=$T/check.conf
MILTER_SOCKET=unix:$T/unused.sock
write_milter_config "$conf"

out=$("$SENDAS_MILTER" -t -c "$conf" 2>&1) || fail "-t with slapd up failed: $out"
grep -q "configuration OK" <<<"$out" || fail "-t did not say OK: $out"

# -t asks Redis too. Nothing listening on the port: exit 69 (EX_UNAVAILABLE),
# naming Redis and its address.
down=127.0.0.1:$(pick_port)
rc=0
out=$("$SENDAS_MILTER" -t -c "$conf" --redis.address "$down" 2>&1) || rc=$?
[ $rc -eq 69 ] && grep -qF "Redis $down: " <<<"$out" || fail "-t with Redis down: exit $rc: $out"
! grep -q "configuration OK" <<<"$out" || fail "-t with Redis down said OK: $out"
# On loopback no key is needed: no warning (the control for the one below).
! grep -q "hmac_key_file" <<<"$out" || fail "-t warned about redis.hmac_key_file on loopback: $out"
# Redis elsewhere without a key: warned about, with -t too.
out=$("$SENDAS_MILTER" -t -c "$conf" --redis.address 192.0.2.1:6379 --redis.timeout 0.2 2>&1) || true
grep -qF "Redis 192.0.2.1:6379 is not on this host and redis.hmac_key_file is not set" <<<"$out" ||
    fail "-t did not warn about Redis on another host without a key: $out"
head -c 32 /dev/urandom >"$T/hmac.key"
out=$("$SENDAS_MILTER" -t -c "$conf" --redis.address 192.0.2.1:6379 --redis.timeout 0.2 \
    --redis.hmac_key_file "$T/hmac.key" 2>&1) || true
! grep -q "hmac_key_file is not set" <<<"$out" || fail "-t warned although redis.hmac_key_file is set: $out"
# Secret files are for the daemon's user only: one the group or others may
# read is warned about, by key and path; owner-only files are not.
printf '%s\n' "$LDAP_ROOTPW" >"$T/ldap.password"
chmod 0640 "$T/ldap.password"
chmod 0604 "$T/hmac.key"
secrets=(--ldap.bind_dn "$LDAP_ROOTDN" --ldap.bind_password_file "$T/ldap.password" --redis.hmac_key_file "$T/hmac.key")
out=$("$SENDAS_MILTER" -t -c "$conf" "${secrets[@]}" 2>&1) || fail "-t with readable secrets: $out"
grep -qF "ldap.bind_password_file $T/ldap.password is mode 0640: its group or others may read" <<<"$out" ||
    fail "-t did not warn about a 0640 password file: $out"
grep -qF "redis.hmac_key_file $T/hmac.key is mode 0604: its group or others may read" <<<"$out" ||
    fail "-t did not warn about a 0604 key file: $out"
grep -q "configuration OK" <<<"$out" || fail "a warning made -t fail: $out"
chmod 0400 "$T/ldap.password" "$T/hmac.key"
out=$("$SENDAS_MILTER" -t -c "$conf" "${secrets[@]}" 2>&1) || fail "-t with 0400 secrets: $out"
! grep -q "may read the secret" <<<"$out" || fail "-t warned about 0400 secret files: $out"
grep -q "configuration OK" <<<"$out" || fail "-t with 0400 secrets: $out"
# The daemon warns at start-up too.
chmod 0440 "$T/ldap.password"
start_milter "ldap.bind_dn = $LDAP_ROOTDN" "ldap.bind_password_file = $T/ldap.password"
grep -qF "ldap.bind_password_file $T/ldap.password is mode 0440" "$MILTER_LOG" ||
    fail "no start-up warning about a 0440 password file: $(cat "$MILTER_LOG")"
stop_milter || fail "the daemon did not stop"
if [ -n "$(_find_tool redis-server)" ] && [ -n "$(_find_tool redis-cli)" ]; then
    start_redis
    out=$("$SENDAS_MILTER" -t -c "$conf" --redis.address "$REDIS_ADDRESS" 2>&1) || fail "-t with Redis up: $out"
    grep -qF "configuration OK, LDAP reachable, Redis reachable" <<<"$out" || fail "-t with Redis up: $out"
else
    say "redis-server or redis-cli missing: -t with Redis up not checked"
fi

"$SENDAS_MILTER" --version | grep -qE '^sendas-milter [0-9]+\.[0-9]+' || fail "--version"

# Every key of the sample config is one the daemon knows, and it loads.
sample=${top_srcdir:-$SENDAS_LIB_DIR/../..}/etc/sendas-milter.conf
help=$("$SENDAS_MILTER" --help)
section=
while IFS= read -r line; do
    case $line in
    \[*\]) section=${line#[}; section=${section%]}. ;;
    [a-z]*=*) key=${line%%=*}; key=${section}${key%% *}
        grep -q -- "--$key " <<<"$help" || fail "--help does not list $key" ;;
    esac
done <"$sample"
out=$("$SENDAS_MILTER" -t -c "$sample" --user '' --ldap.uri "$SLAPD_URI" 2>&1) ||
    fail "sample config with the test directory: $out"

# Refused configs: file, line and key are named; exit status is EX_CONFIG.
printf 'socket = inet:1@127.0.0.1\n[ldap]\nuri = %s\nnested_dept = 3\n' "$SLAPD_URI" >"$T/bad.conf"
rc=0
out=$("$SENDAS_MILTER" -t -c "$T/bad.conf" 2>&1) || rc=$?
[ $rc -eq 78 ] || fail "unknown key: exit $rc, expected 78"
grep -qF "$T/bad.conf:4: ldap.nested_dept:" <<<"$out" || fail "unknown key message: $out"
printf 'foreign_from = maybe\n' >"$T/bad.conf"
rc=0
out=$("$SENDAS_MILTER" -t -c "$T/bad.conf" 2>&1) || rc=$?
[ $rc -eq 78 ] && grep -qF "$T/bad.conf:1: foreign_from: invalid value 'maybe'" <<<"$out" ||
    fail "bad value: exit $rc: $out"

# syslog = no logs to stderr only: the daemon needs the foreground, the
# checks (which never detach) do not.
out=$("$SENDAS_MILTER" -t -c "$conf" --syslog no 2>&1) || fail "-t with syslog = no: $out"
grep -q "configuration OK" <<<"$out" || fail "-t with syslog = no did not say OK: $out"
rc=0
out=$(timeout 10 "$SENDAS_MILTER" -c "$conf" --syslog no 2>&1) || rc=$?
[ $rc -eq 78 ] && grep -qF "sendas-milter: error: $conf: syslog = no needs --foreground" <<<"$out" ||
    fail "syslog = no detached: exit $rc: $out"
out=$("$SENDAS_MILTER" -f -t -c "$conf" --syslog no 2>&1) || fail "syslog = no in the foreground: $out"

# Directory down: -t says so and fails.
stop_slapd
rc=0
out=$("$SENDAS_MILTER" -t -c "$conf" 2>&1) || rc=$?
[ $rc -ne 0 ] && grep -q "LDAP" <<<"$out" || fail "-t with slapd down: exit $rc: $out"
echo PASS
