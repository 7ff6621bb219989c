#!/usr/bin/python3
"""produce_lines.py - test helper: produces `key<TAB>value` lines to a Kafka topic, in order.

usage: produce_lines.py BOOTSTRAP TOPIC [--rate N] [--partition P] [FILE...]   (stdin if none)

Each line is one message: the key, a TAB, then the value; an empty value (or the literal
`null`) is a tombstone. Lines without a TAB and lines starting with '#' are skipped. The
producer is idempotent (one key's messages keep their order); --rate sends at most N messages
a second (to keep traffic flowing during a test), --partition sends everything to partition P
instead of the key's partition. SIGUSR1 lifts the rate limit: the rest is sent at once. This
is the format `usgs2sismos.py FILE` prints.
"""
import signal
import sys
import time

from confluent_kafka import Producer


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    bootstrap, topic, rest = args[0], args[1], args[2:]
    rate, partition, files = 0.0, None, []
    i = 0
    while i < len(rest):
        if rest[i] == "--rate":
            rate = float(rest[i + 1])
            i += 2
        elif rest[i] == "--partition":
            partition = int(rest[i + 1])
            i += 2
        else:
            files.append(rest[i])
            i += 1
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    failed = []

    def report(err, msg):
        if err is not None:
            failed.append(str(err))

    n, t0 = 0, time.monotonic()
    unpaced = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: unpaced.append(1))
    streams = [open(f, encoding="utf-8") for f in files] if files else [sys.stdin]
    for s in streams:
        for line in s:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or "\t" not in line:
                continue
            key, value = line.split("\t", 1)
            kw = {"key": key.encode(), "value": None if value in ("", "null") else value.encode(),
                  "on_delivery": report}
            if partition is not None:
                kw["partition"] = partition
            p.produce(topic, **kw)
            n += 1
            p.poll(0)
            if rate > 0 and not unpaced:
                delay = t0 + n / rate - time.monotonic()
                if delay > 0:
                    p.flush(delay)  # deliver while waiting; returns early once delivered
                    time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
    if p.flush(30) != 0 or failed:
        sys.exit(f"produce_lines: {len(failed)} messages not delivered: {failed[:3]}")
    print(f"{n} messages produced to {topic}", file=sys.stderr)


if __name__ == "__main__":
    main()
