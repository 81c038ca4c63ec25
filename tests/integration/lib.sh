# shellcheck shell=bash
# Integration test library for sendas-milter: tests/lib/harness.sh (a
# private slapd loaded with fixture.ldif, Redis, the real daemons, all in a
# temporary directory, all stopped again whatever happens) plus what the
# tests in this directory ask the daemon and the directory with.
#
#   . "$(dirname "$0")/lib.sh"
#   require_stack slapd redis probe     # see tests/lib/harness.sh, tests/README.md
#   slapd_log_searches; start_slapd; start_redis
#   start_milter "redis.address = $REDIS_ADDRESS"
#   [ "$(probe_result alice support@example.com)" = "result accept" ] || fail "..."
#
#   probe_message LOGIN FROM [QID [OPTION...]] / probe_result ...   # one message via $MILTER_PROBE
#   ldap_modify < LDIF       # as the rootdn
#   milter_stat NAME         # the daemon's published counter (sendasctl cache stats)
#   metrics_scrape PORT      # GET /metrics of a daemon's metrics.listen

SENDAS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/harness.sh
. "$SENDAS_LIB_DIR/../lib/harness.sh"

# probe_message LOGIN FROM [QID [milter-probe option...]]: one message over
# its own connection, authenticated as LOGIN, envelope <LOGIN@example.com>,
# header "From: FROM", queue id QID (default QID); prints the probe's output.
probe_message() {
    local login=$1 from=$2 qid=${3:-QID}
    shift 2
    [ $# -eq 0 ] || shift
    [ -x "${MILTER_PROBE:-}" ] || die "MILTER_PROBE not built"
    "$MILTER_PROBE" --socket "$MILTER_SOCKET" --macro "mail:{auth_authen}=$login" --macro "mail:i=$qid" \
        --from "<$login@example.com>" --rcpt '<friend@other.example>' --header "From: $from" "$@"
}

# probe_result LOGIN FROM [QID]: only the last line, "result ...".
probe_result() {
    local out
    out=$(probe_message "$@") || fail "milter-probe failed for $1 as $2: $out"
    printf '%s\n' "$out" | tail -n 1
}

# ldap_modify < LDIF: changes the test directory as its rootdn.
ldap_modify() {
    local tool=${LDAPMODIFY:-$(_find_tool ldapmodify)}
    [ -n "$tool" ] || skip "ldapmodify not found (install ldap-utils)"
    LDAPNOINIT=1 "$tool" -x -H "$SLAPD_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" >/dev/null
}

# milter_stat NAME [PREFIX]: the counter the daemon last published to Redis
# (every ~2 s; wait for a publication after the traffic you measure). With
# several daemons on one Redis, their sum.
milter_stat() {
    local name=$1 prefix=${2:-sendas:} key sum=0 v
    for key in $(redis_cli --scan --pattern "${prefix}v1:stats:*"); do
        v=$(redis_cli hget "$key" "$name")
        sum=$((sum + ${v:-0}))
    done
    printf '%s\n' "$sum"
}

# metrics_scrape PORT: GET /metrics on 127.0.0.1:PORT with bash alone; the
# response (status line, headers, body) without CRs.
metrics_scrape() {
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    tr -d '\r' <&3
    exec 3<&-
}
