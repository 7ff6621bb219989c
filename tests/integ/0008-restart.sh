#!/usr/bin/env bash
# 0008: what survives a restart of `sismo broker` (clean SIGTERM, then kill -9).
# Must hold afterwards: topics keep their partition count and records; a group's committed
# offsets are still there; an idempotent producer that retries a batch after a kill -9 gets
# the batch's original offset back (producer state rebuilt from the log tail) and the log
# does not grow; a sequence gap after the restart is still refused; a second broker on the
# same data directory is refused while the first runs (directory lock).
# brokers: sismo
. "$(dirname "$0")/lib.sh"
port=$(free_port)
BOOTSTRAP=127.0.0.1:$port
data=$T_DIR/broker-data
topic=restart
broker_up() {
    bg broker "$SISMO" broker --listen "$BOOTSTRAP" --data-dir "$data" "$@"
    wait_until 10 port_open "$port"
}
broker_up
$PY "$ROOT/tests/tools/kadmin.py" "$BOOTSTRAP" create "$topic:2"
for i in $(seq 1 20); do echo "r$i"; done | kcat -b "$BOOTSTRAP" -P -t "$topic" -p 1

# Raw idempotent produce (InitProducerId v0, Produce v7), so that the retry is exact.
cat > "$T_DIR/idem.py" <<'PY'
import json, os, socket, struct, sys, time
sys.path.insert(0, os.environ["TOOLS_DIR"])
from kproto import record_batch
host, port = sys.argv[1].rsplit(":", 1)
cmd, state = sys.argv[2], sys.argv[3]
s = socket.create_connection((host, int(port)), timeout=10)
def call(key, ver, body):
    hdr = struct.pack(">hhih", key, ver, 1, 4) + b"test"
    s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    n = struct.unpack(">i", s.recv(4))[0]
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    return data[4:]
def produce(batch):
    t = b"restart"
    body = struct.pack(">hhii", -1, -1, 5000, 1) + struct.pack(">h", len(t)) + t
    body += struct.pack(">iii", 1, 0, len(batch)) + batch
    r = call(0, 7, body)
    # Responses[1]: Name, PartitionResponses[1]: Index, ErrorCode, BaseOffset ...
    p = 4 + 2 + len(t) + 4
    idx, err, base = struct.unpack(">ihq", r[p:p + 14])
    return err, base
if cmd == "first":
    r = call(22, 0, struct.pack(">hi", -1, 60000))
    err, pid, epoch = struct.unpack(">hqh", r[4:16])
    assert err == 0, err
    batch = record_batch([(b"idem-a", b"1"), (b"idem-b", b"2")], int(time.time() * 1000), pid, epoch, 0)
    err, base = produce(batch)
    assert err == 0, err
    json.dump({"pid": pid, "base": base, "batch": batch.hex()}, open(state, "w"))
    print("idempotent batch stored at offset %d" % base)
else:
    st = json.load(open(state))
    err, base = produce(bytes.fromhex(st["batch"]))
    assert err == 0 and base == st["base"], "retry after restart: error %d offset %d, expected %d" % (err, base, st["base"])
    gap = record_batch([(b"idem-z", b"9")], int(time.time() * 1000), st["pid"], 0, 7)
    err, _ = produce(gap)
    assert err == 45, "sequence gap after restart: error %d, expected OUT_OF_ORDER_SEQUENCE_NUMBER" % err
    print("retry after restart acknowledged at the original offset %d; gap refused" % base)
PY
export TOOLS_DIR=$ROOT/tests/tools
$PY "$T_DIR/idem.py" "$BOOTSTRAP" first "$T_DIR/idem.json"

group=$(uniq rg)
$PY - "$BOOTSTRAP" "$topic" "$group" <<'PY'
import sys
from confluent_kafka import Consumer, TopicPartition
bs, topic, group = sys.argv[1:]
c = Consumer({"bootstrap.servers": bs, "group.id": group})
c.commit(offsets=[TopicPartition(topic, 1, 13), TopicPartition(topic, 0, 1)], asynchronous=False)
c.close()
PY

# A second broker on the same directory must refuse to start.
"$SISMO" broker --listen "127.0.0.1:$(free_port)" --data-dir "$data" > "$T_DIR/second.out" 2>&1 &&
    fail "a second broker started on a locked data directory"
grep -qi "lock\|in use\|another" "$T_DIR/second.out" || { cat "$T_DIR/second.out"; fail "no lock message"; }

kill -KILL "${PIDS[broker]}"
wait "${PIDS[broker]}" 2>/dev/null || true
broker_up
$PY "$T_DIR/idem.py" "$BOOTSTRAP" retry "$T_DIR/idem.json"

stop_pid "${PIDS[broker]}"
wait "${PIDS[broker]}" 2>/dev/null || true
broker_up
assert_eq "$($PY "$ROOT/tests/tools/kadmin.py" "$BOOTSTRAP" partitions "$topic")" 2 "partitions after restart"
kcat -b "$BOOTSTRAP" -C -t "$topic" -p 1 -o beginning -e -q -f '%o %s\n' > "$T_DIR/p1.out"
diff <(for i in $(seq 1 20); do echo "$((i - 1)) r$i"; done) "$T_DIR/p1.out" || fail "partition 1 differs"
kcat -b "$BOOTSTRAP" -C -t "$topic" -p 0 -o beginning -e -q -f '%o %k\n' > "$T_DIR/p0.out"
printf '0 idem-a\n1 idem-b\n' | diff - "$T_DIR/p0.out" || fail "partition 0 differs (duplicate stored?)"
$PY - "$BOOTSTRAP" "$topic" "$group" <<'PY'
import sys
from confluent_kafka import Consumer, TopicPartition
bs, topic, group = sys.argv[1:]
c = Consumer({"bootstrap.servers": bs, "group.id": group})
got = {tp.partition: tp.offset for tp in c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)}
c.close()
assert got == {0: 1, 1: 13}, got
print("committed offsets survived: %r" % got)
PY
