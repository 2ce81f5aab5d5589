"""ops/grafana/rtrec.json: every metric its panels query is one the engine exports, and every
query, run by a real Prometheus scraping a running engine (fed by kcat, with a dead letter and
checkpoints on so every family has series), is valid PromQL with data behind it."""
import http.client
import json
import os
import re
import tempfile
import time
import unittest

import harness
import scenario

BOARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../ops/grafana/rtrec.json")
METRIC = re.compile(r"\b(rtrec_[a-zA-Z0-9_]+)\b")


def panels(board):
    for p in board["panels"]:
        yield p
        yield from p.get("panels", [])  # rows may hold theirs


def queries(board):
    return [(p["title"], t["expr"]) for p in panels(board) for t in p.get("targets", [])]


def exported(port):
    """Series names the engine's /metrics can carry: each family, and a histogram's
    _bucket, _sum and _count."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics")
    body = conn.getresponse().read().decode()
    conn.close()
    names = set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "histogram":
                names.update(name + s for s in ("_bucket", "_sum", "_count"))
    return names


class Grafana(unittest.TestCase):
    def test_board_queries_what_the_engine_exports(self):
        with open(BOARD) as f:
            board = json.load(f)
        qs = queries(board)
        self.assertGreater(len(qs), 20)
        redis = harness.Redis().start()
        ckpt = tempfile.mkdtemp(prefix="rtrec-grafana-")
        port = harness.free_port()
        rtrec = harness.Rtrec("-X", f"redis.port={redis.port}", "-X", f"metrics.port={port}",
                              "-X", f"checkpoint.dir={ckpt}", "-X", "checkpoint.interval_s=1")
        prom = None
        try:
            rtrec.start().wait_assigned()
            names = exported(port)
            for title, expr in qs:
                used = set(METRIC.findall(expr))
                self.assertTrue(used, f"{title}: {expr} queries no rtrec metric")
                self.assertLessEqual(used, names, f"{title}: {expr}")
            lines = [f"{e['user_id']}\t{json.dumps(e)}" for e in scenario.events()]
            harness.kcat_produce(rtrec.bootstrap, "rtrec.events", lines + ["x\tnot json"],
                                 key_sep="\t")
            prom = harness.Prometheus([f"127.0.0.1:{port}"]).start()
            harness.wait_for("three scrapes of the fed engine", lambda: (prom.value(
                'count_over_time(rtrec_events_total{type="view"}[1m]) >= 3 and '
                'rtrec_events_total{type="view"} > 0') or 0) > 0, timeout=30)
            time.sleep(1)
            for title, expr in qs:
                res = prom.query(expr.replace("$__rate_interval", "10s"))
                self.assertEqual(res.get("status"), "success", f"{title}: {expr}: {res}")
                self.assertTrue(res["data"]["result"], f"{title}: {expr} has no data")
        finally:
            if prom:
                prom.stop()
            code = rtrec.stop()
            rtrec.cleanup()
            redis.stop()
        self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main()
