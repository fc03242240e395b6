"""The coach page's web server (aiohttp), run in the recorder's own event loop.

``GET /?token=T`` serves the page (static files shipped with the package),
``GET /report?token=T`` the session report once the session has ended,
``GET /ws?token=T`` a WebSocket on which the recorder's messages
(:mod:`hipsense.live.coach.events`) are pushed as JSON text frames, each with
an ``id``. A page that connects late first gets ``hello`` and what the screen
shows now (the set in progress and its latest state). The page answers each
message, once drawn, with ``{"type": "ack", "id": ..., "shown": {...},
"spoken": [...]}``: what it shows and what it asked the speech synthesis to
say. The page may also send ``{"type": "command", "what": "end_set"}`` (its
"End set" button: the runner on the floor ends the set from a phone), handed
to ``on_command``. The server keeps the acks (:attr:`CoachServer.acks`) and, for a message
that carries ``notified_s`` (the host time of the oldest notification in its
batch, on ``clock``), the notification-to-screen latency
(:attr:`CoachServer.latencies_s`).

It listens on 127.0.0.1 by default; with ``lan`` on every interface. Either
way every request must carry the random token of the URL (a wrong or missing
one gets 403), so another device on the network cannot read the session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

STATIC_DIR = Path(__file__).with_name("static")
#: Messages kept for a page that cannot keep up, before the oldest live ones go.
MAX_QUEUED = 200
#: Acks kept (the tests and the latency benchmark read them).
MAX_ACKS = 10_000
#: What a page may ask the recorder to do.
COMMANDS = ("end_set",)
#: The message types that start a new screen (a late page gets the latest).
_SCREENS = ("calibration", "prepare", "set_begin", "set_end", "run_live")

log = logging.getLogger(__name__)


def lan_address() -> str:
    """This computer's address on the local network (the interface of the
    default route; no packet is sent), else 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


class CoachServer:
    """Serves the coach page and pushes the recorder's messages to every page open.

    ``quiet``: the pages do not speak nor chime. ``lan``: listen on every
    interface. ``port``: 0 for a free one. ``clock``: the host clock of the
    notifications' ``notified_s`` (s).
    """

    def __init__(self, *, quiet: bool = False, lan: bool = False, port: int = 0,
                 clock: Callable[[], float] = time.monotonic,
                 static_dir: Path = STATIC_DIR,
                 on_command: Callable[[str], None] | None = None) -> None:
        self.quiet, self.lan, self.port = quiet, lan, port
        self.clock = clock
        self.static_dir = static_dir
        self.on_command = on_command
        #: The session report, served at /report once the session has ended.
        self.report_path: Path | None = None
        self.token = secrets.token_urlsafe(16)
        self.url: str | None = None
        self.acks: list[dict[str, Any]] = []
        self.latencies_s: list[float] = []
        self._runner: web.AppRunner | None = None
        self._clients: set[asyncio.Queue[str | None]] = set()
        self._next_id = 0
        self._screen: list[dict[str, Any]] = []
        self._notified: dict[int, float] = {}
        self.connected = asyncio.Event()

    # ---- life ----------------------------------------------------------------------
    async def start(self) -> str:
        """Listen; returns the page's URL (with the token)."""
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/ws", self._ws)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/report", self._report)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        host = "0.0.0.0" if self.lan else "127.0.0.1"
        site = web.TCPSite(self._runner, host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            from hipsense.errors import HipsenseError
            raise HipsenseError(f"--port {self.port}: cannot listen on {host}: "
                                f"{exc.strerror or exc}") from None
        port = self._runner.addresses[0][1]
        shown_host = lan_address() if self.lan else "127.0.0.1"
        self.url = f"http://{shown_host}:{port}/?token={self.token}"
        return self.url

    async def close(self) -> None:
        """Tell the pages the server goes, and stop listening."""
        for q in list(self._clients):
            q.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- messages -----------------------------------------------------------------
    def publish(self, event: dict[str, Any]) -> None:
        """Push one message to every page (never blocks; a page that falls
        :data:`MAX_QUEUED` behind loses its oldest queued messages)."""
        self._next_id += 1
        event = {**event, "id": self._next_id}
        kind = event.get("type")
        if kind in _SCREENS:
            self._screen = [event]
        elif kind == "live":
            self._screen = [e for e in self._screen if e.get("type") == "set_begin"] + [event]
        elif kind == "session_end":
            self._screen.append(event)
        if event.get("notified_s") is not None:
            self._notified[self._next_id] = float(event["notified_s"])
            if len(self._notified) > MAX_ACKS:
                self._notified.pop(next(iter(self._notified)))
        text = json.dumps(event, allow_nan=False)
        for q in self._clients:
            if q.qsize() >= MAX_QUEUED:
                try:
                    q.get_nowait()
                except asyncio.QueueEmpty:
                    pass
            q.put_nowait(text)

    def _hello(self) -> dict[str, Any]:
        return {"type": "hello", "quiet": self.quiet, "id": 0}

    # ---- handlers -----------------------------------------------------------------
    def _check(self, request: web.Request) -> None:
        if not secrets.compare_digest(request.query.get("token", ""), self.token):
            raise web.HTTPForbidden(text="hipsense coach: this address needs its token "
                                         "(the URL hipsense record printed)")

    async def _index(self, request: web.Request) -> web.StreamResponse:
        self._check(request)
        return web.FileResponse(self.static_dir / "index.html",
                                headers={"Cache-Control": "no-store"})

    async def _report(self, request: web.Request) -> web.StreamResponse:
        self._check(request)
        if self.report_path is None or not self.report_path.is_file():
            raise web.HTTPNotFound(text="hipsense coach: no session report yet")
        return web.FileResponse(self.report_path, headers={"Cache-Control": "no-store"})

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = self.static_dir / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "no-store"})

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        self._check(request)
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        for event in [self._hello(), *self._screen]:
            queue.put_nowait(json.dumps(event, allow_nan=False))
        self._clients.add(queue)
        self.connected.set()
        sender = asyncio.ensure_future(self._send(ws, queue))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_ack(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._clients.discard(queue)
            sender.cancel()
            try:
                await sender
            except (asyncio.CancelledError, ConnectionError):
                pass
        return ws

    @staticmethod
    async def _send(ws: web.WebSocketResponse, queue: asyncio.Queue[str | None]) -> None:
        while True:
            text = await queue.get()
            if text is None:
                await ws.close()
                return
            await ws.send_str(text)

    def _on_ack(self, data: str) -> None:
        now = self.clock()
        try:
            ack = json.loads(data)
        except ValueError:
            return
        if isinstance(ack, dict) and ack.get("type") == "command":
            if ack.get("what") in COMMANDS and self.on_command is not None:
                self.on_command(ack["what"])
            return
        if not isinstance(ack, dict) or ack.get("type") != "ack":
            return
        if len(self.acks) < MAX_ACKS:
            self.acks.append(ack)
        sent = self._notified.pop(ack.get("id"), None) if isinstance(ack.get("id"), int) else None
        if sent is not None:
            self.latencies_s.append(now - sent)
