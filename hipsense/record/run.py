"""Wiring for ``hipsense record``: pick the sensor (a real one found by a
scan, or the virtual one), run the recorder with the terminal UI, handle
Ctrl-C."""

from __future__ import annotations

import asyncio
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from hipsense.errors import HipsenseError
from hipsense.record.recorder import Plan, Recorder
from hipsense.recording import Session


@dataclass
class RecordArgs:
    out: Path
    sensor: str = "auto"          # "auto", "virtual" or a Bluetooth address
    seed: int = 1
    unattended: bool = False
    speed: float | None = None    # virtual sensor: None = as fast as possible unattended
    exercises: list[str] | None = None
    packet_loss: float = 0.0
    bell: bool = False
    scan_s: float = 5.0


def record(args: RecordArgs) -> Session:
    return asyncio.run(_record(args))


async def _record(args: RecordArgs) -> Session:
    from hipsense.devices.hipsense import HipsenseDriver, scan
    from hipsense.live.view import ConsoleUI, ScriptedUI

    plan = Plan.programme()
    if args.exercises:
        plan = Plan([s for s in plan.sets if s[0] in args.exercises])
    ui = ScriptedUI() if args.unattended else ConsoleUI(bell=args.bell)
    wearer_hook = None
    metadata = {}
    if args.sensor == "virtual":
        from hipsense.ble.fake_backend import VirtualClientBackend, VirtualScannerBackend, \
            advertise
        from hipsense.ble.virtual import VirtualSensor, VirtualWearer
        from hipsense.sim import SessionSpec, programme_sets

        spec = SessionSpec(sets=programme_sets(args.exercises) if args.exercises
                           else programme_sets(), packet_loss=args.packet_loss)
        speed = args.speed if args.speed is not None else (math.inf if args.unattended else 1.0)
        sensor = VirtualSensor(VirtualWearer(spec, args.seed), speed=speed)
        advertise(sensor)
        found = await scan(0.1, backend=VirtualScannerBackend)
        clock = sensor.host_clock if math.isinf(speed) else time.monotonic
        driver = HipsenseDriver(found[0][1], backend=VirtualClientBackend, clock=clock)
        metadata = {"simulation": {"seed": args.seed, "virtual_sensor": True}}

        def wearer_hook(exercise: str, side: str):
            sensor.wearer_does(exercise, side)
            return sensor.finished.wait()
    elif args.unattended:
        raise HipsenseError("--unattended needs --sensor virtual (a real runner ends each "
                            "set by pressing Enter)")
    else:
        ui.say(f"Looking for hipsense sensors ({args.scan_s:.0f} s)...")
        found = await scan(args.scan_s)
        if args.sensor != "auto":
            found = [f for f in found if f[0].address.lower() == args.sensor.lower()]
        if not found:
            raise HipsenseError("no hipsense sensor found: switch it on and bring it close, "
                                "or try --sensor virtual")
        info = found[0][0]
        ui.say(f"Found {info.name} ({info.address}, {info.rssi_dbm} dBm).")
        driver = HipsenseDriver(found[0][1])
    recorder = Recorder(driver, args.out, ui, wearer=wearer_hook, metadata=metadata)
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, recorder.interrupt)
    except (NotImplementedError, RuntimeError):
        pass
    try:
        return await recorder.run(plan)
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError):
            pass
