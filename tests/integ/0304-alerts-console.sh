#!/usr/bin/env bash
# 0304: the console output of `sismo alerts`, byte for byte, for the records of
# tests/fixtures/alerts/box-seq.tsv (course example, PAGER and tsunami lines, a place cut
# with an ellipsis, CJK double-width, combining accents, updates of magnitude and PAGER
# level, M7.4 colours, escape sequences in a place name, one record below the threshold).
# Must hold afterwards:
#   - stdout to a file, --no-color on a terminal, NO_COLOR=1 on a terminal: exactly
#     tests/fixtures/alerts/box-seq.plain;
#   - --color to a file, a terminal by default, --color with NO_COLOR=1: exactly
#     box-seq.color ("\e" there stands for ESC);
#   - every box line is 42 columns wide, measured independently (Python unicodedata);
#   - nothing but boxes reaches stdout (logs go to stderr);
#   - the escape sequences in an event id (us7000box8) reach stderr's log lines escaped
#     ("\x1b"), never raw.
# The terminal runs go through script(1), which gives the command a pseudo-terminal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-alerts.sh"
topic=$(uniq sismos-box)
start_broker "$topic:1"
produce_tsv "$topic" "$FIXTURES/box-seq.tsv"
alerts=$(grep -vc '^#' "$FIXTURES/box-seq.tsv"); alerts=$((alerts - 1))   # one is below M4.5
opts=(-X session.timeout.ms=6000)

# variant NAME TTY [ENV=VALUE...] -- [alerts options...]: runs a fresh group and log.
variant() {
    local name=$1 tty=$2; shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
    local cmd=(env "${envs[@]}" "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic"
        --group "$(uniq "g-$name")" --log "$T_DIR/$name.log" "${opts[@]}" "$@")
    if [ "$tty" = tty ]; then
        # script(1) runs the command on a pseudo-terminal; its stdout is what the terminal
        # showed, -e passes the command's exit status on. The shell records its pid, then
        # becomes sismo.
        bg "$name" script -qefc "echo \$\$ > $T_DIR/$name.pid; exec $(printf '%q ' "${cmd[@]}") 2>$T_DIR/$name.stderr" /dev/null
    else
        bg "$name" "${cmd[@]}"   # env execs sismo: same pid
        echo "${PIDS[$name]}" > "$T_DIR/$name.pid"
    fi
}
variant file notty -- ;                              variant file_color notty -- --color
variant tty tty -- ;                                 variant tty_nocolor tty -- --no-color
variant tty_envnc tty NO_COLOR=1 -- ;                variant file_env_color notty NO_COLOR=1 -- --color
names=(file file_color tty tty_nocolor tty_envnc file_env_color)
for n in "${names[@]}"; do wait_until 60 has_lines "$T_DIR/$n.log" "$alerts"; done
sleep 0.5   # any further (unexpected) output would show up now
for n in "${names[@]}"; do
    kill -TERM "$(cat "$T_DIR/$n.pid")"
    rc=0; wait "${PIDS[$n]}" || rc=$?; unset "PIDS[$n]"
    assert_eq "$rc" 0 "exit status of variant $n"
    tr -d '\r' < "$T_DIR/$n.out" > "$T_DIR/$n.screen"   # a terminal shows \n as \r\n
done

sed 's/\\e/\x1b/g' "$FIXTURES/box-seq.color" > "$T_DIR/expected.color"
for n in file tty_nocolor tty_envnc; do
    cmp -s "$T_DIR/$n.screen" "$FIXTURES/box-seq.plain" ||
        { diff "$T_DIR/$n.screen" "$FIXTURES/box-seq.plain" | head -20; fail "variant $n: output differs from box-seq.plain"; }
done
for n in file_color tty file_env_color; do
    cmp -s "$T_DIR/$n.screen" "$T_DIR/expected.color" ||
        { diff <(cat -v "$T_DIR/$n.screen") <(cat -v "$T_DIR/expected.color") | head -20; fail "variant $n: output differs from box-seq.color"; }
done
for n in "${names[@]}"; do
    errf=$T_DIR/$n.err; [ -s "$T_DIR/$n.stderr" ] && errf=$T_DIR/$n.stderr
    grep -qF 'ALERTA us7000box8\x1b]0;pwn\x07\x1b[2J:' "$errf" ||
        fail "variant $n: the id with escapes is not logged escaped: $(grep box8 "$errf")"
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$errf"; then
        fail "variant $n: control characters reached stderr"
    fi
done
box_widths_ok "$T_DIR/file.screen" || fail "plain box lines are not 42 columns"
box_widths_ok "$T_DIR/file_color.screen" || fail "coloured box lines are not 42 columns"
assert_eq "$(grep -c '^╔' "$T_DIR/file.screen")" "$alerts" "boxes printed"
say "$alerts boxes, identical in 6 variants (3 plain, 3 coloured)"
