# stats_profile.awk - groups `perf report --no-children --sort dso,symbol` lines of sismo
# stats into the stages of its pipeline (used by bench/stats.sh).
#   parse      quake_decode_core and its helpers (quake.c), number/time conversion, string copies
#   aggregate  the window engine (window*.c) and the region lookup
#   consume    librdkafka (fetch, batch decoding, queues), kc_* glue, socket reads, locks
#   memory     page faults and allocation (state growth, librdkafka buffers)
#   output     publishing results, console, snapshots
/^ *[0-9.]+%/ {
    pct = $1; sub(/%/, "", pct)
    dso = $2; sym = $0; sub(/^.*\] /, "", sym); sub(/ .*$/, "", sym)
    if (sym ~ /^(quake_|decode|canon_|lit$|scan_plain|field_of|read_|rd_str|rd_num|rd_time|rd_ids|skip_|ws$|is_null|jr_|str_reserve|hexval|sis_time_parse|sis_days_from)/ ||
        sym ~ /strtod|round_and_return|str_to_mpn|__mpn_|memchr|memmove|memcpy|memcmp|strlen/)
        stage = "parse"
    else if (sym ~ /^(window_|entry_|member_|recompute_|hash_|close_windows|add_event|retract|heap_|slot_|better_|region_of|mark_dirty|vec_push|cmp_win|clock_|active_min|src_grow|source_of|collect_active|update_sources|apply_record|prefetch_record)/)
        stage = "aggregate"
    else if (sym ~ /snap|crc32|window_out|sis_buf|kc_producer|printf|vfprintf/)
        stage = "output"
    else if (sym ~ /fault|page|pte_|malloc|free|calloc|consolidate|unlink_chunk|mmap|munmap|brk|clear_page|memcg|mem_cgroup|folio|lru|memset/)
        stage = "memory"
    else if (dso ~ /librdkafka/ || sym ~ /^kc_|msg_from|mutex|mtx_|cnd_|futex|recv|tcp_|sock|skb|copy_to|_raw_spin|poll|epoll|sched|switch|irq|softirq/)
        stage = "consume"
    else
        stage = "other"
    share[stage] += pct
}
END {
    n = split("consume parse aggregate memory output other", order, " ")
    for (i = 1; i <= n; i++)
        printf "  %-10s %5.1f%%\n", order[i], share[order[i]]
}
