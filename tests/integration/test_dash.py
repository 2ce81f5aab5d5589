"""The dashboard in a real browser: headless Chromium (Debian's) loads the engine's page while
kcat feeds the engine; the page loads without console errors, its numbers match /metrics and
rtrec:stats, its user lookup shows the list `ZREVRANGE rtrec:rec:{user}` returns, and a hostile
user id stays text. A second engine bound beyond loopback guards the page and /users/{id} with
the token from RTREC_HTTP_TOKEN while /metrics stays open."""
import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile
import unittest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../ops"))
import cdp  # noqa: E402

HOSTILE = '<img src=x onerror="alert(1)">'


def http_get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, body


def metrics(port):
    """{series: value} of a /metrics page."""
    status, body = http_get(port, "/metrics")
    assert status == 200, status
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def family_sum(samples, name):
    return sum(v for k, v in samples.items() if k == name or k.startswith(name + "{"))


def stream():
    """Keyed kcat lines: a generated clickstream (enough for training steps), a hostile user
    id, and two bad messages for the dead-letter counts."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as f:
        subprocess.run([os.environ.get("RTREC_GEN_BIN", "rtrec-gen"), "--users", "40", "--items",
                        "60", "--categories", "5", "--events", "800", "--seed", "3",
                        "--format", "jsonl", "--out", f.name], check=True,
                       stdout=subprocess.DEVNULL)
        events = [json.loads(line) for line in f if line.strip()]
    ts = max(e["ts_ms"] for e in events)
    events += [{"user_id": HOSTILE, "item_id": i, "type": "view", "ts_ms": ts + k + 1}
               for k, i in enumerate(("i1", "i2"))]
    lines = [f"{e['user_id']}\t{json.dumps(e)}" for e in events]
    lines += ["bad\tnot json at all", 'bad\t{"user_id":"x","item_id":"y","type":"view","ts_ms":1}']
    return lines, len(events)


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = harness.Redis().start()
        cls.port = harness.free_port()
        cls.rtrec = harness.Rtrec("-X", f"redis.port={cls.redis.port}", "-X",
                                  f"metrics.port={cls.port}", "-X", "stats.interval_ms=100").start()
        cls.rtrec.wait_assigned()
        lines, cls.nevents = stream()
        harness.kcat_produce(cls.rtrec.bootstrap, "rtrec.events", lines, key_sep="\t")
        harness.wait_for("every event in rtrec:stats", lambda: cls.redis.cli(
            "HGET", "rtrec:stats", "events_total") == str(cls.nevents), timeout=30)
        harness.wait_for("dead letters counted",
                         lambda: cls.redis.cli("HGET", "rtrec:stats", "dlq_total") == "2")
        cls.browser = cdp.Browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        code = cls.rtrec.stop()
        cls.rtrec.cleanup()
        cls.redis.stop()
        assert code == 0, code

    def page_tiles(self):
        return self.browser.eval(
            "Object.fromEntries([...document.querySelectorAll('[id^=\"t-\"]')]"
            ".map(e => [e.id.slice(2), e.dataset.value]))")

    def test_page_matches_engine(self):
        b = self.browser
        b.open(f"http://127.0.0.1:{self.port}/")
        b.wait("the first poll", "document.body.dataset.ready === '1'")
        # The feed is over: wait for a poll after the last Redis stats write, then compare.
        seq = int(b.eval("document.body.dataset.seq"))
        b.wait("a later poll", f"Number(document.body.dataset.seq) > {seq + 1}")
        tiles = self.page_tiles()
        m = metrics(self.port)
        stats = dict(zip(*[iter(self.redis.lines("HGETALL", "rtrec:stats"))] * 2))
        ints = {"events_total": (family_sum(m, "rtrec_events_total"), stats["events_total"]),
                "users": (m["rtrec_users"], stats["users"]),
                "items": (m["rtrec_items"], stats["items"]),
                "dlq_total": (family_sum(m, "rtrec_dead_letters_total"), stats["dlq_total"]),
                "lost_total": (m["rtrec_events_lost_total"], None),
                "redis_errors_total": (m["rtrec_redis_errors_total"], None),
                "kafka_errors_total": (m["rtrec_kafka_errors_total"], None),
                "train_steps_total": (m["rtrec_train_steps_total"], None)}
        for key, (from_metrics, from_stats) in ints.items():
            self.assertEqual(float(tiles[key]), from_metrics, key)
            if from_stats is not None:
                self.assertEqual(int(tiles[key]), int(from_stats), key)
        self.assertEqual(int(tiles["events_total"]), self.nevents)
        self.assertEqual(int(tiles["dlq_total"]), 2)
        self.assertGreater(int(tiles["train_steps_total"]), 0)
        for key, name in (("logloss", "rtrec_train_logloss"), ("auc", "rtrec_train_auc"),
                          ("hr10", "rtrec_hr10")):
            self.assertAlmostEqual(float(tiles[key]), m[name], places=9, msg=key)
            self.assertEqual(f"{float(tiles[key]):.4f}", stats[key], key)
        self.assertEqual(b.eval("document.getElementById('model-version').textContent"),
                         stats["model_version"])
        self.assertEqual(float(tiles["lag_total"]), family_sum(m, "rtrec_consumer_lag"))
        # Charts hold the samples, and the trending table what Redis holds.
        self.assertGreater(b.eval("Chart.getChart('c-events').data.labels.length"), 2)
        page_trend = b.eval("[...document.querySelectorAll('#trending tbody tr')]"
                            ".map(tr => tr.dataset.item)")
        redis_trend = [i for i, _ in self.redis.zrevrange("rtrec:trending")]
        self.assertTrue(page_trend and set(page_trend) <= set(redis_trend), page_trend)
        self.assertEqual(b.errors(), [])

    def lookup(self, user):
        b = self.browser
        b.eval(f"document.getElementById('user-id').value = {json.dumps(user)};"
               "document.getElementById('lookup').requestSubmit(); true")
        b.wait(f"lookup of {user}", f"document.getElementById('user').dataset.loaded === "
                                    f"{json.dumps(user)}")
        return b.eval("[...document.querySelectorAll('#u-list tbody tr')]"
                      ".map(tr => [tr.dataset.item, tr.dataset.score])")

    def test_user_lookup_shows_the_redis_list(self):
        b = self.browser
        b.open(f"http://127.0.0.1:{self.port}/")
        b.wait("the first poll", "document.body.dataset.ready === '1'")
        for user in ("u1", "u7", "u23"):
            shown = self.lookup(user)
            zs = self.redis.zrevrange(f"rtrec:rec:{user}")
            self.assertTrue(zs, user)
            self.assertEqual([float(s) for _, s in shown], [s for _, s in zs], user)
            # Redis orders equal scores by member, the engine by its ranking: compare per score.
            by_score = lambda pairs: sorted((round(float(s), 6), i) for i, s in pairs)  # noqa
            self.assertEqual(by_score(shown), by_score([(i, s) for i, s in zs]), user)
            events = b.eval("document.querySelector('#u-portrait [data-field=\"events\"]')"
                            ".textContent")
            self.assertEqual(events, self.redis.cli("HGET", f"rtrec:portrait:{user}", "events"))
            self.assertGreater(b.eval("document.querySelectorAll('#u-recent span').length"), 0)
        # A hostile id is data: shown as text, no markup made, no script run.
        self.lookup(HOSTILE)
        self.assertEqual(b.eval("document.getElementById('u-id').textContent"), HOSTILE)
        self.assertEqual(b.eval("document.querySelectorAll('#user img').length"), 0)
        b.eval("document.getElementById('user-id').value = 'nobody-here';"
               "document.getElementById('lookup').requestSubmit(); true")
        b.wait("the unknown user", "document.getElementById('user').dataset.loaded === 'missing'")
        self.assertIn("holds no user", b.eval("document.getElementById('user-status').textContent"))
        # Chromium logs every 4xx answer to fetch(): the 404 asked for is the only entry.
        errors = b.errors()
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("404", errors[0])
        self.assertIn("/users/nobody-here", errors[0])
        dialogs = [m for m, _ in b.events if m == "Page.javascriptDialogOpening"]
        self.assertEqual(dialogs, [])

    def test_user_json(self):
        status, body = http_get(self.port, "/users/u1")
        self.assertEqual(status, 200)
        u = json.loads(body)
        self.assertEqual(u["user_id"], "u1")
        self.assertEqual([r["item"] for r in u["list"]][:1],
                         [self.redis.zrevrange("rtrec:rec:u1")[0][0]][:1])
        why = dict(zip(*[iter(self.redis.lines("HGETALL", "rtrec:why:u1"))] * 2))
        for r in u["list"]:
            self.assertEqual(r["reason_detail"], why[r["item"]])
        self.assertIn("top_categories", u["portrait"])
        status, body = http_get(self.port, "/users/" + "%3Cimg%20src%3Dx%20onerror%3D%22alert"
                                "(1)%22%3E")
        self.assertEqual(status, 200)
        self.assertNotIn("<img", body)  # '<' is escaped in JSON strings
        self.assertEqual(json.loads(body)["user_id"], HOSTILE)
        self.assertEqual(http_get(self.port, "/users/nobody")[0], 404)
        self.assertEqual(http_get(self.port, "/users/%zz")[0], 400)


class Guard(unittest.TestCase):
    def test_token_beyond_loopback(self):
        token = "dash-t0ken-123"
        port = harness.free_port()
        os.environ["RTREC_HTTP_TOKEN"] = token
        try:
            rtrec = harness.Rtrec("-X", "redis.port=1", "-X", f"metrics.port={port}",
                                  "-X", "http.bind=0.0.0.0").start()
        finally:
            del os.environ["RTREC_HTTP_TOKEN"]
        try:
            harness.wait_for("the HTTP port", lambda: self.try_get(port, "/healthz") == 200)
            for path in ("/", "/api/dashboard", "/users/alice", "/assets/dash.js"):
                self.assertEqual(http_get(port, path)[0], 401, path)
                bad = {"Authorization": "Bearer dash-t0ken-12"}
                self.assertEqual(http_get(port, path, bad)[0], 401, path)
            good = {"Authorization": "Bearer " + token}
            self.assertEqual(http_get(port, "/", good)[0], 200)
            self.assertEqual(http_get(port, "/users/alice", good)[0], 404)
            basic = {"Authorization": "Basic " + base64.b64encode(f"me:{token}".encode()).decode()}
            self.assertEqual(http_get(port, "/api/dashboard", basic)[0], 200)
            self.assertEqual(http_get(port, "/metrics")[0], 200)
            rejected = metrics(port)['rtrec_http_rejected_total{reason="unauthorized"}']
            self.assertEqual(rejected, 8)
            self.assertEqual(rtrec.stop(), 0)
            self.assertNotIn(token, rtrec.read_log())
        finally:
            rtrec.cleanup()

    @staticmethod
    def try_get(port, path):
        try:
            return http_get(port, path)[0]
        except OSError:
            return None


if __name__ == "__main__":
    unittest.main()
