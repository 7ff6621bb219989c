#!/usr/bin/env bash
# 0354: command lines of `sismo stats` and `sismo simulate`.
# Must hold afterwards: bad options exit 2 with a message naming the problem; --help exits 0
# and documents the options; an unreachable broker makes stats exit 1 within its
# --connect-timeout; a snapshot taken with other window options is refused (exit 1, the
# message names both option sets and --reset-state, the file is untouched) and
# --reset-state rebuilds; simulate is deterministic for a seed, every printed value is a
# valid `sismos` record (checked in Python) with key == id, and --rate paces the output;
# bad records (invalid JSON, a missing field, a 2000-byte key, a keyless tombstone) are
# skipped with a warning naming partition and offset, counted as invalid (4), and the good
# record after them is still counted. The consumer properties of -X reach stats' producer
# without a librdkafka configuration warning.
. "$(dirname "$0")/lib.sh"
usage() { # usage EXPECTED-MESSAGE ARGS...
    local msg=$1; shift
    local rc=0
    "$SISMO" "$@" > "$T_DIR/u.out" 2> "$T_DIR/u.err" || rc=$?
    assert_eq "$rc" 2 "exit code of: sismo $*"
    grep -q -- "$msg" "$T_DIR/u.err" || fail "sismo $*: expected '$msg' in: $(cat "$T_DIR/u.err")"
}
usage "expects a duration" stats --window 5x
usage "slide must be positive and at most the window length" stats --window 5m --slide 10m
usage "at most 64" stats --window 1h --slide 10s
usage "accepts only 'region'" stats --by country
usage "must be 'update' or 'append'" stats --output-mode complete
usage "unknown option '--nope'" stats --nope
usage "revisions in \[0, 1\]" simulate --revisions 2
usage "needs a --rate" simulate --count 0
usage "ISO-8601 time or 'now'" simulate --start yesterday

"$SISMO" stats --help > "$T_DIR/help.out"
for o in --window --slide --watermark --by --output-mode --trigger --state --reset-state \
         --snapshot-interval --until-caught-up --max-events --output-topic; do
    grep -q -- "$o" "$T_DIR/help.out" || fail "stats --help does not document $o"
done
"$SISMO" simulate --help | grep -q -- "--revisions FRACTION" || fail "simulate --help"

# Unreachable broker: exit 1, bounded.
port=$(free_port)
start=$(date +%s)
rc=0; "$SISMO" stats -b "127.0.0.1:$port" --connect-timeout 2s --no-state 2> "$T_DIR/down.err" || rc=$?
assert_eq "$rc" 1 "exit code with no broker"
grep -q "cannot reach Kafka at '127.0.0.1:$port' within 2.0s" "$T_DIR/down.err" || fail "no reason given"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "took too long to give up"

# Snapshot of another configuration.
in=$(uniq sismos) out=$(uniq sismos-stats) bad=$(uniq bad) badout=$(uniq bad-stats)
start_broker "$in:1" "$out:1" "$bad:1" "$badout:1"
"$SISMO" simulate --seed 3 --count 50 --start 2025-12-06T20:00:00.000Z > "$T_DIR/sim.tsv"
$PY "$ROOT/tests/tools/stats_model.py" produce "$BOOTSTRAP" "$in" "$T_DIR/sim.tsv" 2>/dev/null
st=("$SISMO" stats -b "$BOOTSTRAP" --topic "$in" --output-topic "$out" --group "$(uniq g)"
    --state "$T_DIR/s.state" --until-caught-up -q "${GROUP_OPTS[@]}")
"${st[@]}" 2> "$T_DIR/s1.err" || fail "first stats run failed"
# GROUP_OPTS are consumer properties; stats' producer gets them too, without a warning.
grep -q CONFWARN "$T_DIR/s1.err" && fail "librdkafka configuration warning: $(grep CONFWARN "$T_DIR/s1.err")"
sum=$(md5sum < "$T_DIR/s.state")
rc=0; "${st[@]}" --window 10m 2> "$T_DIR/s2.err" || rc=$?
assert_eq "$rc" 1 "exit code with a snapshot of other options"
grep -q "was taken with --window 300000ms.*now --window 600000ms.*--reset-state" "$T_DIR/s2.err" ||
    fail "mismatch not explained: $(cat "$T_DIR/s2.err")"
assert_eq "$(md5sum < "$T_DIR/s.state")" "$sum" "snapshot modified by the refused run"
"${st[@]}" --window 10m --reset-state 2> "$T_DIR/s3.err" || fail "--reset-state run failed"
grep -q " 50 records in " "$T_DIR/s3.err" || fail "--reset-state did not re-read all 50 records"

# Bad input: reported, counted, skipped; nothing else lost.
"$SISMO" simulate --seed 4 --count 1 --start 2025-12-06T20:00:00.000Z > "$T_DIR/good.tsv"
$PY - "$BOOTSTRAP" "$bad" "$T_DIR/good.tsv" <<'PY'
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1]})
t = sys.argv[2]
p.produce(t, key=b"x1", value=b'{"id":"x1","magnitud":')
p.produce(t, key=b"x2", value=b'{"id":"x2","latitud":1,"longitud":2}')
p.produce(t, key=b"k" * 2000, value=b'{"id":"k","latitud":1,"longitud":2,"timestamp":"2025-12-06T20:00:00Z"}')
p.produce(t, key=None, value=None)
key, value = open(sys.argv[3]).read().rstrip("\n").split("\t")
p.produce(t, key=key.encode(), value=value.encode())
assert p.flush(10) == 0
PY
"$SISMO" stats -b "$BOOTSTRAP" --topic "$bad" --output-topic "$badout" --group "$(uniq gb)" \
    --no-state --watermark 36500d --until-caught-up > "$T_DIR/bad.out" 2> "$T_DIR/bad.err" ||
    fail "stats exited non-zero on bad input"
grep -q "skipping record $bad \[0\] offset 0: invalid JSON at byte" "$T_DIR/bad.err" ||
    fail "bad JSON not reported with its position"
grep -q ' 5 records in .*invalid 4$' "$T_DIR/bad.err" || fail "bad records not counted: $(tail -1 "$T_DIR/bad.err")"
grep -q '^|{2025-12-06 20:00:00, 2025-12-06 20:05:00}|       1|' "$T_DIR/bad.out" ||
    fail "the good record was not counted"

# simulate: deterministic, valid records, paced.
"$SISMO" simulate --seed 3 --count 50 --start 2025-12-06T20:00:00.000Z | cmp - "$T_DIR/sim.tsv" ||
    fail "same seed, different output"
"$SISMO" simulate --seed 9 --count 3000 --revisions 0.2 > "$T_DIR/rev.tsv"
$PY - "$T_DIR/rev.tsv" <<'PY'
import json, re, sys
iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
n = tombs = 0
for line in open(sys.argv[1], encoding="utf-8"):
    key, value = line.rstrip("\n").split("\t")
    n += 1
    if value == "null":
        tombs += 1
        continue
    v = json.loads(value)
    assert v["id"] == key and key in v["ids"], line
    assert isinstance(v["magnitud"], float) or isinstance(v["magnitud"], int), line
    assert -90 <= v["latitud"] <= 90 and -180 <= v["longitud"] <= 180, line
    assert iso.match(v["timestamp"]) and iso.match(v["actualizado"]), line
    assert re.match(r"\d+ km [NSEW]{1,3} of .+, .+", v["lugar"]), v["lugar"]
assert n == 3000 and tombs > 50, (n, tombs)
print(f"{n} simulated messages valid, {tombs} tombstones")
PY
start=$(date +%s%N)
"$SISMO" simulate --count 100 --rate 200 > "$T_DIR/paced.tsv"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq "$(wc -l < "$T_DIR/paced.tsv")" 100 "paced line count"
[ "$ms" -ge 400 ] || fail "--rate 200 for 100 messages took ${ms} ms, expected about 500"
