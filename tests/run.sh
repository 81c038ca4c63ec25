#!/usr/bin/env bash
# The test command: installs what is missing, builds from this checkout,
# runs every test layer (`make check`: unit, milter protocol against real
# slapd, end to end), `make distcheck` and the Debian package test, then
# prints one summary line,
# "N passed, N failed", counting each CppUnit case and each test script.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tests/install-deps.sh || exit 1
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi || exit 1
fi
./configure -q --enable-werror || exit 1
make -j2 || exit 1

make -j2 check
check_status=$?

distcheck_status=0
if [ "${SKIP_DISTCHECK:-no}" != yes ]; then
    # The dist tree is checked with the unit tests: the server tests ran above.
    make -j2 distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror TESTS=tests/unit/unit-tests > distcheck.out 2>&1
    distcheck_status=$?
    [ $distcheck_status -eq 0 ] || tail -40 distcheck.out
fi

# The Debian package, built, installed, driven and purged (root only).
package_status=skip
if [ "${SKIP_PACKAGE:-no}" != yes ] && [ "$(id -u)" -eq 0 ]; then
    bash tests/package.sh > package.out 2>&1
    case $? in 0) package_status=pass ;; 77) package_status=skip ;; *) package_status=fail; tail -40 package.out ;; esac
fi

passed=0
failed=0
for trs in $(find tests -name '*.trs'); do
    log=${trs%.trs}.log
    result=$(sed -n 's/^:test-result: //p' "$trs")
    if [ "$trs" = tests/unit/unit-tests.trs ] && [ -f "$log" ]; then
        # One automake test, many CppUnit cases: count the cases.
        ok=$(sed -n 's/^OK (\([0-9]*\))$/\1/p' "$log")
        run=$(sed -n 's/^Run: *\([0-9]*\).*/\1/p' "$log")
        bad=$(sed -n 's/.*Failure total: *\([0-9]*\).*/\1/p' "$log")
        if [ -n "$ok" ]; then passed=$((passed + ok)); continue; fi
        if [ -n "$run" ]; then passed=$((passed + run - bad)); failed=$((failed + bad)); continue; fi
    fi
    case "$result" in
        PASS|XFAIL) passed=$((passed + 1)) ;;
        SKIP) ;;
        *) failed=$((failed + 1)); echo "failed: ${trs%.trs}" ;;
    esac
done
if [ $distcheck_status -ne 0 ]; then
    echo "failed: make distcheck"
    failed=$((failed + 1))
elif [ "${SKIP_DISTCHECK:-no}" != yes ]; then
    passed=$((passed + 1))
fi
case $package_status in
    pass) passed=$((passed + 1)) ;;
    fail) failed=$((failed + 1)); echo "failed: tests/package.sh" ;;
esac
[ $check_status -eq 0 ] || [ $failed -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
