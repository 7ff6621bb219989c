#!/usr/bin/env bash
# bench/dashboard.sh - `sismo dashboard` Server-Sent Events fan-out beside a reference
# measured in the same run. Not a test: it prints figures and ratios.
#
#   1. starts build/tools/mockbroker on 127.0.0.1 and the dashboard on it; produces
#      BENCH_EVENTS (default 1,000) events (about 450 bytes as SSE frames) and waits until the dashboard
#      has them all (its ring holds them all);
#   2. sismo: BENCH_CLIENTS (default 1,000) clients (tests/tools/sseload, one libevent loop)
#      open /api/stream?last_event_id=<instance>-0 at once, so each is replayed every event
#      from the ring: pure fan-out (no Kafka in the measured part), through evhttp, with
#      sismo's per-client bound (one 16 KiB quantum in user space, 256 KiB kernel buffer);
#   3. reference: tests/tools/sseref serves the very bytes sismo sent (captured with curl)
#      to the same clients the simplest libevent way: every event framed once, appended by
#      reference to each socket at once, no request parsing and no per-client bound. It is
#      the ceiling of a libevent fan-out on this machine, not a competing product;
#   4. each run's time is from sseload's start to every client holding every event (ids
#      checked consecutive on every connection); best of BENCH_RUNS (3). The one-threaded
#      client shares the 2 cores with the server, so it may bound both rates: the server's
#      own CPU time per run (utime + stime from /proc) is printed too, the better measure
#      of what the fan-out costs.
# Prints deliveries/s, MB/s and server CPU for both, and sismo / reference.
# env: BUILD, BENCH_EVENTS, BENCH_CLIENTS, BENCH_RUNS.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
E=${BENCH_EVENTS:-1000}
N=${BENCH_CLIENTS:-1000}
RUNS=${BENCH_RUNS:-3}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/sismo-bench-dashboard.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # SECS COMMAND...: polls every 0.1 s
    local n=$(( $1 * 10 )); shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    return 1
}

"$BUILD/tools/mockbroker" --topic bench:3 --topic bench-stats:1 --topic bench-status:1 \
    > "$T/broker.out" 2> "$T/broker.err" &
pids+=($!)
wait_for 10 test -s "$T/broker.out" || { echo "mock broker did not start"; exit 1; }
B=$(head -1 "$T/broker.out")

$PY tests/tools/synthquakes.py "$E" b > "$T/events.tsv"
$PY tests/tools/kproduce.py "$B" bench "$T/events.tsv" 2> "$T/produce.err" || { cat "$T/produce.err"; exit 1; }

DPORT=$(free_port)
"$BUILD/sismo" dashboard -b "$B" --listen "127.0.0.1:$DPORT" --topic bench --stats-topic bench-stats \
    --status-topic bench-status --clock event --ring $((E + 100)) 2> "$T/dashboard.err" &
pids+=($!)
DPID=$!
DASH=http://127.0.0.1:$DPORT
has_all() { [ "$(curl -sf "$DASH/healthz" | sed -n 's/.*"messages":\([0-9]*\).*/\1/p')" -ge "$E" ] 2>/dev/null; }
wait_for 60 has_all || { echo "the dashboard did not consume the $E events"; cat "$T/dashboard.err"; exit 1; }
INST=$(curl -sf "$DASH/api/quakes?limit=1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["last_event_id"].split("-")[0])')
STREAM="/api/stream?last_event_id=$INST-0"

# The bytes sismo sends one client, for the reference to send too.
curl -sN --max-time 2 "$DASH$STREAM" > "$T/frames.txt"
got=$(grep -c '^id: ' "$T/frames.txt")
[ "$got" -eq "$E" ] || { echo "captured $got of $E events"; exit 1; }
RPORT=$(free_port)
"$BUILD/tools/sseref" --port "$RPORT" --frames "$T/frames.txt" > "$T/ref.out" 2> "$T/ref.err" &
pids+=($!)
RPID=$!
wait_for 10 grep -q '^listening' "$T/ref.out" || { echo "sseref did not start"; cat "$T/ref.err"; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# run PORT PID: prints "<microseconds from start to every client complete> <server CPU ticks>",
# or fails.
run() {
    local t0 t1 c0 c1 out
    c0=$(cpu_ticks "$2")
    t0=$(date +%s%N)
    out=$("$BUILD/tools/sseload" --connect "127.0.0.1:$1" --clients "$N" --events "$E" --path "$STREAM" \
        --timeout 120 | tail -1)
    t1=$(date +%s%N)
    c1=$(cpu_ticks "$2")
    case $out in *"complete=$N events=$((N * E)) gaps=0 errors=0"*) ;; *) echo "sseload: $out" >&2; return 1 ;; esac
    echo "$(( (t1 - t0) / 1000 )) $(( c1 - c0 ))"
}
HZ=$(getconf CLK_TCK)
best_s=0 best_r=0 cpu_s=0 cpu_r=0
for i in $(seq "$RUNS"); do
    read -r s cs < <(run "$DPORT" "$DPID") && [ -n "${s:-}" ] || exit 1
    read -r r cr < <(run "$RPORT" "$RPID") && [ -n "${r:-}" ] || exit 1
    echo "run $i: sismo $(awk -v u="$s" 'BEGIN{printf "%.3f", u/1e6}') s (server CPU $cs ticks)," \
        "reference $(awk -v u="$r" 'BEGIN{printf "%.3f", u/1e6}') s (server CPU $cr ticks)"
    if [ "$best_s" -eq 0 ] || [ "$s" -lt "$best_s" ]; then best_s=$s cpu_s=$cs; fi
    if [ "$best_r" -eq 0 ] || [ "$r" -lt "$best_r" ]; then best_r=$r cpu_r=$cr; fi
done
bytes=$(( $(wc -c < "$T/frames.txt") * N ))
awk -v s="$best_s" -v r="$best_r" -v cs="$cpu_s" -v cr="$cpu_r" -v hz="$HZ" -v n="$N" -v e="$E" -v b="$bytes" 'BEGIN {
    printf "fan-out of %d events (%.0f bytes each) to %d clients = %d deliveries, %.1f MB; best of runs:\n",
        e, b / n / e, n, n * e, b / 1e6
    printf "  sismo dashboard  %7.3f s  %9.0f deliveries/s  %7.1f MB/s  server CPU %.2f s\n",
        s / 1e6, n * e / (s / 1e6), b / 1e6 / (s / 1e6), cs / hz
    printf "  reference        %7.3f s  %9.0f deliveries/s  %7.1f MB/s  server CPU %.2f s  (tests/tools/sseref)\n",
        r / 1e6, n * e / (r / 1e6), b / 1e6 / (r / 1e6), cr / hz
    printf "  sismo / reference: %.2f x the time, %s x the server CPU\n", s / r, cr ? sprintf("%.2f", cs / cr) : "n/a"
}'
