#!/usr/bin/env bash
# 0350: `sismo stats` over the repository's edge-case feed (tests/fixtures/usgs/
# stats-edge-cases.geojson: window boundaries, a null and a negative magnitude, a magnitude
# revision, a re-issued id, an event moved to another window, magnitude ties, pre-1970
# times, late data), fed through the independent converter tests/tools/usgs2sismos.py.
# Must hold afterwards, for four configurations (tumbling with no practical watermark;
# default 10m watermark in append mode; --by region; hopping 10m/5m windows): every window
# published to the results topic (last message per key) equals, in count, average (2e-6),
# max, min, id of the max, final flag and bounds, what tests/tools/stats_model.py computes
# independently, and no other window is published; the late events stats reports equal the
# model's; the console shows Spark-style "Batch: N" tables with a watermark/late footer.
. "$(dirname "$0")/lib.sh"
in=$(uniq sismos)
fixture=$ROOT/tests/fixtures/usgs/stats-edge-cases.geojson
start_broker "$in:1" "$(uniq r1):1" "$(uniq r2):1" "$(uniq r3):1" "$(uniq r4):1"
$PY "$ROOT/tests/tools/usgs2sismos.py" "$fixture" --produce "$BOOTSTRAP" "$in"

run() { # run NAME OPTIONS... : one caught-up stats run, then the model check
    local name=$1; shift
    "$SISMO" stats -b "$BOOTSTRAP" --topic "$in" --output-topic "$(uniq "$name")" \
        --group "$(uniq "g$name")" --state "$T_DIR/$name.state" --until-caught-up "$@" \
        > "$T_DIR/$name.out" 2> "$T_DIR/$name.err" || fail "stats $name exited $?"
    grep -q ' 15 records in ' "$T_DIR/$name.err" || fail "$name: not all 15 records read"
    grep -q 'invalid 0$' "$T_DIR/$name.err" || fail "$name: invalid records"
    late=$(sed -n 's/.*; late \([0-9]*\),.*/\1/p' "$T_DIR/$name.err")
    say "$name: late=$late"
}
check() { # check NAME MODEL-OPTIONS...
    local name=$1; shift
    $PY "$ROOT/tests/tools/stats_model.py" check "$BOOTSTRAP" "$(uniq "$name")" "$@" \
        --late "$late" "$fixture" || fail "$name: published windows differ from the model"
}

run r1 --watermark 36500d
check r1 --watermark 36500d
assert_eq "$late" 0 "r1 late events"
grep -q '^Batch: 0$' "$T_DIR/r1.out" || fail "no Batch: 0 header"
grep -q '^|{2025-12-06 23:10:00, 2025-12-06 23:15:00}|       4|' "$T_DIR/r1.out" ||
    fail "window row not in the console table"
grep -q '^|{1969-12-31 23:55:00, 1970-01-01 00:00:00}|       3|' "$T_DIR/r1.out" ||
    fail "pre-1970 window row not in the console table"

run r2 --output-mode append
check r2 --mode append
assert_eq "$late" 4 "r2 late events"
grep -q '^watermark: 2025-12-06T23:14:59.999Z | records: 15 | late events: 4' "$T_DIR/r2.out" ||
    fail "late events not reported on the console"

run r3 --watermark 36500d --by region
check r3 --watermark 36500d --by-region
grep -q '|California & Nevada|' "$T_DIR/r3.out" || fail "region column missing"

run r4 --window 10m --slide 5m
check r4 --window 10m --slide 5m
