#!/usr/bin/env bash
# 0506: `sismo --help` lists every command, and `sismo CMD --help` documents each one
# (including the shared Kafka options) and exits 0.
# brokers: mock
. "$(dirname "$0")/lib.sh"
"$SISMO" --help > "$T_DIR/help.out"
for cmd in up broker ingest alerts stats dashboard produce consume; do
    grep -q "^  $cmd " "$T_DIR/help.out" || fail "'$cmd' missing from sismo --help"
    "$SISMO" "$cmd" --help > "$T_DIR/$cmd.help" || fail "sismo $cmd --help failed"
    grep -q "^usage: sismo $cmd" "$T_DIR/$cmd.help" || fail "sismo $cmd --help lacks a usage line"
    "$SISMO" help "$cmd" | cmp -s - "$T_DIR/$cmd.help" || fail "'sismo help $cmd' differs from --help"
done
for cmd in produce consume; do
    for opt in --bootstrap --property --topic; do
        grep -q -- "$opt" "$T_DIR/$cmd.help" || fail "sismo $cmd --help lacks $opt"
    done
done
grep -q -- --count "$T_DIR/produce.help" || fail "produce --count undocumented"
for opt in --group --from-beginning --max; do
    grep -q -- "$opt" "$T_DIR/consume.help" || fail "consume $opt undocumented"
done
"$SISMO" --version | grep -Eq '^sismo [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
