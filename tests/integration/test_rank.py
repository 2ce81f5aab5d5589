"""POST /rank and GET /users/{id} with curl, the client a search service or an operator would
use, against an engine bound beyond loopback with RTREC_HTTP_TOKEN set. kcat feeds two clusters:
many users who browse and buy shoes, and more users who browse hats (so hats trend). A user who
bought shoes gets the shoes first; a user the engine does not know gets the trending hats first;
ids not in the catalog go last; bad requests get a 4xx with a JSON reason; hostile clients (a
100 MB body, a chunked one, a slowloris head) are cut off and counted in /metrics."""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

import harness

TOKEN = "rank-t0ken"
SHOES = [f"shoe{i}" for i in range(8)]
HATS = [f"hat{i}" for i in range(8)]


def events():
    """Keyed kcat lines: 20 shoe shoppers, 40 hat browsers, then alice: two shoes viewed, one
    bought."""
    out, ts = [], 1_700_000_000_000

    def ev(user, item, cat, kind="view"):
        nonlocal ts
        ts += 1000
        e = {"user_id": user, "item_id": item, "type": kind, "ts_ms": ts, "category": cat}
        out.append(f"{user}\t{json.dumps(e)}")
    for u in range(20):
        for k in range(4):
            ev(f"shopper{u}", SHOES[(u + k) % 8], "shoes", "purchase" if k == 3 else "view")
    for u in range(40):  # hats: 40 interactions each, shoes 10 (each interaction counts once)
        for k in range(8):
            ev(f"browser{u}", HATS[(u + k) % 8], "hats")
    ev("alice", "shoe0", "shoes")
    ev("alice", "shoe1", "shoes")
    ev("alice", "shoe2", "shoes", "purchase")
    return out


class Rank(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = harness.Redis().start()
        cls.port = harness.free_port()
        os.environ["RTREC_HTTP_TOKEN"] = TOKEN
        try:
            cls.rtrec = harness.Rtrec("-X", f"redis.port={cls.redis.port}", "-X",
                                      f"metrics.port={cls.port}", "-X", "http.bind=0.0.0.0").start()
        finally:
            del os.environ["RTREC_HTTP_TOKEN"]
        cls.rtrec.wait_assigned()
        lines = events()
        harness.kcat_produce(cls.rtrec.bootstrap, "rtrec.events", lines, key_sep="\t")
        harness.wait_for("every event applied", lambda: cls.redis.cli(
            "HGET", "rtrec:stats", "events_total") == str(len(lines)), timeout=30)
        harness.wait_for("alice's list", lambda: cls.redis.zrevrange("rtrec:rec:alice"))

    @classmethod
    def tearDownClass(cls):
        cls.rtrec.stop()
        cls.rtrec.cleanup()
        cls.redis.stop()

    def curl(self, path, body=None, token=TOKEN, extra=()):
        """(status, parsed JSON or text) of one curl request."""
        args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *extra]
        if token:
            args += ["-H", f"Authorization: Bearer {token}"]
        if body is not None:
            args += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        args.append(f"http://127.0.0.1:{self.port}{path}")
        r = subprocess.run(args, input=body if body is not None else None, capture_output=True,
                           text=True, timeout=30, check=True)
        text, status = r.stdout.rsplit("\n", 1)
        try:
            return int(status), json.loads(text)
        except ValueError:
            return int(status), text

    def rank(self, req, **kw):
        return self.curl("/rank", json.dumps(req), **kw)

    def test_personal_order(self):
        ask = ["hat0", "shoe5", "no-such-item", "hat1", "shoe6", "shoe3", "hat2", "shoe4"]
        status, doc = self.rank({"user_id": "alice", "items": ask})
        self.assertEqual(status, 200, doc)
        self.assertEqual(set(doc), {"user_id", "user_known", "items", "model_version",
                                    "took_us"})
        self.assertTrue(doc["user_known"])
        self.assertIsInstance(doc["took_us"], int)
        self.assertTrue(doc["model_version"])
        ids = [it["id"] for it in doc["items"]]
        self.assertEqual(sorted(ids), sorted(ask))
        self.assertTrue(all(i.startswith("shoe") for i in ids[:4]), ids)
        self.assertEqual(doc["items"][-1], {"id": "no-such-item", "score": None,
                                            "reason": "unknown_item"})
        scores = [it["score"] for it in doc["items"][:-1]]
        self.assertEqual(scores, sorted(scores, reverse=True))
        self.assertTrue(all(set(it) == {"id", "score", "reason"} for it in doc["items"]))

    def test_unknown_user_gets_trending(self):
        ask = ["shoe5", "shoe6", "zzz", "hat0", "hat1", "yyy"]
        # A query no item's text matches (the items' text is their events' category: a query
        # of "shoes" would lift the shoes by up to 2x, past the hats' trend)
        status, doc = self.rank({"user_id": "nobody", "items": ask, "query": "garden hose"})
        self.assertEqual(status, 200, doc)
        self.assertFalse(doc["user_known"])
        ids = [it["id"] for it in doc["items"]]
        self.assertEqual(set(ids[:2]), {"hat0", "hat1"})  # the hats trend
        self.assertEqual(ids[-2:], ["zzz", "yyy"])  # unknown ids last, in the caller's order

    def test_n_and_explain(self):
        status, doc = self.rank({"user_id": "alice", "items": ["hat0", "shoe5", "shoe6"], "n": 2,
                                 "explain": True})
        self.assertEqual(status, 200, doc)
        self.assertEqual(len(doc["items"]), 2)
        for it in doc["items"]:
            self.assertTrue(it["reason_detail"], it)

    def test_bad_requests(self):
        cases = [
            ("{not json", "malformed JSON"),
            ("[1,2]", "not a JSON object"),
            (json.dumps({"items": ["a"]}), "user_id"),
            (json.dumps({"user_id": 5, "items": ["a"]}), "user_id"),
            (json.dumps({"user_id": "u"}), "items: missing"),
            (json.dumps({"user_id": "u", "items": "a"}), "items: not an array"),
            (json.dumps({"user_id": "u", "items": [1]}), "not a string"),
            (json.dumps({"user_id": "u", "items": [f"i{k}" for k in range(501)]}), "500"),
            (json.dumps({"user_id": "u", "items": ["a"], "n": "3"}), "n:"),
            (json.dumps({"user_id": "u", "items": ["a"], "n": 0}), "n:"),
            (json.dumps({"user_id": "u", "items": ["a"], "explain": 1}), "explain"),
            (json.dumps({"user_id": "u", "items": ["a"], "query": ["x"]}), "query"),
        ]
        for body, why in cases:
            status, doc = self.curl("/rank", body)
            self.assertEqual(status, 400, (body[:80], doc))
            self.assertIn(why, doc["error"], body[:80])
        self.assertEqual(self.curl("/rank")[0], 405)  # GET
        status, _ = self.rank({"user_id": "alice", "items": ["shoe1"]}, token=None)
        self.assertEqual(status, 401)
        status, _ = self.rank({"user_id": "alice", "items": ["shoe1"]}, token="wrong")
        self.assertEqual(status, 401)

    def test_users_json(self):
        status, doc = self.curl("/users/alice")
        self.assertEqual(status, 200, doc)
        for key in ("user_id", "model_version", "events", "list", "portrait", "recent", "bought"):
            self.assertIn(key, doc)
        self.assertEqual(doc["user_id"], "alice")
        self.assertEqual(doc["events"], 3)
        self.assertEqual([b["item"] for b in doc["bought"]], ["shoe2"])
        redis_list = self.redis.zrevrange("rtrec:rec:alice")
        self.assertEqual([e["item"] for e in doc["list"]], [i for i, _ in redis_list])
        for e in doc["list"]:
            self.assertTrue({"item", "rank", "score", "reason", "reason_detail"} <= set(e))
        self.assertEqual(doc["portrait"]["events"], "3")
        self.assertEqual(self.curl("/users/nobody")[0], 404)
        self.assertEqual(self.curl("/users/alice", token=None)[0], 401)

    def rejected(self):
        status, text = self.curl("/metrics", token=None)
        out = {}
        for line in text.splitlines():
            if line.startswith("rtrec_http_rejected_total{"):
                key, value = line.rsplit(" ", 1)
                out[key.split('"')[1]] = float(value)
        return out

    def test_hostile_clients(self):
        before = self.rejected()
        with tempfile.NamedTemporaryFile() as f:  # 100 MB: refused from its head
            f.truncate(100 << 20)
            r = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-H",
                                f"Authorization: Bearer {TOKEN}", "--data-binary", f"@{f.name}",
                                f"http://127.0.0.1:{self.port}/rank"], capture_output=True,
                               text=True, timeout=60)
            self.assertTrue(r.stdout.endswith("\n413"), r.stdout[-200:] + r.stderr)
        status, _ = self.curl("/rank", '{"user_id":"u","items":[]}',
                              extra=("-H", "Transfer-Encoding: chunked"))
        self.assertEqual(status, 411)
        self.assertEqual(self.curl("/rank", "{\"user_id\":")[0], 400)
        # Slowloris: half a head, then silence; the engine closes it at its deadline.
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(b"POST /rank HTTP/1.1\r\nContent-Le")
            start = time.monotonic()
            self.assertEqual(s.recv(100), b"")
            self.assertLess(time.monotonic() - start, 29)
        # A body that stops halfway: closed the same way, the route never sees it.
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(b"POST /rank HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"user_id\"")
            self.assertEqual(s.recv(100), b"")
        after = self.rejected()
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        self.assertEqual(delta["body_too_large"], 1)
        self.assertEqual(delta["no_length"], 1)
        self.assertGreaterEqual(delta["bad_body"], 1)
        self.assertEqual(delta["slow"], 2)
        # The engine still answers.
        status, doc = self.rank({"user_id": "alice", "items": ["shoe5"]})
        self.assertEqual((status, len(doc["items"])), (200, 1))


if __name__ == "__main__":
    unittest.main()
