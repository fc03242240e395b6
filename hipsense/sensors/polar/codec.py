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

from dataclasses import dataclass

import numpy as np

from hipsense.errors import SensorDataError

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
