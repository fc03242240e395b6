"""Recording from the virtual sensor through bleak's in-process backend (shared
by the link, raw-log and stream tests)."""

from __future__ import annotations

from pathlib import Path

from hipsense.ble.fake_backend import VirtualClientBackend, VirtualScannerBackend, advertise
from hipsense.ble.virtual import VirtualSensor
from hipsense.devices.hipsense import HipsenseDriver, scan
from hipsense.live.view import ScriptedUI
from hipsense.record.recorder import Plan, Recorder
from hipsense.core import Session


async def record_virtual(sensor: VirtualSensor, folder: Path, plan: Plan | None = None
                         ) -> tuple[Session, HipsenseDriver]:
    """(session, driver) of recording ``plan`` (default: every set the sensor's
    wearer has planned) into ``folder``, the wearer doing each set when asked."""
    advertise(sensor)
    found = await scan(0.05, backend=VirtualScannerBackend)
    driver = HipsenseDriver(found[0][1], backend=VirtualClientBackend, clock=sensor.host_clock)

    def hook(exercise: str, side: str):
        sensor.wearer_does(exercise, side)
        return sensor.finished.wait()

    if plan is None:
        plan = Plan([(i.exercise, i.side) for i, _ in sensor.wearer.simulated.session.sets])
    return await Recorder(driver, folder, ScriptedUI(), wearer=hook).run(plan), driver
