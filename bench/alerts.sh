#!/usr/bin/env bash
# bench/alerts.sh - `sismo alerts` throughput beside references measured in the same run.
# Not a test: it prints figures and ratios.
#
#   1. starts build/tools/mockbroker on 127.0.0.1 and fills topic `bench` (BENCH_PARTITIONS,
#      default 6) with BENCH_EVENTS (default 30,000) records: the recorded USGS week of
#      2023-04-07 (2,389 quakes, 81 of them >= M4.5) repeated under fresh ids;
#   2. consume rate, M4.5 rules (about 3% of the records alert; each alert is one synced log
#      line and one box): sismo alerts (from its assignment to the last record), beside kcat
#      reading the same records to /dev/null (the ceiling of a librdkafka consumer; its
#      start-up, measured as the time to its first record, is subtracted);
#   3. alert rate, --min-mag -10 (every record alerts: a log line synced with fdatasync and a
#      box each), beside a Python loop doing the same appends with os.write + os.fdatasync
#      on the same file system (the ceiling of one synced line per alert).
# Rates are records/s from the first to the last record, best of BENCH_RUNS (2) runs.
# env: BUILD, BENCH_EVENTS, BENCH_PARTITIONS, BENCH_RUNS, SISMO_SHARED (recorded data).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${BENCH_EVENTS:-30000}
PARTS=${BENCH_PARTITIONS:-6}
RUNS=${BENCH_RUNS:-2}
PY=/usr/bin/python3
SISMO=$BUILD/sismo
SHARED=${SISMO_SHARED:-$PWD/../shared}
FEED=$SHARED/data/usgs/all_week-2023-04-07T1723Z.geojson
[ -f "$FEED" ] || { echo "skipped: $FEED not found (set SISMO_SHARED)"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/sismo-bench-alerts.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

"$BUILD/tools/mockbroker" --topic "bench:$PARTS" > "$T/broker.out" 2> "$T/broker.err" &
pids+=($!)
for _ in $(seq 100); do [ -s "$T/broker.out" ] && break; sleep 0.1; done
B=$(head -1 "$T/broker.out")
[ -n "$B" ] || { echo "mock broker did not start"; exit 1; }

$PY tests/tools/usgs2sismos.py "$FEED" > "$T/week.tsv"
$PY - "$T/week.tsv" "$N" > "$T/bench.tsv" <<'PYEOF'
import json, sys
lines = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1], encoding="utf-8")]
n, i = int(sys.argv[2]), 0
while i < n:
    key, value = lines[i % len(lines)]
    r = json.loads(value)
    suffix = f"-{i // len(lines)}"
    r["id"] += suffix
    r["ids"] = [x + suffix for x in r["ids"]]
    print(f'{r["id"]}\t{json.dumps(r, ensure_ascii=False, separators=(",", ":"))}')
    i += 1
PYEOF
$PY tests/tools/produce_lines.py "$B" bench "$T/bench.tsv" 2> "$T/fill.err" || { cat "$T/fill.err"; exit 1; }
echo "topic bench: $(tail -1 "$T/fill.err"), $PARTS partitions, $(du -k "$T/bench.tsv" | cut -f1) KiB"

ms_of() { date -d "$1" +%s%3N; }
# records/s of one sismo alerts run, from its assignment to the last record's alert.
sismo_rate() { # NAME [options...]
    local name=$1; shift
    rm -f "$T/$name.log"
    "$SISMO" alerts -b "$B" --topic bench --group "bench-$name-$RANDOM" --log "$T/$name.log" \
        -X session.timeout.ms=6000 "$@" > /dev/null 2> "$T/$name.err" &
    local pid=$!
    while ! grep -q "assigned $PARTS partitions" "$T/$name.err" 2>/dev/null; do sleep 0.05; done
    local t0; t0=$(date +%s%3N)
    # done when the last record of every partition (an M9.9, below) is in the log
    while [ "$(grep -c '"id":"zz-end-' "$T/$name.log" 2>/dev/null)" -lt "$PARTS" ]; do sleep 0.02; done
    local t1; t1=$(date +%s%3N)
    kill -TERM $pid; wait $pid
    echo $(( (N + PARTS) * 1000 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
}
# One last M9.9 record per partition marks the end of the data for every run.
for ((p = 0; p < PARTS; p++)); do
    printf 'zz-end-%d\t{"id":"zz-end-%d","magnitud":9.9,"lugar":"end","latitud":0,"longitud":0,"timestamp":"2030-01-01T00:00:00.000Z"}\n' $p $p |
        $PY tests/tools/produce_lines.py "$B" bench --partition $p 2>/dev/null
done
# kcat's figure excludes its start-up: the time to its first record (kcat -c 1) is
# subtracted from the time to read everything.
kcat_rate() {
    local t0 t1 t2
    t0=$(date +%s%3N)
    kcat -C -b "$B" -t bench -p 0 -o beginning -c 1 -q > /dev/null 2>&1
    t1=$(date +%s%3N)
    kcat -C -b "$B" -t bench -o beginning -e -q > /dev/null 2>&1
    t2=$(date +%s%3N)
    local d=$(( (t2 - t1) - (t1 - t0) ))
    echo $(( (N + PARTS) * 1000 / (d > 0 ? d : 1) ))
}
py_sync_rate() { # appends N log-sized lines with os.write + os.fdatasync each
    $PY - "$T/ref.log" "$1" <<'PYEOF'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
line = (b'{"id":"x",' + b'"k":"' + b"v" * 560 + b'"}\n')
n = int(sys.argv[2])
t0 = time.monotonic()
for _ in range(n):
    os.write(fd, line)
    os.fdatasync(fd)
print(int(n / (time.monotonic() - t0)))
PYEOF
}
best() { printf '%s\n' "$@" | sort -n | tail -1; }

a=() k=() s=() r=()
for run in $(seq "$RUNS"); do
    k+=("$(kcat_rate)")
    a+=("$(sismo_rate m45)")
    s+=("$(sismo_rate all --min-mag -10)")
    r+=("$(py_sync_rate 3000)")
    echo "run $run: kcat ${k[-1]}/s, sismo alerts (M4.5) ${a[-1]}/s, sismo alerts (all alert) ${s[-1]}/s, python write+fdatasync ${r[-1]}/s"
done
alerts45=$(grep -c . "$T/m45.log")
K=$(best "${k[@]}"); A=$(best "${a[@]}"); S=$(best "${s[@]}"); R=$(best "${r[@]}")
echo "consume, M4.5 rules ($alerts45 alerts in $((N + PARTS)) records): sismo alerts $A records/s vs kcat $K records/s: ratio $(awk -v a="$A" -v b="$K" 'BEGIN{printf "%.2f", a/b}')"
echo "every record alerts (synced line + box each): sismo alerts $S alerts/s vs python write+fdatasync $R lines/s: ratio $(awk -v a="$S" -v b="$R" 'BEGIN{printf "%.2f", a/b}')"
