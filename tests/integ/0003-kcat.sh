#!/usr/bin/env bash
# 0003: kcat (librdkafka) as an independent client: metadata listing, keyed produce to
# chosen partitions, consume with offsets, a consumer group, offset query by timestamp.
# Must hold afterwards: `kcat -L` lists the broker and the topic with its 3 partitions;
# every produced key/value pair is consumed back at its partition and offset, in order;
# the kcat group consumer reads all 30 messages once; -Q by timestamp finds offset 0 (not
# on the mock cluster, which implements no time lookup).
. "$(dirname "$0")/lib.sh"
command -v kcat >/dev/null || fail "kcat is not installed (scripts/deps.sh installs it)"
topic=$(uniq kcat)
start_broker "$topic:3"

kcat -b "$BOOTSTRAP" -L -t "$topic" > "$T_DIR/md.out"
grep -q "^ 1 brokers:" "$T_DIR/md.out" || fail "kcat -L: broker count"
grep -q "topic \"$topic\" with 3 partitions:" "$T_DIR/md.out" || fail "kcat -L: topic"
[ "$(grep -c 'partition [0-2], leader' "$T_DIR/md.out")" = 3 ] || fail "kcat -L: partitions"

t0=$(( $(date +%s) * 1000 - 1000 ))
for p in 0 1 2; do
    for i in $(seq 1 10); do printf 'key-%s-%s\tvalue %s/%s\n' "$p" "$i" "$p" "$i"; done |
        kcat -b "$BOOTSTRAP" -P -t "$topic" -p "$p" -K '	' -X acks=all
done
for p in 0 1 2; do
    kcat -b "$BOOTSTRAP" -C -t "$topic" -p "$p" -o beginning -e -q -f '%p %o %k %s\n' > "$T_DIR/c$p.out"
    for i in $(seq 1 10); do echo "$p $((i - 1)) key-$p-$i value $p/$i"; done | diff - "$T_DIR/c$p.out" ||
        fail "partition $p differs"
done
say "30 messages read back at their partitions and offsets"

timeout 30 kcat -b "$BOOTSTRAP" -G "$(uniq kg)" "${GROUP_OPTS[@]}" -X auto.offset.reset=earliest \
    -e -q -f '%k\n' "$topic" > "$T_DIR/group.out" 2> "$T_DIR/group.err" || true
assert_eq "$(sort -u "$T_DIR/group.out" | wc -l)" 30 "distinct keys read by the kcat group"
assert_eq "$(wc -l < "$T_DIR/group.out")" 30 "messages read by the kcat group"

# librdkafka's mock cluster answers -1 to every time lookup; only real brokers are asked.
[ "$SISMO_TEST_BROKER" = mock ] && exit 0
kcat -b "$BOOTSTRAP" -Q -t "$topic:0:$t0" > "$T_DIR/q.out"
grep -q "^$topic \[0\] offset 0$" "$T_DIR/q.out" || { cat "$T_DIR/q.out"; fail "offset by timestamp"; }
