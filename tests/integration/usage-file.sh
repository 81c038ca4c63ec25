#!/usr/bin/env bash
# Usage records without Redis: this host's state file (usage.state_file)
# keeps the counts across a restart, so a right used before is no first
# use after it; alerts.median_factor compares a day with the median of the
# 30 days before (seeded into the file); a damaged line costs one record;
# a state file that cannot be written refuses no mail.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe sendasctl
start_slapd
STATE=$T/usage.state
today=$(($(date +%s) / 86400))

send() {  # LOGIN FROM QID: must be accepted
    local r
    r=$(probe_result "$1" "$2" "$3")
    [ "$r" = "result accept" ] || fail "$1 as $2: $r"
}
usage_csv() {
    "$SENDASCTL" -c "$MILTER_CONF" usage --format csv "$@" | tail -n +2 | cut -d, -f1-4
}
wait_usage() {  # EXPECTED ARGS...: until usage_csv ARGS prints EXPECTED (10 s)
    local expected=$1 i
    shift
    for i in $(seq 100); do
        [ "$(usage_csv "$@")" = "$expected" ] && return 0
        sleep 0.1
    done
    fail "usage $*: expected '$expected', got '$(usage_csv "$@")'"
}

# frank used Send As on sales@ 5 times a day for the 30 days before today.
days=
for d in $(seq $((today - 30)) $((today - 1))); do days+="${days:+,}$d=5"; done
printf 'sendas-milter-usage 1\nfrank@example.com\tsales@example.com\tsend-as\tuid=frank,ou=people,dc=example,dc=com\t%s\t%s\t%s\n' \
    $(((today - 30) * 86400)) $((today * 86400 - 3600)) "$days" >"$STATE"

start_milter "alerts.median_factor = 2"
send alice 'Support <support@example.com>' QA1
send alice 'Support <support@example.com>' QA2
wait_usage "alice@example.com,support@example.com,send-as,2" --user alice@example.com
[ "$(grep -c 'first_use: user=<alice@example.com>' "$MILTER_LOG")" = 1 ] || fail "first_use for alice not logged once"
# What a daemon has pending when it stops is written, not lost.
send bob 'Support <support@example.com>' QB1
stop_milter || fail "daemon did not stop cleanly"
[ "$(usage_csv --user bob@example.com)" = "bob@example.com,support@example.com,send-on-behalf,1" ] ||
    fail "bob's message before the stop: $(usage_csv --user bob@example.com)"
[ "$(grep -c 'first_use:' "$MILTER_LOG")" = 2 ] || fail "first_use lines before the restart: $(grep -c 'first_use:' "$MILTER_LOG")"

# --- after a restart: the file remembers -----------------------------------------
mark=$(wc -l <"$MILTER_LOG")  # the log is appended to: what follows is the new daemon's
new_log() { tail -n +$((mark + 1)) "$MILTER_LOG"; }
start_milter "alerts.median_factor = 2"
send alice 'Support <support@example.com>' QA3
send dave 'Boss <boss@example.com>' QD1
wait_usage "dave@example.com,boss@example.com,send-on-behalf,1" --user dave@example.com
new_log | grep -q '^QD1: first_use: user=<dave@example.com> mailbox=<boss@example.com> right=send-on-behalf' ||
    fail "dave's first use not logged after the restart"
wait_usage "alice@example.com,support@example.com,send-as,3" --user alice@example.com
[ "$(new_log | grep -c 'first_use: user=<alice')" = 0 ] || fail "alice's right, used before the restart, logged as a first use"

# --- the median: 5 a day before, factor 2: the 11th message today alerts ---------
# alice has no history: her median counts as 1, so her 3rd message today
# crossed 2.
grep -q 'usage_alert: user=<alice@example.com> .* count=3 limit=2 rule=median_factor' "$MILTER_LOG" ||
    fail "alice's 3rd message over 2 x a median of 0 (counted as 1) raised no alert"
for i in $(seq 10); do send frank 'Sales <sales@example.com>' "QF$i"; done
wait_usage "frank@example.com,sales@example.com,send-as,160" --user frank@example.com
[ "$(grep -c 'usage_alert: user=<frank' "$MILTER_LOG")" = 0 ] || fail "frank alerted at 10 messages, 2 x a median of 5"
send frank 'Sales <sales@example.com>' QF11
wait_usage "frank@example.com,sales@example.com,send-as,161" --user frank@example.com
grep -q 'usage_alert: user=<frank@example.com> mailbox=<sales@example.com> right=send-as .* count=11 limit=10 rule=median_factor' \
    "$MILTER_LOG" || fail "frank's 11th message today raised no median_factor alert"
grep -q 'first_use: user=<frank' "$MILTER_LOG" && fail "frank's right, used yesterday, logged as a first use"
stop_milter || fail "daemon did not stop cleanly"

# --- a damaged line loses that record only ---------------------------------------
printf 'garbage\tline\n' >>"$STATE"
out=$("$SENDASCTL" -c "$MILTER_CONF" usage --format csv 2>"$T/err")
grep -q '1 usage records in file .* are damaged, skipped' "$T/err" || fail "no warning for a damaged line: $(cat "$T/err")"
[ "$(grep -c '@example.com,' <<<"$out")" = 4 ] || fail "records beside the damaged line: $out"

# --- a state file that cannot be written refuses nothing ----------------------------
start_milter "usage.state_file = $T/missing/usage"
send alice 'Support <support@example.com>' QX1
for i in $(seq 50); do grep -q 'usage: cannot record in file' "$MILTER_LOG" && break; sleep 0.1; done
grep -q "warning: usage: cannot record in file $T/missing/usage: cannot" "$MILTER_LOG" || fail "no warning for an unwritable state file"
stop_milter || fail "daemon did not stop cleanly"
echo PASS
