#!/usr/bin/env bash
# 0352: `sismo stats` state survives kill -9. 3,000 synthetic messages (sismo simulate,
# 15% revisions/deletions/re-issues, 2-minute jitter) arrive in four parts A, B, C, D:
#   run 1 (snapshots every 300 ms) reads A and B, is killed with -9 after its snapshot
#   covers B; run 2 (snapshots only hourly) restarts from that snapshot, reads C, is killed
#   with -9 before any snapshot; run 3 restarts from the same snapshot, re-reads C, reads D
#   until caught up and stops cleanly.
# Must hold afterwards: runs 2 and 3 resume at the snapshot's offset 1500; run 3's record
# counter is exactly 3000 (C processed once into the final state, never twice); every window
# published (last message per key) equals the independent model over A+B+C+D; the batch
# counter continues across restarts; a corrupt snapshot is refused with exit 1 and left
# untouched.
. "$(dirname "$0")/lib.sh"
in=$(uniq sismos) out=$(uniq sismos-stats) group=$(uniq sismo-stats)
start_broker "$in:1" "$out:1"
model=$ROOT/tests/tools/stats_model.py
"$SISMO" simulate --seed 7 --count 3000 --start 2025-12-06T20:00:00.000Z --event-rate 2 \
    --revisions 0.15 --jitter 2m > "$T_DIR/all.tsv"
split -l 750 -d -a 1 "$T_DIR/all.tsv" "$T_DIR/part"
for i in 0 1 2 3; do mv "$T_DIR/part$i" "$T_DIR/part$i.tsv"; done
produce() { $PY "$model" produce "$BOOTSTRAP" "$in" "$T_DIR/part$1.tsv" 2>/dev/null; }
snap_at() { $PY "$model" snapinfo "$T_DIR/state" 2>/dev/null | grep -q "positions=$in:0:$1\$"; }
# An array, not a function: `bg` must start sismo itself so that kill -9 reaches it.
stats=("$SISMO" stats -b "$BOOTSTRAP" --topic "$in" --output-topic "$out" --group "$group"
       --state "$T_DIR/state" "${GROUP_OPTS[@]}")

produce 0
bg run1 "${stats[@]}" --snapshot-interval 300ms
wait_until 30 snap_at 750
produce 1
wait_until 30 snap_at 1500
kill -9 "${PIDS[run1]}"; wait "${PIDS[run1]}" 2>/dev/null || true
say "run 1 killed after its snapshot at offset 1500"

produce 2
bg run2 "${stats[@]}" --snapshot-interval 1h
wait_until 60 grep -q '| records: 2250 |' "$T_DIR/run2.out"
kill -9 "${PIDS[run2]}"; wait "${PIDS[run2]}" 2>/dev/null || true
snap_at 1500 || fail "run 2 must not have written a snapshot"
grep -q "resuming at offset 1500 (snapshot)" "$T_DIR/run2.err" || fail "run 2 did not resume at 1500"
say "run 2 killed after processing C, snapshot still at 1500"

produce 3
"${stats[@]}" --until-caught-up > "$T_DIR/run3.out" 2> "$T_DIR/run3.err" || fail "run 3 exited $?"
grep -q "resuming at offset 1500 (snapshot)" "$T_DIR/run3.err" || fail "run 3 did not resume at 1500"
grep -q ' 1500 records in ' "$T_DIR/run3.err" || fail "run 3 must read exactly C and D again"
snap_at 3000 || fail "final snapshot not at 3000"
$PY "$model" snapinfo "$T_DIR/state" | grep -q '^records=3000 ' || fail "records counted twice"
tail -3 "$T_DIR/run3.out" | grep -q '| records: 3000 |' || fail "console record count is not 3000"
first=$(sed -n 's/^Batch: //p' "$T_DIR/run1.out" | tail -1)
again=$(sed -n 's/^Batch: //p' "$T_DIR/run3.out" | head -1)
[ "$again" -gt "$first" ] || fail "batch counter restarted ($first then $again)"
$PY "$model" check "$BOOTSTRAP" "$out" "$T_DIR"/part{0,1,2,3}.tsv ||
    fail "windows after two kill -9 differ from the model"

# A corrupt snapshot is refused, with the reason, and not touched.
cp "$T_DIR/state" "$T_DIR/bad.state"
printf 'X' | dd of="$T_DIR/bad.state" bs=1 seek=170 conv=notrunc 2>/dev/null
sum=$(md5sum < "$T_DIR/bad.state")
rc=0; "$SISMO" stats -b "$BOOTSTRAP" --topic "$in" --state "$T_DIR/bad.state" 2> "$T_DIR/bad.err" || rc=$?
assert_eq "$rc" 1 "exit code with a corrupt snapshot"
grep -q "is corrupt (checksum mismatch)" "$T_DIR/bad.err" || fail "no reason given"
assert_eq "$(md5sum < "$T_DIR/bad.state")" "$sum" "corrupt snapshot modified"
