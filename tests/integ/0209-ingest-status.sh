#!/usr/bin/env bash
# 0209: the status record (src/ingest/ing_status.c) that the ingester publishes after every
# poll to --status-topic, key "ingest", for the dashboard's "feed unreachable" banner.
# The feed server serves series-1, is stopped (connection refused), then comes back on the
# same port with series-2.
# Must hold afterwards, for the records in the status topic, in order:
#  - one per poll (ok, not modified, and failed polls alike), all under key "ingest", each
#    with exactly the fields componente, fuente, estado, error, ultimo_ok, emitido, nuevos,
#    revisados in that order; componente "ingest", fuente the polled URL; emitido ISO-8601
#    UTC with ms and Z and never going back;
#  - the first: estado "ok", error null, nuevos 10, revisados 0 (series-1), ultimo_ok =
#    its emitido; then "ok" records with 0/0 while the feed is unchanged (304);
#  - while the server is down: estado "error", an error naming the URL and the cause
#    ("Couldn't connect to server"), ultimo_ok still the time of the last good poll,
#    nuevos/revisados 0;
#  - back up: estado "ok", error null, nuevos 2, revisados 3 (series-2), ultimo_ok = its
#    emitido, later than before;
#  - --status-topic "" sends none (a --once run that succeeds: exit 0), and a status
#    topic equal to --topic is refused (exit 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
status=$(uniq sismo-status)
start_broker "$topic:3" "$status:1"
start_feed feed "$FIX/series-1.geojson" "$FIX/series-2.geojson"
log=$T_DIR/ingest.err
run=(-b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" --state-dir "$T_DIR/state")
bg ingest "$SISMO" ingest "${run[@]}" --interval 300ms --max-backoff 300ms --status-topic "$status"
wait_until 30 has_polls "$log" 200 1
wait_until 10 has_polls "$log" 304 2
kill -TERM "${PIDS[feed]}"
wait "${PIDS[feed]}" 2>/dev/null || true
wait_until 20 has_text "$log" "Couldn't connect to server" 3
start_feed feed2 "$FIX/series-2.geojson"   # step 0: no window in which series-1 is served again
wait_until 30 has_polls "$log" 200 2
kill -TERM "${PIDS[ingest]}"
wait "${PIDS[ingest]}" || fail "ingest did not exit 0 on SIGTERM"
unset 'PIDS[ingest]'
polls_made=$(( $(polls "$log" 200) + $(polls "$log" 304) + $(grep -c 'ERROR ingest: poll failed: ' "$log") ))

"$PY" - "$ROOT/tests/tools" "$BOOTSTRAP" "$status" "$FEED_URL" "$polls_made" <<'PY'
import re, sys
sys.path.insert(0, sys.argv[1])
from ingest_model import read_topic
bootstrap, topic, url, polls = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
FIELDS = ["componente", "fuente", "estado", "error", "ultimo_ok", "emitido", "nuevos", "revisados"]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
recs = []
for p, o, key, v in read_topic(bootstrap, topic):
    assert key == "ingest", (o, key)
    assert list(v) == FIELDS, (o, list(v))
    assert v["componente"] == "ingest" and v["fuente"] == url, v
    assert ISO.match(v["emitido"]), v
    assert v["ultimo_ok"] is None or ISO.match(v["ultimo_ok"]), v
    assert isinstance(v["nuevos"], int) and isinstance(v["revisados"], int), v
    assert (v["estado"] == "ok") == (v["error"] is None) and v["estado"] in ("ok", "error"), v
    recs.append(v)
assert len(recs) == polls, f"{len(recs)} status records for {polls} polls"
assert [r["emitido"] for r in recs] == sorted(r["emitido"] for r in recs), "emitido went back"
first = recs[0]
assert (first["estado"], first["nuevos"], first["revisados"]) == ("ok", 10, 0), first
assert first["ultimo_ok"] == first["emitido"], first
states = "".join("e" if r["estado"] == "error" else "o" for r in recs)
m = re.fullmatch(r"(o+)(e+)(o+)", states)
assert m, f"expected ok..., error..., ok...: {states}"
oks1, errs, oks2 = (recs[m.start(i):m.end(i)] for i in (1, 2, 3))
assert all((r["nuevos"], r["revisados"]) == (0, 0) for r in oks1[1:]), oks1
last_ok = oks1[-1]["emitido"]
for r in errs:
    assert r["error"].startswith(f"GET '{url}': ") and "Couldn't connect to server" in r["error"], r
    assert r["ultimo_ok"] == last_ok, (r, last_ok)
    assert (r["nuevos"], r["revisados"]) == (0, 0), r
back = oks2[0]
assert (back["nuevos"], back["revisados"], back["error"]) == (2, 3, None), back
assert back["ultimo_ok"] == back["emitido"] and back["ultimo_ok"] > last_ok, back
print(f"# {len(recs)} status records: {len(oks1)} ok, {len(errs)} error "
      f"(e.g. {errs[0]['error']!r}), {len(oks2)} ok")
PY
check_topic "$topic" "$FIX/series-1.geojson" "$FIX/series-2.geojson"

# Disabled: nothing sent. --once that succeeds exits 0.
n=$(topic_count "$status")
"$SISMO" ingest "${run[@]}" --once --status-topic "" 2> "$T_DIR/once.err" || fail "--once failed: $(tail -3 "$T_DIR/once.err")"
assert_eq "$(polls "$T_DIR/once.err" 200)" 1 "polls of the --once run"
assert_eq "$(topic_count "$status")" "$n" "status records with --status-topic \"\""
set +e
"$SISMO" ingest "${run[@]}" --once --status-topic "$topic" 2> "$T_DIR/same.err"
rc=$?
set -e
assert_eq "$rc" 2 "exit status with --status-topic equal to --topic"
grep -q -- "--status-topic must differ from --topic" "$T_DIR/same.err" || fail "message: $(cat "$T_DIR/same.err")"
