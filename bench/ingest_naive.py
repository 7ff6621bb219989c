#!/usr/bin/python3
"""ingest_naive.py - the reference for bench/ingest.sh: the course's naive ingester, as the
course writes it (json + python3-confluent-kafka), reading a recorded feed from a file
instead of requests.get(URL).

usage: ingest_naive.py FILE BOOTSTRAP TOPIC

For every feature: build the course's record (plus the extra fields sismo sends, so both
sides move the same bytes), json.dumps it and produce it with key = id; flush at the end.
Idempotent and with the topic's metadata loaded first, like sismo.
No de-duplication, no revisions, no state: a second run republishes everything.
Prints "<messages> messages" on stdout.
"""
import json
import sys
from datetime import datetime, timezone

from confluent_kafka import Producer


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main():
    path, bootstrap, topic = sys.argv[1:4]
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    # The same warm-up sismo does (kc_producer_topic_partitions): without it the first
    # messages wait ~1 s for librdkafka's topic scan, which would measure that, not this.
    producer.list_topics(topic, timeout=10)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    n = 0
    for feature in data["features"]:
        p = feature["properties"]
        coords = feature["geometry"]["coordinates"]
        sismo = {
            "id": feature["id"],
            "magnitud": p["mag"],
            "lugar": p["place"],
            "latitud": coords[1],
            "longitud": coords[0],
            "profundidad_km": coords[2],
            "timestamp": iso(p["time"]),
            "tsunami": bool(p["tsunami"]),
            "actualizado": iso(p["updated"]),
            "tipo": p["type"],
            "estado": p["status"],
            "alerta": p["alert"],
            "tipo_magnitud": p["magType"],
            "url": p["url"],
            "ids": [i for i in p["ids"].split(",") if i],
        }
        producer.produce(topic, key=sismo["id"], value=json.dumps(sismo, ensure_ascii=False))
        producer.poll(0)
        n += 1
    if producer.flush(60) != 0:
        sys.exit("ingest_naive: messages not delivered")
    print(f"{n} messages")


if __name__ == "__main__":
    main()
