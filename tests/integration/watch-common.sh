# shellcheck shell=bash
# Helpers of the change-watcher tests (watch-syncrepl.sh, watch-poll.sh),
# sourced after lib.sh: measure how long a directory change takes to
# decide the next message.
#
#   member add|delete GROUP-DN MEMBER-DN       # ldapmodify as the rootdn
#   await DAEMON LOGIN MAILBOX WANT LIMIT_MS   # prints the ms until WANT, fails after LIMIT_MS
#   trials DAEMONS...                          # 20 grants and 20 revokes; LATENCIES
#   p99 MS...                                  # nearest-rank 99th percentile
#   watch_holder                               # the pid holding the lease ("" if none)

ACCEPT="result accept"
deny() { printf 'result replycode 550 5.7.1 <%s> is not allowed to send as <%s>\n' "$1" "$2"; }
SALES_AS=cn=sales@example.com,ou=send-as,ou=mailbox-rights,$LDAP_BASE
EVE=uid=eve,ou=people,$LDAP_BASE

member() {  # add|delete GROUP-DN MEMBER-DN
    printf 'dn: %s\nchangetype: modify\n%s: member\nmember: %s\n' "$2" "$1" "$3" | ldap_modify ||
        fail "ldapmodify $1 member $3 of $2 failed"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# await DAEMON LOGIN MAILBOX WANT LIMIT_MS [START_MS]: asks DAEMON again
# and again until the answer is WANT; prints the milliseconds since
# START_MS (default now). Fails with the last answer after LIMIT_MS.
await() {
    local daemon=$1 login=$2 mailbox=$3 want=$4 limit=$5 start=${6:-$(now_ms)} got
    while :; do
        got=$(MILTER_SOCKET=${MILTER_SOCKETS[$daemon]} probe_result "$login" "$mailbox")
        if [ "$got" = "$want" ]; then
            echo $(($(now_ms) - start))
            return 0
        fi
        [ $(($(now_ms) - start)) -le "$limit" ] ||
            fail "$daemon: $login as $mailbox still '$got' ${limit} ms after the change (expected '$want')"
        sleep 0.02
    done
}

# trials DAEMON...: 20 grants and 20 revokes of eve's Send As on sales@,
# each decided on the next daemon in turn, both tiers primed with the old
# answer first. GRANTS and REVOKES: the milliseconds of each.
trials() {
    local i daemon start
    GRANTS=() REVOKES=()
    for i in $(seq 0 19); do
        daemon=${*:$((i % $# + 1)):1}
        for d in "$@"; do await "$d" eve sales@example.com "$(deny eve sales@example.com)" 5000 >/dev/null; done
        start=$(now_ms)
        member add "$SALES_AS" "$EVE"
        GRANTS+=("$(await "$daemon" eve sales@example.com "$ACCEPT" 5000 "$start")")
        for d in "$@"; do await "$d" eve sales@example.com "$ACCEPT" 5000 >/dev/null; done
        start=$(now_ms)
        member delete "$SALES_AS" "$EVE"
        REVOKES+=("$(await "$daemon" eve sales@example.com "$(deny eve sales@example.com)" 5000 "$start")")
    done
}

p99() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.999); if (i > NR) i = NR; print v[i] }'
}

summary() {  # NAME MS...
    local name=$1
    shift
    printf '%s: n=%d min=%d median=%d p99=%d max=%d ms\n' "$name" $# \
        "$(printf '%s\n' "$@" | sort -n | head -1)" "$(printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p")" \
        "$(p99 "$@")" "$(printf '%s\n' "$@" | sort -n | tail -1)"
}

watch_holder() {  # PREFIX (default sendas:): the pid in the lease
    local v
    v=$(redis_cli get "${1:-sendas:}v1:watch:lease")
    [ -z "$v" ] || { v=${v#*:}; echo "${v%%:*}"; }
}

await_holder() {  # LIMIT_S: until some daemon holds the lease; prints its pid
    local n=$(($1 * 10)) h
    while [ $n -gt 0 ]; do
        h=$(watch_holder)
        [ -z "$h" ] || { echo "$h"; return 0; }
        sleep 0.1
        n=$((n - 1))
    done
    fail "no daemon took the watch lease within $1 s"
}
