#!/usr/bin/env bash
# Two LDAP servers in ldap.uri: a provider (syncprov) and a read-only
# syncrepl replica of it. Decisions come from the first; when it hangs
# (SIGSTOP: connections open, nothing answers) a message costs at most
# ldap.timeout once, is decided right by the replica, and the messages
# after it go straight to the replica; when the first is back the pool
# returns to it after the fail-back time (30 s); when it is killed the
# replica answers at once. No cache in the way: cache.local_ttl = 0 and
# no Redis, so every message asks LDAP.
set -eu
. "$(dirname "$0")/lib.sh"
require_stack slapd probe
SLAPD_SYNCPROV=yes
slapd_log_searches
start_slapd

# --- the replica: its own slapd, filled and kept by syncrepl ------------------
R=$T/replica
mkdir -p "$R/data"
sed -e "s|^pidfile .*|pidfile $R/slapd.pid|" -e "s|^argsfile .*|argsfile $R/slapd.args|" \
    -e "s|^directory .*|directory $R/data|" -e '/^overlay syncprov/d' -e '/^syncprov-/d' "$T/slapd.conf" >"$R/slapd.conf"
cat >>"$R/slapd.conf" <<EOF
syncrepl rid=001 provider=$SLAPD_URI type=refreshAndPersist searchbase="$LDAP_BASE"
  bindmethod=simple binddn="$LDAP_ROOTDN" credentials=$LDAP_ROOTPW retry="1 +"
EOF
REPLICA_PORT=$(pick_port)
REPLICA_URI=ldap://127.0.0.1:$REPLICA_PORT/
"$SLAPD" -d stats -f "$R/slapd.conf" -h "$REPLICA_URI" </dev/null >>"$R/slapd.log" 2>&1 &
REPLICA_PID=$!
on_exit _terminate "$REPLICA_PID"
replica_has_alice() {
    [ -n "$(LDAPNOINIT=1 "$LDAPSEARCH" -x -LLL -H "$REPLICA_URI" -o nettimeout=2 -l 2 -b "$LDAP_BASE" '(uid=alice)' dn 2>/dev/null)" ]
}
wait_for 150 replica_has_alice || fail "the replica did not replicate the directory within 15 s"

provider_searches() { slapd_search_count '(uid=alice)'; }
replica_searches() { grep -F ' SRCH base=' "$R/slapd.log" | grep -cF '(uid=alice)' || true; }

TIMEOUT=2
start_milter "ldap.uri = $SLAPD_URI $REPLICA_URI" "ldap.timeout = $TIMEOUT" "cache.local_ttl = 0"
MARGIN_MS=${MARGIN_MS:-1500}
now_ms() { date +%s%3N; }
# decide LABEL: alice (Send As) and eve (no right) on support@, both right;
# the slower of the two in $TOOK ms.
decide() {
    local t0 got
    t0=$(now_ms)
    got=$(probe_result alice support@example.com)
    [ "$got" = "result accept" ] || fail "$1: alice as support@: $got"
    got=$(probe_result eve support@example.com)
    [ "$got" = "result replycode 550 5.7.1 <eve> is not allowed to send as <support@example.com>" ] ||
        fail "$1: eve as support@: $got"
    TOOK=$(($(now_ms) - t0))
}

# --- both up: the first server decides ------------------------------------------
p0=$(provider_searches) r0=$(replica_searches)
decide "both up"
[ "$(provider_searches)" -gt "$p0" ] || fail "both up: the provider was not asked"
[ "$(replica_searches)" = "$r0" ] || fail "both up: the replica was asked though the provider answers"

# --- the provider hangs -----------------------------------------------------------
pause_slapd
r0=$(replica_searches)
decide "provider hung, first message"
first=$TOOK
[ "$first" -le $((TIMEOUT * 1000 * 2 + MARGIN_MS)) ] ||
    fail "provider hung: the first messages took $first ms (ldap.timeout is $TIMEOUT s)"
slowest=0
for n in $(seq 10); do
    decide "provider hung, message $n"
    [ "$TOOK" -le "$slowest" ] || slowest=$TOOK
done
[ "$slowest" -le "$MARGIN_MS" ] || fail "provider hung: later messages still wait for it ($slowest ms)"
[ "$(replica_searches)" -gt "$r0" ] || fail "provider hung: the replica was not asked"
say "provider hung: first messages $first ms, then at most $slowest ms, decided by the replica"

# --- the provider back: the pool returns to it after the fail-back time ------------
resume_slapd
p0=$(provider_searches)
decide "provider back, within the fail-back time"
[ "$(provider_searches)" = "$p0" ] || fail "the pool went back to the provider before the fail-back time"
sleep 31
decide "provider back, after the fail-back time"
[ "$(provider_searches)" -gt "$p0" ] || fail "the pool did not return to the provider 31 s after it answered again"
r0=$(replica_searches)
decide "provider back, settled"
[ "$(replica_searches)" = "$r0" ] || fail "provider back: the replica is still asked"

# --- the provider killed: refused at once, the replica answers ----------------------
stop_slapd || fail "the provider did not stop"
r0=$(replica_searches)
slowest=0
for n in $(seq 10); do
    decide "provider killed, message $n"
    [ "$TOOK" -le "$slowest" ] || slowest=$TOOK
done
[ "$slowest" -le "$MARGIN_MS" ] || fail "provider killed: a message took $slowest ms"
[ "$(replica_searches)" -gt "$r0" ] || fail "provider killed: the replica was not asked"
say "provider killed: every message decided by the replica, the slowest in $slowest ms"
