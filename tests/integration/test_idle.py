"""An engine without input stays in its group: librdkafka counts a consumer that has not polled
for max.poll.interval.ms as stuck and makes it leave and rejoin, which moves its partitions. Here
that interval is 6 s; the engine idles 10 s, then an event produced with kcat still gets a list,
and the engine never left the group nor was assigned twice."""
import json
import time
import unittest

import harness


class Idle(unittest.TestCase):
    def test_idle_engine_keeps_its_partitions(self):
        redis = harness.Redis().start()
        rtrec = harness.Rtrec("-X", f"redis.port={redis.port}",
                              "-X", "kafka.max.poll.interval.ms=6000").start().wait_assigned()
        try:
            time.sleep(10)
            ev = {"user_id": "idle-user", "item_id": "i1", "type": "view", "ts_ms": 1_700_000_000_000}
            harness.kcat_produce(rtrec.bootstrap, "rtrec.events", [json.dumps(ev)])
            harness.wait_for("idle-user's portrait", lambda: redis.cli(
                "HGET", "rtrec:portrait:idle-user", "events") == "1", timeout=20)
            log = rtrec.read_log()
            self.assertNotIn("maximum poll interval", log)
            self.assertNotIn("revoked", log)
            self.assertEqual(log.count("consumer: assigned"), 1, log)
        finally:
            code = rtrec.stop()
            rtrec.cleanup()
            redis.stop()
        self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main()
