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
# A key read on reload draws no restart warning (the control for the next).
! grep -q "read at start only" "$MILTER_LOG" || fail "restart warning for foreign_from: $(grep reload: "$MILTER_LOG")"

# Keys read at start only: logged as not applied, the daemon stays on its socket.
port=$(pick_port)
write_milter_config "$MILTER_CONF" "foreign_from = accept" "socket = unix:$T/moved.sock" "pidfile = $T/moved.pid" \
    "metrics.listen = 127.0.0.1:$port"
kill -USR1 "$MILTER_PID"
reloaded 2
for key in socket pidfile metrics.listen; do
    grep -qF "sendas-milter: warning: reload: $key changed in $MILTER_CONF but is read at start only: not applied until a restart" \
        "$MILTER_LOG" || fail "changed $key not logged as needing a restart: $(grep reload: "$MILTER_LOG")"
done
[ "$(grep -c "read at start only" "$MILTER_LOG")" -eq 3 ] || fail "restart warnings: $(grep reload: "$MILTER_LOG")"
[ ! -e "$T/moved.sock" ] && [ ! -e "$T/moved.pid" ] || fail "a reload opened the new socket or pid file"
! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "a reload started metrics.listen"
[ "$(foreign)" = "result accept" ] || fail "the old socket stopped answering after the reload"

printf 'foreign_from = sometimes\n' >>"$MILTER_CONF"
kill -USR1 "$MILTER_PID"
reloaded 3
grep -q "reload failed, keeping the running configuration" "$MILTER_LOG" || fail "bad reload not logged"
[ "$(foreign)" = "result accept" ] || fail "a failed reload must keep the running config"
kill -0 "$MILTER_PID" || fail "daemon died on a bad reload"
echo PASS
