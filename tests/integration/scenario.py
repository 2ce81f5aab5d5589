"""A small deterministic clickstream whose recommendations can be worked out by hand.

u1..u4 each view A, B, C (so A, B and C co-occur 4 times pairwise); u5 views D then E.
alice views A, then buys B. Her list must start with C (co-occurs with both of her items, and
is in her category), filled up from trending with D and E; A and B are excluded (seen / bought).

Her list is worked out from everyone else's events, so they must be applied first. A producer
writing the whole stream at once does not ensure that: users are keyed to partitions, and the
engine consumes the partitions in no fixed order. Tests produce `head()`, wait with
`wait_applied`, then produce `tail()` (alice's two events).
"""
BASE_TS = 1_700_000_000_000


def events():
    evs, ts = [], BASE_TS
    for u in ("u1", "u2", "u3", "u4"):
        for item in ("A", "B", "C"):
            ts += 1000
            evs.append({"user_id": u, "item_id": item, "type": "view", "ts_ms": ts,
                        "category": "shoes", "price": 10.0})
    for item in ("D", "E"):
        ts += 1000
        evs.append({"user_id": "u5", "item_id": item, "type": "view", "ts_ms": ts,
                    "category": "hats"})
    ts += 1000
    evs.append({"user_id": "alice", "item_id": "A", "type": "view", "ts_ms": ts})
    ts += 1000
    evs.append({"user_id": "alice", "item_id": "B", "type": "purchase", "ts_ms": ts,
                "value": 10.0})
    return evs


def head():
    return events()[:-2]


def tail():
    return events()[-2:]


def wait_applied(redis, evs, wait_for):
    """Until every user of evs has a portrait counting all of their events in evs."""
    want = {}
    for e in evs:
        want[e["user_id"]] = want.get(e["user_id"], 0) + 1

    def applied():
        return all(redis.cli("HGET", f"rtrec:portrait:{u}", "events") == str(n)
                   for u, n in want.items())
    wait_for("every user's events before alice's", applied)


def check_alice(test, redis, recs_msg):
    """Asserts alice's list in Redis (ZSET + why HASH) and on the recs topic."""
    zs = redis.zrevrange("rtrec:rec:alice")
    members = [m for m, _ in zs]
    test.assertEqual(members[0], "C", zs)
    test.assertEqual(set(members), {"C", "D", "E"}, zs)
    test.assertGreater(zs[0][1], zs[1][1])  # co-occurrence outranks the trending fill
    why = redis.cli("HGET", "rtrec:why:alice", "C")
    test.assertTrue(why.startswith("similar to item "), why)
    for item in ("D", "E"):  # the fill: trending, re-ranked by the MLP
        why = redis.cli("HGET", "rtrec:why:alice", item)
        test.assertTrue(why == "trending" or why.startswith("picked for you (model "), why)
    ttl = int(redis.cli("TTL", "rtrec:rec:alice"))
    test.assertGreater(ttl, 0)
    test.assertIsNotNone(recs_msg, "no recs message for alice")
    test.assertEqual(recs_msg.user_id, "alice")
    test.assertEqual([r.item_id for r in recs_msg.recs], members)
    test.assertEqual(recs_msg.recs[0].reason, "cooccurrence")
    test.assertTrue(recs_msg.model_version.startswith("mlp@"), recs_msg.model_version)
    portrait = dict(zip(*[iter(redis.lines("HGETALL", "rtrec:portrait:alice"))] * 2))
    test.assertIn("top_categories", portrait)
    test.assertEqual(portrait.get("purchases"), "1")
    test.assertEqual(recs_msg.trigger_ts_ms, events()[-1]["ts_ms"])
