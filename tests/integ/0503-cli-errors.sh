#!/usr/bin/env bash
# 0503: bad command lines and an unreachable broker give clear errors and non-zero exits
# within a bounded time - never a hang.
. "$(dirname "$0")/lib.sh"
dead=127.0.0.1:$(free_port)   # nothing listens there

expect_fail() { # expect_fail CODE MAX_SECONDS PATTERN CMD...
    local code=$1 max=$2 pat=$3; shift 3
    local t0 rc=0; t0=$(date +%s%N)
    "$@" > "$T_DIR/x.out" 2> "$T_DIR/x.err" || rc=$?
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    assert_eq "$rc" "$code" "exit code of: $*"
    grep -q -- "$pat" "$T_DIR/x.err" || { cat "$T_DIR/x.err"; fail "stderr of '$*' lacks '$pat'"; }
    [ $ms -le $((max * 1000)) ] || fail "'$*' took ${ms} ms (limit ${max}s)"
    say "ok ($rc in ${ms} ms): $*"
}

expect_fail 1 6 "cannot reach Kafka at '$dead' within 2.0s" "$SISMO" produce -b "$dead" --connect-timeout 2s
expect_fail 1 6 "cannot reach Kafka at '$dead' within 2.0s" "$SISMO" consume -b "$dead" --connect-timeout 2s
expect_fail 1 6 "Connection refused" "$SISMO" consume -b "$dead" --connect-timeout 2s
# SISMO_BOOTSTRAP is the default address.
SISMO_BOOTSTRAP=$dead expect_fail 1 6 "cannot reach Kafka at '$dead'" "$SISMO" produce --connect-timeout 2s
# Default timeout is bounded too (10 s).
expect_fail 1 14 "within 10.0s" "$SISMO" produce -b "$dead"

expect_fail 2 1 "unknown option '--bogus'" "$SISMO" produce --bogus
expect_fail 2 1 "expects an integer" "$SISMO" produce --count ten
expect_fail 2 1 "not of the form key=value" "$SISMO" produce -X nokey -b "$dead"
expect_fail 1 2 "invalid Kafka property 'no.such.property=1'" "$SISMO" produce -X no.such.property=1 -b "$dead"
expect_fail 2 1 "'bogus' is not a sismo command" "$SISMO" bogus
expect_fail 2 1 "usage: sismo <command>" "$SISMO"
expect_fail 2 1 "requires a value" "$SISMO" consume --group
