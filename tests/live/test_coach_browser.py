"""The coach page in a real headless browser (Debian's chromium) during a
recorded virtual session: the count reaches the set's true count, flagged reps
turn red, the cue appears, speech is requested with the count, "set complete"
shows, the chime sounds at the end of a hold. The page reports what it draws
in its acknowledgements (read from its own DOM), and the server times each
from notification to painted page."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from hipsense.analysis import analyze
from hipsense.io import read_session

from tests.live.coach_session import record_with_coach

from tests.conftest import chromium




async def open_page(exe: str, url: str, profile) -> asyncio.subprocess.Process:
    """Headless chromium on ``url``, left running (the caller ends it)."""
    return await asyncio.create_subprocess_exec(
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={profile}",
        "--window-size=1280,800", url,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        start_new_session=True)


def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_the_coach_page_follows_a_session_in_chromium(tmp_path):
    exe = chromium()
    folder = tmp_path / "s"

    async def go():
        async def page(coach):
            return await open_page(exe, coach.url, tmp_path / "profile")

        proc = None
        try:
            session, coach, ui, proc = await record_with_coach(folder, page=page, speed=10.0)
        finally:
            if proc is not None:
                _stop(proc)
                await proc.wait()
        return session, coach

    session, coach = asyncio.run(go())
    result = analyze(read_session(folder))
    squat = result.sets[0]
    assert squat.rep_count == 12  # the simulated runner's true count
    acks = coach.acks
    assert acks, "the page never answered"
    set_acks = [a for a in acks if a.get("of") == "live" and a["shown"]["screen"] == "set"]
    first_set_end = next(i for i, a in enumerate(acks) if a.get("of") == "set_end")
    squat_acks = [a for a in acks[:first_set_end] if a in set_acks]
    counts = [int(a["shown"]["count"]) for a in squat_acks]
    assert counts == sorted(counts) or max(counts) >= 10  # it counted up
    assert max(counts) >= 10
    assert any("past" in a["shown"]["reps"] for a in squat_acks)  # a flagged rep red
    assert any(a["shown"]["cue"].startswith("Hip dropped") for a in squat_acks)
    assert any(a["shown"]["complete"] for a in squat_acks)  # "set complete" at 10 reps
    # after the set the page shows the saved count
    end = acks[first_set_end]["shown"]
    assert end["screen"] == "rest" and end["summary"].startswith(f"{squat.rep_count} reps")
    assert end["reps"].count("past") >= 8
    spoken = acks[-1]["spoken"] + [s for a in acks for s in a["spoken"]]
    assert "7" in spoken and "Set complete" in spoken
    assert any(s.startswith("Hip dropped") for s in spoken)
    assert acks[-1]["shown"]["screen"] == "end"
    # the clamshells' 5 s holds at the top each ended with the chime
    assert acks[-1]["shown"]["chimes"] >= 5
    # notification to painted page: the page keeps up (the target, p95 under
    # 150 ms, is measured by benchmarks/coach_latency.py on a quiet machine; here
    # the bound leaves room for a CI machine busy with other jobs)
    assert len(coach.latencies_s) > 20
    lat = sorted(coach.latencies_s)
    assert lat[int(0.95 * (len(lat) - 1))] < 0.5


@pytest.mark.slow
def test_the_coach_page_shows_a_runs_cadence_and_drop_per_side_in_chromium(tmp_path):
    from tests.live.test_coach_server import LOPSIDED_RUN

    from hipsense.sim import simulate_session

    exe = chromium()
    folder = tmp_path / "s"

    async def go():
        async def page(coach):
            return await open_page(exe, coach.url, tmp_path / "profile")

        proc = None
        try:
            session, coach, ui, proc = await record_with_coach(folder, spec=LOPSIDED_RUN,
                                                               page=page, speed=20.0)
        finally:
            if proc is not None:
                _stop(proc)
                await proc.wait()
        return coach

    coach = asyncio.run(go())
    truth = simulate_session(LOPSIDED_RUN, 4).truth["sets"][0]  # the virtual runner's
    shown = [a["shown"] for a in coach.acks if a.get("of") == "run_live"]
    assert len(shown) >= 3, "the page drew no run"
    for s in shown:
        assert s["screen"] == "run"
        assert abs(int(s["run"]["cadence"]) - truth["cadence_spm"]) <= 6
        left, right = (float(s["run"][k].rstrip("°")) for k in ("left", "right"))
        assert abs(left - truth["left"]["pelvic_drop_deg"]) <= 2.0
        assert abs(right - truth["right"]["pelvic_drop_deg"]) <= 2.0
        # the left side past the 5 deg limit (red), the right within it (green)
        assert s["run"]["left_status"] == "past" and s["run"]["right_status"] == "good"
        assert s["run"]["note"] == "Hip drop, last 10 steps (limit 5°)"
