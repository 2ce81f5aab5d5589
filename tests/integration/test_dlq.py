"""Garbage goes to the dead-letter topic with a reason header and its bytes intact, is counted
in rtrec:stats, and the engine keeps serving."""
import json
import unittest

from confluent_kafka import Producer

import harness


BAD = [
    (b"k1", b"\xff\x00garbage\x01\x02"),                             # not protobuf, not JSON
    (b"k2", b'{"user_id": "x", "item_id": '),                         # truncated JSON
    (b"k3", json.dumps({"item_id": "A", "type": "view"}).encode()),  # no user
    (b"k4", json.dumps({"user_id": "x", "item_id": "A", "type": "teleport"}).encode()),
    (b"k5", json.dumps({"user_id": "x", "item_id": "A", "type": "view", "price": -3}).encode()),
    (b"k6", json.dumps({"user_id": "x", "item_id": "A", "type": "view", "ts_ms": 1}).encode()),
]
EXPECTED_REASON = {b"k1": "DECODE", b"k2": "DECODE", b"k3": "NO_USER", b"k4": "BAD_TYPE",
                   b"k5": "BAD_PRICE", b"k6": "BAD_TS"}


class DeadLetters(unittest.TestCase):
    def setUp(self):
        self.redis = harness.Redis().start()
        self.rtrec = harness.Rtrec("-X", f"redis.port={self.redis.port}",
                                   "-X", "stats.interval_ms=100").start().wait_assigned()

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.redis.stop()
        self.assertEqual(code, 0)

    def test_garbage_to_dlq(self):
        p = Producer({"bootstrap.servers": self.rtrec.bootstrap})
        for key, value in BAD:
            p.produce("rtrec.events", key=key, value=value)
        good = {"user_id": "bob", "item_id": "A", "type": "view", "ts_ms": 1_700_000_000_000}
        p.produce("rtrec.events", key=b"bob", value=json.dumps(good).encode())
        self.assertEqual(p.flush(10), 0)

        harness.wait_for("bob's list after the garbage",
                         lambda: self.redis.cli("EXISTS", "rtrec:rec:bob") == "1"
                         or self.redis.cli("HGET", "rtrec:stats", "events_total") == "1")
        harness.wait_for("dlq_total in stats",
                         lambda: self.redis.cli("HGET", "rtrec:stats", "dlq_total") == str(len(BAD)))
        dead = harness.consume_all(self.rtrec.bootstrap, "rtrec.dlq", min_count=len(BAD))
        self.assertEqual(len(dead), len(BAD))
        by_key = {m.key(): m for m in dead}
        for key, value in BAD:
            m = by_key[key]
            self.assertEqual(m.value(), value, key)
            headers = dict(m.headers())
            self.assertEqual(headers["rtrec.reason"].decode(), EXPECTED_REASON[key], key)
            self.assertTrue(headers["rtrec.error"])
            self.assertTrue(headers["rtrec.source"].decode().startswith("rtrec.events/"))
        self.assertIsNotNone(self.rtrec.proc and self.rtrec.proc.poll() is None)


if __name__ == "__main__":
    unittest.main()
