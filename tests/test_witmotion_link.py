"""WitMotion: host-time-only samples on a smoothed clock, gaps found, and the
driver through bleak's public API with a fake device."""

from __future__ import annotations

import asyncio
import struct

import numpy as np

from hipsense.virtual.backend import VirtualClientBackend, advertise
from hipsense.sensors.base import StreamConfig
from hipsense.sensors.witmotion.codec import (
    UNLOCK, WIT_NOTIFY_UUID, WIT_SERVICE_UUID, WIT_WRITE_UUID, rate_command,
)
from hipsense.sensors.witmotion.driver import WitMotionDriver
from hipsense.sensors.witmotion.stream import WitMotionDecoder

CONFIG = StreamConfig(100.0, 16.0, 2000.0, 16 / 32768, 2000 / 32768)


def _record(k: int) -> bytes:
    # acc x carries the sample number so the test can tell which samples arrived
    return bytes([0x55, 0x61]) + struct.pack("<9h", k % 32768, 0, 2048, 0, 0, 0, 0, 0, 0)


def _stream(n: int, true_period_s: float, lost: range, seed: int = 0):
    rng = np.random.default_rng(seed)
    t_true = 50.0 + true_period_s * np.arange(n)
    host = t_true + 0.004 + rng.exponential(0.006, n)  # BLE latency: never negative
    host = np.maximum.accumulate(host)  # notifications arrive in order
    keep = np.array([k not in lost for k in range(n)])
    return t_true[keep], host[keep], [_record(k) for k in range(n) if k not in lost]


def test_smoothed_host_clock_and_detected_gap():
    period = 0.01 * 1.005  # the sensor runs 0.5 % slow
    t_true, host, payloads = _stream(6000, period, lost=range(3000, 3025))
    dec = WitMotionDecoder(CONFIG)
    out = [dec.feed(host[i:i + 10], payloads[i:i + 10]) for i in range(0, len(host), 10)]
    t = np.concatenate([s.time_s for s in out])
    assert t.size == len(t_true) and np.all(np.diff(t) > 0)
    assert dec.gaps == 1 and abs(dec.lost_samples - 25) <= 2
    # after the first 10 s the smoothed times track the true ones (plus the least
    # latency, 4 ms) within 3 ms, where raw arrival times scatter by 20 ms
    late = t_true > 60.0
    err = t[late] - t_true[late] - 0.004
    assert np.abs(err).max() < 0.003
    assert abs(dec.stats()["rate_hz_estimated"] - 1 / period) < 0.05


class FakeWitMotion:
    name = "WT901BLE68"
    address = "E4:5F:01:AA:BB:CC"

    def __init__(self, n: int) -> None:
        self.n, self.on_link_lost, self._notify = n, None, None
        self.writes: list[bytes] = []
        self.finished = asyncio.Event()

    def advertisement(self):
        return {"local_name": self.name, "service_uuids": [WIT_SERVICE_UUID],
                "service_data": {}, "rssi": -70, "tx_power": 0}

    def gatt(self):
        return ((WIT_SERVICE_UUID, ((WIT_NOTIFY_UUID, ["notify"]),
                                    (WIT_WRITE_UUID, ["write-without-response", "write"]))),)

    def connect(self, notify) -> None:
        self._notify = notify

    def disconnect(self) -> None:
        self._notify = None

    def read(self, uuid: str) -> bytes:
        return b""

    def write(self, uuid: str, data: bytes) -> None:
        self.writes.append(bytes(data))
        if len(self.writes) == 2:  # unlocked and rate set: stream
            asyncio.get_running_loop().create_task(self._stream())

    async def _stream(self) -> None:
        for k in range(0, self.n, 2):  # two records per notification
            self._notify(WIT_NOTIFY_UUID, _record(k) + _record(k + 1))
            await asyncio.sleep(0)
        self.finished.set()


def test_witmotion_driver_through_bleak():
    device = FakeWitMotion(400)
    advertise(device)
    arrivals = iter(np.arange(1000) * 0.02 + 7.0)

    async def go():
        driver = WitMotionDriver(device.address, backend=VirtualClientBackend,
                                 clock=lambda: next(arrivals))
        info = await driver.connect()
        got = []
        config = await driver.start(lambda h, p: got.append((h, p)), 100)
        await device.finished.wait()
        await driver.stop()
        await driver.disconnect()
        s = driver.decoder(config).feed(np.array([h for h, _ in got]), [p for _, p in got])
        return info, s

    info, s = asyncio.run(go())
    assert info.family == "witmotion"
    assert device.writes[:2] == [UNLOCK, rate_command(100)]
    assert len(s) == 400
    np.testing.assert_array_equal(np.round(s.acc_g[:, 0] * 32768 / 16), np.arange(400))
    np.testing.assert_allclose(s.acc_g[:, 2], 1.0)
