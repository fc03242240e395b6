"""Driver for WitMotion BLE 5.0 IMUs (WT901BLE and kin) through bleak."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from hipsense.ble.client import BLE_ERRORS
from hipsense.ble.link import Link
from hipsense.errors import SensorError
from hipsense.sensors.base import PacketSink, SensorDriver, SensorInfo, StreamConfig
from hipsense.sensors.witmotion.codec import (
    SAVE, UNLOCK, WIT_NOTIFY_UUID, WIT_WRITE_UUID, rate_command,
)
from hipsense.sensors.witmotion.stream import WitMotionDecoder

log = logging.getLogger(__name__)


class WitMotionDriver(SensorDriver):
    """A WitMotion BLE 5.0 IMU (WT901BLE): unlock, set the rate, stream.
    Reconnects by itself after an unexpected drop and, if it was streaming,
    sets the rate and subscribes again (the gap is reported through
    ``on_link``)."""

    family = "witmotion"

    def __init__(self, device: Any, *, backend: Any = None,
                 clock: Callable[[], float] = time.monotonic,
                 reconnect_for_s: float = 60.0) -> None:
        self.clock = clock
        self.link = Link(device, backend=backend, reconnect_for_s=reconnect_for_s,
                         resume=self._start_stream, on_event=self.report_link)
        self._sink: PacketSink | None = None
        self._rate: float = 100
        self.on_link = None

    async def connect(self) -> SensorInfo:
        await self.link.open()
        client = self.link.require()
        return SensorInfo("witmotion", client.name, client.address)

    async def start(self, on_packet: PacketSink, rate_hz: float | None = None) -> StreamConfig:
        self._rate = rate_hz or 100
        self._sink = on_packet
        await self.link.start_streaming()
        return StreamConfig(float(self._rate), 16.0, 2000.0, 16 / 32768, 2000 / 32768,
                            model="WitMotion WT901BLE")

    async def _start_stream(self) -> None:
        assert self._sink is not None
        commands = (UNLOCK, rate_command(self._rate), SAVE)  # ValueError: a rate it lacks
        await self.link.subscribe(WIT_NOTIFY_UUID, self._sink, self.clock)
        try:
            for command in commands:
                await self.link.require().write_gatt_char(WIT_WRITE_UUID, command,
                                                          response=False)
        except BLE_ERRORS as exc:
            raise SensorError(f"cannot start the WitMotion stream: "
                              f"{exc or type(exc).__name__}") from None

    async def stop(self) -> None:
        if not self.link.stop_streaming():
            return
        try:
            await self.link.require().stop_notify(WIT_NOTIFY_UUID)
        except BLE_ERRORS as exc:
            log.warning("stopping the stream: %s", exc)

    def decoder(self, config: StreamConfig) -> WitMotionDecoder:
        return WitMotionDecoder(config)
