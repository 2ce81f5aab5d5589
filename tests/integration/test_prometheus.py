"""A real Prometheus scrapes a running engine fed by kcat and answers PromQL over its series:
the events counted, a rate, and freshness quantiles from the histogram buckets. Also checks
that promtool accepts the engine's exposition and ops/prometheus.yml."""
import http.client
import json
import os
import subprocess
import unittest

import harness
import scenario

OPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../ops")


class Prometheus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = harness.Redis().start()
        cls.port = harness.free_port()
        cls.rtrec = harness.Rtrec("-X", f"redis.port={cls.redis.port}",
                                  "-X", f"metrics.port={cls.port}").start().wait_assigned()
        cls.prom = harness.Prometheus([f"127.0.0.1:{cls.port}"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        code = cls.rtrec.stop()
        cls.rtrec.cleanup()
        cls.redis.stop()
        assert code == 0, code

    def test_promql_over_the_engine(self):
        # A scrape before the events, so the counters' increase is seen.
        harness.wait_for("a scrape of the idle engine",
                         lambda: self.prom.value("sum(rtrec_events_total)") == 0, timeout=30)
        self.assertEqual(self.prom.value('up{job="rtrec"}'), 1)
        evs = scenario.events()
        harness.kcat_produce(self.rtrec.bootstrap, "rtrec.events",
                             [f"{e['user_id']}\t{json.dumps(e)}" for e in evs], key_sep="\t")
        harness.wait_for("every event in Prometheus",
                         lambda: self.prom.value("sum(rtrec_events_total)") == len(evs), timeout=30)
        self.assertEqual(self.prom.value('rtrec_events_total{type="purchase"}'), 1)
        self.assertEqual(self.prom.value("rtrec_users"), 6)
        # A rate and a quantile need two scrapes that saw the events: wait for them.
        harness.wait_for("an increase", lambda: (self.prom.value(
            "sum(increase(rtrec_events_total[1m]))") or 0) > 0, timeout=30)
        p99 = self.prom.value('histogram_quantile(0.99, sum by (le) '
                              '(rtrec_freshness_seconds_bucket{span="engine"}))')
        self.assertIsNotNone(p99)
        self.assertGreater(p99, 0)
        self.assertLess(p99, 10)
        res = self.prom.query("sum by (type) (rtrec_events_total)")
        by_type = {r["metric"]["type"]: float(r["value"][1]) for r in res["data"]["result"]}
        self.assertEqual(by_type["view"] + by_type["purchase"], len(evs))

    def test_promtool_accepts(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", "/metrics")
        body = conn.getresponse().read().decode()
        conn.close()
        r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = subprocess.run(["promtool", "check", "config", os.path.join(OPS, "prometheus.yml")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
