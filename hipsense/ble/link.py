"""The one reconnect helper every driver uses.

A :class:`Link` is the connection to one peripheral. After an unexpected
drop it reports ``"disconnected"``, connects again (with the driver's
``setup``: subscriptions, reads), and, when the driver was streaming, runs
its ``resume`` (subscribe to the data, start the stream again) before it
reports ``"reconnected"``. When the peripheral stays out of reach for
``reconnect_for_s`` it reports ``"lost"`` and gives up. Notifications that
reached the computer before the drop stay where the driver's sink put them;
nothing here touches them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bleak import BleakClient
from bleak.backends.device import BLEDevice

from hipsense.ble.client import BLE_ERRORS, device_name, open_client
from hipsense.errors import SensorError

log = logging.getLogger(__name__)

#: The link events, in the order a drop produces them ("lost" instead of
#: "reconnected" when the sensor stays out of reach).
DISCONNECTED, RECONNECTED, LOST = "disconnected", "reconnected", "lost"
LINK_EVENTS = (DISCONNECTED, RECONNECTED, LOST)


class Link:
    """A bleak connection that comes back by itself while it is wanted.

    ``setup(client)`` runs on every connection; ``resume()`` after a
    reconnect while :attr:`streaming`; ``on_drop()`` right after a drop (to
    fail a request in flight); ``on_event(what)`` gets the link events.
    """

    def __init__(self, device: BLEDevice | str, *, backend: Any = None,
                 reconnect_for_s: float = 60.0,
                 setup: Callable[[BleakClient], Awaitable[Any]] | None = None,
                 resume: Callable[[], Awaitable[None]] | None = None,
                 on_drop: Callable[[], None] | None = None,
                 on_event: Callable[[str], None] | None = None) -> None:
        self.device = device
        self.backend = backend
        self.reconnect_for_s = reconnect_for_s
        self.setup, self.resume, self.on_drop, self.on_event = setup, resume, on_drop, on_event
        self.client: BleakClient | None = None
        #: Set by the driver while it streams: a reconnect then runs ``resume``.
        self.streaming = False
        self.reconnects = 0
        self._closing = False
        self._reconnecting: asyncio.Task | None = None

    @property
    def name(self) -> str:
        return device_name(self.device)

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    async def open(self) -> Any:
        """Connect and run ``setup``; returns what it returned (SensorError on failure)."""
        self._closing = False
        self.client, result = await open_client(
            self.device, backend=self.backend, disconnected_callback=self._dropped,
            setup=self.setup)
        return result

    def require(self) -> BleakClient:
        """The connected client; SensorError when there is none."""
        if not self.connected:
            raise SensorError(f"{self.name} is not connected")
        assert self.client is not None
        return self.client

    async def start_streaming(self) -> None:
        """Start the stream (the driver's ``resume``) and keep it wanted across
        reconnects; a start that fails leaves the link not streaming."""
        assert self.resume is not None
        self.streaming = True
        try:
            await self.resume()
        except BaseException:
            self.streaming = False
            raise

    def stop_streaming(self) -> bool:
        """The stream is no longer wanted; True when the sensor is there to be told."""
        self.streaming = False
        return self.connected

    async def subscribe(self, uuid: str, sink: Callable[[float, bytes], None],
                        clock: Callable[[], float]) -> None:
        """Every notification of ``uuid`` to ``sink`` as (host time, bytes): the
        callback only enqueues, never works (the bleak queue pattern)."""
        def on_data(_char: Any, data: bytearray) -> None:
            sink(clock(), bytes(data))

        try:
            await self.require().start_notify(uuid, on_data)
        except BLE_ERRORS as exc:
            raise SensorError(f"cannot subscribe to the data: "
                              f"{exc or type(exc).__name__}") from None

    def _event(self, what: str) -> None:
        if self.on_event is not None:
            self.on_event(what)

    def _dropped(self, client: BleakClient) -> None:
        if self._closing or client is not self.client:
            return
        log.info("lost the connection to %s", self.name)
        self._event(DISCONNECTED)
        if self.on_drop is not None:
            self.on_drop()
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        deadline = time.monotonic() + self.reconnect_for_s
        wait_s = 0.1
        while not self._closing:
            try:
                await self.open()
                if self.streaming and self.resume is not None:
                    await self.resume()
                self.reconnects += 1
                self._event(RECONNECTED)
                return
            except (SensorError, *BLE_ERRORS) as exc:
                await self._drop_half_open()
                if time.monotonic() > deadline:
                    log.error("gave up reconnecting: %s", exc)
                    self._event(LOST)
                    return
                await asyncio.sleep(wait_s)
                wait_s = min(2 * wait_s, 2.0)

    async def _drop_half_open(self) -> None:
        """A connection whose setup or resume failed is closed before the next try."""
        client = self.client
        if client is not None and client.is_connected:
            self.client = None  # its disconnect is no drop
            try:
                await client.disconnect()
            except BLE_ERRORS:
                pass

    async def close(self, before: Callable[[], Awaitable[None]] | None = None) -> None:
        """Close for good: no reconnect after this. ``before`` runs first while
        the connection (if any) is still up (stop the stream)."""
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if before is not None:
            await before()
        if self.client is not None:
            try:
                await self.client.disconnect()
            except BLE_ERRORS:
                pass
        self.client = None
