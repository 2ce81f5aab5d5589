#!/usr/bin/python3
"""Staleness after kill -9: two `rtrec run` instances share a group and a checkpoint.dir on the
embedded broker (4 partitions); one is killed -9; right after, every user makes one new event.
Prints, for the users of the killed instance's partitions, how long after the event their Redis
portrait showed it (the new owner must first see the session time out, rebalance, restore the
partition and replay from its snapshot), and the same for the survivor's users as a baseline.
Checks the bound README states: every moved user fresh again within 3 x session.timeout.ms (the
mock coordinator notices the dead member after the session timeout, waits up to the session
timeout less 1 s for members to rejoin, and the survivor learns of the rebalance at its next
heartbeat, a third of the session timeout; restore and replay take well under a second); exits
1 if any user is later or never fresh again.
Usage: bench/kill_staleness.py [session_timeout_ms]   (run from the repository root)"""
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
os.environ.setdefault("RTREC_BIN", os.path.join(os.path.dirname(__file__), "../build/release/online/rtrec"))
import harness  # noqa: E402

SESSION = sys.argv[1] if len(sys.argv) > 1 else "6000"
USERS = [f"u{i:03d}" for i in range(80)]


def held(log):
    s = set()
    for kind, p in re.findall(r"(assigned|revoked) rtrec\.events \[(\d+)\]", log):
        (s.add if kind == "assigned" else s.discard)(int(p))
    return s


def main():
    from confluent_kafka import Producer
    ck = tempfile.mkdtemp(prefix="rtrec-stale-")
    broker = harness.Rtrec("-X", "broker.partitions=4", command="broker").start()
    redis = harness.Redis().start()
    args = ["-X", f"kafka.bootstrap.servers={broker.bootstrap}", "-X", f"redis.port={redis.port}",
            "-X", f"checkpoint.dir={ck}", "-X", "checkpoint.interval_s=2",
            "-X", f"consumer.session_timeout_ms={SESSION}"]
    a = harness.Rtrec(*args).start(expect_bootstrap=False)
    b = harness.Rtrec(*args).start(expect_bootstrap=False)
    prod = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 1})
    part_of = {}

    def send(u, ts):
        ev = {"user_id": u, "item_id": f"i{ts % 50}", "type": "view", "ts_ms": ts}
        prod.produce("rtrec.events", key=u, value=json.dumps(ev),
                     on_delivery=lambda err, m: part_of.__setitem__(m.key().decode(), m.partition()))
    ok = False
    try:
        harness.wait_for("split", lambda: held(a.read_log()) and held(b.read_log()) and
                         held(a.read_log()) | held(b.read_log()) == {0, 1, 2, 3}, timeout=60)
        t0 = int(time.time() * 1000) - 3600_000
        for k in range(5):
            for u in USERS:
                send(u, t0 + k)
            prod.flush(10)
        harness.wait_for("warm", lambda: all(redis.cli("HGET", f"rtrec:portrait:{u}", "events") == "5"
                                             for u in USERS), timeout=60)
        time.sleep(3)  # a periodic snapshot covers part of the input
        dead = held(b.read_log())
        b.proc.kill()
        t_kill = time.time()
        for u in USERS:
            send(u, t0 + 100)
        prod.flush(10)
        fresh = {}
        while len(fresh) < len(USERS) and time.time() - t_kill < 120:
            for u in USERS:
                if u not in fresh and redis.cli("HGET", f"rtrec:portrait:{u}", "events") == "6":
                    fresh[u] = time.time() - t_kill
            time.sleep(0.05)
        moved = sorted(v for u, v in fresh.items() if part_of[u] in dead)
        stayed = sorted(v for u, v in fresh.items() if part_of[u] not in dead)
        print(f"session.timeout.ms={SESSION}: killed instance held {sorted(dead)}; "
              f"{len(fresh)}/{len(USERS)} users fresh again")
        print(f"moved users ({len(moved)}): fresh after median {moved[len(moved) // 2]:.2f} s, "
              f"max {moved[-1]:.2f} s")
        print(f"survivor's users ({len(stayed)}): max {stayed[-1]:.2f} s")
        bound = 3 * int(SESSION) / 1000
        ok = len(fresh) == len(USERS) and moved[-1] <= bound
        print(f"bound 3 x session.timeout.ms = {bound:.1f} s: {'met' if ok else 'MISSED'}")
        print(f"killed at {time.strftime('%H:%M:%S', time.localtime(t_kill))}"
              f".{int(t_kill * 1000) % 1000:03d}; the survivor's log after it:")
        print("\n".join(a.read_log().splitlines()[-int(os.environ.get("TAIL", "12")):]))
    finally:
        for e in (a, b):
            e.stop() if e.proc else None
            e.cleanup()
        broker.stop()
        broker.cleanup()
        redis.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
