#!/usr/bin/python3
"""synthfeed.py - test/bench helper: writes a synthetic USGS summary GeoJSON feed.

usage: synthfeed.py N OUT [--seed S] [--revise-every K] [--revision R]

N events with ids "sx0000000".., deterministic for a seed, shaped like the real feed
(every property the USGS summary format has, ~1.3 KB per feature) with the real feed's
awkward values mixed in: null magnitudes and depths, negative magnitudes, non-ASCII
places, longitudes of +/-180. --revision R (default 0) adds R minutes to `updated` of
every K-th event (--revise-every, default 10) so a second file is a revision of the
first: those events must be republished, the others not.
"""
import json
import random
import sys

PLACES = ["km NNE of Pāhala, Hawaii", "km E of Chalandrítsa, Greece", "km S of Willow, Alaska",
          "km W of Cobb, CA", "km SSW of Ocotillo Wells, CA", "km NW of Fiji Islands region",
          "km ENE of Nikolski, Alaska", "km SE of Ierápetra, Greece", "km N of Yakutat, Alaska"]


def main():
    args = sys.argv[1:]
    n, out = int(args[0]), args[1]
    seed, every, revision = 1, 10, 0
    i = 2
    while i < len(args):
        if args[i] == "--seed":
            seed = int(args[i + 1])
        elif args[i] == "--revise-every":
            every = int(args[i + 1])
        elif args[i] == "--revision":
            revision = int(args[i + 1])
        else:
            sys.exit(__doc__)
        i += 2
    rnd = random.Random(seed)
    t0 = 1700000000000
    feats = []
    for k in range(n):
        fid = f"sx{k:07d}"
        t = t0 + k * 7919
        u = t + 60000 + (revision * 60000 if revision and k % every == 0 else 0)
        mag = round(rnd.uniform(-1.5, 7.5), 2)
        if k % 97 == 0:
            mag = None
        depth = round(rnd.uniform(-3, 650), 3)
        if k % 89 == 0:
            depth = None
        lon = round(rnd.uniform(-180, 180), 4)
        if k % 101 == 0:
            lon = 180.0 if k % 2 else -180.0
        lat = round(rnd.uniform(-90, 90), 4)
        place = f"{rnd.randint(1, 120)} {rnd.choice(PLACES)}"
        props = {"mag": mag, "place": place, "time": t, "updated": u, "tz": None,
                 "url": f"https://earthquake.usgs.gov/earthquakes/eventpage/{fid}",
                 "detail": f"https://earthquake.usgs.gov/earthquakes/feed/v1.0/detail/{fid}.geojson",
                 "felt": None, "cdi": None, "mmi": None,
                 "alert": "green" if k % 53 == 0 else None,
                 "status": "reviewed" if k % 3 else "automatic",
                 "tsunami": 1 if k % 211 == 0 else 0, "sig": rnd.randint(0, 800), "net": "sx",
                 "code": fid[2:], "ids": f",{fid},", "sources": ",sx,",
                 "types": ",origin,phase-data,", "nst": rnd.randint(3, 90),
                 "dmin": round(rnd.uniform(0, 3), 4), "rms": round(rnd.uniform(0, 1.5), 4),
                 "gap": rnd.randint(10, 300), "magType": rnd.choice(["ml", "md", "mb", "mww"]),
                 "type": "earthquake" if k % 40 else "quarry blast",
                 "title": f"M {mag} - {place}"}
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point", "coordinates": [lon, lat, depth]}, "id": fid})
    doc = {"type": "FeatureCollection",
           "metadata": {"generated": t0 + n * 7919, "url": "synthetic", "title": "sismo synthetic feed",
                        "status": 200, "api": "1.14.1", "count": n},
           "features": feats, "bbox": [-180, -90, -3, 180, 90, 650]}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
