"""Redis started after the engine still receives every user's latest list."""
import json
import time
import unittest

import harness


class RedisLate(unittest.TestCase):
    def test_redis_comes_up_later(self):
        redis = harness.Redis()  # port reserved, not started
        rtrec = harness.Rtrec("-X", f"redis.port={redis.port}").start()
        try:
            evs = []
            for i in range(60):
                user = f"user{i % 20}"
                evs.append(f"{user}\t" + json.dumps({"user_id": user, "item_id": f"item{i % 7}",
                                                     "type": "view",
                                                     "ts_ms": 1_700_000_000_000 + i}))
            harness.kcat_produce(rtrec.bootstrap, "rtrec.events", evs, key_sep="\t")
            # every user's list is on the recs topic although Redis is down
            recs = harness.wait_for("lists on the recs topic", lambda: (
                lambda r: r if len(r) == 20 else None)(harness.latest_recs(rtrec.bootstrap, min_count=20)))
            time.sleep(0.5)
            self.assertIsNone(rtrec.proc.poll(), "engine died without Redis")
            redis.start()
            for i in range(20):
                harness.wait_for(f"user{i} in Redis",
                                 lambda: redis.zrevrange(f"rtrec:rec:user{i}"), timeout=15)
                # Redis orders equal scores by member name, so compare item -> score.
                in_redis = dict(redis.zrevrange(f"rtrec:rec:user{i}"))
                on_topic = {r.item_id: r.score for r in recs[f"user{i}"].recs}
                self.assertEqual(set(in_redis), set(on_topic), f"user{i}")
                for item, score in on_topic.items():  # Redis holds the score as "%.6g" text
                    self.assertAlmostEqual(in_redis[item], score, delta=1e-5 * max(1, abs(score)))
            self.assertIn("redis", rtrec.read_log())
            self.assertEqual(rtrec.stop(), 0)
        finally:
            rtrec.cleanup()
            redis.stop()


if __name__ == "__main__":
    unittest.main()
