# lib-dashboard.sh - helpers for the 04xx dashboard tests; source it after lib.sh.
#
#   DASH_TOPICS           "sismos:3 sismos-stats:1 sismo-status:1" with run-unique names in
#                         $TOPIC, $STATS_TOPIC, $STATUS_TOPIC
#   start_dashboard ARGS  runs `sismo dashboard` on a free port (plus ARGS), waits until it
#                         answers /healthz; sets $DASH (http://127.0.0.1:PORT), $DASH_PORT and
#                         ${PIDS[dashboard]}
#   produce_tsv TOPIC FILE    produces key<TAB>value lines (tests/tools/kproduce.py)
#   dash_messages         messages consumed so far (from /healthz)
#   wait_messages N [SECS]    waits until the dashboard consumed at least N messages
#   count_lines FILE      non-empty lines of FILE
#   stop_dashboard        SIGTERM; the dashboard must exit 0 (leak-free under ASan)
export TOPIC=$(uniq sismos)
export STATS_TOPIC=$(uniq sismos-stats)
export STATUS_TOPIC=$(uniq sismo-status)
DASH_TOPICS=("$TOPIC:3" "$STATS_TOPIC:1" "$STATUS_TOPIC:1")
FIXTURES=$ROOT/tests/fixtures/dashboard

start_dashboard() {
    DASH_PORT=$(free_port)
    bg dashboard "$SISMO" dashboard -b "$BOOTSTRAP" --listen "127.0.0.1:$DASH_PORT" \
        --topic "$TOPIC" --stats-topic "$STATS_TOPIC" --status-topic "$STATUS_TOPIC" "$@"
    DASH=http://127.0.0.1:$DASH_PORT
    wait_until 20 curl -sf "$DASH/healthz"
    export DASH DASH_PORT
}

produce_tsv() {
    $PY "$ROOT/tests/tools/kproduce.py" "$BOOTSTRAP" "$1" "$2"
}

dash_messages() {
    curl -sf "$DASH/healthz" | sed -n 's/.*"messages":\([0-9]*\).*/\1/p'
}

has_messages() { [ "$(dash_messages)" -ge "$1" ] 2>/dev/null; }

wait_messages() {
    wait_until "${2:-30}" has_messages "$1"
}

count_lines() { grep -c . "$1"; }

# stop_dashboard: one SIGTERM, then the dashboard must exit 0 within 10 s (clean shutdown;
# in a sanitizer build, a leak report makes the exit status non-zero).
stop_dashboard() {
    local pid=${PIDS[dashboard]} rc=0 i=0
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    wait "$pid" || rc=$?
    unset "PIDS[dashboard]"
    assert_eq "$rc" 0 "dashboard exit status after SIGTERM"
}
