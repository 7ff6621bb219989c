#!/usr/bin/env bash
# 0208: the ingester's heartbeats, the liveness protocol of `sismo up`
# (src/base/sis_heartbeat.h), run the way the supervisor runs it: SISMO_HEARTBEAT_FD is
# the write end of a pipe (tests/tools/heartbeats.py records each byte).
# Must hold afterwards: from start-up to the end of the run the ingester never went more
# than 3.5 s without a heartbeat (it beats about once a second; libcurl's progress
# callback and the 1 s rate limit of sis_heartbeat can make that 2 s) - not while it
# waited 6 s for a broker that was down at start-up, not while it idled between polls
# (--interval 3s), and not while a feed request hung until --http-timeout (6 s); it still
# published series-1, and SIGTERM stopped it with status 0.
# Then SIGTERM during a feed request that hangs (--http-timeout 30s): the request is
# abandoned and the ingester exits 0 within 3 s (sismo up kills a child still running 5 s
# after SIGTERM), logging why.
# brokers: mock
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
start_broker "$topic:3"
start_feed feed "$FIX/series-1.geojson" hang
beats=$T_DIR/beats
log=$T_DIR/ingest.err

kill -USR1 "${PIDS[broker]}"
wait_until 10 has_text "$T_DIR/broker.err" "brokers down"
t0=$(date +%s.%N)
bg ingest "$PY" "$ROOT/tests/tools/heartbeats.py" record "$beats" -- \
    "$SISMO" ingest -b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" --interval 3s \
    --http-timeout 6s --connect-timeout 30s --state-dir "$T_DIR/state"
sleep 6
has_polls "$log" 200 1 && fail "polled although the broker was down"
kill -USR2 "${PIDS[broker]}"
wait_until 30 has_polls "$log" 200 1
wait_until 15 has_polls "$log" 304 1   # an --interval of idling in between
feed_step 1
wait_until 20 has_text "$log" "Operation timed out after 6"
t1=$(date +%s.%N)
kill -TERM "${PIDS[ingest]}"
wait "${PIDS[ingest]}" || fail "ingest did not exit 0 on SIGTERM"
unset 'PIDS[ingest]'
check_topic "$topic" "$FIX/series-1.geojson"

n=$(wc -l < "$beats")
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
longest=$("$PY" "$ROOT/tests/tools/heartbeats.py" gap "$beats" "$(calc "$t0 + 0.5")" "$t1")
say "$n heartbeats in $(calc "$t1 - $t0") s, longest gap ${longest} s"
awk -v g="$longest" 'BEGIN { exit !(g <= 3.5) }' || fail "no heartbeat for ${longest} s"

# SIGTERM while a request hangs (the feed is still on its hang step).
bg ingest2 "$SISMO" ingest -b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" --interval 200ms \
    --http-timeout 30s --state-dir "$T_DIR/state"
wait_until 30 has_text "$T_DIR/ingest2.err" "publishing to '$topic'"
sleep 1.5   # the first request has been hanging for about a second
t2=$(date +%s.%N)
kill -TERM "${PIDS[ingest2]}"
wait "${PIDS[ingest2]}" || fail "ingest did not exit 0 on SIGTERM during a request"
unset 'PIDS[ingest2]'
took=$(calc "$(date +%s.%N) - $t2")
say "stopped ${took} s after SIGTERM"
awk -v t="$took" 'BEGIN { exit !(t < 3) }' || fail "took ${took} s to stop during a hanging request"
has_text "$T_DIR/ingest2.err" "INFO  ingest: stopping: GET '$FEED_URL': abandoned, the ingester is stopping" \
    || fail "no log line for the abandoned request: $(tail -3 "$T_DIR/ingest2.err")"
if has_text "$T_DIR/ingest2.err" "poll failed"; then fail "the abandoned request was logged as a failed poll"; fi
