# lib.sh - shared helpers for integration tests; source it first:  . "$(dirname "$0")/lib.sh"
#
# What it gives a test:
#   $SISMO        the sismo binary under test ($BUILD/sismo)
#   $T_DIR        a fresh temp directory, removed at exit (kept if KEEP_TMP=1)
#   $SHARED       ../shared (recorded USGS data), possibly absent: use need_shared
#   $PY           Debian's python3 (where python3-confluent-kafka and python3-kafka live)
#   start_broker [TOPIC:PARTITIONS...]  starts the broker kind in $SISMO_TEST_BROKER (mock |
#                 sismo | external) on 127.0.0.1 and sets $BOOTSTRAP; topics are created
#   create_topics TOPIC:PARTITIONS...   creates topics on the running broker
#   bg NAME CMD...  runs CMD in the background, stdout/stderr in $T_DIR/NAME.{out,err};
#                 its pid in ${PIDS[NAME]}; every bg process is killed at exit
#   wait_until SECS CMD...  polls CMD every 0.1 s until it succeeds, or fails the test
#   lines FILE / has_lines FILE N   (use has_lines with wait_until)
#   fail MSG / skip MSG / say MSG / assert_eq ACTUAL EXPECTED MSG
#   GROUP_OPTS    -X options for consumers that rejoin a group: librdkafka's mock cluster
#                 holds a rejoin for session.timeout.ms - 1 s, so keep it short (6 s is also
#                 Kafka's group.min.session.timeout.ms)
#   uniq NAME     a name unique to this run (topics and groups on shared/external brokers)
#   free_port     an unused TCP port on 127.0.0.1
#   run_fuzzer NAME SECS  libFuzzer target build-fuzz/fuzz/fuzz_NAME over its seed corpus
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SISMO=${SISMO_BIN:-$BUILD/sismo}
TOOLS=$BUILD/tools
SHARED=${SISMO_SHARED:-$ROOT/../shared}
PY=/usr/bin/python3
SISMO_TEST_BROKER=${SISMO_TEST_BROKER:-mock}
[ -n "${SISMO_TEST_BOOTSTRAP:-}" ] && SISMO_TEST_BROKER=external
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sismo-test.XXXXXX")
T_NAME=$(basename "$0" .sh)
RUN_ID=$$-$RANDOM
declare -A PIDS=()
GROUP_OPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
BROKER_OPTS=()   # extra `sismo broker` options for start_broker (kind sismo)
export SISMO_LOG=${SISMO_LOG:-info}
# The first line of a sanitizer report (ASan, LSan, UBSan); tests/run-tests.sh uses the same.
SAN_REPORT_RE='==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|:[0-9]+:[0-9]+: runtime error: '

say() { echo "# $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
uniq() { echo "$1-$RUN_ID"; }

stop_pid() { # [--no-term] PID: TERM (once: a second one means "exit now"), KILL after 5 s
    if [ "$1" = --no-term ]; then shift; else kill -TERM "$1" 2>/dev/null || return 0; fi
    local i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$1" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    # Clients first, the broker last, so that clients can leave their groups cleanly.
    for name in "${!PIDS[@]}"; do
        [ "$name" = broker ] || kill -TERM "${PIDS[$name]}" 2>/dev/null || true
    done
    for name in "${!PIDS[@]}"; do [ "$name" = broker ] || stop_pid --no-term "${PIDS[$name]}"; done
    [ -z "${PIDS[broker]:-}" ] || stop_pid "${PIDS[broker]}"
    # A sanitizer build's reports that reached a file in $T_DIR (UBSan's in a gcc
    # ASan+UBSan build stay on stderr) are kept for tests/run-tests.sh, which fails the test.
    if [ -n "${TEST_OUTPUT:-}" ] && [ -d "$TEST_OUTPUT" ]; then
        local f
        while IFS= read -r f; do
            cp "$f" "$TEST_OUTPUT/$T_NAME.san.tmp-$(echo "${f#"$T_DIR"/}" | tr / _)" || true
        done < <(grep -rlE -D skip "$SAN_REPORT_RE" "$T_DIR" 2>/dev/null || true)
    fi
    if [ $rc != 0 ] && [ $rc != 77 ]; then
        for f in "$T_DIR"/*.err "$T_DIR"/*.out; do
            [ -f "$f" ] || continue
            echo "---- $(basename "$f") (last 40 lines)"; tail -n 40 "$f"
        done
    fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "# kept $T_DIR"; else rm -rf "$T_DIR"; fi
    exit $rc
}
trap cleanup EXIT

free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bg() {
    local name=$1; shift
    "$@" > "$T_DIR/$name.out" 2> "$T_DIR/$name.err" &
    PIDS[$name]=$!
}

lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }  # has_lines FILE N: FILE has at least N lines

wait_until() {
    local secs=$1; shift
    local deadline=$(( $(date +%s%N) + secs * 1000000000 ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt $deadline ] || fail "timed out after ${secs}s waiting for: $*"
        sleep 0.1
    done
}

need_shared() {
    [ -d "$SHARED/data/usgs" ] || skip "recorded USGS data not found at $SHARED/data/usgs"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# run_fuzzer NAME DEFAULT_SECONDS: builds the libFuzzer targets (`make fuzz`) and runs
# build-fuzz/fuzz/fuzz_NAME for $FUZZ_SECONDS (else DEFAULT_SECONDS) over a fresh corpus plus
# the seeds in tests/fuzz/corpus/NAME. Fails on any finding (crash, sanitizer report, leak,
# timeout, the target's own abort), on artifacts left, or if not every seed was executed.
run_fuzzer() {
    local name=$1 secs=${FUZZ_SECONDS:-$2} seeds runs
    command -v clang >/dev/null || skip "clang is not installed (scripts/deps.sh --test installs it)"
    make -C "$ROOT" --no-print-directory -s fuzz > "$T_DIR/build.log" 2>&1 ||
        { cat "$T_DIR/build.log"; fail "make fuzz failed"; }
    mkdir -p "$T_DIR/corpus"
    TMPDIR=$T_DIR "$ROOT/build-fuzz/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$T_DIR/" "$T_DIR/corpus" \
        "$ROOT/tests/fuzz/corpus/$name" > "$T_DIR/fuzz.out" 2>&1 ||
        { tail -n 40 "$T_DIR/fuzz.out"; fail "fuzzer found a problem"; }
    grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$T_DIR/fuzz.out" | sed 's/^/# /'
    seeds=$(ls "$ROOT/tests/fuzz/corpus/$name" | wc -l)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T_DIR/fuzz.out")
    [ "${runs:-0}" -ge "$seeds" ] || fail "only ${runs:-0} inputs executed, corpus has $seeds"
    ls "$T_DIR"/crash-* "$T_DIR"/leak-* "$T_DIR"/timeout-* 2>/dev/null && fail "artifacts left"
    say "no finding in ${secs}s"
}

create_topics() {
    case $SISMO_TEST_BROKER in
    mock) fail "create_topics: pass topics to start_broker for the mock cluster" ;;
    *) $PY "$ROOT/tests/tools/kadmin.py" "$BOOTSTRAP" create "$@" ;;
    esac
}

start_broker() {
    case $SISMO_TEST_BROKER in
    mock)
        local args=()
        for t in "$@"; do args+=(--topic "$t"); done
        bg broker "$TOOLS/mockbroker" "${args[@]}"
        wait_until 10 test -s "$T_DIR/broker.out"
        BOOTSTRAP=$(head -1 "$T_DIR/broker.out")
        ;;
    sismo)
        local port; port=$(free_port)
        # Like Kafka's own test clusters, accept short session timeouts (tests use 1.5 s+).
        bg broker "$SISMO" broker --listen "127.0.0.1:$port" --data-dir "$T_DIR/broker-data" \
            --group-min-session-timeout 1s "${BROKER_OPTS[@]}"
        wait_until 10 port_open "$port"
        BOOTSTRAP=127.0.0.1:$port
        [ $# -eq 0 ] || create_topics "$@"
        ;;
    external)
        BOOTSTRAP=$SISMO_TEST_BOOTSTRAP
        [ $# -eq 0 ] || create_topics "$@"
        ;;
    *) fail "unknown SISMO_TEST_BROKER '$SISMO_TEST_BROKER'" ;;
    esac
    export BOOTSTRAP
    say "broker ($SISMO_TEST_BROKER) at $BOOTSTRAP"
}
