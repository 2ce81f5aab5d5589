"""Outages: every broker down for 30 s mid-stream, and Redis SIGKILLed and restarted during it.
No crash, memory stays bounded, and afterwards every user whose list changed has the latest list
in Redis and on the recs topic."""
import json
import os
import shutil
import signal
import tempfile
import time
import unittest

from confluent_kafka import Producer

import harness

DOWN_S = 30


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Outage(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rtrec-outage-")
        self.broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
        self.redis = harness.Redis(persist_dir=self.tmp).start()
        self.rtrec = harness.Rtrec("-X", f"kafka.bootstrap.servers={self.broker.bootstrap}",
                                   "-X", f"redis.port={self.redis.port}",
                                   "-X", "stats.interval_ms=100").start(expect_bootstrap=False)
        self.rtrec.wait_assigned(timeout=40)
        self.producer = Producer({"bootstrap.servers": self.broker.bootstrap, "linger.ms": 5})
        self.ts = 1_700_000_000_000

    def tearDown(self):
        code = self.rtrec.stop(timeout=60)
        self.rtrec.cleanup()
        self.broker.stop()
        self.broker.cleanup()
        self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(code, 0)

    def produce(self, users, items):
        for u in users:
            for i in items:
                self.ts += 10
                ev = {"user_id": u, "item_id": i, "type": "view", "ts_ms": self.ts}
                self.producer.produce("rtrec.events", key=u, value=json.dumps(ev).encode())
        self.assertEqual(self.producer.flush(60), 0)

    def test_broker_and_redis_outage(self):
        users = [f"user{i}" for i in range(30)]
        self.produce(users, ["a", "b", "c"])
        harness.wait_for("first lists", lambda: self.redis.cli("HGET", "rtrec:stats",
                                                               "events_total") == "90")
        rss_before = rss_kib(self.rtrec.proc.pid)

        # The last events before the outage: the engine consumes them, then loses the broker
        # while it publishes their lists; Redis dies and comes back during the outage.
        self.produce(users[:10], ["d", "e"])
        self.broker.proc.send_signal(signal.SIGUSR1)
        time.sleep(3)
        self.redis.kill()
        time.sleep(3)
        self.redis.start()
        time.sleep(DOWN_S - 6)
        self.assertIsNone(self.rtrec.proc.poll(), "engine died during the outage")
        rss_during = rss_kib(self.rtrec.proc.pid)
        self.broker.proc.send_signal(signal.SIGUSR2)

        self.produce(users[10:20], ["f"])  # after the outage
        harness.wait_for("all events", lambda: self.redis.cli("HGET", "rtrec:stats",
                                                              "events_total") == "120", timeout=60)
        # Redis and the recs topic agree on every user's latest list.
        def agree():
            latest = harness.latest_recs(self.broker.bootstrap, min_count=len(users))
            for u in users:
                in_redis = {m for m, _ in self.redis.zrevrange(f"rtrec:rec:{u}")}
                on_topic = {r.item_id for r in latest[u].recs} if latest.get(u) else None
                if on_topic != in_redis:
                    return None
            return latest
        latest = harness.wait_for("Redis and Kafka agree", agree, timeout=60, interval=1)
        for u in users[:10]:  # their last change happened around the outage
            self.assertNotIn("d", {r.item_id for r in latest[u].recs})
        growth = rss_during - rss_before
        print(f"RSS before {rss_before} KiB, during the outage {rss_during} KiB (+{growth})")
        self.assertLess(growth, 64 * 1024, "memory grew by more than 64 MiB during the outage")
        self.assertIn("brokers down", self.broker.read_log())
        self.assertIn("brokers up", self.broker.read_log())
        log = self.rtrec.read_log()
        self.assertIn("redis", log)
        self.assertTrue("Disconnected" in log or "Connection refused" in log, "no broker outage seen")


    def test_slow_redis_coalesces(self):
        """Redis frozen (DEBUG SLEEP) while 20 users send 50 events each: the engine keeps one
        pending list per user, not a queue of 1000, and writes each user's latest list after."""
        import subprocess
        users = [f"slow{i}" for i in range(20)]
        self.produce(users, ["x"])
        harness.wait_for("warm", lambda: self.redis.cli("HGET", "rtrec:stats", "events_total") == "20")
        sleeper = subprocess.Popen(["redis-cli", "-p", str(self.redis.port), "DEBUG", "SLEEP", "4"],
                                   stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        rss_before = rss_kib(self.rtrec.proc.pid)
        self.produce(users, [f"i{k}" for k in range(50)])
        rss_after = rss_kib(self.rtrec.proc.pid)
        sleeper.wait(timeout=20)
        harness.wait_for("all events", lambda: self.redis.cli("HGET", "rtrec:stats",
                                                              "events_total") == "1020", timeout=60)
        written = {}
        for u in users:
            portrait = dict(zip(*[iter(self.redis.lines("HGETALL", f"rtrec:portrait:{u}"))] * 2))
            written[u] = portrait.get("events")
        self.assertEqual(set(written.values()), {"51"}, written)  # the latest, for everyone
        print(f"RSS while Redis slept: {rss_before} -> {rss_after} KiB")
        self.assertLess(rss_after - rss_before, 32 * 1024)


if __name__ == "__main__":
    unittest.main()
