#!/usr/bin/env bash
# 0505: docker-compose.yml (Challenge 1) is valid YAML and describes a single-node Apache
# Kafka in KRaft mode reachable from the host (localhost:9092) and from containers on the
# compose network (kafka:19092). No Docker engine runs here, so `docker compose config`
# is used only when available.
# brokers: mock
. "$(dirname "$0")/lib.sh"
f=$ROOT/docker-compose.yml
if docker compose version >/dev/null 2>&1; then
    docker compose -f "$f" config -q || fail "docker compose config rejected $f"
    say "docker compose config: ok"
fi
$PY - "$f" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
svc = doc["services"]["kafka"]
assert svc["image"].startswith("apache/kafka:"), svc["image"]
env = svc["environment"]
env = dict(e.split("=", 1) for e in env) if isinstance(env, list) else {k: str(v) for k, v in env.items()}
assert env["KAFKA_NODE_ID"] == "1"
assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093", env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
listeners = dict(l.split("://", 1) for l in env["KAFKA_LISTENERS"].split(","))
advertised = dict(l.split("://", 1) for l in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
protomap = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
# Host clients: a listener advertised as localhost:9092, published on host port 9092.
host = [n for n, a in advertised.items() if a == "localhost:9092"]
assert host, advertised
assert "9092:9092" in [str(p) for p in svc["ports"]], svc["ports"]
assert listeners[host[0]].endswith(":9092")
# Containers: a listener advertised under the service name, bound on all interfaces.
internal = [n for n, a in advertised.items() if a.startswith("kafka:")]
assert internal and internal[0] != host[0], advertised
port = advertised[internal[0]].split(":")[1]
assert listeners[internal[0]] in (f"0.0.0.0:{port}", f":{port}"), listeners
# The controller listener exists, is not advertised and is named in the controller config.
assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised
assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
for name in listeners:
    assert name in protomap, name
assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
assert "test" in svc["healthcheck"] and svc["healthcheck"]["test"], svc["healthcheck"]
print("docker-compose.yml: KRaft single node, host + network listeners, healthcheck: ok")
PY
