#!/usr/bin/env bash
# 0206: a delivery report that says "failed" for a message the broker did store (what a
# delivery timeout can do). SISMO_INGEST_FAULT=lose-report:3 turns the 3rd successful
# report of the run into a failure.
# Must hold afterwards: the poll logs failed=1 and a retry; before polling again the
# ingester reads the topic back from where that poll started ("after failed deliveries");
# the retry fetches the feed in full (no If-None-Match: HTTP 200, not 304) and publishes
# nothing; the topic holds exactly the model's expectation (the "failed" message once).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
start_broker "$topic:3"
start_feed feed "$FIX/series-1.geojson" "$FIX/series-2.geojson"
bg ingest env SISMO_INGEST_FAULT=lose-report:3 "$SISMO" ingest -b "$BOOTSTRAP" --topic "$topic" \
    --url "$FEED_URL" --interval 200ms --state-dir "$T_DIR/state"
log=$T_DIR/ingest.err
wait_until 30 has_polls "$log" 200 2
grep "http=200 " "$log" | sed -n 1p | grep -q "new=10 .* failed=1 " || fail "first poll: $(grep 'http=200 ' "$log" | sed -n 1p)"
has_text "$log" "event for '" || fail "no log line for the failed delivery"
has_text "$log" "next attempt in 0.2s (1 failed in a row)" || fail "no retry plan"
grep -q "state: after failed deliveries; read back 10 messages (up to 10 expected)" "$log" \
    || fail "no read-back after the failure: $(grep 'read back' "$log")"
grep "http=200 " "$log" | sed -n 2p | grep -q "new=0 revised=0 unchanged=10 skipped=7 tombstones=0 failed=0 " \
    || fail "the retry republished: $(grep 'http=200 ' "$log" | sed -n 2p)"
feed_stats | "$PY" -c '
import json, sys
reqs = json.load(sys.stdin)["requests"]
assert [r["status"] for r in reqs[:2]] == [200, 200], reqs[:2]
assert reqs[1]["inm"] is None, "the retry must not be conditional"
'
check_topic "$topic" "$FIX/series-1.geojson"
feed_step 1
wait_until 30 has_polls "$log" 200 3
check_topic "$topic" "$FIX/series-1.geojson" "$FIX/series-2.geojson"
