"""Recording from the virtual sensor through bleak's in-process backend (shared
by the link, raw-log and stream tests)."""

from __future__ import annotations

from pathlib import Path

from hipsense.live.view import ScriptedUI
from hipsense.record.recorder import Plan, Recorder
from hipsense.core import Session
from hipsense.sensors.hipsense.driver import HipsenseDriver
from hipsense.virtual import connect_virtual
from hipsense.virtual.sensor import VirtualSensor


async def record_virtual(sensor: VirtualSensor, folder: Path, plan: Plan | None = None
                         ) -> tuple[Session, HipsenseDriver]:
    """(session, driver) of recording ``plan`` (default: every set the sensor's
    wearer has planned) into ``folder``, the wearer doing each set when asked."""
    driver = await connect_virtual(sensor)

    def hook(exercise: str, side: str):
        sensor.wearer_does(exercise, side)
        return sensor.finished.wait()

    if plan is None:
        plan = Plan([(i.exercise, i.side) for i, _ in sensor.wearer.simulated.session.sets])
    return await Recorder(driver, folder, ScriptedUI(), wearer=hook).run(plan), driver
