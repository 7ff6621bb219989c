"""ssetest.py - test helper (imported by 04xx tests): a strict Server-Sent Events client over
a plain socket, and small HTTP helpers. Independent of the browser's EventSource, so tests
see exactly what the server sent: every frame, in order, with its id.

    c = SSEClient("127.0.0.1", port, last_id=None, query="")   # GET /api/stream, HTTP/1.1
    ev = c.next(timeout=2.0)        # {"id", "event", "data"} or None on timeout
    evs = c.collect(n, timeout)     # n events or AssertionError
    c.close()
"""
import json
import socket
import time


class SSEClient:
    def __init__(self, host, port, last_id=None, query="", rcvbuf=None, path="/api/stream", http10=False):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect((host, port))
        hdr = f"Last-Event-ID: {last_id}\r\n" if last_id else ""
        ver = "1.0" if http10 else "1.1"
        self.sock.sendall(f"GET {path}{query} HTTP/{ver}\r\nHost: {host}\r\nAccept: text/event-stream\r\n{hdr}\r\n".encode())
        self.raw = b""       # bytes received, not yet de-chunked
        self.text = ""       # de-chunked event-stream text, not yet parsed
        self.chunked = None
        self.status = None
        self.headers = {}
        self.retry = None
        self.comments = 0
        self.closed = False

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            b = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            b = b""
        if not b:
            self.closed = True
            return False
        self.raw += b
        return True

    def _pump(self):
        if self.status is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.raw[:end].decode("latin-1").split("\r\n")
            self.status = int(head[0].split()[1])
            for line in head[1:]:
                k, _, v = line.partition(":")
                self.headers[k.strip().lower()] = v.strip()
            self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
            self.raw = self.raw[end + 4:]
        if not self.chunked:
            self.text += self.raw.decode("utf-8")
            self.raw = b""
            return
        while True:
            nl = self.raw.find(b"\r\n")
            if nl < 0:
                return
            size = int(self.raw[:nl].split(b";")[0], 16)
            if len(self.raw) < nl + 2 + size + 2:
                return
            self.text += self.raw[nl + 2:nl + 2 + size].decode("utf-8")
            assert self.raw[nl + 2 + size:nl + 4 + size] == b"\r\n", "bad chunk trailer"
            self.raw = self.raw[nl + 4 + size:]

    def _parse_one(self):
        """One complete event from self.text, or None. Comments and retry are consumed."""
        while True:
            end = self.text.find("\n\n")
            if end < 0:
                return None
            block, self.text = self.text[:end], self.text[end + 2:]
            ev = {"id": None, "event": "message", "data": []}
            for line in block.split("\n"):
                if line.startswith(":"):
                    self.comments += 1
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    ev["data"].append(value)
                elif field in ("id", "event"):
                    ev[field] = value
                elif field == "retry":
                    self.retry = int(value)
            if ev["data"]:
                ev["data"] = json.loads("\n".join(ev["data"]))
                return ev

    def next(self, timeout=2.0):
        deadline = time.monotonic() + timeout
        while True:
            self._pump()
            if self.status is not None and self.status != 200:
                raise AssertionError(f"stream answered HTTP {self.status}")
            ev = self._parse_one()
            if ev:
                return ev
            if not self._recv(deadline):
                return None

    def collect(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < n:
            ev = self.next(max(0.01, deadline - time.monotonic()))
            if ev is None:
                raise AssertionError(f"got {len(out)} of {n} events in {timeout}s: {[e['event'] for e in out]}")
            out.append(ev)
        return out

    def close(self):
        self.sock.close()


def seq(event_id):
    return int(event_id.split("-")[1])


def producer(bootstrap):
    from confluent_kafka import Producer
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 0})


def iso(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}Z"


def quake(qid, t_ms, mag=3.0, place="Test event", lat=10.0, lon=20.0, updated_ms=None, ids=None):
    """A `sismos` record (quake.h format) as JSON text."""
    return json.dumps({
        "id": qid, "magnitud": mag, "lugar": place, "latitud": lat, "longitud": lon,
        "profundidad_km": 10.0, "timestamp": iso(t_ms), "tsunami": False,
        "actualizado": iso(updated_ms if updated_ms is not None else t_ms), "tipo": "earthquake",
        "estado": "automatic", "alerta": None, "tipo_magnitud": "ml",
        "url": f"https://earthquake.usgs.gov/earthquakes/eventpage/{qid}", "ids": ids or [qid],
    }, separators=(",", ":"))


def produce(p, topic, key, value):
    p.produce(topic, key=key.encode(), value=None if value is None else value.encode())
    assert p.flush(10) == 0, "produce failed"
