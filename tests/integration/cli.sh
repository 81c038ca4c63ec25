#!/usr/bin/env bash
# Both programs as an admin types them, with no server running: -n checks a
# config offline (-t, asking the servers, is the control), every error names
# the program and, for a file, the system's reason, stray words are refused
# (exit 64), and sendasctl reads its subcommand before its config.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack sendasctl
_built SENDAS_MILTER daemon

# expect_exit STATUS PATTERN CMD...: CMD exits STATUS and its first line
# of output matches the extended regular expression PATTERN.
expect_exit() {
    local want=$1 pattern=$2 rc=0 out
    shift 2
    out=$("$@" 2>&1) || rc=$?
    [ "$rc" -eq "$want" ] || fail "${*##*/}: exit $rc, expected $want: $out"
    head -n 1 <<<"$out" | grep -qE -- "$pattern" || fail "${*##*/}: first line does not match '$pattern': $out"
}

# Nothing listens on these: LDAP and Redis are down.
SLAPD_URI=ldap://127.0.0.1:$(pick_port)/
MILTER_SOCKET=unix:$T/unused.sock
good=$T/good.conf
write_milter_config "$good" "redis.address = 127.0.0.1:$(pick_port)" "ldap.timeout = 1" "redis.timeout = 0.2"

# -n: syntax and values only.
expect_exit 0 "^$good: configuration OK \(syntax and values; LDAP and Redis not contacted\)$" \
    "$SENDAS_MILTER" -n -c "$good"
expect_exit 0 "configuration OK" "$SENDAS_MILTER" --check-syntax -c "$good"
# The control: -t asks the servers, which are down.
expect_exit 69 "^sendas-milter: (warning|error): LDAP " "$SENDAS_MILTER" -t -c "$good"
# A bad value: FILE:LINE and key, exit 78 (EX_CONFIG), with -n as with -t.
{ printf '# a comment\nmax_from_mailboxes = many\n'; cat "$good"; } >"$T/bad.conf"
for mode in -n -t; do
    expect_exit 78 "^sendas-milter: error: $T/bad.conf:2: max_from_mailboxes: invalid value 'many'" \
        "$SENDAS_MILTER" "$mode" -c "$T/bad.conf"
done
printf 'socket = unix:%s/x.sock\nlocal_domans = example.com\n' "$T" >"$T/typo.conf"
expect_exit 78 "^sendas-milter: error: $T/typo.conf:2: local_domans: " "$SENDAS_MILTER" -n -c "$T/typo.conf"
# syslog = no: the checks write to stderr, so they need no -f.
expect_exit 0 "configuration OK" "$SENDAS_MILTER" -n -c "$good" --syslog no
expect_exit 69 "^sendas-milter: (warning|error): LDAP " "$SENDAS_MILTER" -t -c "$good" --syslog no
expect_exit 64 "^sendas-milter: command line: -n checks without servers, -t with them" \
    "$SENDAS_MILTER" -n -t -c "$good"

# Stray words: once `-t good.conf` checked the default config instead.
expect_exit 64 "^sendas-milter: command line: unexpected argument '$good'" "$SENDAS_MILTER" -n "$good"
expect_exit 64 "^sendas-milter: command line: unexpected argument 'extra'" "$SENDAS_MILTER" -n -c "$good" extra
expect_exit 64 "^sendasctl: wrong arguments for explain" "$SENDASCTL" -c "$good" explain alice support@example.com more

# Open failures say why.
missing=$T/missing.conf
expect_exit 78 "^sendas-milter: error: $missing: cannot open config file: No such file or directory$" \
    "$SENDAS_MILTER" -n -c "$missing"
expect_exit 78 "^sendasctl: $missing: cannot open config file: No such file or directory$" \
    "$SENDASCTL" -c "$missing" explain alice support@example.com
expect_exit 78 "^sendas-milter: error: $T: cannot open config file: Is a directory$" "$SENDAS_MILTER" -n -c "$T"
write_milter_config "$T/secret.conf" "ldap.bind_dn = cn=milter,$LDAP_BASE" "ldap.bind_password_file = $T/nopass"
expect_exit 78 "^sendas-milter: error: $T/secret.conf:[0-9]+: ldap.bind_password_file: cannot read $T/nopass: No such file or directory$" \
    "$SENDAS_MILTER" -n -c "$T/secret.conf"
# Permission denied: as root, read as nobody; otherwise a file we may not read.
cp "$good" "$T/private.conf"
chmod 0600 "$T/private.conf"
as_other=()
if [ "$(id -u)" -eq 0 ]; then
    getent passwd nobody >/dev/null || skip "no user nobody to read as"
    chmod 0711 "$T"
    as_other=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
else
    chmod 0000 "$T/private.conf"
fi
expect_exit 78 "^sendas-milter: error: $T/private.conf: cannot open config file: Permission denied$" \
    "${as_other[@]}" "$SENDAS_MILTER" -n -c "$T/private.conf"
expect_exit 78 "^sendasctl: $T/private.conf: cannot open config file: Permission denied$" \
    "${as_other[@]}" "$SENDASCTL" -c "$T/private.conf" cache stats
# The control: the same file, readable, passes.
chmod 0644 "$T/private.conf"
expect_exit 0 "configuration OK" "${as_other[@]}" "$SENDAS_MILTER" -n -c "$T/private.conf"

# The daemon too: a pid file it cannot write is named with the reason.
start_milter "pidfile = $T/no/such/dir/milter.pid"
wait_for 50 grep -qxF "sendas-milter: warning: cannot write pid file $T/no/such/dir/milter.pid: No such file or directory" \
    "$MILTER_LOG" || fail "pid file failure: $(cat "$MILTER_LOG")"
stop_milter || fail "daemon did not stop cleanly"

# sendasctl reads its subcommand first: a typo is a usage error even
# without a readable config (and the missing config is the control).
expect_exit 64 "^sendasctl: unknown command 'bogus'$" "$SENDASCTL" -c "$missing" bogus
expect_exit 64 "^sendasctl: no command given$" "$SENDASCTL" -c "$missing"
expect_exit 64 "^sendasctl: --format is text, csv, json or html$" "$SENDASCTL" -c "$missing" audit --format xml
expect_exit 64 "^sendasctl: --diff prints text, csv or json$" "$SENDASCTL" -c "$missing" audit --format html --diff old.json
expect_exit 64 "^sendasctl: " "$SENDASCTL" --no-such-option
expect_exit 0 "^Usage: sendasctl " "$SENDASCTL" --help
echo PASS
