#!/usr/bin/env bash
# 0355: a backfill of a 3-partition topic with the default 10m watermark.
# librdkafka hands over the records of one partition (here 8,000 events, 200 minutes of
# event time) before those of the next, so a watermark taken from the largest event time
# seen across all partitions would make most of the other partitions' records late. Each
# partition is a source of the window clock (docs/STATS.md, "Watermark").
# Must hold afterwards: all 24,000 records read, none late, none invalid; every window
# published equals tests/tools/stats_model.py over the same events in time order (update
# mode, 10m watermark: the model counts nothing late either); a second run that resumes
# from the snapshot and reads 2,400 more events (the next 20 minutes) is still exact.
. "$(dirname "$0")/lib.sh"
in=$(uniq sismos) out=$(uniq sismos-stats)
start_broker "$in:3" "$out:3"
"$SISMO" simulate --seed 11 --count 26400 --event-rate 2 --start 2025-12-01T00:00:00.000Z \
    > "$T_DIR/all.tsv"
head -n 24000 "$T_DIR/all.tsv" > "$T_DIR/first.tsv"
tail -n 2400 "$T_DIR/all.tsv" > "$T_DIR/next.tsv"
$PY "$ROOT/tests/tools/stats_model.py" produce "$BOOTSTRAP" "$in" "$T_DIR/first.tsv" 2> "$T_DIR/p1.err"
grep -q '^24000 messages produced' "$T_DIR/p1.err" || fail "produce: $(cat "$T_DIR/p1.err")"

st=("$SISMO" stats -b "$BOOTSTRAP" --topic "$in" --output-topic "$out" --group "$(uniq g)"
    --state "$T_DIR/s.state" --until-caught-up -q "${GROUP_OPTS[@]}")
"${st[@]}" 2> "$T_DIR/s1.err" || fail "stats failed: $(tail -3 "$T_DIR/s1.err")"
grep -q '^stats: 24000 records in ' "$T_DIR/s1.err" || fail "not all records read: $(grep '^stats:' "$T_DIR/s1.err")"
grep -q '; late 0, .*invalid 0$' "$T_DIR/s1.err" || fail "late or invalid records: $(grep '^stats:' "$T_DIR/s1.err")"
$PY "$ROOT/tests/tools/stats_model.py" check "$BOOTSTRAP" "$out" --late 0 "$T_DIR/first.tsv" ||
    fail "published windows differ from the model"

$PY "$ROOT/tests/tools/stats_model.py" produce "$BOOTSTRAP" "$in" "$T_DIR/next.tsv" 2> "$T_DIR/p2.err"
"${st[@]}" 2> "$T_DIR/s2.err" || fail "second stats run failed: $(tail -3 "$T_DIR/s2.err")"
grep -q '^stats: 2400 records in ' "$T_DIR/s2.err" || fail "second run: $(grep '^stats:' "$T_DIR/s2.err")"
grep -q '; late 0, .*invalid 0$' "$T_DIR/s2.err" || fail "second run: $(grep '^stats:' "$T_DIR/s2.err")"
$PY "$ROOT/tests/tools/stats_model.py" check "$BOOTSTRAP" "$out" --late 0 "$T_DIR/all.tsv" ||
    fail "published windows differ from the model after the resumed run"
say "24,000 + 2,400 records over 3 partitions: 0 late, windows equal the model"
