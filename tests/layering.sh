#!/usr/bin/env bash
# Checks every #include "..." in src/ against src/LAYERS: a file may
# include files of its own layer and of the layers (or single files) its
# row allows. Exit 0 when all edges are allowed, 1 otherwise.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/src
table=$srcdir/LAYERS
[ -r "$table" ] || { echo "ERROR: $table missing" >&2; exit 99; }
declare -A allowed
while IFS= read -r line; do
    line=${line%%#*}
    case $line in *:*) ;; *) continue ;; esac
    layer=${line%%:*}
    layer=${layer// /}
    allowed[$layer]=" $layer ${line#*:} "
done <"$table"
bad=0 edges=0
while IFS= read -r file; do
    rel=${file#"$srcdir"/}
    layer=${rel%%/*}
    if [ -z "${allowed[$layer]+x}" ]; then
        echo "src/$rel: folder $layer is not a layer in src/LAYERS"
        bad=1
        continue
    fi
    while IFS= read -r target; do
        edges=$((edges + 1))
        [ -e "$srcdir/$target" ] || { echo "src/$rel: includes \"$target\", which is not src/$target"; bad=1; continue; }
        to=${target%%/*}
        case ${allowed[$layer]} in *" $to "* | *" $target "*) ;; *)
            echo "src/$rel: $layer may not include $target (src/LAYERS)"
            bad=1
            ;;
        esac
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find "$srcdir" -name '*.h' -o -name '*.cpp' | sort)
[ $bad -eq 0 ] && echo "layering: $edges includes, all allowed by src/LAYERS"
exit $bad
