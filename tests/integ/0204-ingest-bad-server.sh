#!/usr/bin/env bash
# 0204: the feed server misbehaves in every way we know, then recovers:
#   HTTP 500, 200 with garbage, a request that never gets an answer (hang), a body cut in
#   half (valid transfer, truncated JSON), a transfer that dies half way, a connection
#   closed without a reply, and the server down (connection refused), restarted later on
#   the same port.
# Must hold afterwards: the one ingester process is still running; each failure got a
# clear log line naming its cause, with a retry plan whose wait doubles up to
# --max-backoff; the hang was cut by --http-timeout; once the server serves good feeds
# again the ingester publishes them, and the topic holds exactly what the independent
# model expects for series-1, -2, -3 (nothing lost, nothing published twice).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
start_broker "$topic:3"
S1=$FIX/series-1.geojson S2=$FIX/series-2.geojson S3=$FIX/series-3.geojson
start_feed feed "$S1" status:500 garbage hang "cut:$S2" "truncated:$S2" close
bg ingest "$SISMO" ingest -b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" --interval 200ms \
    --max-backoff 800ms --http-timeout 1s --state-dir "$T_DIR/state"
log=$T_DIR/ingest.err
wait_until 30 has_polls "$log" 200 1

step() { # K TEXT: serve step K until the ingester has logged TEXT twice (the first retry too)
    feed_step "$1"
    wait_until 20 has_text "$log" "$2" 2
}
step 1 "': HTTP 500; next attempt in"
step 2 "poll failed: feed is not valid JSON: '[' or '{' expected near '<'"
step 3 "Operation timed out after 10"
step 4 "poll failed: feed is not valid JSON: "
step 5 "bytes remaining to read"
step 6 "Empty reply from server"
kill -TERM "${PIDS[feed]}"
wait "${PIDS[feed]}" 2>/dev/null || true
wait_until 20 has_text "$log" "Couldn't connect to server" 2
kill -0 "${PIDS[ingest]}" || fail "the ingester died"

# Back up on the same port, with good feeds.
start_feed feed2 "$S2" "$S3"
wait_until 30 has_polls "$log" 200 2
feed_step 1
wait_until 30 has_polls "$log" 200 3
kill -0 "${PIDS[ingest]}" || fail "the ingester died"
check_topic "$topic" "$S1" "$S2" "$S3"

# Backoff: consecutive failures wait 0.2, 0.4, 0.8, 0.8 s...; a success resets it.
"$PY" - "$log" <<'PY'
import re, sys
waits = [float(m.group(1)) for m in re.finditer(r"next attempt in ([0-9.]+)s \((\d+) failed", open(sys.argv[1]).read())]
runs = [(float(a), int(b)) for a, b in re.findall(r"next attempt in ([0-9.]+)s \((\d+) failed in a row\)", open(sys.argv[1]).read())]
assert runs, "no retry lines"
for w, n in runs:
    want = min(0.2 * 2 ** (n - 1), 0.8)
    assert abs(w - want) < 1e-6, (w, n, want)
assert max(n for _, n in runs) >= 4, runs
print(f"# {len(runs)} retries, up to {max(n for _, n in runs)} failures in a row, waits capped at 0.8s")
PY
# Every failure kind was logged as an error, nothing crashed.
assert_eq "$(grep -c 'ERROR ingest: poll failed: ' "$log")" "$(grep -c 'next attempt in' "$log")" "failure lines with a retry plan"
grep -q 'INFO  ingest: poll source=.* http=200 .*features=13 ' "$log" || fail "series-2 never published"
