#!/usr/bin/env bash
# 0305: `sismo alerts` command line and failures.
# Must hold afterwards:
#   - --help exits 0; bad options exit 2 with a reason naming the option; an unreachable
#     broker exits 1 within the connect timeout; an alert log that cannot be opened exits 1;
#   - SIGINT and SIGTERM exit 0 within 2 s;
#   - when the log cannot be written (file size limit), the command stops with status 1 and a
#     clear error before storing the message's offset, leaving no partial line; after a restart
#     without the limit the log holds every alert exactly once (alerts_check.py);
#   - crashes just before and just after a log append (with every stored offset committed
#     first, the worst case) lose no alert and double none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-alerts.sh"

"$SISMO" alerts --help > "$T_DIR/help.txt" || fail "--help failed"
for o in --min-mag --region --max-depth --types --log --no-color --color --group --topic; do
    grep -q -- "$o" "$T_DIR/help.txt" || fail "--help does not document $o"
done
usage() { # EXPECTED-TEXT ARGS...: exit 2 and the text on stderr
    local want=$1; shift
    local rc=0; "$SISMO" alerts "$@" > /dev/null 2> "$T_DIR/usage.err" || rc=$?
    assert_eq "$rc" 2 "exit status of 'alerts $*'"
    grep -q -- "$want" "$T_DIR/usage.err" || fail "'alerts $*': expected '$want' in: $(cat "$T_DIR/usage.err")"
}
usage "expected SOUTH,WEST,NORTH,EAST" --region 1,2,3
usage "latitudes must be within -90..90" --region=-95,0,10,10
usage "SOUTH (10) is north of NORTH (-10)" --region=10,0,-10,10
usage "'--min-mag' expects a number" --min-mag big
usage "'--max-depth' expects a number" --max-depth deep
usage "no event type given" --types ,
usage "exclude each other" --color --no-color
usage "unknown option '--bogus'" --bogus

port=$(free_port)
t0=$(date +%s%N); rc=0
"$SISMO" alerts -b "127.0.0.1:$port" --connect-timeout 1s --log "$T_DIR/x.log" 2> "$T_DIR/down.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "$rc" 1 "exit status with no broker"
grep -q "cannot reach Kafka at '127.0.0.1:$port'" "$T_DIR/down.err" || fail "no reachability error: $(cat "$T_DIR/down.err")"
[ $ms -lt 5000 ] || fail "took $ms ms to give up (connect timeout 1s)"
for bad in "$T_DIR" "$T_DIR/missing/dir/a.log" /dev/null; do
    rc=0; "$SISMO" alerts -b "127.0.0.1:$port" --log "$bad" 2> "$T_DIR/log.err" || rc=$?
    assert_eq "$rc" 1 "exit status with --log $bad"
    grep -Eq "cannot open alert log|is not a regular file" "$T_DIR/log.err" ||
        fail "--log $bad: $(cat "$T_DIR/log.err")"
done

topic=$(uniq sismos)
topic2=$(uniq sismos-crash)
start_broker "$topic:3" "$topic2:3"
# Signals: clean exit within 2 s, partitions assigned and idle.
for sig in INT TERM; do   # both join at once, in separate groups
    bg "sig$sig" "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$(uniq "g-$sig")" \
        --log "$T_DIR/sig$sig.log" "${GROUP_OPTS[@]}"
done
for sig in INT TERM; do
    wait_until 30 grep -q 'assigned 3 partitions' "$T_DIR/sig$sig.err"
    t0=$(date +%s%N); kill -"$sig" "${PIDS[sig$sig]}"
    rc=0; wait "${PIDS[sig$sig]}" || rc=$?; unset "PIDS[sig$sig]"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    assert_eq "$rc" 0 "exit status after SIG$sig"
    [ $ms -lt 2000 ] || fail "SIG$sig: exit took $ms ms (limit 2000)"
    say "SIG$sig: exit 0 after $ms ms"
done

# A log that cannot grow: bash's ulimit -f counts 1024-byte blocks.
produce_tsv "$topic" "$FIXTURES/revisions.tsv"
cp "$FIXTURES/revisions.tsv" "$T_DIR/messages.tsv"
log=$T_DIR/alertas.log
group=$(uniq g-full)
rc=0
(ulimit -f 3; exec "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$group" --log "$log" \
    "${GROUP_OPTS[@]}" > "$T_DIR/full.out" 2> "$T_DIR/full.err") || rc=$?
assert_eq "$rc" 1 "exit status when the log cannot be written"
grep -q "cannot append to alert log '$log': File too large" "$T_DIR/full.err" ||
    fail "no clear error: $(tail -3 "$T_DIR/full.err")"
[ -z "$(tail -c 1 "$log")" ] || fail "a partial line was left in the log"
n1=$(wc -l < "$log")
[ "$(stat -c %s "$log")" -le 3072 ] || fail "the log grew past the limit"
say "stopped by the size limit after $n1 alerts"
produce_sentinels "$topic" 3 "$T_DIR/messages.tsv"
bg again "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$group" --log "$log" "${GROUP_OPTS[@]}"
wait_until 60 sentinels_in 3 "$log"
kill -TERM "${PIDS[again]}"; rc=0; wait "${PIDS[again]}" || rc=$?; unset "PIDS[again]"
assert_eq "$rc" 0 "exit status of the restart"
check_alerts --messages "$T_DIR/messages.tsv" --log "$log"
[ "$(wc -l < "$log")" -gt $((n1 + 3)) ] || fail "the restart logged nothing beyond the sentinels"

# Crashes at exact points (SISMO_ALERTS_FAULT commits every stored offset, then SIGKILLs
# itself): just before the 4th alert is logged, then just after the 3rd alert of the next
# run is logged. Then a clean run. The log must hold every alert exactly once: the first
# crash's alert was not lost (its offset had not been stored), the second's not doubled.
group=$(uniq g-crash)
log=$T_DIR/crash.log
# (group timing for restarts after a kill: restart_opts in lib-alerts.sh)
crash_run() { # NAME START FAULT
    local rc=0 opts
    read -ra opts <<< "$(restart_opts "$2")"
    SISMO_ALERTS_FAULT=$3 "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic2" --group "$group" \
        --log "$log" "${opts[@]}" > "$T_DIR/$1.out" 2> "$T_DIR/$1.err" || rc=$?
    assert_eq "$rc" 137 "$1: killed by SIGKILL"
}
produce_tsv "$topic2" "$FIXTURES/revisions.tsv"
cp "$FIXTURES/revisions.tsv" "$T_DIR/crash-messages.tsv"
crash_run crash1 1 before-log:4
assert_eq "$(wc -l < "$log")" 3 "lines logged before the crash before the 4th"
crash_run crash2 2 after-log:3
assert_eq "$(wc -l < "$log")" 6 "lines logged after the crash after the 3rd of run 2"
produce_sentinels "$topic2" 3 "$T_DIR/crash-messages.tsv"
read -ra opts <<< "$(restart_opts 3)"
bg crash3 "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic2" --group "$group" --log "$log" \
    "${opts[@]}"
wait_until 60 sentinels_in 3 "$log"
kill -TERM "${PIDS[crash3]}"; rc=0; wait "${PIDS[crash3]}" || rc=$?; unset "PIDS[crash3]"
assert_eq "$rc" 0 "exit status of the run after the crashes"
grep -q 'not logged again' "$T_DIR/crash3.err" || fail "run 3 did not meet run 2's last alert"
check_alerts --messages "$T_DIR/crash-messages.tsv" --log "$log"
