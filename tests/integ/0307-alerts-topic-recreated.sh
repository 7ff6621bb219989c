#!/usr/bin/env bash
# 0307: the alert log outlives its topic. `sismo alerts` logs the revisions fixture from a
# one-partition topic; then the topic is recreated empty (the broker restarted without its
# data) and new events arrive at offsets the log already covers, keeping the same log.
# Must hold afterwards:
#   - the new events are alerted, and a revision of one of them raises its update (a first
#     alert is never taken for a replay; after it the partition is decided anew), with a
#     warning on stderr naming the situation;
#   - an event known from the old log and unchanged is not alerted again;
#   - the log is exactly what tests/tools/alerts_check.py expects from both runs' messages.
# brokers: mock sismo
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-alerts.sh"
topic=$(uniq sismos)
group=$(uniq g-recreated)
log=$T_DIR/alertas.log
start_broker "$topic:1"

# run NAME SENTINELS: runs `sismo alerts` until the log holds SENTINELS sentinel alerts.
run() {
    bg "$1" "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$group" --log "$log" \
        "${GROUP_OPTS[@]}"
    wait_until 60 sentinels_in "$2" "$log"
    kill -TERM "${PIDS[$1]}"; local rc=0; wait "${PIDS[$1]}" || rc=$?; unset "PIDS[$1]"
    assert_eq "$rc" 0 "exit status of $1"
}

cp "$FIXTURES/revisions.tsv" "$T_DIR/m1.tsv"
produce_tsv "$topic" "$T_DIR/m1.tsv"
produce_sentinels "$topic" 1 "$T_DIR/m1.tsv"
run first 1
check_alerts --messages "$T_DIR/m1.tsv" --log "$log"
n1=$(wc -l < "$log")
cp "$log" "$T_DIR/first.log"
last=$($PY -c 'import json,sys; print(max(json.loads(l)["offset"] for l in open(sys.argv[1])))' "$log")
say "first topic: $n1 alerts, last logged offset $last"

# The topic again, empty: its offsets start at 0.
stop_pid "${PIDS[broker]}"; unset "PIDS[broker]"
rm -rf "$T_DIR/broker-data"
start_broker "$topic:1"
rec() { # ID MAG: a new qualifying-or-not record
    printf '%s\t{"id":"%s","magnitud":%s,"lugar":"after the recreation","latitud":-33.5,"longitud":-70.6,"profundidad_km":10.0,"timestamp":"2024-02-01T00:00:00.000Z","tipo":"earthquake","ids":["%s"]}\n' "$1" "$1" "$2" "$1"
}
{
    rec fxafter1 5.0; rec fxafter2 3.0; rec fxafter1 5.4
    grep '^fxrev1' "$FIXTURES/revisions.tsv" | tail -1   # unchanged since its last alert
    rec fxafter3 4.7
} > "$T_DIR/m2.tsv"
produce_tsv "$topic" "$T_DIR/m2.tsv"
produce_sentinels "$topic" 1 "$T_DIR/m2.tsv"
[ "$(grep -vc '^#' "$T_DIR/m2.tsv")" -le "$last" ] ||
    fail "the second topic's offsets should stay within the first log's ($last)"
run second 2

grep -q 'the log is older than the topic' "$T_DIR/second.err" ||
    fail "no warning about the old log: $(grep -i warn "$T_DIR/second.err")"
check_alerts --messages "$T_DIR/m1.tsv" --messages "$T_DIR/m2.tsv" --log "$log"
for id in fxafter1 fxafter3; do
    grep -q "\"id\":\"$id\".*\"aviso\":\"ALERTA\"" "$log" || fail "$id was not alerted"
done
grep -q '"id":"fxafter1".*"aviso":"ACTUALIZACION"' "$log" || fail "fxafter1's revision did not raise its update"
assert_eq "$(grep -c '"id":"fxrev1"' "$log")" "$(grep -c '"id":"fxrev1"' "$T_DIR/first.log")" \
    "alerts of fxrev1 (known from the old log, unchanged)"
assert_eq "$(wc -l < "$log")" $((n1 + 4)) "lines after the second run (3 alerts, 1 sentinel)"
