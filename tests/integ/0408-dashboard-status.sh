#!/usr/bin/env bash
# 0408: the live feed's health: `sismo dashboard --status-topic` reads the ingester's status
# records (src/ingest/ing_status.c format) and judges the feed ok / error / silent.
# Must hold afterwards:
#   - the status topic does not exist when the dashboard starts: it serves normally (quakes
#     consumed), /api/status says "unknown" with ingest null, /healthz "ingest":"unknown";
#     (the mock cluster creates a subscribed topic itself; a broker that does not is covered
#     by the consumer's 10 s metadata refresh, see docs/DASHBOARD.md)
#   - records produced afterwards: ok -> "ok"; error -> "error", since = the first failed
#     poll's emitido, the reason given; a second error keeps since and shows the new reason;
#     ok again -> "ok", since null;
#   - a record of another component and an undecodable one change nothing (the undecodable
#     one is counted invalid and logged);
#   - with no record for more than 3 intervals (--status-interval 2s) the state turns
#     "silent", since = when the last record was made;
#   - an event stream gets one `status` event per change (ok, error, new reason, ok, silent)
#     and none for a repeated ok, each within 2 s of its record (silence within 3 intervals
#     + 3 s), with the same status as /api/status;
#   - /metrics sismo_dashboard_ingest_state marks the current state; a dashboard started
#     afterwards reads the history and reports the old last record as "silent" at once;
#   - both dashboards exit 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dashboard.sh"
start_broker "$TOPIC:3" "$STATS_TOPIC:1" # no status topic yet
produce_tsv "$TOPIC" "$FIXTURES/quakes.tsv"
start_dashboard --clock event --status-interval 2s
wait_messages "$(count_lines "$FIXTURES/quakes.tsv")"

PYTHONPATH=$ROOT/tests/tools $PY - <<'PY'
import json, os, time, urllib.request
from ssetest import SSEClient, iso, produce, producer
base, port = os.environ["DASH"], int(os.environ["DASH_PORT"])
stopic, bootstrap = os.environ["STATUS_TOPIC"], os.environ["BOOTSTRAP"]
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=10))
wall = lambda: int(time.time() * 1000)

st = get("/api/status")
assert st["status"] == {"state": "unknown", "since": None, "interval_ms": 2000, "silent_after_ms": 6000,
                        "seen": None, "ingest": None}, st
assert get("/healthz")["ingest"] == "unknown"
assert get("/api/stats")["stored"] > 0, "quakes are served without a status topic"
print("ok no status topic: state unknown, quakes served")

p = producer(bootstrap)
s = SSEClient("127.0.0.1", port)
URL = "http://127.0.0.1:1/feed.geojson"

def record(estado, error=None, last_ok=None, emitted=None, comp="ingest", nuevos=0):
    emitted = emitted or wall()
    return emitted, json.dumps({"componente": comp, "fuente": URL, "estado": estado, "error": error,
                                "ultimo_ok": None if last_ok is None else iso(last_ok),
                                "emitido": iso(emitted), "nuevos": nuevos, "revisados": 0})

def expect_event(t0, state, since, error, timeout=2.0, what=""):
    """The next stream event is a status event with these values; t0: when it was caused."""
    ev = s.next(timeout - (time.monotonic() - t0))
    dt = time.monotonic() - t0
    assert ev is not None, f"{what}: no status event within {timeout} s"
    assert ev["event"] == "status", ev
    got = ev["data"]["status"]
    assert got["state"] == state and got["since"] == since, (what, got)
    assert (got["ingest"] or {}).get("error") == error, (what, got)
    api = get("/api/status")["status"]
    assert api["state"] == state and api["since"] == since and api["ingest"] == got["ingest"], (what, api, got)
    print(f"ok {what}: status event '{state}' after {dt * 1000:.0f} ms")
    return got

# 1. ok (the first record ever): ok, since null.
t_ok, v = record("ok", last_ok=wall(), nuevos=3)
# The first record creates the topic: librdkafka's producer takes up to a second or so to
# get it created and learn its leader, which is not the dashboard's latency. The 2 s run
# from the acknowledgement (the dashboard's 1 s metadata refresh, a rebalance, a fetch).
produce(p, stopic, "ingest", v)
t0 = time.monotonic()
got = expect_event(t0, "ok", None, None, 2.0, "first ok record")
assert got["ingest"] == {"fuente": URL, "estado": "ok", "error": None, "ultimo_ok": t_ok, "emitido": t_ok,
                         "nuevos": 3, "revisados": 0}, got
assert get("/healthz")["ingest"] == "ok"
# A repeated ok changes nothing shown: no event.
produce(p, stopic, "ingest", record("ok", last_ok=wall())[1])
assert s.next(1.0) is None, "a status event for a repeated ok record"

# 2. Failures: since = the first failed poll, kept; the reason follows the latest record.
e1 = "GET 'http://127.0.0.1:1/feed.geojson': Couldn't connect to server"
t_err, v = record("error", e1, last_ok=t_ok)
t0 = time.monotonic()
produce(p, stopic, "ingest", v)
expect_event(t0, "error", t_err, e1, what="error record")
e2 = "GET 'http://127.0.0.1:1/feed.geojson': HTTP 503"
t0 = time.monotonic()
produce(p, stopic, "ingest", record("error", e2, last_ok=t_ok)[1])
expect_event(t0, "error", t_err, e2, what="second error, new reason, same since")

# 3. Not ours, or not readable: nothing changes.
produce(p, stopic, "alerts", record("ok", comp="alerts")[1])
produce(p, stopic, "ingest", '{"componente":"ingest","estado":"fine"}')
assert s.next(1.0) is None, "a status event for a foreign or invalid record"
assert get("/api/status")["status"]["ingest"]["error"] == e2

# 4. Back to ok.
t_ok2, v = record("ok", last_ok=wall())
t0 = time.monotonic()
produce(p, stopic, "ingest", v)
expect_event(t0, "ok", None, None, what="ok again")

# 5. Silence: no record for more than 3 intervals (2 s each, or the last gap if longer).
interval = get("/api/status")["status"]["interval_ms"]
got = expect_event(t0, "silent", t_ok2, None, 3 * interval / 1000 + 3, "ingest silent")
assert wall() - t_ok2 > 3 * interval, (wall() - t_ok2, interval)
s.close()
assert get("/healthz")["ingest"] == "silent"
PY

curl -sf "$DASH/metrics" > "$T_DIR/metrics.txt"
metric() { awk -v m="$1" '$1 == m {print $2}' "$T_DIR/metrics.txt"; }
assert_eq "$(metric 'sismo_dashboard_ingest_state{state="silent"}')" 1 "ingest_state silent"
assert_eq "$(metric 'sismo_dashboard_ingest_state{state="ok"}')" 0 "ingest_state ok"
assert_eq "$(metric "sismo_dashboard_messages_consumed_total{topic=\"$STATUS_TOPIC\"}")" 7 "status records consumed"
assert_eq "$(metric "sismo_dashboard_messages_invalid_total{topic=\"$STATUS_TOPIC\"}")" 1 "invalid status records"
grep -q "skipping undecodable message $STATUS_TOPIC\[.*field 'fuente'" "$T_DIR/dashboard.err" ||
    fail "the undecodable status record was not reported"

# A second dashboard reads the history: the last record is old, so the feed is silent at once.
first=${PIDS[dashboard]}
start_dashboard --clock event --status-interval 2s
wait_messages $(( $(count_lines "$FIXTURES/quakes.tsv") + 7 ))
state=$(curl -sf "$DASH/api/status" | $PY -c 'import json,sys; s=json.load(sys.stdin)["status"]; print(s["state"], s["ingest"]["estado"])')
assert_eq "$state" "silent ok" "state read back from the history"
stop_dashboard
PIDS[dashboard]=$first
stop_dashboard
