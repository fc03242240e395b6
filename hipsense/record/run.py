"""Wiring for ``hipsense record``: pick the sensor (a real one found by a
scan, or the virtual one), run the recorder with the terminal UI, handle
Ctrl-C."""

from __future__ import annotations

import asyncio
import math
import signal
from dataclasses import dataclass
from pathlib import Path

from hipsense.errors import HipsenseError, shown
from hipsense.record.recorder import Plan, Recorder
from hipsense.core import Session


@dataclass
class RecordArgs:
    out: Path
    sensor: str = "auto"          # "auto", "virtual", a family or a Bluetooth address
    seed: int = 1
    unattended: bool = False
    speed: float | None = None    # virtual sensor: None = as fast as possible unattended
    exercises: list[str] | None = None
    packet_loss: float = 0.0
    bell: bool = False
    scan_s: float = 5.0
    athlete: str | None = None    # session.json's athlete (kept in the raw log too)


async def _virtual(args: RecordArgs):
    """The virtual sensor on the in-process air, its driver, the wearer hook."""
    from hipsense.virtual import connect_virtual, virtual_sensor

    speed = args.speed if args.speed is not None else (math.inf if args.unattended else 1.0)
    sensor = virtual_sensor(args.exercises, seed=args.seed, packet_loss=args.packet_loss,
                            speed=speed)
    driver = await connect_virtual(sensor, scan_s=0.1)

    def wearer_hook(exercise: str, side: str):
        sensor.wearer_does(exercise, side)
        return sensor.finished.wait()

    return driver, wearer_hook, {"simulation": {"seed": args.seed, "virtual_sensor": True}}


def record(args: RecordArgs) -> Session:
    return asyncio.run(_record(args))


async def _record(args: RecordArgs) -> Session:
    from hipsense.sensors import FAMILIES, driver_for
    from hipsense.errors import SensorError
    from hipsense.sensors import scan
    from hipsense.live.view import ConsoleUI, ScriptedUI

    plan = Plan.programme()
    if args.exercises:
        plan = Plan([s for s in plan.sets if s[0] in args.exercises])
    ui = ScriptedUI() if args.unattended else ConsoleUI(bell=args.bell)
    if args.unattended and args.sensor not in ("auto", "virtual"):
        raise HipsenseError("--unattended records from the virtual sensor (a real runner ends "
                            "each set by pressing Enter); leave out --sensor")
    driver = None
    if args.sensor != "virtual" and not args.unattended:
        ui.say(f"Looking for hipsense sensors ({args.scan_s:.0f} s)...")
        try:
            found = await scan(args.scan_s)
        except SensorError as exc:
            if args.sensor != "auto":
                raise
            ui.say(f"{shown(exc)}.")
            found = []
        if args.sensor in FAMILIES:
            found = [f for f in found if f[0].family == args.sensor]
        elif args.sensor != "auto":
            found = [f for f in found if f[0].address.lower() == args.sensor.lower()]
        if args.sensor != "auto" and not found:
            raise HipsenseError(f"no {args.sensor} sensor found: switch it on and bring it "
                                "close")
        if found:
            info = found[0][0]
            ui.say(f"Found {shown(info.name)} ({info.family}, {shown(info.address)}, "
                   f"{info.rssi_dbm} dBm).")
            driver = driver_for(info.family, found[0][1])
        else:
            ui.say("[bold]No hipsense sensor found: recording from the virtual sensor "
                   "(a simulated runner).[/bold]")
    wearer_hook = None
    metadata = {}
    if driver is None:
        driver, wearer_hook, metadata = await _virtual(args)
    if args.athlete:
        metadata = {**metadata, "athlete": args.athlete}
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
