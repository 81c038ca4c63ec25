# shellcheck shell=bash
# Helpers shared by bench/run and bench/e2e, on top of tests/lib/harness.sh
# (temp dir, slapd, Redis, named milter daemons, the exit-trap registry):
# what the benchmark reads from them (/proc, Redis counters, sockets).
#
#   . "$top_srcdir/bench/lib.sh"       # sources tests/lib/harness.sh
#   bench_require [e2e]                # require_stack slapd milter redis [e2e], null-milter,
#                                      # slapd's monitor backend, a snapshot of the daemon
#   start_redis                        # the harness's: $REDIS_PORT, $REDIS_ADDRESS, redis_cli
#   bench_start_daemon NAME [LINE...]  # sendas-milter: ${MILTER_PIDS[NAME]} ${MILTER_SOCKETS[NAME]}
#   bench_start_null NAME              # null-milter, same arrays
#   stop_milter NAME                   # the harness's, for either

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_LIB_DIR/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# shellcheck source=../tests/lib/harness.sh
. "$top_srcdir/tests/lib/harness.sh"

MILTER_LOAD=${MILTER_LOAD:-$top_builddir/bench/milter-load}
NULL_MILTER=${NULL_MILTER:-$top_builddir/bench/null-milter}

# bench_require [COMPONENT...]: the servers of require_stack (tests/lib/harness.sh)
# and null-milter; then $T is made, mode 0755.
bench_require() {
    require_stack slapd milter redis "$@"
    [ -x "$NULL_MILTER" ] || die "$NULL_MILTER not built (make bench/null-milter)"
    chmod 755 "$T"
    # slapd as the harness configures it, plus its monitor backend: the number of
    # connections slapd has accepted is what tells a pool from a connection per message.
    # shellcheck disable=SC2034 # read by start_slapd
    SLAPD_EXTRA_CONF="database monitor"
    # A snapshot of the daemon: a rebuild during the run must not change it.
    cp "$SENDAS_MILTER" "$T/sendas-milter"
    SENDAS_MILTER=$T/sendas-milter
}

# --- milters ---------------------------------------------------------------

# bench_start_daemon NAME [CONFIG LINE...]: sendas-milter in the foreground with
# the harness's base config (slapd, local domains) plus LINEs. Audit lines go
# to its log file only (syslog = no): one write per decision, as one send to
# the syslog socket would be on a mail server; this machine may have no syslog
# daemon, and syslog(3) then tries to connect again for every line.
bench_start_daemon() {
    local name=$1
    shift
    start_milter "$name" "syslog = no" "$@"
}

bench_start_null() {  # NAME
    start_daemon "$1" "unix:$T/$1.sock" "$NULL_MILTER" -p "unix:$T/$1.sock" || die "could not start $1"
}

# --- measurements ----------------------------------------------------------

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
thread_count() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

# Connections slapd has accepted since it started (its monitor backend; the
# ldapsearch asking counts as one).
slapd_connections() {
    LDAPNOINIT=1 "$LDAPSEARCH" -x -LLL -H "$SLAPD_URI" -o nettimeout=2 -o ldif-wrap=no \
        -b 'cn=Total,cn=Connections,cn=Monitor' -s base monitorCounter 2>/dev/null |
        awk '$1 == "monitorCounter:" { print $2 }'
}

redis_connections_received() {
    redis_cli INFO stats | tr -d '\r' | awk -F: '$1 == "total_connections_received" { print $2 }'
}

# json_num FILE KEY: a number from milter-load's flat JSON (first match).
json_num() { { grep -o "\"$2\":[0-9.]*" "$1" || true; } | head -n 1 | cut -d: -f2; }

# CPU time PID has used so far, in clock ticks (user + system).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# shellcheck disable=SC2034 # used by bench/run
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

loadavg1() { cut -d' ' -f1 /proc/loadavg; }

# median of the numbers on stdin ("nan" when none)
median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) print "nan"
            else if (NR % 2) print v[(NR + 1) / 2]
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

cpu_model() { sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1; }

# tsv FIELD...: one tab-separated line
tsv() {
    local IFS=$'\t'
    printf '%s\n' "$*"
}

# quotient A B [FORMAT]: A / B, 0 when B is 0
quotient() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { printf f, (b > 0 ? a / b : 0) }'; }
