#!/usr/bin/python3
"""Prints users' recommendations as a dashboard and a shop front end would read them: from
Redis (rtrec:rec:{user} + rtrec:why:{user}) and from the Kafka recs topic (protobuf)."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition


def load_pb2(proto):
    out = tempfile.mkdtemp(prefix="rtrec-pb2-")
    subprocess.run(["protoc", f"-I{os.path.dirname(os.path.abspath(proto))}", f"--python_out={out}",
                    os.path.abspath(proto)], check=True)
    sys.path.insert(0, out)
    import rtrec_pb2
    return rtrec_pb2


def redis(port, *args):
    r = subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True, text=True)
    return r.stdout.split("\n")[:-1]


def settled_ends(c, topic, parts, timeout=15.0):
    """{partition: end offset} once the topic stops growing: the engine publishes to Kafka a
    moment after Redis (the producer's first batch waits for its idempotent producer id)."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        ends = {}
        for p in parts:
            low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > low:
                ends[p] = high
        if ends and ends == last:
            return ends
        last = ends
        time.sleep(0.5)
    return last or {}


def from_kafka(bootstrap, topic, users, pb2):
    """The latest list of each user on the recs topic: every partition read from its first
    offset to its end, by assignment (no group join)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "rtrec-show-recs",
                  "enable.auto.commit": False})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    todo = settled_ends(c, topic, parts)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    latest, deadline = {}, time.time() + 20
    while todo and time.time() < deadline:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        if m.offset() + 1 >= todo.get(m.partition(), 0):
            todo.pop(m.partition(), None)
        if m.key() and m.key().decode() in users and m.value():
            r = pb2.Recommendations()
            r.ParseFromString(m.value())
            latest[r.user_id] = r
    c.close()
    return latest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--redis-port", default="6379")
    ap.add_argument("--topic", default="rtrec.recs")
    ap.add_argument("--proto", default="proto/rtrec.proto")
    ap.add_argument("users", nargs="+")
    a = ap.parse_args()
    pb2 = load_pb2(a.proto)
    kafka = from_kafka(a.bootstrap, a.topic, set(a.users), pb2)
    for user in a.users:
        print(f"== {user}")
        flat = redis(a.redis_port, "ZREVRANGE", f"rtrec:rec:{user}", "0", "-1", "WITHSCORES")
        why = redis(a.redis_port, "HGETALL", f"rtrec:why:{user}")
        why = dict(zip(why[0::2], why[1::2]))
        print("  from Redis rtrec:rec:%s" % user)
        for item, score in zip(flat[0::2], flat[1::2]):
            print(f"    {item:>8}  {float(score):8.3f}  {why.get(item, '')}")
        r = kafka.get(user)
        print(f"  from Kafka {a.topic} (model {r.model_version if r else '-'})")
        for rec in (r.recs if r else []):
            print(f"    {rec.item_id:>8}  {rec.score:8.3f}  {rec.reason_detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
