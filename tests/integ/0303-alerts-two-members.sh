#!/usr/bin/env bash
# 0303: two `sismo alerts` processes in one consumer group share the 3 partitions of `sismos`.
# Data: recorded revision pair A and series B, the M4.5 week, the significant month and
# tests/fixtures/alerts/revisions.tsv (whose re-issued event has its old and new keys on
# partitions of different members); without ../shared, `sismo simulate` messages with
# revisions, deletions and re-issued ids take the recorded feeds' place.
# Part 1, one log per member: both get partitions; the logs hold disjoint partitions; their
# union is what tests/tools/alerts_check.py expects, every event alerted once - except the
# re-issued event across members, alerted once by each member (documented limitation of
# separate logs, checked as such with --separate-logs); both exit 0 on SIGTERM.
# Part 2, one shared log: exactly once for every event, including that one, and across a
# rebalance in the middle (one member stops, the other takes over its partitions and
# receives revisions of events the first one alerted).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-alerts.sh"
start_broker "$(uniq sismos1):3" "$(uniq sismos2):3"

last_assigned() { grep 'assigned [0-9]* partitions' "$1" | tail -1 | awk '{print $(NF-1)}'; }
split_done() { # both members hold partitions, 3 in total
    local a b; a=$(last_assigned "$T_DIR/$1.err"); b=$(last_assigned "$T_DIR/$2.err")
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -ge 1 ] && [ "$b" -ge 1 ] && [ $((a + b)) = 3 ]
}
member() { # NAME TOPIC GROUP LOG
    bg "$1" "$SISMO" alerts -b "$BOOTSTRAP" --topic "$2" --group "$3" --log "$4" "${ALERTS_GROUP_OPTS[@]}"
}
stop() {
    kill -TERM "${PIDS[$1]}"; local rc=0; wait "${PIDS[$1]}" || rc=$?; unset "PIDS[$1]"
    assert_eq "$rc" 0 "exit status of member $1"
}
tsv() { local f; for f in "$@"; do $PY "$ROOT/tests/tools/usgs2sismos.py" "$SHARED/data/usgs/$f.geojson"; done; }
if [ -d "$SHARED/data/usgs" ]; then
    src1() { tsv all_day-2014-04-14T1152Z all_week-2014-04-15T1214Z significant_month-2019-10-26T1649Z \
        4.5_week-2020-10-10T1643Z 2.5_day-2025-12-06T2319Z 2.5_day-2025-12-07T0159Z \
        2.5_day-2025-12-07T0340Z; }
    src2() { tsv all_day-2014-04-14T1152Z 4.5_week-2020-10-10T1643Z 2.5_day-2025-12-06T2319Z; }
    src3() { tsv all_week-2014-04-15T1214Z 2.5_day-2025-12-07T0159Z 2.5_day-2025-12-07T0340Z; }
else
    say "no recorded feeds at $SHARED/data/usgs: synthetic messages instead"
    sim() { "$SISMO" simulate --seed "$1" --count 3000 --revisions 0.1 --start 2025-12-01T00:00:00.000Z; }
    sim 21 > "$T_DIR/sim1.tsv"; sim 22 > "$T_DIR/sim2.tsv"
    src1() { cat "$T_DIR/sim1.tsv"; }
    src2() { head -n 1500 "$T_DIR/sim2.tsv"; }
    src3() { tail -n +1501 "$T_DIR/sim2.tsv"; } # revises events of src2 that were alerted
fi
parts() { $PY -c 'import json,sys; print(" ".join(sorted({str(json.loads(l)["particion"]) for l in open(sys.argv[1])})))' "$1"; }

# ---- part 1: one log per member
topic=$(uniq sismos1); group=$(uniq g-pair1)
member a "$topic" "$group" "$T_DIR/a.log"
wait_until 30 grep -q 'assigned 3 partitions' "$T_DIR/a.err"
member b "$topic" "$group" "$T_DIR/b.log"
wait_until 30 split_done a b
say "part 1: partitions split a=$(last_assigned "$T_DIR/a.err") b=$(last_assigned "$T_DIR/b.err")"
src1 > "$T_DIR/m1.tsv"
cat "$FIXTURES/revisions.tsv" >> "$T_DIR/m1.tsv"
produce_tsv "$topic" "$T_DIR/m1.tsv"
produce_sentinels "$topic" 3 "$T_DIR/m1.tsv"
wait_until 60 sentinels_in 3 "$T_DIR/a.log" "$T_DIR/b.log"
split_done a b || fail "the group rebalanced while alerting"
stop a; stop b
check_alerts --separate-logs --messages "$T_DIR/m1.tsv" --log "$T_DIR/a.log" --log "$T_DIR/b.log"
pa=$(parts "$T_DIR/a.log"); pb=$(parts "$T_DIR/b.log")
say "a alerted from partitions [$pa] ($(wc -l < "$T_DIR/a.log") lines), b from [$pb] ($(wc -l < "$T_DIR/b.log") lines)"
[ -n "$pa" ] && [ -n "$pb" ] || fail "one member alerted nothing"
for p in $pa; do [[ " $pb " != *" $p "* ]] || fail "partition $p alerted by both members"; done
# The re-issued fixture event really was split across the members (its two keys hash to
# partitions 2 and 1, which the range assignor never gives to one member of two): each one
# alerted it under the id it received. Part 2 relies on this to test the shared log.
old_in=$(grep -l '"id":"ak2024fxold"' "$T_DIR/a.log" "$T_DIR/b.log" || true)
new_in=$(grep -l '"id":"us2024fxnew"' "$T_DIR/a.log" "$T_DIR/b.log" || true)
[ -n "$old_in" ] && [ -n "$new_in" ] && [ "$old_in" != "$new_in" ] ||
    fail "the re-issued fixture event was not split across the members: old id in '$old_in', new id in '$new_in'"

# ---- part 2: one shared log, and a rebalance half-way
topic=$(uniq sismos2); group=$(uniq g-pair2); log=$T_DIR/shared.log
member c "$topic" "$group" "$log"
wait_until 30 grep -q 'assigned 3 partitions' "$T_DIR/c.err"
member d "$topic" "$group" "$log"
wait_until 30 split_done c d
src2 > "$T_DIR/m2.tsv"
cat "$FIXTURES/revisions.tsv" >> "$T_DIR/m2.tsv"
produce_tsv "$topic" "$T_DIR/m2.tsv"
produce_sentinels "$topic" 3 "$T_DIR/m2.tsv"
wait_until 60 sentinels_in 3 "$log"
stop c   # d takes over c's partitions
wait_until 30 grep -q 'assigned 3 partitions' "$T_DIR/d.err"   # d never had all 3 before
src3 > "$T_DIR/m3.tsv"
produce_tsv "$topic" "$T_DIR/m3.tsv"
cat "$T_DIR/m3.tsv" >> "$T_DIR/m2.tsv"
produce_sentinels "$topic" 3 "$T_DIR/m2.tsv"
wait_until 60 sentinels_in 6 "$log"
stop d
check_alerts --messages "$T_DIR/m2.tsv" --log "$log"
n=$(grep -c '"aviso":"ACTUALIZACION"' "$log" || true)
say "part 2: $(wc -l < "$log") lines in the shared log, $n updates"
