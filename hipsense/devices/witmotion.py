"""WitMotion BLE 5.0 IMUs (WT901BLE and kin): pure decoding of notifications.

Service 0000ffe5-0000-1000-8000-00805f9a34fb (note the 9a), notify ffe4,
write ffe9. A notification holds one or more 20-byte records: 0x55, a flag,
then 9 int16 little-endian. Flag 0x61 is the motion record: acceleration
(x / 32768 * 16 g), angular rate (x / 32768 * 2000 deg/s) and Euler angles
(x / 32768 * 180 deg); flag 0x71 answers a register read (skipped here).
The records carry no timestamp or counter: host arrival time only.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hipsense.devices.base import PacketSink, Samples, SensorDriver, SensorInfo, StreamConfig, \
    StreamDecoder
from hipsense.devices.clock import ClockFit
from hipsense.errors import SensorDataError

WIT_SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
WIT_NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WIT_WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

RECORD = 20
MOTION, REGISTER = 0x61, 0x71
UNLOCK = bytes([0xFF, 0xAA, 0x69, 0x88, 0xB5])
SAVE = bytes([0xFF, 0xAA, 0x00, 0x00, 0x00])
#: Output rate codes of the rate register (0x03).
RATE_CODES = {0.2: 0x01, 0.5: 0x02, 1: 0x03, 2: 0x04, 5: 0x05, 10: 0x06, 20: 0x07, 50: 0x08,
              100: 0x09, 200: 0x0B}


class WitFrameError(SensorDataError):
    """A notification that is not whole WitMotion records: the only error
    :func:`decode_notification` raises, whatever the bytes."""


@dataclass(frozen=True)
class WitSamples:
    """The motion records of one notification: (n, 3) each."""

    acc_g: np.ndarray
    gyr_dps: np.ndarray
    angle_deg: np.ndarray

    def __len__(self) -> int:
        return len(self.acc_g)


def rate_command(rate_hz: float) -> bytes:
    """The register write that sets the output rate (send after :data:`UNLOCK`)."""
    if rate_hz not in RATE_CODES:
        raise ValueError(f"WitMotion rates are {sorted(RATE_CODES)} Hz, not {rate_hz}")
    return bytes([0xFF, 0xAA, 0x03, RATE_CODES[rate_hz], 0x00])


def decode_notification(data: bytes) -> WitSamples:
    """Every motion record of a notification, in order."""
    data = bytes(data)
    if len(data) % RECORD:
        raise WitFrameError(f"{len(data)} bytes is not whole 20-byte records")
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    bad = np.flatnonzero(raw[:, 0] != 0x55)
    if bad.size:
        raise WitFrameError(f"byte {bad[0] * RECORD}: record starts with "
                            f"0x{raw[bad[0], 0]:02x}, not 0x55")
    flags = raw[:, 1]
    unknown = np.flatnonzero((flags != MOTION) & (flags != REGISTER))
    if unknown.size:
        raise WitFrameError(f"byte {unknown[0] * RECORD + 1}: unknown record flag "
                            f"0x{flags[unknown[0]]:02x}")
    motion = raw[flags == MOTION, 2:]
    values = np.ascontiguousarray(motion).view("<i2").astype(float).reshape(-1, 9) / 32768.0
    return WitSamples(values[:, 0:3] * 16.0, values[:, 3:6] * 2000.0, values[:, 6:9] * 180.0)


# ---- the stream: host time only ------------------------------------------------------
class WitMotionDecoder(StreamDecoder):
    """WitMotion notifications into samples on a smoothed host clock.

    The records carry no time or counter. Sample k is placed at the lower
    edge of (k * nominal period, arrival time) pairs fitted by a
    :class:`ClockFit`, which estimates the sensor's true rate (its slope) and
    the shortest latency (its offset). A notification that comes later after
    the previous one than its samples take, by more than :data:`GAP_MIN_S`
    (or 2.5 periods), means lost notifications: the sample index skips the
    missing samples (to within the delivery jitter), so the gap stays a gap
    in time.
    """

    #: Shortest gap detected (s): BLE delivery jitter stays well below it.
    GAP_MIN_S = 0.06

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        self.clock = ClockFit()
        self._period = 1.0 / config.rate_hz
        self._next = 0       # index of the next sample
        self._last_host: float | None = None
        self._last_time = -np.inf
        self.lost_samples = 0
        self.gaps = 0
        self.bad: Counter = Counter()
        self.samples = 0

    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        times, acc, gyr = [], [], []
        bad: Counter = Counter()
        for host, data in zip(host_time_s, payloads):
            try:
                s = decode_notification(data)
            except WitFrameError:
                bad["bad_notification"] += 1
                continue
            m = len(s)
            if m == 0:
                continue
            if self._last_host is not None:
                # more time since the last notification than its samples take:
                # notifications were lost on the way
                period = self._period / (1 + self.clock.drift_ppm * 1e-6)
                late = host - self._last_host - m * period
                if late > max(self.GAP_MIN_S, 2.5 * period):
                    skip = int(round(late / period))
                    self._next += skip
                    self.lost_samples += skip
                    self.gaps += 1
            self._last_host = float(host)
            index = self._next + np.arange(m)
            self.clock.add([(index[-1]) * self._period], [host])
            times.append(index * self._period)
            acc.append(s.acc_g)
            gyr.append(s.gyr_dps)
            self._next += m
        self.bad.update(bad)
        if not times:
            z = np.zeros(0)
            return Samples(z, z, np.zeros((0, 3)), np.zeros((0, 3)), bad=dict(bad))
        nominal = np.concatenate(times)
        host = self.clock.host_at(nominal)
        # the fit moves between batches: never let time run backwards
        floor = self._last_time + 0.5 * self._period * np.arange(1, host.size + 1)
        host = np.maximum(np.maximum.accumulate(host), floor)
        self._last_time = float(host[-1])
        self.samples += nominal.size
        return Samples(host, host, np.vstack(acc), np.vstack(gyr), bad=dict(bad))

    def stats(self) -> dict[str, Any]:
        return {"samples": self.samples, "lost_samples_estimated": self.lost_samples,
                "gaps": self.gaps, "bad_notifications": dict(self.bad),
                "rate_hz_estimated": round(self.config.rate_hz /
                                           (1 + self.clock.drift_ppm * 1e-6), 4)}


class WitMotionDriver(SensorDriver):
    """A WitMotion BLE 5.0 IMU (WT901BLE): unlock, set the rate, stream."""

    family = "witmotion"

    def __init__(self, device: Any, *, backend: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._device, self._backend, self.clock = device, backend, clock
        self._client: Any = None
        self.on_link = None

    async def connect(self) -> SensorInfo:
        from hipsense.ble.client import open_client

        self._client, _ = await open_client(self._device, backend=self._backend)
        return SensorInfo("witmotion", self._client.name, self._client.address)

    async def start(self, on_packet: PacketSink, rate_hz: float | None = None) -> StreamConfig:
        rate = rate_hz or 100
        clock = self.clock
        await self._client.start_notify(WIT_NOTIFY_UUID,
                                        lambda _c, d: on_packet(clock(), bytes(d)))
        for command in (UNLOCK, rate_command(rate), SAVE):
            await self._client.write_gatt_char(WIT_WRITE_UUID, command, response=False)
        return StreamConfig(float(rate), 16.0, 2000.0, 16 / 32768, 2000 / 32768,
                            model="WitMotion WT901BLE")

    async def stop(self) -> None:
        await self._client.stop_notify(WIT_NOTIFY_UUID)

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.disconnect()

    def decoder(self, config: StreamConfig) -> WitMotionDecoder:
        return WitMotionDecoder(config)
