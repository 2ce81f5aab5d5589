"""A partition handed over between synced instances counts its input once. Two `rtrec run` in
one group with sync on, each its own checkpoint.dir; the stream flows; one instance is killed
with -9 about a second after a checkpoint, so its last deltas (every 200 ms) carried more of its
partitions' input to the survivor than its checkpoint covers. The survivor takes those
partitions over from the committed offsets, the checkpoint's, and replays the difference for
its users only (the item side and the learning came with the deltas): every interaction of the
stream counts exactly once on it, where applying the replay whole counted some twice."""
import os
import tempfile
import time
import unittest

import harness
import test_sync
from test_sync import EVENTS, get_sync


class SyncHandoff(unittest.TestCase):
    # The stream, the processes' clean-up and the engine's sync flags are test_sync's.
    setUp, tearDown = test_sync.Sync.setUp, test_sync.Sync.tearDown
    engine, replay = test_sync.Sync.engine, test_sync.Sync.replay
    start_pair = test_sync.Sync.start_pair

    def test_killed_owner_counts_once(self):
        ckdirs = [tempfile.mkdtemp(dir=self.tmp) for _ in "ab"]
        broker, redis, ports, a, b = self.start_pair(ckdirs, ("-X", "checkpoint.interval_s=2"))
        producer = self.replay(broker, rate=250)
        harness.wait_for("a to consume and publish", lambda: (lambda s: s["events_total"] > 100
                         and s["published"] > 0)(get_sync(ports[0])), timeout=30, interval=0.2)
        before = set(os.listdir(ckdirs[0]))
        harness.wait_for("a checkpoint of a while the stream flows", lambda: any(
            f.endswith(".rrc") for f in set(os.listdir(ckdirs[0])) - before), timeout=30)
        time.sleep(1.0)  # deltas published after that checkpoint: the survivor's replay overlaps them
        at_kill = get_sync(ports[0])
        a.proc.kill()  # SIGKILL: no final checkpoint, no last delta, no revocation
        a.proc.wait()
        a.proc = None
        self.assertEqual(producer.wait(timeout=60), 0)
        harness.wait_for("b to own every partition", lambda: b.held_partitions() == {0, 1, 2, 3},
                         timeout=60)

        def drained():
            s = get_sync(ports[1])
            return s["interactions"] >= EVENTS and not s["pending"] and s
        s = harness.wait_for("b to count the whole stream", drained, timeout=60, interval=0.3)
        time.sleep(2.0)  # anything still to come would now be counted twice
        s = get_sync(ports[1])
        print(f"a at the kill: {at_kill['events_total']} events, {at_kill['published']} deltas; "
              f"b: {s['interactions']} interactions, {s['handed_over']} events of a's partitions "
              f"replayed for their users only")
        self.assertGreater(s["handed_over"], 0, f"the kill left no overlap to test {s}\n" +
                           b.read_log()[-3000:])
        self.assertEqual(s["interactions"], EVENTS)
        self.assertEqual(b.stop(), 0)


if __name__ == "__main__":
    unittest.main()
