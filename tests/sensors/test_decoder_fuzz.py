"""Every decoder raises only its own error type (a SensorDataError) for any
bytes, random or mutated from valid frames; stream decoders raise nothing,
count what they skip and keep time moving forwards; the recorder and
``recover`` carry on past bad notifications."""

from __future__ import annotations

import asyncio
import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipsense.virtual.backend import VirtualClientBackend, advertise
from hipsense.sensors.base import StreamConfig
from hipsense.sensors.polar.codec import (
    ACC, GYRO, PMD_DATA_UUID, PmdFrameError, decode_pmd_frame, parse_response, parse_settings,
)
from hipsense.sensors.polar.driver import PolarDriver
from hipsense.sensors.polar.stream import PolarDecoder
from hipsense.sensors.witmotion.codec import WitFrameError, decode_notification
from hipsense.sensors.witmotion.stream import WitMotionDecoder
from hipsense.errors import SensorDataError
from hipsense.sensors.hipsense.codec import ERRORS, decode_packets, encode_packet
from hipsense.sensors.hipsense.commands import (
    CommandError, Config, Op, ResponseError, Result, encode_response, parse_command,
)
from hipsense.sensors.hipsense.commands import parse_response as parse_hipsense_response
from hipsense.sensors.hipsense.stream import HipsenseDecoder
from hipsense.sim import SessionSpec, SetSpec, simulate_session

from tests.sensors.fake_polar import FakeVeritySense, delta_payload, frame

TS = 800_000_000_000_000_000  # ns since 2000-01-01
CONFIG_104 = StreamConfig(104.0, 8.0, 2000.0, 0.001, 0.0152587890625)


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One to four random edits: flip a bit, set a byte, cut, insert, drop."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        how = int(rng.integers(5))
        at = int(rng.integers(len(out) + 1))
        if how == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << int(rng.integers(8))
        elif how == 1 and out:
            out[min(at, len(out) - 1)] = int(rng.integers(256))
        elif how == 2:
            out = out[:at]
        elif how == 3:
            out[at:at] = rng.integers(0, 256, int(rng.integers(1, 4)), dtype=np.uint8).tobytes()
        elif out:
            del out[min(at, len(out) - 1)]
    return bytes(out)


def _pmd_frames(seed: int = 0) -> list[bytes]:
    """Valid ACC and GYRO frames of every layout the decoder reads."""
    rng = np.random.default_rng(seed)
    acc = rng.integers(-1000, 1000, (9, 3))
    raw = lambda width, n: b"".join(  # noqa: E731
        int(v).to_bytes(width, "little", signed=True) for v in rng.integers(-100, 100, 3 * n))
    return [frame(ACC, 0x81, TS, delta_payload(acc)), frame(ACC, 0x80, TS, delta_payload(acc)),
            frame(GYRO, 0x80, TS, delta_payload(acc)),
            frame(GYRO, 0x81, TS, delta_payload(rng.integers(0, 2**31, (5, 3)), 4)),
            frame(ACC, 0, TS, raw(1, 6)), frame(ACC, 1, TS, raw(2, 6)),
            frame(ACC, 2, TS, raw(3, 6)), frame(GYRO, 0, TS, raw(2, 6)),
            frame(GYRO, 1, TS, np.float32(rng.normal(0, 50, 18)).tobytes())]


PMD_VALID = _pmd_frames()


def test_ten_thousand_mutated_polar_frames_raise_only_the_decoders_error():
    rng = np.random.default_rng(42)
    raised, huge = 0, 0
    for i in range(10_000):
        data = _mutate(PMD_VALID[i % len(PMD_VALID)], rng)
        huge += len(data) >= 9 and int.from_bytes(data[1:9], "little") >= 2**63
        try:
            f = decode_pmd_frame(data, previous_timestamp_ns=TS - 10**8 if i % 2 else None,
                                 sample_rate_hz=52.0, factor=0.5)
        except PmdFrameError as exc:
            raised += 1
            assert "\n" not in str(exc)
            continue
        assert f.samples.shape == (len(f.timestamps_ns), 3)
        assert np.all(np.isfinite(f.samples)) and np.all(np.diff(f.timestamps_ns) >= 0)
    assert huge > 100  # the timestamps >= 2^63 that raised OverflowError are in there
    assert 0 < raised < 10_000


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PMD_VALID), st.integers(0, 2**32 - 1), st.binary(max_size=40))
def test_pmd_frames_mutated_or_random_raise_only_pmd_frame_error(valid, seed, noise):
    rng = np.random.default_rng(seed)
    for data in (_mutate(valid, rng), noise, valid[:10] + noise):
        for previous in (None, TS - 10**8, 2**63 - 1):
            try:
                decode_pmd_frame(data, previous_timestamp_ns=previous, sample_rate_hz=52.0,
                                 factor=float(rng.choice([0.0, 1.0, 1e300])))
            except PmdFrameError:
                pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_pmd_control_point_raises_only_pmd_frame_error(data):
    for decode in (parse_settings, parse_response):
        try:
            decode(data)
        except PmdFrameError:
            pass


WIT_VALID = bytes([0x55, 0x61]) + struct.pack("<9h", *range(9)) + \
    bytes([0x55, 0x71]) + bytes(18)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.binary(max_size=80))
def test_witmotion_notifications_raise_only_wit_frame_error(seed, noise):
    for data in (_mutate(WIT_VALID, np.random.default_rng(seed)), noise):
        try:
            s = decode_notification(data)
        except WitFrameError:
            continue
        assert s.acc_g.shape == s.gyr_dps.shape == (len(s), 3)


HIPSENSE_VALID = [encode_packet(7, 123_456, np.arange(48).reshape(8, 6), 9615),
                  encode_packet(8, 200_000, np.ones((1, 6)), 1, compact=True)]
RESPONSES = [encode_response(Op.START, Result.OK), encode_response(Op.READ_CONFIG, Result.OK,
             Config(True, 104, 4, 0, 500, 1e-4, 0.015, (1, 2, 3), 99).pack())]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.binary(max_size=40))
def test_hipsense_packets_and_control_point_raise_only_their_errors(seed, noise):
    rng = np.random.default_rng(seed)
    packets = [_mutate(p, rng) for p in HIPSENSE_VALID] + [noise]
    decoded = decode_packets(packets)  # never raises: every payload is accounted for
    assert len(decoded.errors) + len(decoded.seq) == len(packets)
    assert set(decoded.errors.values()) <= set(ERRORS)
    for data in [_mutate(r, rng) for r in RESPONSES] + [noise]:
        try:
            _, _, payload = parse_hipsense_response(data)
            Config.unpack(payload)
        except ResponseError:
            pass
        try:
            parse_command(data)
        except CommandError:
            pass


def test_the_error_types_are_the_projects():
    for error in (PmdFrameError, WitFrameError, ResponseError, CommandError):
        assert issubclass(error, SensorDataError)
    with pytest.raises(SensorDataError):
        decode_pmd_frame(bytes([2]) + (2**64 - 1).to_bytes(8, "little") + bytes([1, 0, 0]),
                         sample_rate_hz=52.0)


# ---- stream decoders: never raise, count, and time keeps moving forwards ------------------
def _check_stream(decoder, host: np.ndarray, payloads: list[bytes], batch: int) -> int:
    """Feed in batches; check every batch; the notifications skipped as bad."""
    last, skipped, samples = -np.inf, 0, 0
    outs = [decoder.feed(host[i:i + batch], payloads[i:i + batch])
            for i in range(0, len(payloads), batch)]
    outs.append(decoder.end_stream())
    for s in outs:
        assert np.all(np.isfinite(s.time_s)) and np.all(np.isfinite(s.acc_g))
        assert np.all(np.diff(np.r_[last, s.time_s]) > 0)
        last = s.time_s[-1] if len(s) else last
        skipped += sum(s.bad.values())
        samples += len(s)
    assert samples == decoder.samples
    return skipped


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.3), st.integers(1, 9))
def test_mutated_hipsense_streams_never_raise(seed, fraction, batch):
    rng = np.random.default_rng(seed)
    t0 = 4_294_000_000 + np.arange(300) * 8 * 9615
    payloads = [encode_packet(k, int(t0[k]), rng.integers(-99, 99, (8, 6)), 9615)
                for k in range(300)]
    payloads = [_mutate(p, rng) if rng.random() < fraction else p for p in payloads]
    host = 10.0 + (t0 - t0[0]) / 1e6 + 0.01 * rng.random(300)
    dec = HipsenseDecoder(CONFIG_104)
    skipped = _check_stream(dec, host, payloads, batch)
    assert skipped == sum(dec.bad.values())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.3), st.integers(1, 9))
def test_mutated_polar_streams_never_raise(seed, fraction, batch):
    rng = np.random.default_rng(seed)
    payloads = []
    for k in range(120):
        ts = TS + (k + 1) * 9 * 9_615_385
        acc = rng.integers(-1000, 1000, (9, 3))
        payloads += [frame(ACC, 0x81, ts, delta_payload(acc)),
                     frame(GYRO, 0x80, ts, delta_payload(acc))]
    payloads = [_mutate(p, rng) if rng.random() < fraction else p for p in payloads]
    host = 10.0 + np.repeat(np.arange(120) * 9 / 104, 2)
    dec = PolarDecoder(CONFIG_104)
    skipped = _check_stream(dec, host, payloads, batch)
    assert skipped == sum(dec.bad.values())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.3), st.integers(1, 9))
def test_mutated_witmotion_streams_never_raise(seed, fraction, batch):
    rng = np.random.default_rng(seed)
    payloads = [_mutate(WIT_VALID, rng) if rng.random() < fraction else WIT_VALID
                for _ in range(200)]
    host = 10.0 + np.arange(200) * 0.01
    dec = WitMotionDecoder(StreamConfig(100.0, 16.0, 2000.0, 16 / 32768, 2000 / 32768))
    skipped = _check_stream(dec, host, payloads, batch)
    assert skipped == sum(dec.bad.values())


def test_one_bad_polar_timestamp_never_moves_or_ends_the_stream():
    rng = np.random.default_rng(1)
    payloads, truth = [], []
    for k in range(200):
        ts = TS + (k + 1) * 9 * 9_615_385
        acc = rng.integers(-1000, 1000, (9, 3))
        payloads += [frame(ACC, 0x81, ts, delta_payload(acc)),
                     frame(GYRO, 0x80, ts, delta_payload(acc))]
        truth.append(ts - 9_615_385 * np.arange(8, -1, -1))
    truth = np.concatenate(truth) / 1e9
    bad = bytearray(payloads[2 * 50])  # ACC frame 50: its timestamp 2^40 ns (18 min) later
    bad[6] ^= 0x01
    payloads[2 * 50] = bytes(bad)
    dec = PolarDecoder(CONFIG_104)
    out = [dec.feed(np.full(2, 10.0 + k), payloads[2 * k:2 * k + 2]) for k in range(200)]
    out.append(dec.end_stream())
    t = np.concatenate([s.time_s for s in out])
    assert t.size == truth.size
    np.testing.assert_allclose(t, truth[:t.size], atol=2e-3)
    assert dec.clock_outliers == 1 and sum(s.clock_outliers for s in out) == 1
    assert dec.stats()["bad_frames"] == {}


# ---- the recorder and recover carry on ---------------------------------------------------
class DamagingVeritySense(FakeVeritySense):
    """Every 7th data frame (ACC or GYRO) arrives with its timestamp's top
    byte set (>= 2^63 ns: the OverflowError that ended recordings)."""

    def connect(self, notify) -> None:
        count = [0]

        def damaging(uuid, data):
            if uuid == PMD_DATA_UUID:
                count[0] += 1
                if count[0] % 7 == 0:
                    data = data[:8] + b"\xff" + data[9:]
            notify(uuid, data)

        super().connect(damaging)


def test_bad_polar_notifications_are_counted_and_the_recording_goes_on(tmp_path, capsys):
    from hipsense.cli import main
    from hipsense.io import read_session
    from hipsense.live.view import ScriptedUI
    from hipsense.record.recorder import Plan, Recorder

    sim = simulate_session(SessionSpec((SetSpec("single_leg_squat", "left", reps=5),),
                                       rate_hz=104.0), 5)
    cal, rec = sim.session.calibration, sim.session.sets[0][1]
    device = DamagingVeritySense(cal, rec)
    advertise(device)

    async def go():
        driver = PolarDriver(device.address, backend=VirtualClientBackend)
        recorder = Recorder(driver, tmp_path / "rec", ScriptedUI(),
                            wearer=lambda e, s: device.finished.wait())
        return await recorder.run(Plan([("single_leg_squat", "left")]))

    asyncio.run(go())
    out = capsys.readouterr().out
    saved = read_session(tmp_path / "rec")
    entry = saved.sets[0][0].extra
    cal_frames, set_frames = 2 * -(-len(cal) // 9), 2 * -(-len(rec) // 9)
    bad = (cal_frames + set_frames) // 7 - cal_frames // 7
    assert bad > 20 and entry["bad_notifications"] == bad
    assert f"{bad} bad notifications skipped" in " ".join(out.split())
    meta = json.loads((tmp_path / "rec" / "session.json").read_text())
    assert meta["recording"]["bad_frames"] == {"bad_frame": (cal_frames + set_frames) // 7}
    # a bad ACC frame costs its 9 samples (a bad GYRO frame none), the last one's
    # at most the tail no GYRO frame covers
    assert 0 < len(rec) - len(saved.sets[0][1]) <= 9 * (bad // 2 + 2)
    assert main(["recover", str(tmp_path / "rec" / "raw-packets.hslog"), "--out",
                 str(tmp_path / "again")]) == 0
    for name in ("calibration.csv", "set01.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "rec" / name).read_bytes()


def test_a_decoder_that_fails_never_ends_the_recording(tmp_path, capsys, monkeypatch):
    from hipsense.cli import main
    from hipsense.io import read_session
    from hipsense.live.view import ScriptedUI
    from hipsense.record.recorder import Plan, Recorder

    sim = simulate_session(SessionSpec((SetSpec("single_leg_squat", "left", reps=5),),
                                       rate_hz=104.0), 5)
    device = FakeVeritySense(sim.session.calibration, sim.session.sets[0][1])
    advertise(device)
    real, calls = PolarDecoder.feed, [0]

    def failing(self, host, payloads):
        calls[0] += 1
        if calls[0] == 2:  # a bug in a decoder, on the set's notifications
            raise IndexError("a decoder bug")
        return real(self, host, payloads)

    monkeypatch.setattr(PolarDecoder, "feed", failing)

    async def go():
        driver = PolarDriver(device.address, backend=VirtualClientBackend)
        recorder = Recorder(driver, tmp_path / "rec", ScriptedUI(),
                            wearer=lambda e, s: device.finished.wait())
        return await recorder.run(Plan([("single_leg_squat", "left")]))

    asyncio.run(go())  # the session ends normally
    out = " ".join(capsys.readouterr().out.split())
    assert "notifications (IndexError); they are kept in the raw log." in out
    full = len(sim.session.sets[0][1])
    saved = read_session(tmp_path / "rec").sets
    assert len(saved) <= 1 and sum(len(r) for _, r in saved) < 0.5 * full
    monkeypatch.undo()  # the bug fixed: recover rebuilds the set from the log
    assert main(["recover", str(tmp_path / "rec" / "raw-packets.hslog")]) == 0
    again = read_session(tmp_path / "rec")
    assert len(again.sets) == 1 and len(again.sets[0][1]) == full
