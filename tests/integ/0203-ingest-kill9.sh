#!/usr/bin/env bash
# 0203: kill -9 of the ingester at the worst moments, then restart with the same state dir.
#   1. after 4 messages reached the broker but before their delivery reports were handled
#      (SISMO_INGEST_CRASH=send:4): the broker has them, the state file does not;
#   2. between polls (an external kill -9 while it idles);
#   3. after 3 delivery reports were applied in memory but before the state was saved
#      (SISMO_INGEST_CRASH=ack:3);
#   4. an external kill -9 while it publishes a 3000-event feed.
# The feed server keeps serving a step until the test moves on, so each restart re-polls
# the feed it was killed on.
# Must hold afterwards: each restart reports how many messages it read back from the
# topic (the first one: exactly the 4 the broker stored), and the topic holds exactly what
# the independent model expects for series-1, -2, -3 and the big feed: no duplicate
# (id, actualizado) pair, no missing event, no missing tombstone.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
start_broker "$topic:3"
"$PY" "$ROOT/tests/tools/synthfeed.py" 3000 "$T_DIR/big.geojson"
FILES=("$FIX/series-1.geojson" "$FIX/series-2.geojson" "$FIX/series-3.geojson" "$T_DIR/big.geojson")
start_feed feed "${FILES[@]}"
run=(ingest -b "$BOOTSTRAP" --topic "$topic" --url "$FEED_URL" --interval 300ms --state-dir "$T_DIR/state")

readback() { sed -n 's/.*read back \([0-9]*\) messages.*/\1/p' "$1" | head -1; }

# 1. Stored by the broker, delivery report never handled.
set +e
SISMO_INGEST_CRASH=send:4 "$SISMO" "${run[@]}" 2> "$T_DIR/crash1.err"
rc=$?
set -e
assert_eq "$rc" 137 "exit status of the ingester killed after send 4"
assert_eq "$(topic_count "$topic")" 4 "messages the broker stored before the crash"
bg ingest1 "$SISMO" "${run[@]}"
wait_until 30 has_polls "$T_DIR/ingest1.err" 200 1
assert_eq "$(readback "$T_DIR/ingest1.err")" 4 "messages read back after crash 1"
check_topic "$topic" "${FILES[0]}"

# 2. Between polls: it is idling (a 304 was logged), kill -9.
wait_until 10 has_polls "$T_DIR/ingest1.err" 304 1
kill -KILL "${PIDS[ingest1]}"
wait "${PIDS[ingest1]}" 2>/dev/null || true
unset 'PIDS[ingest1]'

# 3. Acknowledged in memory, state not saved.
feed_step 1
set +e
SISMO_INGEST_CRASH=ack:3 "$SISMO" "${run[@]}" 2> "$T_DIR/crash3.err"
rc=$?
set -e
assert_eq "$rc" 137 "exit status of the ingester killed after delivery report 3"
has_text "$T_DIR/crash3.err" "read back 0 messages" || fail "a kill between polls should leave nothing to read back"
stored=$(topic_count "$topic")
bg ingest3 "$SISMO" "${run[@]}"
wait_until 30 has_polls "$T_DIR/ingest3.err" 200 1
n=$(readback "$T_DIR/ingest3.err")
[ "$n" -ge 3 ] || fail "expected at least 3 messages read back after crash 3, got $n"
assert_eq "$n" "$((stored - 10))" "messages read back after crash 3 (all stored since the checkpoint)"
check_topic "$topic" "${FILES[@]:0:2}"
feed_step 2
wait_until 30 has_polls "$T_DIR/ingest3.err" 200 2
check_topic "$topic" "${FILES[@]:0:3}"

# 4. kill -9 in the middle of publishing 3000 events: watch the partitions' end offsets
#    and kill as soon as some (not all) of the feed is in.
base=$(topic_count "$topic")
feed_step 3
"$PY" - "$BOOTSTRAP" "$topic" "$base" "${PIDS[ingest3]}" <<'PY'
import os, signal, sys, time
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, base, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kill9-watch"})
parts = list(c.list_topics(topic, timeout=10).topics[topic].partitions)
deadline = time.time() + 30
while time.time() < deadline:
    n = sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=5, cached=False)[1] for p in parts)
    if n > base + 200:
        os.kill(pid, signal.SIGKILL)
        print(f"# killed with {n - base} of 3000 messages in the topic")
        break
    time.sleep(0.002)
else:
    sys.exit("the big feed never started to arrive")
c.close()
PY
wait "${PIDS[ingest3]}" 2>/dev/null || true
unset 'PIDS[ingest3]'
if has_text "$T_DIR/ingest3.err" "features=3000 "; then
    say "note: the kill landed after the poll finished (the watcher was slower than the publish)"
fi
bg ingest4 "$SISMO" "${run[@]}"
wait_until 60 has_polls "$T_DIR/ingest4.err" 200 1
say "restart 4 read back $(readback "$T_DIR/ingest4.err") messages"
check_topic "$topic" "${FILES[@]}"
