"""A fake WitMotion WT901BLE for the in-process bleak backend: after the
unlock and a rate write it streams ``n`` motion records, two per
notification, whose acc x carries the record's number (so a test can tell
which arrived); or, given recordings, the next recording's samples at each
new start. A stream cut by a disconnect goes on where it stopped at the next
unlock and rate write."""

from __future__ import annotations

import asyncio
import struct

import numpy as np

from hipsense.core import Recording
from hipsense.sensors.witmotion.codec import (
    RECORD, UNLOCK, WIT_NOTIFY_UUID, WIT_SERVICE_UUID, WIT_WRITE_UUID,
)


def motion_record(k: int) -> bytes:
    """A motion record: acc x = k counts, acc z = 1 g, the rest zero."""
    return bytes([0x55, 0x61]) + struct.pack("<9h", k % 32768, 0, 2048, 0, 0, 0, 0, 0, 0)


def acc_g_of(data: bytes) -> np.ndarray:
    """The acc (g) of a notification's motion records, decoded here, by hand."""
    out = []
    for i in range(0, len(data), RECORD):
        if data[i + 1] == 0x61:
            out.append(np.array(struct.unpack_from("<3h", data, i + 2), dtype=float)
                       / 32768.0 * 16.0)
    return np.array(out).reshape(-1, 3)


def recording_records(rec: Recording) -> list[bytes]:
    """A recording as motion records at the sensor's resolution (Euler angles zero)."""
    acc = np.clip(np.round(rec.acc_g / 16.0 * 32768.0), -32768, 32767)
    gyr = np.clip(np.round(rec.gyr_dps / 2000.0 * 32768.0), -32768, 32767)
    values = np.hstack([acc, gyr, np.zeros((len(rec), 3))]).astype("<i2")
    return [bytes([0x55, 0x61]) + row.tobytes() for row in values]


class FakeWitMotion:
    name = "WT901BLE68"
    address = "E4:5F:01:AA:BB:CC"
    rate_hz = 100.0

    def __init__(self, n: int = 0, *recordings: Recording) -> None:
        self.n, self.on_link_lost, self._notify = n, None, None
        self.writes: list[bytes] = []
        self.finished = asyncio.Event()
        self._next = 0  # the next record's number
        self._queue = [recording_records(rec) for rec in recordings]
        self._records: list[bytes] | None = None  # the recording being streamed
        self._t0_s = 7.0  # host time of this recording's first record

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
        unlocked = bool(self.writes) and self.writes[-1] == UNLOCK
        self.writes.append(bytes(data))
        if not (unlocked and data[2] == 0x03):  # the rate write starts the stream
            return
        if self._next >= self.n and self._queue:  # the next recording, 2 s later
            self._t0_s += self._next / self.rate_hz + 2.0
            self._records, self._next = self._queue.pop(0), 0
            self.n = len(self._records)
        if self._next < self.n:
            self.finished.clear()
            asyncio.get_running_loop().create_task(self._stream())

    def host_clock(self) -> float:
        """A host clock for the driver: 8 ms after the last record's time."""
        return self._t0_s + self._next / self.rate_hz + 0.008

    def _record(self, k: int) -> bytes:
        return motion_record(k) if self._records is None else self._records[k]

    async def _stream(self) -> None:
        while self._next < self.n:  # two records per notification
            if self._notify is None:
                return
            k, self._next = self._next, min(self._next + 2, self.n)
            self._notify(WIT_NOTIFY_UUID, b"".join(self._record(i) for i in range(k, self._next)))
            await asyncio.sleep(0)
        self.finished.set()
