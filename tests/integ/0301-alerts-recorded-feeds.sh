#!/usr/bin/env bash
# 0301: `sismo alerts` over every recorded USGS feed (revision pairs and series in order) plus
# tests/fixtures/alerts/revisions.tsv (revisions 4.4 -> 4.6, updates, PAGER changes, null
# magnitudes, tombstones, an id re-issued under a new key, invalid records).
# Must hold afterwards:
#   - alertas.log holds exactly the alerts tests/tools/alerts_check.py computes on its own from
#     the produced messages: one ALERTA per event reaching M4.5, each once, ACTUALIZACION only
#     when the shown magnitude or the PAGER level changed, nothing for the others;
#   - stdout has one 42-column box per log line, in the same order, without colour codes;
#   - invalid records were reported on stderr and did not stop the consumer;
#   - restarting with the same group, then with a new group (everything consumed again),
#     logs nothing already logged.
# Then the same messages under rules: --region across the antimeridian, --max-depth, --types.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-alerts.sh"
need_shared
topic=$(uniq sismos)
start_broker "$topic:3"

feeds_to_tsv "$T_DIR/feeds.tsv"
cat "$T_DIR/feeds.tsv" "$FIXTURES/revisions.tsv" > "$T_DIR/messages.tsv"
produce_tsv "$topic" "$T_DIR/messages.tsv"
produce_sentinels "$topic" 3 "$T_DIR/messages.tsv"
say "$(grep -vc '^#' "$T_DIR/messages.tsv") messages produced"

# run_alerts NAME GROUP LOG SENTINELS [options...]: runs `sismo alerts` until the log holds
# SENTINELS sentinel alerts, then stops it with SIGTERM (exit status 0 required).
run_alerts() {
    local name=$1 g=$2 l=$3 n=$4; shift 4
    bg "$name" "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$g" --log "$l" \
        "${GROUP_OPTS[@]}" "$@"
    wait_until 60 sentinels_in "$n" "$l"
    kill -TERM "${PIDS[$name]}"
    local rc=0; wait "${PIDS[$name]}" || rc=$?; unset "PIDS[$name]"
    assert_eq "$rc" 0 "exit status of $name after SIGTERM"
}

log=$T_DIR/alertas.log
run_alerts alerts "$(uniq g1)" "$log" 3
check_alerts --messages "$T_DIR/messages.tsv" --log "$log"
lines=$(wc -l < "$log")
assert_eq "$(grep -c '^╔' "$T_DIR/alerts.out")" "$lines" "boxes on stdout vs lines in the log"
box_widths_ok "$T_DIR/alerts.out" || fail "a box line is not 42 columns wide"
if grep -q $'\033' "$T_DIR/alerts.out"; then fail "colour codes although stdout is a file"; fi
$PY - "$log" "$T_DIR/alerts.out" <<'PY' || fail "boxes and log lines are not in the same order"
import json, re, sys
def shown(m):
    s = "%.1f" % m
    return s[1:] if s.startswith("-") and set(s[1:]) <= set("0.") else s
log = [shown(json.loads(l)["magnitud"]) for l in open(sys.argv[1], encoding="utf-8")]
out = re.findall(r"Magnitud: (-?[0-9.]+)", open(sys.argv[2], encoding="utf-8").read())
sys.exit(0 if log == out else 1)
PY
grep -q 'skipped invalid record' "$T_DIR/alerts.err" || fail "invalid records were not reported"
grep -q 'stopped: .* 3 invalid, 2 tombstones' "$T_DIR/alerts.err" ||
    fail "summary should count 3 invalid records, 2 tombstones: $(grep stopped "$T_DIR/alerts.err")"
say "$lines alerts logged and boxed"

# Same group again: only the new sentinels are consumed and logged.
produce_sentinels "$topic" 3 "$T_DIR/messages.tsv"
run_alerts again "$(uniq g1)" "$log" 6
assert_eq "$(wc -l < "$log")" $((lines + 3)) "log lines after a restart with the same group"
grep -q 'stopped: 3 messages' "$T_DIR/again.err" || fail "the same group re-read old messages"
# New group: everything is consumed again; the log recognises all of it.
produce_sentinels "$topic" 3 "$T_DIR/messages.tsv"
run_alerts fresh "$(uniq g2)" "$log" 9
assert_eq "$(wc -l < "$log")" $((lines + 6)) "log lines after re-reading everything"
grep -Eq 'stopped: [0-9]+ messages, 3 alerts, 0 updates, [0-9]+ replayed' "$T_DIR/fresh.err" ||
    fail "re-read: $(grep stopped "$T_DIR/fresh.err")"
check_alerts --messages "$T_DIR/messages.tsv" --log "$log"

# Rules: Fiji/Tonga box across the antimeridian, at most 100 km deep, earthquakes only.
rules=(--min-mag 4.0 --region=-30,170,-10,-170 --max-depth 100 --types earthquake)
run_alerts rules "$(uniq g3)" "$T_DIR/rules.log" 9 "${rules[@]}"
grep -v '"id":"zz-sentinel' "$T_DIR/rules.log" > "$T_DIR/rules-only.log" || true
grep -v 'zz-sentinel' "$T_DIR/messages.tsv" > "$T_DIR/messages-nosentinel.tsv"
check_alerts --messages "$T_DIR/messages-nosentinel.tsv" --log "$T_DIR/rules-only.log" \
    --min-mag 4.0 --region=-30,170,-10,-170 --max-depth 100 --types earthquake
n=$(wc -l < "$T_DIR/rules-only.log")
[ "$n" -ge 3 ] || fail "only $n alerts under the region rules: the test data should give several"
say "rules: $n alerts inside the antimeridian box"
