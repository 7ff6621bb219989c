#!/usr/bin/env bash
# 0404: the dashboard's HTTP edge: bad requests, static assets, a slow client.
# Must hold afterwards:
#   - malformed or oversized requests get a 4xx (never a 5xx, never a hang), and the server
#     keeps serving: garbage request line, bad HTTP version, 20 KB URI, 20 KB header, bad
#     header line, body over the limit, bad %-escape, POST/PUT/DELETE (405 + Allow);
#   - the page and the vendored libraries come from the binary with the right types, ETag
#     revalidation (304), gzip when accepted, a CSP on the HTML; paths escaping the web root
#     or naming hidden files are 404; --web-root serves edited files from disk and still the
#     compiled vendor files;
#   - with --max-clients 2 streams open, a third gets 503 with Retry-After (and is counted),
#     while the two keep streaming;
#   - a client that stops reading its event stream does not delay another client: the fast
#     one receives all 400 events (about 1.7 MB) in order, the slow one is dropped (metrics),
#     and the consumer keeps up (every message consumed). (The ring, 1,000 events, holds
#     the whole burst: the slow client is dropped for not draining its socket, not for
#     falling behind the ring, which 0403 covers.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dashboard.sh"
start_broker "${DASH_TOPICS[@]}"
produce_tsv "$TOPIC" "$FIXTURES/quakes.tsv"
mkdir -p "$T_DIR/webroot/js"
echo '<!doctype html><title>dev page</title>' > "$T_DIR/webroot/index.html"
echo 'secret' > "$T_DIR/secret.txt"
echo 'hidden' > "$T_DIR/webroot/.hidden"
ln -s "$T_DIR/secret.txt" "$T_DIR/webroot/link.txt"
start_dashboard --clock event --client-buffer 16384 --ring 1000 --stall-timeout 3s --web-root "$T_DIR/webroot" \
    --max-clients 2
wait_messages "$(count_lines "$FIXTURES/quakes.tsv")"

PYTHONPATH=$ROOT/tests/tools $PY - "$ROOT" <<'PY'
import gzip, json, os, socket, sys, time, urllib.error, urllib.request
base, port, root = os.environ["DASH"], int(os.environ["DASH_PORT"]), sys.argv[1]

def raw(data, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            c = s.recv(65536)
            if not c:
                break
            buf += c
    except socket.timeout:
        raise AssertionError(f"no answer to {data[:40]!r}")
    s.close()
    line = buf.split(b"\r\n")[0].decode()
    assert line.startswith("HTTP/1."), (data[:40], buf[:80])
    return int(line.split()[1]), buf

bad = [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400),
    (b"GET /api/quakes HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 413),
    (b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"POST /api/quakes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 405),
    (b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
    (b"DELETE /api/stream HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"GET /api/quakes?minmag=%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404),
]
for req, want in bad:
    code, buf = raw(req)
    assert code == want, f"{req[:50]!r}: HTTP {code}, expected {want}"
    if want == 405:
        assert b"Allow: GET, HEAD" in buf, buf[:300]
    assert json.load(urllib.request.urlopen(base + "/healthz", timeout=5))["status"] == "ok"
print(f"ok {len(bad)} malformed or oversized requests -> 4xx, server alive")

def fetch(path, headers=None):
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        r = urllib.request.urlopen(req, timeout=5)
        return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()

# Compiled assets (vendor files are not in the web root).
for path, ctype, src in [
    ("/vendor/leaflet/dist/leaflet.js", "text/javascript", "node_modules/leaflet/dist/leaflet.js"),
    ("/vendor/leaflet/dist/leaflet.css", "text/css", "node_modules/leaflet/dist/leaflet.css"),
    ("/vendor/world-atlas/countries-50m.json", "application/json", "node_modules/world-atlas/countries-50m.json"),
    ("/vendor/topojson-client/dist/topojson-client.min.js", "text/javascript", "node_modules/topojson-client/dist/topojson-client.min.js"),
    ("/js/main.js", "text/javascript", "web/js/main.js"),
    ("/css/app.css", "text/css", "web/css/app.css"),
]:
    code, h, body = fetch(path)
    assert code == 200 and h["Content-Type"].startswith(ctype), (path, code, h["Content-Type"])
    assert body == open(os.path.join(root, src), "rb").read(), f"{path} differs from {src}"
    etag = h["ETag"]
    assert fetch(path, {"If-None-Match": etag})[0] == 304, path
    code, hz, bz = fetch(path, {"Accept-Encoding": "gzip"})
    if hz.get("Content-Encoding") == "gzip":
        assert gzip.decompress(bz) == body, path
    assert h["X-Content-Type-Options"] == "nosniff"
assert fetch("/vendor/world-atlas/countries-50m.json", {"Accept-Encoding": "gzip, deflate"})[1]["Content-Encoding"] == "gzip"
assert "Content-Encoding" not in fetch("/vendor/leaflet/dist/leaflet.js", {"Accept-Encoding": "gzip;q=0"})[1]
assert "max-age" in fetch("/vendor/leaflet/dist/leaflet.js")[1]["Cache-Control"]
print("ok compiled assets: types, bytes, ETag/304, gzip")

# --web-root: index.html from disk, with the HTML headers; escapes are 404.
code, h, body = fetch("/")
assert code == 200 and b"dev page" in body and "default-src 'self'" in h["Content-Security-Policy"], (code, body[:60])
for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/js/../../secret.txt", "/.hidden", "/link.txt",
             "/vendor/../../../etc/passwd", "/%5c..%5csecret.txt"]:
    code, _, body = fetch(path)
    assert code == 404 and b"secret" not in body and b"root:" not in body, (path, code, body[:60])
print("ok --web-root served from disk; traversal, hidden files and outside symlinks are 404")
PY

# A slow client must not delay a fast one.
PYTHONPATH=$ROOT/tests/tools $PY - <<'PY'
import json, os, socket, time, urllib.request
from ssetest import SSEClient, producer, quake, seq
base, port = os.environ["DASH"], int(os.environ["DASH_PORT"])
topic, bootstrap = os.environ["TOPIC"], os.environ["BOOTSTRAP"]
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=10))
now = get("/api/quakes")["metadata"]["now"]
slow = SSEClient("127.0.0.1", port, rcvbuf=4096)      # never reads after the headers
fast = SSEClient("127.0.0.1", port)
assert fast.next(0.3) is None and slow.next(0.3) is None
# --max-clients 2: a third stream is refused, politely.
third = SSEClient("127.0.0.1", port)
try:
    third.next(2.0)
    raise AssertionError("a third stream was accepted with --max-clients 2")
except AssertionError as e:
    assert "HTTP 503" in str(e), e
assert third.headers.get("retry-after") == "5", third.headers
third.close()
m = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
assert "sismo_dashboard_sse_clients_rejected_total 1\n" in m and "sismo_dashboard_sse_clients 2\n" in m
print("ok --max-clients 2: the third stream gets 503 with Retry-After")
p = producer(bootstrap)
N, pad = 400, "x" * 3000
t0 = time.monotonic()
for i in range(N):
    p.produce(topic, key=f"big{i}".encode(), value=quake(f"big{i}", now + 1000 + i, 2.0, f"Big {i} {pad}").encode())
    p.poll(0)
assert p.flush(20) == 0
t_produced = time.monotonic()
evs = fast.collect(N, 20)
t_done = time.monotonic()
ids = [seq(e["id"]) for e in evs]
assert ids == list(range(ids[0], ids[0] + N)), "fast client: gap or disorder"
# Partitions interleave, so the order of ids is not the produce order; each exactly once.
assert sorted(e["data"]["feature"]["id"] for e in evs) == sorted(f"big{i}" for i in range(N))
size = sum(len(json.dumps(e["data"])) for e in evs)
print(f"ok fast client got {N} events ({size / 1e6:.1f} MB) {t_done - t_produced:.2f} s after the last "
      f"was produced ({t_done - t0:.2f} s in all)")
assert t_done - t_produced < 5, "fast client was held back"
# The slow client is dropped: its socket did not drain for --stall-timeout.
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    m = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    dropped = sum(int(l.split()[1]) for l in m.splitlines() if l.startswith("sismo_dashboard_sse_clients_dropped_total{"))
    if dropped >= 1:
        break
    time.sleep(0.2)
assert dropped >= 1, "the slow client was never dropped"
print(f"ok slow client dropped ({[l for l in m.splitlines() if 'dropped_total{' in l]})")
assert get("/api/stats")["stored"] >= N
fast.close()
PY
wait_messages $(( $(count_lines "$FIXTURES/quakes.tsv") + 400 )) 10
kill -0 "${PIDS[dashboard]}" || fail "dashboard died"
stop_dashboard
