#!/usr/bin/env bash
# Malformed config lines (each once aborted both programs with
# std::out_of_range, exit 134) are refused with FILE:LINE and exit 78 by
# sendas-milter -t and sendasctl, and a reload with one keeps the running
# config and logs the same useful message.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd milter sendasctl
start_slapd
start_milter

shapes=('[ldap' 'socket' '= value' '[]' 'uri ldap://127.0.0.1/ more words')
for shape in "${shapes[@]}"; do
    { cat "$MILTER_CONF"; printf '%s\n' "$shape"; } >"$T/bad.conf"
    line=$(wc -l <"$T/bad.conf")
    for program in "$SENDAS_MILTER -t -c $T/bad.conf" "$SENDASCTL -c $T/bad.conf explain alice support@example.com"; do
        rc=0
        out=$($program 2>&1) || rc=$?
        [ $rc -eq 78 ] || fail "'$shape': ${program%% *} exited $rc, expected 78: $out"
        grep -qF "$T/bad.conf:$line: " <<<"$out" || fail "'$shape': ${program%% *} does not name $T/bad.conf:$line: $out"
        ! grep -q "substr\|out_of_range" <<<"$out" || fail "'$shape': internal error shown: $out"
    done
done

# An option holding one of Boost's %placeholders% once hung both programs.
for program in "$SENDAS_MILTER" "$SENDASCTL"; do
    rc=0
    out=$(timeout 10 "$program" --%canonical_option% 1 2>&1) || rc=$?
    [ $rc -eq 64 ] || fail "${program##*/} --%canonical_option%: exit $rc (124: hung), expected 64: $out"
done

# The same file on SIGUSR1: logged with its line, the running config kept.
cp "$MILTER_CONF" "$T/good.conf"
printf '[ldap\n' >>"$MILTER_CONF"
bad_line=$(wc -l <"$MILTER_CONF")
kill -USR1 "$MILTER_PID"
n=50
while [ $n -gt 0 ] && ! grep -q "reload failed" "$MILTER_LOG"; do sleep 0.1; n=$((n - 1)); done
grep -qF "reload failed, keeping the running configuration: $MILTER_CONF:$bad_line: section header without closing ']'" \
    "$MILTER_LOG" || fail "reload of a malformed file not logged usefully: $(grep reload "$MILTER_LOG")"
_pid_alive "$MILTER_PID" || fail "daemon died on a malformed reload"
[ "$(probe_result alice support@example.com)" = "result accept" ] || fail "decisions after a failed reload"
cp "$T/good.conf" "$MILTER_CONF"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
