#!/usr/bin/env bash
# The demo: sudo bash tests/demo.sh
#
# On a Debian 12 machine it installs what is missing (tests/install-deps.sh),
# builds the daemon from this checkout, and starts, in one temporary
# directory on free 127.0.0.1 ports, the whole mail path of the e2e tests
# (tests/e2e/lib.sh): slapd with the sample directory
# tests/integration/fixture.ldif, sendas-milter, Dovecot and a separate
# Postfix instance (the system's Postfix and Dovecot are not touched). It
# submits one message over SMTP AUTH for each case, reads what arrived over
# IMAP, prints a table and the daemon's audit lines, then stops everything it
# started. Run it again as often as you like. KEEP_TMP=1 keeps the directory
# (configs, logs, maildirs).
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: run as root (it installs packages and starts mail servers): sudo bash tests/demo.sh" >&2
    exit 1
fi

step() { printf '\n== %s\n' "$*"; }

step "installing what is missing (tests/install-deps.sh)"
bash tests/install-deps.sh

step "building"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi
fi
if [ ! -f config.status ] || [ configure -nt config.status ]; then
    ./configure -q
fi
make -j2 -s

step "starting slapd, sendas-milter, Dovecot and Postfix"
# shellcheck source-path=SCRIPTDIR source=e2e/lib.sh
. tests/e2e/lib.sh
(require_stack e2e) || {
    echo "demo: the stack cannot run here (see above)" >&2
    exit 1
}
require_stack e2e
start_stack
say "submission on 127.0.0.1:$SUBMIT_PORT, IMAP on 127.0.0.1:$IMAP_PORT, everything in $T"

# One case per line: label|login|From: header|mailbox whose Sent folder gets the copy
cases=(
    "Send As|alice|Support <support@example.com>|support"
    "Send on Behalf|bob|Support <support@example.com>|support"
    "delegate|dave|The Boss <boss@example.com>|boss"
    "Full Access only|carol|Support <support@example.com>|support"
    "no right|eve|Support <support@example.com>|support"
    "directory down|alice|Support <support@example.com>|support"
)

step "sending one message per case to friend@example.org"
rows=()
n=0
for c in "${cases[@]}"; do
    IFS='|' read -r label login from mailbox <<<"$c"
    n=$((n + 1))
    subject="demo $n: $label"
    if [ "$label" = "directory down" ]; then
        # A fresh daemon, so that nothing is cached, and no directory.
        restart_milter
        stop_slapd
    fi
    out=$(submit "$login" "$from" --header "Subject: $subject")
    reply=$(data_reply "$out")
    qid=$(queue_id "$out")
    sender="(not delivered)"
    if [ -n "$qid" ]; then
        wait_delivered "$qid"
        msg=$(imap_message friend INBOX "$subject")
        sender=$(header_value "$msg" Sender)
        [ -n "$sender" ] || sender=-
    else
        delivered=$(subject_count friend INBOX "$subject")
        [ "$delivered" -eq 0 ] || sender="(refused, yet delivered!)"
    fi
    copy=no
    in_sent=$(subject_count "$mailbox" Sent "$subject")
    in_inbox=$(subject_count "$mailbox" INBOX "$subject")
    [ "$in_sent" -eq 0 ] || copy="yes ($mailbox)"
    [ "$in_inbox" -eq 0 ] || copy="$copy; in INBOX!"
    printf '  %-16s %-6s %s\n' "$label" "$login" "$reply"
    rows+=("$label|$login|$from|$reply|$sender|$copy")
done

step "what the sender was told and what the recipient and the team see"
# Columns wrap at their width; the SMTP reply is what the client got.
printf '%s\n' "${rows[@]}" | awk -F'|' '
    function cell(s, w, n,    i, cut, out) {  # piece n (from 0) of s wrapped at width w
        for (i = 0; i <= n; i++) {
            if (length(s) <= w) { out = s; s = ""; continue }
            for (cut = w; cut > 0 && substr(s, cut + 1, 1) != " "; cut--) { }
            if (cut == 0) { out = substr(s, 1, w); s = substr(s, w + 1) }
            else { out = substr(s, 1, cut); s = substr(s, cut + 2) }
        }
        return out
    }
    BEGIN {
        split("case|who|From:|SMTP reply|Sender: at the recipient|copy in Sent", head, "|")
        split("16|5|29|38|34|13", width, "|")
    }
    { nrow++; for (i = 1; i <= 6; i++) row[nrow, i] = $i }
    END {
        for (i = 1; i <= 6; i++) {
            line = line sprintf("%-" width[i] "s  ", head[i])
            dashes = sprintf("%" width[i] "s", ""); gsub(/ /, "-", dashes)
            rule = rule (i > 1 ? "  " : "") dashes
        }
        sub(/ +$/, "", line)
        print line; print rule
        for (r = 1; r <= nrow; r++) {
            for (l = 0; l < 4; l++) {
                line = ""; any = 0
                for (i = 1; i <= 6; i++) {
                    p = cell(row[r, i], width[i], l)
                    if (p != "") any = 1
                    line = line sprintf("%-" width[i] "s  ", p)
                }
                if (any) { sub(/ +$/, "", line); print line }
            }
        }
    }'

step "the daemon's audit lines (syslog facility mail; here its -f copy on stderr)"
grep -E '^[0-9A-Za-z]+: user=' "$MILTER_LOG" | sed 's/^/  /'

step "stopping everything the demo started"
stop_postfix
stop_dovecot
stop_milter || fail "sendas-milter did not stop cleanly"
stop_slapd || true
say "done"
