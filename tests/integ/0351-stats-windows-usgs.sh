#!/usr/bin/env bash
# 0351: `sismo stats` over every recorded USGS feed in ../shared/data/usgs (4,400 messages:
# revision pair A 2014, revision series B 2025 with re-issued ids, 2017-2023 feeds with null
# and negative magnitudes, old upper-case statuses), in chronological order, converted by
# the independent tests/tools/usgs2sismos.py (one message per feature, no de-duplication).
# Must hold afterwards, for three configurations run side by side (tumbling 5m with no
# practical watermark; the default 10m watermark in append mode, where the newest-first
# feeds make most events late; --by region with the default watermark): every window
# published (last message per key) equals what tests/tools/stats_model.py computes
# independently from the same files (count, average within 2e-6, max, min, id of the max,
# final flag), nothing else is published, and stats' late count equals the model's.
. "$(dirname "$0")/lib.sh"
need_shared
U=$SHARED/data/usgs
files=("$U/all_day-2014-04-14T1152Z.geojson" "$U/all_week-2014-04-15T1214Z.geojson"
       "$U/all_hour-2017-12-03T2315Z.geojson" "$U/significant_month-2019-10-26T1649Z.geojson"
       "$U/4.5_week-2020-10-10T1643Z.geojson" "$U/all_week-2023-04-07T1723Z.geojson"
       "$U/2.5_day-2025-12-06T2319Z.geojson" "$U/2.5_day-2025-12-07T0159Z.geojson"
       "$U/2.5_day-2025-12-07T0340Z.geojson")
in=$(uniq sismos)
start_broker "$in:1" "$(uniq u1):1" "$(uniq u2):1" "$(uniq u3):1"
$PY "$ROOT/tests/tools/stats_model.py" produce "$BOOTSTRAP" "$in" "${files[@]}" 2> "$T_DIR/produce.err"
total=$(sed -n 's/^\([0-9]*\) messages produced.*/\1/p' "$T_DIR/produce.err")
say "$total messages produced"
[ "$total" -gt 4000 ] || fail "expected more than 4000 messages, got '$total'"

declare -A args=([u1]="--watermark 36500d" [u2]="--output-mode append" [u3]="--by region")
for name in u1 u2 u3; do
    # shellcheck disable=SC2086
    bg "$name" "$SISMO" stats -b "$BOOTSTRAP" --topic "$in" --output-topic "$(uniq "$name")" \
        --group "$(uniq "g$name")" --state "$T_DIR/$name.state" --until-caught-up -q ${args[$name]}
done
for name in u1 u2 u3; do
    wait "${PIDS[$name]}" || fail "stats $name exited non-zero"
    grep -q " $total records in " "$T_DIR/$name.err" || fail "$name: not all records read"
    grep -q 'invalid 0$' "$T_DIR/$name.err" || fail "$name: invalid records"
done
late() { sed -n 's/.*; late \([0-9]*\),.*/\1/p' "$T_DIR/$1.err"; }
model=$ROOT/tests/tools/stats_model.py
$PY "$model" check "$BOOTSTRAP" "$(uniq u1)" --watermark 36500d --late "$(late u1)" "${files[@]}" ||
    fail "u1: published windows differ from the model"
$PY "$model" check "$BOOTSTRAP" "$(uniq u2)" --mode append --late "$(late u2)" "${files[@]}" ||
    fail "u2: published windows differ from the model"
$PY "$model" check "$BOOTSTRAP" "$(uniq u3)" --by-region --late "$(late u3)" "${files[@]}" ||
    fail "u3: published windows differ from the model"
[ "$(late u2)" -gt 1000 ] || fail "u2: newest-first feeds with a 10m watermark must give late events"
