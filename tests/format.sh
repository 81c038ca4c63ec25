#!/usr/bin/env bash
# Every C++ file is formatted as .clang-format says. Exit 0 when it is,
# 1 with the files that are not, 77 without clang-format.
set -u
cd "$(dirname "$0")/.."
format=$(command -v clang-format-14 || command -v clang-format) || { echo "SKIP: clang-format not found" >&2; exit 77; }
bad=0
for file in $(find src tests bench -name '*.cpp' -o -name '*.h' | sort); do
    if ! "$format" "$file" | cmp -s - "$file"; then
        echo "not formatted: $file (clang-format -i $file)"
        bad=1
    fi
done
[ $bad -eq 0 ] && echo "clang-format: every C++ file formatted"
exit $bad
