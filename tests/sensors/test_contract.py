"""The contract every sensor family keeps, run against all three (hipsense,
Polar, WitMotion) through bleak's public API on the in-process backend, each
with its fake device: connect, stream N samples and decode exactly N, drop
the link and come back by itself with the link events in order and every
sample that reached the computer decoded once, bad frames counted, never
raised.

Between the fake device and the air sits a :class:`Tap`: it keeps every data
notification that reached the host, can damage chosen ones, and can drop the
link once (the notification in flight is lost, as on air)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from hipsense.sensors import driver_for
from hipsense.sensors.base import LINK_EVENTS, Samples, SensorDriver
from hipsense.sensors.hipsense.codec import DATA_UUID, decode_packets
from hipsense.sensors.polar.codec import PMD_DATA_UUID
from hipsense.sensors.witmotion.codec import WIT_NOTIFY_UUID
from hipsense.sim import SessionSpec, SetSpec, simulate_session
from hipsense.virtual import virtual_sensor
from hipsense.virtual.backend import VirtualClientBackend, advertise

from tests.sensors.fake_polar import FakeVeritySense
from tests.sensors.fake_witmotion import FakeWitMotion, acc_g_of

#: Notifications damaged in the bad-frame test (1-based, early in every stream).
DAMAGED = (5, 12, 19, 26, 33)
#: The link drops while this notification is in flight.
DROP_AT = 41


class Tap:
    """A fake peripheral as the air sees it, with damage and one drop."""

    def __init__(self, device: Any, data_uuid: str, *, damage: tuple[int, ...] = (),
                 drop_at: int | None = None) -> None:
        self.device, self.data_uuid = device, data_uuid
        self.name, self.address = device.name, device.address
        self.damage, self.drop_at = damage, drop_at
        self.on_link_lost: Callable[[], None] | None = None
        self.delivered: list[bytes] = []  # intact data notifications the host got
        self.damaged: list[bytes] = []    # as sent, before the damage
        self.lost: list[bytes] = []       # in flight when the link dropped
        self.count = 0

    def advertisement(self) -> dict[str, Any]:
        return self.device.advertisement()

    def gatt(self):
        return self.device.gatt()

    def read(self, uuid: str) -> bytes:
        return self.device.read(uuid)

    def write(self, uuid: str, data: bytes) -> None:
        self.device.write(uuid, data)

    def disconnect(self) -> None:
        self.device.disconnect()

    def connect(self, notify: Callable[[str, bytes], None]) -> None:
        def tapped(uuid: str, data: bytes) -> None:
            if uuid != self.data_uuid:
                notify(uuid, data)
                return
            self.count += 1
            if self.count == self.drop_at:
                self.lost.append(data)
                self.device.disconnect()  # the sensor sees the central go
                assert self.on_link_lost is not None
                self.on_link_lost()       # the host sees the link go
            elif self.count in self.damage:
                self.damaged.append(data)
                notify(uuid, data[:3])
            else:
                self.delivered.append(data)
                notify(uuid, data)

        self.device.connect(tapped)


@dataclass
class Family:
    name: str
    data_uuid: str
    make: Callable[[], Any]                      # a fresh fake device
    n: Callable[[Any], int]                      # samples it streams in all
    acc_g: Callable[[Any, bytes], np.ndarray]    # acc (g) a data notification carries
    rate_hz: float


def _hipsense() -> Family:
    def make():
        return virtual_sensor(["hip_stretch"], seed=5)

    def acc(sensor, data: bytes) -> np.ndarray:
        return decode_packets([data]).samples[:, :3] * sensor.acc_g_per_lsb

    return Family("hipsense", DATA_UUID, make,
                  lambda s: len(s.wearer.simulated.session.calibration), acc, 104.0)


def _polar() -> Family:
    rec = simulate_session(SessionSpec((SetSpec("single_leg_squat", "left", reps=4),),
                                       rate_hz=104.0, sensor_errors=False), 3).session.sets[0][1]
    return Family("polar", PMD_DATA_UUID, lambda: FakeVeritySense(rec), lambda d: len(d.rec),
                  lambda d, data: d.acc_frames.get(data, np.zeros((0, 3))), 104.0)


def _witmotion() -> Family:
    return Family("witmotion", WIT_NOTIFY_UUID, lambda: FakeWitMotion(1200), lambda d: d.n,
                  lambda d, data: acc_g_of(data), 100.0)


FAMILIES = {f.name: f for f in (_hipsense(), _polar(), _witmotion())}


@pytest.fixture(params=list(FAMILIES))
def family(request) -> Family:
    return FAMILIES[request.param]


@dataclass
class Run:
    driver: SensorDriver
    device: Any
    tap: Tap
    samples: Samples
    bad: int
    events: list[tuple[str, float]]


def _run(family: Family, **tap_kwargs: Any) -> Run:
    device = family.make()
    tap = Tap(device, family.data_uuid, **tap_kwargs)
    advertise(tap)

    async def go() -> Run:
        driver = driver_for(family.name, tap.address, backend=VirtualClientBackend,
                            clock=device.host_clock)
        events: list[tuple[str, float]] = []
        driver.on_link = lambda what, t: events.append((what, t))
        info = await driver.connect()
        assert (info.family, info.address) == (family.name, tap.address)
        got: list[tuple[float, bytes]] = []
        config = await driver.start(lambda h, p: got.append((h, p)), family.rate_hz)
        first_seq = driver.first_seq
        await asyncio.wait_for(device.finished.wait(), 60)
        await driver.stop()
        next_seq = driver.next_seq
        await driver.disconnect()
        decoder = driver.decoder(config)
        decoder.begin_stream(first_seq)
        parts = [decoder.feed(np.array([h for h, _ in got[i:i + 10]]),
                              [p for _, p in got[i:i + 10]]) for i in range(0, len(got), 10)]
        parts.append(decoder.end_stream(next_seq))
        samples = Samples(np.concatenate([s.time_s for s in parts]),
                          np.concatenate([s.host_time_s for s in parts]),
                          np.vstack([s.acc_g for s in parts]),
                          np.vstack([s.gyr_dps for s in parts]))
        bad = sum(sum(s.bad.values()) for s in parts)
        return Run(driver, device, tap, samples, bad, events)

    return asyncio.run(go())


def _arrived_acc_g(family: Family, run: Run) -> np.ndarray:
    return np.vstack([family.acc_g(run.device, p) for p in run.tap.delivered])


def test_streams_n_samples_and_decodes_exactly_n(family):
    run = _run(family)
    n = family.n(run.device)
    assert n > 500
    assert len(run.samples) == n and run.bad == 0 and run.events == []
    np.testing.assert_allclose(run.samples.acc_g, _arrived_acc_g(family, run), atol=1e-9)
    assert np.all(np.diff(run.samples.time_s) > 0)


def test_a_dropped_link_comes_back_and_every_sample_that_arrived_is_kept(family):
    run = _run(family, drop_at=DROP_AT)
    assert [what for what, _ in run.events] == ["disconnected", "reconnected"]
    assert {what for what, _ in run.events} <= set(LINK_EVENTS)
    assert run.events[0][1] <= run.events[1][1]
    assert run.driver.reconnects == 1 and len(run.tap.lost) == 1
    # streaming went on after the reconnect: notifications beyond the drop arrived
    assert len(run.tap.delivered) > DROP_AT
    lost = len(family.acc_g(run.device, run.tap.lost[0]))
    assert len(run.samples) == family.n(run.device) - lost
    np.testing.assert_allclose(run.samples.acc_g, _arrived_acc_g(family, run), atol=1e-9)
    assert np.all(np.diff(run.samples.time_s) > 0)


def test_bad_frames_are_counted_and_the_stream_goes_on(family):
    run = _run(family, damage=DAMAGED)
    assert len(run.tap.damaged) == len(DAMAGED) and run.bad == len(DAMAGED)
    assert run.events == []
    # what a damaged notification carried is gone, nothing else
    spoilt = sum(len(family.acc_g(run.device, p)) for p in run.tap.damaged)
    assert spoilt > 0 and len(run.samples) == family.n(run.device) - spoilt
    np.testing.assert_allclose(run.samples.acc_g, _arrived_acc_g(family, run), atol=1e-9)
