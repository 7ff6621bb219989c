#!/usr/bin/python3
"""kcapture.py - test helper: a TCP proxy that records the Kafka requests clients send.

usage: kcapture.py LISTEN_PORT UPSTREAM_HOST:PORT OUT_DIR PREFIX

Forwards every connection on 127.0.0.1:LISTEN_PORT to the upstream broker and writes each
request frame a client sends (size prefix included, exactly as on the wire) to
OUT_DIR/PREFIX_<ApiName>_v<version>_<n>.bin. Start the broker with
`--advertised 127.0.0.1:LISTEN_PORT` so that clients keep talking through the proxy after
their Metadata request. Used to capture fixtures for tests/unit/test_brk_dispatch.c from real clients
(kcat/librdkafka, kafka-python, kafkajs); not run by the test suite.
"""
import os
import socket
import struct
import sys
import threading

NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
         9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
         13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
         18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics", 22: "InitProducerId"}

lock = threading.Lock()
counts = {}


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def pipe_requests(client, upstream, out_dir, prefix):
    while True:
        hdr = read_exact(client, 4)
        if hdr is None:
            break
        size = struct.unpack(">i", hdr)[0]
        body = read_exact(client, size)
        if body is None:
            break
        key, ver = struct.unpack(">hh", body[:4])
        name = NAMES.get(key, "Api%d" % key)
        with lock:
            k = (name, ver)
            counts[k] = counts.get(k, 0) + 1
            path = os.path.join(out_dir, "%s_%s_v%d_%d.bin" % (prefix, name, ver, counts[k]))
        with open(path, "wb") as f:
            f.write(hdr + body)
        upstream.sendall(hdr + body)
    try:
        upstream.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def pipe_responses(upstream, client):
    while True:
        data = upstream.recv(65536)
        if not data:
            break
        client.sendall(data)
    try:
        client.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    port, upstream, out_dir, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    host, uport = upstream.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    while True:
        c, _ = ls.accept()
        u = socket.create_connection((host, int(uport)))
        threading.Thread(target=pipe_requests, args=(c, u, out_dir, prefix), daemon=True).start()
        threading.Thread(target=pipe_responses, args=(u, c), daemon=True).start()


if __name__ == "__main__":
    main()
