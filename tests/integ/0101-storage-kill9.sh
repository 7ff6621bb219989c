#!/usr/bin/env bash
# 0101: kill -9 during appends with fsync=always, 25 times (KILL9_ITERATIONS to change).
# After every kill, reopening the log (which recovers it) must show: every acknowledged
# batch present at its acknowledged offset with its sequence number, no sequence number
# twice (no duplicate), offsets contiguous from 0, every batch's CRC valid. Every 5th
# iteration also tears the active segment by hand (random bytes appended, as a torn write
# leaves them), which recovery must cut off - and the log must say so.
# brokers: mock
. "$(dirname "$0")/lib.sh"
ST=$TOOLS/stortool
[ -x "$ST" ] || fail "$ST is not built (make)"
dir=$T_DIR/log
iters=${KILL9_ITERATIONS:-25}
acks=()
torn=0
for i in $(seq 1 "$iters"); do
    bg "w$i" "$ST" append "$dir" --fsync always --segment-bytes 2000000 --max-size 20000 --seed "$i"
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.05 + (r % 25) / 100 }')"
    kill -9 "${PIDS[w$i]}" 2>/dev/null || true
    wait "${PIDS[w$i]}" 2>/dev/null || true
    unset "PIDS[w$i]"
    grep -q . "$T_DIR/w$i.err" && grep -v 'storage:' "$T_DIR/w$i.err" | grep -q . &&
        fail "iteration $i: writer error: $(head -3 "$T_DIR/w$i.err")"
    acks+=("$T_DIR/w$i.out")
    if [ $((i % 5)) = 0 ]; then
        active=$(ls "$dir"/*.log | tail -1)
        head -c $((RANDOM % 3000 + 1)) /dev/urandom >> "$active"
        torn=$((torn + 1))
    fi
    if ! "$ST" verify "$dir" "${acks[@]}" > "$T_DIR/verify.$i.out" 2> "$T_DIR/verify.$i.err"; then
        cat "$T_DIR/verify.$i.out" "$T_DIR/verify.$i.err"
        fail "iteration $i: verify failed"
    fi
    say "iteration $i: $(cat "$T_DIR/verify.$i.out") ($(grep -c '^ack ' "$T_DIR/w$i.out") acks this run)"
done
total=$(cat "${acks[@]}" | grep -c '^ack ' || true)
[ "$total" -ge "$iters" ] || fail "only $total batches acknowledged in $iters runs"
cuts=$(cat "$T_DIR"/verify.*.err "$T_DIR"/w*.err | grep -c 'truncating' || true)
[ "$cuts" -ge "$torn" ] || fail "recovery reported $cuts truncations, expected at least $torn"
say "$total acknowledged batches over $iters kills, $cuts torn tails cut, none lost"
