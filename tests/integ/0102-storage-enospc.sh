#!/usr/bin/env bash
# 0102: a real full disk (a 2 MiB tmpfs): appends with fsync=always run until the file
# system refuses one (ENOSPC, possibly after a short write). What must hold afterwards: the
# failed append left nothing (log end offset unchanged, segment files exactly as long as
# the valid data), every acknowledged batch is intact, and once space is freed the same log
# accepts appends again and continues with contiguous offsets.
# Needs root (mount); skips otherwise - the unit tests cover the same paths with injected
# faults (test_stor_log, test_stor_offsets, test_stor_meta).
# brokers: mock
. "$(dirname "$0")/lib.sh"
ST=$TOOLS/stortool
[ -x "$ST" ] || fail "$ST is not built (make)"
mnt=$T_DIR/mnt
mkdir -p "$mnt"
[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
mount -t tmpfs -o size=2m sismo-enospc "$mnt" 2>/dev/null || skip "cannot mount tmpfs here"
trap 'rc=$?; umount -l "$mnt" 2>/dev/null; (exit $rc); cleanup' EXIT

head -c 300000 /dev/zero > "$mnt/ballast"
"$ST" fill "$mnt/log" --fsync always --max-size 60000 --seed 7 > "$T_DIR/fill.out" 2> "$T_DIR/fill.err" ||
    fail "fill: $(cat "$T_DIR/fill.err")"
grep -q '^full ' "$T_DIR/fill.out" || fail "the disk never filled up"
grep '^full ' "$T_DIR/fill.out" | grep -q 'No space left on device' || fail "unexpected error: $(grep '^full' "$T_DIR/fill.out")"
acked=$(grep -c '^ack ' "$T_DIR/fill.out")
[ "$acked" -gt 10 ] || fail "only $acked appends before the disk was full"
say "disk full after $acked appends: $(grep '^full ' "$T_DIR/fill.out")"
"$ST" verify "$mnt/log" "$T_DIR/fill.out" > "$T_DIR/v1.out" 2> "$T_DIR/v1.err" ||
    fail "after ENOSPC: $(cat "$T_DIR/v1.out" "$T_DIR/v1.err")"
say "after ENOSPC: $(cat "$T_DIR/v1.out")"
end1=$(sed -n 's/.* end=\([0-9]*\).*/\1/p' "$T_DIR/v1.out")

# Still full: another attempt fails the same clean way.
"$ST" fill "$mnt/log" --fsync always --size 100000 --count 3 > "$T_DIR/fill2.out" 2>&1 || fail "second fill: $(cat "$T_DIR/fill2.out")"
grep -q "^full $end1 " "$T_DIR/fill2.out" || fail "a second failed append moved the end offset: $(cat "$T_DIR/fill2.out")"

# Free space: the same log takes appends again, offsets continue.
rm "$mnt/ballast"
"$ST" append "$mnt/log" --fsync always --size 1000 --count 20 > "$T_DIR/more.out" 2> "$T_DIR/more.err" ||
    fail "append after freeing space: $(cat "$T_DIR/more.err")"
first=$(head -1 "$T_DIR/more.out" | awk '{print $2}')
assert_eq "$first" "$end1" "first offset after the disk was freed"
"$ST" verify "$mnt/log" "$T_DIR/fill.out" "$T_DIR/more.out" > "$T_DIR/v2.out" 2> "$T_DIR/v2.err" ||
    fail "after freeing space: $(cat "$T_DIR/v2.out" "$T_DIR/v2.err")"
say "after freeing space: $(cat "$T_DIR/v2.out")"
