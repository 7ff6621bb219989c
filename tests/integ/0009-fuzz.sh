#!/usr/bin/env bash
# 0009: the request decoder under libFuzzer (tests/fuzz/fuzz_request.c, built with clang,
# ASan and UBSan by `make fuzz`), seeded with tests/fuzz/corpus/request (requests captured
# from real clients, one per advertised API version, and earlier fuzzer finds).
# Must hold afterwards: FUZZ_SECONDS (default 30) of fuzzing end with no crash, no
# sanitizer report, no leak and no malformed answer (the target aborts on those), and the
# whole seed corpus was executed.
# brokers: sismo
# timeout: 400
. "$(dirname "$0")/lib.sh"
run_fuzzer request 30
