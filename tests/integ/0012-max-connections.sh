#!/usr/bin/env bash
# 0012: --max-connections. With --max-connections 3, three clients are served; a fourth
# connection is accepted and closed at once (EOF within a second, not a hang) while the
# first three keep working; once one of them closes, a new client is served again. Refusals
# are logged rate-limited (one warning line for the burst of 20 refused connections).
# brokers: sismo
. "$(dirname "$0")/lib.sh"
command -v kcat >/dev/null || fail "kcat is not installed (scripts/deps.sh installs it)"
BROKER_OPTS=(--max-connections 3)
start_broker
port=${BOOTSTRAP##*:}

KTOOLS=$ROOT/tests/tools $PY - "$port" <<'PY'
import os, socket, sys, time
sys.path.insert(0, os.environ["KTOOLS"])
from kproto import api_versions_v0
port = int(sys.argv[1])

def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=5)

def refused(s):
    """The broker closes s at once: EOF (or a reset) within 1 s, before any request."""
    s.settimeout(1)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

kept = [conn() for _ in range(3)]
for i, s in enumerate(kept):
    assert api_versions_v0(s, 10 + i), "connection %d not served" % i
t0 = time.time()
extra = conn()
assert refused(extra), "4th connection still open after 1 s"
print("# 4th connection closed after %.3f s" % (time.time() - t0))
for i, s in enumerate(kept):
    assert api_versions_v0(s, 20 + i), "connection %d stopped working" % i
for _ in range(20):  # a burst of refusals: one log line, not twenty
    s = conn()
    assert refused(s), "refused connection still open"
    s.close()
kept.pop().close()
time.sleep(0.3)  # the broker reaps the closed connection
s = conn()
assert api_versions_v0(s, 30), "a slot freed by a closed connection is not reused"
print("# a new connection is served once a slot is free")
PY

n=$(grep -c 'max-connections' "$T_DIR/broker.err" || true)
say "refusal lines in the broker log: $n"
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "expected 1 rate-limited refusal line, got $n"
say "ok"
