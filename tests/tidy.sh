#!/usr/bin/env bash
# clang-tidy over src/ with the checked-in .clang-tidy: any finding fails.
# Exit 0 clean, 1 findings, 77 without clang-tidy.
set -u
cd "$(dirname "$0")/.."
tidy=$(command -v clang-tidy-14 || command -v clang-tidy) || { echo "SKIP: clang-tidy not found" >&2; exit 77; }
# shellcheck disable=SC2207 # pkg-config prints flags without spaces in them
flags=(-std=c++17 -Isrc '-DSYSCONFDIR="/etc"' '-DPACKAGE_VERSION="tidy"'
    $(pkg-config --cflags ldap hiredis milter libcrypto prometheus-cpp-pull))
# The sd_notify calls too, where libsystemd-dev is installed.
pkg-config --exists libsystemd && flags+=(-DHAVE_SYSTEMD=1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for file in $(find src -name '*.cpp' | sort); do
    log=${file#src/}
    "$tidy" --quiet "$file" -- "${flags[@]}" >"$out/${log//\//_}.log" 2>/dev/null &
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
done
wait
if grep -qE '(warning|error):' "$out"/*.log; then
    cat "$out"/*.log
    echo "clang-tidy: $(cat "$out"/*.log | grep -cE '(warning|error):') finding(s) in src/" >&2
    exit 1
fi
echo "clang-tidy: src/ clean ($(find src -name '*.cpp' | wc -l) files)"
