#!/usr/bin/env bash
# 0011: running out of file descriptors. The broker runs under `ulimit -n 64` and a client
# opens 150 connections, far more than fit: accept(2) fails with EMFILE while the listening
# socket stays readable (level-triggered), which must not make the broker spin.
# Must hold: while the extra connections wait, the broker uses < 0.3 s of CPU over 2 s
# (from /proc/PID/stat), a connection opened before the flood is still answered, the
# condition is logged once (not once per attempt); after the extra sockets close,
# `kcat -L` gets the metadata again.
# brokers: sismo
. "$(dirname "$0")/lib.sh"
command -v kcat >/dev/null || fail "kcat is not installed (scripts/deps.sh installs it)"

port=$(free_port)
# ulimit -n sets the hard limit too, so the broker cannot raise it at start-up.
bg broker bash -c 'ulimit -n 64 && exec "$0" broker --listen "127.0.0.1:$1" --data-dir "$2"' \
    "$SISMO" "$port" "$T_DIR/broker-data"
wait_until 10 port_open "$port"
BOOTSTRAP=127.0.0.1:$port
pid=${PIDS[broker]}
say "broker pid $pid uses $(ls /proc/$pid/fd | wc -l) of 64 descriptors"
kcat -b "$BOOTSTRAP" -L -m 5 >/dev/null

KTOOLS=$ROOT/tests/tools $PY - "$port" "$pid" <<'PY'
import os, socket, sys, time
sys.path.insert(0, os.environ["KTOOLS"])
from kproto import api_versions_v0
port, pid = int(sys.argv[1]), int(sys.argv[2])
hz = 100  # USER_HZ: /proc/PID/stat counts clock ticks

def cpu_s():
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / hz  # utime + stime

early = socket.create_connection(("127.0.0.1", port), timeout=5)
assert api_versions_v0(early, 1), "no answer before the flood"

flood = []
for i in range(150):
    try:
        flood.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError as e:
        print("# connect %d: %s" % (i, e))
        break
print("# %d extra connections open" % len(flood))
assert len(flood) >= 100, "could not open enough connections to exhaust the broker's descriptors"
time.sleep(0.5)
c0 = cpu_s()
time.sleep(2)
used = cpu_s() - c0
print("# broker CPU over 2 s with descriptors exhausted: %.2f s" % used)
if used >= 0.3:
    sys.exit("FAIL: broker used %.2f s of CPU in 2 s: accept loop spinning on EMFILE" % used)
assert api_versions_v0(early, 2), "an open connection is no longer served"
for s in flood:
    s.close()
early.close()
PY

# Once the descriptors are free again, new clients are served.
wait_until 10 kcat -b "$BOOTSTRAP" -L -m 5
n=$(grep -c 'accept.*descriptors' "$T_DIR/broker.err" || true)
say "EMFILE lines in the broker log: $n"
[ "$n" -ge 1 ] && [ "$n" -le 3 ] ||
    fail "expected the EMFILE condition logged once (rate-limited), got $n lines"
say "ok"
