"""Polar Measurement Data (PMD) frames: pure decoding, bytes in, samples out.

Layout (polar-ble-sdk): byte 0 measurement type (ACC 2, GYRO 5); bytes 1-8
uint64 timestamp of the frame's last sample, ns since 2000-01-01; byte 9
frame type (bit 0x80: delta-compressed; low 7 bits: type); then the payload.

- Raw ACC, types 0/1/2: signed 8/16/24-bit little-endian per axis, mG.
- Raw GYRO, type 0: int16 times the factor, deg/s; type 1: float32 deg/s.
- Delta-compressed: a reference sample (each channel ``ceil(resolution/8)``
  bytes, little-endian, signed), then blocks ``[bit width, sample count,
  deltas]`` with the deltas bit-packed least-significant bit first, channel
  by channel, each sign-extended from its width and added to the previous
  sample. ACC type 0 arrives in g (times factor times 1000 gives mG, as the
  SDK does), ACC type 1 in mG times the factor; GYRO type 0 int16 times the
  factor; GYRO type 1 carries float32 bit patterns (32-bit, wrapping) whose
  floats times the factor are deg/s.

Timestamps per sample are reconstructed as the SDK does: from the previous
frame's timestamp when there is one (evenly between it and this frame's),
else back from this frame's last sample at the nominal rate (in integer
nanoseconds, where the SDK's doubles round to 128 ns).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hipsense.devices.base import PacketSink, Samples, SensorDriver, SensorInfo, StreamConfig, \
    StreamDecoder
from hipsense.devices.clock import ClockFit
from hipsense.errors import SensorDataError, SensorError

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

ACC, GYRO = 2, 5
KINDS = {ACC: "acc", GYRO: "gyro"}
HEADER = 10
#: 2000-01-01T00:00:00Z in Unix seconds (the PMD timestamp epoch).
EPOCH_2000_UNIX_S = 946684800
#: Timestamps at or above this (ns, 292 years) cannot be a frame's: the field is damaged.
MAX_TIMESTAMP_NS = (1 << 63) - 1


class PmdFrameError(SensorDataError):
    """A frame that cannot be decoded (truncated, inconsistent, unsupported):
    the only error the PMD decoders raise, whatever the bytes."""


@dataclass(frozen=True)
class PmdFrame:
    """A decoded frame: ``kind`` "acc" (mG) or "gyro" (deg/s); ``samples`` (n, 3);
    ``timestamps_ns`` (n,) since 2000-01-01, the last one the frame's own."""

    kind: str
    frame_type: int
    compressed: bool
    timestamp_ns: int
    samples: np.ndarray
    timestamps_ns: np.ndarray


def _signed_le(data: bytes, width_bytes: int, count: int) -> np.ndarray:
    """``count`` signed little-endian integers of ``width_bytes`` bytes (1-4)."""
    raw = np.frombuffer(data, dtype=np.uint8)[:count * width_bytes].reshape(count, width_bytes)
    value = np.zeros(count, dtype=np.int64)
    for k in range(width_bytes):
        value |= raw[:, k].astype(np.int64) << (8 * k)
    bits = 8 * width_bytes
    return np.where(value >= 1 << (bits - 1), value - (1 << bits), value)


def delta_decode(payload: bytes, channels: int, resolution_bits: int) -> np.ndarray:
    """Samples (n, channels) of a delta-compressed payload, as int64 (32-bit
    wrapping for resolution 32, so float bit patterns survive)."""
    ref_bytes = -(-resolution_bits // 8)
    if len(payload) < channels * ref_bytes:
        raise PmdFrameError(f"delta frame of {len(payload)} bytes is shorter than its "
                            f"reference sample ({channels * ref_bytes} bytes)")
    ref = _signed_le(payload, ref_bytes, channels)
    blocks = [ref[None, :]]
    offset = channels * ref_bytes
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise PmdFrameError(f"byte {offset}: delta block header cut short")
        width, count = payload[offset], payload[offset + 1]
        offset += 2
        if not 1 <= width <= 32:
            raise PmdFrameError(f"byte {offset - 2}: delta bit width {width} (1-32)")
        nbits = width * count * channels
        nbytes = -(-nbits // 8)
        if offset + nbytes > len(payload):
            raise PmdFrameError(f"byte {offset}: delta block needs {nbytes} bytes, "
                                f"{len(payload) - offset} left")
        bits = np.unpackbits(np.frombuffer(payload[offset:offset + nbytes], dtype=np.uint8),
                             bitorder="little")[:nbits].reshape(count * channels, width)
        value = (bits.astype(np.int64) << np.arange(width, dtype=np.int64)).sum(axis=1)
        value = np.where(value >= 1 << (width - 1), value - (1 << width), value)
        blocks.append(value.reshape(count, channels))
        offset += nbytes
    samples = np.cumsum(np.concatenate(blocks), axis=0)
    if resolution_bits >= 32:  # int32 arithmetic, as the SDK's
        samples = (samples + (1 << 31)) % (1 << 32) - (1 << 31)
    return samples


def sample_timestamps_ns(timestamp_ns: int, n: int, previous_timestamp_ns: int | None,
                         sample_rate_hz: float | None) -> np.ndarray:
    """Per-sample timestamps (ns) of a frame whose last sample is at ``timestamp_ns``."""
    if n <= 0:
        raise PmdFrameError("the frame has no samples")
    if not 0 <= timestamp_ns <= MAX_TIMESTAMP_NS:
        raise PmdFrameError(f"timestamp {timestamp_ns} ns is out of range (damaged)")
    if previous_timestamp_ns and not 0 < previous_timestamp_ns <= MAX_TIMESTAMP_NS:
        raise PmdFrameError(f"previous timestamp {previous_timestamp_ns} ns is out of range")
    if previous_timestamp_ns:
        if timestamp_ns <= previous_timestamp_ns:
            raise PmdFrameError(f"timestamp {timestamp_ns} ns is not after the previous "
                                f"frame's {previous_timestamp_ns} ns")
        step = (timestamp_ns - previous_timestamp_ns) / n
        times = previous_timestamp_ns + np.round(step * np.arange(1, n + 1)).astype(np.int64)
    else:
        if not sample_rate_hz or sample_rate_hz <= 0:
            raise PmdFrameError("the first frame's sample times need the sample rate")
        step = 1e9 / sample_rate_hz
        if timestamp_ns < step * (n - 1):
            raise PmdFrameError("sample times before 2000-01-01: bad timestamp or rate")
        times = timestamp_ns - np.round(step * np.arange(n - 1, -1, -1)).astype(np.int64)
    # offsets are computed apart from the 2^60-size timestamps: exact to 1 ns
    times[-1] = timestamp_ns
    return times


def decode_pmd_frame(data: bytes, *, previous_timestamp_ns: int | None = None,
                     sample_rate_hz: float | None = None, factor: float = 1.0,
                     resolution_bits: int = 16) -> PmdFrame:
    """Decode one PMD data notification (ACC or GYRO).

    ``resolution_bits`` applies to delta-compressed ACC type 1 (from the
    stream settings); ``factor`` is the start response's scale factor.
    Raises :class:`PmdFrameError`, and nothing else, for any bytes.
    """
    kind, ftype, compressed, timestamp, samples = decode_pmd_samples(
        data, factor=factor, resolution_bits=resolution_bits)
    times = sample_timestamps_ns(timestamp, len(samples), previous_timestamp_ns, sample_rate_hz)
    return PmdFrame(kind, ftype, compressed, timestamp, samples, times)


def decode_pmd_samples(data: bytes, *, factor: float = 1.0, resolution_bits: int = 16
                       ) -> tuple[str, int, bool, int, np.ndarray]:
    """A frame's kind, frame type, compression, timestamp (ns, its last
    sample's) and samples (n, 3), without the per-sample times."""
    data = bytes(data)
    if len(data) < HEADER:
        raise PmdFrameError(f"PMD frame of {len(data)} bytes, the header alone is {HEADER}")
    mtype = data[0]
    if mtype not in KINDS:
        raise PmdFrameError(f"measurement type {mtype} is neither ACC (2) nor GYRO (5)")
    kind = KINDS[mtype]
    timestamp = int.from_bytes(data[1:9], "little")
    if timestamp > MAX_TIMESTAMP_NS:
        raise PmdFrameError(f"timestamp {timestamp} ns is out of range (damaged)")
    compressed = bool(data[9] & 0x80)
    ftype = data[9] & 0x7F
    payload = data[HEADER:]
    if compressed:
        table = {("acc", 0): (16, factor * 1000.0, False),
                 ("acc", 1): (resolution_bits, factor, False),
                 ("gyro", 0): (16, factor, False),
                 ("gyro", 1): (32, factor, True)}
        if (kind, ftype) not in table:
            raise PmdFrameError(f"compressed {kind.upper()} frame type {ftype} is not known")
        res, scale, is_float = table[(kind, ftype)]
        ints = delta_decode(payload, 3, res)
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite: refused below
            if is_float:  # the 32-bit patterns as floats (a NaN among them warns)
                values = (ints.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32) \
                    .view(np.float32).astype(float)
            else:
                values = ints.astype(float)
            samples = values * scale
            if kind == "acc":  # the SDK truncates ACC to whole mG
                samples = np.trunc(samples)
    else:
        raw = {("acc", 0): (1, 1.0), ("acc", 1): (2, 1.0), ("acc", 2): (3, 1.0),
               ("gyro", 0): (2, factor)}
        if (kind, ftype) == ("gyro", 1):
            if len(payload) % 12:
                raise PmdFrameError(f"float GYRO payload of {len(payload)} bytes is not "
                                    "whole samples of 12 bytes")
            with np.errstate(over="ignore", invalid="ignore"):
                samples = np.frombuffer(payload, dtype="<f4").reshape(-1, 3).astype(float) * factor
        elif (kind, ftype) in raw:
            width, scale = raw[(kind, ftype)]
            if len(payload) % (3 * width):
                raise PmdFrameError(f"{kind.upper()} type {ftype} payload of {len(payload)} "
                                    f"bytes is not whole samples of {3 * width} bytes")
            n = len(payload) // (3 * width)
            with np.errstate(over="ignore", invalid="ignore"):
                samples = _signed_le(payload, width, 3 * n).reshape(n, 3).astype(float) * scale
        else:
            raise PmdFrameError(f"raw {kind.upper()} frame type {ftype} is not known")
    if not np.all(np.isfinite(samples)):
        raise PmdFrameError("the frame decodes to non-finite values")
    if not len(samples):
        raise PmdFrameError("the frame has no samples")
    return kind, ftype, compressed, timestamp, samples


# ---- the control point ----------------------------------------------------------------
OP_GET_SETTINGS, OP_START, OP_STOP = 0x01, 0x02, 0x03
SETTING_SAMPLE_RATE, SETTING_RESOLUTION, SETTING_RANGE, SETTING_FACTOR = 0, 1, 2, 5
_SETTING_SIZE = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1, 5: 4}
STATUS = ("success", "invalid op code", "invalid measurement type", "not supported",
          "invalid length", "invalid parameter", "already in state", "invalid resolution",
          "invalid sample rate", "invalid range", "invalid MTU", "invalid number of channels",
          "invalid state", "device in charger", "disk full")


def start_command(mtype: int, rate_hz: int, resolution_bits: int = 16,
                  range_value: int | None = None) -> bytes:
    """Start streaming one measurement with its settings (each: type, count 1, value)."""
    out = bytes([OP_START, mtype, SETTING_SAMPLE_RATE, 1]) + rate_hz.to_bytes(2, "little")
    out += bytes([SETTING_RESOLUTION, 1]) + resolution_bits.to_bytes(2, "little")
    if range_value is not None:
        out += bytes([SETTING_RANGE, 1]) + range_value.to_bytes(2, "little")
    return out


def stop_command(mtype: int) -> bytes:
    return bytes([OP_STOP, mtype])


def parse_settings(params: bytes) -> dict[int, list[float]]:
    """Settings as type -> values (the factor as float32, the rest as integers)."""
    out: dict[int, list[float]] = {}
    i = 0
    while i + 2 <= len(params):
        kind, count = params[i], params[i + 1]
        size = _SETTING_SIZE.get(kind)
        if size is None or i + 2 + size * count > len(params):
            raise PmdFrameError(f"settings byte {i}: unknown or cut-short setting {kind}")
        raw = params[i + 2:i + 2 + size * count]
        if kind == SETTING_FACTOR:
            out[kind] = list(np.frombuffer(raw, dtype="<f4").astype(float))
        else:
            out[kind] = [int.from_bytes(raw[k:k + size], "little")
                         for k in range(0, len(raw), size)]
        i += 2 + size * count
    return out


def parse_response(data: bytes) -> tuple[int, int, int, bytes]:
    """(op code, measurement type, status, parameters) of a control-point response."""
    data = bytes(data)
    if len(data) < 4 or data[0] != 0xF0:
        raise PmdFrameError(f"not a PMD control-point response: {data.hex()}")
    status = data[3]
    return data[1], data[2], status, data[5:] if status == 0 and len(data) > 5 else b""


# ---- the stream -----------------------------------------------------------------------
class PolarDecoder(StreamDecoder):
    """ACC and GYRO frames of one connection into 6-axis samples.

    The two streams arrive in separate frames with their own timestamps;
    each ACC sample gets the GYRO value interpolated at its time, once GYRO
    data covers it. Units: mG to g; the sensor clock is the PMD timestamp (s
    since 2000-01-01).

    A frame that cannot be decoded is counted (``bad_frame``) and skipped.
    A frame whose timestamp is not about one frame after the previous one is
    held until the next frame of its stream tells: when that one follows it,
    the stream jumped (lost frames, a pause) and its samples end at its
    timestamp; when that one follows the frame before it instead, its
    timestamp is damaged: it is counted in ``clock_outliers`` and its samples
    are placed at the nominal rate after the previous frame's, so one bad
    timestamp never moves or ends the stream.
    """

    #: Frames of one stream held back at most before the first one is decided.
    MAX_HELD = 3
    #: GYRO samples kept waiting for the ACC samples they fall between.
    MAX_GYRO = 4096

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        # the start responses' factors, kept in the configuration (ACC in g per mG-count)
        self.factors = {ACC: config.acc_g_per_lsb * 1000.0, GYRO: config.gyr_dps_per_lsb}
        self.clock = ClockFit()
        self._period_ns = 1e9 / config.rate_hz
        self._previous: dict[int, int | None] = {ACC: None, GYRO: None}
        self._held: dict[int, list[tuple[float, int, np.ndarray]]] = {ACC: [], GYRO: []}
        self._acc = (np.zeros(0), np.zeros((0, 3)))
        self._gyr = (np.zeros(0), np.zeros((0, 3)))
        self._last_s = {ACC: -np.inf, GYRO: -np.inf}
        self._acc_out_s = -np.inf
        self._outliers = 0
        self.bad: Counter = Counter()
        self.samples = 0
        self.clock_outliers = 0

    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        bad: Counter = Counter()
        self._outliers = 0
        for host, data in zip(host_time_s, payloads):
            try:
                mtype = data[0] if data else -1
                _, _, _, ts, values = decode_pmd_samples(data,
                                                         factor=self.factors.get(mtype, 1.0))
            except PmdFrameError:
                bad["bad_frame"] += 1
                continue
            self._frame(mtype, float(host), ts, values)
        self.bad.update(bad)
        return self._output(dict(bad))

    def end_stream(self, next_seq: int | None = None) -> Samples:
        self._outliers = 0
        for mtype in (ACC, GYRO):
            while self._held[mtype]:
                self._settle_first(mtype)
        return self._output({})

    # ---- the timestamps -----------------------------------------------------------------
    def _follows(self, previous_ns: int, ts: int, n: int) -> bool:
        """Is ``ts`` about one frame of ``n`` samples after ``previous_ns``?"""
        return 0.5 * n * self._period_ns < ts - previous_ns < 1.5 * n * self._period_ns

    def _frame(self, mtype: int, host: float, ts: int, values: np.ndarray) -> None:
        previous, held = self._previous[mtype], self._held[mtype]
        if previous is None and not held:
            self._take(mtype, host, ts, values, None)  # the stream's first frame
            return
        n = len(values)
        if previous is not None:
            # after held frames: does this one follow the last good frame, the
            # held ones taking their nominal places?
            before = previous + round(self._period_ns * sum(len(v) for _, _, v in held))
            if self._follows(before, ts, n):
                for h in held:
                    self._outlier(mtype, *h)
                held.clear()
                self._take(mtype, host, ts, values, self._previous[mtype])
                return
        if held and self._follows(held[-1][1], ts, n):  # the stream jumped at the last held
            jump = held.pop()
            for h in held:
                self._outlier(mtype, *h)
            held.clear()
            self._take(mtype, *jump, None)
            self._take(mtype, host, ts, values, jump[1])
            return
        held.append((host, ts, values))
        if len(held) > self.MAX_HELD:
            self._settle_first(mtype)

    def _settle_first(self, mtype: int) -> None:
        """No later frame tells: the first held frame is taken at its word if it
        is after the last good one, else placed as an outlier."""
        host, ts, values = self._held[mtype].pop(0)
        previous = self._previous[mtype]
        if previous is None or ts > previous:
            self._take(mtype, host, ts, values, None)
        else:
            self._outlier(mtype, host, ts, values)

    def _take(self, mtype: int, host: float, ts: int, values: np.ndarray,
              previous: int | None) -> None:
        """A frame whose timestamp holds: its samples evenly after the previous
        frame's (as the SDK), or back from its timestamp at the nominal rate."""
        try:
            times = sample_timestamps_ns(ts, len(values), previous, self.config.rate_hz)
        except PmdFrameError:  # before 2000-01-01 at this rate
            self._outlier(mtype, host, ts, values)
            return
        self._previous[mtype] = ts
        t = times / 1e9
        if mtype == ACC:
            self.clock.add(t[-1:], [host])
        self._append(mtype, t, values)

    def _outlier(self, mtype: int, host: float, ts: int, values: np.ndarray) -> None:
        self.clock_outliers += 1
        self._outliers += 1
        previous = self._previous[mtype]
        if previous is None:
            return  # nothing to place it after
        times = previous + np.round(self._period_ns * np.arange(1, len(values) + 1))
        self._previous[mtype] = int(times[-1])
        self._append(mtype, times / 1e9, values)

    def _append(self, mtype: int, t: np.ndarray, values: np.ndarray) -> None:
        keep = t > self._last_s[mtype]  # never back in time
        keep[1:] &= np.diff(t) > 0
        t, values = t[keep], values[keep]
        if not t.size:
            return
        self._last_s[mtype] = float(t[-1])
        if mtype == ACC:
            self._acc = (np.r_[self._acc[0], t], np.vstack([self._acc[1], values]))
        else:
            self._gyr = (np.r_[self._gyr[0], t], np.vstack([self._gyr[1], values]))

    # ---- the samples ----------------------------------------------------------------------
    def _output(self, bad: dict[str, int]) -> Samples:
        ta, va = self._acc
        if not self.config.gyroscope:  # H10: ACC only, the gyroscope columns stay zero
            self._acc = (np.zeros(0), np.zeros((0, 3)))
            self.samples += int(ta.size)
            return Samples(ta, self.clock.host_at(ta), va / 1000.0, np.zeros((ta.size, 3)),
                           bad=bad, clock_outliers=self._outliers)
        tg, vg = self._gyr
        ready = ta <= tg[-1] if tg.size else np.zeros(ta.size, dtype=bool)
        ready &= ta >= (tg[0] if tg.size else np.inf)
        t_out = ta[ready]
        gyr = np.column_stack([np.interp(t_out, tg, vg[:, i]) for i in range(3)]) \
            if t_out.size else np.zeros((0, 3))
        self._acc = (ta[~ready & (ta > (tg[-1] if tg.size else -np.inf))],
                     va[~ready & (ta > (tg[-1] if tg.size else -np.inf))])
        if t_out.size:
            self._acc_out_s = float(t_out[-1])
        # keep the GYRO samples later ACC samples may still need (a held ACC
        # frame comes after its GYRO frame), a bounded number of them
        first = max(int(np.searchsorted(tg, self._acc_out_s)) - 1, 0, tg.size - self.MAX_GYRO)
        self._gyr = (tg[first:], vg[first:])
        self.samples += int(t_out.size)
        return Samples(t_out, self.clock.host_at(t_out), va[ready] / 1000.0, gyr,
                       bad=bad, clock_outliers=self._outliers)

    def stats(self) -> dict[str, Any]:
        return {"samples": self.samples, "bad_frames": dict(self.bad),
                "clock_outliers": self.clock_outliers,
                "clock_offset_s": round(self.clock.offset_s, 6) if self.clock.ready else None,
                "clock_drift_ppm": round(self.clock.drift_ppm, 2) if self.clock.ready else None}


class PolarDriver(SensorDriver):
    """A Polar sensor over PMD: Verity Sense (ACC and GYRO, SDK-mode rates) or
    H10 (ACC only, 25-200 Hz). Which measurements exist comes from the
    control point's feature read (byte 1: one bit per measurement type)."""

    family = "polar"
    RATES_HZ = (26, 52, 104, 208, 416)

    def __init__(self, device: Any, *, backend: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._device, self._backend, self.clock = device, backend, clock
        self._client: Any = None
        self._responses: asyncio.Queue[bytes] = asyncio.Queue()
        self.factors: dict[int, float] = {}
        self.measurements: tuple[int, ...] = (ACC, GYRO)
        self.on_link = None

    async def connect(self) -> SensorInfo:
        from hipsense.ble.client import open_client

        async def setup(client: Any) -> bytes:
            await client.start_notify(PMD_CONTROL_UUID,
                                      lambda _c, d: self._responses.put_nowait(bytes(d)))
            return bytes(await client.read_gatt_char(PMD_CONTROL_UUID))

        self._client, features = await open_client(self._device, backend=self._backend,
                                                    setup=setup)
        bits = features[1] if len(features) > 1 and features[0] == 0x0F else 0
        if not bits & (1 << ACC):
            raise SensorError(f"{self._client.name} does not stream acceleration")
        self.measurements = (ACC, GYRO) if bits & (1 << GYRO) else (ACC,)
        return SensorInfo("polar", self._client.name, self._client.address)

    async def _command(self, data: bytes) -> bytes:
        from hipsense.ble.client import BLE_ERRORS

        try:
            await self._client.write_gatt_char(PMD_CONTROL_UUID, data, response=True)
            answer = await asyncio.wait_for(self._responses.get(), 5.0)
        except asyncio.TimeoutError:
            raise SensorError("the Polar sensor did not answer") from None
        except BLE_ERRORS as exc:
            raise SensorError(f"the Polar sensor: {exc or type(exc).__name__}") from None
        op, mtype, status, params = parse_response(answer)
        if status != 0:
            what = STATUS[status] if status < len(STATUS) else f"status {status}"
            raise SensorError(f"the Polar sensor refused to {'start' if op == OP_START else 'stop'}"
                              f" {KINDS.get(mtype, mtype)}: {what}")
        return params

    async def start(self, on_packet: PacketSink, rate_hz: float | None = None) -> StreamConfig:
        gyro = GYRO in self.measurements
        rate = int(rate_hz or (104 if gyro else 100))
        clock = self.clock
        await self._client.start_notify(PMD_DATA_UUID,
                                        lambda _c, d: on_packet(clock(), bytes(d)))
        self.factors = {GYRO: 0.0}
        for mtype in self.measurements:
            params = await self._command(start_command(mtype, rate))
            self.factors[mtype] = parse_settings(params).get(SETTING_FACTOR, [1.0])[0]
        return StreamConfig(float(rate), 8.0, 2000.0, self.factors[ACC] / 1000.0,
                            self.factors[GYRO], model="Polar Verity Sense" if gyro else
                            "Polar H10", gyroscope=gyro)

    async def stop(self) -> None:
        for mtype in self.measurements:
            await self._command(stop_command(mtype))
        await self._client.stop_notify(PMD_DATA_UUID)

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.disconnect()

    def decoder(self, config: StreamConfig) -> PolarDecoder:
        return PolarDecoder(config)
