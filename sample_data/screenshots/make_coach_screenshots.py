"""Makes the README's screenshots of the coach page (laptop and phone size):
a virtual session is recorded with the coach serving, the moment of a flagged
right single-leg squat (rep 6-8, the cue up) is served again to headless
chromium, which takes the pictures.

Usage: python sample_data/screenshots/make_coach_screenshots.py
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hipsense.live.coach.server import CoachServer
from hipsense.live.view import ScriptedUI
from hipsense.record.recorder import Plan, Recorder
from hipsense.sim import SessionSpec, SetSpec
from hipsense.virtual import connect_virtual, virtual_sensor

HERE = Path(__file__).resolve().parent
SIZES = {"coach-laptop.png": (1280, 800), "coach-phone.png": (390, 844)}


class _Quiet(ScriptedUI):
    def say(self, text: str) -> None:
        pass


async def _events(folder: Path) -> list[dict]:
    spec = SessionSpec(sets=(SetSpec("single_leg_squat", "right", reps=12, fault_deg=7.0),))
    sensor = virtual_sensor(spec=spec, seed=4, speed=20.0)  # real time: a live view mid-rep
    driver = await connect_virtual(sensor)
    events: list[dict] = []

    def hook(exercise: str, side: str):
        sensor.wearer_does(exercise, side)
        return sensor.finished.wait()

    await Recorder(driver, folder, _Quiet(), wearer=hook, observers=[events.append]).run(
        Plan([("single_leg_squat", "right")]))
    return events


async def _shoot(exe: str, moment: list[dict], profile: Path) -> None:
    coach = CoachServer(quiet=True)
    url = await coach.start()
    for event in moment:
        coach.publish(event)
    for name, (w, h) in SIZES.items():
        proc = await asyncio.create_subprocess_exec(
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--window-size={w},{h}",
            "--virtual-time-budget=4000", f"--screenshot={HERE / name}", url,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await proc.wait()
        print(f"wrote {HERE / name}")
    await coach.close()


def main() -> int:
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)),
               None)
    if exe is None:
        print("needs chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        events = asyncio.run(_events(Path(tmp) / "s"))
        begin = next(e for e in events if e["type"] == "set_begin")
        lives = [e for e in events if e["type"] == "live" and e.get("cue")]
        live = next((e for e in lives if e["reps"] == 7 and e["in_rep"]
                     and e["angle_deg"] > 3), lives[-1])
        asyncio.run(_shoot(exe, [begin, live], Path(tmp) / "profile"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
