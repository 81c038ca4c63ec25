#!/usr/bin/env bash
# etc/sendas-milter.conf and the option table agree both ways: every key
# that `sendas-milter --help` lists is described in the sample, opendkim.conf
# style ("##  KEY  VALUES", "##      default "VALUE"" or "(empty)"), with
# the default --help shows, and set once, commented out ("# KEY = DEFAULT")
# or, for the few keys a site sets, active; the sample names no other key
# and loads (sendas-milter -n).
# Exit 0 pass, 1 fail, 99 hard error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SENDAS_MILTER=${SENDAS_MILTER:-$top_builddir/src/sendas-milter}
[ -x "$SENDAS_MILTER" ] || { echo "ERROR: $SENDAS_MILTER not built" >&2; exit 99; }
sample=$top_srcdir/etc/sendas-milter.conf
[ -r "$sample" ] || { echo "ERROR: $sample not readable" >&2; exit 99; }

# Keys whose active value in the sample is a site's, not the default.
site_values=" pidfile local_domains "

# KEY<TAB>DEFAULT from --help: "  --KEY arg (=DEFAULT)", "arg" alone for empty.
table=$("$SENDAS_MILTER" --help | perl -ne 'print "$1\t" . ($2 // "") . "\n" if /^  --([a-z_.]+) arg(?: \(=(.*?)\))?(?:\s|$)/')

# What the sample says, one line per fact, dotted keys:
#   header KEY / default KEY VALUE / commented KEY VALUE / active KEY VALUE
facts=$(perl -ne '
    chomp;
    if (/^\[([a-z_]+)\]$/) { $s = "$1."; next }
    if (/^##  ([a-z_]+)  /) { $h = "$s$1"; print "header\t$h\n"; next }
    if (/^##      default (?:"(.*)"|\(empty\))$/) { print "default\t$h\t" . ($1 // "") . "\n"; next }
    next if /^##/ || /^#?$/;
    if (/^# ([a-z_]+) =(?: (.*))?$/) { print "commented\t$s$1\t" . ($2 // "") . "\n"; next }
    if (/^([a-z_]+) =(?: (.*))?$/) { print "active\t$s$1\t" . ($2 // "") . "\n"; next }
    print "stray\t$.\t$_\n";
' "$sample")

status=0
problem() { echo "FAIL: $*"; status=1; }
fact() {  # KIND KEY: the values of that kind for KEY, one a line
    awk -F'\t' -v kind="$1" -v key="$2" '$1 == kind && $2 == key { print (kind == "header" ? "" : $3) }' <<<"$facts"
}

count=0
while IFS=$'\t' read -r key default; do
    count=$((count + 1))
    [ "$(fact header "$key" | wc -l)" -eq 1 ] || problem "$key: not described once (##  ${key#*.}  ...)"
    defaults=$(fact default "$key")
    [ "$(grep -c '' <<<"$defaults")" -eq 1 ] && [ "$defaults" = "$default" ] ||
        problem "$key: the sample says default '$defaults', the program's is '$default'"
    commented=$(fact commented "$key")
    active=$(fact active "$key")
    settings=$( (fact commented "$key"; fact active "$key") | wc -l)
    if [ "$settings" -ne 1 ]; then
        problem "$key: set $settings times in the sample, expected once (commented or active)"
    elif [ -n "$(awk -F'\t' -v k="$key" '$1 == "commented" && $2 == k' <<<"$facts")" ]; then
        [ "$commented" = "$default" ] || problem "$key: commented out as '$commented', the default is '$default'"
    elif [ "$active" != "$default" ] && [[ $site_values != *" $key "* ]]; then
        problem "$key = $active is active in the sample, but differs from the default '$default'"
    fi
done <<<"$table"
[ $count -gt 60 ] || problem "read only $count keys from --help"

# The other way: nothing in the sample that the program does not know.
known=$(cut -f1 <<<"$table")
while IFS=$'\t' read -r kind key _; do
    [ -n "$kind" ] || continue
    if [ "$kind" = stray ]; then
        problem "$sample:$key: neither a comment, a section nor a key line"
    elif ! grep -qxF -- "$key" <<<"$known"; then
        problem "$sample: '$key' ($kind) is no key of $SENDAS_MILTER"
    fi
done <<<"$facts"

out=$("$SENDAS_MILTER" -n -c "$sample" --user '' --group '' 2>&1) || problem "the sample does not load: $out"
[ $status -eq 0 ] && echo "PASS: the sample config describes all $count keys with their defaults, and no other"
exit $status
