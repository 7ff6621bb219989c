#!/usr/bin/env bash
# 0005: kafka-python (python3-kafka, a pure-Python client sharing no code with
# librdkafka): produce, consume in a group, commit, and - against a broker that implements
# CreateTopics - admin topic creation and listing.
# Must hold afterwards: the 100 messages sent with acks=all get consecutive offsets per
# partition; the group consumer reads each exactly once; after commit() the committed
# offsets equal the end offsets and a second consumer of the group reads nothing; the
# admin-created topic is listed with its 2 partitions.
. "$(dirname "$0")/lib.sh"
topic=$(uniq kpy)
start_broker "$topic:2"

$PY - "$BOOTSTRAP" "$topic" "$(uniq kpyg)" "$SISMO_TEST_BROKER" <<'PY'
import sys, time
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
bs, topic, group, kind = sys.argv[1:]

p = KafkaProducer(bootstrap_servers=bs, acks="all")
futs = [p.send(topic, key=b"k%d" % i, value=b"kafka-python %d" % i) for i in range(100)]
p.flush()
meta = [f.get(timeout=10) for f in futs]
for part in (0, 1):
    offs = [m.offset for m in meta if m.partition == part]
    assert offs == list(range(len(offs))), "partition %d offsets %r" % (part, offs[:10])
print("produced 100 with acks=all, offsets consecutive per partition")

c = KafkaConsumer(topic, bootstrap_servers=bs, group_id=group, auto_offset_reset="earliest",
                  enable_auto_commit=False, consumer_timeout_ms=15000)
seen = []
for m in c:
    seen.append(m.key)
    if len(seen) == 100:
        break
assert sorted(seen) == sorted(b"k%d" % i for i in range(100)), "consumed %d" % len(seen)
c.commit()
ends = c.end_offsets([TopicPartition(topic, 0), TopicPartition(topic, 1)])
for tp, end in ends.items():
    assert c.committed(tp) == end, "%r committed %r, end %d" % (tp, c.committed(tp), end)
c.close()
print("group consumed 100 exactly once; committed offsets == end offsets")

c = KafkaConsumer(topic, bootstrap_servers=bs, group_id=group, auto_offset_reset="earliest",
                  consumer_timeout_ms=4000)
again = sum(1 for _ in c)
c.close()
assert again == 0, "re-read %d" % again

if kind != "mock":  # librdkafka's mock cluster has no CreateTopics
    a = KafkaAdminClient(bootstrap_servers=bs)
    a.create_topics([NewTopic(topic + "-admin", 2, 1)])
    assert topic + "-admin" in a.list_topics()
    md = KafkaConsumer(bootstrap_servers=bs).partitions_for_topic(topic + "-admin")
    assert md == {0, 1}, md
    print("admin created a topic with 2 partitions")
PY
