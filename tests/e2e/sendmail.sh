#!/usr/bin/env bash
# The README's Sendmail lines through a real Sendmail: Debian's sendmail-bin
# and sendmail-cf, fetched with `apt-get download` and unpacked into the
# test's directory (never installed: sendmail-bin conflicts with postfix),
# run as a private daemon from its own .cf on a loopback port, with SMTP
# AUTH from Cyrus SASL and a private sasldb, the daemon as
# INPUT_MAIL_FILTER(..., F=T), delivery over LMTP to Dovecot. Shows Send
# As, Send on Behalf (the Sender: as delivered), a refusal, a login with
# '+' (xtext between Sendmail and the daemon), the Sent copy that arrives,
# and a daemon that is down: tempfail, never a pass.
#
#   swaks --AUTH PLAIN--> sendmail -bD (sasldb) --milter--> sendas-milter --LDAP--> slapd
#         --LMTP--> Dovecot <--IMAP-- curl
#
# Sendmail clears its environment and reads the SASL config only from
# fixed places (/etc/sasl2, /usr/lib/sasl2 ...), and sleeps a minute when
# the host name is unqualified: it runs in its own mount and UTS
# namespaces (unshare), where /usr/lib/sasl2 is our folder and the host
# name mail.example.com. Nothing outside $T is changed.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
require_stack e2e
_need SASLPASSWD2 saslpasswd2 sasl2-bin
_need M4 m4 m4
_need UNSHARE unshare util-linux
_need GROFF groff groff-base
find /usr/lib /usr/lib64 -path '*sasl2/libplain.so*' 2>/dev/null | grep -q . ||
    skip "Cyrus SASL's PLAIN plugin not found (install libsasl2-modules)"
[ -d /usr/lib/sasl2 ] || skip "/usr/lib/sasl2 missing (install libsasl2-2)"

SM=$T/sendmail
SENDMAIL=
SENDMAIL_VERSION=
SENDMAIL_PID=
SENDMAIL_AT_EXIT=
README_MC_LINES=

# fetch_sendmail: the packages into $SM/debs, unpacked into $SM/root.
# Skips when apt cannot fetch them (no network, no package lists).
fetch_sendmail() {
    mkdir -p "$SM/debs" "$SM/root"
    (cd "$SM/debs" && apt-get download -q -o APT::Sandbox::User=root sendmail-bin sendmail-cf) \
        >"$SM/download.log" 2>&1 ||
        skip "apt-get download sendmail-bin sendmail-cf failed: $(tail -n 2 "$SM/download.log" | tr '\n' ' ')"
    local deb
    for deb in "$SM"/debs/*.deb; do
        dpkg-deb -x "$deb" "$SM/root" || die "dpkg-deb -x $deb failed"
    done
    SENDMAIL=$SM/root/usr/libexec/sendmail/sendmail
    [ -x "$SENDMAIL" ] || SENDMAIL=$SM/root/usr/lib/sm.bin/sendmail
    [ -x "$SENDMAIL" ] || die "no sendmail binary in $(basename "$SM"/debs/sendmail-bin_*.deb)"
    SENDMAIL_VERSION=$(dpkg-deb -f "$SM"/debs/sendmail-bin_*.deb Version)
    local missing
    missing=$(ldd "$SENDMAIL" 2>&1 | awk '/not found/ { print $1 }' | tr '\n' ' ')
    [ -z "$missing" ] || skip "sendmail $SENDMAIL_VERSION needs libraries that are not installed: $missing"
    say "Sendmail $SENDMAIL_VERSION (Debian package sendmail-bin)"
}

# sasl_users USER...: the private sasldb, each with $E2E_PASSWORD, and the
# Sendmail.conf that points Cyrus SASL at it.
sasl_users() {
    local u
    mkdir -p "$SM/sasl2"
    for u in "$@"; do
        printf '%s' "$E2E_PASSWORD" |
            "$SASLPASSWD2" -f "$SM/sasldb2" -p -c -u mail.example.com "$u" || die "saslpasswd2 $u failed"
    done
    chmod 600 "$SM/sasldb2"
    cat >"$SM/sasl2/Sendmail.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $SM/sasldb2
mech_list: PLAIN LOGIN
EOF
}

# _sendmail_write_cf [no-F=T]: $SM/sendmail.mc (the README's two lines,
# with our socket; optionally without F=T) and the .cf m4 makes from it
# with sendmail-cf's macros.
_sendmail_write_cf() {
    mkdir -p "$SM/mqueue"
    chmod 700 "$SM/mqueue"
    printf 'hosts files\n' >"$SM/service.switch"
    : >"$SM/helpfile"
    # The README's lines, as an admin pastes them, with this test's socket.
    local readme_lines=${README_MC_LINES//unix:\/run\/sendas-milter\/milter.sock/$MILTER_SOCKET}
    [ "${1:-}" != no-F=T ] || readme_lines=${readme_lines//, F=T/}
    cat >"$SM/sendmail.mc" <<EOF
divert(-1)
# sendas-milter e2e test instance; written by tests/e2e/sendmail.sh
divert(0)dnl
include(\`$SM/root/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`sendas-milter e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mail.example.com')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM/service.switch')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0')dnl
dnl $T is below /tmp, which is world-writable (and sticky): else every
dnl file and socket of ours is "unsafe".
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`QUEUE_DIR', \`$SM/mqueue')dnl
define(\`confPID_FILE', \`$SM/sendmail.pid')dnl
define(\`STATUS_FILE', \`$SM/statistics')dnl
define(\`HELP_FILE', \`$SM/helpfile')dnl
define(\`confCR_FILE', \`-o $SM/relay-domains')dnl
define(\`confCW_FILE', \`-o $SM/local-host-names')dnl
define(\`LOCAL_MAILER_PATH', \`/bin/false')dnl
undefine(\`ALIAS_FILE')dnl
define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
FEATURE(\`no_default_msa')dnl
dnl No DNS here: example.com does not resolve.
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$SUBMIT_PORT, Addr=127.0.0.1, Name=MSA, M=Ea')dnl
dnl Every domain is remote here: all mail goes to Dovecot over LMTP.
define(\`SMART_HOST', \`dovecot:lmtp')dnl
$readme_lines
MAILER(\`smtp')dnl
MAILER_DEFINITIONS
Mdovecot,	P=[IPC], F=mDFMuXz0, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\r\n, L=990,
		T=DNS/RFC822/SMTP, A=FILE $DOVECOT_BASE/lmtp-postfix
EOF
    "$M4" "$SM/sendmail.mc" >"$SM/sendmail.cf" 2>"$SM/m4.log" || {
        cat "$SM/m4.log" >&2
        die "m4 could not build sendmail.cf"
    }
}

# True when PID runs the sendmail binary unpacked below $T (its command
# line is its status text, which does not name $T).
_sendmail_pid_ours() {
    _pid_alive "$1" && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$SENDMAIL" ]
}

_sendmail_wait_up() {
    local n=100
    while [ $n -gt 0 ]; do
        _pid_alive "$SENDMAIL_PID" || return 1
        if [ "$(head -n 1 "$SM/sendmail.pid" 2>/dev/null)" = "$SENDMAIL_PID" ] &&
            (exec 3<>"/dev/tcp/127.0.0.1/$SUBMIT_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# start_sendmail [no-F=T]: the daemon in the foreground (-bD) as our
# child, every SMTP session logged to $SM/traffic.log (-X).
start_sendmail() {
    [ -n "$SENDMAIL_AT_EXIT" ] || on_exit _sendmail_exit
    SENDMAIL_AT_EXIT=yes
    local attempt
    for attempt in 1 2 3; do
        SUBMIT_PORT=$(pick_port)
        _sendmail_write_cf "$@"
        # shellcheck disable=SC2016 # expanded by the inner shell
        "$UNSHARE" --mount --uts sh -c 'mount --bind "$1" /usr/lib/sasl2 && hostname mail.example.com &&
            exec "$2" -bD -C "$3" -X "$4"' sh "$SM/sasl2" "$SENDMAIL" "$SM/sendmail.cf" "$SM/traffic.log" \
            </dev/null >>"$SM/sendmail.out" 2>&1 &
        SENDMAIL_PID=$!
        _sendmail_wait_up && return 0
        say "sendmail start attempt $attempt on port $SUBMIT_PORT failed:"
        tail -n 10 "$SM/sendmail.out" >&2 || true
        stop_sendmail
    done
    die "sendmail did not start"
}

# stop_sendmail: SIGTERM to the daemon, then to any process of it still
# running (a delivery), found by its binary, which only this test runs.
stop_sendmail() {
    local exe pid
    [ -n "$SENDMAIL_PID" ] || return 0
    if _sendmail_pid_ours "$SENDMAIL_PID"; then kill -TERM "$SENDMAIL_PID" 2>/dev/null || true; fi
    _wait_gone "$SENDMAIL_PID" 100 || kill -KILL "$SENDMAIL_PID" 2>/dev/null || true
    wait "$SENDMAIL_PID" 2>/dev/null || true
    for exe in /proc/[0-9]*/exe; do
        pid=${exe#/proc/}
        pid=${pid%/exe}
        _sendmail_pid_ours "$pid" || continue
        kill -TERM "$pid" 2>/dev/null || true
        _wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null || true
    done
    SENDMAIL_PID=
}

_sendmail_exit() {
    stop_sendmail
    dump_on_failure "last SMTP transcript" "$T/swaks.last" 200
    dump_on_failure "sendmail output" "$SM/sendmail.out" 20
    dump_on_failure "sendmail traffic" "$SM/traffic.log" 60
}

# wait_arrived USER FOLDER SUBJECT: waits (up to 30 s) until the message is
# in USER's FOLDER; Sendmail delivers in the background after its 250.
wait_arrived() {
    local n=150
    while [ $n -gt 0 ]; do
        [ "$(subject_count "$1" "$2" "$3")" = 0 ] || return 0
        sleep 0.2
        n=$((n - 1))
    done
    fail "'$3' did not arrive in $1's $2 within 30 s; queue: $(ls "$SM/mqueue")"
}

# smtp_session COMMAND...: one SMTP session on $SUBMIT_PORT for what swaks
# cannot send (ESMTP parameters of MAIL FROM); each COMMAND is sent after
# the reply to the one before (a message is one COMMAND ending in CRLF ".").
# Prints the transcript, each reply line as "<- LINE", and keeps it in
# $T/swaks.last, which data_reply reads.
smtp_session() {
    local c
    exec 5<>"/dev/tcp/127.0.0.1/$SUBMIT_PORT" || fail "cannot connect to Sendmail on $SUBMIT_PORT"
    {
        _smtp_replies
        for c in "$@"; do
            printf '%s\r\n' "$c" >&5
            printf '%s\n' "$c" | tr -d '\r' | sed 's/^/ -> /'
            _smtp_replies
        done
    } | tee "$T/swaks.last"
    exec 5>&-
}

_smtp_replies() {  # one reply, possibly multi-line, from fd 5
    local line
    while IFS= read -r -t 30 line <&5; do
        printf '<-  %s\n' "${line%$'\r'}"
        [[ $line =~ ^[0-9]{3}\  ]] && return 0
    done
    printf '<-  (no reply within 30 s)\n'
}

# wait_queue_empty_sendmail: waits (up to 30 s) until Sendmail's queue
# holds no message (qf/df files): every delivery done.
wait_queue_empty_sendmail() {
    local n=300
    while [ $n -gt 0 ]; do
        [ -n "$(find "$SM/mqueue" -type f 2>/dev/null | head -n 1)" ] || return 0
        sleep 0.1
        n=$((n - 1))
    done
    fail "Sendmail's queue not empty after 30 s: $(ls "$SM/mqueue")"
}

# sendmail_qid TRANSCRIPT: Sendmail's queue id from "250 2.0.0 QID Message accepted".
sendmail_qid() {
    local reply
    reply=$(data_reply "$1")
    [[ $reply =~ ^250\ 2\.0\.0\ ([A-Za-z0-9]+)\ Message\ accepted ]] || fail "message not accepted: $reply"
    printf '%s\n' "${BASH_REMATCH[1]}"
}

fetch_sendmail
# The README names the Sendmail it was tested with: this one. Its two .mc
# lines, which sendas-milter(8) repeats, go into the .cf as they stand.
readme_section=$(sed -n '/^## Sendmail/,/^## /p' "$top_srcdir/README.md")
grep -qF "Sendmail ${SENDMAIL_VERSION%%-*} " <<<"$readme_section" ||
    fail "README.md's Sendmail section does not name the tested Sendmail ${SENDMAIL_VERSION%%-*}"
README_MC_LINES=$(grep -E '^(INPUT_MAIL_FILTER|define\(`confMILTER_MACROS_ENVFROM)' <<<"$readme_section")
[ "$(grep -c . <<<"$README_MC_LINES")" = 2 ] || die "README.md's Sendmail section lost its two .mc lines"
[ -r "$top_builddir/man/sendas-milter.8" ] || die "man/sendas-milter.8 not built"
man_text=$(LC_ALL=C.UTF-8 "$GROFF" -man -Tutf8 -P-cbou "$top_builddir/man/sendas-milter.8" 2>/dev/null |
    sed 's/^[[:space:]]*//')
while IFS= read -r line; do
    grep -qxF -- "$line" <<<"$man_text" || fail "sendas-milter(8) lacks the README's Sendmail line: $line"
done <<<"$README_MC_LINES"
sasl_users alice bob eve team+lead
start_slapd
MILTER_SOCKET=unix:$T/milter.sock
start_milter "user = $E2E_MILTER_USER" "group = $E2E_MILTER_GROUP"
start_dovecot
start_sendmail

# Send As: accepted; no Sender: at the recipient; the Sent copy recipient
# the daemon added reaches support's Sent folder.
out=$(submit alice 'Support Team <support@example.com>' --header 'Subject: sendmail as support')
qid=$(sendmail_qid "$out")
expect_audit "$qid" "user=<alice> from=<support@example.com> (.* )?right=send-as action=accept( .*)? sent_copy=<support\+Sent@example.com>"
wait_arrived friend INBOX 'sendmail as support'
wait_arrived support Sent 'sendmail as support'
msg=$(imap_message friend INBOX 'sendmail as support')
expect_eq "send as: Sender: at friend" "" "$(header_value "$msg" Sender)"
expect_eq "send as: From: at friend" 'Support Team <support@example.com>' "$(header_value "$msg" From)"
expect_no_match "send as: friend's copy gives the Sent copy away" "$msg" '\+Sent|Sent@'

# Send on Behalf: the Sender: the daemon set is what friend gets; the copy
# goes to support's Sent folder too.
out=$(submit bob 'Support Team <support@example.com>' --header 'Subject: sendmail on behalf')
qid=$(sendmail_qid "$out")
expect_audit "$qid" "user=<bob> from=<support@example.com> (.* )?right=send-on-behalf action=accept( .*)? sent_copy=<support\+Sent@example.com>"
wait_arrived friend INBOX 'sendmail on behalf'
wait_arrived support Sent 'sendmail on behalf'
msg=$(imap_message friend INBOX 'sendmail on behalf')
expect_eq "send on behalf: Sender: at friend" '"Bob Builder" <bob@example.com>' "$(header_value "$msg" Sender)"
expect_eq "send on behalf: From: at friend" 'Support Team <support@example.com>' "$(header_value "$msg" From)"

# No right: Sendmail passes the daemon's refusal on to the client.
out=$(submit eve 'Support Team <support@example.com>' --header 'Subject: sendmail eve as support')
expect_reply "$out" "550 5.7.1 <eve> is not allowed to send as <support@example.com>"
expect_eq "no right: audit lines" 1 "$(grep -c ' user=<eve> from=<support@example.com> .*action=reject' "$MILTER_LOG")"

# A login with '+': Sendmail hands the daemon {auth_authen} as xtext
# ("team+2Blead"), which is decoded once (mta = auto: Sendmail sends the
# v the daemon asks for, although the .cf's connect list lacks it): own
# address accepted, the refusal names the real login.
connect_macros=$(sed -n 's/^O Milter\.macros\.connect=//p' "$SM/sendmail.cf")
if [ -z "$connect_macros" ] || grep -qE '(^|, )v(,|$)' <<<"$connect_macros"; then
    fail "the .cf's Milter.macros.connect should be Sendmail's default, without v: '$connect_macros'"
fi
out=$(submit team+lead 'Team Lead <teamlead@example.com>' --from teamlead@example.com \
    --header 'Subject: sendmail plus login')
qid=$(sendmail_qid "$out")
expect_audit "$qid" "user=<team\+lead> from=<teamlead@example.com> (.* )?right=own action=accept.*"
wait_arrived friend INBOX 'sendmail plus login'
out=$(submit team+lead 'Support Team <support@example.com>' --from teamlead@example.com \
    --header 'Subject: sendmail plus login as support')
expect_reply "$out" "550 5.7.1 <team+lead> is not allowed to send as <support@example.com>"
# The same login as a client's AUTH= parameter, xtext on the wire too:
# the daemon still goes by the login Sendmail authenticated.
out=$(smtp_session "EHLO client.example.net" "AUTH PLAIN $(printf '\0team+lead\0%s' "$E2E_PASSWORD" | base64)" \
    "MAIL FROM:<teamlead@example.com> AUTH=team+2Blead" "RCPT TO:<friend@example.org>" DATA \
    $'From: Team Lead <teamlead@example.com>\r\nSubject: sendmail plus login, AUTH=\r\n\r\nhello\r\n.' QUIT)
qid=$(sendmail_qid "$out")
expect_audit "$qid" "user=<team\+lead> from=<teamlead@example.com> (.* )?right=own action=accept.*"
# Control: taken raw (as from Postfix), the same login is what Sendmail
# really sent, and matches nobody.
restart_milter "mta = postfix"
out=$(submit team+lead 'Team Lead <teamlead@example.com>' --from teamlead@example.com \
    --header 'Subject: sendmail plus login, raw')
expect_reply "$out" "550 5.7.1 <team+2Blead> is not allowed to send as <teamlead@example.com>"
restart_milter

# The daemon down: F=T tempfails, nothing passes unchecked. Control: the
# same message once it is back.
stop_milter || fail "the daemon did not stop cleanly"
out=$(submit alice 'Support Team <support@example.com>' --header 'Subject: sendmail milter down')
reply=$(data_reply "$out")
[[ $reply =~ ^4[0-9][0-9]\ 4\. ]] || fail "milter down: expected a 4xx reply, got '$reply'"
say "milter down: $reply"
# Control: without F=T, Sendmail lets the same message through unchecked.
stop_sendmail
start_sendmail no-F=T
out=$(submit alice 'Support Team <support@example.com>' --header 'Subject: sendmail milter down, no F=T')
sendmail_qid "$out" >/dev/null
wait_arrived friend INBOX 'sendmail milter down, no F=T'
stop_sendmail
start_sendmail
start_milter "user = $E2E_MILTER_USER" "group = $E2E_MILTER_GROUP"
out=$(submit alice 'Support Team <support@example.com>' --header 'Subject: sendmail milter back')
qid=$(sendmail_qid "$out")
wait_arrived support Sent 'sendmail milter back'

# What arrived, once Sendmail's queue is empty: the accepted messages, and
# copies only of the shared mailbox's.
wait_queue_empty_sendmail
expect_eq "friend's INBOX" "Subject: sendmail as support
Subject: sendmail milter back
Subject: sendmail milter down, no F=T
Subject: sendmail on behalf
Subject: sendmail plus login
Subject: sendmail plus login, AUTH=" "$(imap_headers friend INBOX | grep '^Subject:' | sort)"
expect_eq "support's Sent" "Subject: sendmail as support
Subject: sendmail milter back
Subject: sendmail on behalf" "$(imap_headers support Sent | grep '^Subject:' | sort)"
expect_eq "support's INBOX" 0 "$(imap_count support INBOX)"
echo PASS
