#!/usr/bin/env bash
# 0502: Ctrl-C (SIGINT) and SIGTERM on `sismo consume` exit 0 within 2 s, with the group's
# offsets committed: a second run with the same group reads nothing old.
. "$(dirname "$0")/lib.sh"
topic=$(uniq mensajes-test)
start_broker "$topic:3"

for sig in INT TERM; do
    group=$(uniq "g-$sig")
    "$SISMO" produce -b "$BOOTSTRAP" --topic "$topic" > /dev/null 2>&1
    bg "consume-$sig" "$SISMO" consume -b "$BOOTSTRAP" --topic "$topic" --group "$group" "${GROUP_OPTS[@]}"
    pid=${PIDS[consume-$sig]}
    # All messages so far (10 per round) must be printed before the signal.
    [ $sig = INT ] && want=10 || want=20
    wait_until 20 has_lines "$T_DIR/consume-$sig.out" $want
    t0=$(date +%s%N)
    kill -$sig "$pid"
    rc=0; wait "$pid" || rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    unset "PIDS[consume-$sig]"
    say "SIG$sig: exit $rc after ${ms} ms"
    assert_eq "$rc" 0 "exit code after SIG$sig"
    [ $ms -lt 2000 ] || fail "SIG$sig took ${ms} ms to exit (limit 2000)"
    assert_eq "$(wc -l < "$T_DIR/consume-$sig.out")" $want "messages printed before SIG$sig"
    # Same group again: nothing old is delivered.
    "$SISMO" consume -b "$BOOTSTRAP" --topic "$topic" --group "$group" "${GROUP_OPTS[@]}" --idle-timeout 3s \
        > "$T_DIR/again-$sig.out" 2> "$T_DIR/again-$sig.err"
    assert_eq "$(wc -l < "$T_DIR/again-$sig.out")" 0 "messages re-read by group $group after SIG$sig"
done

# --from-beginning ignores the committed offsets of the same group.
"$SISMO" consume -b "$BOOTSTRAP" --topic "$topic" --group "$(uniq g-TERM)" "${GROUP_OPTS[@]}" --from-beginning --max 20 \
    > "$T_DIR/fb.out" 2>/dev/null
assert_eq "$(wc -l < "$T_DIR/fb.out")" 20 "--from-beginning re-reads everything"

# A consumer with nothing to read (its group has committed everything) stops promptly.
bg idle "$SISMO" consume -b "$BOOTSTRAP" --topic "$topic" --group "$(uniq g-TERM)" "${GROUP_OPTS[@]}"
sleep 8   # let it join the group (the mock cluster delays a rejoin by up to 5 s)
assert_eq "$(lines "$T_DIR/idle.out")" 0 "messages printed by the idle consumer"
t0=$(date +%s%N); kill -INT "${PIDS[idle]}"; rc=0; wait "${PIDS[idle]}" || rc=$?; unset "PIDS[idle]"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "$rc" 0 "idle consumer exit code"
[ $ms -lt 2000 ] || fail "idle consumer took ${ms} ms to exit"
