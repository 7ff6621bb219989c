#!/usr/bin/env bash
# 0010: docs/PROTOCOL.md is exactly what `sismo broker --print-apis` prints from the
# dispatch table, and the broker advertises those ranges in ApiVersions.
# Must hold afterwards: no difference between the file and the output; every table row's
# range equals the ApiVersions v0 answer of a running broker (and nothing else is there).
# brokers: sismo
. "$(dirname "$0")/lib.sh"
"$SISMO" broker --print-apis > "$T_DIR/apis.md"
diff -u "$ROOT/docs/PROTOCOL.md" "$T_DIR/apis.md" || fail "docs/PROTOCOL.md is stale: regenerate with 'sismo broker --print-apis'"
start_broker
sed -n 's/^| \([0-9]*\) | [A-Za-z]* | v\([0-9]*\)-v\([0-9]*\) |.*/\1 \2 \3/p' "$T_DIR/apis.md" > "$T_DIR/doc.ranges"
$PY - "$BOOTSTRAP" > "$T_DIR/adv.ranges" <<'PY'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=5)
req = struct.pack(">hhih", 18, 0, 1, -1)
s.sendall(struct.pack(">i", len(req)) + req)
n = struct.unpack(">i", s.recv(4))[0]
d = b""
while len(d) < n:
    d += s.recv(n - len(d))
corr, err, cnt = struct.unpack(">ihi", d[:10])
assert corr == 1 and err == 0, (corr, err)
for i in range(cnt):
    print("%d %d %d" % struct.unpack(">hhh", d[10 + 6 * i:16 + 6 * i]))
PY
diff -u "$T_DIR/doc.ranges" "$T_DIR/adv.ranges" || fail "advertised ranges differ from the table"
say "$(wc -l < "$T_DIR/adv.ranges") APIs documented and advertised alike"
