"""Nothing lost silently. The embedded broker keeps about 5 MiB per partition and drops the
oldest; a consumer that falls further behind finds its position gone.

- Loss is counted: the engine is paused (SIGSTOP; the broker runs in its own process) while
  a plain producer writes more than the broker keeps; once it runs again, every message is
  either applied or counted as skipped (rtrec_input_skipped_total, the rtrec:stats field
  input_skipped_total, /healthz), with one ERROR line per reset.
- A replay arrives whole: `rtrec replay` of the same events (the same volume that the flood
  shows the broker cannot hold) paces itself by the group's lag, and every event is applied.
"""
import os
import re
import signal
import tempfile
import time
import unittest
import urllib.request

from confluent_kafka import Producer

import harness

EVENTS = 20000  # ~690 bytes each: ~13 MiB, 2.7 times what one partition of the broker keeps
USERS = 1000
CAP_BYTES = 5 << 20


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_str(field, s):
    b = s.encode()
    return varint(field << 3 | 2) + varint(len(b)) + b


def pb_int(field, v):
    return varint(field << 3) + varint(v)


def events():
    """[(key, value)]: VIEW events with every string field near its limit, one user event per
    second of event time (under the flood cap), each event id distinct."""
    t0 = int(time.time() * 1000) - EVENTS
    out = []
    for i in range(EVENTS):
        user = f"user-{i % USERS:04d}-".ljust(60, "u")
        value = b"".join([
            pb_str(1, f"ev-{i:08d}-".ljust(60, "e")), pb_str(2, user),
            pb_str(3, f"item-{i % 700:04d}-".ljust(60, "i")), pb_int(4, 1), pb_int(5, t0 + i),
            pb_str(7, f"cat-{i % 20:02d}-".ljust(60, "c")),
            pb_str(8, f"brand-{i % 50:02d}-".ljust(60, "b")),
            pb_str(10, f"session-{i % USERS:04d}-".ljust(60, "s")),
            pb_str(11, f"query {i} ".ljust(250, "q"))])
        out.append((user.encode(), value))
    return out


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    m = {}
    for ln in text.splitlines():
        if ln and not ln.startswith("#"):
            key, val = ln.rsplit(" ", 1)
            m[key] = float(val)
    return m


def healthz(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
        return r.status, r.read().decode()


class Loss(unittest.TestCase):
    def setUp(self):
        self.events = events()
        self.assertGreater(sum(len(k) + len(v) for k, v in self.events), 2 * CAP_BYTES)
        self.redis = harness.Redis().start()
        self.port = harness.free_port()
        self.broker = harness.Rtrec("-X", "broker.partitions=1", command="broker").start()
        # A session long enough that a pause does not cost the engine its partition.
        self.rtrec = harness.Rtrec(
            "-X", f"kafka.bootstrap.servers={self.broker.bootstrap}",
            "-X", f"redis.port={self.redis.port}", "-X", f"metrics.port={self.port}",
            "-X", "stats.interval_ms=100", "-X", "consumer.session_timeout_ms=30000",
            "-X", "recs.coalesce_ms=200").start(expect_bootstrap=False).wait_assigned()
        self.rtrec.bootstrap = self.broker.bootstrap

    def tearDown(self):
        code = self.rtrec.stop()
        self.rtrec.cleanup()
        self.broker.stop()
        self.broker.cleanup()
        self.redis.stop()
        self.assertEqual(code, 0)

    def stat(self, field):
        v = self.redis.cli("HGET", "rtrec:stats", field)
        return int(v) if v else 0

    def consumed(self):
        """(applied, skipped) from rtrec:stats, once nothing else was made of the input."""
        self.assertEqual(self.stat("dlq_total") + self.stat("duplicates_total")
                         + self.stat("flooded_total"), 0)
        return self.stat("events_total"), self.stat("input_skipped_total")

    def produce(self, p, events):
        for key, value in events:
            while True:
                try:
                    p.produce("rtrec.events", key=key, value=value)
                    break
                except BufferError:
                    p.poll(0.01)
        self.assertEqual(p.flush(30), 0)

    def test_loss_is_counted(self):
        p = Producer({"bootstrap.servers": self.rtrec.bootstrap, "linger.ms": 5})
        head = EVENTS // 10  # some input the engine reads before its pause
        self.produce(p, self.events[:head])
        harness.wait_for("the first events applied", lambda: self.stat("events_total") == head,
                         timeout=30, interval=0.1)
        self.rtrec.proc.send_signal(signal.SIGSTOP)
        try:
            self.produce(p, self.events[head:])
        finally:
            self.rtrec.proc.send_signal(signal.SIGCONT)
        harness.wait_for("every event applied or counted as skipped",
                         lambda: sum(self.consumed()) == EVENTS, timeout=45, interval=0.2)
        applied, skipped = self.consumed()
        self.assertGreater(skipped, 0, "the flood did not overflow the broker")
        m = scrape(self.port)
        self.assertEqual(m['rtrec_input_skipped_total{reader="group"}'], skipped)
        self.assertEqual(sum(v for k, v in m.items() if k.startswith("rtrec_events_total")),
                         applied)
        status, body = healthz(self.port)
        self.assertEqual(status, 200)  # loss is reported, not a reason to restart
        self.assertIn(f"input_skipped_total {skipped}\n", body)
        errors = [ln for ln in self.rtrec.read_log().splitlines() if "ERROR" in ln]
        counts = [int(re.search(r"(\d+) messages skipped \(data loss\)", ln).group(1))
                  for ln in errors]
        self.assertEqual(sum(counts), skipped, errors)
        self.assertEqual(len(errors), m['rtrec_input_offset_resets_total{reader="group"}'])
        print(f"flood of {EVENTS}: {applied} applied, {skipped} skipped in {len(errors)} reset(s)")

    def test_replay_arrives_whole(self):
        fd, path = tempfile.mkstemp(suffix=".pb")
        with os.fdopen(fd, "wb") as f:
            for _, value in self.events:
                f.write(varint(len(value)) + value)
        try:
            r = harness.subprocess.run(
                [harness.RTREC, "replay", path, "--format", "pb",
                 "-X", f"kafka.bootstrap.servers={self.rtrec.bootstrap}"],
                capture_output=True, text=True, timeout=90)
        finally:
            os.unlink(path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("paced by group rtrec", r.stderr)
        harness.wait_for("every replayed event applied",
                         lambda: self.consumed()[0] == EVENTS, timeout=45, interval=0.2)
        self.assertEqual(self.consumed(), (EVENTS, 0))
        self.assertEqual(scrape(self.port)['rtrec_input_skipped_total{reader="group"}'], 0)
        self.assertNotIn("data loss", self.rtrec.read_log())
        print(r.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    unittest.main()
