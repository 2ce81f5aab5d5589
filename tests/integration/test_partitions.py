"""Partitions move with their users: a per-user sequence checker (the Flink / Kafka Streams test
pattern). The producer stamps each user's events with a sequence number (as the event time);
after a run through 1 -> 2 -> 3 -> 2 -> 1 instances sharing one checkpoint.dir, with a kill -9
and a graceful leave, every user's event count, purchase count and last sequence in Redis must
equal the truth: no gap, no double application. Snapshot offsets must never go backwards.
Run for both rebalance protocols (test_cooperative, test_eager)."""
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import unittest

import harness

PARTS = 4
USERS = [f"u{i:03d}" for i in range(60)]
T0 = int(time.time() * 1000) - 6 * 3600 * 1000  # event time of sequence 0


class SnapshotWatch(threading.Thread):
    """Samples the newest snapshot offset of every partition; records any step backwards."""

    def __init__(self, ckdir):
        super().__init__(daemon=True)
        self.ckdir, self.newest, self.backwards, self.stop = ckdir, {}, [], threading.Event()

    def sample(self):
        for p in range(PARTS):
            d = os.path.join(self.ckdir, f"rtrec.events-{p}")
            try:
                seqs = [int(f[5:-4]) for f in os.listdir(d) if re.fullmatch(r"ckpt-\d+\.rrc", f)]
            except FileNotFoundError:
                continue
            if not seqs:
                continue
            if max(seqs) < self.newest.get(p, -1):
                self.backwards.append((p, self.newest[p], max(seqs)))
            self.newest[p] = max(self.newest.get(p, -1), max(seqs))

    def run(self):
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.05)


class Partitions(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rtrec-parts-")
        self.ckdir = os.path.join(self.tmp, "state")
        self.broker = harness.Rtrec("-X", f"broker.partitions={PARTS}", command="broker").start()
        self.redis = harness.Redis().start()
        self.engines = {}
        self.seq = {u: 0 for u in USERS}
        self.truth = {u: [0, 0] for u in USERS}  # events, purchases
        from confluent_kafka import Producer
        self.producer = Producer({"bootstrap.servers": self.broker.bootstrap, "linger.ms": 5})

    def tearDown(self):
        for e in self.engines.values():
            e.stop(timeout=20) if e.proc else None
            e.cleanup()
        self.broker.stop()
        self.broker.cleanup()
        self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, name, protocol):
        e = harness.Rtrec("-X", f"kafka.bootstrap.servers={self.broker.bootstrap}",
                          "-X", f"redis.port={self.redis.port}", "-X", "kafka.group.id=parts",
                          "-X", f"checkpoint.dir={self.ckdir}", "-X", "checkpoint.interval_s=2",
                          "-X", f"consumer.assignment={protocol}", "-X", "log.level=info")
        self.engines[name] = e.start(expect_bootstrap=False)
        return e

    def live(self):
        return {n: e for n, e in self.engines.items() if e.proc}

    def wait_split(self):
        """Every partition held by exactly one live instance, each holding one at least."""
        def split():
            held = {n: e.held_partitions() for n, e in self.live().items()}
            sets = list(held.values())
            union = set().union(*sets)
            ok = union == set(range(PARTS)) and sum(map(len, sets)) == PARTS and all(sets)
            return ok and held
        held = harness.wait_for("the partitions split between " + ",".join(self.live()), split,
                                timeout=60)
        print("held:", {n: sorted(p) for n, p in held.items()}, flush=True)

    def produce_round(self, per_user):
        for u in USERS:
            for _ in range(per_user):
                self.seq[u] += 1
                s = self.seq[u]
                kind = "purchase" if s % 4 == 0 else "view"
                self.truth[u][0] += 1
                self.truth[u][1] += kind == "purchase"
                ev = {"event_id": f"{u}-{s}", "user_id": u, "item_id": f"i{(s * 7 + len(u)) % 30}",
                      "type": kind, "ts_ms": T0 + 1000 * s, "category": f"c{s % 3}"}
                self.producer.produce("rtrec.events", key=u, value=json.dumps(ev))
        self.assertEqual(self.producer.flush(20), 0)

    def mismatches(self):
        bad = []
        for u in USERS:
            got = self.redis.lines("HMGET", f"rtrec:portrait:{u}", "events", "purchases",
                                   "last_event_at")
            want = [str(self.truth[u][0]), str(self.truth[u][1]), str(T0 + 1000 * self.seq[u])]
            if got != want:
                bad.append((u, got, want))
        return bad

    def wait_exact(self, phase):
        try:
            harness.wait_for(f"every user exact after {phase}", lambda: not self.mismatches(),
                             timeout=60, interval=0.5)
        except AssertionError:
            bad = self.mismatches()
            logs = "\n".join(f"--- {n}\n" + e.read_log()[-3000:] for n, e in self.engines.items())
            self.fail(f"{phase}: {len(bad)} of {len(USERS)} users wrong "
                      f"(user, [events, purchases, last_event_at] got, want): {bad[:5]}\n{logs}")

    def scenario(self, protocol):
        watch = SnapshotWatch(self.ckdir)
        watch.start()
        try:
            self.start("a", protocol)
            self.wait_split()
            self.produce_round(5)
            self.wait_exact("a alone")

            self.start("b", protocol)  # scale out: 1 -> 2
            self.wait_split()
            self.produce_round(1)
            self.wait_exact("b joined")

            self.start("c", protocol)  # 2 -> 3
            self.wait_split()
            self.produce_round(2)
            self.wait_exact("c joined")
            time.sleep(2.5)  # let a periodic checkpoint cover some of c's input, not all of it
            self.produce_round(1)
            self.wait_exact("c consumed more")

            self.engines["c"].proc.kill()  # kill -9: 3 -> 2 once its session times out
            self.engines["c"].proc.wait()
            self.engines["c"].proc = None
            self.wait_split()
            self.produce_round(2)
            self.wait_exact("c killed")

            self.assertEqual(self.engines["b"].stop(signal.SIGTERM), 0)  # graceful: 2 -> 1
            self.wait_split()
            self.produce_round(1)
            self.wait_exact("b left")
        finally:
            watch.stop.set()
            watch.join()
        watch.sample()
        self.assertEqual(watch.backwards, [], "a partition snapshot went backwards")
        self.assertEqual(sorted(watch.newest), list(range(PARTS)), "every partition has a snapshot")
        for n, e in self.engines.items():
            log = e.read_log()
            self.assertNotIn("ERROR", log, f"instance {n} logged an error")

    def test_cooperative(self):
        self.scenario("cooperative")

    def test_eager(self):
        self.scenario("eager")


class IncompatibleRestart(unittest.TestCase):
    """A restart whose configuration cannot load the newest checkpoint fails, and leaves the
    state store as it was: no "final" checkpoint from the empty state replaces it."""

    def test_failed_start_keeps_state(self):
        tmp = tempfile.mkdtemp(prefix="rtrec-incompat-")
        redis = harness.Redis().start()
        try:
            args = ["-X", f"redis.port={redis.port}", "-X", f"checkpoint.dir={tmp}"]
            e = harness.Rtrec(*args).start()
            e.wait_assigned()
            ev = {"user_id": "ann", "item_id": "i1", "type": "view", "ts_ms": T0}
            harness.kcat_produce(e.bootstrap, "rtrec.events", ["ann\t" + json.dumps(ev)], key_sep="\t")
            harness.wait_for("ann's portrait", lambda: redis.cli("HGET", "rtrec:portrait:ann", "events") == "1")
            self.assertEqual(e.stop(), 0)
            e.cleanup()
            before = {f: open(os.path.join(tmp, f), "rb").read() for f in os.listdir(tmp)
                      if f.endswith(".rrc")}
            self.assertTrue(before, "a final checkpoint at the first stop")
            bad = harness.Rtrec(*args, "-X", "model.dim=16")
            bad.proc = __import__("subprocess").Popen(bad.args, stdout=-3, stderr=bad.log)
            self.assertNotEqual(bad.proc.wait(timeout=60), 0, "an incompatible checkpoint stops the start")
            log = bad.read_log()
            bad.proc = None
            bad.cleanup()
            after = {f: open(os.path.join(tmp, f), "rb").read() for f in os.listdir(tmp)
                     if f.endswith(".rrc")}
            self.assertEqual(after, before, "the state store changed after a failed start:\n" + log)
        finally:
            redis.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
