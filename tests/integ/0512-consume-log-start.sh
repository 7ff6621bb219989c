#!/usr/bin/env bash
# 0512: reading "from the beginning" a partition whose log no longer starts at offset 0.
# Consumers assign offset 0 for "from the beginning" (src/client/kc_consumer.c: it avoids
# librdkafka's 500 ms retry of a ListOffsets that races the partition's leader); when
# retention has removed the first segments, the broker answers OFFSET_OUT_OF_RANGE and
# auto.offset.reset=earliest must take the consumer to the log's start.
# Must hold afterwards: `sismo consume --from-beginning` and `sismo stats` (no snapshot)
# read exactly the records from the log start to the end, the first one at the log start.
# brokers: sismo
. "$(dirname "$0")/lib.sh"
BROKER_OPTS=(--segment-bytes 1024 --retention-bytes 1500)
t=$(uniq rt) q=$(uniq sismos) out=$(uniq stats)
start_broker "$t:1" "$q:1" "$out:1"
for _ in $(seq 8); do "$SISMO" produce -b "$BOOTSTRAP" --topic "$t" --count 10 > /dev/null; done
# Retention runs on the broker's once-a-second tick: wait until the log starts after 0.
first() { kcat -b "$BOOTSTRAP" -C -t "$1" -p 0 -o beginning -e -f '%o\n' 2>/dev/null | head -1; }
trimmed() { [ "$(first "$1")" -gt 0 ]; }
wait_until 10 trimmed "$t"
start=$(first "$t")
say "log of $t now starts at $start"
"$SISMO" consume -b "$BOOTSTRAP" --topic "$t" --group "$(uniq g)" --from-beginning \
    --idle-timeout 3s > "$T_DIR/c.out" 2> "$T_DIR/c.err" || fail "consume failed: $(tail -3 "$T_DIR/c.err")"
assert_eq "$(wc -l < "$T_DIR/c.out")" $((80 - start)) "records read from the log start"
head -1 "$T_DIR/c.out" | grep -q "^partition=0 offset=$start " || fail "first record: $(head -1 "$T_DIR/c.out")"

"$SISMO" simulate --seed 2 --count 40 > "$T_DIR/sim.tsv"
for i in 0 1 2 3; do
    sed -n "$((i * 10 + 1)),$((i * 10 + 10))p" "$T_DIR/sim.tsv" > "$T_DIR/part.tsv"
    $PY "$ROOT/tests/tools/stats_model.py" produce "$BOOTSTRAP" "$q" "$T_DIR/part.tsv" 2> /dev/null
done
wait_until 10 trimmed "$q"
qstart=$(first "$q")
"$SISMO" stats -b "$BOOTSTRAP" --topic "$q" --output-topic "$out" --group "$(uniq gs)" --no-state \
    --until-caught-up -q 2> "$T_DIR/s.err" || fail "stats failed: $(tail -3 "$T_DIR/s.err")"
grep -q "^stats: $((40 - qstart)) records in " "$T_DIR/s.err" ||
    fail "stats from log start $qstart: $(grep '^stats:' "$T_DIR/s.err")"
say "consume read $((80 - start)) records from offset $start; stats $((40 - qstart)) from $qstart"
