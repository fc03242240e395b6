"""The hipsense sensor's BLE packet codec (firmware_protocol/PROTOCOL.md, v1).

Decoding is vectorised over many notifications at once: the payloads are
joined into one byte array, headers are read with fancy indexing, and every
sample is taken in one gather, so a receiver decodes millions of samples per
second. Invalid packets are rejected with a code and counted, never raised.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

PROTOCOL_VERSION = 1
NAME_PREFIX = "hipsense-"
SERVICE_UUID = "6e1b0001-8f4c-4a2e-9d1a-5c3b7e2f1a90"
DATA_UUID = "6e1b0002-8f4c-4a2e-9d1a-5c3b7e2f1a90"
CONTROL_UUID = "6e1b0003-8f4c-4a2e-9d1a-5c3b7e2f1a90"
CONFIG_UUID = "6e1b0004-8f4c-4a2e-9d1a-5c3b7e2f1a90"
# the standard services a hipsense sensor also has
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
DEVICE_INFO_SERVICE_UUID = "0000180a-0000-1000-8000-00805f9b34fb"
MANUFACTURER_UUID = "00002a29-0000-1000-8000-00805f9b34fb"
MODEL_NUMBER_UUID = "00002a24-0000-1000-8000-00805f9b34fb"
FIRMWARE_UUID = "00002a26-0000-1000-8000-00805f9b34fb"

FORMAT_FULL = 0x01
FORMAT_COMPACT = 0x81
FULL_HEADER = 11
COMPACT_HEADER = 8
SAMPLE_BYTES = 12
MAX_SAMPLES = 19
COMPACT_SIZE = COMPACT_HEADER + SAMPLE_BYTES  # 20

ERRORS = ("too_short", "bad_version", "bad_format", "bad_count", "bad_length", "bad_period")


def encode_packet(seq: int, t0_us: int, samples: np.ndarray, period_us: int | None = None,
                  *, compact: bool = False) -> bytes:
    """One data packet. ``samples``: (n, 6) int16 counts (acc x y z, gyro x y z)."""
    samples = np.asarray(samples, dtype="<i2").reshape(-1, 6)
    head = struct.pack("<BBHI", PROTOCOL_VERSION, FORMAT_COMPACT if compact else FORMAT_FULL,
                       seq & 0xFFFF, t0_us & 0xFFFFFFFF)
    if compact:
        if len(samples) != 1:
            raise ValueError("a compact packet carries exactly one sample")
        return head + samples.tobytes()
    if not 1 <= len(samples) <= MAX_SAMPLES:
        raise ValueError(f"a full packet carries 1 to {MAX_SAMPLES} samples")
    if period_us is None or not 0 < period_us <= 0xFFFF:
        raise ValueError("a full packet needs a period of 1 to 65535 us")
    return head + struct.pack("<BH", len(samples), period_us) + samples.tobytes()


@dataclass
class Decoded:
    """Decoded packets, in arrival order (rejected ones left out).

    ``seq``, ``t0_us``, ``period_us`` (0 for compact packets) and ``count`` are
    per accepted packet; ``samples`` (int16 counts, (n, 6)), ``packet`` (index
    into the accepted packets) and ``offset`` (k, the sample's place in its
    packet) are per sample. ``errors`` maps each rejected payload's index (in
    the input) to its error code.
    """

    seq: np.ndarray
    t0_us: np.ndarray
    period_us: np.ndarray
    count: np.ndarray
    samples: np.ndarray
    packet: np.ndarray
    offset: np.ndarray
    errors: dict[int, str] = field(default_factory=dict)

    def error_counts(self) -> Counter:
        return Counter(self.errors.values())


def decode_packets(payloads: Sequence[bytes]) -> Decoded:
    """Decode notifications from the data characteristic (any mix of layouts)."""
    m = len(payloads)
    lengths = np.fromiter(map(len, payloads), dtype=np.int64, count=m)
    buf = np.frombuffer(b"".join(payloads) + bytes(FULL_HEADER), dtype=np.uint8)
    off = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if m else np.zeros(0, np.int64)

    def u8(k: int) -> np.ndarray:
        return buf[off + k].astype(np.int64)

    def u16(k: int) -> np.ndarray:
        return u8(k) | (u8(k + 1) << 8)

    version, fmt = u8(0), u8(1)
    full = fmt == FORMAT_FULL
    count = np.where(full, u8(8), 1)
    period = np.where(full, u16(9), 0)
    expected = np.where(full, FULL_HEADER + SAMPLE_BYTES * count, COMPACT_SIZE)
    checks = (  # in order: the first failing check names the error
        ("too_short", (lengths < COMPACT_HEADER) | (full & (lengths < FULL_HEADER))),
        ("bad_version", version != PROTOCOL_VERSION),
        ("bad_format", ~full & (fmt != FORMAT_COMPACT)),
        ("bad_count", full & ((count == 0) | (count > MAX_SAMPLES))),
        ("bad_length", lengths != expected),
        ("bad_period", full & (period == 0)),
    )
    ok = np.ones(m, dtype=bool)
    errors: dict[int, str] = {}
    for code, bad in checks:
        for i in np.flatnonzero(ok & bad):
            errors[int(i)] = code
        ok &= ~bad
    off_ok, count_ok, full_ok = off[ok], count[ok], full[ok]
    seq = u16(2)[ok].astype(np.uint16)
    t0 = (u16(4) | (u16(6) << 16))[ok].astype(np.uint32)
    # every sample's first byte, then its 12 bytes in one gather
    first = off_ok + np.where(full_ok, FULL_HEADER, COMPACT_HEADER)
    packet = np.repeat(np.arange(len(off_ok)), count_ok)
    offset = np.arange(packet.size) - np.concatenate([[0], np.cumsum(count_ok)])[packet]
    sample_start = first[packet] + SAMPLE_BYTES * offset
    raw = buf[sample_start[:, None] + np.arange(SAMPLE_BYTES)]
    samples = np.ascontiguousarray(raw).view("<i2").reshape(-1, 6)
    return Decoded(seq=seq, t0_us=t0, period_us=period[ok].astype(np.uint16),
                   count=count_ok.astype(np.uint8), samples=samples, packet=packet,
                   offset=offset, errors=errors)


def sequence_gaps(seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step between consecutive packets: (packets lost, repeated), modulo 65536.

    A step of 0 is a repeat (duplicate notification); of d > 0, d - 1 lost."""
    step = np.diff(np.asarray(seq, dtype=np.int64)) % 65536
    return np.where(step > 0, step - 1, 0), step == 0


def unwrap_us(t_us: np.ndarray) -> np.ndarray:
    """A wrapping u32 microsecond clock made monotonic (int64), from its first value."""
    t = np.asarray(t_us, dtype=np.int64)
    if t.size == 0:
        return t
    step = np.diff(t) % (1 << 32)
    return t[0] + np.concatenate([[0], np.cumsum(step)])


def sample_times_us(decoded: Decoded, nominal_period_us: float) -> np.ndarray:
    """Each sample's sensor-clock time (us, unwrapped): t0 + k * period, using
    ``nominal_period_us`` for compact packets (which carry no period)."""
    t0 = unwrap_us(decoded.t0_us)
    period = np.where(decoded.period_us > 0, decoded.period_us, nominal_period_us)
    return t0[decoded.packet] + decoded.offset * period[decoded.packet]
