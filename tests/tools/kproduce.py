#!/usr/bin/python3
"""kproduce.py - test helper: produces key<TAB>value lines to a topic, in order.

usage: kproduce.py BOOTSTRAP TOPIC [FILE]      (stdin when FILE is absent or "-")
An empty value (a line "key<TAB>") is produced as a null value: a tombstone. Messages with
the same key go to the same partition (librdkafka's default partitioner), so per-key order
is the file's order. Prints "N messages produced to TOPIC" on stderr; exits 1 if any
delivery failed.
"""
import sys

from confluent_kafka import Producer


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    src = open(sys.argv[3], encoding="utf-8") if len(sys.argv) > 3 and sys.argv[3] != "-" else sys.stdin
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    failed = []

    def report(err, msg):
        if err is not None:
            failed.append(str(err))

    n = 0
    for line in src:
        line = line.rstrip("\n")
        if not line:
            continue
        key, _, value = line.partition("\t")
        p.produce(topic, key=key.encode(), value=value.encode() if value else None, on_delivery=report)
        n += 1
        p.poll(0)
    if p.flush(30) != 0 or failed:
        sys.exit(f"kproduce: {len(failed)} deliveries failed: {failed[:3]}")
    print(f"{n} messages produced to {topic}", file=sys.stderr)


if __name__ == "__main__":
    main()
