#!/usr/bin/env bash
# 0407: `sismo dashboard` command-line and start-up errors are clear and never hang.
# Must hold afterwards: a bad --clock, --listen or numeric option, or two options naming
# the same topic, exits 2 with the reason and a --help hint; a port already in use, a missing --web-root and an unreachable broker
# exit 1 with "cannot listen on '...'", "web root '...'" and "cannot reach Kafka at '...'"
# (the last within --connect-timeout); --listen with port 0 prints the port it bound and
# serves on it; SIGINT stops it with status 0.
# brokers: mock
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dashboard.sh"

expect_fail() { # CODE PATTERN ARGS...
    local code=$1 pattern=$2 rc=0; shift 2
    "$SISMO" dashboard "$@" > "$T_DIR/cli.out" 2> "$T_DIR/cli.err" || rc=$?
    assert_eq "$rc" "$code" "exit status of: dashboard $*"
    grep -q -- "$pattern" "$T_DIR/cli.err" || fail "dashboard $*: no '$pattern' in: $(cat "$T_DIR/cli.err")"
}
expect_fail 2 "--clock must be 'wall' or 'event'" --clock sometimes
expect_fail 2 "bad listen address 'localhost': expected HOST:PORT" --listen localhost
expect_fail 2 "bad listen address '127.0.0.1:99999'" --listen 127.0.0.1:99999
expect_fail 2 "--client-buffer >= 1024" --client-buffer 10
expect_fail 2 "Try 'sismo dashboard --help'" --window -5s
expect_fail 2 "--status-interval positive" --status-interval 0s
expect_fail 2 "--topic, --stats-topic and --status-topic must differ" --topic a --status-topic a
expect_fail 2 "--topic, --stats-topic and --status-topic must differ" --stats-topic b --status-topic b

port=$(free_port)
$PY -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(30)' "$port" &
PIDS[holder]=$!
wait_until 5 port_open "$port"
expect_fail 1 "cannot listen on '127.0.0.1:$port': Address already in use" --listen "127.0.0.1:$port" -b 127.0.0.1:1
expect_fail 1 "web root '$T_DIR/nope'" --web-root "$T_DIR/nope" --listen 127.0.0.1:0 -b 127.0.0.1:1
t0=$(date +%s%N)
expect_fail 1 "cannot reach Kafka at '127.0.0.1:1' within 2.0s" --listen 127.0.0.1:0 -b 127.0.0.1:1 --connect-timeout 2s
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 6000 ] || fail "unreachable broker took ${ms} ms to report (limit 6000)"

start_broker "${DASH_TOPICS[@]}"
bg dash0 "$SISMO" dashboard -b "$BOOTSTRAP" --listen 127.0.0.1:0 --topic "$TOPIC" --stats-topic "$STATS_TOPIC"
wait_until 20 grep -q 'listening on http://127.0.0.1:[0-9]*/' "$T_DIR/dash0.err"
url=$(sed -n 's/.*listening on \(http:\/\/127.0.0.1:[0-9]*\/\).*/\1/p' "$T_DIR/dash0.err" | head -1)
curl -sf "${url}healthz" > /dev/null || fail "port 0: not serving on $url"
curl -sf "$url" > "$T_DIR/index.html"
grep -q '<title>sismo' "$T_DIR/index.html" || fail "the compiled page is not served"
kill -INT "${PIDS[dash0]}"
rc=0; wait "${PIDS[dash0]}" || rc=$?
unset "PIDS[dash0]"
assert_eq "$rc" 0 "exit status after SIGINT"
