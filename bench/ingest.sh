#!/usr/bin/env bash
# bench/ingest.sh - `sismo ingest` end to end beside the course's naive Python ingester.
#
# Both read the same recorded feed from a file and publish to a broker on 127.0.0.1
# (librdkafka's mock cluster, build/tools/mockbroker, 3 partitions per topic), in the same
# run. Figures are process wall time (start to exit: connect, parse, produce, wait for every
# delivery report), CPU time (user+sys) and peak RSS, median of RUNS (default 3) runs.
# Cases:
#   week       the recorded all_week-2023-04-07T1723Z feed (2,389 events; needs ../shared)
#   synthetic  a generated 20,000-event feed (tests/tools/synthfeed.py), BIG=N to change
#   unchanged  the same synthetic feed again: sismo's state makes it cost nothing, the
#              naive script republishes everything
#   revision   the synthetic feed with every 10th event revised: sismo sends the 10%
# and the start-up read-back: sismo with its state file deleted rebuilds it from the topic.
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SISMO=$BUILD/sismo
PY=/usr/bin/python3
SHARED=${SISMO_SHARED:-$ROOT/../shared}
RUNS=${RUNS:-3}
BIG=${BIG:-20000}
T=$(mktemp -d "${TMPDIR:-/tmp}/sismo-bench.XXXXXX")
broker_pid=
cleanup() { [ -z "$broker_pid" ] || kill "$broker_pid" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

topics=()
for r in $(seq "$RUNS"); do
    for c in week synthetic unchanged revision; do topics+=(--topic "s-$c-$r:3" --topic "p-$c-$r:3"); done
done
"$BUILD/tools/mockbroker" "${topics[@]}" > "$T/broker.out" 2> "$T/broker.err" &
broker_pid=$!
for _ in $(seq 600); do [ -s "$T/broker.out" ] && break; sleep 0.1; done
B=$(head -1 "$T/broker.out")
[ -n "$B" ] || { echo "bench: the mock broker did not start within 60 s"; cat "$T/broker.err"; exit 1; }

WEEK=$SHARED/data/usgs/all_week-2023-04-07T1723Z.geojson
"$PY" "$ROOT/tests/tools/synthfeed.py" "$BIG" "$T/synth.geojson"
"$PY" "$ROOT/tests/tools/synthfeed.py" "$BIG" "$T/synth-rev.geojson" --revision 5 --revise-every 10

# timed OUT CMD...: runs CMD, appends "wall cpu rss_kb" to OUT; CMD's stderr to OUT.err
timed() {
    local out=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" > "$T/cmd.out" 2> "$T/cmd.err" \
        || { echo "bench: command failed: $*"; tail -5 "$T/cmd.err"; exit 1; }
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$T/time" >> "$out"
    cat "$T/cmd.err" >> "$out.err"
    cat "$T/cmd.out" >> "$out.out"
}
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
col() { awk -v c="$2" '{print $c}' "$1" | median; }

sismo_run() { # CASE RUN FILE STATE
    timed "$T/s-$1" "$SISMO" ingest -b "$B" --topic "s-$1-$2" --from-file "$3" --state-dir "$T/state-$4-$2"
}
naive_run() { # CASE RUN FILE
    timed "$T/p-$1" "$PY" "$ROOT/bench/ingest_naive.py" "$3" "$B" "p-$1-$2"
}
sent() { # messages sismo sent in its last poll line of CASE
    grep 'poll source=' "$T/s-$1.err" | tail -1 |
        sed 's/.* new=\([0-9]*\) revised=\([0-9]*\) .* tombstones=\([0-9]*\) .*/\1 \2 \3/' | awk '{print $1 + $2 + $3}'
}
took() { sed -n 's/.*took_ms=\([0-9]*\).*/\1/p' "$T/s-$1.err" | median; }

cases=()
if [ -f "$WEEK" ]; then cases+=(week); else echo "# $WEEK not found: week case skipped"; fi
cases+=(synthetic unchanged revision)
for r in $(seq "$RUNS"); do
    for c in "${cases[@]}"; do
        case $c in
        week) sismo_run week "$r" "$WEEK" week; naive_run week "$r" "$WEEK" ;;
        synthetic) sismo_run synthetic "$r" "$T/synth.geojson" synth; naive_run synthetic "$r" "$T/synth.geojson" ;;
        # the same topic and state as the synthetic run: the feed has not changed
        unchanged) timed "$T/s-unchanged" "$SISMO" ingest -b "$B" --topic "s-synthetic-$r" \
                       --from-file "$T/synth.geojson" --state-dir "$T/state-synth-$r"
                   naive_run unchanged "$r" "$T/synth.geojson" ;;
        revision) timed "$T/s-revision" "$SISMO" ingest -b "$B" --topic "s-synthetic-$r" \
                      --from-file "$T/synth-rev.geojson" --state-dir "$T/state-synth-$r"
                  naive_run revision "$r" "$T/synth-rev.geojson" ;;
        esac
    done
done

# Start-up read-back: forget the state, rebuild it from the topic (BIG + BIG/10 messages).
rm -rf "$T/state-synth-1"
timed "$T/s-readback" "$SISMO" ingest -b "$B" --topic "s-synthetic-1" --from-file "$T/synth-rev.geojson" \
    --state-dir "$T/state-synth-1"
rb=$(sed -n 's/.*read back \([0-9]*\) messages (up to [0-9]* expected) from .* in \([0-9]*\) ms.*/\1 \2/p' "$T/s-readback.err")

echo "ingest bench: median of $RUNS runs, broker = librdkafka mock cluster on 127.0.0.1, $(nproc) cores shared"
printf '%-26s | %-33s | %-33s | %s\n' "" "sismo ingest (C)" "naive Python (course)" "Python / sismo"
printf '%-26s | %6s %7s %7s %6s %5s | %6s %7s %7s %6s %5s | %6s %6s\n' case msgs wall_s cpu_s ev/s MB msgs wall_s cpu_s ev/s MB wall cpu
for c in "${cases[@]}"; do
    sw=$(col "$T/s-$c" 1) sc=$(col "$T/s-$c" 2) sm=$(col "$T/s-$c" 3)
    pw=$(col "$T/p-$c" 1) pc=$(col "$T/p-$c" 2) pm=$(col "$T/p-$c" 3)
    case $c in week) n=$("$PY" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['features']))" "$WEEK") ;; *) n=$BIG ;; esac
    pn=$(tail -1 "$T/p-$c.out" | awk '{print $1}')
    awk -v c="$c ($n events)" -v sn="$(sent "$c")" -v sw="$sw" -v sc="$sc" -v sm="$sm" -v pn="$pn" -v pw="$pw" \
        -v pc="$pc" -v pm="$pm" -v n="$n" 'BEGIN {
        printf "%-26s | %6d %7.2f %7.2f %6.0f %5.0f | %6d %7.2f %7.2f %6.0f %5.0f | %5.1fx %5.1fx\n",
            c, sn, sw, sc, n / sw, sm / 1024, pn, pw, pc, n / pw, pm / 1024, pw / sw, (sc > 0 ? pc / sc : 0) }'
done
echo "sismo poll time alone (parse + decide + publish + all delivery reports + state save), median ms:"
for c in "${cases[@]}"; do printf '  %-12s %6s ms\n' "$c" "$(took "$c")"; done
echo "start-up read-back without a state file: ${rb% *} messages folded in ${rb#* } ms"
