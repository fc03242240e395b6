"""The receiving side of a connection: loss, duplicates, clock unwrapping and
the host/sensor clock fit; the raw packet log."""

from __future__ import annotations

import numpy as np
import pytest

from hipsense.sensors.base import StreamConfig
from hipsense.sensors.clock import ClockFit
from hipsense.errors import HipsenseError
from hipsense.sensors.hipsense.codec import encode_packet
from hipsense.sensors.hipsense.stream import HipsenseDecoder
from hipsense.io.rawlog import MAGIC, MAGIC_V1, RawLogWriter, encode_record, read_rawlog

CONFIG = StreamConfig(100.0, 4.0, 500.0, 4 / 32768, 500 / 32768)
PERIOD_US = 10_000


def _packets(n_packets: int, first_us: int, per: int = 8, seq0: int = 0):
    """(sequence numbers, payloads, true sample times us (unwrapped))."""
    rng = np.random.default_rng(0)
    payloads, times = [], []
    for k in range(n_packets):
        t0 = first_us + k * per * PERIOD_US
        counts = rng.integers(-2000, 2000, (per, 6))
        payloads.append(encode_packet(seq0 + k, t0, counts, PERIOD_US))
        times.append(t0 + PERIOD_US * np.arange(per))
    return payloads, np.concatenate(times)


def test_clock_and_sequence_wrap_across_batches():
    first = 2**32 - 3 * 8 * PERIOD_US  # wraps after three packets
    payloads, times_us = _packets(10, first, seq0=65533)
    dec = HipsenseDecoder(CONFIG)
    host = 50.0 + np.arange(10) * 0.08 + 0.01
    got = np.concatenate([dec.feed(host[:4], payloads[:4]).time_s,
                          dec.feed(host[4:], payloads[4:]).time_s])
    np.testing.assert_allclose(got, times_us / 1e6, atol=1e-9)
    assert dec.lost_packets == 0 and dec.duplicates == 0


def test_lost_repeated_and_bad_packets_are_counted_not_fatal():
    payloads, times_us = _packets(10, 1_000_000)
    arrived = payloads[:3] + payloads[5:7] + [payloads[6], payloads[0][:30], b""] + payloads[7:]
    dec = HipsenseDecoder(CONFIG)
    s = dec.feed(np.linspace(1, 2, len(arrived)), arrived)
    assert dec.lost_packets == 2 and dec.duplicates == 1
    assert dict(dec.bad) == {"too_short": 1, "bad_length": 1}
    np.testing.assert_allclose(s.time_s * 1e6, np.r_[times_us[:24], times_us[40:]])
    assert np.all(np.diff(s.time_s) > 0)


def test_after_a_long_silence_the_host_clock_places_the_packets():
    # 100 s of streaming, then nothing for 2 h (longer than the 71.6 min wrap)
    first, silence_s = 5_000_000, 7200.0
    payloads, times_us = _packets(125, first)
    dec = HipsenseDecoder(CONFIG)
    host = 20.0 + (times_us.reshape(125, 8)[:, -1]) / 1e6 + 0.008
    dec.feed(host, payloads)
    later_first = first + 125 * 8 * PERIOD_US + int(silence_s * 1e6)
    later, later_us = _packets(5, later_first, seq0=125)
    s = dec.feed(20.0 + later_us.reshape(5, 8)[:, -1] / 1e6 + 0.008, later)
    np.testing.assert_allclose(s.time_s * 1e6, later_us, atol=1)


def test_clock_fit_recovers_offset_and_drift_under_latency():
    rng = np.random.default_rng(3)
    sensor_s = np.arange(0, 600, 0.077)
    latency = 0.005 + rng.exponential(0.004, sensor_s.size)
    host = 123.456 + (1 + 35e-6) * sensor_s + latency
    fit = ClockFit()
    for i in range(0, sensor_s.size, 13):
        fit.add(sensor_s[i:i + 13], host[i:i + 13])
    assert abs(fit.drift_ppm - 35.0) < 3.0
    # the lower edge: the minimum latency, within a millisecond
    assert abs(fit.host_at(300.0) - (123.456 + (1 + 35e-6) * 300.0 + 0.005)) < 1e-3
    assert abs(fit.sensor_at(fit.host_at(42.0)) - 42.0) < 1e-9


def test_raw_log_round_trip_and_cut_off_tail(tmp_path):
    path = tmp_path / "raw.hslog"
    log = RawLogWriter(path)
    log.event(1.0, "session", started_at="x")
    log.data([(1.5, b"\x01\x02"), (1.6, b"")])
    log.close()
    with open(path, "ab") as f:  # a crash in the middle of the next record
        f.write(encode_record(1, 1.7, b"\x01\x02\x03")[:11])
    back = read_rawlog(path)
    assert [(k, h, p) for k, h, p in back.records] == [
        (2, 1.0, b'{"event":"session","started_at":"x"}'), (1, 1.5, b"\x01\x02"), (1, 1.6, b"")]
    assert back.truncated_bytes == 11 and back.damage == []
    # appending after a restart keeps one header
    RawLogWriter(path).close()
    assert path.read_bytes().count(MAGIC) == 1


def test_raw_log_damage_is_skipped_and_named(tmp_path):
    # a version-1 log (no sync markers): a record of unknown kind 7 at byte 18,
    # then nothing plausible: damage to the end, not a crash, not an exception
    path = tmp_path / "raw.hslog"
    path.write_bytes(MAGIC_V1 + b"\x07" + bytes(12))
    back = read_rawlog(path)
    assert back.version == 1 and back.records == [] and back.truncated_bytes == 0
    assert [(d.offset, d.size_bytes) for d in back.damage] == [(18, 13)]
    with pytest.raises(HipsenseError, match=r"raw.hslog: not a hipsense raw packet log"):
        path.write_bytes(b"HIPSENSE-RAWLOG 9\n")
        read_rawlog(path)


def test_a_sensor_that_rebooted_during_a_silence_is_placed_by_the_host_clock():
    first = 500_000_000  # 500 s on the sensor clock
    payloads, times_us = _packets(125, first, seq0=40_000)
    dec = HipsenseDecoder(CONFIG)
    host = 20.0 + (times_us.reshape(125, 8)[:, -1]) / 1e6 + 0.008
    dec.feed(host, payloads)
    # 30 s later the sensor is back with its clock and sequence from zero
    later, later_us = _packets(5, 2_000_000, seq0=0)
    true_later_s = times_us[-1] / 1e6 + 30.0 + (later_us - later_us[0]) / 1e6
    s = dec.feed(20.0 + true_later_s.reshape(5, 8)[:, -1] + 0.008, later)
    np.testing.assert_allclose(s.time_s, true_later_s, atol=0.002)
    assert dec.clock_resets == 1 and dec.lost_packets == 0
    assert dec.stats()["clock_resets"] == 1
