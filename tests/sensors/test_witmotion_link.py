"""WitMotion: host-time-only samples on a smoothed clock, gaps found, and the
driver through bleak's public API with a fake device."""

from __future__ import annotations

import asyncio

import numpy as np

from hipsense.virtual.backend import VirtualClientBackend, advertise
from hipsense.sensors.base import StreamConfig
from hipsense.sensors.witmotion.codec import UNLOCK, rate_command
from hipsense.sensors.witmotion.driver import WitMotionDriver
from hipsense.sensors.witmotion.stream import WitMotionDecoder

from tests.sensors.fake_witmotion import FakeWitMotion, motion_record

CONFIG = StreamConfig(100.0, 16.0, 2000.0, 16 / 32768, 2000 / 32768)


def _stream(n: int, true_period_s: float, lost: range, seed: int = 0):
    rng = np.random.default_rng(seed)
    t_true = 50.0 + true_period_s * np.arange(n)
    host = t_true + 0.004 + rng.exponential(0.006, n)  # BLE latency: never negative
    host = np.maximum.accumulate(host)  # notifications arrive in order
    keep = np.array([k not in lost for k in range(n)])
    return t_true[keep], host[keep], [motion_record(k) for k in range(n) if k not in lost]


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


def test_a_session_recorded_from_a_witmotion_sensor(tmp_path):
    """Calibration and a set through the recorder: every sample saved at the
    sensor's resolution, the calibration accepted and the reps counted."""
    from hipsense import analyze_session
    from hipsense.io import read_session
    from hipsense.live.view import ScriptedUI
    from hipsense.record.recorder import Plan, Recorder
    from hipsense.sim import SessionSpec, SetSpec, simulate_session

    sim = simulate_session(SessionSpec((SetSpec("single_leg_squat", "left", reps=8),),
                                       rate_hz=100.0), 6)
    cal, rec = sim.session.calibration, sim.session.sets[0][1]
    device = FakeWitMotion(0, cal, rec)
    advertise(device)

    async def go():
        driver = WitMotionDriver(device.address, backend=VirtualClientBackend,
                                 clock=device.host_clock)
        recorder = Recorder(driver, tmp_path / "rec", ScriptedUI(),
                            wearer=lambda e, s: device.finished.wait())
        return await recorder.run(Plan([("single_leg_squat", "left")]))

    asyncio.run(go())
    saved = read_session(tmp_path / "rec")
    assert saved.metadata["sensor"]["family"] == "witmotion"
    assert [len(saved.calibration), len(saved.sets[0][1])] == [len(cal), len(rec)]
    np.testing.assert_allclose(saved.sets[0][1].acc_g, rec.acc_g, atol=16 / 32768)
    np.testing.assert_allclose(saved.sets[0][1].gyr_dps, rec.gyr_dps, atol=2000 / 32768)
    result = analyze_session(tmp_path / "rec")
    assert result.calibration["grade"] in ("good", "usable")
    assert result.sets[0].rep_count == sim.truth["sets"][0]["rep_count"] == 8
