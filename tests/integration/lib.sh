# shellcheck shell=bash
# Integration test library for sendas-milter: a private slapd loaded with
# fixture.ldif and the real daemon, both in a temporary directory, both on
# loopback or unix sockets, both stopped again whatever happens.
#
# Sourced by test runners (tests/milter/run-lua, e2e tests):
#
#   . "$srcdir/tests/integration/lib.sh"
#   require_tools            # exit 77 (skip) when slapd/slapadd/ldapsearch/miltertest are missing
#   require_milter           # exit 99 (hard error) when $SENDAS_MILTER is not built
#   setup_tmpdir             # $T, and the EXIT trap that runs cleanup
#   start_slapd              # $SLAPD_PORT, $SLAPD_URI, $SLAPD_PID
#   start_milter 'ldap.nested_depth = 10' ...   # $MILTER_SOCKET, $MILTER_PID, $MILTER_LOG
#   ...
#   stop_milter              # fails unless the daemon exits 0 on SIGTERM
#
# Run as a command it controls the slapd of a running test from outside,
# e.g. from a miltertest script through os.execute():
#
#   bash lib.sh slapd-ctl TMPDIR stop|start|restart|status
#
# Environment:
#   SENDAS_MILTER  the daemon (default $top_builddir/src/sendas-milter)
#   top_builddir   build tree root (default: the source tree root)
#   SLAPD SLAPADD LDAPSEARCH MILTERTEST   tool paths (default: found in PATH, /usr/sbin)
#   TMPDIR         where the per-test directory is made (default /tmp)
#   KEEP_TMP       when set and not empty, the test directory is kept (path printed)
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.

SENDAS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
SENDAS_LIB=$SENDAS_LIB_DIR/lib.sh
FIXTURE=${FIXTURE:-$SENDAS_LIB_DIR/fixture.ldif}
: "${top_builddir:=$(cd "$SENDAS_LIB_DIR/../.." && pwd)}"
SENDAS_MILTER=${SENDAS_MILTER:-$top_builddir/src/sendas-milter}
LDAP_BASE=dc=example,dc=com
LDAP_ROOTDN=cn=admin,dc=example,dc=com
LDAP_ROOTPW=integration-test-only

T=${T:-}
SLAPD_PORT=${SLAPD_PORT:-}
SLAPD_URI=${SLAPD_URI:-}
SLAPD_PID=${SLAPD_PID:-}
MILTER_PID=
MILTER_SOCKET=
MILTER_LOG=
MILTER_CONF=

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

require_tools() {
    SLAPD=${SLAPD:-$(_find_tool slapd)}
    SLAPADD=${SLAPADD:-$(_find_tool slapadd)}
    LDAPSEARCH=${LDAPSEARCH:-$(_find_tool ldapsearch)}
    MILTERTEST=${MILTERTEST:-$(_find_tool miltertest)}
    local t
    for t in SLAPD SLAPADD LDAPSEARCH MILTERTEST; do
        if [ -z "${!t}" ] || [ ! -x "${!t}" ]; then
            skip "$(printf '%s' "$t" | tr '[:upper:]' '[:lower:]') not found (install slapd, ldap-utils, miltertest)"
        fi
    done
    [ -d /etc/ldap/schema ] || skip "/etc/ldap/schema missing (install slapd)"
    [ -r "$FIXTURE" ] || die "fixture $FIXTURE not readable"
}

require_milter() {
    [ -x "$SENDAS_MILTER" ] || die "daemon $SENDAS_MILTER not built (set SENDAS_MILTER or top_builddir)"
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
    kill -TERM "$pid" 2>/dev/null || return 0
    _wait_gone "$pid" 50 && return 0
    say "process $pid ignored SIGTERM for 5 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    _wait_gone "$pid" 50 || true
}

# --- temp dir and cleanup --------------------------------------------------

setup_tmpdir() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/sendas-it.XXXXXX") || die "mktemp failed"
    export T
    trap cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

cleanup() {
    local rc=$? pid
    trap - EXIT
    set +e
    [ -n "$MILTER_PID" ] && _terminate "$MILTER_PID"
    [ -n "${REDIS_PID:-}" ] && _redis_terminate
    # slapd may have been (re)started by slapd-ctl from inside a script:
    # the recorded pid file is the truth.
    pid=$(_slapd_recorded_pid)
    [ -n "$pid" ] && _terminate "$pid"
    [ -n "$SLAPD_PID" ] && [ "$SLAPD_PID" != "$pid" ] && _terminate "$SLAPD_PID"
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$T" ] && [ -d "$T" ]; then
        if [ -s "$T/milter.log" ]; then
            say "---- daemon log ($T/milter.log, last 60 lines) ----"
            tail -n 60 "$T/milter.log" >&2
        fi
        if [ -s "$T/slapd.log" ]; then
            say "---- slapd log (last 20 lines) ----"
            tail -n 20 "$T/slapd.log" >&2
        fi
    fi
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ -n "${KEEP_TMP:-}" ]; then
            say "KEEP_TMP: test directory kept: $T"
        else
            rm -rf -- "$T"
        fi
    fi
    exit "$rc"
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

# --- slapd -----------------------------------------------------------------

_slapd_recorded_pid() {
    if [ -n "$T" ] && [ -r "$T/slapd.launched" ]; then
        cat "$T/slapd.launched" 2>/dev/null || true
    fi
}

_slapd_write_conf() {
    local modline= d
    # Debian builds back_mdb as a module; a static build has it already.
    if ! "$SLAPD" -VVV 2>&1 | grep -qw mdb; then
        for d in /usr/lib/ldap /usr/lib/openldap /usr/local/libexec/openldap; do
            if [ -e "$d/back_mdb.la" ] || [ -e "$d/back_mdb.so" ]; then
                modline="modulepath $d
moduleload back_mdb"
                break
            fi
        done
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
maxsize 16777216
suffix "$LDAP_BASE"
rootdn "$LDAP_ROOTDN"
rootpw $LDAP_ROOTPW
directory $T/slapd-data
index objectClass eq
index uid,mail,cn eq
index member eq
access to * by * read
EOF
}

# What `lib.sh slapd-ctl` needs to find this slapd again.
_slapd_write_env() {
    {
        printf 'SLAPD=%q\n' "$SLAPD"
        printf 'LDAPSEARCH=%q\n' "$LDAPSEARCH"
        printf 'SLAPD_PORT=%q\n' "$SLAPD_PORT"
        printf 'SLAPD_URI=%q\n' "$SLAPD_URI"
    } >"$T/slapd.env"
}

# Starts slapd in the foreground (-d 0) as a background job, with none of
# the caller's descriptors beyond stdio (miltertest leaks its milter socket
# into os.execute children), and records its pid in $T/slapd.launched.
_slapd_launch() {
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            case $fd in 0 | 1 | 2 | *[!0-9]*) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
        done
        exec "$SLAPD" -d 0 -f "$T/slapd.conf" -h "$SLAPD_URI" </dev/null >>"$T/slapd.log" 2>&1
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

start_slapd() {
    [ -n "$T" ] || die "start_slapd: call setup_tmpdir first"
    _slapd_write_conf
    LDAPNOINIT=1 "$SLAPADD" -q -f "$T/slapd.conf" -l "$FIXTURE" >"$T/slapadd.log" 2>&1 || {
        cat "$T/slapadd.log" >&2
        die "slapadd could not load $FIXTURE"
    }
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

# --- the daemon ------------------------------------------------------------

# write_milter_config FILE [LINE...]
# LINE is "key = value" with dotted keys for sections ("ldap.nested_depth = 10").
# Lines given later replace the same key given earlier (base lines first),
# a line "key =" sets an empty value, and a line "-key" drops the key so that
# the daemon's default applies. The file is written as INI: top-level keys,
# then one [section] per prefix, as Boost.Program_options reads it.
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
            "ldap.timeout = 2"
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

# start_milter [CONFIG LINE...]: writes $T/milter.conf and starts the daemon
# in the foreground (-f) as a background job, stderr to $T/milter.log.
start_milter() {
    [ -n "$T" ] || die "start_milter: call setup_tmpdir first"
    require_milter
    MILTER_SOCKET=${MILTER_SOCKET:-unix:$T/milter.sock}
    MILTER_CONF=$T/milter.conf
    MILTER_LOG=$T/milter.log
    write_milter_config "$MILTER_CONF" "$@"
    # the socket line may have been overridden
    MILTER_SOCKET=$(sed -n 's/^socket = //p' "$MILTER_CONF")
    case $MILTER_SOCKET in unix:* | local:*) rm -f -- "${MILTER_SOCKET#*:}" ;; esac
    "$SENDAS_MILTER" -f -c "$MILTER_CONF" </dev/null >>"$MILTER_LOG" 2>&1 &
    MILTER_PID=$!
    local n=100
    while [ $n -gt 0 ]; do
        if ! _pid_alive "$MILTER_PID"; then
            local rc=0
            wait "$MILTER_PID" || rc=$?
            MILTER_PID=
            say "sendas-milter exited with status $rc during startup; config was:"
            sed 's/^/    /' "$MILTER_CONF" >&2
            say "log:"
            cat "$MILTER_LOG" >&2
            exit 1
        fi
        _socket_ready "$MILTER_SOCKET" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    fail "sendas-milter did not open $MILTER_SOCKET within 10 s"
}

# stop_milter: SIGTERM, wait up to 10 s, then the daemon must have exited 0.
stop_milter() {
    local pid=$MILTER_PID rc=0
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    # libmilter's listener notices a stop only when its 5-second poll ends
    # or a connection arrives: knock once instead of waiting.
    printf 'mt.connect(socket, 1, 0.1)\n' > "$T/knock.lua"
    "$MILTERTEST" -s "$T/knock.lua" -D socket="$MILTER_SOCKET" >/dev/null 2>&1 || true
    if ! _wait_gone "$pid" 100; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        MILTER_PID=
        say "sendas-milter did not exit within 10 s of SIGTERM"
        return 1
    fi
    wait "$pid" || rc=$?
    MILTER_PID=
    if [ "$rc" -ne 0 ]; then
        say "sendas-milter exited with status $rc after SIGTERM (expected 0)"
        return 1
    fi
    return 0
}

# --- Redis, LDAP changes and access counts (cache tests) -------------------
#
#   require_redis            # exit 77 (skip) when redis-server/redis-cli are missing
#   start_redis              # $REDIS_PORT, $REDIS_PID, $REDIS_ADDRESS (for redis.address)
#   redis_cli ARGS...        # redis-cli against it
#   redis_command_calls CMD...   # sum of INFO commandstats calls of those commands
#   pause_redis / resume_redis   # SIGSTOP / SIGCONT: a hung server
#   stop_redis [KILL] / restart_redis   # restart keeps the port and loses the data
#   slapd_log_searches       # before start_slapd: slapd logs every operation (-d stats)
#   slapd_search_count [TEXT]    # SRCH operations so far (whose line contains TEXT)
#   pause_slapd / resume_slapd   # SIGSTOP / SIGCONT
#   probe_message LOGIN FROM [QID [OPTION...]] / probe_result ...   # one message via $MILTER_PROBE
#   ldap_modify < LDIF       # as the rootdn
#   milter_stat NAME         # the daemon's published counter (sendasctl cache stats)
# The cleanup trap stops Redis too (resuming it first if it was paused).

REDIS_SERVER=${REDIS_SERVER:-}
REDIS_CLI=${REDIS_CLI:-}
REDIS_PORT=${REDIS_PORT:-}
REDIS_PID=
# shellcheck disable=SC2034 # used by the scripts that source this file
REDIS_ADDRESS=
REDIS_LOG=

require_redis() {
    REDIS_SERVER=${REDIS_SERVER:-$(_find_tool redis-server)}
    REDIS_CLI=${REDIS_CLI:-$(_find_tool redis-cli)}
    [ -n "$REDIS_SERVER" ] && [ -x "$REDIS_SERVER" ] || skip "redis-server not found (install redis-server)"
    [ -n "$REDIS_CLI" ] && [ -x "$REDIS_CLI" ] || skip "redis-cli not found (install redis-tools)"
}

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

start_redis() {
    [ -n "$T" ] || die "start_redis: call setup_tmpdir first"
    require_redis
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

# Opt-in, before start_slapd: slapd runs with "-d stats" (added after lib.sh's
# own "-d 0"; slapd ORs the levels), so $T/slapd.log gets a line per
# operation. OpenLDAP 2.5's slapd.conf "logfile" only copies the -d output,
# so "loglevel stats" + "logfile" alone logs nothing under "-d 0".
slapd_log_searches() {
    [ -n "$T" ] || die "slapd_log_searches: call setup_tmpdir first"
    [ -n "${SLAPD:-}" ] || die "slapd_log_searches: call require_tools first"
    case $SLAPD in "$T"/*) return 0 ;; esac
    {
        printf '#!/bin/sh\n'
        printf '# slapd with operation logging, for the test in this directory\n'
        printf 'case " $* " in *" -f "*) exec %q "$@" -d stats ;; *) exec %q "$@" ;; esac\n' "$SLAPD" "$SLAPD"
    } >"$T/slapd-logged"
    chmod +x "$T/slapd-logged"
    SLAPD=$T/slapd-logged
}

# slapd_search_count [TEXT]: searches slapd has received so far, or only
# those whose SRCH line contains TEXT (e.g. "(uid=alice)"). Needs
# slapd_log_searches.
slapd_search_count() {
    [ "${SLAPD:-}" = "$T/slapd-logged" ] || die "slapd_search_count: call slapd_log_searches before start_slapd"
    # Every connection logs an ACCEPT line: without one, nothing is being
    # logged, and a count of 0 would prove nothing.
    grep -qF ' ACCEPT from ' "$T/slapd.log" || die "slapd_search_count: $T/slapd.log logs no operations"
    local n
    n=$(grep -F ' SRCH base=' "$T/slapd.log" | grep -cF -- "${1:- SRCH base=}") || [ "$n" = 0 ] ||
        die "slapd_search_count: cannot read $T/slapd.log"
    printf '%s\n' "$n"
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

# --- command mode ----------------------------------------------------------

_slapd_ctl_main() {
    [ $# -eq 2 ] || die "usage: lib.sh slapd-ctl TMPDIR stop|start|restart|status"
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
    *) die "usage: lib.sh slapd-ctl TMPDIR stop|start|restart|status" ;;
    esac
fi
