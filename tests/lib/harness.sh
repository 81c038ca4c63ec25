# shellcheck shell=bash
# The one shell harness of sendas-milter's tests and benchmarks: a temporary
# directory, private servers on loopback or unix sockets (slapd loaded with
# an LDIF fixture, Redis, any number of named sendas-milter daemons), and an
# exit-trap registry that stops all of them, in reverse order, whatever
# happens. tests/integration/lib.sh, tests/e2e/lib.sh and bench/lib.sh
# source it; tests/README.md describes it with examples.
#
#   require_stack [slapd] [milter] [redis] [probe] [sendasctl] [ldapadd] [e2e] [samba]
#                            # checks (77 when a tool is missing, 99 when our
#                            # own binary is not built), sets the tool
#                            # variables, makes $T and the EXIT trap
#   on_exit CMD [ARG...]     # run at exit, in reverse order of registration
#   start_slapd              # $SLAPD_PORT, $SLAPD_URI; $SLAPD_EXTRA_CONF appended to slapd.conf,
#                            # $SLAPD_EXTRA_URIS listened on too (e.g. ldapi://...);
#                            # SLAPD_SYNCPROV=yes: with the syncprov overlay
#   start_redis              # $REDIS_PORT, $REDIS_ADDRESS, redis_cli ...
#   start_milter [NAME] [CONFIG LINE...]   # default NAME milter: $MILTER_SOCKET $MILTER_PID
#                            # $MILTER_LOG $MILTER_CONF; every NAME: ${MILTER_SOCKETS[NAME]}
#                            # ${MILTER_PIDS[NAME]} ${MILTER_LOGS[NAME]} ${MILTER_CONFS[NAME]}
#   stop_milter [NAME]       # fails unless the daemon exits 0 on SIGTERM
#
# Run as a command it controls the slapd of a running test from outside,
# e.g. from a miltertest script through os.execute():
#
#   bash harness.sh slapd-ctl TMPDIR stop|start|restart|status
#
# Environment:
#   SENDAS_MILTER SENDASCTL MILTER_PROBE   our programs (default: in $top_builddir)
#   top_srcdir top_builddir                source and build tree (default: this checkout)
#   SLAPD SLAPADD LDAPSEARCH MILTERTEST REDIS_SERVER REDIS_CLI LDAPADD LDAPMODIFY
#   POSTFIX DOVECOT SWAKS CURL             tool paths (default: found in PATH, /usr/sbin)
#   FIXTURE        the LDIF start_slapd loads (default tests/integration/fixture.ldif)
#   SLAPD_MAXSIZE SLAPD_INDEXES  slapd's mdb maxsize (16 MiB) and "index ..." lines
#   TMPDIR         where the per-test directory is made (default /tmp)
#   KEEP_TMP       when set and not empty, the test directory is kept (path printed)
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.

# Sourced twice (bench/e2e takes tests/e2e/lib.sh and bench/lib.sh): once is enough.
[ -z "${_SENDAS_HARNESS:-}" ] || return 0
_SENDAS_HARNESS=1

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/harness.sh
: "${top_srcdir:=$(cd "$(dirname "$HARNESS")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
FIXTURE=${FIXTURE:-$top_srcdir/tests/integration/fixture.ldif}
SENDAS_MILTER=${SENDAS_MILTER:-$top_builddir/src/sendas-milter}
SENDASCTL=${SENDASCTL:-$top_builddir/src/sendasctl}
MILTER_PROBE=${MILTER_PROBE:-$top_builddir/tests/tools/milter-probe}
LDAP_BASE=dc=example,dc=com
LDAP_ROOTDN=cn=admin,dc=example,dc=com
LDAP_ROOTPW=integration-test-only

T=${T:-}
SLAPD_PORT=${SLAPD_PORT:-}
SLAPD_URI=${SLAPD_URI:-}
SLAPD_PID=${SLAPD_PID:-}
SLAPD_DEBUG=${SLAPD_DEBUG:-0}
SLAPD_EXTRA_CONF=${SLAPD_EXTRA_CONF:-}
# The mdb database's size cap and its index lines (bench/scale: larger, and
# the README's).
SLAPD_MAXSIZE=${SLAPD_MAXSIZE:-16777216}
SLAPD_INDEXES=${SLAPD_INDEXES:-"index objectClass eq
index uid,mail,cn eq
index member eq"}
SLAPD_EXTRA_URIS=${SLAPD_EXTRA_URIS:-}
MILTER_PID=
MILTER_SOCKET=
MILTER_LOG=
MILTER_CONF=
declare -gA MILTER_PIDS=() MILTER_SOCKETS=() MILTER_LOGS=() MILTER_CONFS=() _MILTER_AT_EXIT=()
REDIS_PORT=${REDIS_PORT:-}
REDIS_PID=
# shellcheck disable=SC2034 # used by the scripts that source this file
REDIS_ADDRESS=
REDIS_LOG=
EXIT_STATUS=
_ON_EXIT=()
_TMPDIR_MADE=

say() { printf '%s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 99; }
fail() { say "FAIL: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

_find_tool() {  # NAME -> absolute path or empty
    local p
    p=$(command -v "$1" 2>/dev/null) && { printf '%s\n' "$p"; return 0; }
    for p in /usr/sbin/"$1" /usr/local/sbin/"$1" /sbin/"$1"; do
        [ -x "$p" ] && { printf '%s\n' "$p"; return 0; }
    done
    return 0
}

# _need VAR TOOL PACKAGES: $VAR (default: TOOL found) must be executable, else skip.
_need() {
    local var=$1 tool=$2 packages=$3
    [ -n "${!var:-}" ] || printf -v "$var" '%s' "$(_find_tool "$tool")"
    [ -n "${!var}" ] && [ -x "${!var}" ] || skip "$tool not found (install $packages)"
}

# _built VAR WHAT: our own program $VAR must be built, else a hard error.
_built() {
    [ -x "${!1}" ] || die "$2 ${!1} not built (make check builds it; or set $1)"
}

# require_stack COMPONENT...: the one prologue of a test. Checks what the
# components need (exit 77 with a message when a tool is missing, 99 when
# one of our own programs is not built), sets their variables, then makes
# $T and the EXIT trap (setup_tmpdir). Components:
#   slapd      SLAPD SLAPADD LDAPSEARCH, /etc/ldap/schema, $FIXTURE
#   milter     SENDAS_MILTER; MILTERTEST (miltertest, also the knock of stop_milter)
#   redis      REDIS_SERVER REDIS_CLI
#   probe      MILTER_PROBE (tests/tools/milter-probe); implies milter
#   sendasctl  SENDASCTL
#   ldapadd    LDAPADD LDAPMODIFY
#   chromium   CHROMIUM (headless Chromium, for the pages sendasctl writes)
#   e2e        root, Postfix, Dovecot, swaks, curl (tests/e2e/lib.sh); implies
#              slapd and milter; $T is made mode 0755
#   samba      root, samba, samba-tool, python3-samba (tests/lib/samba.sh)
require_stack() {
    local c e2e=
    for c in "$@"; do
        case $c in
        e2e) e2e=yes ;;
        samba) declare -F _samba_require >/dev/null || die "require_stack samba: source tests/lib/samba.sh" ;;
        slapd | milter | redis | probe | sendasctl | ldapadd | chromium) ;;
        *) die "require_stack: unknown component '$c'" ;;
        esac
    done
    if [ -n "$e2e" ]; then
        declare -F _e2e_require >/dev/null || die "require_stack e2e: source tests/e2e/lib.sh"
        _e2e_require
        set -- slapd milter "$@"
    fi
    for c in "$@"; do
        _require_one "$c"
    done
    [ -n "$_TMPDIR_MADE" ] || setup_tmpdir
    # Postfix, Dovecot and the daemon run parts of themselves unprivileged
    # and must reach their sockets and files below $T.
    [ -z "$e2e" ] || chmod 755 "$T"
}

_require_one() {  # COMPONENT
    case $1 in
    slapd)
        _need SLAPD slapd slapd
        _need SLAPADD slapadd slapd
        _need LDAPSEARCH ldapsearch ldap-utils
        [ -d /etc/ldap/schema ] || skip "/etc/ldap/schema missing (install slapd)"
        [ -r "$FIXTURE" ] || die "fixture $FIXTURE not readable"
        ;;
    probe | milter)
        _built SENDAS_MILTER daemon
        _need MILTERTEST miltertest miltertest
        [ "$1" = milter ] || _built MILTER_PROBE milter-probe
        ;;
    redis)
        _need REDIS_SERVER redis-server redis-server
        _need REDIS_CLI redis-cli redis-tools
        ;;
    sendasctl) _built SENDASCTL sendasctl ;;
    samba) _samba_require ;;
    ldapadd)
        _need LDAPADD ldapadd ldap-utils
        _need LDAPMODIFY ldapmodify ldap-utils
        ;;
    chromium) _need CHROMIUM chromium chromium ;;
    esac
}

# --- processes -------------------------------------------------------------

# True when PID runs and is not a zombie.
_pid_alive() {
    local pid=$1 stat
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -r "/proc/$pid/stat" ]; then
        stat=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
        [ "${stat%% *}" != Z ] || return 1
    fi
    return 0
}

# True when PID's command line names our temp dir: guards against killing a
# recycled pid that belongs to someone else.
_pid_ours() {
    local pid=$1
    _pid_alive "$pid" || return 1
    [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$T"
}

# Waits up to $2 tenths of a second for PID to be gone.
_wait_gone() {
    local pid=$1 n=${2:-100}
    while [ "$n" -gt 0 ]; do
        _pid_alive "$pid" || return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# SIGTERM, then SIGKILL after 5 s. Only for processes we recorded.
_terminate() {
    local pid=$1
    _pid_ours "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    _wait_gone "$pid" 50 && return 0
    say "process $pid ignored SIGTERM for 5 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    _wait_gone "$pid" 50 || true
}

# --- temp dir and the exit-trap registry -----------------------------------

# on_exit CMD [ARG...]: runs the command at exit (pass, fail or signal),
# after those registered later and before those registered earlier. With
# one argument it is shell code, evaluated then ('[ -z "$X" ] || kill "$X"'
# sees X as it is at exit); with more, a command and its arguments as given
# now. $EXIT_STATUS is the test's status; exit_failed says whether it failed.
# A command's failure does not stop the others; none may call exit.
on_exit() {
    [ $# -gt 0 ] || die "on_exit: no command"
    if [ $# -eq 1 ]; then
        _ON_EXIT+=("$1")
    else
        _ON_EXIT+=("$(printf '%q ' "$@")")
    fi
}

# True at exit when the test failed (neither passed nor skipped).
exit_failed() {
    [ -n "$EXIT_STATUS" ] && [ "$EXIT_STATUS" -ne 0 ] && [ "$EXIT_STATUS" -ne 77 ]
}

# wait_for TENTHS CMD [ARG...]: runs CMD every 0.1 s until it succeeds;
# false when it has not after TENTHS tries. For what a daemon does just
# after its socket answers (a log line, a file, a Redis key).
wait_for() {
    local n=$1
    shift
    until "$@"; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}

# dump_on_failure TITLE FILE [LINES]: at a failing exit, the file's last lines.
dump_on_failure() {
    exit_failed && [ -s "$2" ] || return 0
    say "---- $1 ($2, last ${3:-40} lines) ----"
    tail -n "${3:-40}" "$2" >&2
}

_run_on_exit() {
    EXIT_STATUS=$?
    trap - EXIT
    # A reader that went away (`... | head`) must not stop the cleanup.
    trap '' PIPE
    set +e
    local i
    for ((i = ${#_ON_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${_ON_EXIT[i]}"
    done
    exit "$EXIT_STATUS"
}

_remove_tmpdir() {
    [ -n "$T" ] && [ -d "$T" ] || return 0
    if [ -n "${KEEP_TMP:-}" ]; then
        say "KEEP_TMP: test directory kept: $T"
    else
        rm -rf -- "$T"
    fi
}

# setup_tmpdir: $T, and the EXIT trap that runs the on_exit commands (the
# last of them removes $T). require_stack calls it.
setup_tmpdir() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/sendas-it.XXXXXX") || die "mktemp failed"
    export T
    _TMPDIR_MADE=yes
    on_exit _remove_tmpdir
    trap _run_on_exit EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# --- ports -----------------------------------------------------------------

# A free TCP port on 127.0.0.1 (free now; bound by the caller right after).
pick_port() {
    # Below the kernel's ephemeral range (32768+), so outgoing connections
    # never take it meanwhile; a refused connect means nobody listens.
    local p tries=0
    while [ $tries -lt 100 ]; do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            printf '%s\n' "$p"
            return 0
        fi
        tries=$((tries + 1))
    done
    die "no free port found"
}

# _socket_ready SPEC: unix:PATH exists as a socket / inet:PORT@HOST accepts.
_socket_ready() {
    case $1 in
    unix:* | local:*) [ -S "${1#*:}" ] ;;
    inet:*)
        local port=${1#inet:}
        local host=${port#*@}
        port=${port%%@*}
        [ "$host" != "$1" ] || host=127.0.0.1
        (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
        ;;
    *) return 1 ;;
    esac
}

# --- slapd -----------------------------------------------------------------

_slapd_recorded_pid() {
    if [ -n "$T" ] && [ -r "$T/slapd.launched" ]; then
        cat "$T/slapd.launched" 2>/dev/null || true
    fi
}

# slapd.conf for $FIXTURE's suffix, then $SLAPD_EXTRA_CONF (lines of the
# caller's, e.g. "database monitor"). With SLAPD_SYNCPROV=yes the database
# runs the syncprov overlay (RFC 4533 content sync, for the change
# watcher), with a session log so that a consumer resuming from its
# cookie is told of deletions by name.
_slapd_write_conf() {
    local modline='' d module overlay=''
    for d in /usr/lib/ldap /usr/lib/openldap /usr/local/libexec/openldap; do
        [ -d "$d" ] || continue
        # Debian builds back_mdb and syncprov as modules; a static build has them already.
        for module in back_mdb syncprov; do
            [ "$module" != syncprov ] || [ "${SLAPD_SYNCPROV:-}" = yes ] || continue
            ! "$SLAPD" -VVV 2>&1 | grep -qw "${module#back_}" || continue
            if [ -e "$d/$module.la" ] || [ -e "$d/$module.so" ]; then
                [ -n "$modline" ] || modline="modulepath $d"
                modline="$modline
moduleload $module"
            fi
        done
        [ -z "$modline" ] || break
    done
    if [ "${SLAPD_SYNCPROV:-}" = yes ]; then
        overlay="index entryCSN,entryUUID eq
overlay syncprov
syncprov-checkpoint 10 1
syncprov-sessionlog 1000"
    fi
    mkdir -p "$T/slapd-data"
    cat >"$T/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $T/slapd.pid
argsfile $T/slapd.args
$modline

database mdb
maxsize $SLAPD_MAXSIZE
suffix "$LDAP_BASE"
rootdn "$LDAP_ROOTDN"
rootpw $LDAP_ROOTPW
directory $T/slapd-data
$SLAPD_INDEXES
access to * by * read
$overlay
EOF
    [ -z "$SLAPD_EXTRA_CONF" ] || printf '\n%s\n' "$SLAPD_EXTRA_CONF" >>"$T/slapd.conf"
}

# What `harness.sh slapd-ctl` needs to find this slapd again.
_slapd_write_env() {
    {
        printf 'SLAPD=%q\n' "$SLAPD"
        printf 'LDAPSEARCH=%q\n' "$LDAPSEARCH"
        printf 'SLAPD_PORT=%q\n' "$SLAPD_PORT"
        printf 'SLAPD_URI=%q\n' "$SLAPD_URI"
        printf 'SLAPD_DEBUG=%q\n' "$SLAPD_DEBUG"
        printf 'SLAPD_EXTRA_URIS=%q\n' "$SLAPD_EXTRA_URIS"
    } >"$T/slapd.env"
}

# Starts slapd in the foreground (-d) as a background job, with none of
# the caller's descriptors beyond stdio (miltertest leaks its milter socket
# into os.execute children), and records its pid in $T/slapd.launched.
_slapd_launch() {
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            case $fd in 0 | 1 | 2 | *[!0-9]*) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
        done
        exec "$SLAPD" -d "$SLAPD_DEBUG" -f "$T/slapd.conf" -h "$SLAPD_URI${SLAPD_EXTRA_URIS:+ $SLAPD_EXTRA_URIS}" \
            </dev/null >>"$T/slapd.log" 2>&1
    ) &
    SLAPD_PID=$!
    printf '%s\n' "$SLAPD_PID" >"$T/slapd.launched"
}

# True when slapd answers a base search on the fixture's suffix.
slapd_answers() {
    LDAPNOINIT=1 "$LDAPSEARCH" -x -LLL -H "$SLAPD_URI" -o nettimeout=2 -l 2 \
        -b "$LDAP_BASE" -s base dn >/dev/null 2>&1
}

_slapd_wait_up() {
    local n=100
    while [ $n -gt 0 ]; do
        _pid_alive "$SLAPD_PID" || {
            say "slapd exited during startup:"
            tail -n 20 "$T/slapd.log" >&2 || true
            return 1
        }
        # slapd writes its pid file after it has bound the port: so the
        # answer comes from our slapd, not from one that had the port first.
        if [ "$(cat "$T/slapd.pid" 2>/dev/null)" = "$SLAPD_PID" ] && slapd_answers; then
            return 0
        fi
        sleep 0.1
        n=$((n - 1))
    done
    say "slapd did not answer on $SLAPD_URI within 10 s"
    return 1
}

# At exit: slapd may have been (re)started by slapd-ctl from inside a
# script: the recorded pid file is the truth.
_slapd_exit() {
    local pid
    pid=$(_slapd_recorded_pid)
    [ -z "$pid" ] || _terminate "$pid"
    [ -z "$SLAPD_PID" ] || [ "$SLAPD_PID" = "$pid" ] || _terminate "$SLAPD_PID"
    dump_on_failure "slapd log" "$T/slapd.log" 20
}

start_slapd() {
    [ -n "$T" ] || die "start_slapd: call require_stack first"
    _slapd_write_conf
    LDAPNOINIT=1 "$SLAPADD" -q -f "$T/slapd.conf" -l "$FIXTURE" >"$T/slapadd.log" 2>&1 || {
        cat "$T/slapadd.log" >&2
        die "slapadd could not load $FIXTURE"
    }
    on_exit _slapd_exit
    # A port picked free may be taken by a parallel test before slapd binds
    # it: then slapd exits at once, and another port is tried.
    local attempt
    for attempt in 1 2 3; do
        SLAPD_PORT=$(pick_port)
        SLAPD_URI=ldap://127.0.0.1:$SLAPD_PORT/
        _slapd_write_env
        _slapd_launch
        _slapd_wait_up && return 0
        _terminate "$SLAPD_PID"
        say "slapd start attempt $attempt on port $SLAPD_PORT failed"
    done
    die "slapd did not start"
}

stop_slapd() {
    SLAPD_PID=$(_slapd_recorded_pid)
    if [ -n "$SLAPD_PID" ] && _pid_ours "$SLAPD_PID"; then
        kill -TERM "$SLAPD_PID" 2>/dev/null || true
        _wait_gone "$SLAPD_PID" 100 || {
            kill -KILL "$SLAPD_PID" 2>/dev/null || true
            _wait_gone "$SLAPD_PID" 50 || true
            say "slapd ignored SIGTERM for 10 s"
            return 1
        }
    fi
    # The listening socket is gone with the process; make sure of it.
    if slapd_answers; then
        say "something still answers on $SLAPD_URI after stopping slapd"
        return 1
    fi
    return 0
}

# Starts slapd again on the same port with the same data.
start_slapd_again() {
    local pid
    pid=$(_slapd_recorded_pid)
    if [ -n "$pid" ] && _pid_ours "$pid"; then
        SLAPD_PID=$pid
        slapd_answers && return 0
    fi
    _slapd_launch
    _slapd_wait_up
}

restart_slapd() {
    stop_slapd && start_slapd_again
}

# pause_slapd / resume_slapd: SIGSTOP / SIGCONT, a hung directory.
pause_slapd() {
    local pid
    pid=$(_slapd_recorded_pid)
    _pid_ours "$pid" || die "pause_slapd: slapd is not running"
    kill -STOP "$pid"
}

resume_slapd() {
    local pid
    pid=$(_slapd_recorded_pid)
    _pid_ours "$pid" || die "resume_slapd: slapd is not running"
    kill -CONT "$pid"
}

# Opt-in, before start_slapd: slapd runs with "-d stats" instead of "-d 0",
# so $T/slapd.log gets a line per operation. OpenLDAP 2.5's slapd.conf
# "logfile" only copies the -d output, so "loglevel stats" + "logfile" alone
# logs nothing under "-d 0".
slapd_log_searches() {
    [ -z "$SLAPD_PID" ] || die "slapd_log_searches: call it before start_slapd"
    SLAPD_DEBUG=stats
}

# slapd_search_count [TEXT]: searches slapd has received so far, or only
# those whose SRCH line contains TEXT (e.g. "(uid=alice)"). Needs
# slapd_log_searches.
slapd_search_count() {
    [ "$SLAPD_DEBUG" = stats ] || die "slapd_search_count: call slapd_log_searches before start_slapd"
    # Every connection logs an ACCEPT line: without one, nothing is being
    # logged, and a count of 0 would prove nothing.
    grep -qF ' ACCEPT from ' "$T/slapd.log" || die "slapd_search_count: $T/slapd.log logs no operations"
    local n
    n=$(grep -F ' SRCH base=' "$T/slapd.log" | grep -cF -- "${1:- SRCH base=}") || [ "$n" = 0 ] ||
        die "slapd_search_count: cannot read $T/slapd.log"
    printf '%s\n' "$n"
}

# --- Redis -----------------------------------------------------------------

redis_cli() {
    "$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

# True when our Redis answers PING.
redis_answers() {
    [ "$(timeout 2 "$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

# Foreground server as a background job; --set-proc-title no keeps $T in
# its command line, which _pid_ours checks before any signal.
_redis_launch() {
    REDIS_LOG=$T/redis.log
    "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" \
        --daemonize no --set-proc-title no --logfile "$REDIS_LOG" </dev/null >>"$REDIS_LOG" 2>&1 &
    REDIS_PID=$!
    # shellcheck disable=SC2034 # for redis.address in the scripts
    REDIS_ADDRESS=127.0.0.1:$REDIS_PORT
}

_redis_wait_up() {
    local n=100
    while [ $n -gt 0 ]; do
        _pid_alive "$REDIS_PID" || return 1
        redis_answers && return 0
        sleep 0.1
        n=$((n - 1))
    done
    say "redis-server did not answer on port $REDIS_PORT within 10 s"
    return 1
}

# start_redis: skips (77) without redis-server or redis-cli, unless the
# test has already checked (require_stack redis). Stopped at exit (resumed
# first if paused).
start_redis() {
    [ -n "$T" ] || die "start_redis: call require_stack first"
    _require_one redis
    on_exit _redis_terminate
    local attempt
    for attempt in 1 2 3; do
        REDIS_PORT=$(pick_port)
        _redis_launch
        _redis_wait_up && return 0
        _redis_terminate
        say "redis-server start attempt $attempt on port $REDIS_PORT failed"
    done
    tail -n 20 "$REDIS_LOG" >&2 || true
    die "redis-server did not start"
}

# Stops our Redis whatever its state (a stopped process gets SIGCONT first).
_redis_terminate() {
    [ -n "$REDIS_PID" ] || return 0
    if _pid_ours "$REDIS_PID"; then
        kill -CONT "$REDIS_PID" 2>/dev/null || true
        _terminate "$REDIS_PID"
    fi
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
}

# stop_redis [KILL]: SIGTERM (a clean shutdown), or SIGKILL (a crash).
# shellcheck disable=SC2120 # the argument is for the scripts
stop_redis() {
    if [ "${1:-}" = KILL ] && [ -n "$REDIS_PID" ] && _pid_ours "$REDIS_PID"; then
        kill -KILL "$REDIS_PID" 2>/dev/null || true
        _wait_gone "$REDIS_PID" 50 || true
    fi
    _redis_terminate
    if redis_answers; then
        say "something still answers on Redis port $REDIS_PORT after stopping it"
        return 1
    fi
}

# Same port, empty data (no persistence).
restart_redis() {
    stop_redis || return 1
    _redis_launch
    _redis_wait_up
}

pause_redis() {
    _pid_ours "$REDIS_PID" || die "pause_redis: Redis is not running"
    kill -STOP "$REDIS_PID"
}

resume_redis() {
    _pid_ours "$REDIS_PID" || die "resume_redis: Redis is not running"
    kill -CONT "$REDIS_PID"
}

# redis_command_calls CMD...: how many times Redis ran these commands so
# far (INFO commandstats; lower-case names as Redis prints them).
redis_command_calls() {
    redis_cli info commandstats | tr -d '\r' | awk -F'[:,=]' -v want=" $* " '
        $1 ~ /^cmdstat_/ { name = substr($1, 9); if (index(want, " " name " ")) sum += $3 }
        END { print sum + 0 }'
}

# --- the daemons -----------------------------------------------------------

# write_milter_config FILE [LINE...]
# LINE is "key = value" with dotted keys for sections ("ldap.nested_depth = 10").
# Lines given later replace the same key given earlier (base lines first),
# a line "key =" sets an empty value, and a line "-key" drops the key so that
# the daemon's default applies. The file is written as INI: top-level keys,
# then one [section] per prefix, as Boost.Program_options reads it. The
# base lines: socket ($MILTER_SOCKET), no user and group, the fixture's
# local domains, slapd, ldap.timeout = 2, usage records in $T, and
# ldap.watch = off: a test that shows what a cache keeps must not see it
# dropped by a directory change (the watch tests turn it on).
write_milter_config() {
    local file=$1
    shift
    {
        printf '%s\n' \
            "socket = $MILTER_SOCKET" \
            "user =" \
            "group =" \
            "local_domains = example.com example.org" \
            "ldap.uri = $SLAPD_URI" \
            "ldap.base = $LDAP_BASE" \
            "ldap.timeout = 2" \
            "usage.state_file = $T/usage.state" \
            "ldap.watch = off"
        [ $# -eq 0 ] || printf '%s\n' "$@"
    } | awk '
        function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
        /^[ \t]*(#|;|$)/ { next }
        /^[ \t]*-/ { k = trim($0); sub(/^-[ \t]*/, "", k); if (k in val) { delete val[k] }; next }
        {
            i = index($0, "=")
            if (i == 0) { print "bad config line: " $0 > "/dev/stderr"; bad = 1; exit 1 }
            k = trim(substr($0, 1, i - 1)); v = trim(substr($0, i + 1))
            if (!(k in seen)) { order[++n] = k; seen[k] = 1 }
            val[k] = v
        }
        END {
            if (bad) exit 1
            for (j = 1; j <= n; j++) { k = order[j]; if ((k in val) && index(k, ".") == 0) print k " = " val[k] }
            for (j = 1; j <= n; j++) {
                k = order[j]
                if (!(k in val) || index(k, ".") == 0) continue
                s = substr(k, 1, index(k, ".") - 1)
                if (s in done) continue
                done[s] = 1
                print ""; print "[" s "]"
                for (m = j; m <= n; m++) {
                    kk = order[m]
                    if ((kk in val) && index(kk, s ".") == 1) print substr(kk, length(s) + 2) " = " val[kk]
                }
            }
        }' >"$file" || die "bad config lines: $*"
}

# milter_knock SOCKET: one connection that does nothing. libmilter's
# listener notices a stop only when its 5-second poll ends or a connection
# arrives: knock once instead of waiting.
milter_knock() {
    [ -n "${MILTERTEST:-}" ] || MILTERTEST=$(_find_tool miltertest)
    [ -n "$MILTERTEST" ] || return 0
    printf 'mt.connect(socket, 1, 0.1)\n' >"$T/knock.lua"
    "$MILTERTEST" -s "$T/knock.lua" -D socket="$1" >/dev/null 2>&1 || true
}

_daemon_label() {  # NAME
    [ "$1" = milter ] && printf 'sendas-milter\n' || printf 'daemon %s\n' "$1"
}

# _daemon_record NAME [PID]: the arrays, and the scalars of the default daemon.
# shellcheck disable=SC2034 # the scalars are for the scripts
_daemon_record() {
    local name=$1 pid=${2:-}
    if [ -n "$pid" ]; then MILTER_PIDS[$name]=$pid; else unset "MILTER_PIDS[$name]"; fi
    if [ "$name" = milter ]; then
        MILTER_PID=$pid
        MILTER_SOCKET=${MILTER_SOCKETS[$name]}
        MILTER_LOG=${MILTER_LOGS[$name]}
        MILTER_CONF=${MILTER_CONFS[$name]:-}
    fi
}

# start_daemon NAME SOCKET CMD [ARG...]: a milter in the foreground as a
# background job, stdout and stderr appended to $T/NAME.log, recorded in
# the MILTER_* arrays (and scalars for NAME milter) and stopped at exit;
# waits up to 10 s for SOCKET. Fails (status 1, with the log on stderr)
# when the process exits or the socket does not appear.
start_daemon() {
    local name=$1 socket=$2 pid n=100 rc=0
    shift 2
    [ -n "$T" ] || die "start_daemon: call require_stack first"
    MILTER_SOCKETS[$name]=$socket
    MILTER_LOGS[$name]=$T/$name.log
    case $socket in unix:* | local:*) rm -f -- "${socket#*:}" ;; esac
    if [ -z "${_MILTER_AT_EXIT[$name]:-}" ]; then
        _MILTER_AT_EXIT[$name]=1
        on_exit _daemon_exit "$name"
    fi
    "$@" </dev/null >>"${MILTER_LOGS[$name]}" 2>&1 &
    pid=$!
    _daemon_record "$name" "$pid"
    while [ $n -gt 0 ]; do
        if ! _pid_alive "$pid"; then
            wait "$pid" || rc=$?
            _daemon_record "$name"
            say "$(_daemon_label "$name") exited with status $rc during startup; log:"
            cat "${MILTER_LOGS[$name]}" >&2
            return 1
        fi
        _socket_ready "$socket" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    say "$(_daemon_label "$name") did not open $socket within 10 s"
    return 1
}

# start_milter [NAME] [CONFIG LINE...]: writes $T/NAME.conf (the base lines
# of write_milter_config plus LINEs) and starts sendas-milter -f with it.
# NAME (a lower-case word; default milter) tells daemons apart: each has
# its socket (default unix:$T/NAME.sock; for milter $MILTER_SOCKET when
# set; a "socket = " line wins), config, log and pid, in MILTER_SOCKETS,
# MILTER_CONFS, MILTER_LOGS and MILTER_PIDS; the default one also in
# MILTER_SOCKET, MILTER_CONF, MILTER_LOG and MILTER_PID. The test fails
# when the daemon does not start.
start_milter() {
    local name=milter socket
    if [ $# -gt 0 ] && [[ $1 =~ ^[a-z][a-z0-9_]*$ ]]; then
        name=$1
        shift
    fi
    [ -n "$T" ] || die "start_milter: call require_stack first"
    _built SENDAS_MILTER daemon
    socket=unix:$T/$name.sock
    [ "$name" != milter ] || socket=${MILTER_SOCKET:-$socket}
    MILTER_CONFS[$name]=$T/$name.conf
    MILTER_SOCKET=$socket write_milter_config "${MILTER_CONFS[$name]}" "$@"
    # the socket line may have been overridden
    socket=$(sed -n 's/^socket = //p' "${MILTER_CONFS[$name]}")
    local listeners=-1 channel
    if [ -n "${REDIS_PORT:-}" ] && grep -q "^address = $REDIS_ADDRESS\$" "${MILTER_CONFS[$name]}"; then
        channel=$(awk '/^\[/ { s = $0 } s == "[redis]" && $1 == "prefix" { p = $3 } END { print (p == "" ? "sendas:" : p) "v1:flush" }' \
            "${MILTER_CONFS[$name]}")
        listeners=$(_flush_listeners "$channel")
    fi
    start_daemon "$name" "$socket" "$SENDAS_MILTER" -f -c "${MILTER_CONFS[$name]}" || {
        say "config was:"
        sed 's/^/    /' "${MILTER_CONFS[$name]}" >&2
        fail "$(_daemon_label "$name") did not start"
    }
    # With Redis: until its flush listener has subscribed, which clears the
    # local tier (it may have missed flushes): no cached answer is lost to
    # it in the middle of a test.
    [ "$listeners" -lt 0 ] || _await_flush_listeners "$channel" $((listeners + 1))
}

_flush_listeners() {  # CHANNEL: its subscribers
    redis_cli pubsub numsub "$1" 2>/dev/null | sed -n 2p
}

_await_flush_listeners() {  # CHANNEL N: up to 5 s
    local n=50
    while [ $n -gt 0 ]; do
        [ "$(_flush_listeners "$1")" -ge "$2" ] 2>/dev/null && return 0
        sleep 0.1
        n=$((n - 1))
    done
    fail "the daemon's Redis flush listener did not subscribe within 5 s"
}

# stop_milter [NAME]: SIGTERM, the knock, up to 10 s, then the daemon must
# have exited 0 (else a message and status 1; SIGKILL after 10 s).
stop_milter() {
    local name=${1:-milter} pid rc=0
    pid=${MILTER_PIDS[$name]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    milter_knock "${MILTER_SOCKETS[$name]}"
    if ! _wait_gone "$pid" 100; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        _daemon_record "$name"
        say "$(_daemon_label "$name") did not exit within 10 s of SIGTERM"
        return 1
    fi
    wait "$pid" || rc=$?
    _daemon_record "$name"
    if [ "$rc" -ne 0 ]; then
        say "$(_daemon_label "$name") exited with status $rc after SIGTERM (expected 0)"
        return 1
    fi
    return 0
}

_daemon_exit() {  # NAME: at exit, stopped if still running, its log if the test failed
    local name=$1
    [ -z "${MILTER_PIDS[$name]:-}" ] || stop_milter "$name" 2>/dev/null || true
    dump_on_failure "$(_daemon_label "$name") log" "${MILTER_LOGS[$name]}" "$([ "$name" = milter ] && echo 60 || echo 30)"
}

# --- command mode ----------------------------------------------------------

_slapd_ctl_main() {
    [ $# -eq 2 ] || die "usage: harness.sh slapd-ctl TMPDIR stop|start|restart|status"
    T=$1
    [ -r "$T/slapd.env" ] || die "slapd-ctl: $T/slapd.env missing"
    # shellcheck disable=SC1091
    . "$T/slapd.env"
    SLAPD_PID=$(_slapd_recorded_pid)
    case $2 in
    stop) stop_slapd ;;
    start) start_slapd_again ;;
    restart) restart_slapd ;;
    status) slapd_answers ;;
    *) die "slapd-ctl: unknown command $2" ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -eu
    case ${1:-} in
    slapd-ctl)
        shift
        _slapd_ctl_main "$@"
        ;;
    *) die "usage: harness.sh slapd-ctl TMPDIR stop|start|restart|status" ;;
    esac
fi
