"""A recorded virtual session with the coach server in the recorder's loop
(shared by the coach tests and benchmarks/coach_latency.py)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hipsense.core import Session
from hipsense.live.coach.server import CoachServer
from hipsense.live.view import ScriptedUI
from hipsense.record.recorder import Plan, Recorder
from hipsense.sim import SessionSpec
from hipsense.sim.movements import SetSpec
from hipsense.virtual import connect_virtual, virtual_sensor

#: A right single-leg squat dropping 8 deg (past the 5 deg limit: red reps and
#: a cue), then good left clamshells held 5.5 s at the top (past the 5 s aim:
#: the chime).
FLAGGED_SQUAT = SessionSpec(sets=(SetSpec("single_leg_squat", "right", reps=12, fault_deg=8.0),
                                  SetSpec("clamshell", "left", reps=10, hold_s=5.5)))


class SilentUI(ScriptedUI):
    """No prompts, and no printing: what the recorder says is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


async def record_with_coach(folder: Path, *, spec: SessionSpec = FLAGGED_SQUAT, seed: int = 4,
                            speed: float = math.inf,
                            page: Callable[[CoachServer], Awaitable[Any]] | None = None,
                            quiet: bool = False, countdown_s: float = 0.0
                            ) -> tuple[Session, CoachServer, SilentUI, Any]:
    """Record ``spec`` from the virtual sensor at ``speed`` with the coach
    serving; ``page(server)`` is started first and awaited until it has
    connected (it returns a task-like object the caller ends). Returns the
    session, the (closed) server, the UI and what ``page`` returned."""
    sensor = virtual_sensor(spec=spec, seed=seed, speed=speed)
    driver = await connect_virtual(sensor)
    coach = CoachServer(quiet=quiet, clock=driver.clock)
    await coach.start()
    client = None
    try:
        if page is not None:
            client = await page(coach)
            await asyncio.wait_for(coach.connected.wait(), 60)

        def hook(exercise: str, side: str):
            sensor.wearer_does(exercise, side)
            return sensor.finished.wait()

        ui = SilentUI()
        plan = Plan([(s.exercise, s.side) for s in spec.sets])
        recorder = Recorder(driver, folder, ui, wearer=hook, observers=[coach.publish],
                            countdown_s=countdown_s)
        session = await recorder.run(plan)
        from hipsense.live.coach.events import session_end_event

        coach.publish(session_end_event(None, len(session.sets), str(folder)))
        await asyncio.sleep(0.5)  # the page draws and acknowledges the last messages
    finally:
        await coach.close()
    return session, coach, ui, client
