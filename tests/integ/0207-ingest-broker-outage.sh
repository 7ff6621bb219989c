#!/usr/bin/env bash
# 0207: the Kafka broker goes away in the middle of a run (mockbroker: SIGUSR1 = down,
# SIGUSR2 = up, data kept) while the feed changes.
# Must hold afterwards: the ingester keeps running; the poll made during the outage logs
# its undelivered messages (failed=N) and a retry plan; while the broker is down the
# required read-back of the topic fails and is retried with backoff, nothing is published
# without it; once the broker is back the topic is read back and the feed published, and
# the topic holds exactly the model's expectation for series-1 then series-2.
# brokers: mock
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
start_broker "$topic:3"
start_feed feed "$FIX/series-1.geojson" "$FIX/series-2.geojson"
bg ingest "$SISMO" ingest -b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" --interval 200ms \
    --max-backoff 1s --delivery-timeout 2s --connect-timeout 1s --state-dir "$T_DIR/state"
log=$T_DIR/ingest.err
wait_until 30 has_polls "$log" 200 1

kill -USR1 "${PIDS[broker]}"
wait_until 10 has_text "$T_DIR/broker.err" "brokers down"
feed_step 1
wait_until 30 has_text "$log" "not delivered: "
wait_until 30 grep -q "poll source=.* http=200 .*failed=[1-9]" "$log"
wait_until 30 has_text "$log" "poll failed: reading the topic back: cannot reach Kafka" 2
kill -0 "${PIDS[ingest]}" || fail "the ingester died during the outage"
assert_eq "$(polls "$log" 200)" 2 "polls made while the broker is down (only the first one publishes)"

kill -USR2 "${PIDS[broker]}"
wait_until 30 has_text "$log" "state: after failed deliveries; read back"
wait_until 30 has_polls "$log" 200 3
grep "http=200 " "$log" | sed -n 3p | grep -q " failed=0 " || fail "after the outage: $(grep 'http=200 ' "$log" | sed -n 3p)"
check_topic "$topic" "$FIX/series-1.geojson" "$FIX/series-2.geojson"
