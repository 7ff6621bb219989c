#!/usr/bin/env bash
# bench/run.sh - runs every bench/*.sh (or those named in BENCH="ingest stats") and prints
# their figures. Each benchmark prints sismo's figures beside a reference measured in the
# same run (ratios, not absolute times). Not part of `make test`.
set -u
cd "$(dirname "$0")/.."
export ROOT=$PWD BUILD=${BUILD:-build}
rc=0
for b in bench/[a-z]*.sh; do
    name=$(basename "$b" .sh)
    [ "$name" = run ] && continue
    if [ -n "${BENCH:-}" ] && [[ " $BENCH " != *" $name "* ]]; then continue; fi
    echo "== bench: $name"
    bash "$b" || { echo "bench $name failed"; rc=1; }
done
exit $rc
