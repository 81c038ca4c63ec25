#!/usr/bin/env bash
# The test command: installs what is missing, builds from this checkout,
# runs every test layer (`make check`: unit, milter protocol against real
# slapd, end to end), `make distcheck`, the Debian package test, the unit
# and milter protocol tests again under ASan+UBSan (build-asan) and the
# libFuzzer targets (build-fuzz), then prints one summary line,
# "N passed, N failed", counting each CppUnit case, each test script and
# each fuzz target. SKIP_DISTCHECK, SKIP_PACKAGE, SKIP_SANITIZERS and
# SKIP_FUZZ=yes (and SKIP_TIDY=yes) leave a step out.
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

# Static checks: clang-tidy over src/ (tests/tidy.sh, .clang-tidy) and
# the formatting of every C++ file (tests/format.sh, .clang-format).
tidy_status=skip
if [ "${SKIP_TIDY:-no}" != yes ]; then
    step_start=$SECONDS
    bash tests/tidy.sh > tidy.out 2>&1
    case $? in 0) tidy_status=pass ;; 77) tidy_status=skip ;; *) tidy_status=fail; tail -n 60 tidy.out ;; esac
    echo "clang-tidy: $((SECONDS - step_start)) s"
fi
format_status=fail
bash tests/format.sh > format.out 2>&1
case $? in 0) format_status=pass ;; 77) format_status=skip ;; *) cat format.out ;; esac

distcheck_status=0
if [ "${SKIP_DISTCHECK:-no}" != yes ]; then
    # The dist tree is checked with the unit tests: the server tests ran above.
    make -j2 distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror TESTS=tests/unit/unit-tests > distcheck.out 2>&1
    distcheck_status=$?
    [ $distcheck_status -eq 0 ] || tail -n 40 distcheck.out
fi

# The Debian package, built, installed, driven and purged (root only).
package_status=skip
if [ "${SKIP_PACKAGE:-no}" != yes ] && [ "$(id -u)" -eq 0 ]; then
    bash tests/package.sh > package.out 2>&1
    case $? in 0) package_status=pass ;; 77) package_status=skip ;; *) package_status=fail; tail -n 40 package.out ;; esac
fi

# The sanitizer and fuzzing builds are out of tree, in build-asan and
# build-fuzz, from a copy of the distributed sources in build-src: automake
# refuses a VPATH build of a source tree that is configured itself.
# oot_configure DIR CONFIGURE-ARGS...: a fresh DIR, configured (DIR/build.log).
oot_configure() {
    local dir=$1
    shift
    rm -rf "$dir" && mkdir "$dir" && (cd "$dir" && ../build-src/configure -q "$@") > "$dir/build.log" 2>&1
}
if [ "${SKIP_SANITIZERS:-no}" != yes ] || [ "${SKIP_FUZZ:-no}" != yes ]; then
    rm -rf build-src
    make distdir distdir=build-src > /dev/null || echo "make distdir failed: no sanitizer or fuzz build"
fi

# The unit and milter protocol tests under ASan+UBSan (aborting on the
# first finding, leaks included: tests/local.mk).
sanitizer_status=skip
if [ "${SKIP_SANITIZERS:-no}" != yes ]; then
    step_start=$SECONDS
    sanitizer_status=fail
    if oot_configure build-asan --enable-sanitizers --enable-werror &&
        make -C build-asan -j2 >> build-asan/build.log 2>&1; then
        sanitizer_status=built
        if ! make -C build-asan -j2 check TESTS='tests/unit/unit-tests $(MILTER_LUA_TESTS)' > build-asan/check.log 2>&1; then
            sanitizer_status=check-failed
            tail -n 80 build-asan/test-suite.log
        fi
    else
        tail -n 40 build-asan/build.log
    fi
    echo "sanitizers: $((SECONDS - step_start)) s"
fi

# Each fuzz target replays its seed corpus, then fuzzes for FUZZ_SECONDS.
fuzz_status=skip
if [ "${SKIP_FUZZ:-no}" != yes ]; then
    step_start=$SECONDS
    fuzz_status=fail
    if oot_configure build-fuzz --enable-fuzzing --enable-werror CXX=clang++-14; then
        make -C build-fuzz -j2 fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" > build-fuzz/fuzz.log 2>&1
        # From the first result on: each target's line, and the log tail of a failure.
        sed -n '/^\(PASS\|FAIL\): /,$p' build-fuzz/fuzz.log
        grep -qE '^(PASS|FAIL): ' build-fuzz/fuzz.log && fuzz_status=ran
    fi
    [ $fuzz_status = ran ] || tail -n 40 build-fuzz/build.log build-fuzz/fuzz.log
    echo "fuzzing: $((SECONDS - step_start)) s"
fi

passed=0
failed=0
# count_trs DIR: each automake result under DIR, each CppUnit case apart.
count_trs() {
    local trs log result ok run bad
    for trs in $(find "$1" -name '*.trs'); do
        log=${trs%.trs}.log
        result=$(sed -n 's/^:test-result: //p' "$trs")
        if [ "${trs%tests/unit/unit-tests.trs}" != "$trs" ] && [ -f "$log" ]; then
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
}
count_trs tests
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
case $tidy_status in
    pass) passed=$((passed + 1)) ;;
    fail) failed=$((failed + 1)); echo "failed: clang-tidy (tidy.out)" ;;
esac
case $format_status in
    pass) passed=$((passed + 1)) ;;
    fail) failed=$((failed + 1)); echo "failed: clang-format (format.out)" ;;
esac
[ $check_status -eq 0 ] || [ $failed -gt 0 ] || failed=1
failed_before=$failed
case $sanitizer_status in
    fail) failed=$((failed + 1)); echo "failed: sanitizer build (build-asan/build.log)" ;;
    built|check-failed)
        count_trs build-asan/tests
        if [ $sanitizer_status = check-failed ] && [ $failed -eq $failed_before ]; then
            failed=$((failed + 1)); echo "failed: sanitizer make check (build-asan/check.log)"
        fi ;;
esac
case $fuzz_status in
    fail) failed=$((failed + 1)); echo "failed: fuzz build (build-fuzz/build.log, build-fuzz/fuzz.log)" ;;
    ran)
        passed=$((passed + $(grep -c '^PASS: ' build-fuzz/fuzz.log)))
        failed=$((failed + $(grep -c '^FAIL: ' build-fuzz/fuzz.log)))
        grep '^FAIL: ' build-fuzz/fuzz.log | sed 's/^FAIL: \([^:]*\).*/failed: fuzz target \1/' ;;
esac
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
