#!/usr/bin/env bash
# run-tests.sh - runs the unit suites, then the integration tests, and prints a summary.
#
# usage: tests/run-tests.sh [--integ-only|--unit-only]
# env:   BUILD=build            build directory holding sismo, sismo-unit, tools/
#        TESTS="0501 0502"      run only integration tests whose name starts with these
#        SISMO_TEST_BROKERS     broker kinds to run the integration suite against, space
#                               separated: "mock" (librdkafka's mock cluster) and/or "sismo"
#                               (our embedded broker). Default: every kind that is built.
#        SISMO_TEST_BOOTSTRAP   host:port of an external Kafka: runs the suite against it only
#        TEST_TIMEOUT=300       seconds before an integration test is killed and failed
#        SISMO_TEST_PARALLEL=0  run the broker lanes one after the other (default: in parallel)
#        ASAN_OPTIONS, UBSAN_OPTIONS  kept; log_path is appended (see below)
#
# Integration tests are tests/integ/NNNN-*.sh; 1xxx ones (network or long runs) are not
# run here. A test exits 0 (pass), 77 (skip, with a reason on stderr) or anything else (fail).
# Logs go to test-output/<broker>/<test>.log. The last line is "N passed, N failed".
#
# Sanitizer builds (make SANITIZE=...): a sanitizer report fails the test even when the test
# itself passed, because the process that found it may be a background child whose stderr
# the test never reads. Every process writes its ASan/LSan reports to
# test-output/<broker>/<test>.san.<pid> (the runtimes' log_path option); UBSan's go there
# too in a clang or UBSan-only build, but stay on stderr in a gcc ASan+UBSan one, so lib.sh
# also copies any file of the test's temp dir holding a report to <test>.san.tmp-<file>,
# and the test's own log is searched. The reports are appended to the test's log. Only the
# sanitizers print these report lines (SAN_REPORT_RE); binaries built without them ignore
# the variables.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
export BUILD ROOT
mode=${1:-all}
passed=0 failed=0 skipped=0
failures=()

out_dir=$ROOT/test-output
mkdir -p "$out_dir"

# san_env PREFIX: sets SAN_ENV to the environment assignments that send sanitizer reports
# to PREFIX.<pid>. A path with a space or colon cannot be given in these options: reports
# then stay on stderr.
san_env() {
    SAN_ENV=()
    case $1 in *[\ :]*) return ;; esac
    SAN_ENV=("ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$1"
             "UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$1:print_stacktrace=1")
}
# san_check PREFIX LOG: 0 if neither LOG nor a file PREFIX.* holds a sanitizer report; else
# appends the PREFIX.* reports to LOG and returns 1.
SAN_REPORT_RE='==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|:[0-9]+:[0-9]+: runtime error: '
san_check() {
    local f found=0
    grep -qE "$SAN_REPORT_RE" "$2" && found=1
    for f in "$1".*; do
        [ -f "$f" ] || continue
        grep -qE "$SAN_REPORT_RE" "$f" || continue
        { echo "---- sanitizer report $(basename "$f")"; cat "$f"; } >> "$2"
        found=1
    done
    [ $found = 0 ]
}

if [ "$mode" != --integ-only ]; then
    echo "== unit tests"
    rm -f "$out_dir"/unit.san.*
    san_env "$out_dir/unit.san"
    if env "${SAN_ENV[@]}" "$BUILD/sismo-unit" > "$out_dir/unit.log" 2>&1; then :; fi
    cat "$out_dir/unit.log"
    p=$(grep -c '^ok ' "$out_dir/unit.log")
    f=$(grep -c '^not ok ' "$out_dir/unit.log")
    if ! grep -q '^1\.\.' "$out_dir/unit.log"; then f=$((f + 1)); failures+=("unit runner crashed"); fi
    if ! san_check "$out_dir/unit.san" "$out_dir/unit.log"; then
        echo "FAIL    a unit test process wrote a sanitizer report (in $out_dir/unit.log):"
        grep -E "$SAN_REPORT_RE|SUMMARY:" "$out_dir/unit.log" | head -n 20 | sed 's/^/    | /'
        f=$((f + 1)); failures+=("unit:sanitizer-report")
    fi
    passed=$((passed + p)); failed=$((failed + f))
    for s in $(grep '^not ok ' "$out_dir/unit.log" | awk '{print $4}'); do failures+=("unit:$s"); done
fi

if [ "$mode" != --unit-only ]; then
    if [ -n "${SISMO_TEST_BOOTSTRAP:-}" ]; then
        kinds=external
    elif [ -n "${SISMO_TEST_BROKERS:-}" ]; then
        kinds=$SISMO_TEST_BROKERS
    else
        kinds=mock
        if "$BUILD/sismo" broker --help 2>/dev/null | grep -q -- '--data-dir'; then kinds="mock sismo"; fi
    fi
    tests=()
    for t in tests/integ/[0-9][0-9][0-9][0-9]-*.sh; do
        name=$(basename "$t" .sh)
        case $name in 1*) continue ;; esac
        if [ -n "${TESTS:-}" ]; then
            sel=0
            for p in $TESTS; do case $name in "$p"*) sel=1 ;; esac; done
            [ $sel = 1 ] || continue
        fi
        tests+=("$t")
    done
    # One lane per broker kind. Lanes run in parallel (SISMO_TEST_PARALLEL=0 for one after
    # the other): the tests mostly wait on processes and timers, so two lanes nearly halve
    # the wall time on two cores. Each lane writes its console lines to console.txt and one
    # "STATUS NAME" line per test to results.txt; they are printed lane by lane at the end.
    run_lane() {
        local kind=$1 dir=$out_dir/$1 t name only limit log start rc secs
        rm -rf "$dir"; mkdir -p "$dir"
        : > "$dir/results.txt"
        echo "== integration tests against broker: $kind"
        for t in "${tests[@]}"; do
            name=$(basename "$t" .sh)
            # A test may declare "# brokers: mock" (or sismo) when it needs one kind only.
            only=$(sed -n 's/^# brokers: *//p' "$t" | head -1)
            if [ -n "$only" ] && [[ " $only " != *" $kind "* ]]; then continue; fi
            limit=$(sed -n 's/^# timeout: *//p' "$t" | head -1)
            log=$dir/$name.log
            start=$(date +%s.%N)
            san_env "$dir/$name.san"
            env "${SAN_ENV[@]}" SISMO_TEST_BROKER=$kind TEST_OUTPUT=$dir \
                timeout -k 10 "${limit:-${TEST_TIMEOUT:-300}}" bash "$t" > "$log" 2>&1
            rc=$?
            if ! san_check "$dir/$name.san" "$log" && [ $rc = 0 -o $rc = 77 ]; then
                echo "# a process of this test wrote a sanitizer report (above)" >> "$log"
                rc=1
            fi
            secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
            if [ $rc = 0 ]; then
                echo "pass $name" >> "$dir/results.txt"; echo "ok      $name (${secs}s)"
            elif [ $rc = 77 ]; then
                echo "skip $name" >> "$dir/results.txt"
                echo "skip    $name: $(grep '^SKIP' "$log" | tail -1)"
            else
                echo "fail $name" >> "$dir/results.txt"
                echo "FAIL    $name (exit $rc, ${secs}s) - last lines of $log:"
                tail -n 25 "$log" | sed 's/^/    | /'
            fi
        done
    }
    set -- $kinds
    if [ $# -gt 1 ] && [ "${SISMO_TEST_PARALLEL:-1}" != 0 ]; then
        for kind in $kinds; do
            mkdir -p "$out_dir"
            run_lane "$kind" > "$out_dir/lane-$kind.txt" 2>&1 &
        done
        wait
        for kind in $kinds; do cat "$out_dir/lane-$kind.txt"; done
    else
        for kind in $kinds; do run_lane "$kind"; done
    fi
    for kind in $kinds; do
        while read -r status name; do
            case $status in
            pass) passed=$((passed + 1)) ;;
            skip) skipped=$((skipped + 1)) ;;
            *) failed=$((failed + 1)); failures+=("$kind:$name") ;;
            esac
        done < "$out_dir/$kind/results.txt"
    done
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
[ $skipped -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
