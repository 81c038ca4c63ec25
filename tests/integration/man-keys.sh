#!/usr/bin/env bash
# The man pages and the program agree: every config key that
# `sendas-milter --help` lists is documented in sendas-milter.conf(5) with
# the same default, the page documents no key the program does not know,
# and all three pages render without a groff warning.
#
# Environment (set by automake's AM_TESTS_ENVIRONMENT):
#   SENDAS_MILTER  the daemon (default $top_builddir/src/sendas-milter)
#   top_srcdir     source tree (the .in templates)
#   top_builddir   build tree (the pages filled by make)
# Exit: 0 pass, 1 fail, 77 skip (no groff), 99 hard error.
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SENDAS_MILTER=${SENDAS_MILTER:-$top_builddir/src/sendas-milter}

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

command -v groff >/dev/null 2>&1 || { echo "SKIP: groff not found (install groff-base)" >&2; exit 77; }
[ -x "$SENDAS_MILTER" ] || { echo "ERROR: $SENDAS_MILTER not built" >&2; exit 99; }

# The page as installed: filled by make in the build tree; the template
# only when the build tree has none (running this script by hand).
page() {
    if [ -f "$top_builddir/man/$1" ]; then
        printf '%s\n' "$top_builddir/man/$1"
    elif [ -f "$top_srcdir/man/$1.in" ]; then
        echo "note: $top_builddir/man/$1 not built, checking $top_srcdir/man/$1.in" >&2
        printf '%s\n' "$top_srcdir/man/$1.in"
    else
        fail "man page $1 missing"
    fi
}

status=0
problem() { printf 'FAIL: %s\n' "$*" >&2; status=1; }

# 1. Every page renders without warnings, and make filled every @VAR@.
for name in sendas-milter.8 sendas-milter.conf.5 sendasctl.8; do
    file=$(page "$name") || exit 1
    warnings=$(groff -man -ww -z "$file" 2>&1)
    [ -z "$warnings" ] || problem "groff warnings in $file:
$warnings"
    case $file in
    *.in) ;;
    *) if grep -n '@[A-Za-z_]*@' "$file" >&2; then problem "$file has unfilled @VARIABLES@"; fi ;;
    esac
done

# 2. Keys and defaults as the program states them: "  --KEY arg (=DEFAULT)",
# the description either on the next line or from the column where the
# wrapped description lines start (Boost pads the option text up to it).
help=$("$SENDAS_MILTER" --help) || fail "$SENDAS_MILTER --help failed"
program=$(printf '%s\n' "$help" | awk '
    function rtrim(s) { sub(/ +$/, "", s); return s }
    /^[^ ]/ { group++ }  # each caption starts a group with its own column
    { line[NR] = $0; in_group[NR] = group }
    match($0, /^ +/) && RLENGTH >= 20 && length($0) > RLENGTH && (!(group in w) || RLENGTH < w[group]) {
        w[group] = RLENGTH
    }
    END {
        for (i = 1; i <= NR; i++) {
            l = line[i]
            if (l !~ /^  --[a-z_][a-z0-9_.]* arg/) continue
            c = (in_group[i] in w) ? w[in_group[i]] : 0
            if (c && length(l) > c && substr(l, c, 1) == " " && substr(l, c + 1, 1) != " ")
                opt = rtrim(substr(l, 1, c))
            else
                opt = rtrim(l)
            match(opt, /^  --[a-z_][a-z0-9_.]* arg/)
            key = substr(opt, 5, RLENGTH - 8)
            rest = substr(opt, RLENGTH + 1)
            if (rest == "") def = ""
            else if (rest ~ /^ \(=.*\)$/) def = substr(rest, 4, length(rest) - 4)
            else { print "cannot read the default of " key ": " l > "/dev/stderr"; def = rest }
            printf "%s\t%s\n", key, def
        }
    }')
[ "$(printf '%s\n' "$program" | grep -c .)" -ge 20 ] ||
    fail "--help listed too few keys; its format changed? Output was:
$help"

# 3. Keys and defaults as the page states them: an entry is ".TP" then
# ".B KEY"; its default follows "Default:" (".B X", ".BR X ." or "empty").
conf=$(page sendas-milter.conf.5) || exit 1
documented=$(awk '
    function flush() { if (key != "") printf "%s\t%s\t%s\n", key, (have ? "y" : "n"), def; key = ""; have = 0; def = "" }
    /^\.(TP|SH|SS|PP)/ { flush() }
    prev == ".TP" && /^\.B [a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/ { key = $2; prev = $0; next }
    key != "" && want { want = 0; have = 1; v = $0
        sub(/^\.BR? /, "", v); sub(/ [.,;]$/, "", v); gsub(/"/, "", v); gsub(/\\-/, "-", v); def = v }
    key != "" && /^Default: empty/ { have = 1; def = "" }
    key != "" && /^Default:$/ { want = 1 }
    { prev = $0 }
    END { flush() }' "$conf")

while IFS=$'\t' read -r key default; do
    [ -n "$key" ] || continue
    line=$(printf '%s\n' "$documented" | awk -F'\t' -v k="$key" '$1 == k' | head -n 1)
    if [ -z "$line" ]; then
        problem "key $key (from --help) is not documented in $conf"
        continue
    fi
    IFS=$'\t' read -r _ has doc_default <<<"$line"
    if [ "$has" != y ]; then
        problem "$conf: key $key gives no 'Default:'"
    elif [ "$doc_default" != "$default" ]; then
        problem "$conf: key $key: documented default '$doc_default', program's '$default'"
    fi
done <<<"$program"

while IFS=$'\t' read -r key _; do
    [ -n "$key" ] || continue
    printf '%s\n' "$program" | cut -f1 | grep -qxF -- "$key" ||
        problem "$conf documents key $key, which $SENDAS_MILTER does not know"
done <<<"$documented"

[ $status -eq 0 ] && echo "PASS: $(printf '%s\n' "$program" | grep -c .) keys documented with their defaults; 3 pages render cleanly"
exit $status
