#!/usr/bin/python3
"""feedserver.py - test helper: serves recorded USGS feeds over HTTP on 127.0.0.1, one
"step" at a time, and misbehaves on demand.

usage: feedserver.py [--port N] [--port-file F] STEP...

Every GET of any path other than /_ctl/... answers with the current step. A STEP is:
  FILE            200 with the file's bytes (gzip-encoded when the client accepts gzip),
                  ETag = sha1 of the bytes, Last-Modified = a fixed date plus the step
                  number in minutes; If-None-Match / If-Modified-Since are honoured (304)
  status:CODE     that HTTP status with a short text body (e.g. status:500, status:404)
  garbage         200 with bytes that are not JSON
  cut:FILE        200 with only the first half of FILE (a Content-Length that matches the
                  half: the transfer succeeds, the JSON is truncated)
  truncated:FILE  200 announcing FILE's full length, sending half, then closing (the
                  transfer fails)
  hang            accepts, reads the request, never answers (until the server stops)
  close           accepts and closes the connection without answering

Control (GET): /_ctl/step?n=K      make step K (0-based) current; answers "ok"
               /_ctl/next          advance one step (stays on the last)
               /_ctl/stats         JSON: {"step": K, "requests": [{"step", "status",
                                   "inm", "ims", "gzip"}...]}
Prints the port on stdout (and writes it to --port-file) once listening; runs until
SIGTERM. Starts at step 0.
"""
import gzip
import hashlib
import json
import os
import signal
import socket
import sys
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BASE_TIME = 1700000000  # Last-Modified of step 0, seconds since the epoch


class State:
    def __init__(self, steps):
        self.steps = steps
        self.step = 0
        self.log = []
        self.lock = threading.Lock()
        self.stop = threading.Event()


def load(path):
    with open(path, "rb") as f:
        return f.read()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: tests read /_ctl/stats instead
        pass

    def reply(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        st = self.server.st
        url = urlparse(self.path)
        if url.path.startswith("/_ctl/"):
            return self.control(st, url)
        with st.lock:
            k = st.step
            spec = st.steps[k]
        entry = {"step": k, "inm": self.headers.get("If-None-Match"),
                 "ims": self.headers.get("If-Modified-Since"),
                 "gzip": "gzip" in (self.headers.get("Accept-Encoding") or "")}
        status = self.serve(st, k, spec, entry)
        entry["status"] = status
        with st.lock:
            st.log.append(entry)

    def serve(self, st, k, spec, entry):
        kind, _, arg = spec.partition(":")
        if kind == "status":
            code = int(arg)
            self.reply(code, f"error {code} (feedserver)\n".encode(), [("Content-Type", "text/plain")])
            return code
        if spec == "garbage":
            self.reply(200, b"<html><body>Service temporarily unavailable\x00\xff</body>",
                       [("Content-Type", "application/json")])
            return 200
        if spec == "hang":
            st.stop.wait()
            return 0
        if spec == "close":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return 0
        if kind == "cut":
            data = load(arg)
            self.reply(200, data[: len(data) // 2], [("Content-Type", "application/json")])
            return 200
        if kind == "truncated":
            data = load(arg)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return 200
        data = load(spec)
        etag = '"' + hashlib.sha1(data).hexdigest() + '"'
        mtime = BASE_TIME + 60 * k
        last_mod = formatdate(mtime, usegmt=True)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            not_modified = etag in [t.strip() for t in inm.split(",")]
        elif ims is not None:
            try:
                not_modified = parsedate_to_datetime(ims).timestamp() >= mtime
            except (TypeError, ValueError):
                not_modified = False
        validators = [("ETag", etag), ("Last-Modified", last_mod)]
        if not_modified:
            self.send_response(304)
            for h in validators:
                self.send_header(*h)
            self.end_headers()
            return 304
        headers = [("Content-Type", "application/json")] + validators
        if entry["gzip"]:
            data = gzip.compress(data)
            headers.append(("Content-Encoding", "gzip"))
        self.reply(200, data, headers)
        return 200

    def control(self, st, url):
        q = parse_qs(url.query)
        with st.lock:
            if url.path == "/_ctl/step":
                st.step = min(int(q["n"][0]), len(st.steps) - 1)
                body = b"ok\n"
            elif url.path == "/_ctl/next":
                st.step = min(st.step + 1, len(st.steps) - 1)
                body = b"ok\n"
            elif url.path == "/_ctl/stats":
                body = json.dumps({"step": st.step, "requests": st.log}).encode()
            else:
                self.reply(404, b"unknown control\n")
                return
        self.reply(200, body, [("Content-Type", "application/json")])


def main():
    args = sys.argv[1:]
    port, port_file = 0, None
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--port":
            port = int(args.pop(0))
        elif opt == "--port-file":
            port_file = args.pop(0)
        else:
            sys.exit(f"feedserver: unknown option {opt}")
    if not args:
        sys.exit(__doc__)
    for spec in args:
        kind, _, arg = spec.partition(":")
        path = arg if kind in ("cut", "truncated") else spec
        if kind not in ("status",) and spec not in ("garbage", "hang", "close") and not os.path.isfile(path):
            sys.exit(f"feedserver: no such file: {path}")
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.st = State(args)

    def on_term(signum, frame):
        srv.st.stop.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    port = srv.server_address[1]
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(port_file + ".tmp", port_file)
    print(port, flush=True)
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()


if __name__ == "__main__":
    main()
