#!/usr/bin/env bash
# bench/storage.sh - partition log throughput beside a plain-file reference, same run.
#
# Append: stor_log_append of the same prebuilt RecordBatch (1 KiB and 16 KiB) for
# BENCH_SECONDS (default 3) per side and case, under each fsync policy; reference: write(2)
# of the same bytes to one file with the same sync discipline (fdatasync after every write for
# "always", every 1000 ms for "interval", never for "never").
# Read: stor_log_read in 1 MiB fetches over the whole 16 KiB-batch log; reference: pread of
# the same segment files in 1 MiB chunks. Both read from the page cache (warm).
# Figures are printed as sismo / reference ratios; absolute numbers depend on the disk.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
ST=$BUILD/tools/stortool
[ -x "$ST" ] || { echo "storage bench: $ST not built (make)"; exit 1; }
secs=${BENCH_SECONDS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sismo-bench-storage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "storage: append, $secs s per case, on $(df -P "$tmp" | awk 'NR==2 {print $1}') ($(nproc) cpus)"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine skews every ratio)"
printf '%-8s %-9s | %12s %9s | %12s %9s | %6s\n' batch fsync "sismo b/s" "MB/s" "ref b/s" "MB/s" ratio
# Each case alternates sismo and the reference in $rounds short rounds and sums them, so
# that load changes on the shared machine hit both sides alike.
rounds=2
slice=$(awk -v s="$secs" -v r="$rounds" 'BEGIN { printf "%.3f", s / r }')
sum() { awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); t[kv[1]] += kv[2] } }
             END { printf "%.0f %.2f", t["batches"] / t["secs"], t["bytes"] / t["secs"] / 1e6 }'; }
for size in 1024 16384; do
    for policy in always interval never; do
        : > "$tmp/s.out"; : > "$tmp/r.out"
        for round in $(seq 1 $rounds); do
            # Files are deleted right after each run (and synced away) so that no run
            # competes with the previous one's dirty pages.
            sync
            "$ST" bench "$tmp/log" --fsync "$policy" --size "$size" --seconds "$slice" >> "$tmp/s.out"
            rm -rf "$tmp/log"; sync
            "$ST" refwrite "$tmp/ref" --fsync "$policy" --size "$size" --seconds "$slice" >> "$tmp/r.out"
            rm -f "$tmp/ref"
        done
        read -r sb sm < <(sum < "$tmp/s.out")
        read -r rb rm_ < <(sum < "$tmp/r.out")
        printf '%-8s %-9s | %12s %9s | %12s %9s | %6s\n' "$size" "$policy" "$sb" "$sm" "$rb" "$rm_" "$(ratio "$sm" "$rm_")"
    done
done

echo
echo "storage: read (warm page cache), 512 MiB of 16 KiB batches, best of 5 alternating passes"
"$ST" bench "$tmp/log-read" --fsync never --size 16384 --count 32768 --seconds 60 > /dev/null
sm=0 rm_=0
for pass in 1 2 3 4 5; do
    a=$("$ST" readbench "$tmp/log-read" | field mb_per_s)
    b=$("$ST" refread "$tmp/log-read" | field mb_per_s)
    sm=$(awk -v x="$sm" -v y="$a" 'BEGIN { print (y > x ? y : x) }')
    rm_=$(awk -v x="$rm_" -v y="$b" 'BEGIN { print (y > x ? y : x) }')
done
printf '%-22s | %9s MB/s | ref %9s MB/s | ratio %s\n' "stor_log_read 1 MiB" "$sm" "$rm_" "$(ratio "$sm" "$rm_")"
