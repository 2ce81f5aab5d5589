"""Protobuf events produced by confluent_kafka (Python) give the same lists as JSON ones."""
import unittest

from confluent_kafka import Producer

import harness
import scenario


class PythonProtobuf(unittest.TestCase):
    def setUp(self):
        self.redis = harness.Redis().start()
        self.rtrec = harness.Rtrec("-X", f"redis.port={self.redis.port}").start().wait_assigned()

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.redis.stop()
        self.assertEqual(code, 0)

    def test_lists_from_protobuf(self):
        pb = harness.pb2()
        types = {"view": pb.Event.VIEW, "purchase": pb.Event.PURCHASE}
        p = Producer({"bootstrap.servers": self.rtrec.bootstrap})

        def produce(part):
            for e in part:
                ev = pb.Event(user_id=e["user_id"], item_id=e["item_id"], type=types[e["type"]],
                              ts_ms=e["ts_ms"])
                if "category" in e:
                    ev.category = e["category"]
                p.produce("rtrec.events", key=e["user_id"], value=ev.SerializeToString())
            self.assertEqual(p.flush(10), 0)
        produce(scenario.head())
        scenario.wait_applied(self.redis, scenario.head(), harness.wait_for)
        produce(scenario.tail())
        harness.wait_for("alice's list", lambda: self.redis.cli("HGET", "rtrec:why:alice", "C"))
        recs = harness.latest_recs(self.rtrec.bootstrap, min_count=6)
        scenario.check_alice(self, self.redis, recs.get("alice"))


if __name__ == "__main__":
    unittest.main()
