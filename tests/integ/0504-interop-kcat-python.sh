#!/usr/bin/env bash
# 0504: interoperability. Messages from `sismo produce` are read by kcat and by
# python3-confluent-kafka; messages from kcat and from python3-confluent-kafka are read by
# `sismo consume`. Keys and values must arrive byte for byte.
. "$(dirname "$0")/lib.sh"
command -v kcat >/dev/null || fail "kcat is not installed (scripts/deps.sh installs it)"
t1=$(uniq interop-a) t2=$(uniq interop-b)
start_broker "$t1:3" "$t2:3"

"$SISMO" produce -b "$BOOTSTRAP" --topic "$t1" > /dev/null 2>&1
kcat -b "$BOOTSTRAP" -C -t "$t1" -o beginning -e -q -f '%k\t%s\n' > "$T_DIR/kcat.out" 2> "$T_DIR/kcat.err"
assert_eq "$(wc -l < "$T_DIR/kcat.out")" 10 "messages read by kcat"
$PY - "$BOOTSTRAP" "$t1" "$(uniq pyg)" "$T_DIR/kcat.out" <<'PY'
import json, sys
from confluent_kafka import Consumer
bootstrap, topic, group, kcat_out = sys.argv[1:]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"})
c.subscribe([topic])
got = {}
import time
deadline = time.time() + 30
while len(got) < 10 and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    v = json.loads(m.value())
    assert m.key().decode() == str(v["id"]) and v["texto"] == f"Mensaje de prueba {v['id']}"
    got[m.key().decode()] = m.value().decode()
c.close()
assert sorted(got) == [str(i) for i in range(10)], got
for line in open(kcat_out):
    k, v = line.rstrip("\n").split("\t", 1)
    assert got[k] == v, (k, got[k], v)
print("python3-confluent-kafka read the 10 messages sismo produced; kcat agrees")
PY

# kcat -> sismo consume (keys given with -K)
printf 'k1\t{"from":"kcat","n":1}\nk2\t{"from":"kcat","n":2}\n' | kcat -b "$BOOTSTRAP" -P -t "$t2" -K '	'
# python3-confluent-kafka -> sismo consume, including a null key and a UTF-8 value
$PY - "$BOOTSTRAP" "$t2" <<'PY'
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1]})
p.produce(sys.argv[2], key=b"p1", value='{"from":"python","lugar":"Pāhala"}'.encode())
p.produce(sys.argv[2], value=b"no key")
assert p.flush(10) == 0
PY
"$SISMO" consume -b "$BOOTSTRAP" --topic "$t2" --group "$(uniq g2)" --max 4 > "$T_DIR/c2.out" 2>/dev/null
sed 's/^partition=[0-9]* offset=[0-9]* //' "$T_DIR/c2.out" | sort > "$T_DIR/c2.sorted"
cat > "$T_DIR/c2.expected" <<'EXP'
key=(null) value=no key
key=k1 value={"from":"kcat","n":1}
key=k2 value={"from":"kcat","n":2}
key=p1 value={"from":"python","lugar":"Pāhala"}
EXP
sort -o "$T_DIR/c2.expected" "$T_DIR/c2.expected"
diff -u "$T_DIR/c2.expected" "$T_DIR/c2.sorted" || fail "sismo consume output differs"
