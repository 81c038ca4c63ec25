# shellcheck shell=bash
# Helpers shared by bench/run and bench/e2e, on top of tests/integration/lib.sh
# (temp dir, slapd, config writer, cleanup): Redis, several milter daemons at
# once (each with its own config, socket and log), and what the benchmark
# reads from them (/proc, Redis counters, sockets).
#
#   . "$top_srcdir/bench/lib.sh"       # sources tests/integration/lib.sh
#   bench_setup                        # $T, EXIT trap stopping all of the below
#   start_redis                        # the harness's: $REDIS_PORT, $REDIS_ADDRESS, redis_cli
#   bench_start_daemon NAME [LINE...]  # sendas-milter: ${BENCH_PID[NAME]} ${BENCH_SOCK[NAME]}
#   bench_start_null NAME              # null-milter, same arrays
#   bench_stop NAME

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_LIB_DIR/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# shellcheck source=../tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

# slapd as the harness configures it, plus its monitor backend: the number of
# connections slapd has accepted is what tells a pool from a connection per message.
eval "$(declare -f _slapd_write_conf | sed '1s/^_slapd_write_conf/_it_slapd_write_conf/')"
_slapd_write_conf() {
    _it_slapd_write_conf
    printf '\ndatabase monitor\n' >>"$T/slapd.conf"
}

MILTER_LOAD=${MILTER_LOAD:-$top_builddir/bench/milter-load}
NULL_MILTER=${NULL_MILTER:-$top_builddir/bench/null-milter}
declare -A BENCH_PID=()
declare -A BENCH_SOCK=()

bench_require() {
    require_tools
    require_milter
    require_redis
    [ -x "$NULL_MILTER" ] || die "$NULL_MILTER not built (make bench/null-milter)"
}

bench_setup() {
    setup_tmpdir
    chmod 755 "$T"
    trap bench_cleanup EXIT
    # A snapshot of the daemon: a rebuild during the run must not change it.
    cp "$SENDAS_MILTER" "$T/sendas-milter"
    SENDAS_MILTER=$T/sendas-milter
}

bench_cleanup() {
    local rc=$? name
    trap - EXIT
    set +e
    # The daemons first: Redis going away under them would be logged as an outage.
    for name in "${!BENCH_PID[@]}"; do bench_stop "$name" >/dev/null 2>&1; done
    _return_status "$rc"
    cleanup  # tests/integration/lib.sh: Redis, slapd, the temp dir
}

_return_status() { return "$1"; }

# --- milters ---------------------------------------------------------------

_bench_wait_socket() {  # NAME
    local name=$1 n=100
    while [ $n -gt 0 ]; do
        _pid_alive "${BENCH_PID[$name]}" || {
            say "$name exited during startup:"
            tail -n 20 "$T/$name.log" >&2
            return 1
        }
        _socket_ready "${BENCH_SOCK[$name]}" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    say "$name did not open ${BENCH_SOCK[$name]} within 10 s"
    return 1
}

# bench_start_daemon NAME [CONFIG LINE...]: sendas-milter in the foreground with
# the harness's base config (slapd, local domains) plus LINEs. Audit lines go
# to its log file only (syslog = no): one write per decision, as one send to
# the syslog socket would be on a mail server; this machine may have no syslog
# daemon, and syslog(3) then tries to connect again for every line.
bench_start_daemon() {
    local name=$1
    shift
    BENCH_SOCK[$name]=unix:$T/$name.sock
    rm -f "$T/$name.sock"
    MILTER_SOCKET=${BENCH_SOCK[$name]} write_milter_config "$T/$name.conf" "syslog = no" "$@"
    "$SENDAS_MILTER" -f -c "$T/$name.conf" </dev/null >>"$T/$name.log" 2>&1 &
    BENCH_PID[$name]=$!
    _bench_wait_socket "$name" || die "could not start $name"
}

bench_start_null() {
    local name=$1
    BENCH_SOCK[$name]=unix:$T/$name.sock
    rm -f "$T/$name.sock"
    "$NULL_MILTER" -p "${BENCH_SOCK[$name]}" </dev/null >>"$T/$name.log" 2>&1 &
    BENCH_PID[$name]=$!
    _bench_wait_socket "$name" || die "could not start $name"
}

# SIGTERM; libmilter's listener notices it only at its next poll or
# connection, so knock once (as tests/integration/lib.sh's stop_milter does).
bench_stop() {
    local name=$1 pid=${BENCH_PID[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    printf 'mt.connect(socket, 1, 0.1)\n' >"$T/knock.lua"
    "$MILTERTEST" -s "$T/knock.lua" -D socket="${BENCH_SOCK[$name]}" >/dev/null 2>&1 || true
    if ! _wait_gone "$pid" 100; then
        say "$name did not stop within 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    unset "BENCH_PID[$name]"
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
