# shellcheck shell=bash
# End-to-end test library for sendas-milter: the whole mail path that users
# run, in one temporary directory, on free 127.0.0.1 ports, as root:
#
#   swaks --AUTH PLAIN--> Postfix submission listener (SASL via Dovecot)
#         --milter--> sendas-milter --LDAP--> slapd (tests/integration/fixture.ldif)
#         --LMTP--> Dovecot (passwd-file users, maildir, Sent folders) <--IMAP-- curl
#
# Postfix is a separate instance (`postfix -c $T/postfix`, own queue and
# data directories); the system instance in /etc/postfix is never touched.
# Mail for example.com and example.org goes over LMTP to Dovecot; mail for
# any other domain is discarded by Postfix's discard(8) (default_transport),
# so nothing leaves the machine. Builds on tests/lib/harness.sh (slapd,
# the daemon, ports, temp dir, the exit-trap registry).
#
#   . "$(dirname "$0")/lib.sh"
#   require_stack e2e               # exit 77 without root, postfix, dovecot, swaks, curl, slapd...;
#                                   # $T (mode 0755) and the EXIT trap that stops everything
#   start_stack [MILTER LINE...]    # slapd, milter (lines as start_milter), Dovecot, Postfix
#   out=$(submit alice 'Support <support@example.com>' --to friend@example.org)
#   expect_reply "$out" "250 2.0.0 Ok:"; qid=$(accepted "$out"); wait_delivered "$qid"
#   qid=$(deliver bob support@example.com)   # the same in one step
#   recipients "$qid"               # envelope recipients Postfix delivered to (copy included)
#   msg=$(imap_message friend INBOX "SUBJECT"); header_value "$msg" Sender   # via IMAP
#   imap_count support Sent
#   restart_milter [LINE...]        # same socket, new config
#
# Every helper fails the test (exit 1, logs on stderr) when it cannot do its
# job; use them in assignments (x=$(helper)) so that set -e sees it.
#
# Users (Dovecot passwd-file, password $E2E_PASSWORD): the fixture's people
# (alice bob carol dave eve frank grace heidi), its mailboxes (support sales
# boss loop), and the recipients friend and colleague. Dovecot keys them by
# local part, so support@example.com, "support" (IMAP login) and
# support+Sent@example.com (detail -> folder Sent, auto-created for
# everyone) are one mailbox, in $T/mail/support/Maildir owned by
# $E2E_MAIL_USER.
#
# Environment (besides tests/lib/harness.sh's):
#   POSTFIX DOVECOT SWAKS CURL           tool paths (default: found in PATH, /usr/sbin)
#   E2E_MAIL_USER E2E_MAIL_GROUP         owner of the maildirs (default nobody, nogroup)
#   E2E_MILTER_USER E2E_MILTER_GROUP     the daemon drops to these (default nobody, postfix):
#                                        its socket is then mode 0770 group postfix, as in
#                                        production where Postfix reaches it through the group
#   KEEP_TMP                             keep $T (logs, maildirs, configs) after the run
#   E2E_POSTFIX_EXTRA E2E_DOVECOT_EXTRA  lines appended to main.cf / dovecot.conf

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$E2E_LIB_DIR/../lib/harness.sh"

# A helper that fails inside $(...) fails the caller too.
shopt -s inherit_errexit

E2E_PASSWORD=secret
E2E_USERS="alice bob carol dave eve frank grace heidi support sales boss loop friend colleague"
E2E_MAIL_USER=${E2E_MAIL_USER:-nobody}
E2E_MAIL_GROUP=${E2E_MAIL_GROUP:-nogroup}
E2E_MILTER_USER=${E2E_MILTER_USER:-nobody}
E2E_MILTER_GROUP=${E2E_MILTER_GROUP:-postfix}

SUBMIT_PORT=
IMAP_PORT=
POSTFIX_DIR=
POSTFIX_QUEUE=
POSTFIX_LOG=
POSTFIX_STARTED=
POSTFIX_PREPARE_PID=
DOVECOT_CONF=
DOVECOT_BASE=
DOVECOT_LOG=
DOVECOT_PID=

# --- requirements ----------------------------------------------------------

# The e2e part of `require_stack e2e` (tests/lib/harness.sh), before its
# slapd and milter checks.
_e2e_require() {
    [ "$(id -u)" -eq 0 ] || skip "e2e tests run Postfix and Dovecot instances: run as root"
    local t u packages="postfix dovecot-core dovecot-imapd dovecot-lmtpd swaks curl"
    _need POSTFIX postfix "$packages"
    _need DOVECOT dovecot "$packages"
    _need SWAKS swaks "$packages"
    _need CURL curl "$packages"
    for t in imap imap-login lmtp; do
        [ -x "/usr/lib/dovecot/$t" ] || [ -x "/usr/libexec/dovecot/$t" ] ||
            skip "dovecot $t not found (install dovecot-imapd dovecot-lmtpd)"
    done
    "$CURL" --version 2>/dev/null | grep -qw imap || skip "curl lacks IMAP support"
    for u in postfix "$E2E_MAIL_USER" "$E2E_MILTER_USER" dovecot dovenull; do
        getent passwd "$u" >/dev/null || skip "user $u missing (install postfix and dovecot-core)"
    done
    for u in postdrop "$E2E_MAIL_GROUP" "$E2E_MILTER_GROUP"; do
        getent group "$u" >/dev/null || skip "group $u missing (install postfix)"
    done
}

# --- Dovecot ---------------------------------------------------------------

_dovecot_write_conf() {
    local d=$T/dovecot u
    DOVECOT_BASE=$d/run
    DOVECOT_CONF=$d/dovecot.conf
    DOVECOT_LOG=$d/dovecot.log
    mkdir -p "$d/run" "$d/state" "$T/mail"
    chown "$E2E_MAIL_USER:$E2E_MAIL_GROUP" "$T/mail"
    chmod 700 "$T/mail"
    for u in $E2E_USERS; do
        printf '%s:{PLAIN}%s\n' "$u" "$E2E_PASSWORD"
    done >"$d/users"
    chown root:dovecot "$d/users"
    chmod 640 "$d/users"
    cat >"$DOVECOT_CONF" <<EOF
# sendas-milter e2e test instance; written by tests/e2e/lib.sh
instance_name = sendas-e2e-${T##*.}
base_dir = $DOVECOT_BASE
state_dir = $d/state
log_path = $DOVECOT_LOG
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = $(id -u "$E2E_MAIL_USER")

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $d/users
}
userdb {
  driver = static
  args = uid=$E2E_MAIL_USER gid=$E2E_MAIL_GROUP home=$T/mail/%n
}
mail_location = maildir:~/Maildir

namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = create
    special_use = \Sent
  }
}

recipient_delimiter = +
lmtp_save_to_detail_mailbox = yes

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
${E2E_DOVECOT_EXTRA:-}
EOF
}

_dovecot_wait_up() {
    local n=100
    while [ $n -gt 0 ]; do
        _pid_alive "$DOVECOT_PID" || return 1
        if [ -S "$DOVECOT_BASE/auth-postfix" ] && [ -S "$DOVECOT_BASE/lmtp-postfix" ] &&
            [ "$(cat "$DOVECOT_BASE/master.pid" 2>/dev/null)" = "$DOVECOT_PID" ] &&
            (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

start_dovecot() {
    [ -n "$T" ] || die "start_dovecot: call require_stack e2e first"
    on_exit _dovecot_exit
    local attempt
    for attempt in 1 2 3; do
        IMAP_PORT=$(pick_port)
        _dovecot_write_conf
        # -F: in the foreground, as our child, so that stopping it is a
        # plain SIGTERM and wait (a daemonised master is reaped by init,
        # which some containers do late).
        "$DOVECOT" -F -c "$DOVECOT_CONF" </dev/null >>"$T/dovecot/start.log" 2>&1 &
        DOVECOT_PID=$!
        _dovecot_wait_up && return 0
        say "dovecot start attempt $attempt on IMAP port $IMAP_PORT failed:"
        tail -n 10 "$T/dovecot/start.log" "$DOVECOT_LOG" >&2 2>/dev/null || true
        stop_dovecot
    done
    die "dovecot did not start"
}

stop_dovecot() {
    local pid=$DOVECOT_PID
    [ -n "$pid" ] || return 0
    # _pid_ours: the command line names $T, so a recycled pid is left alone
    if _pid_ours "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        _wait_gone "$pid" 100 || {
            say "dovecot $pid ignored SIGTERM for 10 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        }
    fi
    wait "$pid" 2>/dev/null || true
    DOVECOT_PID=
}

_dovecot_exit() {
    stop_dovecot
    dump_on_failure "dovecot log" "$DOVECOT_LOG" 30
}

# --- Postfix ---------------------------------------------------------------

_postfix_write_main_cf() {
    local dir=$POSTFIX_DIR
    mkdir -p "$dir" "$POSTFIX_QUEUE" "$T/postfix/data"
    chown postfix "$T/postfix/data"
    cat >"$dir/main.cf" <<EOF
# sendas-milter e2e test instance; written by tests/e2e/lib.sh
compatibility_level = 3.6
config_directory = $dir
queue_directory = $POSTFIX_QUEUE
data_directory = $T/postfix/data
maillog_file = $POSTFIX_LOG
maillog_file_prefixes = $T
syslog_name = postfix-e2e
myhostname = mail.example.com
mydomain = example.com
myorigin = example.com
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtputf8_enable = no
# example.com and example.org: Dovecot over LMTP. Anything else: discarded here.
virtual_mailbox_domains = example.com example.org
virtual_transport = lmtp:unix:$DOVECOT_BASE/lmtp-postfix
default_transport = discard:kept on this machine by the e2e test
relay_transport = discard:kept on this machine by the e2e test
recipient_delimiter = +
# Headers as the client sent them (see NOTES: 127.0.0.1 is rewritten otherwise).
local_header_rewrite_clients =
smtpd_milters = $MILTER_SOCKET
milter_default_action = tempfail
milter_protocol = 6
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DOVECOT_BASE/auth-postfix
smtpd_tls_security_level = none
# No waiting: deliver at once, retry soon.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
${E2E_POSTFIX_EXTRA:-}
EOF
}

_postfix_write_master_cf() {
    cat >"$POSTFIX_DIR/master.cf" <<EOF
# sendas-milter e2e test instance; written by tests/e2e/lib.sh
# Only the submission listener faces clients; nothing is chrooted.
127.0.0.1:$SUBMIT_PORT inet n - n - - smtpd
  -o syslog_name=postfix-e2e/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=
  -o smtpd_tls_security_level=none
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

_postfix_master_pid() {
    [ -n "$POSTFIX_QUEUE" ] || return 0
    awk '{ print $1; exit }' "$POSTFIX_QUEUE/pid/master.pid" 2>/dev/null || true
}

# True when PID is a Postfix master started for our config directory.
_postfix_pid_ours() {
    local pid=$1
    _pid_alive "$pid" || return 1
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "MAIL_CONFIG=$POSTFIX_DIR"
}

# prepare_postfix: writes the instance's configuration and creates its
# queue directories in the background (post-install takes seconds), so that
# this overlaps with starting the other servers. The paths it needs are
# fixed: the milter socket $T/milter.sock, Dovecot's $T/dovecot/run.
prepare_postfix() {
    [ -n "$T" ] || die "prepare_postfix: call require_stack e2e first"
    POSTFIX_DIR=$T/postfix/etc
    POSTFIX_QUEUE=$T/postfix/spool
    POSTFIX_LOG=$T/postfix/maillog
    MILTER_SOCKET=${MILTER_SOCKET:-unix:$T/milter.sock}
    DOVECOT_BASE=$T/dovecot/run
    SUBMIT_PORT=$(pick_port)
    _postfix_write_main_cf
    _postfix_write_master_cf
    # Then `postfix start` can skip its integrity scan of this fresh queue:
    # the quick-start marker is the one `postfix quick-stop` leaves.
    (
        "$POSTFIX" -c "$POSTFIX_DIR" post-install create-missing </dev/null >>"$T/postfix/start.log" 2>&1 &&
            touch "$POSTFIX_QUEUE/quick-start"
    ) &
    POSTFIX_PREPARE_PID=$!
    on_exit '[ -z "$POSTFIX_PREPARE_PID" ] || wait "$POSTFIX_PREPARE_PID"'
}

# start_postfix: starts the instance (after prepare_postfix, Dovecot and
# the milter) and waits until the submission port answers.
start_postfix() {
    [ -n "$POSTFIX_DIR" ] || prepare_postfix
    if [ -n "$POSTFIX_PREPARE_PID" ]; then
        wait "$POSTFIX_PREPARE_PID" || say "postfix post-install create-missing failed; postfix start will try"
        POSTFIX_PREPARE_PID=
    fi
    on_exit _postfix_exit
    local attempt n
    for attempt in 1 2 3; do
        [ "$attempt" -eq 1 ] || {
            SUBMIT_PORT=$(pick_port)
            _postfix_write_master_cf
        }
        if "$POSTFIX" -c "$POSTFIX_DIR" start </dev/null >>"$T/postfix/start.log" 2>&1; then
            POSTFIX_STARTED=yes
            n=100
            while [ $n -gt 0 ]; do
                (exec 3<>"/dev/tcp/127.0.0.1/$SUBMIT_PORT") 2>/dev/null && return 0
                sleep 0.1
                n=$((n - 1))
            done
        fi
        say "postfix start attempt $attempt on port $SUBMIT_PORT failed:"
        tail -n 10 "$T/postfix/start.log" "$POSTFIX_LOG" >&2 2>/dev/null || true
        stop_postfix
    done
    die "postfix did not start"
}

stop_postfix() {
    local pid
    [ -n "$POSTFIX_STARTED" ] || return 0
    pid=$(_postfix_master_pid)
    "$POSTFIX" -c "$POSTFIX_DIR" stop >>"$T/postfix/start.log" 2>&1 || true
    if [ -n "$pid" ] && _postfix_pid_ours "$pid"; then
        say "postfix master $pid still running after 'postfix stop': SIGKILL to its process group"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        _wait_gone "$pid" 50 || true
    fi
    POSTFIX_STARTED=
}

# At exit: Postfix stopped, the last SMTP transcript and its log if the
# test failed.
_postfix_exit() {
    stop_postfix
    dump_on_failure "last SMTP transcript" "$T/swaks.last" 200
    dump_on_failure "postfix log" "$POSTFIX_LOG" 40
}

# --- the stack -------------------------------------------------------------

# start_stack [MILTER CONFIG LINE...]: slapd with the fixture, the daemon
# (config lines as for start_milter), Dovecot, Postfix. Sets SUBMIT_PORT,
# IMAP_PORT, POSTFIX_LOG, MILTER_LOG and the rest.
# shellcheck disable=SC2120 # the config lines are optional
start_stack() {
    prepare_postfix
    start_slapd
    start_milter "user = $E2E_MILTER_USER" "group = $E2E_MILTER_GROUP" "$@"
    start_dovecot
    start_postfix
}

# restart_milter [LINE...]: stops the daemon (it must exit 0) and starts it
# again on the same socket with the base lines plus LINEs.
# shellcheck disable=SC2120 # the config lines are optional
restart_milter() {
    stop_milter || fail "the daemon did not stop cleanly"
    start_milter "user = $E2E_MILTER_USER" "group = $E2E_MILTER_GROUP" "$@"
}

# --- SMTP ------------------------------------------------------------------

# submit USER FROM_HEADER [SWAKS ARG...]: one message over the submission
# port with AUTH PLAIN as USER; prints swaks' transcript. Defaults: envelope
# sender USER@example.com, recipient friend@example.org, header From:
# FROM_HEADER, Subject: "e2e USER as FROM_HEADER". Later swaks options win (--to, --from,
# --header 'Subject: ...', --add-header 'Sender: ...'). The transcript is
# also kept in $T/swaks.last. Never fails: a refusal is a result.
submit() {
    local user=$1 from=$2
    shift 2
    local out
    # POSIXLY_CORRECT: else swaks' Getopt::Long takes a login such as
    # "+61lice" for an option.
    out=$(POSIXLY_CORRECT=1 "$SWAKS" --server 127.0.0.1 --port "$SUBMIT_PORT" --helo client.example.net \
        --auth PLAIN --auth-user "$user" --auth-password "$E2E_PASSWORD" \
        --from "$user@example.com" --to friend@example.org \
        --header "From: $from" --header "Subject: e2e $user as $from" \
        --body "sent by $user" --timeout 30 "$@" 2>&1) || true
    printf '%s\n' "$out" >"$T/swaks.last"
    printf '%s\n' "$out"
}

# data_reply TRANSCRIPT: the server's final reply to the message (after the
# client's "."), or to whatever command was refused before it: one line,
# e.g. "250 2.0.0 Ok: queued as 4ABC" / "550 5.7.1 <eve> is not allowed ...".
data_reply() {
    awk '
        /^ *-> \.$/ { dot = 1; next }
        dot && /^ *<[-*]+ +[0-9][0-9][0-9][ -]/ { sub(/^ *<[-*]+ +/, ""); print; exit }
        !dot && /^ *<\*\* +[0-9][0-9][0-9][ -]/ { sub(/^ *<\*\* +/, ""); print; exit }
    ' <<<"$1"
}

# queue_id TRANSCRIPT: the Postfix queue id of an accepted message, or empty.
queue_id() {
    data_reply "$1" | sed -n 's/^250 .*queued as \([0-9A-Za-z]*\).*/\1/p'
}

# expect_reply TRANSCRIPT EXPECTED: the final reply must be EXPECTED exactly
# (for 250: the line up to "queued as", which differs per message).
expect_reply() {
    local got
    got=$(data_reply "$1")
    case $2 in
    250*) [ "${got%% queued as *}" = "$2" ] || fail "expected reply '$2', got '$got'" ;;
    *) [ "$got" = "$2" ] || fail "expected reply '$2', got '$got'" ;;
    esac
}

# accepted TRANSCRIPT: the queue id; fails unless the message was accepted.
accepted() {
    local qid
    qid=$(queue_id "$1")
    [ -n "$qid" ] || fail "message not accepted: $(data_reply "$1")"
    printf '%s\n' "$qid"
}

# rejected_queue_id TRANSCRIPT: the queue id Postfix had given a message that
# the milter refused at end of data (from the maillog's milter-reject line).
rejected_queue_id() {
    local reply
    reply=$(data_reply "$1")
    grep -F -- "milter-reject: END-OF-MESSAGE from " "$POSTFIX_LOG" |
        grep -F -- ": ${reply#[0-9][0-9][0-9] }" | tail -n 1 |
        sed -n 's/^.*[[:space:]]\([0-9A-Za-z]*\): milter-reject: .*/\1/p'
}

# wait_removed QUEUEID: waits (up to 30 s) until Postfix has removed the
# message from its queue: every recipient delivered, discarded or bounced.
wait_removed() {
    local qid=$1 n=300
    [ -n "$qid" ] || fail "wait_removed: no queue id"
    while [ $n -gt 0 ]; do
        grep -qE "[[:space:]]$qid: removed\$" "$POSTFIX_LOG" 2>/dev/null && return 0
        sleep 0.1
        n=$((n - 1))
    done
    fail "message $qid still queued after 30 s:
$(grep -E "[[:space:]]$qid: " "$POSTFIX_LOG" || true)"
}

# wait_delivered QUEUEID: wait_removed, and every recipient must have been
# delivered (status=sent).
wait_delivered() {
    wait_removed "$1"
    if delivery_lines "$1" | grep -qv " status=sent "; then
        fail "message $1 was not delivered to every recipient:
$(delivery_lines "$1")"
    fi
}

# wait_queue_empty: waits (up to 30 s) until no message is left in Postfix's
# queue, e.g. no bounce that a test must prove was never sent.
wait_queue_empty() {
    local n=300 d
    while [ $n -gt 0 ]; do
        d=$(find "$POSTFIX_QUEUE/maildrop" "$POSTFIX_QUEUE/incoming" "$POSTFIX_QUEUE/active" \
            "$POSTFIX_QUEUE/deferred" "$POSTFIX_QUEUE/hold" -type f 2>/dev/null | head -n 1)
        [ -n "$d" ] || return 0
        sleep 0.1
        n=$((n - 1))
    done
    fail "Postfix queue not empty after 30 s: $d"
}

# deliver USER FROM_HEADER [SWAKS ARG...]: submit, which must be accepted and
# delivered to every recipient; prints the queue id.
deliver() {
    local out qid
    out=$(submit "$@")
    qid=$(accepted "$out")
    wait_delivered "$qid"
    printf '%s\n' "$qid"
}

# delivery_lines QUEUEID: the maillog lines about QUEUEID's recipients.
delivery_lines() {
    grep -E "[[:space:]]$1: to=" "$POSTFIX_LOG" || true
}

# recipients QUEUEID: the envelope recipients Postfix delivered the message
# to (milter-added ones included), sorted, one a line.
recipients() {
    delivery_lines "$1" | sed -n 's/^.*: to=<\([^>]*\)>.*/\1/p' | sort
}

# --- IMAP ------------------------------------------------------------------

# _curl_imap USER PATH [CURL ARG...]: one IMAP session as USER over the
# IMAP port (curl logs in, selects the folder in PATH, runs the command).
_curl_imap() {
    local user=$1 path=$2
    shift 2
    "$CURL" -sS --max-time 10 --user "$user:$E2E_PASSWORD" "imap://127.0.0.1:$IMAP_PORT/$path" "$@"
}

# imap_uids USER FOLDER [SEARCH KEY...]: the UIDs of the messages in
# FOLDER (that match the IMAP SEARCH keys; default ALL), one a line.
imap_uids() {
    local user=$1 folder=$2 out
    shift 2
    out=$(_curl_imap "$user" "$folder" -X "UID SEARCH ${*:-ALL}") || fail "IMAP: cannot search $user's $folder"
    printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^\* SEARCH//p' | tr ' ' '\n' | grep . || true
}

# _imap_header USER FOLDER UID: one message's header block, unfolded, CR
# removed, followed by a line "--".
_imap_header() {
    local out
    out=$(_curl_imap "$1" "$2/;UID=$3/;SECTION=HEADER") || fail "IMAP: cannot fetch $1's $2 UID $3"
    printf '%s\n' "$out" | tr -d '\r' | awk '
        /^$/ { exit }
        /^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
        { if (line != "") print line; line = $0 }
        END { if (line != "") print line }'
    printf '%s\n' --
}

# imap_count USER FOLDER: how many messages FOLDER holds.
imap_count() {
    local uids
    uids=$(imap_uids "$1" "$2") || fail "IMAP: cannot list $1's $2"
    [ -n "$uids" ] || { echo 0; return 0; }
    printf '%s\n' "$uids" | wc -l
}

# imap_headers USER FOLDER [SEARCH KEY...]: the header block of every
# message in FOLDER (matching the keys), each followed by a line "--".
imap_headers() {
    local user=$1 folder=$2 uid uids
    shift 2
    uids=$(imap_uids "$user" "$folder" "$@") || fail "IMAP: cannot list $user's $folder"
    for uid in $uids; do
        _imap_header "$user" "$folder" "$uid" || fail "IMAP: cannot read $user's $folder"
    done
}

# _with_subject SUBJECT: from imap_headers output on stdin, the blocks whose
# Subject: is exactly SUBJECT (IMAP SEARCH matches substrings).
_with_subject() {
    awk -v s="Subject: $1" '
        $0 == "--" { if (hit) printf "%s--\n", block; block = ""; hit = 0; next }
        { block = block $0 "\n"; if ($0 == s) hit = 1 }'
}

# _search_subject SUBJECT: the IMAP SEARCH key for it, quoted.
_search_subject() {
    local q=${1//\\/\\\\}
    printf 'HEADER Subject "%s"' "${q//\"/\\\"}"
}

# imap_message USER FOLDER SUBJECT: the header block of the one message in
# FOLDER whose Subject: is SUBJECT (fails unless there is exactly one).
imap_message() {
    local user=$1 folder=$2 subject=$3 all found
    all=$(imap_headers "$user" "$folder" "$(_search_subject "$subject")") ||
        fail "IMAP: cannot read $user's $folder"
    found=$(_with_subject "$subject" <<<"$all")
    [ "$(grep -cx -- -- <<<"$found")" = 1 ] || fail "expected exactly one message with Subject: $subject in $user's $folder, found:
$(imap_headers "$user" "$folder")"
    printf '%s\n' "$found" | sed '$d'
}

# subject_count USER FOLDER SUBJECT: how many messages in FOLDER have it.
subject_count() {
    local all
    all=$(imap_headers "$1" "$2" "$(_search_subject "$3")") || fail "IMAP: cannot read $1's $2"
    _with_subject "$3" <<<"$all" | grep -cx -- -- || true
}

# header_value HEADERBLOCK NAME: the unfolded value of the first NAME: header.
header_value() {
    awk -v n="$2" 'BEGIN { n = tolower(n) ":" }
        tolower(substr($0, 1, length(n))) == n { v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); print v; exit }' <<<"$1"
}

# --- audit -----------------------------------------------------------------

# audit_line QUEUEID: the daemon's audit line for the message (from -f's
# stderr copy of syslog), or empty.
audit_line() {
    grep -E "^$1: user=" "$MILTER_LOG" || true
}

# --- assertions ------------------------------------------------------------

# expect_audit QUEUEID ERE: the daemon wrote exactly one audit line for the
# message, and it is "QUEUEID: " followed by text matching ERE in full.
expect_audit() {
    local lines
    lines=$(audit_line "$1")
    [ "$(grep -c . <<<"$lines")" = 1 ] || fail "expected one audit line for $1, got:
${lines:-(none)}
daemon log:
$(cat "$MILTER_LOG")"
    grep -qxE -- "$1: $2" <<<"$lines" || fail "audit line for $1 does not match '$2':
$lines"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_no_match WHAT TEXT ERE: no line of TEXT matches ERE (case-insensitive).
expect_no_match() {
    ! grep -qiE -- "$3" <<<"$2" || fail "$1: unexpected '$(grep -iE -- "$3" <<<"$2" | head -n 1)' in:
$2"
}
