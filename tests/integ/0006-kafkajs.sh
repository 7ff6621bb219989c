#!/usr/bin/env bash
# 0006: kafkajs (npm, a JavaScript client sharing no code with librdkafka): admin topic
# creation, produce, consume in a group with commits.
# Must hold afterwards: (real brokers) the admin-created topic is listed with 3 partitions;
# the 60 messages sent with acks=-1 are all acknowledged; the group consumer receives each
# exactly once; the group's committed offsets equal the topic's end offsets.
. "$(dirname "$0")/lib.sh"
[ -d "$ROOT/node_modules/kafkajs" ] || fail "kafkajs is not installed (scripts/deps.sh runs npm ci)"
topic=$(uniq kjs)
start_broker "$topic:3"

NODE_PATH=$ROOT/node_modules KAFKAJS_NO_PARTITIONER_WARNING=1 node - "$BOOTSTRAP" "$topic" "$(uniq kjsg)" "$SISMO_TEST_BROKER" <<'JS'
const { Kafka, logLevel } = require('kafkajs');
const [bs, topic, group, kind] = process.argv.slice(2);
const assert = (c, m) => { if (!c) { console.error('FAIL: ' + m); process.exit(1); } };
(async () => {
  const kafka = new Kafka({ clientId: 'sismo-test', brokers: [bs], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  if (kind !== 'mock') { // librdkafka's mock cluster has no CreateTopics
    assert(await admin.createTopics({ topics: [{ topic: topic + '-admin', numPartitions: 3 }] }), 'createTopics');
    const md = await admin.fetchTopicMetadata({ topics: [topic + '-admin'] });
    assert(md.topics[0].partitions.length === 3, 'admin topic partitions');
    assert((await admin.listTopics()).includes(topic + '-admin'), 'listTopics');
    console.log('admin created a topic with 3 partitions');
  }
  const producer = kafka.producer();
  await producer.connect();
  const msgs = [];
  for (let i = 0; i < 60; i++) msgs.push({ key: 'k' + i, value: 'kafkajs ' + i });
  const res = await producer.send({ topic, acks: -1, messages: msgs });
  assert(res.length > 0 && res.every(r => r.errorCode === 0), 'produce: ' + JSON.stringify(res));
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout: ' + seen.size + ' consumed')), 30000);
    consumer.run({ eachMessage: async ({ message }) => {
      const k = message.key.toString();
      seen.set(k, (seen.get(k) || 0) + 1);
      if (seen.size === 60) { clearTimeout(timer); resolve(); }
    } });
  });
  await consumer.disconnect(); // commits what was consumed
  assert([...seen.values()].every(n => n === 1), 'duplicates');
  console.log('group consumed 60 exactly once');
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions;
  for (const e of ends) {
    const c = committed.find(p => p.partition === e.partition);
    assert(c && c.offset === e.high, `partition ${e.partition}: committed ${c && c.offset}, end ${e.high}`);
  }
  console.log('committed offsets == end offsets');
  await admin.disconnect();
})().catch(e => { console.error('FAIL:', e); process.exit(1); });
JS
