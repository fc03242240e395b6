"""Open a page in headless chromium as a phone or a desktop sees it and report
what the layout and the images did (shared by the report browser tests).

Chromium is driven over its DevTools protocol on a pipe
(``--remote-debugging-pipe``: no port, no extra package). The page is shown
through ``Emulation.setDeviceMetricsOverride``; under 600 px as a mobile
device, so a page without a viewport meta tag is laid out 980 px wide as on a
real phone (and fails these checks).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path



from tests.conftest import chromium

PROBE = """(async () => {
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  const vw = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5);
  }).map(e => e.tagName + (e.className ? '.' + e.className : ''));
  const imgs = [...document.images].map(i => ({
    decoded: i.complete && i.naturalWidth > 0, shown: i.getBoundingClientRect().width,
    natural: i.naturalWidth, svg: i.src.startsWith('data:image/svg+xml')}));
  const fonts = [...document.querySelectorAll('p, li, td, th, h1, h2, h3, span, a')]
    .filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize));
  return {viewport: vw, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 20),
          images: imgs, min_font_px: Math.min(...fonts)};
})()"""




class _Pipe:
    """The DevTools protocol over chromium's pipe: JSON messages ended by NUL."""

    def __init__(self, exe: str, profile: str):
        to_child, self._send = os.pipe()
        self._recv, from_child = os.pipe()

        def fds() -> None:  # chromium reads commands on fd 3 and answers on fd 4
            a, b = os.dup(to_child), os.dup(from_child)  # above 4: dup2 cannot clobber them
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen(
            [exe, "--headless", "--disable-gpu", *sandbox, "--remote-debugging-pipe",
             "--no-first-run", "--disable-extensions", "--hide-scrollbars",
             f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buf = b""
        self._id = 0

    def _read(self) -> dict:
        while b"\0" not in self._buf:
            chunk = os.read(self._recv, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._send, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                assert "error" not in reply, reply
                return reply.get("result", {})
            self.events.append(reply)

    events: list[dict] = []

    def wait_event(self, method: str, session: str) -> dict:
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            e = self._read()
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._send)
        os.close(self._recv)


def probe(page: Path, width: int, height: int = 900) -> dict:
    """Load ``page`` in a viewport ``width`` px wide: the viewport width, the
    document's scroll width, the elements wider than the viewport, every
    image's decoded state and shown/natural width, the smallest text size (px),
    and any script error."""
    exe = chromium()
    with tempfile.TemporaryDirectory(prefix="hipsense-probe-") as profile:
        pipe = _Pipe(exe, profile)
        pipe.events = []
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.call("Target.attachToTarget",
                                {"targetId": target, "flatten": True})["sessionId"]
            pipe.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": width < 600}, session)
            pipe.call("Page.enable", {}, session)
            pipe.call("Runtime.enable", {}, session)
            pipe.call("Page.navigate", {"url": Path(page).resolve().as_uri()}, session)
            pipe.wait_event("Page.loadEventFired", session)
            result = pipe.call("Runtime.evaluate", {"expression": PROBE, "awaitPromise": True,
                                                    "returnByValue": True}, session)
            errors = [e for e in pipe.events if e.get("method") in
                      ("Runtime.exceptionThrown",)]
        finally:
            pipe.close()
    out = result["result"]["value"]
    out["errors"] = errors
    return out
