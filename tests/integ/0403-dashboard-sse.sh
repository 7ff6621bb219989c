#!/usr/bin/env bash
# 0403: /api/stream (Server-Sent Events) semantics, with a strict socket-level client.
# Must hold afterwards:
#   - a stream without an id gets `retry:` and then only live events: new, revised and
#     removed quakes and window results, each within 2 s of being produced, ids consecutive;
#   - reconnecting with Last-Event-ID (header, or ?last_event_id=) replays exactly the events
#     after it - no gap, no duplicate - then continues live; the header wins over the query;
#   - the snapshot's last_event_id resumes exactly after the snapshot;
#   - an unknown or malformed id, and an id whose successors the ring evicted, get one
#     `reset` event (reason unknown-id / gap) and then live events;
#   - an idle stream receives a keepalive comment every --heartbeat (1 s here);
#   - HEAD /api/stream answers 200 with the event-stream type and no body.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dashboard.sh"
start_broker "${DASH_TOPICS[@]}"
produce_tsv "$TOPIC" "$FIXTURES/quakes.tsv"
start_dashboard --clock event --ring 64 --heartbeat 1s
wait_messages "$(count_lines "$FIXTURES/quakes.tsv")"

PYTHONPATH=$ROOT/tests/tools $PY - <<'PY'
import json, os, time, urllib.request
from ssetest import SSEClient, produce, producer, quake, seq
base, port = os.environ["DASH"], int(os.environ["DASH_PORT"])
topic, stopic, bootstrap = os.environ["TOPIC"], os.environ["STATS_TOPIC"], os.environ["BOOTSTRAP"]
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=10))
p = producer(bootstrap)
snap = get("/api/quakes")
now, L0 = snap["metadata"]["now"], snap["metadata"]["last_event_id"]
inst = L0.split("-")[0]

# 1. Live stream without an id.
a = SSEClient("127.0.0.1", port)
assert a.next(0.5) is None, "events before anything was produced"
assert a.status == 200 and a.headers["content-type"].startswith("text/event-stream"), a.headers
assert a.retry == 2000, a.retry
script = [  # (key, value) -> expected (event, id)
    ("live1", quake("live1", now + 60000, 4.2, "Live one"), "new", "live1"),
    ("live2", quake("live2", now + 120000, 2.2, "Live two"), "new", "live2"),
    ("live1", quake("live1", now + 60000, 4.4, "Live one, revised", updated_ms=now + 300000), "revised", "live1"),
    ("live2", None, "removed", "live2"),
]
got = []
for key, value, kind, qid in script:
    t0 = time.monotonic()
    produce(p, topic, key, value)
    ev = a.next(2.0)
    assert ev is not None, f"no event within 2 s after producing {key}"
    dt = time.monotonic() - t0
    assert ev["event"] == kind, (ev["event"], kind)
    assert (ev["data"]["feature"]["id"] if kind != "removed" else ev["data"]["id"]) == qid, ev
    got.append(ev)
    print(f"ok live {kind} {qid} after {dt * 1000:.0f} ms, id {ev['id']}")
assert got[2]["data"]["feature"]["properties"]["mag"] == 4.4
assert got[3]["data"]["reason"] == "tombstone"
assert got[1]["data"]["now"] == now + 120000, "the event clock moved with the newest event"
ids = [seq(e["id"]) for e in got]
assert ids == list(range(seq(L0) + 1, seq(L0) + 5)), (L0, ids)
assert all(e["id"].startswith(inst + "-") for e in got)
# A window result is an event too.
w = {"inicio": "2025-12-07T03:35:00.000Z", "fin": "2025-12-07T03:40:00.000Z", "region": None,
     "cantidad": 2, "magnitud_promedio": 3.3, "magnitud_maxima": 4.4, "magnitud_minima": 2.2,
     "id_maximo": "live1", "final": True, "emitido": "2025-12-07T03:41:00.000Z"}
produce(p, stopic, w["inicio"], json.dumps(w))
ev = a.next(2.0)
assert ev and ev["event"] == "window" and ev["data"]["window"]["count"] == 2 and ev["data"]["window"]["max_id"] == "live1", ev
last_a = ev["id"]
a.close()

# 2. Resume with Last-Event-ID: exactly the events after it.
mid = got[1]["id"]
b = SSEClient("127.0.0.1", port, last_id=mid)
replay = b.collect(3, 2.0)
assert [e["id"] for e in replay] == [got[2]["id"], got[3]["id"], last_a], [e["id"] for e in replay]
assert b.next(0.3) is None, "duplicate or extra event after the replay"
produce(p, topic, "live3", quake("live3", now + 180000, 3.1, "Live three"))
ev = b.next(2.0)
assert ev and ev["event"] == "new" and seq(ev["id"]) == seq(last_a) + 1, ev
last = ev["id"]
b.close()
print("ok resume with Last-Event-ID: 3 replayed, then live, no gap")

# 3. The snapshot's id resumes right after the snapshot; the header wins over the query.
c = SSEClient("127.0.0.1", port, query=f"?last_event_id={L0}")
evs = c.collect(6, 2.0)
assert [seq(e["id"]) for e in evs] == list(range(seq(L0) + 1, seq(last) + 1)), [e["id"] for e in evs]
c.close()
d = SSEClient("127.0.0.1", port, last_id=last_a, query=f"?last_event_id={L0}")
ev = d.collect(1, 2.0)[0]
assert ev["id"] == last and d.next(0.3) is None, ev
d.close()
snap2 = get("/api/quakes")
assert snap2["metadata"]["last_event_id"] == last, snap2["metadata"]
assert [f["id"] for f in snap2["features"]][:2] == ["live3", "live1"], "snapshot reflects the events"
print("ok snapshot id + stream = no gap; header wins over query")

# 4. Unknown, malformed and evicted ids: reset, then live.
for bad, reason in [("deadbeef-1", "unknown-id"), ("zzz", "unknown-id"), (f"{inst}-999999", "gap")]:
    e = SSEClient("127.0.0.1", port, last_id=bad)
    ev = e.next(2.0)
    assert ev and ev["event"] == "reset" and ev["data"]["reason"] == reason and ev["id"] == last, (bad, ev)
    e.close()
for i in range(80):  # more than the ring's 64 events
    p.produce(topic, key=f"bulk{i}".encode(), value=quake(f"bulk{i}", now + 200000 + i, 1.0).encode())
assert p.flush(10) == 0
deadline = time.time() + 10
while get("/api/stats")["stored"] < len(snap2["features"]) + 80 and time.time() < deadline:
    time.sleep(0.1)
e = SSEClient("127.0.0.1", port, last_id=L0)
ev = e.next(2.0)
assert ev and ev["event"] == "reset" and ev["data"]["reason"] == "gap", ev
produce(p, topic, "live4", quake("live4", now + 400000, 2.0, "after reset"))
ev = e.next(2.0)
assert ev and ev["event"] == "new" and ev["data"]["feature"]["id"] == "live4", ev
e.close()
print("ok reset for unknown, malformed and evicted ids")

# 5. Keepalives on an idle stream (HTTP/1.1 chunked and HTTP/1.0 plain).
for http10 in (False, True):
    k = SSEClient("127.0.0.1", port, http10=http10)
    assert k.next(2.5) is None and k.comments >= 1, (http10, k.comments, k.headers)
    assert k.headers.get("transfer-encoding") == (None if http10 else "chunked"), k.headers
    produce(p, topic, "live5" + str(http10), quake("live5" + str(http10), now + 500000, 2.0))
    ev = k.next(2.0)
    assert ev and ev["event"] == "new", ev
    k.close()
print("ok keepalive comments on idle streams; HTTP/1.0 streams work too")

# 6. HEAD.
r = urllib.request.urlopen(urllib.request.Request(base + "/api/stream", method="HEAD"), timeout=5)
assert r.status == 200 and r.headers["Content-Type"].startswith("text/event-stream") and r.read() == b""
print("ok HEAD /api/stream")
PY
resets=$(curl -sf "$DASH/metrics" | awk '$1 == "sismo_dashboard_sse_resets_total" {print $2}')
assert_eq "$resets" 4 "reset events sent"
no_clients() { [ "$(curl -sf "$DASH/metrics" | awk '$1 == "sismo_dashboard_sse_clients" {print $2}')" = 0 ]; }
wait_until 5 no_clients # closed streams are forgotten
stop_dashboard
