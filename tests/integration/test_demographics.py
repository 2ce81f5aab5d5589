"""Demographics from real clients: a User produced with kcat to rtrec.users shows up in
rtrec:portrait:{user} (redis-cli) and in GET /users/{id}, whether it comes before the user's
first event or after; forget_user erases it; `rtrec replay --users` (ml-100k u.user) produces
the users topic before the events."""
import http.client
import json
import os
import subprocess
import tempfile
import unittest

import harness
import scenario


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, body


class Demographics(unittest.TestCase):
    def setUp(self):
        self.redis = harness.Redis().start()
        self.port = harness.free_port()
        self.rtrec = harness.Rtrec("-X", f"redis.port={self.redis.port}",
                                   "-X", f"metrics.port={self.port}").start().wait_assigned()

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.redis.stop()
        self.assertEqual(code, 0)

    def portrait(self, user):
        lines = self.redis.lines("HGETALL", f"rtrec:portrait:{user}")
        return dict(zip(lines[::2], lines[1::2]))

    def produce_users(self, users):
        lines = [f"{u['user_id']}\t{json.dumps(u)}" for u in users]
        harness.kcat_produce(self.rtrec.bootstrap, "rtrec.users", lines, key_sep="\t")

    def test_user_before_and_after_events(self):
        # carol: attributes first, no event yet; alice: after her events.
        self.produce_users([{"user_id": "carol", "age": 31, "gender": "F",
                             "occupation": "engineer", "region": "Bavaria"}])
        harness.wait_for("carol's portrait",
                         lambda: self.portrait("carol").get("occupation") == "engineer")
        p = self.portrait("carol")
        self.assertEqual((p["age_band"], p["gender"], p["region"], p["events"]),
                         ("25-34", "female", "Bavaria", "0"))
        status, body = http_get(self.port, "/users/carol")
        self.assertEqual(status, 200)
        demo = json.loads(body)["demographics"]
        self.assertEqual(demo, {"age": 31, "age_band": "25-34", "gender": "female",
                                "occupation": "engineer", "region": "Bavaria"})
        evs = scenario.tail()
        evs.append({"user_id": "carol", "item_id": "A", "type": "view",
                    "ts_ms": evs[-1]["ts_ms"] + 1000})

        def produce(part):
            harness.kcat_produce(self.rtrec.bootstrap, "rtrec.events",
                                 [f"{e['user_id']}\t{json.dumps(e)}" for e in part], key_sep="\t")
        produce(scenario.head())
        scenario.wait_applied(self.redis, scenario.head(), harness.wait_for)
        produce(evs)
        harness.wait_for("alice's list", lambda: self.redis.zrevrange("rtrec:rec:alice"))
        harness.wait_for("carol's event", lambda: self.portrait("carol").get("events") == "1")
        self.assertEqual(self.portrait("carol")["occupation"], "engineer")
        self.assertEqual(self.portrait("alice")["age_band"], "unknown")
        self.produce_users([{"user_id": "alice", "age": 17, "gender": "M",
                             "occupation": "student", "region": "Ontario"}])
        harness.wait_for("alice's demographics",
                         lambda: self.portrait("alice").get("occupation") == "student")
        p = self.portrait("alice")
        self.assertEqual((p["age_band"], p["gender"], p["events"]), ("under_18", "male", "2"))
        self.assertTrue(self.redis.zrevrange("rtrec:rec:alice"))  # the list is still there
        demo = json.loads(http_get(self.port, "/users/alice")[1])["demographics"]
        self.assertEqual(demo["region"], "Ontario")
        # forget_user erases the portrait and the user.
        forget = {"user_id": "carol", "type": "forget_user"}
        harness.kcat_produce(self.rtrec.bootstrap, "rtrec.events",
                             [f"carol\t{json.dumps(forget)}"], key_sep="\t")
        harness.wait_for("carol forgotten", lambda: http_get(self.port, "/users/carol")[0] == 404)
        self.assertEqual(self.portrait("carol"), {})
        self.assertEqual(self.redis.cli("HGET", "rtrec:stats", "dlq_total"), "0")

    def test_replay_users_file(self):
        d = tempfile.mkdtemp(prefix="rtrec-demo-")
        users, data = os.path.join(d, "u.user"), os.path.join(d, "u.data")
        with open(users, "w") as f:
            f.write("1|24|M|technician|85711\n2|53|F|other|94043\n")
        with open(data, "w") as f:
            f.write("1\t10\t4\t881250949\n2\t10\t3\t881250950\n1\t11\t5\t881250951\n")
        out = subprocess.run([harness.RTREC, "replay", data, "--format", "ml100k", "--users",
                              users, "-X", f"kafka.bootstrap.servers={self.rtrec.bootstrap}"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("2 users to rtrec.users", out.stderr)
        harness.wait_for("user 1's portrait", lambda: self.portrait("1").get("events") == "2")
        p = self.portrait("1")
        self.assertEqual((p["age_band"], p["gender"], p["occupation"], p["region"]),
                         ("18-24", "male", "technician", "8"))
        harness.wait_for("user 2's portrait",
                         lambda: self.portrait("2").get("occupation") == "other")
        self.assertEqual(self.portrait("2")["age_band"], "50-55")
        for f in (users, data):
            os.unlink(f)
        os.rmdir(d)


if __name__ == "__main__":
    unittest.main()
