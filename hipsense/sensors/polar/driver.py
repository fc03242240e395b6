"""Driver for Polar sensors (PMD over BLE) through bleak."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bleak import BleakClient

from hipsense.ble.client import BLE_ERRORS, ControlPoint
from hipsense.ble.link import Link
from hipsense.errors import SensorError
from hipsense.sensors.base import PacketSink, SensorDriver, SensorInfo, StreamConfig
from hipsense.sensors.polar.codec import (
    ACC, GYRO, KINDS, OP_START, PMD_CONTROL_UUID, PMD_DATA_UUID, SETTING_FACTOR, STATUS,
    PmdFrameError, parse_response, parse_settings, start_command, stop_command,
)
from hipsense.sensors.polar.stream import PolarDecoder

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5.0


class PolarDriver(SensorDriver):
    """A Polar sensor over PMD: Verity Sense (ACC and GYRO, SDK-mode rates) or
    H10 (ACC only, 25-200 Hz). Which measurements exist comes from the
    control point's feature read (byte 1: one bit per measurement type).
    Reconnects by itself after an unexpected drop and, if it was streaming,
    starts the measurements again (the gap is reported through ``on_link``)."""

    family = "polar"
    RATES_HZ = (26, 52, 104, 208, 416)

    def __init__(self, device: Any, *, backend: Any = None,
                 clock: Callable[[], float] = time.monotonic,
                 reconnect_for_s: float = 60.0) -> None:
        self.clock = clock
        self.control = ControlPoint(PMD_CONTROL_UUID, COMMAND_TIMEOUT_S)
        self.link = Link(device, backend=backend, reconnect_for_s=reconnect_for_s,
                         setup=self._setup, resume=self._start_stream,
                         on_drop=lambda: self.control.fail(
                             SensorError("the Polar sensor disconnected")),
                         on_event=self.report_link)
        self.factors: dict[int, float] = {}
        self.measurements: tuple[int, ...] = (ACC, GYRO)
        self._sink: PacketSink | None = None
        self._rate = 0
        self.on_link = None

    async def _setup(self, client: BleakClient) -> bytes:
        await client.start_notify(PMD_CONTROL_UUID, self.control.on_notify)
        return bytes(await client.read_gatt_char(PMD_CONTROL_UUID))

    async def connect(self) -> SensorInfo:
        features = await self.link.open()
        client = self.link.require()
        bits = features[1] if len(features) > 1 and features[0] == 0x0F else 0
        if not bits & (1 << ACC):
            raise SensorError(f"{client.name} does not stream acceleration")
        self.measurements = (ACC, GYRO) if bits & (1 << GYRO) else (ACC,)
        return SensorInfo("polar", client.name, client.address)

    async def _command(self, data: bytes) -> bytes:
        answer = await self.control.ask(self.link.require(), data, "the Polar sensor")
        try:
            op, mtype, status, params = parse_response(answer)
        except PmdFrameError as exc:
            raise SensorError(f"the Polar sensor: {exc}") from None
        if status != 0:
            what = STATUS[status] if status < len(STATUS) else f"status {status}"
            raise SensorError(f"the Polar sensor refused to {'start' if op == OP_START else 'stop'}"
                              f" {KINDS.get(mtype, mtype)}: {what}")
        return params

    async def start(self, on_packet: PacketSink, rate_hz: float | None = None) -> StreamConfig:
        gyro = GYRO in self.measurements
        self._rate = int(rate_hz or (104 if gyro else 100))
        self._sink = on_packet
        await self.link.start_streaming()
        return StreamConfig(float(self._rate), 8.0, 2000.0, self.factors[ACC] / 1000.0,
                            self.factors[GYRO], model="Polar Verity Sense" if gyro else
                            "Polar H10", gyroscope=gyro)

    async def _start_stream(self) -> None:
        assert self._sink is not None
        await self.link.subscribe(PMD_DATA_UUID, self._sink, self.clock)
        factors = {GYRO: 0.0}
        for mtype in self.measurements:
            params = await self._command(start_command(mtype, self._rate))
            try:
                factors[mtype] = parse_settings(params).get(SETTING_FACTOR, [1.0])[0]
            except PmdFrameError as exc:
                raise SensorError(f"the Polar sensor's start answer: {exc}") from None
        self.factors = factors

    async def stop(self) -> None:
        if not self.link.stop_streaming():
            return
        try:
            for mtype in self.measurements:
                await self._command(stop_command(mtype))
            await self.link.require().stop_notify(PMD_DATA_UUID)
        except (SensorError, *BLE_ERRORS) as exc:
            log.warning("stopping the stream: %s", exc)

    def decoder(self, config: StreamConfig) -> PolarDecoder:
        return PolarDecoder(config)
