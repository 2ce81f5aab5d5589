"""Integration harness: throwaway redis-server, rtrec processes, real Kafka clients.

Every helper cleans up after itself (processes are stopped by PID); tests use only loopback.
Run with /usr/bin/python3 (Debian's, which has confluent_kafka and protobuf).
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

RTREC = os.environ.get("RTREC_BIN", "rtrec")
# rtrec-gen: ctest sets RTREC_GEN_BIN; else beside the build tree's rtrec.
GEN = os.environ.get("RTREC_GEN_BIN", os.path.join(os.path.dirname(RTREC), "../bench/rtrec-gen"))
PROTO = os.environ.get("RTREC_PROTO", os.path.join(os.path.dirname(__file__), "../../proto/rtrec.proto"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def latest_checkpoint(directory):
    """The newest ckpt-N.rrc of a checkpoint.dir."""
    files = sorted((f for f in os.listdir(directory) if f.endswith(".rrc")),
                   key=lambda f: int(f.split("-")[1].split(".")[0]))
    return os.path.join(directory, files[-1])


def read_frames(path):
    """The frames (varint length + message, as `rtrec-gen --format pb` writes) of a file."""
    with open(path, "rb") as f:
        data = f.read()
    frames, pos = [], 0
    while pos < len(data):
        start, n, shift = pos, 0, 0
        while True:
            b = data[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        pos += n
        frames.append(data[start:pos])
    return frames


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def wait_for(what, predicate, timeout=20.0, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Redis:
    """A throwaway redis-server on a free loopback port, stopped by PID."""

    def __init__(self, port=None, password=None, persist_dir=None):
        self.port = port or free_port()
        self.password = password
        self.persist_dir = persist_dir  # AOF with fsync always: survives SIGKILL
        self.proc = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--enable-debug-command", "local"]  # DEBUG SLEEP for slow-Redis drills
        if self.persist_dir:
            args += ["--appendonly", "yes", "--appendfsync", "always", "--dir", self.persist_dir]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("redis PING", lambda: self.cli("PING") == "PONG", timeout=10)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def kill(self):
        """SIGKILL: the outage drill."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def cli(self, *args):
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)]
        if self.password:
            cmd += ["--no-auth-warning", "-a", self.password]
        r = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=10)
        return r.stdout.strip()

    def lines(self, *args):
        out = self.cli(*args)
        return out.split("\n") if out else []

    def zrevrange(self, key):
        """[(member, score)] best first."""
        flat = self.lines("ZREVRANGE", key, 0, -1, "WITHSCORES")
        return [(flat[i], float(flat[i + 1])) for i in range(0, len(flat) - 1, 2)]


class Rtrec:
    """An `rtrec run` (or `rtrec broker`) process; its log goes to a temp file."""

    def __init__(self, *args, command="run"):
        self.args = [RTREC, command] + list(args)
        self.log = tempfile.NamedTemporaryFile(prefix="rtrec-", suffix=".log", delete=False)
        self.proc = None
        self.bootstrap = None

    def start(self, expect_bootstrap=True):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        if expect_bootstrap:
            line = self.proc.stdout.readline().strip()
            if not line.startswith("bootstrap.servers="):
                raise AssertionError(f"first stdout line was {line!r}; log:\n{self.read_log()}")
            self.bootstrap = line.split("=", 1)[1]
        return self

    def wait_assigned(self, timeout=30):
        """Blocks until the consumer group gave this instance its partitions."""
        wait_for("partition assignment", lambda: "assigned rtrec.events" in self.read_log(), timeout)
        return self

    def held_partitions(self):
        """Events partitions held now, according to the assigned/revoked log lines."""
        held = set()
        for kind, part in re.findall(r"(assigned|revoked) rtrec\.events \[(\d+)\]", self.read_log()):
            (held.add if kind == "assigned" else held.discard)(int(part))
        return held

    def read_log(self):
        with open(self.log.name) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("rtrec did not stop in time; log:\n" + self.read_log())
        code = self.proc.returncode if self.proc else 0
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        return code

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        os.unlink(self.log.name)


def pb2():
    """rtrec_pb2 generated from proto/rtrec.proto with protoc, imported once."""
    if "rtrec_pb2" not in sys.modules:
        out = tempfile.mkdtemp(prefix="rtrec-pb2-")
        subprocess.run(["protoc", f"-I{os.path.dirname(os.path.abspath(PROTO))}",
                        f"--python_out={out}", os.path.abspath(PROTO)], check=True)
        sys.path.insert(0, out)
    import rtrec_pb2  # noqa: E402
    return rtrec_pb2


def kcat_produce(bootstrap, topic, lines, key_sep=None):
    """Produce text lines with the real kcat client (one message per line)."""
    args = ["kcat", "-b", bootstrap, "-P", "-t", topic]
    if key_sep:
        args += ["-K", key_sep]
    subprocess.run(args, input="\n".join(lines) + "\n", text=True, check=True, timeout=30)


def consume_all(bootstrap, topic, timeout=10.0, min_count=0, group=None):
    """Every message of a topic from the beginning with confluent_kafka, until idle."""
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group or f"it-{time.time_ns()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "fetch.wait.max.ms": 10})
    c.subscribe([topic])
    msgs, deadline, idle_since = [], time.time() + timeout, None
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            if len(msgs) >= min_count and msgs and idle_since and time.time() - idle_since > 1.0:
                break
            idle_since = idle_since or time.time()
            continue
        idle_since = None
        if not m.error():
            msgs.append(m)
    c.close()
    return msgs


def latest_recs(bootstrap, topic="rtrec.recs", timeout=10.0, min_count=1):
    """{user: Recommendations} keeping the latest message per key, decoded with protobuf."""
    Recs = pb2().Recommendations
    latest = {}
    for m in consume_all(bootstrap, topic, timeout=timeout, min_count=min_count):
        key = m.key().decode()
        if m.value() is None:
            latest[key] = None
        else:
            r = Recs()
            r.ParseFromString(m.value())
            latest[key] = r
    return latest


class Prometheus:
    """A real `prometheus` (Debian's) on a free loopback port scraping targets every second,
    with its data in a temp dir; stopped by PID."""

    def __init__(self, targets, rule_files=()):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="rtrec-prom-")
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: rtrec\n    static_configs:\n"
                    f"      - targets: [{', '.join(repr(t) for t in targets)}]\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={self.config}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1h"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("prometheus ready", lambda: self.get("/-/ready") == 200, timeout=30)
        return self

    def get(self, path):
        import http.client
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            return status
        except OSError:
            return None

    def query(self, promql):
        """The JSON answer of an instant query: {"status": ..., "data": {"result": [...]}}."""
        import http.client
        import json
        import urllib.parse
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        body = json.loads(conn.getresponse().read())
        conn.close()
        return body

    def value(self, promql):
        """The single value of an instant query, or None while it has no result."""
        res = self.query(promql)
        if res.get("status") != "success" or not res["data"]["result"]:
            return None
        return float(res["data"]["result"][0]["value"][1])

    def read_log(self):
        with open(os.path.join(self.dir, "prometheus.log")) as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)
