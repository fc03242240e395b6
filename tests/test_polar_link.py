"""A Polar Verity Sense through bleak's public API and the in-process backend."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hipsense.ble.fake_backend import VirtualClientBackend, advertise
from hipsense.devices.hipsense import SensorError
from hipsense.devices.polar import PolarDriver
from hipsense.sim import SessionSpec, SetSpec, simulate_session

from tests.fake_polar import GYRO_FACTOR, SECONDS_2000_OFFSET, FakeVeritySense


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
