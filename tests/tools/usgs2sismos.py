#!/usr/bin/python3
"""usgs2sismos.py - test helper: an independent, naive converter from a USGS GeoJSON feed to
`sismos` messages (the schema in src/stream/quake.h), written without sismo's code so tests
can compute expectations independently.

usage: usgs2sismos.py FILE.geojson            print one JSON message per line (key<TAB>value)
       usgs2sismos.py FILE.geojson --produce BOOTSTRAP TOPIC
                                              produce them (key = id) with python3-confluent-kafka
Features lacking id, time or coordinates are skipped (as sismo ingest does). No
de-duplication or revision logic: every feature becomes one message.
"""
import json
import sys
from datetime import datetime, timezone


def iso(ms):
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ms) % 1000:03d}Z"


def convert(feature):
    p = feature.get("properties") or {}
    g = feature.get("geometry") or {}
    c = g.get("coordinates") or []
    if not feature.get("id") or p.get("time") is None or len(c) < 2 or c[0] is None or c[1] is None:
        return None
    ids = [i for i in (p.get("ids") or "").split(",") if i]
    status = p.get("status")
    return {
        "id": feature["id"],
        "magnitud": p.get("mag"),
        "lugar": p.get("place"),
        "latitud": c[1],
        "longitud": c[0],
        "profundidad_km": c[2] if len(c) > 2 else None,
        "timestamp": iso(p["time"]),
        "tsunami": bool(p.get("tsunami")),
        "actualizado": iso(p.get("updated") if p.get("updated") is not None else p["time"]),
        "tipo": p.get("type"),
        "estado": status.lower() if isinstance(status, str) else None,
        "alerta": p.get("alert"),
        "tipo_magnitud": p.get("magType"),
        "url": p.get("url"),
        "ids": ids if ids else [feature["id"]],
    }


def messages(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for feature in doc.get("features", []):
        m = convert(feature)
        if m is not None:
            yield m["id"], json.dumps(m, ensure_ascii=False, separators=(",", ":"))


def main():
    path = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "--produce":
        from confluent_kafka import Producer
        bootstrap, topic = sys.argv[3], sys.argv[4]
        p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
        n = 0
        for key, value in messages(path):
            p.produce(topic, key=key.encode(), value=value.encode())
            n += 1
            p.poll(0)
        if p.flush(30) != 0:
            sys.exit("usgs2sismos: some messages were not delivered")
        print(f"{n} messages produced to {topic}", file=sys.stderr)
    else:
        for key, value in messages(path):
            print(f"{key}\t{value}")


if __name__ == "__main__":
    main()
