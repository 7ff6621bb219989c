#!/usr/bin/env bash
# 0356: the `sismos` record decoder under libFuzzer (tests/fuzz/fuzz_quake.c, built with
# clang, ASan and UBSan by `make fuzz`), seeded with tests/fuzz/corpus/quake: a differential
# target comparing the canonical fast path with the general JSON reader, the core decode with
# the full one, and encode/decode round trips.
# Must hold afterwards: FUZZ_SECONDS (default 20) of fuzzing end with no crash, no sanitizer
# report and no disagreement (the target aborts on those), and the whole seed corpus ran.
# brokers: sismo
# timeout: 300
. "$(dirname "$0")/lib.sh"
command -v clang >/dev/null || skip "clang is not installed (scripts/deps.sh --test installs it)"
make -C "$ROOT" --no-print-directory -s fuzz > "$T_DIR/build.log" 2>&1 || { cat "$T_DIR/build.log"; fail "make fuzz failed"; }
target=$ROOT/build-fuzz/fuzz/fuzz_quake
mkdir -p "$T_DIR/corpus"
secs=${FUZZ_SECONDS:-20}
TMPDIR=$T_DIR "$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$T_DIR/" "$T_DIR/corpus" "$ROOT/tests/fuzz/corpus/quake" \
    > "$T_DIR/fuzz.out" 2>&1 || { tail -n 40 "$T_DIR/fuzz.out"; fail "fuzzer found a problem"; }
grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$T_DIR/fuzz.out" | sed 's/^/# /'
seeds=$(ls "$ROOT/tests/fuzz/corpus/quake" | wc -l)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T_DIR/fuzz.out")
[ "${runs:-0}" -ge "$seeds" ] || fail "only ${runs:-0} inputs executed, corpus has $seeds"
ls "$T_DIR"/crash-* "$T_DIR"/leak-* "$T_DIR"/timeout-* 2>/dev/null && fail "artifacts left"
say "no finding in ${secs}s"
