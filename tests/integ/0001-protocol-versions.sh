#!/usr/bin/env bash
# 0001: every API version `sismo broker` advertises, spoken by an independent codec
# (tests/tools/kproto.py, driven by Apache Kafka's JSON schemas) - including the flexible
# versions no installed client sends.
# Must hold afterwards: ApiVersions v0-v3 answer (v3 checks the software name, an
# unsupported version gets the v0 fallback with our range for key 18); for each advertised
# API and version the response decodes byte for byte and carries what was asked: topics
# auto-created with a stable non-zero topic id, produced records fetched back at their
# offsets, ListOffsets earliest/latest/by time, a group joined (MEMBER_ID_REQUIRED from v4),
# synced, heartbeated, left, offsets committed and fetched back, topics created (bad
# requests refused with the right code) and deleted, idempotent duplicates acknowledged at
# their original offset; a parked fetch wakes on an append from another connection.
# brokers: sismo
. "$(dirname "$0")/lib.sh"
schemas=$SHARED/reference/kafka-protocol/messages
[ -d "$schemas" ] || skip "Kafka JSON schemas not found at $schemas"
start_broker
$PY "$ROOT/tests/tools/kconform.py" "$schemas" "$BOOTSTRAP" | tee "$T_DIR/conform.out"
grep -q '^all advertised versions verified$' "$T_DIR/conform.out" || fail "conformance run incomplete"
kill -0 "${PIDS[broker]}" || fail "broker died"
