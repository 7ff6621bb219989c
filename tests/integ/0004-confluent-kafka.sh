#!/usr/bin/env bash
# 0004: librdkafka through python3-confluent-kafka: an idempotent producer and a consumer
# group of two members that commits.
# Must hold afterwards: the idempotent producer's 2000 messages are all acknowledged and
# stored once each (no duplicate key, offsets contiguous from 0 in every partition); with
# two members both get partitions after the rebalance, and the 400 messages produced then
# are consumed exactly once between them; committed offsets equal the partitions' high
# watermarks; a new member of the group reads nothing old.
. "$(dirname "$0")/lib.sh"
topic=$(uniq ck)
start_broker "$topic:4"

$PY - "$BOOTSTRAP" "$topic" "$(uniq ckg)" <<'PY'
import sys, threading, time
from confluent_kafka import Consumer, Producer, TopicPartition
bs, topic, group = sys.argv[1:]

p = Producer({"bootstrap.servers": bs, "enable.idempotence": True, "acks": "all", "linger.ms": 2})
acked = {}
def dr(err, m):
    assert err is None, err
    acked[m.key()] = (m.partition(), m.offset())
for i in range(2000):
    p.produce(topic, key=b"i%d" % i, value=b"idempotent %d" % i, on_delivery=dr)
    if i % 500 == 0:
        p.poll(0)
assert p.flush(30) == 0
assert len(acked) == 2000, len(acked)

# Read everything back with a plain (group-less) consumer: one copy of each key, offsets contiguous.
c = Consumer({"bootstrap.servers": bs, "group.id": group + "-check", "enable.auto.commit": False})
c.assign([TopicPartition(topic, i, 0) for i in range(4)])
seen, offsets = {}, {i: [] for i in range(4)}
deadline = time.time() + 30
while len(seen) < 2000 and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    assert m.key() not in seen, "duplicate %r" % m.key()
    seen[m.key()] = (m.partition(), m.offset())
    offsets[m.partition()].append(m.offset())
c.close()
assert seen == acked, "stored copy differs from the acknowledgements"
for part, offs in offsets.items():
    assert offs == list(range(len(offs))), "partition %d offsets not contiguous" % part
print("idempotent producer: 2000 acknowledged, stored once each, offsets contiguous")

conf = {"bootstrap.servers": bs, "group.id": group, "auto.offset.reset": "latest",
        "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
got, assigned, stop = {}, {}, threading.Event()
lock = threading.Lock()
def member(name):
    c = Consumer(conf)
    c.subscribe([topic])
    while not stop.is_set():
        m = c.poll(0.2)
        assigned[name] = [tp.partition for tp in c.assignment()]
        if m is None or m.error():
            continue
        with lock:
            assert m.key() not in got, "consumed twice: %r" % m.key()
            got[m.key()] = name
        c.commit(message=m, asynchronous=False)
    c.close()
threads = [threading.Thread(target=member, args=("A",))]
threads[0].start()
deadline = time.time() + 30
while len(assigned.get("A", [])) != 4:
    assert time.time() < deadline, "first member never got all 4 partitions"
    time.sleep(0.1)
threads.append(threading.Thread(target=member, args=("B",)))
threads[1].start()
while not (assigned.get("A") and assigned.get("B") and len(assigned["A"]) + len(assigned["B"]) == 4):
    assert time.time() < deadline, "no rebalance to two members: %r" % assigned
    time.sleep(0.1)
print("rebalanced: A=%r B=%r" % (assigned["A"], assigned["B"]))
time.sleep(1)  # both members positioned (auto.offset.reset=latest)
for i in range(400):
    p.produce(topic, key=b"g%d" % i, value=b"group %d" % i)
assert p.flush(30) == 0
deadline = time.time() + 30
while len(got) < 400 and time.time() < deadline:
    time.sleep(0.1)
stop.set()
for t in threads:
    t.join()
assert len(got) == 400, len(got)
by = {n: list(got.values()).count(n) for n in "AB"}
assert by["A"] > 0 and by["B"] > 0, by
print("group of two consumed 400 messages exactly once: %r" % by)

c = Consumer({"bootstrap.servers": bs, "group.id": group})
committed = c.committed([TopicPartition(topic, i) for i in range(4)], timeout=10)
for tp in committed:
    lo, hi = c.get_watermark_offsets(tp, timeout=10)
    assert tp.offset == hi, "partition %d committed %d, high watermark %d" % (tp.partition, tp.offset, hi)
c.subscribe([topic])
deadline, extra = time.time() + 5, 0
while time.time() < deadline:
    m = c.poll(0.2)
    if m is not None and not m.error():
        extra += 1
c.close()
assert extra == 0, "a new member re-read %d messages" % extra
print("committed offsets == high watermarks; nothing re-read")
PY
