#!/usr/bin/env bash
# etc/sendas-milter.conf is complete: every key that `sendas-milter --help`
# lists stands in it with the default --help shows, and it names no other.
# Exit 0 pass, 1 fail, 99 hard error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SENDAS_MILTER=${SENDAS_MILTER:-$top_builddir/src/sendas-milter}
[ -x "$SENDAS_MILTER" ] || { echo "ERROR: $SENDAS_MILTER not built" >&2; exit 99; }
sample=$top_srcdir/etc/sendas-milter.conf

# KEY=VALUE for each key of the sample, dotted as the program names it.
declare -A in_sample
section=
while IFS= read -r line; do
    case $line in
    \[*\]) section=${line#[}; section=${section%]}. ;;
    [a-z]*=*)
        key=${line%%=*}; key=${key% }
        value=${line#*=}; value=${value# }
        in_sample[$section$key]=$value ;;
    esac
done <"$sample"

status=0
count=0
# "  --KEY arg (=DEFAULT)" lines of the configuration keys ("arg" alone
# for an empty default); the description follows after white space.
while IFS=$'\t' read -r key default; do
    count=$((count + 1))
    if [ -z "${in_sample[$key]+x}" ]; then
        echo "FAIL: $key is not in $sample"; status=1
    elif [ "${in_sample[$key]}" != "$default" ] && [ "$key" != socket ] && [ "$key" != pidfile ] &&
        [ "$key" != local_domains ]; then
        echo "FAIL: $key = ${in_sample[$key]} in the sample, default $default"; status=1
    fi
    unset "in_sample[$key]"
done < <("$SENDAS_MILTER" --help | perl -ne 'print "$1\t" . ($2 // "") . "\n" if /^  --([a-z_.]+) arg(?: \(=(.*?)\))?(?:\s|$)/')
for key in "${!in_sample[@]}"; do echo "FAIL: $key in the sample is no key"; status=1; done
[ $count -gt 40 ] || { echo "FAIL: read only $count keys from --help"; status=1; }
[ $status -eq 0 ] && echo "PASS: the sample config has all $count keys with their defaults"
exit $status
