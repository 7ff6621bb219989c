# lib-alerts.sh - helpers for the 03xx `sismo alerts` tests; source after lib.sh.
#
#   ALERTS_FEEDS        the recorded USGS files, oldest first (revision pairs in order)
#   feeds_to_tsv OUT    converts ALERTS_FEEDS to `key<TAB>value` lines (usgs2sismos.py)
#   produce_tsv TOPIC FILE... [--rate N]   produces lines in order (tests/tools/produce_lines.py)
#   produce_sentinels TOPIC PARTITIONS OUT  one M9.9 earthquake per partition (explicit
#                       partition; at 17.5S 179.5E, 1 km deep, so it passes region tests too),
#                       with ids new in each call (zz-sentinel<round>-p<partition>), appended to
#                       OUT as well; once a consumer has alerted all of them it has consumed
#                       everything produced before them (each partition is ordered)
#   sentinels_in N LOG...  true when the logs hold N sentinel alerts in total (all rounds)
#   check_alerts ARGS...   tests/tools/alerts_check.py (messages and logs, rules)
#   box_widths_ok FILE  every non-empty console line is 42 columns wide (ANSI stripped,
#                       display width measured with Python's unicodedata)
#   ALERTS_GROUP_OPTS   -X options for group members that come and go cleanly
#   restart_opts N      -X options for the Nth start of a process that is killed (-9) and
#                       started again in the same group, echoed for `read -ra`
#
# Group timing depends on the broker. librdkafka's mock cluster elects a group's first leader
# 3 s after its first join, holds a join into a running group for (the previous joiner's
# session timeout - 1 s) and drops a member that waits in JoinGroup longer than the group's
# session timeout; a killed member is evicted after its own session timeout. So on the mock,
# restarts use short session timeouts that shrink by 0.5 s per restart, from 3.5 s to 1.5 s
# (docs/ALERTS.md). Kafka and `sismo broker` refuse session timeouts under 6 s; there a
# restarted process uses static membership (group.instance.id, the same for every start of
# one test), which replaces its killed predecessor at once instead of waiting for its
# session to expire. (The mock ignores instance ids for membership.)
ALERTS_FEEDS=(all_day-2014-04-14T1152Z all_week-2014-04-15T1214Z all_hour-2017-12-03T2315Z
    significant_month-2019-10-26T1649Z 4.5_week-2020-10-10T1643Z all_week-2023-04-07T1723Z
    2.5_day-2025-12-06T2319Z 2.5_day-2025-12-07T0159Z 2.5_day-2025-12-07T0340Z)
FIXTURES=$ROOT/tests/fixtures/alerts

feeds_to_tsv() {
    local out=$1 f; : > "$out"
    for f in "${ALERTS_FEEDS[@]}"; do
        $PY "$ROOT/tests/tools/usgs2sismos.py" "$SHARED/data/usgs/$f.geojson" >> "$out"
    done
}

produce_tsv() {
    local topic=$1; shift
    $PY "$ROOT/tests/tools/produce_lines.py" "$BOOTSTRAP" "$topic" "$@"
}

SENTINEL_ROUND=0
produce_sentinels() {
    local topic=$1 parts=$2 out=$3 p line id
    SENTINEL_ROUND=$((SENTINEL_ROUND + 1))
    for ((p = 0; p < parts; p++)); do
        id=zz-sentinel$SENTINEL_ROUND-p$p
        line=$(printf '%s\t{"id":"%s","magnitud":9.9,"lugar":"sentinel","latitud":-17.5,"longitud":179.5,"profundidad_km":1,"tipo":"earthquake","timestamp":"2030-01-01T00:00:00.000Z","ids":["%s"]}' "$id" "$id" "$id")
        echo "$line" >> "$out"
        echo "$line" | $PY "$ROOT/tests/tools/produce_lines.py" "$BOOTSTRAP" "$topic" --partition "$p" 2>/dev/null
    done
}

sentinels_in() {
    local n=$1; shift
    [ "$(cat "$@" 2>/dev/null | grep -c '"id":"zz-sentinel')" -ge "$n" ]
}

check_alerts() {
    $PY "$ROOT/tests/tools/alerts_check.py" "$@"
}

box_widths_ok() {
    $PY - "$1" <<'PYEOF'
import re, sys, unicodedata
def width(s):
    w = 0
    for c in s:
        if unicodedata.category(c) in ("Mn", "Me", "Cf") and c != "\u00ad":
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w
bad = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
        if line and width(line) != 42:
            bad += 1
            if bad <= 5:
                print(f"{sys.argv[1]}:{n}: {width(line)} columns: {line}", file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
}

if [ "$SISMO_TEST_BROKER" = mock ]; then
    ALERTS_GROUP_OPTS=(-X session.timeout.ms=3500 -X heartbeat.interval.ms=300)
else
    ALERTS_GROUP_OPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
fi

restart_opts() {
    if [ "$SISMO_TEST_BROKER" = mock ]; then
        local s=$((3500 - 500 * ($1 - 1)))
        [ $s -ge 1500 ] || s=1500
        echo "-X session.timeout.ms=$s -X heartbeat.interval.ms=250 -X max.poll.interval.ms=6000"
    else
        echo "-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X group.instance.id=$(uniq alerts)"
    fi
}
