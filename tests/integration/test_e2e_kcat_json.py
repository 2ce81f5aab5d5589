"""JSON events produced by kcat reach Redis and the recs topic as the expected lists."""
import json
import time
import unittest

import harness
import scenario


class KcatJson(unittest.TestCase):
    def setUp(self):
        self.redis = harness.Redis().start()
        self.rtrec = harness.Rtrec("-X", f"redis.port={self.redis.port}",
                                   "-X", "stats.interval_ms=100").start().wait_assigned()

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.redis.stop()
        self.assertEqual(code, 0)

    def test_lists_from_kcat_json(self):
        evs = scenario.events()
        lines = [f"{e['user_id']}\t{json.dumps(e)}" for e in evs]
        t0 = time.time()
        harness.kcat_produce(self.rtrec.bootstrap, "rtrec.events", lines, key_sep="\t")
        harness.wait_for("alice's list", lambda: self.redis.zrevrange("rtrec:rec:alice")
                         and self.redis.cli("HGET", "rtrec:why:alice", "C"))
        harness.wait_for("all events counted",
                         lambda: self.redis.cli("HGET", "rtrec:stats", "events_total") == str(len(evs)))
        print(f"list visible in Redis {time.time() - t0:.3f} s after kcat started")
        recs = harness.latest_recs(self.rtrec.bootstrap, min_count=6)
        scenario.check_alice(self, self.redis, recs.get("alice"))
        for user in ("u1", "u2", "u3", "u4", "u5"):
            self.assertTrue(self.redis.zrevrange(f"rtrec:rec:{user}"), user)
            self.assertIn(user, recs)
        self.assertEqual(self.redis.cli("HGET", "rtrec:stats", "dlq_total"), "0")
        self.assertTrue(self.redis.zrevrange("rtrec:trending"))


if __name__ == "__main__":
    unittest.main()
