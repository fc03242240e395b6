"""Driver for hipsense sensors (firmware_protocol/PROTOCOL.md) through bleak."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import BaseBleakScanner

from hipsense.ble.client import BLE_ERRORS, device_name, open_client
from hipsense.devices.base import PacketSink, SensorDriver, SensorInfo, StreamConfig
from hipsense.errors import SensorError
from hipsense.protocol.codec import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, CONTROL_UUID, DATA_UUID, MODEL_NUMBER_UUID,
)
from hipsense.protocol.commands import (
    Config, Op, ResponseError, Result, encode_command, parse_response, seq_of_payload,
)
from hipsense.protocol.stream import HipsenseDecoder

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5.0


async def scan(timeout_s: float = 5.0, *, backend: type[BaseBleakScanner] | None = None
               ) -> list[tuple[SensorInfo, BLEDevice]]:
    """Sensors hipsense can use, strongest first: hipsense sensors, Polar
    sensors (PMD service or "Polar" name) and WitMotion IMUs (service ffe5 or
    "WT" name), with name, address, RSSI and the battery level when the
    sensor advertises it (Battery service data)."""
    from hipsense.devices import family_of

    try:
        found = await BleakScanner.discover(timeout_s, return_adv=True, backend=backend)
    except BLE_ERRORS as exc:
        raise SensorError(f"Bluetooth is not available here ({exc or type(exc).__name__}); "
                          "the virtual sensor works without it (--sensor virtual)") from None
    out = []
    for device, adv in found.values():
        name = adv.local_name or device.name or ""
        family = family_of(name, [u.lower() for u in adv.service_uuids])
        if family is None:
            continue
        battery = adv.service_data.get(BATTERY_SERVICE_UUID)
        out.append((SensorInfo(family, name, device.address, adv.rssi,
                               battery[0] if battery else None), device))
    return sorted(out, key=lambda x: -(x[0].rssi_dbm or -999))


class HipsenseDriver(SensorDriver):
    """One hipsense sensor. Reconnects by itself after an unexpected drop and,
    if it was streaming, restarts the stream (the gap is reported through
    ``on_link``)."""

    family = "hipsense"

    def __init__(self, device: BLEDevice | str, *, backend: type[BaseBleakClient] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 reconnect_for_s: float = 60.0) -> None:
        self._device = device
        self._backend = backend
        self.clock = clock
        self._reconnect_for_s = reconnect_for_s
        self._client: BleakClient | None = None
        self._response: asyncio.Future | None = None
        self._sink: PacketSink | None = None
        self._stream_params: tuple[int, int, int] | None = None
        self._closing = False
        self._reconnecting: asyncio.Task | None = None
        self.info: SensorInfo | None = None
        self.config: Config | None = None
        self.on_link: Callable[[str, float], None] | None = None
        self.reconnects = 0
        self._model = "hipsense sensor"

    # ---- connection -------------------------------------------------------------
    async def connect(self) -> SensorInfo:
        await self._open()
        client = self._require()
        battery = await self._read_optional(BATTERY_LEVEL_UUID)
        model = await self._read_optional(MODEL_NUMBER_UUID)
        self.info = SensorInfo("hipsense", client.name, client.address, None,
                               battery[0] if battery else None)
        try:
            self.config = Config.unpack(await self.command(Op.READ_CONFIG))
        except ResponseError as exc:
            raise SensorError(f"{self._device_name()}: {exc}") from None
        self._model = model.decode(errors="replace") if model else "hipsense sensor"
        return self.info

    async def _open(self) -> None:
        self._client, _ = await open_client(
            self._device, backend=self._backend, disconnected_callback=self._dropped,
            setup=lambda c: c.start_notify(CONTROL_UUID, self._on_control))

    def _device_name(self) -> str:
        return device_name(self._device)

    async def _read_optional(self, uuid: str) -> bytes | None:
        client = self._require()
        if client.services.get_characteristic(uuid) is None:
            return None
        return bytes(await client.read_gatt_char(uuid))

    def _require(self) -> BleakClient:
        if self._client is None or not self._client.is_connected:
            raise SensorError(f"{self._device_name()} is not connected")
        return self._client

    def _dropped(self, client: BleakClient) -> None:
        if self._closing or client is not self._client:
            return
        t = self.clock()
        log.info("lost the connection to %s", self._device_name())
        if self.on_link is not None:
            self.on_link("disconnected", t)
        if self._response is not None and not self._response.done():
            self._response.set_exception(SensorError("the sensor disconnected"))
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        deadline = time.monotonic() + self._reconnect_for_s
        wait_s = 0.1
        while not self._closing:
            try:
                await self._open()
                if self._stream_params is not None:
                    await self._start_stream()
                self.reconnects += 1
                if self.on_link is not None:
                    self.on_link("reconnected", self.clock())
                return
            except SensorError as exc:
                if time.monotonic() > deadline:
                    log.error("gave up reconnecting: %s", exc)
                    if self.on_link is not None:
                        self.on_link("lost", self.clock())
                    return
                await asyncio.sleep(wait_s)
                wait_s = min(2 * wait_s, 2.0)

    # ---- control point ------------------------------------------------------------
    def _on_control(self, _char: Any, data: bytearray) -> None:
        if self._response is not None and not self._response.done():
            self._response.set_result(bytes(data))

    async def command(self, op: Op, *params: int) -> bytes:
        """Send a command and wait for its result; the result's payload."""
        client = self._require()
        self._response = asyncio.get_running_loop().create_future()
        try:
            await client.write_gatt_char(CONTROL_UUID, encode_command(op, *params), response=True)
            answer = await asyncio.wait_for(self._response, COMMAND_TIMEOUT_S)
        except asyncio.TimeoutError:
            raise SensorError(f"{op.name}: the sensor did not answer within "
                              f"{COMMAND_TIMEOUT_S:.0f} s") from None
        except BLE_ERRORS as exc:
            raise SensorError(f"{op.name}: {exc}") from None
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
        await self._start_stream()
        return StreamConfig(float(rate), float(cfg.acc_range_g), float(cfg.gyr_range_dps),
                            cfg.acc_g_per_lsb, cfg.gyr_dps_per_lsb, self._model,
                            ".".join(map(str, cfg.firmware)))

    async def _start_stream(self) -> None:
        client = self._require()
        sink, clock = self._sink, self.clock
        assert sink is not None and self._stream_params is not None

        def on_data(_char: Any, data: bytearray) -> None:
            sink(clock(), bytes(data))  # only enqueue: never work in the BLE callback

        try:
            await client.start_notify(DATA_UUID, on_data)
        except BLE_ERRORS as exc:
            raise SensorError(f"cannot subscribe to the data: {exc}") from None
        self.next_seq = None
        self.first_seq = seq_of_payload(await self.command(Op.START, *self._stream_params))

    async def stop(self) -> None:
        self._stream_params = None
        if self._client is None or not self._client.is_connected:
            return
        self.next_seq = None
        try:
            self.next_seq = seq_of_payload(await self.command(Op.STOP))
            await self._client.stop_notify(DATA_UUID)
        except (SensorError, *BLE_ERRORS) as exc:
            log.warning("stopping the stream: %s", exc)

    async def disconnect(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._stream_params is not None:
            await self.stop()
        if self._client is not None:
            try:
                await self._client.disconnect()
            except BLE_ERRORS:
                pass
        self._client = None

    def decoder(self, config: StreamConfig) -> HipsenseDecoder:
        return HipsenseDecoder(config)
