"""Notification-to-screen latency of the coach page: a virtual session streamed
in (scaled) real time through bleak's in-process backend, the recorder and
its coach server in one event loop, and the page open in headless chromium.

For every live message the latency runs from the host time of the oldest
notification in its batch (the BLE callback's stamp) to the page's
acknowledgement, sent once the frame that draws it has been painted
(requestAnimationFrame, then a task): it includes the recorder's drain period
(50 ms), decoding, the live analysis, the WebSocket and the page's drawing,
plus the acknowledgement's way back (localhost). Target: p95 under 150 ms.

Usage: python benchmarks/coach_latency.py [--speed 2] [--reps 12] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import numpy as np

from hipsense.live.coach.server import CoachServer
from hipsense.live.view import ScriptedUI
from hipsense.record.recorder import Plan, Recorder
from hipsense.sim import SessionSpec, SetSpec
from hipsense.virtual import connect_virtual, virtual_sensor


class _Quiet(ScriptedUI):
    def say(self, text: str) -> None:
        pass


async def one_run(exe: str, speed: float, reps: int, seed: int, root: Path) -> list[float]:
    spec = SessionSpec(sets=(SetSpec("single_leg_squat", "right", reps=reps, fault_deg=7.0),))
    sensor = virtual_sensor(spec=spec, seed=seed, speed=speed)
    driver = await connect_virtual(sensor)
    coach = CoachServer(clock=driver.clock)
    url = await coach.start()
    browser = await asyncio.create_subprocess_exec(
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={root / f'profile{seed}'}", "--window-size=1280,800", url,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True)
    try:
        await asyncio.wait_for(coach.connected.wait(), 60)

        def hook(exercise: str, side: str):
            sensor.wearer_does(exercise, side)
            return sensor.finished.wait()

        recorder = Recorder(driver, root / f"s{seed}", _Quiet(), wearer=hook,
                            observers=[coach.publish])
        await recorder.run(Plan([("single_leg_squat", "right")]))
        await asyncio.sleep(0.5)
    finally:
        try:
            os.killpg(browser.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        await browser.wait()
        await coach.close()
    return coach.latencies_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=2.0,
                        help="times real time (the notifications come this much faster)")
    parser.add_argument("--reps", type=int, default=12)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)
    if exe is None:
        print("coach_latency: needs chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            latencies += asyncio.run(one_run(exe, args.speed, args.reps, 10 + run, Path(tmp)))
    if not latencies:
        print("coach_latency: the page acknowledged nothing", file=sys.stderr)
        return 1
    ms = np.asarray(latencies) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    print(f"coach latency, notification to painted page ({ms.size} live messages, speed "
          f"{args.speed:g}x, {args.runs} run(s)): median {p50:.0f} ms, p95 {p95:.0f} ms, "
          f"p99 {p99:.0f} ms, max {ms.max():.0f} ms (target p95 < 150 ms)")
    return 0 if p95 < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
