#!/usr/bin/python3
"""synthquakes.py - test helper: N synthetic `sismos` records (src/stream/quake.h format) of
about 700 bytes, one second apart from 2025-12-07T03:30:00Z, as key<TAB>value lines (the
input of kproduce.py). Ids are PREFIX0, PREFIX1...; magnitudes cycle through 1.0-6.9.

usage: synthquakes.py N PREFIX > FILE
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def main():
    n, prefix = int(sys.argv[1]), sys.argv[2]
    t0 = datetime(2025, 12, 7, 3, 30, tzinfo=timezone.utc)
    for i in range(n):
        qid = f"{prefix}{i}"
        t = (t0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        v = {"id": qid, "magnitud": 1 + (i % 60) / 10, "lugar": f"Synthetic event {i}, somewhere far away",
             "latitud": -60 + (i % 120), "longitud": -170 + (i * 7) % 340, "profundidad_km": 10.0,
             "timestamp": t, "tsunami": False, "actualizado": t, "tipo": "earthquake", "estado": "automatic",
             "alerta": None, "tipo_magnitud": "ml", "url": f"https://earthquake.usgs.gov/earthquakes/eventpage/{qid}",
             "ids": [qid]}
        print(f"{qid}\t{json.dumps(v)}")


if __name__ == "__main__":
    main()
