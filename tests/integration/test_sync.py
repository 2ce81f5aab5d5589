"""Model sync between two `rtrec run` instances of one group (sync.enabled=1): a stream split
between them by partition, each learns from its half and merges the other's deltas from the
sync topic. Once the stream drained and the last deltas were merged (the 200 ms sync timer
keeps running; an instant with nothing new sends nothing, so the exchange settles), both hold
the same shared state: GET /sync's digests of the catalog with its interaction counts and of
the co-occurrence counts are equal, every interaction of the whole stream is counted on each,
and the weight regions agree up to float rounding."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

import harness

GEN = os.environ.get("RTREC_GEN_BIN", os.path.join(os.path.dirname(harness.RTREC), "../bench/rtrec-gen"))
EVENTS = 3000


def assigned(log):
    held = set()
    for kind, part in re.findall(r"(assigned|revoked) rtrec\.events \[(\d+)\]", log):
        (held.add if kind == "assigned" else held.discard)(int(part))
    return held


def get_sync(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/sync", timeout=10) as r:
        return json.loads(r.read())


def settled(a, b):
    """Both states once they agree and nothing is in flight; None before."""
    sa, sb = get_sync(a), get_sync(b)
    if sa["events_total"] + sb["events_total"] != EVENTS or sa["pending"] or sb["pending"]:
        return None
    same = all(sa[k] == sb[k] for k in ("items_digest", "cooc_digest", "interactions"))
    return same and (sa, sb)


class Sync(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rtrec-sync-")
        self.stream = os.path.join(self.tmp, "stream.pb")
        subprocess.run([GEN, "--users", "200", "--items", "150", "--categories", "6", "--events",
                        str(EVENTS), "--seed", "7", "--format", "pb", "--out", self.stream],
                       check=True)
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if isinstance(p, harness.Rtrec):
                p.cleanup()
            else:
                p.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def engine(self, broker, redis, name, port, extra=()):
        p = harness.Rtrec("-X", f"kafka.bootstrap.servers={broker.bootstrap}", "-X",
                          f"redis.port={redis.port}", "-X", f"redis.prefix={name}:", "-X",
                          "kafka.group.id=sync-test", "-X", f"metrics.port={port}", "-X",
                          "sync.enabled=1", "-X", "sync.interval_ms=200", "-X",
                          f"sync.instance={name}", *extra).start(expect_bootstrap=False)
        self.procs.append(p)
        return p

    def test_two_instances_converge(self):
        broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
        self.procs.append(broker)
        redis = harness.Redis().start()
        self.procs.append(redis)
        ports = (harness.free_port(), harness.free_port())
        a = self.engine(broker, redis, "a", ports[0])
        b = self.engine(broker, redis, "b", ports[1])

        def split():
            pa, pb = assigned(a.read_log()), assigned(b.read_log())
            return pa and pb and not (pa & pb) and (pa | pb) == {0, 1, 2, 3}
        harness.wait_for("a partition split", split, timeout=45)
        subprocess.run([harness.RTREC, "replay", self.stream, "--format", "pb", "-X",
                        f"kafka.bootstrap.servers={broker.bootstrap}", "-X",
                        "kafka.group.id=sync-test"], check=True, capture_output=True)
        try:
            sa, sb = harness.wait_for("both instances' shared state to agree",
                                      lambda: settled(*ports), timeout=60, interval=0.3)
        except AssertionError:
            print("a:", get_sync(ports[0]), "\nb:", get_sync(ports[1]))
            raise
        print(f"a applied {sa['events_total']} events, b {sb['events_total']}; "
              f"{sa['items']} items, {sa['interactions']} interactions, "
              f"{sa['cooc_total']} co-occurrence counts on each")
        # Each learned from its half only, yet each counts the whole stream's interactions.
        self.assertGreater(min(sa["events_total"], sb["events_total"]), EVENTS // 4)
        self.assertGreater(sa["interactions"], EVENTS // 2)
        self.assertGreater(sa["applied"], 0)
        self.assertGreater(sb["applied"], 0)
        for r, (wa, wb) in enumerate(zip(sa["weights"], sb["weights"])):
            for x, y in zip(wa, wb):
                self.assertGreater(x, 0, f"weight region {r} empty")
                self.assertLess(abs(x - y) / x, 1e-5, f"weight region {r}: {wa} vs {wb}")
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/metrics").read().decode()
        self.assertRegex(metrics, r"rtrec_sync_deltas_applied_total [1-9]")
        self.assertRegex(metrics, r"rtrec_sync_bytes_sent_total [1-9]")
        self.assertIn("sync_bytes_applied", redis.lines("HKEYS", "a:stats"))
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)


if __name__ == "__main__":
    unittest.main()
