"""The virtual hipsense sensor: a simulated runner wearing a sensor that
speaks PROTOCOL.md, with no radio needed.

- :mod:`.sensor`: the sensor's state machine (:class:`~.sensor.VirtualSensor`,
  the wearer, injected faults);
- :mod:`.packets`: cutting a recording into packets;
- :mod:`.backend`: an in-process bleak backend, so the real ``BleakClient``
  and driver code run against it;
- :mod:`.bumble_peripheral`: the sensor as a real BLE peripheral (bumble).

:func:`virtual_sensor` is the one way to build it (``hipsense record``,
``scan --virtual``, ``virtual-sensor``, the demo and the tests);
:func:`connect_virtual` puts it on the in-process air and gives its driver.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

# the module, not its names: the class is looked up when a sensor is built
# (tests swap in a sensor with extra faults)
import hipsense.virtual.sensor as sensor_module
from hipsense.sensors.hipsense.driver import HipsenseDriver
from hipsense.sim import SessionSpec, programme_sets


#: Faults of form the virtual runner can be asked for (``record
#: --virtual-faults``): name -> (exercises, what the set does). The sizes are
#: well past the catalogue's limits, so the cue fires on most reps.
FORM_FAULTS: dict[str, tuple[tuple[str, ...], dict[str, float]]] = {
    "drop": (("single_leg_squat", "knee_drive"), {"fault_deg": 8.0}),
    "rollback": (("clamshell",), {"fault_deg": 8.0}),
    "lift": (("prone_hip_extension",), {"fault_deg": 8.0}),
    "obliquity": (("hip_bridge",), {"fault_deg": 6.5}),
    "short_hold": (("hip_stretch", "hip_flexor_stretch"), {"hold_s": 18.0}),
}


def virtual_sensor(exercises: Sequence[str] | None = None, *, seed: int = 1,
                   packet_loss: float = 0.0, spec: SessionSpec | None = None,
                   form_faults: Sequence[str] = (),
                   **options: Any) -> sensor_module.VirtualSensor:
    """The virtual sensor on a simulated runner (seed ``seed``) who does the
    programme's sets of ``exercises`` (every exercise by default), losing
    ``packet_loss`` of the packets in the simulated radio, with the faults of
    form named in ``form_faults`` (:data:`FORM_FAULTS`), or the session
    ``spec`` when given. ``options`` go to :class:`~.sensor.VirtualSensor`
    (``speed``, ``faults``, ``name``, ``reports_seq`` ...)."""
    if spec is None:
        from hipsense.sim.movements import SetSpec
        from hipsense.sim.running import RunSpec

        wanted = list(exercises) if exercises else None
        runs = wanted is not None and "run" in wanted
        wanted = [x for x in wanted if x != "run"] if wanted is not None else None
        sets = (programme_sets(wanted) if wanted else
                () if runs else programme_sets())
        if form_faults:
            sets = tuple(_with_faults(s, form_faults) for s in sets)
        if runs:  # a short run (the running check) after the sets
            sets = (*sets, SetSpec("run", "both"))
        spec = SessionSpec(sets=sets, packet_loss=packet_loss,
                           run=RunSpec(run_s=40.0, stops=0) if runs else None)
    return sensor_module.VirtualSensor(sensor_module.VirtualWearer(spec, seed), **options)


def _with_faults(spec: Any, form_faults: Sequence[str]) -> Any:
    """A set's spec with the asked faults of form that apply to its exercise."""
    import dataclasses

    changes: dict[str, float] = {}
    for name in form_faults:
        exercises, what = FORM_FAULTS[name]
        if spec.exercise in exercises:
            changes.update(what)
    return dataclasses.replace(spec, **changes) if changes else spec


async def connect_virtual(sensor: sensor_module.VirtualSensor, *, scan_s: float = 0.05
                          ) -> HipsenseDriver:
    """Advertise ``sensor`` on the in-process air, find it by a scan and give
    its driver (not yet connected). The driver's host clock is the sensor's
    simulated one in fast mode, the real one at a finite speed."""
    from hipsense.sensors import scan
    from hipsense.virtual.backend import VirtualClientBackend, VirtualScannerBackend, advertise

    advertise(sensor)
    found = await scan(scan_s, backend=VirtualScannerBackend)
    clock = sensor.host_clock if math.isinf(sensor.speed) else time.monotonic
    return HipsenseDriver(found[0][1], backend=VirtualClientBackend, clock=clock)


__all__ = ["FORM_FAULTS", "connect_virtual", "virtual_sensor"]
