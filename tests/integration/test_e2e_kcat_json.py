"""JSON events produced by kcat reach Redis and the recs topic as the expected lists."""
import http.client
import json
import time
import unittest

import harness
import scenario


class KcatJson(unittest.TestCase):
    def setUp(self):
        self.redis = harness.Redis().start()
        self.metrics_port = harness.free_port()
        self.rtrec = harness.Rtrec("-X", f"redis.port={self.redis.port}",
                                   "-X", f"metrics.port={self.metrics_port}",
                                   "-X", "stats.interval_ms=100").start().wait_assigned()

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.redis.stop()
        self.assertEqual(code, 0)

    def test_lists_from_kcat_json(self):
        evs = scenario.events()

        def produce(part):
            lines = [f"{e['user_id']}\t{json.dumps(e)}" for e in part]
            harness.kcat_produce(self.rtrec.bootstrap, "rtrec.events", lines, key_sep="\t")
        produce(scenario.head())
        scenario.wait_applied(self.redis, scenario.head(), harness.wait_for)
        t0 = time.time()
        produce(scenario.tail())
        harness.wait_for("alice's list", lambda: self.redis.zrevrange("rtrec:rec:alice")
                         and self.redis.cli("HGET", "rtrec:why:alice", "C"))
        harness.wait_for("all events counted",
                         lambda: self.redis.cli("HGET", "rtrec:stats", "events_total") == str(len(evs)))
        print(f"list visible in Redis {time.time() - t0:.3f} s after kcat started")
        recs = harness.latest_recs(self.rtrec.bootstrap, min_count=6)
        scenario.check_alice(self, self.redis, recs.get("alice"))
        # Every user's latest list reached both sinks, the same in each. A list is refreshed
        # after the user's own events only, and the topic's partitions are consumed in no fixed
        # order: u1 refreshed before u5's partition is read has nothing to be shown (it has seen
        # A, B and C), and that empty list is its last. So the lists are compared, not required.
        for user in ("u1", "u2", "u3", "u4", "u5"):
            self.assertIn(user, recs)
            want = [r.item_id for r in recs[user].recs]
            harness.wait_for(f"{user}'s list in Redis as on the topic", lambda: [
                m for m, _ in self.redis.zrevrange(f"rtrec:rec:{user}")] == want)
        self.assertEqual(self.redis.cli("HGET", "rtrec:stats", "dlq_total"), "0")
        self.assertTrue(self.redis.zrevrange("rtrec:trending"))
        self.check_metrics(len(evs))

    def get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=5)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read().decode()
        conn.close()
        return resp.status, resp.getheader("Content-Type"), body

    def check_metrics(self, nevents):
        status, _, body = self.get("/healthz")
        self.assertEqual(status, 200)
        status, ctype, body = self.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/plain"), ctype)
        samples = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        self.assertEqual(samples['rtrec_events_total{type="view"}'] +
                         samples['rtrec_events_total{type="purchase"}'], nevents)
        self.assertEqual(samples["rtrec_users"], 6)
        self.assertGreater(samples['rtrec_freshness_seconds_count{span="engine"}'], 0)
        lags = [v for k, v in samples.items() if k.startswith("rtrec_consumer_lag{")]
        self.assertTrue(lags and all(v == 0 for v in lags), lags)
        self.assertEqual(self.get("/nope")[0], 404)


if __name__ == "__main__":
    unittest.main()
