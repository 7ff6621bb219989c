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
run_fuzzer quake 20
