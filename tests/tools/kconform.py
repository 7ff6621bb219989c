#!/usr/bin/python3
"""kconform.py - test driver: every API version a broker advertises, spoken by kproto.py.

usage: kconform.py SCHEMA_DIR HOST:PORT [--dump-requests DIR]

For each API in the broker's ApiVersions answer and each version in its range, sends a
representative request encoded from Apache Kafka's JSON schemas (tests/tools/kproto.py),
decodes the response strictly (every byte accounted for) and checks what the broker
answered: offsets, records, group generations, committed offsets, error codes. Exits
non-zero with a message on the first mismatch. With --dump-requests, every request frame
is also written to DIR (seed corpus for the fuzz target).
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kproto import Schemas, parse_batches, record_batch  # noqa: E402

ERR = {"NONE": 0, "OFFSET_OUT_OF_RANGE": 1, "UNKNOWN_TOPIC_OR_PARTITION": 3,
       "ILLEGAL_GENERATION": 22, "UNKNOWN_MEMBER_ID": 25, "REBALANCE_IN_PROGRESS": 27,
       "UNSUPPORTED_VERSION": 35, "TOPIC_ALREADY_EXISTS": 36, "INVALID_PARTITIONS": 37,
       "INVALID_REPLICATION_FACTOR": 38, "INVALID_CONFIG": 40, "INVALID_REQUEST": 42,
       "TRANSACTIONAL_ID_AUTHORIZATION_FAILED": 53, "MEMBER_ID_REQUIRED": 79,
       "UNKNOWN_TOPIC_ID": 100, "INVALID_TOPIC_EXCEPTION": 17, "CORRUPT_MESSAGE": 2,
       "INVALID_RECORD": 87, "OUT_OF_ORDER_SEQUENCE_NUMBER": 45}

dump_dir = None
dump_n = 0


def check(cond, msg):
    if not cond:
        raise SystemExit("FAIL: " + msg)


class Conn:
    def __init__(self, s, addr):
        self.s = s
        self.addr = addr
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.corr = 0

    def send(self, api, v, body):
        global dump_n
        self.corr += 1
        frame = self.s.encode_request(api, v, self.corr, body)
        if dump_dir:
            dump_n += 1
            with open(os.path.join(dump_dir, "%s_v%d_%03d.bin" % (api, v, dump_n)), "wb") as f:
                f.write(frame)
        self.sock.sendall(frame)
        return self.corr

    def recv(self, api, v, corr):
        data = self.read_frame()
        check(data is not None, "%s v%d: connection closed instead of a response" % (api, v))
        got, body = self.s.decode_response(api, v, data)
        check(got == corr, "%s v%d: correlation id %d, expected %d" % (api, v, got, corr))
        return body

    def call(self, api, v, body):
        return self.recv(api, v, self.send(api, v, body))

    def read_frame(self):
        hdr = self._read(4)
        if hdr is None:
            return None
        return self._read(struct.unpack(">i", hdr)[0])

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except (ConnectionResetError, socket.timeout):
                return None
            if not chunk:
                return None
            buf += chunk
        return buf


def versions(adv, key):
    lo, hi = adv[key]
    return range(lo, hi + 1)


def main():
    global dump_dir
    schema_dir, addr = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 4 and sys.argv[3] == "--dump-requests":
        dump_dir = sys.argv[4]
    s = Schemas(schema_dir)
    c = Conn(s, addr)
    node = None

    # ---- ApiVersions (18): every version; v3 with software name/version
    adv = None
    for v in range(0, 4):
        r = c.call("ApiVersions", v, {"ClientSoftwareName": "kconform", "ClientSoftwareVersion": "1.0"})
        check(r["ErrorCode"] == 0, "ApiVersions v%d error %d" % (v, r["ErrorCode"]))
        adv = {k["ApiKey"]: (k["MinVersion"], k["MaxVersion"]) for k in r["ApiKeys"]}
    check(adv[18] == (0, 3), "ApiVersions range %s" % (adv[18],))
    r = c.call("ApiVersions", 3, {"ClientSoftwareName": "bad name!", "ClientSoftwareVersion": "1"})
    check(r["ErrorCode"] == ERR["INVALID_REQUEST"], "ApiVersions v3 bad software name: %d" % r["ErrorCode"])
    # Unsupported version: v0-encoded UNSUPPORTED_VERSION carrying our range for key 18.
    frame = struct.pack(">hhih", 18, 42, 777, -1)
    c.sock.sendall(struct.pack(">i", len(frame)) + frame)
    data = c.read_frame()
    got, body = s.decode_response("ApiVersions", 0, data)
    check(got == 777 and body["ErrorCode"] == ERR["UNSUPPORTED_VERSION"]
          and [(k["ApiKey"], k["MinVersion"], k["MaxVersion"]) for k in body["ApiKeys"]] == [(18, 0, 3)],
          "ApiVersions v42 fallback: %r" % (body,))
    print("ApiVersions: v0-v3, v3 name check, unsupported-version fallback ok; advertised:",
          sorted(adv.items()))

    # ---- Metadata (3): auto-creation, stable topic ids, every version
    topic = "conform-%d" % os.getpid()
    topic_id = None
    for v in versions(adv, 3):
        body = {"Topics": [{"Name": topic, "TopicId": b"\0" * 16}], "AllowAutoTopicCreation": True}
        r = c.call("Metadata", v, body)
        check(len(r["Brokers"]) == 1, "Metadata v%d brokers" % v)
        node = r["Brokers"][0]["NodeId"]
        if v >= 1:
            check(r["ControllerId"] == node, "Metadata v%d controller %d" % (v, r["ControllerId"]))
        t = r["Topics"][0]
        check(t["ErrorCode"] == 0 and t["Name"] == topic and len(t["Partitions"]) == 3,
              "Metadata v%d topic %r" % (v, t))
        check(all(p["LeaderId"] == node and p["ReplicaNodes"] == [node] for p in t["Partitions"]),
              "Metadata v%d leaders" % v)
        if v >= 10:
            check(t["TopicId"] != b"\0" * 16, "Metadata v%d zero topic id" % v)
            check(topic_id in (None, t["TopicId"]), "Metadata v%d topic id changed" % v)
            topic_id = t["TopicId"]
        if v >= 1:
            r = c.call("Metadata", v, {"Topics": None, "AllowAutoTopicCreation": False})
            check(topic in [x["Name"] for x in r["Topics"]], "Metadata v%d all topics" % v)
        if v >= 4:
            r = c.call("Metadata", v, {"Topics": [{"Name": topic + "-nope", "TopicId": b"\0" * 16}],
                                       "AllowAutoTopicCreation": False})
            check(r["Topics"][0]["ErrorCode"] == ERR["UNKNOWN_TOPIC_OR_PARTITION"],
                  "Metadata v%d no auto-create: %r" % (v, r["Topics"][0]))
        if v >= 12:
            r = c.call("Metadata", v, {"Topics": [{"Name": None, "TopicId": topic_id}]})
            check(r["Topics"][0]["Name"] == topic, "Metadata v%d by topic id" % v)
    r = c.call("Metadata", 4, {"Topics": [{"Name": "bad/name"}], "AllowAutoTopicCreation": True})
    check(r["Topics"][0]["ErrorCode"] == ERR["INVALID_TOPIC_EXCEPTION"], "Metadata invalid name")
    print("Metadata: v%d-v%d ok (auto-creation, controller, topic id %s)"
          % (adv[3][0], adv[3][1], topic_id.hex() if topic_id else "-"))

    # ---- Produce (0): every version, acks -1/1/0
    ts = int(time.time() * 1000)
    expected = []  # (offset, key, value) on partition 0
    for v in versions(adv, 0):
        recs = [(b"k%d-%d" % (v, i), b"value %d-%d" % (v, i)) for i in range(3)]
        acks = [-1, 1][v % 2]
        r = c.call("Produce", v, {"TransactionalId": None, "Acks": acks, "TimeoutMs": 5000,
                                  "TopicData": [{"Name": topic, "PartitionData": [
                                      {"Index": 0, "Records": record_batch(recs, ts)}]}]})
        p = r["Responses"][0]["PartitionResponses"][0]
        check(p["ErrorCode"] == 0 and p["BaseOffset"] == len(expected),
              "Produce v%d: %r (expected base offset %d)" % (v, p, len(expected)))
        for i, (k, val) in enumerate(recs):
            expected.append((len(expected), k, val))
    # acks=0: no response; the next request's response must be the next frame.
    c.send("Produce", 7, {"Acks": 0, "TimeoutMs": 5000, "TopicData": [{"Name": topic, "PartitionData": [
        {"Index": 0, "Records": record_batch([(b"zero", b"acks=0")], ts)}]}]})
    expected.append((len(expected), b"zero", b"acks=0"))
    r = c.call("Metadata", 1, {"Topics": []})
    # Refusals: bad CRC, two batches, unknown partition.
    bad = bytearray(record_batch([(b"x", b"y")], ts))
    bad[-1] ^= 0xFF
    two = record_batch([(b"a", b"b")], ts) + record_batch([(b"c", b"d")], ts)
    r = c.call("Produce", 8, {"Acks": 1, "TimeoutMs": 1000, "TopicData": [{"Name": topic, "PartitionData": [
        {"Index": 0, "Records": bytes(bad)}, {"Index": 1, "Records": two}, {"Index": 7, "Records": two}]}]})
    errs = [p["ErrorCode"] for p in r["Responses"][0]["PartitionResponses"]]
    check(errs == [ERR["CORRUPT_MESSAGE"], ERR["INVALID_RECORD"], ERR["UNKNOWN_TOPIC_OR_PARTITION"]],
          "Produce refusals: %r" % errs)
    print("Produce: v%d-v%d ok, acks=0 unanswered, CRC/two-batch/unknown-partition refused" % adv[0])

    # ---- Fetch (1): every version; by topic id from v13
    for v in versions(adv, 1):
        part = {"Partition": 0, "CurrentLeaderEpoch": -1, "FetchOffset": 0, "LastFetchedEpoch": -1,
                "LogStartOffset": -1, "PartitionMaxBytes": 1 << 20}
        body = {"ReplicaId": -1, "MaxWaitMs": 100, "MinBytes": 1, "MaxBytes": 1 << 20,
                "IsolationLevel": 0, "SessionId": 0, "SessionEpoch": -1,
                "Topics": [{"Topic": topic, "TopicId": topic_id or b"\0" * 16, "Partitions": [part]}],
                "ForgottenTopicsData": [], "RackId": ""}
        r = c.call("Fetch", v, body)
        if v >= 7:
            check(r["ErrorCode"] == 0 and r["SessionId"] == 0, "Fetch v%d session" % v)
        p = r["Responses"][0]["Partitions"][0]
        check(p["ErrorCode"] == 0 and p["HighWatermark"] == len(expected), "Fetch v%d: %r" % (v, {k: p[k] for k in ("ErrorCode", "HighWatermark")}))
        got = []
        for base, recs in parse_batches(p["Records"] or b""):
            for i, (k, val) in enumerate(recs):
                got.append((base + i, k, val))
        check(got == expected, "Fetch v%d records differ:\n%r\n%r" % (v, got[:5], expected[:5]))
        # out of range
        part["FetchOffset"] = 10 ** 9
        r = c.call("Fetch", v, body)
        check(r["Responses"][0]["Partitions"][0]["ErrorCode"] == ERR["OFFSET_OUT_OF_RANGE"],
              "Fetch v%d out of range" % v)
    # Incremental fetch session we never created.
    r = c.call("Fetch", 11, {"ReplicaId": -1, "MaxWaitMs": 0, "MinBytes": 1, "MaxBytes": 1000,
                             "SessionId": 123, "SessionEpoch": 5, "Topics": [], "ForgottenTopicsData": []})
    check(r["ErrorCode"] == 70, "Fetch incremental session: %d" % r["ErrorCode"])
    # Long poll: an empty partition waits MaxWaitMs.
    t0 = time.time()
    r = c.call("Fetch", 11, {"ReplicaId": -1, "MaxWaitMs": 300, "MinBytes": 1, "MaxBytes": 1000,
                             "SessionEpoch": -1, "Topics": [{"Topic": topic, "Partitions": [
                                 {"Partition": 2, "FetchOffset": 0, "PartitionMaxBytes": 1000,
                                  "CurrentLeaderEpoch": -1, "LogStartOffset": -1}]}],
                             "ForgottenTopicsData": []})
    waited = time.time() - t0
    check(0.25 <= waited < 2.0, "Fetch long-poll waited %.3f s for MaxWaitMs=300" % waited)
    # Wake on append: a fetch parked for 5 s returns as soon as another connection produces;
    # MinBytes larger than what arrives keeps it waiting until MaxWaitMs.
    c2 = Conn(s, addr)
    for min_bytes, max_wait, expect_wait in ((1, 5000, False), (1 << 20, 600, True)):
        hw = c.call("ListOffsets", 1, {"ReplicaId": -1, "Topics": [{"Name": topic, "Partitions": [
            {"PartitionIndex": 2, "Timestamp": -1}]}]})["Topics"][0]["Partitions"][0]["Offset"]
        t0 = time.time()
        corr = c.send("Fetch", 11, {"ReplicaId": -1, "MaxWaitMs": max_wait, "MinBytes": min_bytes, "MaxBytes": 1 << 20,
                                    "SessionEpoch": -1, "Topics": [{"Topic": topic, "Partitions": [
                                        {"Partition": 2, "FetchOffset": hw, "PartitionMaxBytes": 1 << 20,
                                         "CurrentLeaderEpoch": -1, "LogStartOffset": -1}]}],
                                    "ForgottenTopicsData": []})
        time.sleep(0.2)
        r2 = c2.call("Produce", 7, {"Acks": 1, "TimeoutMs": 1000, "TopicData": [{"Name": topic, "PartitionData": [
            {"Index": 2, "Records": record_batch([(b"wake", b"up")], ts)}]}]})
        check(r2["Responses"][0]["PartitionResponses"][0]["ErrorCode"] == 0, "produce while a fetch waits")
        r = c.recv("Fetch", 11, corr)
        took = time.time() - t0
        recs = parse_batches(r["Responses"][0]["Partitions"][0]["Records"] or b"")
        check(recs and recs[0][1] == [(b"wake", b"up")], "woken fetch returned %r" % recs)
        if expect_wait:
            check(took >= 0.55, "MinBytes %d answered after %.3f s (MaxWaitMs %d)" % (min_bytes, took, max_wait))
        else:
            check(took < 1.5, "fetch woke after %.3f s, expected ~0.2 s" % took)
    print("Fetch: v%d-v%d ok (records, high watermark, out of range, sessions, long-poll %.0f ms, "
          "wake on append, MinBytes)" % (adv[1][0], adv[1][1], waited * 1000))

    # ---- ListOffsets (2)
    for v in versions(adv, 2):
        def lo(t):
            r = c.call("ListOffsets", v, {"ReplicaId": -1, "IsolationLevel": 0, "Topics": [
                {"Name": topic, "Partitions": [{"PartitionIndex": 0, "CurrentLeaderEpoch": -1,
                                                "Timestamp": t, "MaxNumOffsets": 1}]}]})
            return r["Topics"][0]["Partitions"][0]
        check(lo(-1)["Offset"] == len(expected), "ListOffsets v%d latest" % v)
        check(lo(-2)["Offset"] == 0, "ListOffsets v%d earliest" % v)
        p = lo(ts)
        check(p["Offset"] == 0 and p["Timestamp"] == ts, "ListOffsets v%d by time: %r" % (v, p))
        check(lo(ts + 3600_000)["Offset"] == -1, "ListOffsets v%d future time" % v)
    print("ListOffsets: v%d-v%d ok" % adv[2])

    # ---- FindCoordinator (10)
    for v in versions(adv, 10):
        r = c.call("FindCoordinator", v, {"Key": "g", "KeyType": 0, "CoordinatorKeys": ["g", "h"]})
        if v >= 4:
            check([x["NodeId"] for x in r["Coordinators"]] == [node, node], "FindCoordinator v%d" % v)
        else:
            check(r["ErrorCode"] == 0 and r["NodeId"] == node, "FindCoordinator v%d: %r" % (v, r))
    print("FindCoordinator: v%d-v%d ok" % adv[10])

    # ---- Consumer group APIs: one group per JoinGroup version, every API version covered
    for i in range(adv[11][1] + 1):
        jv = min(i, adv[11][1])
        sv, hv, lv = min(i, adv[14][1]), min(i, adv[12][1]), min(i, adv[13][1])
        ocv, ofv = min(i, adv[8][1]), min(i, adv[9][1])
        group = "conform-g%d-%d" % (i, os.getpid())
        join = {"GroupId": group, "SessionTimeoutMs": 10000, "RebalanceTimeoutMs": 10000,
                "MemberId": "", "GroupInstanceId": None, "ProtocolType": "consumer",
                "Protocols": [{"Name": "range", "Metadata": b"meta-%d" % i}], "Reason": None}
        r = c.call("JoinGroup", jv, join)
        if jv >= 4:
            check(r["ErrorCode"] == ERR["MEMBER_ID_REQUIRED"] and r["MemberId"],
                  "JoinGroup v%d: expected MEMBER_ID_REQUIRED, got %r" % (jv, r))
            join["MemberId"] = r["MemberId"]
            r = c.call("JoinGroup", jv, join)
        check(r["ErrorCode"] == 0 and r["GenerationId"] >= 1 and r["Leader"] == r["MemberId"]
              and r["ProtocolName"] == "range" and len(r["Members"]) == 1
              and r["Members"][0]["Metadata"] == b"meta-%d" % i, "JoinGroup v%d: %r" % (jv, r))
        member, gen = r["MemberId"], r["GenerationId"]
        r = c.call("SyncGroup", sv, {"GroupId": group, "GenerationId": gen, "MemberId": member,
                                     "GroupInstanceId": None, "ProtocolType": "consumer",
                                     "ProtocolName": "range",
                                     "Assignments": [{"MemberId": member, "Assignment": b"assign-%d" % i}]})
        check(r["ErrorCode"] == 0 and r["Assignment"] == b"assign-%d" % i, "SyncGroup v%d: %r" % (sv, r))
        r = c.call("Heartbeat", hv, {"GroupId": group, "GenerationId": gen, "MemberId": member})
        check(r["ErrorCode"] == 0, "Heartbeat v%d: %r" % (hv, r))
        r = c.call("Heartbeat", hv, {"GroupId": group, "GenerationId": gen + 5, "MemberId": member})
        check(r["ErrorCode"] == ERR["ILLEGAL_GENERATION"], "Heartbeat v%d stale generation" % hv)
        # Commit inside the generation (v0 has none: simple commits are refused while members exist).
        r = c.call("OffsetCommit", ocv, {"GroupId": group, "GenerationIdOrMemberEpoch": gen,
                                         "MemberId": member, "GroupInstanceId": None, "RetentionTimeMs": -1,
                                         "Topics": [{"Name": topic, "Partitions": [
                                             {"PartitionIndex": 0, "CommittedOffset": 10 + i,
                                              "CommittedLeaderEpoch": -1, "CommitTimestamp": -1,
                                              "CommittedMetadata": "md%d" % i}]}]})
        e = r["Topics"][0]["Partitions"][0]["ErrorCode"]
        check(e == (ERR["UNKNOWN_MEMBER_ID"] if ocv == 0 else 0), "OffsetCommit v%d in group: %d" % (ocv, e))
        r = c.call("DescribeGroups", min(i, adv[15][1]), {"Groups": [group], "IncludeAuthorizedOperations": False})
        g = r["Groups"][0]
        check(g["GroupState"] == "Stable" and len(g["Members"]) == 1 and g["ProtocolData"] == "range"
              and g["Members"][0]["MemberAssignment"] == b"assign-%d" % i, "DescribeGroups: %r" % g)
        if lv <= 2:
            r = c.call("LeaveGroup", lv, {"GroupId": group, "MemberId": member})
            check(r["ErrorCode"] == 0, "LeaveGroup v%d: %r" % (lv, r))
        else:
            r = c.call("LeaveGroup", lv, {"GroupId": group, "Members": [{"MemberId": member, "GroupInstanceId": None}]})
            check(r["ErrorCode"] == 0 and r["Members"][0]["ErrorCode"] == 0, "LeaveGroup v%d: %r" % (lv, r))
        r = c.call("Heartbeat", hv, {"GroupId": group, "GenerationId": gen, "MemberId": member})
        check(r["ErrorCode"] == ERR["UNKNOWN_MEMBER_ID"], "Heartbeat v%d after leave: %r" % (hv, r))
        # Simple commit (no generation) now that the group is empty, then read back.
        r = c.call("OffsetCommit", ocv, {"GroupId": group, "GenerationIdOrMemberEpoch": -1, "MemberId": "",
                                         "RetentionTimeMs": -1, "Topics": [{"Name": topic, "Partitions": [
                                             {"PartitionIndex": 1, "CommittedOffset": 20 + i,
                                              "CommittedLeaderEpoch": -1, "CommitTimestamp": -1,
                                              "CommittedMetadata": None}]}]})
        check(r["Topics"][0]["Partitions"][0]["ErrorCode"] == 0, "OffsetCommit v%d simple: %r" % (ocv, r))
        want = {1: 20 + i} if ocv == 0 else {0: 10 + i, 1: 20 + i}
        if ofv >= 8:
            r = c.call("OffsetFetch", ofv, {"Groups": [{"GroupId": group, "Topics": [
                {"Name": topic, "PartitionIndexes": [0, 1, 2]}]}], "RequireStable": False})
            check(r["Groups"][0]["ErrorCode"] == 0, "OffsetFetch v%d" % ofv)
            parts = r["Groups"][0]["Topics"][0]["Partitions"]
        else:
            r = c.call("OffsetFetch", ofv, {"GroupId": group, "Topics": [
                {"Name": topic, "PartitionIndexes": [0, 1, 2]}], "RequireStable": False})
            parts = r["Topics"][0]["Partitions"]
        got = {p["PartitionIndex"]: p["CommittedOffset"] for p in parts if p["CommittedOffset"] >= 0}
        check(got == want, "OffsetFetch v%d: %r, expected %r" % (ofv, got, want))
        check(all(p["CommittedOffset"] == -1 for p in parts if p["PartitionIndex"] == 2), "OffsetFetch v%d uncommitted" % ofv)
        if ofv >= 2:
            r = c.call("OffsetFetch", ofv, {"GroupId": group, "Topics": None, "RequireStable": False} if ofv < 8 else
                       {"Groups": [{"GroupId": group, "Topics": None}]})
            topics = r["Topics"] if ofv < 8 else r["Groups"][0]["Topics"]
            check(sum(len(t["Partitions"]) for t in topics) == len(want), "OffsetFetch v%d all: %r" % (ofv, topics))
    r = c.call("ListGroups", adv[16][1], {"StatesFilter": [], "TypesFilter": []})
    listed = {g["GroupId"] for g in r["Groups"]}
    check(all(("conform-g%d-%d" % (i, os.getpid())) in listed for i in range(adv[11][1] + 1)),
          "ListGroups: %r" % listed)
    for v in versions(adv, 16):
        r = c.call("ListGroups", v, {"StatesFilter": ["Empty"] if v >= 4 else [], "TypesFilter": ["classic"] if v >= 5 else []})
        check(r["ErrorCode"] == 0 and r["Groups"], "ListGroups v%d" % v)
    for v in versions(adv, 15):
        r = c.call("DescribeGroups", v, {"Groups": ["nobody-%d" % os.getpid()], "IncludeAuthorizedOperations": True})
        check(r["Groups"][0]["GroupState"] == "Dead", "DescribeGroups v%d unknown group" % v)
    print("JoinGroup v%d-v%d, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, "
          "DescribeGroups, ListGroups: all versions ok" % adv[11])

    # ---- CreateTopics (19) / DeleteTopics (20)
    ids = {}
    for v in versions(adv, 19):
        name = "conform-ct%d-%d" % (v, os.getpid())
        r = c.call("CreateTopics", v, {"Topics": [
            {"Name": name, "NumPartitions": 2, "ReplicationFactor": 1, "Assignments": [],
             "Configs": [{"Name": "retention.ms", "Value": "3600000"}]},
            {"Name": topic, "NumPartitions": 2, "ReplicationFactor": 1, "Assignments": [], "Configs": []},
            {"Name": name + "x", "NumPartitions": 2, "ReplicationFactor": 3, "Assignments": [], "Configs": []},
            {"Name": name + "y", "NumPartitions": 0, "ReplicationFactor": 1, "Assignments": [], "Configs": []},
            {"Name": name + "z", "NumPartitions": 1, "ReplicationFactor": 1, "Assignments": [],
             "Configs": [{"Name": "no.such.config", "Value": "1"}]},
        ], "timeoutMs": 5000, "validateOnly": False})
        errs = [t["ErrorCode"] for t in r["Topics"]]
        check(errs == [0, ERR["TOPIC_ALREADY_EXISTS"], ERR["INVALID_REPLICATION_FACTOR"],
                       ERR["INVALID_PARTITIONS"], ERR["INVALID_CONFIG"]], "CreateTopics v%d: %r" % (v, errs))
        if v >= 7:
            ids[name] = r["Topics"][0]["TopicId"]
        if v >= 1:
            r = c.call("CreateTopics", v, {"Topics": [{"Name": name + "-vo", "NumPartitions": 1, "ReplicationFactor": -1,
                                                       "Assignments": [], "Configs": []}],
                                           "timeoutMs": 5000, "validateOnly": True})
            check(r["Topics"][0]["ErrorCode"] == 0, "CreateTopics v%d validateOnly" % v)
    r = c.call("Metadata", 1, {"Topics": None})
    names = {t["Name"] for t in r["Topics"]}
    check(all(("conform-ct%d-%d" % (v, os.getpid())) in names for v in versions(adv, 19)), "created topics listed")
    check(not any(n.endswith("-vo") for n in names), "validateOnly created a topic")
    for v in versions(adv, 20):
        name = "conform-ct%d-%d" % (v, os.getpid())
        if v >= 6:
            tid = ids.get(name)
            if tid is None:
                md = c.call("Metadata", 12, {"Topics": [{"Name": name, "TopicId": b"\0" * 16}]})
                tid = md["Topics"][0]["TopicId"]
            r = c.call("DeleteTopics", v, {"Topics": [{"Name": None, "TopicId": tid}], "TimeoutMs": 5000})
        else:
            r = c.call("DeleteTopics", v, {"TopicNames": [name, name + "-missing"], "TimeoutMs": 5000})
            check(r["Responses"][1]["ErrorCode"] == ERR["UNKNOWN_TOPIC_OR_PARTITION"], "DeleteTopics v%d missing" % v)
        check(r["Responses"][0]["ErrorCode"] == 0, "DeleteTopics v%d: %r" % (v, r))
    left = ["conform-ct%d-%d" % (v, os.getpid()) for v in versions(adv, 19) if v > adv[20][1]]
    if left:
        r = c.call("DeleteTopics", adv[20][1], {"Topics": [{"Name": n, "TopicId": b"\0" * 16} for n in left],
                                                "TopicNames": left, "TimeoutMs": 5000})
        check(all(x["ErrorCode"] == 0 for x in r["Responses"]), "DeleteTopics by name: %r" % r)
    r = c.call("Metadata", 1, {"Topics": None})
    check(not any(t["Name"].startswith("conform-ct") and t["Name"].endswith("-%d" % os.getpid()) for t in r["Topics"]), "topics deleted")
    print("CreateTopics v%d-v%d, DeleteTopics ok" % adv[19])

    # ---- InitProducerId (22) + idempotent produce
    for v in versions(adv, 22):
        r = c.call("InitProducerId", v, {"TransactionalId": None, "TransactionTimeoutMs": 60000,
                                         "ProducerId": -1, "ProducerEpoch": -1})
        check(r["ErrorCode"] == 0 and r["ProducerId"] >= 0 and r["ProducerEpoch"] == 0, "InitProducerId v%d: %r" % (v, r))
        pid = r["ProducerId"]
        r = c.call("InitProducerId", v, {"TransactionalId": "tx", "TransactionTimeoutMs": 60000})
        check(r["ErrorCode"] == ERR["TRANSACTIONAL_ID_AUTHORIZATION_FAILED"], "InitProducerId v%d transactional" % v)
    batch = record_batch([(b"i1", b"x"), (b"i2", b"y")], ts, pid, 0, 0)

    def produce(b, part=2):
        r = c.call("Produce", 7, {"Acks": -1, "TimeoutMs": 1000, "TopicData": [{"Name": topic, "PartitionData": [
            {"Index": part, "Records": b}]}]})
        return r["Responses"][0]["PartitionResponses"][0]
    first = produce(batch)
    dup = produce(batch)
    check(first["ErrorCode"] == 0 and dup["ErrorCode"] == 0 and dup["BaseOffset"] == first["BaseOffset"],
          "idempotent duplicate: %r %r" % (first, dup))
    gap = produce(record_batch([(b"i9", b"z")], ts, pid, 0, 5))
    check(gap["ErrorCode"] == ERR["OUT_OF_ORDER_SEQUENCE_NUMBER"], "sequence gap: %r" % gap)
    nxt = produce(record_batch([(b"i3", b"z")], ts, pid, 0, 2))
    check(nxt["ErrorCode"] == 0 and nxt["BaseOffset"] == first["BaseOffset"] + 2, "next sequence: %r" % nxt)
    print("InitProducerId v%d-v%d ok; duplicate acknowledged at offset %d, gap refused"
          % (adv[22][0], adv[22][1], first["BaseOffset"]))
    print("all advertised versions verified")


if __name__ == "__main__":
    main()
