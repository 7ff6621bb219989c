#!/usr/bin/python3
"""kadmin.py - test helper: topic administration through librdkafka (python3-confluent-kafka).

usage: kadmin.py BOOTSTRAP create TOPIC:PARTITIONS...   (existing topics are accepted)
       kadmin.py BOOTSTRAP partitions TOPIC             (prints the partition count)
"""
import sys

from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka import KafkaException


def main():
    bootstrap, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if cmd == "create":
        topics = []
        for spec in args:
            name, _, parts = spec.rpartition(":")
            topics.append(NewTopic(name, num_partitions=int(parts), replication_factor=1))
        for name, fut in admin.create_topics(topics, request_timeout=15).items():
            try:
                fut.result()
            except KafkaException as e:
                if e.args[0].name() != "TOPIC_ALREADY_EXISTS":
                    sys.exit(f"kadmin: create {name}: {e}")
    elif cmd == "partitions":
        md = admin.list_topics(args[0], timeout=10)
        print(len(md.topics[args[0]].partitions))
    else:
        sys.exit(f"kadmin: unknown command {cmd}")


if __name__ == "__main__":
    main()
