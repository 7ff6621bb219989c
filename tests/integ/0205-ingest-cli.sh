#!/usr/bin/env bash
# 0205: `sismo ingest` command line and state edge cases.
# Must hold afterwards:
#  - --help documents every option; bad combinations exit 2 with a reason;
#  - --from-file F1 F2 --from-file F3 (positional files count as --from-file) ingests the
#    files in order (one poll line each, http=file) and exits 0; the topic equals the model's expectation; running it again publishes nothing;
#  - an unreadable file or an unreachable --url with --once: exit 1 with a clear error;
#  - a second ingester on the same state directory refuses to start (exit 1, names the pid);
#  - a damaged state file is moved aside, the state is rebuilt from the topic, nothing is
#    republished;
#  - a state written for another cluster (or a topic that was recreated) is not trusted:
#    against a new, empty broker the ingester rebuilds from that broker's topic and
#    publishes everything there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
topic=$(uniq sismos)
start_broker "$topic:3"
S=("$FIX/series-1.geojson" "$FIX/series-2.geojson" "$FIX/series-3.geojson")
state=$T_DIR/state

"$SISMO" ingest --help > "$T_DIR/help.out"
for o in --bootstrap --topic --partitions --feed --url --from-file --once --interval --max-backoff \
         --http-timeout --http-connect-timeout --delivery-timeout --state-dir --state-retention \
         --status-topic; do
    grep -q -- "$o" "$T_DIR/help.out" || fail "--help does not mention $o"
done
grep -q -- "default ./sismo-data/ingest" "$T_DIR/help.out" || fail "--help does not give the state-dir default"

usage() { # expected-text args...
    local want=$1; shift
    set +e
    "$SISMO" ingest "$@" > /dev/null 2> "$T_DIR/usage.err"
    local rc=$?
    set -e
    assert_eq "$rc" 2 "exit status of: sismo ingest $*"
    grep -q -- "$want" "$T_DIR/usage.err" || fail "no '$want' in: $(cat "$T_DIR/usage.err")"
}
usage "unknown feed 'bogus'" --feed bogus
usage "exclusive" --feed day --url http://127.0.0.1:1/
usage "exclusive" --from-file x --url http://127.0.0.1:1/
usage "expects a duration" --interval soon
usage "unknown option" --frobnicate

run=(-b "$BOOTSTRAP" --topic "$topic" --state-dir "$state")
"$SISMO" ingest "${run[@]}" --interval 0 --from-file "${S[0]}" "${S[1]}" --from-file "${S[2]}" 2> "$T_DIR/files.err" \
    || fail "--from-file run failed"
assert_eq "$(polls "$T_DIR/files.err" file)" 3 "poll lines for 3 files"
assert_eq "$(grep 'poll source=' "$T_DIR/files.err" | sed 's/.*source=\([^ ]*\) .*/\1/' | xargs -n1 basename | tr '\n' ' ')" \
    "series-1.geojson series-2.geojson series-3.geojson " "order of the polls"
check_topic "$topic" "${S[@]}"
n=$(topic_count "$topic")
"$SISMO" ingest "${run[@]}" --from-file "${S[2]}" 2> "$T_DIR/again.err" || fail "second --from-file run failed"
has_text "$T_DIR/again.err" "new=0 revised=0 unchanged=9 skipped=0 tombstones=0 failed=0" || fail "second run published"
assert_eq "$(topic_count "$topic")" "$n" "messages after re-ingesting a file"

set +e
"$SISMO" ingest "${run[@]}" --from-file "$T_DIR/missing.geojson" 2> "$T_DIR/missing.err"
rc1=$?
port=$(free_port)
"$SISMO" ingest "${run[@]}" --once --url "http://127.0.0.1:$port/feed" 2> "$T_DIR/refused.err"
rc2=$?
set -e
assert_eq "$rc1" 1 "exit status for a missing file"
grep -q "poll failed: cannot open '$T_DIR/missing.geojson': No such file or directory" "$T_DIR/missing.err" || fail "missing-file message: $(cat "$T_DIR/missing.err")"
assert_eq "$rc2" 1 "exit status for --once against nothing"
grep -q "poll failed: GET 'http://127.0.0.1:$port/feed': .*onnect" "$T_DIR/refused.err" || fail "refused message: $(cat "$T_DIR/refused.err")"

# One ingester per state directory.
start_feed feed "${S[2]}"
bg ingest "$SISMO" ingest "${run[@]}" --url "$FEED_URL" --interval 10s
wait_until 30 has_polls "$T_DIR/ingest.err" 200 1
set +e
"$SISMO" ingest "${run[@]}" --from-file "${S[0]}" 2> "$T_DIR/locked.err"
rc=$?
set -e
assert_eq "$rc" 1 "exit status of a second ingester on the same state"
grep -q "state directory '$state' is in use by another ingester (pid ${PIDS[ingest]})" "$T_DIR/locked.err" \
    || fail "lock message: $(cat "$T_DIR/locked.err")"
kill -TERM "${PIDS[ingest]}"
wait "${PIDS[ingest]}" || fail "ingest did not exit 0 on SIGTERM"
unset 'PIDS[ingest]'

# A damaged state file: moved aside, rebuilt from the topic, nothing republished.
sed -i '$d' "$state/$topic.state"
"$SISMO" ingest "${run[@]}" --from-file "${S[0]}" --from-file "${S[1]}" --from-file "${S[2]}" --interval 0 2> "$T_DIR/damaged.err" \
    || fail "run with a damaged state failed"
grep -q "invalid state file '$state/$topic.state' line [0-9]*: no end line (truncated file); moved to '$state/$topic.state.bad-[0-9]*', rebuilding the state from topic" "$T_DIR/damaged.err" \
    || fail "damaged-state message: $(grep -i state "$T_DIR/damaged.err")"
has_text "$T_DIR/damaged.err" "read back $n messages" || fail "the rebuild did not read the whole topic"
assert_eq "$(grep -c ' new=0 revised=0 .* tombstones=0 failed=0 ' "$T_DIR/damaged.err")" 3 "polls that published nothing"
assert_eq "$(topic_count "$topic")" "$n" "messages after the rebuild"
ls "$state/$topic.state".bad-* > /dev/null || fail "damaged file not kept"

# Another cluster (a fresh mock cluster, whatever kind the suite runs on): not trusted.
bg broker2 "$TOOLS/mockbroker" --topic "$topic:3"
wait_until 10 test -s "$T_DIR/broker2.out"
b2=$(head -1 "$T_DIR/broker2.out")
"$SISMO" ingest -b "$b2" --topic "$topic" --state-dir "$state" --from-file "${S[0]}" 2> "$T_DIR/other.err" \
    || fail "run against another cluster failed"
# librdkafka's mock derives cluster ids from an address, so two mocks may share one; then
# the offsets give it away (the new topic ends before the state's checkpoints).
grep -q "state file '$state/$topic.state' was written for cluster '.*', this is '.*': rebuilding it" "$T_DIR/other.err" \
    || grep -q "topic '$topic' partition [0-9] ends at offset 0 but the state has read up to [1-9][0-9]*: the topic was recreated; rebuilding the state from it" "$T_DIR/other.err" \
    || fail "other-cluster message: $(grep -i state "$T_DIR/other.err")"
BOOTSTRAP=$b2 check_topic "$topic" "${S[0]}"
