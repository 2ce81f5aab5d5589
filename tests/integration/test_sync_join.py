"""An instance that joins a synced group starts from the newest shared state and catches up
through the sync topic. Instance a runs alone with sync on and checkpoints every second into
the group's shared checkpoint.dir while the stream flows; b joins the group mid-stream: it
loads a's newest checkpoint (model, catalog, counts, the sync offsets merged into it), reads the
sync topic from those offsets rather than from its start, skips the deltas a published before
that checkpoint but had not read back (the state holds them), merges the rest, and takes half
the partitions over from their snapshots. Once the stream drained, both count every interaction
exactly once and hold the same model bit for bit."""
import os
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

    def test_join_from_shared_state(self):
        broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
        self.procs.append(broker)
        redis = harness.Redis().start()
        self.procs.append(redis)
        ports = (harness.free_port(), harness.free_port())
        shared = tempfile.mkdtemp(dir=self.tmp)
        extra = ("-X", f"checkpoint.dir={shared}", "-X", "checkpoint.interval_s=1")
        a = self.engine(broker, redis, "a", ports[0], extra)
        harness.wait_for("a to own every partition", lambda: a.held_partitions() == {0, 1, 2, 3},
                         timeout=45)
        producer = self.replay(broker, rate=150)
        harness.wait_for("a to learn and publish", lambda: (lambda s: s["events_total"] > 600
                         and s["published"] > 2)(get_sync(ports[0])), timeout=30, interval=0.2)
        before = set(os.listdir(shared))
        harness.wait_for("a checkpoint of a while the stream flows", lambda: any(
            f.endswith(".rrc") for f in set(os.listdir(shared)) - before), timeout=30)
        b = self.engine(broker, redis, "b", ports[1], extra)

        def split():
            pa, pb = a.held_partitions(), b.held_partitions()
            return pa and pb and not (pa & pb) and (pa | pb) == {0, 1, 2, 3}
        harness.wait_for("a partition split", split, timeout=45)
        self.assertEqual(producer.wait(timeout=60), 0)
        sa, sb = self.wait_settled(ports, model=True)
        print(f"b joined from {sb['joined_from']}'s checkpoint, reading the sync topic from "
              f"{sb['start_offsets']}: {sb['in_state']} deltas skipped as already in that "
              f"state, {sb['applied']} merged; a {sa['events_total']} events, b "
              f"{sb['events_total']}; {sa['interactions']} interactions on each; model "
              f"{sa['model_digest']}")
        self.assertEqual(sb["joined_from"], "a")
        self.assertIsNone(sa["joined_from"])
        self.assertGreater(sum(sb["start_offsets"].values()), 0)  # not from the topic's start
        self.assertEqual(sa["interactions"], EVENTS)
        self.assertEqual(sb["interactions"], EVENTS)
        self.assertGreater(sb["applied"], 0)
        self.assertIn("joining from a's checkpoint", b.read_log())
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)


if __name__ == "__main__":
    unittest.main()
