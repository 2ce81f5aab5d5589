"""Model sync between two `rtrec run` instances of one group (sync.enabled=1): a stream split
between them by partition, each learns from its half and merges the other's deltas from the
sync topic. Once the stream drained and the last deltas were merged (the 200 ms sync timer
keeps running; an instant with nothing new sends nothing, so the exchange settles), both hold
the same shared state: GET /sync's digests of the catalog with its interaction counts and of
the co-occurrence counts are equal, every interaction of the whole stream is counted on each,
and the model is bit-identical: the exact fingerprint of every weight (model_digest) is equal."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

import harness

EVENTS = 3000


def get_sync(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/sync", timeout=10) as r:
        return json.loads(r.read())


def settled(a, b, model):
    """Both states once they agree (with model, the weights' fingerprint too), count the whole
    stream and nothing is in flight; None before. The stream has no impressions: every event is
    an interaction."""
    sa, sb = get_sync(a), get_sync(b)
    if sa["interactions"] < EVENTS or sa["pending"] or sb["pending"]:
        return None
    keys = ("items_digest", "cooc_digest", "interactions") + (("model_digest",) if model else ())
    return all(sa[k] == sb[k] for k in keys) and (sa, sb)


class Sync(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rtrec-sync-")
        self.stream = os.path.join(self.tmp, "stream.pb")
        subprocess.run([harness.GEN, "--users", "200", "--items", "150", "--categories", "6", "--events",
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

    def start_pair(self, ckdirs, extra=()):
        """A broker, a Redis and two engines a and b in one group, each with its own
        checkpoint.dir, once they split the four partitions."""
        broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
        self.procs.append(broker)
        redis = harness.Redis().start()
        self.procs.append(redis)
        ports = (harness.free_port(), harness.free_port())
        a = self.engine(broker, redis, "a", ports[0], ("-X", f"checkpoint.dir={ckdirs[0]}", *extra))
        b = self.engine(broker, redis, "b", ports[1], ("-X", f"checkpoint.dir={ckdirs[1]}", *extra))

        def split():
            pa, pb = a.held_partitions(), b.held_partitions()
            return pa and pb and not (pa & pb) and (pa | pb) == {0, 1, 2, 3}
        harness.wait_for("a partition split", split, timeout=45)
        return broker, redis, ports, a, b

    def replay(self, broker, rate=None, path=None, topic="rtrec.events", group="sync-test"):
        args = [harness.RTREC, "replay", path or self.stream, "--format", "pb", "-X",
                f"kafka.bootstrap.servers={broker.bootstrap}", "-X", f"kafka.group.id={group}",
                "-X", f"topics.events={topic}"]
        return subprocess.Popen(args + (["--rate", str(rate)] if rate else []),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_settled(self, ports, timeout=60, model=False):
        try:
            return harness.wait_for("both instances' shared state to agree",
                                    lambda: settled(*ports, model), timeout=timeout, interval=0.3)
        except AssertionError:
            print("a:", get_sync(ports[0]), "\nb:", get_sync(ports[1]))
            raise

    def engine(self, broker, redis, name, port, extra=()):
        p = harness.Rtrec("-X", f"kafka.bootstrap.servers={broker.bootstrap}", "-X",
                          f"redis.port={redis.port}", "-X", f"redis.prefix={name}:", "-X",
                          "kafka.group.id=sync-test", "-X", f"metrics.port={port}", "-X",
                          "sync.enabled=1", "-X", "sync.interval_ms=200", "-X",
                          f"sync.instance={name}", *extra).start(expect_bootstrap=False)
        self.procs.append(p)
        return p

    def test_two_instances_converge(self):
        ckdirs = (tempfile.mkdtemp(dir=self.tmp), tempfile.mkdtemp(dir=self.tmp))
        broker, redis, ports, a, b = self.start_pair(ckdirs)
        self.assertEqual(self.replay(broker).wait(timeout=60), 0)
        # The model agrees bit for bit once both published their last learning and merged
        # the other's: the wait fails (times out) while the fingerprints differ.
        sa, sb = self.wait_settled(ports, model=True)
        print(f"a applied {sa['events_total']} events, b {sb['events_total']}; "
              f"{sa['items']} items, {sa['interactions']} interactions, "
              f"{sa['cooc_total']} co-occurrence counts on each; model {sa['model_digest']}")
        # Each learned from its half only, yet each counts the whole stream's interactions.
        self.assertGreater(min(sa["events_total"], sb["events_total"]), EVENTS // 4)
        self.assertGreater(sa["interactions"], EVENTS // 2)
        self.assertGreater(sa["applied"], 0)
        self.assertGreater(sb["applied"], 0)
        self.assertEqual(sa["model_digest"], sb["model_digest"])
        for r, (wa, wb) in enumerate(zip(sa["weights"], sb["weights"])):
            self.assertEqual(wa, wb, f"weight region {r}")  # the same floats, summed alike
            self.assertGreater(wa[0], 0, f"weight region {r} empty")
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/metrics").read().decode()
        self.assertRegex(metrics, r"rtrec_sync_deltas_applied_total [1-9]")
        self.assertRegex(metrics, r"rtrec_sync_bytes_sent_total [1-9]")
        self.assertIn("sync_bytes_applied", redis.lines("HKEYS", "a:stats"))
        self.assertEqual(sa["interactions"], EVENTS)
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)
        # Each final checkpoint holds that model: `rtrec inspect --model` restores it and
        # prints the same fingerprints (the section digests differ: item ids are local).
        for d in ckdirs:
            path = harness.latest_checkpoint(d)
            out = subprocess.run([harness.RTREC, "inspect", path, "--model", "--json"],
                                 capture_output=True, text=True, check=True).stdout
            got = json.loads(out)
            for k in ("model_digest", "items_digest", "cooc_digest"):
                self.assertEqual(got[k], sa[k], f"{path}: {k}")

    def test_kill_and_restart_counts_once(self):
        """kill -9 one instance while its input flows and restart it from its checkpoint (each
        instance its own checkpoint.dir). The restart replays the input past its checkpoint;
        deltas of its earlier life already carried some of it to the peer, so that part is
        applied without being published again: every interaction counts exactly once on both
        instances, and their digests agree (without the mechanism, b counts the replayed part
        twice). Each instance reads its own events topic in a group of its own, so no partition
        changes hands (test_sync_handoff.py covers that); the weights are not compared (the
        replay re-learns what the earlier life published, not bit for bit)."""
        broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
        self.procs.append(broker)
        redis = harness.Redis().start()
        self.procs.append(redis)
        ports = {n: harness.free_port() for n in "ab"}
        ckdirs = {n: tempfile.mkdtemp(dir=self.tmp) for n in "ab"}

        def start(name):
            return self.engine(broker, redis, name, ports[name], (
                "-X", f"topics.events=rtrec.events.{name}", "-X", f"kafka.group.id=sync-{name}",
                "-X", f"checkpoint.dir={ckdirs[name]}", "-X", "checkpoint.interval_s=3"))
        a, b = start("a"), start("b")
        for name, p in (("a", a), ("b", b)):
            harness.wait_for(f"{name}'s partitions", lambda: f"assigned rtrec.events.{name}"
                             in p.read_log(), timeout=45)
        halves = self.split_stream()
        producers = [self.replay(broker, rate=250, path=halves[k], topic=f"rtrec.events.{n}",
                                 group=f"sync-{n}") for k, n in enumerate("ab")]
        before = set(os.listdir(ckdirs["a"]))
        harness.wait_for("a checkpoint of a while the stream flows", lambda: any(
            f.endswith(".rrc") for f in set(os.listdir(ckdirs["a"])) - before), timeout=30)
        time.sleep(1.0)  # deltas published after that checkpoint: the replay will cover them
        at_kill = get_sync(ports["a"])
        a.proc.kill()  # SIGKILL: no final checkpoint, no last delta
        a.proc.wait()
        print(f"kill -9 of a with {at_kill['interactions']} interactions counted, "
              f"{at_kill['published']} deltas published")
        a = start("a")
        for p in producers:
            self.assertEqual(p.wait(timeout=60), 0)
        sa, sb = self.wait_settled((ports["a"], ports["b"]), timeout=60)
        log = a.read_log()
        self.assertIn("restored", log)
        replayed = re.search(r"input of (\d+) partitions was published before", log)
        self.assertTrue(replayed and int(replayed.group(1)) > 0, log[-2000:])
        print(f"after the restart: {sa['interactions']} interactions on each; a replayed input "
              f"of {replayed.group(1)} partitions without publishing it again")
        self.assertGreater(sa["replayed"], 0)  # events applied without publishing them again
        self.assertEqual(sa["interactions"], EVENTS)
        self.assertEqual(sb["interactions"], EVENTS)
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)

    def split_stream(self):
        """The stream's frames (varint length + message) dealt alternately into two files."""
        frames = harness.read_frames(self.stream)
        return [harness.write_file(f"{self.stream}.{k}", b"".join(frames[k::2])) for k in (0, 1)]

if __name__ == "__main__":
    unittest.main()
