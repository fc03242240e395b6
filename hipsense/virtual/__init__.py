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


def virtual_sensor(exercises: Sequence[str] | None = None, *, seed: int = 1,
                   packet_loss: float = 0.0, spec: SessionSpec | None = None,
                   **options: Any) -> sensor_module.VirtualSensor:
    """The virtual sensor on a simulated runner (seed ``seed``) who does the
    programme's sets of ``exercises`` (every exercise by default), losing
    ``packet_loss`` of the packets in the simulated radio, or the session
    ``spec`` when given. ``options`` go to :class:`~.sensor.VirtualSensor`
    (``speed``, ``faults``, ``name``, ``reports_seq`` ...)."""
    if spec is None:
        sets = programme_sets(list(exercises)) if exercises else programme_sets()
        spec = SessionSpec(sets=sets, packet_loss=packet_loss)
    return sensor_module.VirtualSensor(sensor_module.VirtualWearer(spec, seed), **options)


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


__all__ = ["connect_virtual", "virtual_sensor"]
