#!/usr/bin/env bash
# 0306: the pipeline the course describes, with real parts only: `sismo ingest` reads the
# recorded feeds (revision pairs in order, ../shared/data/usgs, or the repo's own series
# fixtures where that is absent) into `sismos`, and `sismo alerts` consumes it.
# Must hold afterwards:
#  - the topic holds exactly what the independent ingest model expects (new events,
#    revisions, tombstones for re-issued ids);
#  - alertas.log holds exactly the alerts the independently written rules
#    (tests/tools/alerts_check.py) derive from those messages: every event with magnitude
#    >= 4.5 alerted once, revisions as ACTUALIZACION only when magnitude/PAGER changed,
#    re-issued events not alerted twice, tombstones and null magnitudes never;
#  - a second alerts run in a new group (re-reading everything) with the same log writes
#    nothing new.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
. "$(dirname "$0")/lib-alerts.sh"
files=()
if [ -d "$SHARED/data/usgs" ]; then
    for f in "${ALERTS_FEEDS[@]}"; do files+=("$SHARED/data/usgs/$f.geojson"); done
else
    say "recorded USGS data absent: using the repo's series fixtures"
    files=("$FIX/series-1.geojson" "$FIX/series-2.geojson" "$FIX/series-3.geojson")
fi
topic=$(uniq sismos)
start_broker "$topic:3"

"$SISMO" ingest -b "$BOOTSTRAP" --topic "$topic" --state-dir "$T_DIR/ingest" --interval 10ms \
    "${files[@]}" > "$T_DIR/ingest.out" 2> "$T_DIR/ingest.err" || fail "ingest failed"
check_topic "$topic" "${files[@]}"
n=$(topic_count "$topic")
say "ingest published $n messages from ${#files[@]} files"

# The messages as the broker holds them (key<TAB>value, empty value = tombstone).
kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -q -f '%k\t%s\n' > "$T_DIR/topic.tsv"
assert_eq "$(lines "$T_DIR/topic.tsv")" "$n" "messages read back with kcat"

log=$T_DIR/alertas.log
run_alerts() { # GROUP: runs until the log stops growing for 3 s after partitions are assigned
    bg alerts "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$(uniq "$1")" \
        --log "$log" --no-color "${GROUP_OPTS[@]}"
    wait_until 30 grep -q "assigned [1-9]" "$T_DIR/alerts.err"
    local prev=-1 cur
    while cur=$(lines "$log"); [ "$cur" != "$prev" ]; do prev=$cur; sleep 3; done
    kill -TERM "${PIDS[alerts]}"; wait "${PIDS[alerts]}" || fail "alerts exit status"
    unset "PIDS[alerts]"
}
run_alerts g1
check_alerts --messages "$T_DIR/topic.tsv" --log "$log"
alerts=$(lines "$log")
[ "$alerts" -gt 0 ] || fail "no alerts at all"
say "$alerts alert lines"
# A new group re-reads the whole topic: the log, not the offsets, keeps alerts single.
run_alerts g2
assert_eq "$(lines "$log")" "$alerts" "alert lines after a second group re-read everything"
