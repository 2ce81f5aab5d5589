#!/usr/bin/python3
"""ops/cdp.py — headless Chromium driven over the DevTools protocol on a pipe (no WebSocket
library, no open port): load a page, read it with JavaScript, collect console errors, take a
screenshot. Used by tests/integration/test_dash.py and to make the README's screenshot:

    ops/cdp.py screenshot http://127.0.0.1:9464/ out.png [--user ID] [--width 1440]

Chromium is Debian's package (ops/setup installs it); its resolver maps every host but
127.0.0.1 to nothing and background services are off, so it reaches only the engine on loopback.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


def chromium_binary():
    for path in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "",
                 shutil.which("chromium-browser") or ""):
        if path and os.access(path, os.X_OK):
            return path
    raise RuntimeError("chromium not found: run ops/setup")


class Browser:
    """One headless Chromium; commands go as NUL-terminated JSON on its fd 3, answers and
    events come back on its fd 4."""

    def __init__(self, width=1440, height=900):
        self.profile = tempfile.mkdtemp(prefix="rtrec-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():  # in the child, before exec: its fd 3 reads, fd 4 writes
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--mute-audio",
                "--hide-scrollbars", "--disable-dev-shm-usage", "--metrics-recording-only",
                "--disable-features=Translate,MediaRouter,OptimizationHints",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=wire_fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._answers = {}
        self._cond = threading.Condition(self._lock)
        self.events = []  # (method, params) of every event, in order
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session = None

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._answers[msg["id"]] = msg
                    else:
                        self.events.append((msg.get("method"), msg.get("params", {})))
                    self._cond.notify_all()
        with self._cond:
            self._answers[-1] = {"closed": True}
            self._cond.notify_all()

    def send(self, method, params=None, timeout=20.0, page=True):
        """Runs one command (on the attached page unless page=False); returns its result."""
        with self._lock:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if page and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        with self._cond:
            while mid not in self._answers:
                if -1 in self._answers:
                    raise RuntimeError("chromium exited")
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError(f"{method}: no answer in {timeout}s")
                self._cond.wait(left)
            answer = self._answers.pop(mid)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def open(self, url, width=1440, height=900):
        """A new page at url; console, exceptions and log entries are recorded from the start."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 page=False)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.send(domain + ".enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})

    def eval(self, expression, timeout=20.0):
        """The value of a JavaScript expression (awaited if it is a promise)."""
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, what, expression, timeout=20.0):
        deadline = time.time() + timeout
        guarded = f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return null; }} }})()"
        while time.time() < deadline:
            value = self.eval(guarded)  # null while the page is still loading
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}: {expression}")

    def errors(self):
        """Console errors, uncaught exceptions, failed loads and CSP violations so far."""
        out = []
        with self._lock:
            events = list(self.events)
        for method, p in events:
            if method == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("text", "") + " " +
                           str(p["exceptionDetails"].get("exception", {}).get("description", "")))
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", "")))
                                    for a in p.get("args", [])))
            elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
        return out

    def screenshot(self, path):
        """The whole page as PNG at path."""
        size = self.eval("[document.documentElement.scrollWidth,"
                         " document.documentElement.scrollHeight]")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.5)  # let the charts resize to the new viewport
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", page=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    shot = sub.add_parser("screenshot", help="load the dashboard, wait for data, save a PNG")
    shot.add_argument("url")
    shot.add_argument("out")
    shot.add_argument("--user", help="look this user up before the screenshot")
    shot.add_argument("--width", type=int, default=1440)
    shot.add_argument("--settle", type=float, default=3.0, help="seconds of live data to wait")
    args = ap.parse_args()
    url = args.url + (("&" if "?" in args.url else "?") + "user=" + args.user if args.user else "")
    b = Browser(width=args.width)
    try:
        b.open(url, width=args.width)
        b.wait("dashboard data", "document.body.dataset.ready === '1'")
        if args.user:
            b.wait("user lookup", "document.getElementById('user').dataset.loaded !== ''"
                                  " && document.getElementById('user').dataset.loaded")
        time.sleep(args.settle)
        b.screenshot(args.out)
        errors = b.errors()
        for e in errors:
            print("page error:", e, file=sys.stderr)
        return 1 if errors else 0
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
