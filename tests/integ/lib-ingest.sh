# lib-ingest.sh - helpers for the 02xx ingest tests; source it after lib.sh.
#
#   start_feed NAME STEP...   runs tests/tools/feedserver.py in the background (see its
#                             header for STEP syntax) and sets FEED_URL and FEED_CTL
#   feed_step K               makes step K (0-based) the one served
#   feed_stats                prints the server's request log (JSON)
#   polls FILE [HTTP]         number of "poll ... http=HTTP" lines in FILE (default 200)
#   has_polls FILE HTTP N     FILE has at least N such lines (for wait_until)
#   has_text FILE TEXT [N]    FILE contains TEXT at least N times (default 1)
#   check_topic TOPIC FILE... the topic holds exactly what the independent model
#                             (tests/tools/ingest_model.py) expects for FILE... polled in order
#   topic_count TOPIC         number of messages in the topic
MODEL=$ROOT/tests/tools/ingest_model.py
FIX=$ROOT/tests/fixtures/usgs

start_feed() {
    local name=$1; shift
    rm -f "$T_DIR/$name.port"
    bg "$name" "$PY" "$ROOT/tests/tools/feedserver.py" --port-file "$T_DIR/$name.port" ${FEED_PORT:+--port "$FEED_PORT"} "$@"
    wait_until 10 test -s "$T_DIR/$name.port"
    FEED_PORT=$(cat "$T_DIR/$name.port")
    FEED_URL=http://127.0.0.1:$FEED_PORT/all_hour.geojson
    FEED_CTL=http://127.0.0.1:$FEED_PORT/_ctl
}

feed_step() { curl -fsS "$FEED_CTL/step?n=$1" > /dev/null; }
feed_stats() { curl -fsS "$FEED_CTL/stats"; }

polls() { grep -c "INFO  ingest: poll source=.* http=${2:-200} " "$1" 2>/dev/null || true; }
has_polls() { [ "$(polls "$1" "$2")" -ge "$3" ]; }
has_text() { [ "$(grep -cF -- "$2" "$1" 2>/dev/null || true)" -ge "${3:-1}" ]; }

check_topic() {
    local topic=$1; shift
    "$PY" "$MODEL" check "$BOOTSTRAP" "$topic" "$@" || fail "topic $topic differs from the expectation for: $*"
}

topic_count() { "$PY" "$MODEL" count "$BOOTSTRAP" "$1"; }
