"""A Polar Verity Sense through bleak's public API and the in-process backend."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hipsense.virtual.backend import VirtualClientBackend, VirtualScannerBackend, advertise
from hipsense.errors import SensorError
from hipsense.sensors.polar.driver import PolarDriver
from hipsense.sim import SessionSpec, SetSpec, simulate_session

from tests.sensors.fake_polar import GYRO_FACTOR, SECONDS_2000_OFFSET, FakeVeritySense


@pytest.fixture(scope="module")
def recording():
    sim = simulate_session(SessionSpec((SetSpec("single_leg_squat", "left", reps=5),),
                                       rate_hz=104.0, sensor_errors=False), 3)
    return sim.session.sets[0][1]


def test_polar_stream_decodes_to_the_recorded_samples(recording):
    device = FakeVeritySense(recording)
    advertise(device)

    async def go():
        driver = PolarDriver(device.address, backend=VirtualClientBackend)
        info = await driver.connect()
        got = []
        config = await driver.start(lambda h, p: got.append((h, p)), 104)
        await device.finished.wait()
        await driver.stop()
        await driver.disconnect()
        decoder = driver.decoder(config)
        s = decoder.feed(np.arange(len(got), dtype=float), [p for _, p in got])
        return info, driver, s

    info, driver, s = asyncio.run(go())
    assert info.family == "polar" and driver.factors[5] == pytest.approx(GYRO_FACTOR)
    # every ACC sample the GYRO stream covers (all but the tail after the last GYRO frame)
    n = len(s)
    assert n == len(recording)
    np.testing.assert_allclose(s.time_s - SECONDS_2000_OFFSET, recording.time_s, atol=2e-4)
    np.testing.assert_allclose(s.acc_g, recording.acc_g, atol=0.0005 + 1e-9)
    np.testing.assert_allclose(s.gyr_dps, recording.gyr_dps, atol=float(GYRO_FACTOR))


def test_polar_error_statuses_are_clear(recording):
    device = FakeVeritySense(recording)
    advertise(device)

    async def go():
        driver = PolarDriver(device.address, backend=VirtualClientBackend)
        await driver.connect()
        with pytest.raises(SensorError, match="refused to start acc: invalid sample rate"):
            await driver.start(lambda h, p: None, 50)
        await driver.disconnect()

    asyncio.run(go())


def test_a_session_recorded_from_a_polar_sensor(tmp_path):
    from hipsense import analyze_session
    from hipsense.cli import main
    from hipsense.sensors import scan
    from hipsense.io import read_session
    from hipsense.live.view import ScriptedUI
    from hipsense.record.recorder import Plan, Recorder

    sim = simulate_session(SessionSpec((SetSpec("single_leg_squat", "right", reps=8),),
                                       rate_hz=104.0), 5)
    cal, rec = sim.session.calibration, sim.session.sets[0][1]
    device = FakeVeritySense(cal, rec)
    advertise(device)

    async def go():
        [(info, ble_device)] = await scan(0.05, backend=VirtualScannerBackend)
        assert (info.family, info.name) == ("polar", "Polar Sense B5A1E0A3")
        driver = PolarDriver(ble_device, backend=VirtualClientBackend)
        recorder = Recorder(driver, tmp_path / "rec", ScriptedUI(),
                            wearer=lambda e, s: device.finished.wait())
        return await recorder.run(Plan([("single_leg_squat", "right")]))

    asyncio.run(go())
    saved = read_session(tmp_path / "rec")
    assert saved.metadata["sensor"]["family"] == "polar"
    got = saved.sets[0][1]
    assert len(got) == len(rec)
    np.testing.assert_allclose(got.acc_g, rec.acc_g, atol=0.0005 + 1e-5)
    result = analyze_session(tmp_path / "rec")
    assert result.sets[0].rep_count == sim.truth["sets"][0]["rep_count"] == 8
    # the raw log replays through the Polar decoder to the same files
    assert main(["recover", str(tmp_path / "rec" / "raw-packets.hslog"), "--out",
                 str(tmp_path / "again")]) == 0
    for name in ("calibration.csv", "set01.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "rec" / name).read_bytes()


class FakeH10(FakeVeritySense):
    name = "Polar H10 A1B2C3D4"
    features = (1 << 0) | (1 << 2)  # ECG and ACC: no gyroscope
    rates = (25, 50, 100, 200)


def test_an_h10_session_is_analysed_from_the_accelerometer_alone(tmp_path):
    from hipsense import analyze_session
    from hipsense.analysis.acc_only import NOTE
    from hipsense.io import read_session
    from hipsense.live.view import ScriptedUI
    from hipsense.record.recorder import Plan, Recorder

    sim = simulate_session(SessionSpec((SetSpec("single_leg_squat", "left", reps=9),),
                                       rate_hz=100.0), 6)
    device = FakeH10(sim.session.calibration, sim.session.sets[0][1])
    advertise(device)

    async def go():
        driver = PolarDriver(device.address, backend=VirtualClientBackend)
        recorder = Recorder(driver, tmp_path / "rec", ScriptedUI(),
                            wearer=lambda e, s: device.finished.wait())
        await recorder.run(Plan([("single_leg_squat", "left")]))
        return driver

    driver = asyncio.run(go())
    assert driver.measurements == (2,)
    saved = read_session(tmp_path / "rec")
    assert saved.metadata["sensor"]["gyroscope"] is False
    assert saved.metadata["sensor"]["model"] == "Polar H10"
    assert not saved.sets[0][1].gyr_dps.any()
    result = analyze_session(tmp_path / "rec")
    squat = result.sets[0]
    assert squat.rep_count == 9
    truth = sim.truth["sets"][0]["medians"]["pelvic_drop_deg"]
    assert abs(squat.medians["pelvic_drop_deg"] - truth) < 1.5
    assert any(f.message == NOTE for f in squat.flags)


def test_polar_decoder_counts_bad_frames_and_goes_on():
    from hipsense.sensors.base import StreamConfig
    from hipsense.sensors.polar.stream import PolarDecoder

    from tests.sensors.fake_polar import delta_payload, frame

    dec = PolarDecoder(StreamConfig(52.0, 8.0, 2000.0, 0.001, 1.0))
    ts = 800_000_000_000_000_000
    good_acc = frame(2, 0x81, ts, delta_payload([[0, 0, 1000], [1, 1, 1001]]))
    good_gyr = frame(5, 0x80, ts, delta_payload([[0, 0, 0], [10, -10, 5]]))
    s = dec.feed(np.arange(4.0), [b"\x02\x00", good_acc, good_acc[:14], good_gyr])
    assert s.bad == {"bad_frame": 2} and dec.stats()["bad_frames"] == {"bad_frame": 2}
    np.testing.assert_allclose(s.acc_g, [[0, 0, 1.0], [0.001, 0.001, 1.001]])
    np.testing.assert_allclose(s.gyr_dps, [[0, 0, 0], [10, -10, 5]])
