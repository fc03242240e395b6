"""Driver for hipsense sensors (firmware_protocol/PROTOCOL.md) through bleak."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bleak import BleakClient
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice

from hipsense.ble.client import BLE_ERRORS, ControlPoint
from hipsense.ble.link import Link
from hipsense.errors import SensorError
from hipsense.sensors.base import PacketSink, SensorDriver, SensorInfo, StreamConfig
from hipsense.sensors.hipsense.codec import (
    BATTERY_LEVEL_UUID, CONTROL_UUID, DATA_UUID, MODEL_NUMBER_UUID,
)
from hipsense.sensors.hipsense.commands import (
    Config, Op, ResponseError, Result, encode_command, parse_response, seq_of_payload,
)
from hipsense.sensors.hipsense.stream import HipsenseDecoder

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5.0


class HipsenseDriver(SensorDriver):
    """One hipsense sensor. Reconnects by itself after an unexpected drop and,
    if it was streaming, restarts the stream (the gap is reported through
    ``on_link``)."""

    family = "hipsense"

    def __init__(self, device: BLEDevice | str, *, backend: type[BaseBleakClient] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 reconnect_for_s: float = 60.0) -> None:
        self.clock = clock
        self.control = ControlPoint(CONTROL_UUID, COMMAND_TIMEOUT_S)
        self.link = Link(device, backend=backend, reconnect_for_s=reconnect_for_s,
                         setup=self._subscribe_control, resume=self._start_stream,
                         on_drop=lambda: self.control.fail(
                             SensorError("the sensor disconnected")),
                         on_event=self.report_link)
        self._sink: PacketSink | None = None
        self._stream_params: tuple[int, int, int] | None = None
        self.info: SensorInfo | None = None
        self.config: Config | None = None
        self.on_link: Callable[[str, float], None] | None = None
        self._model = "hipsense sensor"

    # ---- connection -------------------------------------------------------------
    async def connect(self) -> SensorInfo:
        await self.link.open()
        client = self.link.require()
        battery = await self._read_optional(BATTERY_LEVEL_UUID)
        model = await self._read_optional(MODEL_NUMBER_UUID)
        self.info = SensorInfo("hipsense", client.name, client.address, None,
                               battery[0] if battery else None)
        try:
            self.config = Config.unpack(await self.command(Op.READ_CONFIG))
        except ResponseError as exc:
            raise SensorError(f"{self.link.name}: {exc}") from None
        self._model = model.decode(errors="replace") if model else "hipsense sensor"
        return self.info

    async def _subscribe_control(self, client: BleakClient) -> None:
        await client.start_notify(CONTROL_UUID, self.control.on_notify)

    async def _read_optional(self, uuid: str) -> bytes | None:
        client = self.link.require()
        if client.services.get_characteristic(uuid) is None:
            return None
        return bytes(await client.read_gatt_char(uuid))

    # ---- control point ------------------------------------------------------------
    async def command(self, op: Op, *params: int) -> bytes:
        """Send a command and wait for its result; the result's payload."""
        answer = await self.control.ask(self.link.require(), encode_command(op, *params),
                                        op.name)
        try:
            got_op, result, payload = parse_response(answer)
        except ResponseError as exc:
            raise SensorError(f"{op.name}: {exc}") from None
        if got_op != op or result != Result.OK:
            raise SensorError(f"the sensor refused {op.name}: {result.name.lower()}")
        return payload

    # ---- streaming ------------------------------------------------------------------
    async def start(self, on_packet: PacketSink, rate_hz: float | None = None) -> StreamConfig:
        cfg = self.config
        assert cfg is not None, "connect first"
        rate = int(round(rate_hz)) if rate_hz else cfg.rate_hz
        self._sink = on_packet
        self._stream_params = (rate, cfg.acc_range_g, cfg.gyr_range_dps)
        await self.link.start_streaming()
        return StreamConfig(float(rate), float(cfg.acc_range_g), float(cfg.gyr_range_dps),
                            cfg.acc_g_per_lsb, cfg.gyr_dps_per_lsb, self._model,
                            ".".join(map(str, cfg.firmware)))

    async def _start_stream(self) -> None:
        assert self._sink is not None and self._stream_params is not None
        await self.link.subscribe(DATA_UUID, self._sink, self.clock)
        self.next_seq = None
        self.first_seq = seq_of_payload(await self.command(Op.START, *self._stream_params))

    async def stop(self) -> None:
        if not self.link.stop_streaming():
            return
        self.next_seq = None
        try:
            self.next_seq = seq_of_payload(await self.command(Op.STOP))
            await self.link.require().stop_notify(DATA_UUID)
        except (SensorError, *BLE_ERRORS) as exc:
            log.warning("stopping the stream: %s", exc)

    def decoder(self, config: StreamConfig) -> HipsenseDecoder:
        return HipsenseDecoder(config)
