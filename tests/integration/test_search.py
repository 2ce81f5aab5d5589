"""Item text and search with real clients: an Item with a Chinese and English title produced to
rtrec.items with confluent_kafka, nobody ever touching it, then a search event whose query
matches it: the item leads the user's list in rtrec:rec:{user} with the reason
`matches your search "…"`, the portrait shows the search terms, and GET /users/{id} says the same.
A search that matches nothing changes nothing of the kind."""
import http.client
import json
import unittest

from confluent_kafka import Producer

import harness
import scenario


def http_post(port, path, doc):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", path, body=json.dumps(doc), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, json.loads(body)


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


class Search(unittest.TestCase):
    def setUp(self):
        self.redis = harness.Redis().start()
        self.port = harness.free_port()
        self.rtrec = harness.Rtrec("-X", f"redis.port={self.redis.port}",
                                   "-X", f"metrics.port={self.port}").start().wait_assigned()
        self.pb = harness.pb2()
        self.producer = Producer({"bootstrap.servers": self.rtrec.bootstrap})
        self.ts = scenario.BASE_TS + 100_000
        self.n = 0

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.redis.stop()
        self.assertEqual(code, 0)

    def produce_event(self, user, item, type_, query=None):
        self.ts += 1000
        self.n += 1
        ev = self.pb.Event(user_id=user, type=type_, ts_ms=self.ts, event_id=f"s{self.n}")
        if item:
            ev.item_id = item
        if query:
            ev.query = query
        self.producer.produce("rtrec.events", key=user, value=ev.SerializeToString())
        self.assertEqual(self.producer.flush(10), 0)

    def search_until(self, user, query, predicate, what):
        """Searches until predicate holds: the items and events topics are consumed
        independently, so a search may be applied before the item it should find arrives."""
        for _ in range(15):
            self.produce_event(user, None, self.pb.Event.SEARCH, query)
            try:
                harness.wait_for(what, predicate, timeout=2.0)
                return
            except AssertionError:
                continue
        self.fail(f"{what}: never; why: {self.redis.cli('HGETALL', f'rtrec:why:{user}')}")

    def test_search_finds_new_titled_item(self):
        for e in scenario.events():
            self.produce_event(e["user_id"], e["item_id"],
                               {"view": self.pb.Event.VIEW,
                                "purchase": self.pb.Event.PURCHASE}[e["type"]])
        harness.wait_for("alice's list", lambda: self.redis.cli("HGET", "rtrec:why:alice", "C"))
        item = self.pb.Item(item_id="N1", title="Nike 跑步鞋 Running Shoes", category="apparel.shoes")
        item.tags.append("sport")
        self.producer.produce("rtrec.items", key="N1", value=item.SerializeToString())
        self.assertEqual(self.producer.flush(10), 0)
        # A query matching nothing in the catalog's text: no search reason anywhere.
        self.produce_event("alice", None, self.pb.Event.SEARCH, "garden hose")
        harness.wait_for("the first search in the portrait", lambda: self.redis.cli(
            "HGET", "rtrec:portrait:alice", "last_search") == "garden hose")
        whys = self.redis.cli("HGETALL", "rtrec:why:alice").split("\n")
        self.assertFalse(any(w.startswith("matches your search") for w in whys), whys)

        want = 'matches your search "running shoes"'
        self.search_until("alice", "running shoes",
                          lambda: self.redis.cli("HGET", "rtrec:why:alice", "N1") == want,
                          "N1 for alice's search")
        zs = self.redis.zrevrange("rtrec:rec:alice")
        self.assertEqual(zs[0][0], "N1", zs)  # the search source leads the list
        self.assertIn("C", [m for m, _ in zs])  # the rest of the list is still there
        terms = self.redis.cli("HGET", "rtrec:portrait:alice", "search_terms")
        self.assertIn("running:", terms)
        self.assertIn("shoes:", terms)
        self.assertEqual(self.redis.cli("HGET", "rtrec:portrait:alice", "last_search"),
                         "running shoes")

        # A Chinese query finds it too (bigrams), and the engine's JSON agrees with Redis.
        want = 'matches your search "跑步鞋"'
        self.search_until("bob", "跑步鞋",
                          lambda: self.redis.cli("HGET", "rtrec:why:bob", "N1") == want,
                          "N1 for bob's search")
        status, body = http_get(self.port, "/users/bob")
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc["list"][0]["item"], "N1")
        self.assertEqual(doc["list"][0]["reason"], "search")
        self.assertEqual(doc["list"][0]["reason_detail"], want)
        self.assertIn("跑步:", doc["portrait"]["search_terms"])
        self.assertEqual(doc["portrait"]["last_search"], "跑步鞋")

        # POST /rank with a query: between two untouched items (no signal either way), the one
        # whose title matches leads and says why; without the query the caller's order stands.
        hose = self.pb.Item(item_id="G1", title="Garden hose 20 m", category="garden.tools")
        self.producer.produce("rtrec.items", key="G1", value=hose.SerializeToString())
        self.assertEqual(self.producer.flush(10), 0)
        harness.wait_for("G1 in the catalog", lambda: http_post(
            self.port, "/rank", {"user_id": "nobody", "items": ["G1"]})[1]["items"][0]["score"]
            is not None)
        page = {"user_id": "nobody", "items": ["G1", "N1"], "explain": True}
        status, plain = http_post(self.port, "/rank", page)
        self.assertEqual(status, 200, plain)
        self.assertEqual([i["id"] for i in plain["items"]], ["G1", "N1"], plain)
        status, ranked = http_post(self.port, "/rank", dict(page, query="Running shoes"))
        self.assertEqual(status, 200, ranked)
        self.assertEqual([i["id"] for i in ranked["items"]], ["N1", "G1"], ranked)
        self.assertEqual(ranked["items"][0]["reason"], "search", ranked)


if __name__ == "__main__":
    unittest.main()
