"""Two `rtrec run` instances in one consumer group split the partitions of the events topic,
and between them every user gets a list."""
import json
import time
import unittest

import harness


class TwoInstances(unittest.TestCase):
    def test_group_split(self):
        broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
        redis = harness.Redis().start()
        common = ["-X", f"kafka.bootstrap.servers={broker.bootstrap}", "-X",
                  f"redis.port={redis.port}", "-X", "kafka.group.id=split-test"]
        a = harness.Rtrec(*common).start(expect_bootstrap=False)
        b = harness.Rtrec(*common).start(expect_bootstrap=False)
        try:
            def split():
                pa, pb = a.held_partitions(), b.held_partitions()
                return pa and pb and not (pa & pb) and (pa | pb) == {0, 1, 2, 3} and (pa, pb)
            try:
                pa, pb = harness.wait_for("a partition split", split, timeout=45)
            except AssertionError:
                print("instance a log:\n" + a.read_log() + "\ninstance b log:\n" + b.read_log())
                raise
            print(f"instance a holds {sorted(pa)}, b holds {sorted(pb)}")
            users = [f"user{i}" for i in range(40)]
            lines = [f"{u}\t" + json.dumps({"user_id": u, "item_id": f"item{(i + j) % 10}", "type": "view",
                                            "ts_ms": 1_700_000_000_000 + 10 * i + j})
                     for i, u in enumerate(users) for j in range(3)]
            harness.kcat_produce(broker.bootstrap, "rtrec.events", lines, key_sep="\t")
            for u in users:
                harness.wait_for(f"{u}'s list", lambda: redis.zrevrange(f"rtrec:rec:{u}"), timeout=20)
            self.assertEqual(a.stop(), 0)
            self.assertEqual(b.stop(), 0)
        finally:
            for p in (a, b):
                p.cleanup()
            broker.stop()
            broker.cleanup()
            redis.stop()


if __name__ == "__main__":
    unittest.main()
