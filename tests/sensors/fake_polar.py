"""A fake Polar Verity Sense for the in-process bleak backend: it answers the
PMD control point as the real one does (settings, start with a factor,
stop, error statuses) and streams a simulated recording in delta-compressed
ACC (type 1, mG) and GYRO (type 0, int16 times the factor) frames. A stream
cut by a disconnect goes on where it stopped at the next start, as the
sensor's own clock does."""

from __future__ import annotations

import asyncio

import numpy as np

from hipsense.sensors.polar.codec import (
    ACC, GYRO, OP_START, OP_STOP, PMD_CONTROL_UUID, PMD_DATA_UUID, PMD_SERVICE_UUID,
)
from hipsense.core import Recording

GYRO_FACTOR = np.float32(0.0152587890625)  # 500 / 32768 deg/s per count
SECONDS_2000_OFFSET = 800_000_000.0  # sensor time 0 is this many s after 2000-01-01


def _le(value: int, nbytes: int) -> bytes:
    return (int(value) % (1 << (8 * nbytes))).to_bytes(nbytes, "little")


def delta_block(width: int, deltas) -> bytes:
    """One delta block: width, sample count, then each delta's ``width`` bits
    (two's complement), least-significant bit first, channel by channel."""
    deltas = np.asarray(deltas, dtype=np.int64)
    bits = []
    for d in deltas.ravel():
        u = int(d) % (1 << width)
        bits += [(u >> i) & 1 for i in range(width)]
    bits += [0] * (-len(bits) % 8)
    packed = bytes(sum(b << i for i, b in enumerate(bits[k:k + 8]))
                   for k in range(0, len(bits), 8))
    return bytes([width, len(deltas)]) + packed


def delta_payload(samples: np.ndarray, ref_bytes: int = 2) -> bytes:
    """Reference sample, then one block of deltas just wide enough."""
    samples = np.asarray(samples, dtype=np.int64)
    out = b"".join(_le(v, ref_bytes) for v in samples[0])
    deltas = np.diff(samples, axis=0)
    if len(deltas):
        out += delta_block(max(1, int(np.max(np.abs(deltas))).bit_length() + 1), deltas)
    return out


def frame(mtype: int, frame_type: int, ts_ns: int, payload: bytes) -> bytes:
    return bytes([mtype]) + int(ts_ns).to_bytes(8, "little") + bytes([frame_type]) + payload


class FakeVeritySense:
    name = "Polar Sense B5A1E0A3"
    address = "A0:9E:1A:B5:A1:E0"

    def __init__(self, *recordings: Recording, per_frame: int = 9) -> None:
        """Streams the recordings one after the other, one per ACC+GYRO start."""
        self.recordings, self.per_frame = list(recordings), per_frame
        self.rec = self.recordings[0]
        self._frame = 0          # the next frame of self.rec
        self._cut = False        # a disconnect cut self.rec short: the next start resumes it
        self._sent_s = 0.0       # sensor time of the last frame sent
        #: acc (g) each ACC frame sent carries, by its bytes
        self.acc_frames: dict[bytes, np.ndarray] = {}
        self.on_link_lost = None
        self._notify = None
        self.streaming: set[int] = set()
        self._task: asyncio.Task | None = None
        self.finished = asyncio.Event()

    def advertisement(self):
        return {"local_name": self.name, "service_uuids": [PMD_SERVICE_UUID],
                "service_data": {}, "rssi": -64, "tx_power": 0}

    def gatt(self):
        return ((PMD_SERVICE_UUID, ((PMD_CONTROL_UUID, ["read", "write", "notify"]),
                                    (PMD_DATA_UUID, ["notify"]))),)

    def connect(self, notify) -> None:
        self._notify = notify

    def disconnect(self) -> None:
        self._cut = bool(self.streaming) and self._frame * self.per_frame < len(self.rec)
        self.streaming.clear()
        self._notify = None

    #: the feature read: 0x0F, then a bit per measurement type (PPG 1, ACC 2, GYRO 5)
    features = (1 << 1) | (1 << 2) | (1 << 5)
    rates = (26, 52, 104, 208, 416)

    def read(self, uuid: str) -> bytes:
        return bytes([0x0F, self.features])

    def write(self, uuid: str, data: bytes) -> None:
        op, mtype = data[0], data[1] if len(data) > 1 else 0
        if op == OP_START:
            rate = int.from_bytes(data[4:6], "little") if len(data) >= 6 else 0
            if mtype not in (ACC, GYRO) or not self.features & (1 << mtype):
                self._answer(op, mtype, 2)
            elif mtype in self.streaming:
                self._answer(op, mtype, 6)  # already in state
            elif rate not in self.rates:
                self._answer(op, mtype, 8)  # invalid sample rate
            else:
                self.streaming.add(mtype)
                factor = b"\x05\x01" + np.float32(
                    GYRO_FACTOR if mtype == GYRO else 1.0).tobytes()
                self._answer(op, mtype, 0, b"\x00" + factor)
                wanted = {ACC, GYRO} if self.features & (1 << GYRO) else {ACC}
                if self.streaming == wanted and (self._cut or self.recordings):
                    if not self._cut:
                        self.rec, self._frame = self.recordings.pop(0), 0
                    self._cut = False
                    self.finished.clear()
                    self._task = asyncio.get_running_loop().create_task(self._stream())
        elif op == OP_STOP:
            self._answer(op, mtype, 0 if mtype in self.streaming else 12)
            self.streaming.discard(mtype)
        else:
            self._answer(op, mtype, 1)

    def _answer(self, op: int, mtype: int, status: int, params: bytes = b"") -> None:
        if self._notify is not None:
            self._notify(PMD_CONTROL_UUID, bytes([0xF0, op, mtype, status]) + params)

    def host_clock(self) -> float:
        """A host clock for the driver: 10 ms after the last frame's sensor time."""
        return 5.0 + self._sent_s + 0.01

    async def _stream(self) -> None:
        t_ns = np.round((self.rec.time_s + SECONDS_2000_OFFSET) * 1e9).astype(np.int64)
        acc = np.round(self.rec.acc_g * 1000.0)
        gyr = np.round(self.rec.gyr_dps / float(GYRO_FACTOR))
        while self._frame * self.per_frame < len(t_ns):
            i = self._frame * self.per_frame
            j = min(i + self.per_frame, len(t_ns))
            if not self.streaming or self._notify is None:
                return
            self._frame += 1  # sent, whether or not it arrives
            self._sent_s = float(self.rec.time_s[j - 1])
            data = frame(ACC, 0x81, t_ns[j - 1], delta_payload(acc[i:j]))
            self.acc_frames[data] = acc[i:j] / 1000.0
            self._notify(PMD_DATA_UUID, data)
            if GYRO in self.streaming and self._notify is not None:
                self._notify(PMD_DATA_UUID, frame(GYRO, 0x80, t_ns[j - 1],
                                                  delta_payload(gyr[i:j])))
            await asyncio.sleep(0)
        self.finished.set()
