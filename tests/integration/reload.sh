#!/usr/bin/env bash
# SIGUSR1 swaps in the re-read config for new connections; a config that
# does not load is logged and the running one kept.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
start_slapd
start_milter

foreign() {  # the reply to alice sending as a foreign address
    "$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=alice" --from '<alice@example.com>' \
        --rcpt '<friend@other.example>' --header 'From: someone@other.example' | tail -n 1
}
reloaded() {  # wait until the log shows N reload outcomes
    local want=$1 n=50
    while [ $n -gt 0 ]; do
        [ "$(grep -cE 'configuration reloaded|reload failed' "$MILTER_LOG")" -ge "$want" ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    fail "no reload logged"
}

[ "$(foreign)" = "result replycode 550 5.7.1 <alice> is not allowed to send as <someone@other.example>" ] ||
    fail "default foreign_from should reject"

write_milter_config "$MILTER_CONF" "foreign_from = accept"
kill -USR1 "$MILTER_PID"
reloaded 1
[ "$(foreign)" = "result accept" ] || fail "reloaded foreign_from = accept not applied"

printf 'foreign_from = sometimes\n' >>"$MILTER_CONF"
kill -USR1 "$MILTER_PID"
reloaded 2
grep -q "reload failed, keeping the running configuration" "$MILTER_LOG" || fail "bad reload not logged"
[ "$(foreign)" = "result accept" ] || fail "a failed reload must keep the running config"
kill -0 "$MILTER_PID" || fail "daemon died on a bad reload"
echo PASS
