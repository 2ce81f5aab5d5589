"""Configuration errors stop `rtrec run` before it starts anything (no broker, no bootstrap line
on stdout), with a message naming the key, the value and what is allowed; a missing
checkpoint.dir is created at start (mkdir -p, 0755) and one that cannot be is named."""
import os
import stat
import subprocess
import tempfile
import unittest

import harness


def run_rejected(*args):
    """`rtrec run` with args, which must fail at once: (exit status, stdout, stderr)."""
    r = subprocess.run([harness.RTREC, "run"] + list(args), capture_output=True, text=True,
                       timeout=20)
    return r.returncode, r.stdout, r.stderr


class ConfigErrors(unittest.TestCase):
    def assertRejected(self, args, message):
        code, out, err = run_rejected(*args)
        self.assertNotEqual(code, 0)
        self.assertEqual(out, "")  # nothing started: no embedded broker announced
        self.assertEqual(err, message + "\n")

    def test_choice_keys(self):
        self.assertRejected(["-X", "model.optimizer=nosuch"],
                            "rtrec run: config: model.optimizer=nosuch: must be one of sgd, "
                            "adagrad, adam")
        self.assertRejected(["-X", "log.level=verbos"],
                            "rtrec run: config: log.level=verbos: must be one of error, warn, "
                            "info, debug")

    def test_numbers_and_keys(self):
        self.assertRejected(["-X", "recs.n=500"],
                            "rtrec run: config: recs.n=500: must be an integer in 1..100")
        self.assertRejected(["-X", "recs.nn=5"],
                            'rtrec run: config: unknown key "recs.nn"; did you mean recs.n? '
                            "(`rtrec conf` lists them)")
        self.assertRejected(["-X", "kafka.nosuch=1"],
                            'rtrec run: config: kafka.nosuch=1: No such configuration property: '
                            '"nosuch" (librdkafka)')

    def test_config_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("recs.n = 20\nmodel.optimizer = adamw\n")
            f.flush()
            self.assertRejected(["-c", f.name],
                                f"rtrec run: config: {f.name}:2: model.optimizer=adamw: must be "
                                "one of sgd, adagrad, adam")

    def test_checkpoint_dir_not_creatable(self):
        with tempfile.NamedTemporaryFile() as f:
            self.assertRejected(["-X", f"checkpoint.dir={f.name}/ckpt"],
                                f"rtrec run: checkpoint.dir={f.name}/ckpt: cannot create "
                                f"{f.name}/ckpt: Not a directory")
            self.assertRejected(["-X", f"checkpoint.dir={f.name}"],
                                f"rtrec run: checkpoint.dir={f.name}: exists and is not a "
                                "directory")


class CheckpointDir(unittest.TestCase):
    def test_created_at_start(self):
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = os.path.join(tmp, "a", "b", "ckpt")
            rtrec = harness.Rtrec("-X", f"checkpoint.dir={ckpt}",
                                  "-X", f"redis.port={harness.free_port()}").start()
            try:
                harness.wait_for("checkpoint.dir", lambda: os.path.isdir(ckpt))
                for d in (os.path.join(tmp, "a"), os.path.join(tmp, "a", "b"), ckpt):
                    self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o755 & ~_umask())
                self.assertEqual(rtrec.stop(), 0)
                self.assertTrue(any(n.endswith(".rrc") for n in os.listdir(ckpt)),
                                rtrec.read_log())
            finally:
                rtrec.cleanup()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


if __name__ == "__main__":
    unittest.main()
