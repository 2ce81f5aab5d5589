"""Redis AUTH: the password comes from the environment (RTREC_REDIS_PASSWORD), the engine
writes through a requirepass server, and the secret never appears in its logs or `rtrec conf`."""
import json
import os
import subprocess
import unittest

import harness

SECRET = "s3cret-Pa55"


class Auth(unittest.TestCase):
    def test_password_from_env(self):
        redis = harness.Redis(password=SECRET).start()
        os.environ["RTREC_REDIS_PASSWORD"] = SECRET
        try:
            rtrec = harness.Rtrec("-X", f"redis.port={redis.port}", "-X", "log.level=debug").start()
        finally:
            del os.environ["RTREC_REDIS_PASSWORD"]
        try:
            rtrec.wait_assigned()
            ev = {"user_id": "zed", "item_id": "A", "type": "view", "ts_ms": 1_700_000_000_000}
            harness.kcat_produce(rtrec.bootstrap, "rtrec.events", [f"zed\t{json.dumps(ev)}"],
                                 key_sep="\t")
            harness.wait_for("zed's portrait through AUTH",
                             lambda: redis.cli("HGET", "rtrec:portrait:zed", "events") == "1")
            self.assertEqual(rtrec.stop(), 0)
            self.assertNotIn(SECRET, rtrec.read_log())
        finally:
            rtrec.cleanup()
            redis.stop()
        conf = subprocess.run([harness.RTREC, "conf"], capture_output=True, text=True,
                              env=dict(os.environ, RTREC_REDIS_PASSWORD=SECRET), check=True)
        self.assertNotIn(SECRET, conf.stdout)
        self.assertIn("redis.password", conf.stdout)


if __name__ == "__main__":
    unittest.main()
