#!/usr/bin/env bash
# 0202: the recorded USGS revision series in ../shared/data/usgs, served in sequence over
# HTTP on 127.0.0.1:
#   B: 2.5_day 2025-12-06T2319Z -> 2025-12-07T0159Z -> 0340Z (revisions and 8 re-issued ids)
#   A: all_day 2014-04-14T1152Z -> all_week 2014-04-15T1214Z (50 revisions, old API with
#      upper-case status and tsunami null; 4 events vanish)
# Must hold afterwards, for each series on its own topic: the topic holds exactly what the
# independent model expects, message by message (one per new event, one per revision, a
# tombstone per re-issued id: 8 for B - ak2025xzwyio -> us6000rsyv among them - and none
# for A, whose 4 vanished events are not deleted), and no (id, actualizado) pair twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
need_shared
U=$SHARED/data/usgs
B=("$U/2.5_day-2025-12-06T2319Z.geojson" "$U/2.5_day-2025-12-07T0159Z.geojson" "$U/2.5_day-2025-12-07T0340Z.geojson")
A=("$U/all_day-2014-04-14T1152Z.geojson" "$U/all_week-2014-04-15T1214Z.geojson")
tb=$(uniq sismos-b)
ta=$(uniq sismos-a)
start_broker "$tb:3" "$ta:3"

series() { # NAME TOPIC FILE...
    local name=$1 topic=$2; shift 2
    start_feed "feed-$name" "$@"
    bg "ingest-$name" "$SISMO" ingest -b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" \
        --interval 200ms --state-dir "$T_DIR/state-$name"
    local k=0
    for f in "$@"; do
        feed_step $k
        k=$((k + 1))
        wait_until 60 has_polls "$T_DIR/ingest-$name.err" 200 $k
    done
    unset FEED_PORT
}
series b "$tb" "${B[@]}"
series a "$ta" "${A[@]}"

check_topic "$tb" "${B[@]}"
check_topic "$ta" "${A[@]}"
assert_eq "$(grep -c 're-issued as' "$T_DIR/ingest-b.err")" 8 "re-issues logged for series B"
has_text "$T_DIR/ingest-b.err" "event 'ak2025xzwyio' re-issued as 'us6000rsyv'" || fail "ak2025xzwyio -> us6000rsyv"
assert_eq "$(grep -c 're-issued as' "$T_DIR/ingest-a.err")" 0 "re-issues logged for series A"
# Pair A, second poll: 1513 features of which 142 were seen, 50 of them revised.
grep "http=200 " "$T_DIR/ingest-a.err" | sed -n 2p | grep -q "features=1513 new=1371 revised=50 unchanged=92 skipped=0 tombstones=0 failed=0 " \
    || fail "pair A poll 2: $(grep 'http=200 ' "$T_DIR/ingest-a.err" | sed -n 2p)"
