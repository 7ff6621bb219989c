#!/usr/bin/env bash
# 0501: `sismo produce` then `sismo consume` round-trip 10 messages through a broker on
# 127.0.0.1; every field of every message is checked.
# Must hold afterwards: 10 delivery reports with distinct (partition, offset), exit 0; the
# consumer prints exactly those 10 messages, key == id, texto == "Mensaje de prueba <id>",
# timestamp ISO-8601 UTC with milliseconds and Z, each id 0..9 once.
. "$(dirname "$0")/lib.sh"
topic=$(uniq mensajes-test)
start_broker "$topic:3"

"$SISMO" produce -b "$BOOTSTRAP" --topic "$topic" > "$T_DIR/produce.out" 2> "$T_DIR/produce.err"
grep -q '^10 delivered, 0 failed$' "$T_DIR/produce.err" || fail "produce summary missing"
assert_eq "$(grep -c "^delivered: topic=$topic partition=[0-2] offset=[0-9]* key=[0-9]$" "$T_DIR/produce.out")" 10 "delivery lines"
assert_eq "$(sed 's/.* partition=\([0-9]*\) offset=\([0-9]*\).*/\1:\2/' "$T_DIR/produce.out" | sort -u | wc -l)" 10 "distinct partition:offset"

"$SISMO" consume -b "$BOOTSTRAP" --topic "$topic" --group "$(uniq g)" --max 10 > "$T_DIR/consume.out" 2> "$T_DIR/consume.err"
$PY - "$T_DIR/produce.out" "$T_DIR/consume.out" <<'PY'
import json, re, sys
produced = {}
for line in open(sys.argv[1]):
    m = re.match(r"delivered: topic=\S+ partition=(\d+) offset=(\d+) key=(\d+)$", line.strip())
    produced[m.group(3)] = (int(m.group(1)), int(m.group(2)))
seen = set()
for line in open(sys.argv[2]):
    m = re.match(r"partition=(\d+) offset=(\d+) key=(\S+) value=(.*)$", line.rstrip("\n"))
    assert m, f"bad consume line: {line!r}"
    part, off, key, value = int(m.group(1)), int(m.group(2)), m.group(3), json.loads(m.group(4))
    assert set(value) == {"id", "texto", "timestamp"}, value
    assert key == str(value["id"]), (key, value)
    assert value["texto"] == f"Mensaje de prueba {value['id']}", value
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value["timestamp"]), value
    assert produced[key] == (part, off), (key, produced[key], part, off)
    assert key not in seen, f"duplicate {key}"
    seen.add(key)
assert seen == {str(i) for i in range(10)}, seen
print("10 messages verified")
PY
grep -q '^10 messages consumed$' "$T_DIR/consume.err" || fail "consume summary missing"

# --count and a second run append, offsets keep growing.
"$SISMO" produce -b "$BOOTSTRAP" --topic "$topic" --count 3 > "$T_DIR/produce2.out" 2>/dev/null
assert_eq "$(wc -l < "$T_DIR/produce2.out")" 3 "--count 3 deliveries"
