"""An instance that joins a synced group starts from the newest shared state and catches up
through the sync topic. Instance a runs alone with sync on and checkpoints every second into
the group's shared checkpoint.dir while the stream flows; b joins the group mid-stream: it
loads a's newest checkpoint (model, catalog, counts, the sync offsets merged into it), reads the
sync topic from those offsets rather than from its start, skips the deltas a published before
that checkpoint but had not read back (the state holds them), merges the rest, and takes half
the partitions over from their snapshots. Once the stream drained, both count every interaction
exactly once and hold the same model bit for bit. Then the same after a kill -9: b (which
writes no checkpoint of its own) restarts from a's newest state and merges its own earlier
life's deltas past it as a peer's."""
import os
import signal
import tempfile
import time
import unittest

import harness
import test_sync
from test_sync import EVENTS, get_sync


class SyncJoin(unittest.TestCase):
    # The stream, the processes' clean-up and the engine's sync flags are test_sync's.
    setUp, tearDown = test_sync.Sync.setUp, test_sync.Sync.tearDown
    engine, replay, wait_settled = (test_sync.Sync.engine, test_sync.Sync.replay,
                                    test_sync.Sync.wait_settled)

    def start_alone(self, path=None):
        """A broker, a Redis and instance a alone in the group with the shared checkpoint.dir;
        the stream (or path) flowing at 150 events/s; returns once a checkpointed what it
        learned."""
        broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
        self.procs.append(broker)
        redis = harness.Redis().start()
        self.procs.append(redis)
        self.ports = (harness.free_port(), harness.free_port())
        self.shared = tempfile.mkdtemp(dir=self.tmp)
        self.extra = ("-X", f"checkpoint.dir={self.shared}", "-X", "checkpoint.interval_s=1")
        a = self.engine(broker, redis, "a", self.ports[0], self.extra)
        harness.wait_for("a to own every partition", lambda: a.held_partitions() == {0, 1, 2, 3},
                         timeout=45)
        producer = self.replay(broker, rate=150, path=path)
        harness.wait_for("a to learn and publish", lambda: (lambda s: s["events_total"] > 600
                         and s["published"] > 2)(get_sync(self.ports[0])), timeout=30,
                         interval=0.2)
        self.wait_checkpoint()
        return broker, redis, a, producer

    def wait_checkpoint(self):
        before = set(os.listdir(self.shared))
        harness.wait_for("a new checkpoint", lambda: any(
            f.endswith(".rrc") for f in set(os.listdir(self.shared)) - before), timeout=30)

    def join_b(self, broker, redis, a, extra=()):
        b = self.engine(broker, redis, "b", self.ports[1], self.extra + tuple(extra))

        def split():
            pa, pb = a.held_partitions(), b.held_partitions()
            return pa and pb and not (pa & pb) and (pa | pb) == {0, 1, 2, 3}
        harness.wait_for("a partition split", split, timeout=60)
        return b

    def check_joined(self, a, b):
        sa, sb = self.wait_settled(self.ports, model=True)
        print(f"b joined from {sb['joined_from']}'s checkpoint, reading the sync topic from "
              f"{sb['start_offsets']}: {sb['in_state']} deltas skipped as already in that "
              f"state, {sb['applied']} merged ({sb['earlier_merged']} of its own earlier life), "
              f"{sb['handed_over']} events applied for their users only; {sa['interactions']} interactions on each; model "
              f"{sa['model_digest']}")
        self.assertEqual(sb["joined_from"], "a")
        self.assertIsNone(sa["joined_from"])
        self.assertGreater(sum(sb["start_offsets"].values()), 0)  # not from the topic's start
        self.assertEqual(sa["interactions"], EVENTS)
        self.assertEqual(sb["interactions"], EVENTS)
        self.assertIn("joining from a's checkpoint", b.read_log())
        return sa, sb

    def test_join_from_shared_state(self):
        broker, redis, a, producer = self.start_alone()
        b = self.join_b(broker, redis, a)
        self.assertEqual(producer.wait(timeout=60), 0)
        sa, sb = self.check_joined(a, b)
        self.assertGreater(sb["applied"], 0)
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)

    def test_restart_from_peer_state(self):
        """b joins (its checkpoints 60 s apart: it writes none here) and publishes; a is paused
        (SIGSTOP: no checkpoint, no reading) while b publishes more, then b is killed with -9
        and restarted: the newest shared state is a's from before the pause, so b starts from
        it and merges its earlier life's deltas past it like a peer's (counted in GET /sync's
        earlier_merged), and its partitions replay the input those deltas covered for their
        users only."""
        # The stream's second half starts once b is in, so that b learns and publishes while a
        # is paused however long the join took (under ASan the first half can be over by then).
        frames = harness.read_frames(self.stream)
        halves = [harness.write_file(f"{self.stream}.{k}", b"".join(part)) for k, part in
                  enumerate((frames[:EVENTS // 2], frames[EVENTS // 2:]))]
        broker, redis, a, producer = self.start_alone(halves[0])
        slow = ("-X", "checkpoint.interval_s=60")
        b = self.join_b(broker, redis, a, slow)
        self.assertEqual(producer.wait(timeout=60), 0)
        producer = self.replay(broker, rate=100, path=halves[1])
        harness.wait_for("a to merge b's deltas", lambda: get_sync(self.ports[0])[
            "applied_offsets"].get("1", 0) > 0, timeout=30, interval=0.2)
        a.proc.send_signal(signal.SIGSTOP)
        try:
            before = get_sync(self.ports[1])["published"]
            harness.wait_for("b to publish more", lambda: get_sync(self.ports[1])["published"]
                             > before + 2, timeout=30, interval=0.1)
            b.proc.kill()  # SIGKILL: no final checkpoint, no last delta, no revocation
            b.proc.wait()
            b.proc = None
            b = self.engine(broker, redis, "b", self.ports[1], self.extra + slow)
            harness.wait_for("b to restore a's checkpoint", lambda: "checkpoint: restored"
                             in b.read_log(), timeout=30, interval=0.1)
        finally:
            a.proc.send_signal(signal.SIGCONT)
        self.assertEqual(producer.wait(timeout=90), 0)
        sa, sb = self.check_joined(a, b)
        self.assertGreater(sb["earlier_merged"], 0)
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)

if __name__ == "__main__":
    unittest.main()
