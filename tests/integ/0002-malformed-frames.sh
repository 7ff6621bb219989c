#!/usr/bin/env bash
# 0002: hostile and broken input. Frames with impossible sizes, unknown API keys,
# unsupported versions, truncated or garbage bodies, random bytes, a slow client that
# announces a 60 MB frame and stalls, and 200 pipelined requests in one write.
# Must hold afterwards: each bad connection is answered with the protocol's error or
# closed (never a hang); the broker stays up, its memory stays bounded (RSS grows < 64 MB
# with 20 stalled 60 MB-frame clients), pipelined requests are answered in order, and the
# 10 messages produced before the abuse are fetched back intact after it.
# brokers: sismo
. "$(dirname "$0")/lib.sh"
topic=$(uniq robust)
start_broker "$topic:1"
printf 'm%d\n' 1 2 3 4 5 6 7 8 9 10 | kcat -b "$BOOTSTRAP" -P -t "$topic" -p 0

$PY - "$BOOTSTRAP" "${PIDS[broker]}" <<'PY'
import os, random, socket, struct, sys, time
host, port = sys.argv[1].rsplit(":", 1)
pid = int(sys.argv[2])

def rss_kb():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def conn():
    s = socket.create_connection((host, int(port)), timeout=5)
    return s

def closed_after(payload, what):
    """Sends payload; the broker must close the connection (EOF) within 5 s."""
    s = conn()
    s.sendall(payload)
    s.settimeout(5)
    try:
        data = s.recv(65536)
        while data:
            data = s.recv(65536)
    except ConnectionResetError:
        pass
    except socket.timeout:
        sys.exit("FAIL: %s: connection still open after 5 s" % what)
    s.close()
    print("closed: %s" % what)

def frame(body):
    return struct.pack(">i", len(body)) + body

def api_versions_ok():
    s = conn()
    s.sendall(frame(struct.pack(">hhih", 18, 0, 42, -1)))
    hdr = s.recv(4)
    assert len(hdr) == 4, "no ApiVersions answer"
    n = struct.unpack(">i", hdr)[0]
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    assert struct.unpack(">ih", data[:6]) == (42, 0), data[:6]
    s.close()

closed_after(struct.pack(">i", -1), "negative frame size")
closed_after(struct.pack(">i", 3) + b"abc", "frame smaller than a header")
closed_after(struct.pack(">i", 1 << 30), "1 GiB frame size")
closed_after(frame(struct.pack(">hhih", 99, 0, 1, -1)), "unknown API key 99")
closed_after(frame(struct.pack(">hhih", 0, 2, 1, -1) + b"\0" * 20), "Produce v2 (unsupported)")
closed_after(frame(struct.pack(">hhih", 3, 4, 1, -1) + struct.pack(">i", 5)), "Metadata v4 truncated")
closed_after(frame(struct.pack(">hhih", 3, 9, 1, -1) + b"\x00\xff\xff\xff\xff\x0f"), "Metadata v9 bad tags")
closed_after(frame(struct.pack(">hhih", 3, 1, 1, 200) + b"x"), "client id longer than the frame")
closed_after(frame(struct.pack(">hhih", 1, 11, 1, -1) + struct.pack(">iiiibiii", -1, 0, 1, 1000, 0, 0, -1, 0x7fffffff)),
             "Fetch with a huge topic count")
api_versions_ok()

random.seed(6)
for i in range(300):
    key = random.choice([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, random.randint(-5, 100)])
    ver = random.randint(-1, 16)
    body = struct.pack(">hhih", key, ver, i, -1) + os.urandom(random.randint(0, 300))
    s = conn()
    s.settimeout(5)
    try:
        s.sendall(frame(body))
        s.recv(65536)  # an answer (ApiVersions, or an error response) or EOF
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        # A parked request (e.g. a Fetch that decoded as valid and waits) is fine; close.
        pass
    s.close()
api_versions_ok()
print("300 random frames: broker alive")

base = rss_kb()
stalled = []
for i in range(20):
    s = conn()
    s.sendall(struct.pack(">i", 60 << 20) + b"\0" * 1000)
    stalled.append(s)
time.sleep(0.5)
grown = rss_kb() - base
print("RSS before %d kB, with 20 stalled 60 MB frames +%d kB" % (base, grown))
assert grown < 64 * 1024, "memory grew by %d kB" % grown
for s in stalled:
    s.close()

s = conn()
reqs = b"".join(frame(struct.pack(">hhih", 18, 2, i, -1)) for i in range(200))
s.sendall(reqs)
for i in range(200):
    hdr = b""
    while len(hdr) < 4:
        hdr += s.recv(4 - len(hdr))
    n = struct.unpack(">i", hdr)[0]
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    corr = struct.unpack(">i", data[:4])[0]
    assert corr == i, "response %d has correlation id %d" % (i, corr)
s.close()
print("200 pipelined requests answered in order")
PY
kill -0 "${PIDS[broker]}" || fail "broker died"
kcat -b "$BOOTSTRAP" -C -t "$topic" -p 0 -o beginning -e -q -f '%o %s\n' > "$T_DIR/after.out"
diff <(for i in $(seq 1 10); do echo "$((i - 1)) m$i"; done) "$T_DIR/after.out" || fail "data changed"
say "10 messages intact after the abuse"
