#!/usr/bin/env bash
# 0511: `sismo up` as a newcomer meets it (`make run ARGS=--simulate`, then `make run`),
# on its own embedded broker (so it runs once, in the mock lane).
# brokers: mock
# timeout: 240
# Must hold:
#  - a broker or dashboard address already taken (another Kafka, another up) is refused at
#    once with exit 1 and the reason, before anything is started or created;
#  - --simulate: ready; the topics exist (sismos 3 partitions, sismos-stats 3, sismo-status 1,
#    mensajes-test 3); quakes reach /api/quakes, windows reach sismos-stats, alerts are
#    logged; stderr that is not a terminal gets plain log lines (no status line);
#  - a child killed with -9 is restarted with a logged, doubling backoff (0.5 s, then 1 s);
#  - SIGINT (Ctrl-C) stops everything with exit 0, broker last, no process left, ports closed;
#  - again on the same data dir with another source (a replay, on a terminal): the earlier
#    quakes are on the dashboard at once, stats does not refuse its snapshot (it has one per
#    watermark), and the terminal shows the status line;
#  - a live feed that cannot be reached (--url to a closed port): up is ready, the dashboard's
#    status API reports the error (the page's banner), ingest keeps retrying with backoff and
#    is never restarted.
. "$(dirname "$0")/lib.sh"
FIX=$ROOT/tests/fixtures/usgs
bport=$(free_port); dport=$(free_port)
BOOTSTRAP=127.0.0.1:$bport
DASH=http://127.0.0.1:$dport
data=$T_DIR/data
UP=(--data-dir "$data" --broker-listen "$BOOTSTRAP" --listen "127.0.0.1:$dport")
api_count() { curl -fsS "$DASH/api/quakes" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["features"]))'; }
children() { pgrep -P "${PIDS[$1]}" | tr '\n' ' '; }

# stop_up NAME: SIGINT, exit 0, broker stopped last, every child gone, ports closed.
stop_up() {
    local kids rc=0 t0
    kids=$(children "$1")
    t0=$(date +%s%N)
    kill -INT "${PIDS[$1]}"
    wait "${PIDS[$1]}" || rc=$?
    unset "PIDS[$1]"
    say "$1 stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    assert_eq "$rc" 0 "$1: exit status after SIGINT"
    [ "$(grep 'up: stopping [a-z]* (pid' "$T_DIR/$1.err" | tail -1 | grep -c 'stopping broker')" = 1 ] ||
        fail "$1: the broker was not stopped last"
    for k in $kids; do kill -0 "$k" 2>/dev/null && fail "$1: child $k still alive after up exited"; done
    ! port_open "$bport" || fail "$1: broker port still open"
    ! port_open "$dport" || fail "$1: dashboard port still open"
}

# 1. Taken addresses are refused before anything starts.
hport=$(free_port)
$PY -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(60)' "$hport" &
PIDS[holder]=$!
wait_until 5 port_open "$hport"
for which in broker dashboard; do
    rc=0
    if [ $which = broker ]; then args=(--broker-listen "127.0.0.1:$hport" --listen "127.0.0.1:$dport") what="embedded broker"
    else args=(--broker-listen "$BOOTSTRAP" --listen "127.0.0.1:$hport") what=dashboard; fi
    timeout 10 "$SISMO" up --simulate --data-dir "$data" "${args[@]}" > /dev/null 2> "$T_DIR/taken.err" || rc=$?
    assert_eq "$rc" 1 "up with the $which address taken"
    grep -q "the $what's address is taken: cannot listen on '127.0.0.1:$hport': Address already in use" \
        "$T_DIR/taken.err" || fail "no reason given: $(cat "$T_DIR/taken.err")"
    [ ! -e "$data" ] || fail "up created $data although it refused to start"
done
kill "${PIDS[holder]}"; unset "PIDS[holder]"
say "taken broker and dashboard addresses refused"

# 2. --simulate, stderr to a file (not a terminal).
bg up1 "$SISMO" up "${UP[@]}" --simulate --rate 5 --min-mag 2.5
wait_until 20 grep -q "up: ready in" "$T_DIR/up1.err"
grep "up: ready in" "$T_DIR/up1.err" | sed 's/.*INFO  //'
grep -q "dashboard at $DASH/" "$T_DIR/up1.err" || fail "dashboard address not printed"
for t in sismos:3 sismos-stats:3 sismo-status:1 mensajes-test:3; do
    assert_eq "$($PY "$ROOT/tests/tools/kadmin.py" "$BOOTSTRAP" partitions "${t%:*}")" "${t#*:}" "partitions of ${t%:*}"
done
quakes_ge() { [ "$(api_count)" -ge "$1" ]; }
wait_until 20 quakes_ge 10
# (-c 1, not -e: the topic grows all the time)
stats_out() { [ "$(timeout 5 kcat -b "$BOOTSTRAP" -C -t sismos-stats -o beginning -c 1 -q | wc -l)" -gt 0 ]; }
wait_until 20 stats_out
wait_until 30 has_lines "$data/alertas.log" 1
grep -q $'\033\[K' "$T_DIR/up1.err" && fail "status line drawn although stderr is not a terminal"
say "simulate: $(api_count) quakes on the dashboard, windows in sismos-stats, $(lines "$data/alertas.log") alerts"

# 3. Restart with backoff, logged.
sim=$(pgrep -P "${PIDS[up1]}" -f "sismo simulate"); [ -n "$sim" ] || fail "no simulate child"
kill -9 "$sim"
wait_until 10 grep -q "up: simulate (pid $sim) killed by signal 9.*restarting in 0.5s" "$T_DIR/up1.err"
wait_until 10 grep -q "up: restarted simulate (pid [0-9]*, restart #1)" "$T_DIR/up1.err"
sim=$(pgrep -P "${PIDS[up1]}" -f "sismo simulate")
kill -9 "$sim"
wait_until 10 grep -q "up: simulate (pid $sim) killed by signal 9.*restarting in 1.0s" "$T_DIR/up1.err"
wait_until 10 grep -q "up: restarted simulate (pid [0-9]*, restart #2)" "$T_DIR/up1.err"
say "simulate killed twice: restarted after 0.5 s, then 1 s"
stop_up up1

# 4. Same data dir, another source (its stats watermark differs), on a terminal.
bg up2 script -qfec "$(printf '%q ' "$SISMO" up "${UP[@]}" --replay "$FIX/series-1.geojson")" "$T_DIR/tty.txt"
wait_until 20 grep -q "up: ready in" "$T_DIR/tty.txt"
n=$(api_count)
say "after restart the dashboard shows $n earlier quakes at once"
[ "$n" -ge 10 ] || fail "the earlier quakes are not on the dashboard at ready ($n)"
wait_until 20 grep -q "up: ingest finished" "$T_DIR/tty.txt"
wait_until 10 grep -q $'\r\033\\[Ksismo up [0-9:]* | [0-9]* quakes | [0-9]* alerts | [0-9]* clients | lag [0-9]* | '"$DASH/" "$T_DIR/tty.txt"
sleep 1
grep -q "up: stats (pid [0-9]*) exited" "$T_DIR/tty.txt" && fail "stats exited: $(grep -m1 'stats     |' "$T_DIR/tty.txt")"
up=$(pgrep -f "^$SISMO up --data-dir $data ")
[ -n "$up" ] || fail "up not found under script"
kill -INT "$up"
wait "${PIDS[up2]}" || fail "up under script: exit status $?"
unset "PIDS[up2]"
grep -q "up: stopped" "$T_DIR/tty.txt" || fail "up did not stop cleanly under script"
say "replay on the same data: earlier quakes shown at once, stats kept running, status line drawn"

# 5. Live feed unreachable: a closed port.
cport=$(free_port)
bg up3 "$SISMO" up "${UP[@]}" --url "http://127.0.0.1:$cport/all_hour.geojson" --interval 1s --no-status
wait_until 20 grep -q "up: ready in" "$T_DIR/up3.err"
feed_error() { curl -fsS "$DASH/api/status" | grep -q '"state":"error".*"error":"GET '"'"'http://127.0.0.1:'"$cport"; }
wait_until 10 feed_error
failed_ge() { [ "$(grep -c 'ingest: poll failed' "$T_DIR/up3.err")" -ge "$1" ]; }
wait_until 20 failed_ge 3
grep -q "next attempt in 2.0s (2 failed in a row)" "$T_DIR/up3.err" || fail "ingest retries without backoff"
feed_error || fail "the dashboard no longer reports the feed error"
grep -q "up: ingest (pid" "$T_DIR/up3.err" && fail "ingest was restarted: $(grep 'up: ingest (pid' "$T_DIR/up3.err")"
say "unreachable feed: dashboard reports the error, ingest retried $(grep -c 'ingest: poll failed' "$T_DIR/up3.err") times, never restarted"
stop_up up3
