"""FORGET_USER erases the user: Redis keys, a tombstone on the recs topic, and the in-memory
state (the users gauge drops and a later event starts a brand-new profile)."""
import glob
import json
import os
import shutil
import tempfile
import unittest

from confluent_kafka import Producer

import harness


def event(user, item, kind="view", ts=1_700_000_000_000):
    return json.dumps({"user_id": user, "item_id": item, "type": kind, "ts_ms": ts}).encode()


class Forget(unittest.TestCase):
    def setUp(self):
        self.ckdir = tempfile.mkdtemp(prefix="rtrec-forget-")
        self.redis = harness.Redis().start()
        self.rtrec = harness.Rtrec("-X", f"redis.port={self.redis.port}",
                                   "-X", f"checkpoint.dir={self.ckdir}",
                                   "-X", "stats.interval_ms=100").start().wait_assigned()

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.redis.stop()
        shutil.rmtree(self.ckdir, ignore_errors=True)
        self.assertEqual(code, 0)

    def test_forget_user(self):
        p = Producer({"bootstrap.servers": self.rtrec.bootstrap})
        evs = [("bob", "A"), ("bob", "B"), ("ann", "A"), ("ann", "C"), ("cy", "B")]
        # cy's, then ann's, then bob's, each applied before the next: the users sit on
        # different partitions, read in no fixed order, and a list holds only items that exist
        # when its user's event is applied: ann's (A, C seen) needs cy's B, bob's (A, B) ann's C.
        waits = {4: ("cy", "1"), 3: ("ann", "2")}
        for i in (4, 2, 3, 0, 1):
            user, item = evs[i]
            p.produce("rtrec.events", key=user, value=event(user, item, ts=1_700_000_000_000 + i))
            self.assertEqual(p.flush(10), 0)
            if i in waits:
                u, n = waits[i]
                harness.wait_for(f"{u}'s events applied", lambda: self.redis.cli(
                    "HGET", f"rtrec:portrait:{u}", "events") == n)
        for key in ("rtrec:rec:bob", "rtrec:why:bob", "rtrec:portrait:bob", "rtrec:rec:ann"):
            harness.wait_for(key, lambda: self.redis.cli("EXISTS", key) == "1")
        harness.wait_for("3 users", lambda: self.redis.cli("HGET", "rtrec:stats", "users") == "3")

        forget = json.dumps({"user_id": "bob", "type": "forget_user"}).encode()
        p.produce("rtrec.events", key="bob", value=forget)
        self.assertEqual(p.flush(10), 0)
        harness.wait_for("bob gone from Redis", lambda: all(
            self.redis.cli("EXISTS", k) == "0"
            for k in ("rtrec:rec:bob", "rtrec:why:bob", "rtrec:portrait:bob")))
        harness.wait_for("users gauge drops",
                         lambda: self.redis.cli("HGET", "rtrec:stats", "users") == "2")
        self.assertEqual(self.redis.cli("EXISTS", "rtrec:rec:ann"), "1")  # others untouched

        latest = harness.latest_recs(self.rtrec.bootstrap, min_count=4)
        self.assertIn("bob", latest)
        self.assertIsNone(latest["bob"], "no tombstone for bob on the recs topic")
        self.assertIsNotNone(latest.get("ann"))

        # The forget brought a checkpoint forward: the newest no longer knows bob, ann is there.
        def newest():
            files = glob.glob(os.path.join(self.ckdir, "ckpt-*.rrc"))
            return max(files, key=lambda f: int(f.rsplit("-", 1)[1].split(".")[0])) if files else None
        harness.wait_for("a checkpoint after the forget", lambda: newest() and
                         b"bob" not in open(newest(), "rb").read(), timeout=10)
        with open(newest(), "rb") as f:
            self.assertIn(b"ann", f.read())

        # bob comes back: a fresh profile, nothing remembered (one event, not three)
        p.produce("rtrec.events", key="bob", value=event("bob", "C", ts=1_700_000_001_000))
        self.assertEqual(p.flush(10), 0)
        harness.wait_for("bob's new portrait",
                         lambda: self.redis.cli("HGET", "rtrec:portrait:bob", "events") == "1")


if __name__ == "__main__":
    unittest.main()
