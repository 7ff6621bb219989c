#!/usr/bin/env bash
# 0201: `sismo ingest` polls a local HTTP server that serves the repository's revision
# series (tests/fixtures/usgs/series-{1,2,3}.geojson) one after the other.
# Must hold afterwards:
#  - the topic holds exactly the messages an independent model (tests/tools/ingest_model.py)
#    computes: one per new event, one per revision, a tombstone for each re-issued id, none
#    for vanished events, the newer of two copies in one feed, nothing for a stale copy of a
#    retired id; every field compared (null magnitude/depth, negative values, non-ASCII and
#    escaped places, longitude +/-180, lower-cased status);
#  - the 7 invalid features of series-1 are skipped with a reason each, the rest published;
#  - one log line per poll with new/revised/unchanged/skipped/tombstones/took_ms, with the
#    counts derived by hand from the fixtures;
#  - an unchanged feed costs nothing: after each 200 the ingester sends If-None-Match and
#    gets 304 (no body); every request offered gzip;
#  - SIGTERM exits 0 with the state saved; a restart (no validators: a full 200 again)
#    publishes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
start_broker "$topic:3"
start_feed feed "$FIX/series-1.geojson" "$FIX/series-2.geojson" "$FIX/series-3.geojson"

run=(ingest -b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" --interval 200ms --state-dir "$T_DIR/state")
bg ingest "$SISMO" "${run[@]}"
for k in 0 1 2; do
    feed_step $k
    wait_until 30 has_polls "$T_DIR/ingest.err" 200 $((k + 1))
    wait_until 10 has_polls "$T_DIR/ingest.err" 304 $((2 * k + 2))
done
check_topic "$topic" "$FIX"/series-{1,2,3}.geojson

# The per-poll lines (counts worked out from the fixtures' comments).
p200() { grep "http=200 " "$T_DIR/ingest.err" | sed -n "${1}p"; }
p200 1 | grep -q "features=17 new=10 revised=0 unchanged=0 skipped=7 tombstones=0 failed=0 took_ms=[0-9]*$" || fail "poll 1 line: $(p200 1)"
p200 2 | grep -q "features=13 new=2 revised=3 unchanged=7 skipped=1 tombstones=1 failed=0 " || fail "poll 2 line: $(p200 2)"
p200 3 | grep -q "features=9 new=1 revised=2 unchanged=6 skipped=0 tombstones=2 failed=0 " || fail "poll 3 line: $(p200 3)"
grep "http=304 " "$T_DIR/ingest.err" | grep -qv "bytes=0 features=0 new=0 revised=0 unchanged=0 skipped=0 tombstones=0 failed=0 " \
    && fail "a 304 poll did something"
for why in "(id 'ci9000005'): geometry.coordinates is missing" "feature #11: id is missing" \
           "(id 'ci9000007'): properties.time is missing" "(id 'ci9000008'): coordinates out of range" \
           "(id 'ci9000009'): properties.mag is not a number" "skipped 2 more invalid features"; do
    has_text "$T_DIR/ingest.err" "$why" || fail "no skip line with: $why"
done
has_text "$T_DIR/ingest.err" "event 'ak2025old07' re-issued as 'us7000bbb7': tombstone for 'ak2025old07'" || fail "re-issue log line"

# Conditional requests and gzip, from the server's side.
feed_stats | "$PY" -c '
import json, sys
reqs = json.load(sys.stdin)["requests"]
assert all(r["gzip"] for r in reqs), "a request did not offer gzip"
for step in (0, 1, 2):
    rs = [r for r in reqs if r["step"] == step]
    assert [r["status"] for r in rs][:1] == [200], (step, rs)
    assert sum(r["status"] == 200 for r in rs) == 1, f"step {step} served in full more than once"
    assert all(r["status"] == 304 and r["inm"] for r in rs[1:]), rs
    assert len(rs) >= 2, rs
print(f"# {len(reqs)} requests: one 200 per step, then only 304s")
'

kill -TERM "${PIDS[ingest]}"
wait "${PIDS[ingest]}" || fail "ingest did not exit 0 on SIGTERM"
unset 'PIDS[ingest]'
grep -q '^end [0-9]*$' "$T_DIR/state/$topic.state" || fail "state file not saved"
before=$(topic_count "$topic")

# Restart: the first request is unconditional (200), nothing is republished.
bg ingest2 "$SISMO" "${run[@]}"
wait_until 30 has_polls "$T_DIR/ingest2.err" 200 1
has_text "$T_DIR/ingest2.err" "features=9 new=0 revised=0 unchanged=9 skipped=0 tombstones=0 failed=0" || fail "restart republished: $(grep http=200 "$T_DIR/ingest2.err")"
has_text "$T_DIR/ingest2.err" "read back 0 messages" || fail "a clean stop should leave nothing to read back"
assert_eq "$(topic_count "$topic")" "$before" "messages after the restart"
check_topic "$topic" "$FIX"/series-{1,2,3}.geojson
