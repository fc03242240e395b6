"""Wiring for ``hipsense record``: pick the sensor (a real one found by a
scan, or the virtual one), serve the coach page (opened in the browser), run
the recorder with the terminal UI, handle Ctrl-C, and when the session ends
hand it to ``on_session_end`` (the CLI analyses it and writes the report) and
tell the page where the report is."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hipsense.errors import HipsenseError, shown
from hipsense.exercises import PROGRAMME_ORDER
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
    virtual_faults: tuple[str, ...] = ()   # faults of form of the virtual runner
    bell: bool = False
    scan_s: float = 5.0
    coach: bool = True            # serve the coach page
    browser: bool = True          # open it in the browser (never when unattended)
    quiet: bool = False           # the page does not speak nor chime
    lan: bool = False             # listen on the network (with the token)
    port: int = 0                 # 0: a free port
    countdown_s: float = 5.0      # to get into position before a set (real time)
    #: Called with the saved session when it ends (in the event loop); returns
    #: the session report's path, which the coach page then shows.
    on_session_end: Callable[[Session], Path | None] | None = None
    #: Gets the running CoachServer (tests and the latency benchmark).
    on_coach: Callable[[object], None] | None = None
    athlete: str | None = None    # session.json's athlete (kept in the raw log too)
    #: the running check: "only" (after the calibration, no exercises) or "add"
    #: (after the exercises); None: no run
    run: str | None = None


async def _virtual(args: RecordArgs):
    """The virtual sensor on the in-process air, its driver, the wearer hook."""
    from hipsense.virtual import connect_virtual, virtual_sensor

    speed = args.speed if args.speed is not None else (math.inf if args.unattended else 1.0)
    wanted = list(args.exercises) if args.exercises else None
    if args.run == "only":
        wanted = ["run"]
    elif args.run == "add":
        wanted = [*(wanted or PROGRAMME_ORDER), "run"]
    sensor = virtual_sensor(wanted, seed=args.seed, packet_loss=args.packet_loss,
                            speed=speed, form_faults=args.virtual_faults)
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
    if args.run == "only":
        plan = Plan.run()
    elif args.run == "add":
        plan = Plan(plan.sets + Plan.run().sets)
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
    speed = 1.0
    if driver is None:
        driver, wearer_hook, metadata = await _virtual(args)
        speed = args.speed if args.speed is not None else (math.inf if args.unattended
                                                           else 1.0)
    if args.athlete:
        metadata = {**metadata, "athlete": args.athlete}
    countdown_s = 0.0 if args.unattended and math.isinf(speed) else args.countdown_s / speed
    coach = await _start_coach(args, ui, driver.clock) if args.coach else None
    recorder = Recorder(driver, args.out, ui, wearer=wearer_hook, metadata=metadata,
                        observers=[coach.publish] if coach else None,
                        countdown_s=countdown_s, auto_end_calibration=not args.unattended)
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, recorder.interrupt)
    except (NotImplementedError, RuntimeError):
        pass
    try:
        session = await recorder.run(plan)
        report = None
        if args.on_session_end is not None:
            try:
                loop.remove_signal_handler(signal.SIGINT)  # Ctrl-C now stops the report
            except (NotImplementedError, RuntimeError):
                pass
            report = args.on_session_end(session)
        if coach is not None:
            from hipsense.live.coach.events import session_end_event

            coach.report_path = Path(report) if report else None
            coach.publish(session_end_event(str(report) if report else None,
                                            len(session.sets), str(args.out)))
            await asyncio.sleep(0.3)  # the pages get it before the server goes
        return session
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError):
            pass
        if coach is not None:
            await coach.close()


async def _start_coach(args: RecordArgs, ui, clock):
    """The coach page's server in this event loop; its URL printed (with a QR
    code for --lan) and opened in the browser unless told not to."""
    from hipsense.live.coach.server import CoachServer

    def command(what: str) -> None:
        if what == "end_set":  # the page's "End set": as Enter in the terminal
            ui.stop_set.set()

    coach = CoachServer(quiet=args.quiet, lan=args.lan, port=args.port, clock=clock,
                        on_command=command)
    url = await coach.start()
    ui.say(f"Coach page: {url}")
    if args.lan:
        ui.say("Open it on a phone or tablet on the same network (the token in the address "
               "is its key):")
        ui.say(qr_text(url))
    if args.browser and not args.unattended and _can_open_browser():
        import webbrowser

        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, webbrowser.open, url)
    if args.on_coach is not None:
        args.on_coach(coach)
    return coach


def qr_text(url: str) -> str:
    """``url`` as a QR code in text (half blocks), for the terminal."""
    import io

    import qrcode

    qr = qrcode.QRCode(border=1)
    qr.add_data(url)
    qr.make(fit=True)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue().rstrip("\n")


def _can_open_browser() -> bool:
    """A graphical browser can be opened here (on Linux without a display,
    webbrowser would start a text browser in the recorder's terminal)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True
