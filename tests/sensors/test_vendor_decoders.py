"""Polar PMD and WitMotion decoders on frames built from the published layouts
(an encoder written here, bit by bit, independent of the decoders)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipsense.sensors.polar.codec import ACC, GYRO, PmdFrameError, decode_pmd_frame, delta_decode
from hipsense.sensors.witmotion.codec import WitFrameError, decode_notification, rate_command

from tests.sensors.fake_polar import _le, delta_block, frame

TS = 800_000_000_000_000_000  # ns since 2000-01-01 (2025)


def _frame(mtype: int, frame_type: int, payload: bytes, ts: int = TS) -> bytes:
    return frame(mtype, frame_type, ts, payload)


def _delta_payload(ref: list[int], blocks: list[tuple[int, list[list[int]]]],
                   ref_bytes: int) -> bytes:
    """Reference sample, then the blocks (width, deltas)."""
    return b"".join(_le(v, ref_bytes) for v in ref) + b"".join(
        delta_block(width, deltas) for width, deltas in blocks)


@pytest.mark.parametrize("frame_type, width", [(0, 1), (1, 2), (2, 3)])
def test_raw_acc_every_width_with_extremes(frame_type, width):
    lo, hi = -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
    values = [lo, hi, 0, -1, 1, hi - 1]
    payload = b"".join(_le(v, width) for v in values)
    f = decode_pmd_frame(_frame(ACC, frame_type, payload), sample_rate_hz=52.0)
    assert f.kind == "acc" and not f.compressed
    np.testing.assert_array_equal(f.samples, np.array(values, float).reshape(2, 3))


@pytest.mark.parametrize("width", range(1, 17))
def test_delta_blocks_of_every_bit_width(width):
    rng = np.random.default_rng(width)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    ref = [1000, -2000, 30000]
    block1 = rng.integers(lo, hi + 1, (7, 3)).tolist()
    block1[0] = [lo, hi, 0]  # the extremes of the width
    block2 = rng.integers(-3, 3, (5, 3)).tolist()
    payload = _delta_payload(ref, [(width, block1), (3, block2)], 2)
    got = delta_decode(payload, 3, 16)
    want = np.cumsum(np.vstack([ref, block1, block2]), axis=0)
    np.testing.assert_array_equal(got, want)


def test_compressed_acc_units_as_the_sdk():
    payload = _delta_payload([1, 0, -1], [(4, [[1, 2, -3], [0, -1, 7]])], 2)
    # type 0 arrives in g: factor * 1000 gives mG, truncated to whole mG
    f0 = decode_pmd_frame(_frame(ACC, 0x80, payload), sample_rate_hz=52.0, factor=0.5)
    np.testing.assert_array_equal(f0.samples, [[500, 0, -500], [1000, 1000, -2000],
                                               [1000, 500, 1500]])
    f1 = decode_pmd_frame(_frame(ACC, 0x81, payload), sample_rate_hz=52.0, factor=2.44)
    np.testing.assert_array_equal(f1.samples, np.trunc(np.array(
        [[1, 0, -1], [2, 2, -4], [2, 1, 3]]) * 2.44))


def test_compressed_float_gyro_deltas_on_bit_patterns():
    floats = np.array([[10.5, -3.25, 0.0], [10.75, -3.0, 0.125], [-1.0, 2.0, 400.0]],
                      dtype=np.float32)
    bits = floats.view(np.uint32).astype(np.int64)
    signed = np.where(bits >= 1 << 31, bits - (1 << 32), bits)
    deltas = np.diff(signed, axis=0)
    # 32-bit wrapping deltas, packed in 32-bit blocks
    wrapped = ((deltas + (1 << 31)) % (1 << 32) - (1 << 31)).tolist()
    payload = _delta_payload(signed[0].tolist(), [(32, wrapped)], 4)
    f = decode_pmd_frame(_frame(GYRO, 0x81, payload), sample_rate_hz=52.0, factor=1.0)
    np.testing.assert_array_equal(f.samples, floats.astype(float))


def test_raw_gyro_int16_times_factor_and_float32():
    f = decode_pmd_frame(_frame(GYRO, 0, struct.pack("<6h", 100, -200, 32767, 0, 1, -1)),
                         sample_rate_hz=52.0, factor=0.0152)
    np.testing.assert_allclose(f.samples, np.array([[100, -200, 32767], [0, 1, -1]]) * 0.0152)
    g = decode_pmd_frame(_frame(GYRO, 1, struct.pack("<3f", 1.5, -2.25, 250.0)),
                         sample_rate_hz=52.0)
    np.testing.assert_array_equal(g.samples, [[1.5, -2.25, 250.0]])


def test_sample_times_as_the_sdk():
    payload = b"".join(_le(v, 2) for v in range(12))  # 4 samples
    first = decode_pmd_frame(_frame(ACC, 1, payload), sample_rate_hz=50.0)
    np.testing.assert_array_equal(first.timestamps_ns, TS - 20_000_000 * np.arange(3, -1, -1))
    later = decode_pmd_frame(_frame(ACC, 1, payload, TS + 100_000_000),
                             previous_timestamp_ns=TS)
    np.testing.assert_array_equal(later.timestamps_ns, TS + 25_000_000 * np.arange(1, 5))


@pytest.mark.parametrize("frame, message", [
    (b"\x02\x00", "header alone"),
    (_frame(9, 1, b""), "neither ACC"),
    (_frame(ACC, 1, b"\x01\x02\x03"), "not whole samples"),
    (_frame(ACC, 7, b""), "raw ACC frame type 7"),
    (_frame(GYRO, 0x85, b"\x00" * 6), "compressed GYRO frame type 5"),
    (_frame(ACC, 0x81, b"\x00" * 5), "shorter than its reference"),
    (_frame(ACC, 0x81, b"\x00" * 6 + b"\x08"), "header cut short"),
    (_frame(ACC, 0x81, b"\x00" * 6 + b"\x08\x04\x00"), "needs 12 bytes"),
    (_frame(ACC, 0x81, b"\x00" * 6 + b"\x00\x04"), "bit width 0"),
    (_frame(ACC, 1, b"\x00" * 6), "sample rate"),
])
def test_bad_frames_give_clear_errors(frame, message):
    with pytest.raises(PmdFrameError, match=message):
        decode_pmd_frame(frame)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_never_crash_the_pmd_decoder(data):
    try:
        f = decode_pmd_frame(data, sample_rate_hz=52.0, previous_timestamp_ns=None)
    except PmdFrameError:
        return
    assert f.samples.shape[1] == 3 and len(f.timestamps_ns) == len(f.samples)


def _wit_record(acc, gyr, ang, flag=0x61) -> bytes:
    counts = [round(v / 16 * 32768) for v in acc] + [round(v / 2000 * 32768) for v in gyr] + \
             [round(v / 180 * 32768) for v in ang]
    return bytes([0x55, flag]) + struct.pack("<9h", *[max(-32768, min(32767, c))
                                                      for c in counts])


def test_witmotion_records_in_one_notification():
    data = (_wit_record([0, 0, 1], [1, -2, 3], [10, -20, 90])
            + _wit_record([0, 0, 0], [0] * 3, [0] * 3, flag=0x71)
            + _wit_record([-0.5, 15.9, 0.25], [-1999, 0, 500], [-179, 0, 45]))
    s = decode_notification(data)
    assert len(s) == 2
    np.testing.assert_allclose(s.acc_g, [[0, 0, 1], [-0.5, 15.9, 0.25]], atol=16 / 32768)
    np.testing.assert_allclose(s.gyr_dps, [[1, -2, 3], [-1999, 0, 500]], atol=2000 / 32768)
    np.testing.assert_allclose(s.angle_deg, [[10, -20, 90], [-179, 0, 45]], atol=180 / 32768)
    assert rate_command(100) == bytes([0xFF, 0xAA, 0x03, 0x09, 0x00])


@pytest.mark.parametrize("data, message", [
    (b"\x55\x61" + b"\x00" * 10, "not whole 20-byte records"),
    (b"\x54\x61" + b"\x00" * 18, "byte 0: record starts with 0x54"),
    (b"\x55\x61" + b"\x00" * 18 + b"\x55\x62" + b"\x00" * 18, "byte 21: unknown record flag"),
])
def test_witmotion_bad_notifications(data, message):
    with pytest.raises(WitFrameError, match=message):
        decode_notification(data)
