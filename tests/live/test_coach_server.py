"""The coach server in the recorder's event loop: a WebSocket client follows a
recorded virtual session and gets what the page draws (issue 13, item 1)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import numpy as np
import pytest

from hipsense.analysis import analyze
from hipsense.exercises import EXERCISES
from hipsense.io import read_session
from hipsense.live.coach.events import rep_status, set_begin_event
from hipsense.live.coach.server import CoachServer

from hipsense.sim import SessionSpec, simulate_session
from hipsense.sim.movements import SetSpec
from hipsense.sim.running import RunSpec

from tests.live.coach_session import record_with_coach


def test_rep_colours_follow_the_threshold():
    rule = EXERCISES["single_leg_squat"].primary_rule
    assert [rep_status(v, rule) for v in (1.0, 3.9, 4.0, 4.9, 5.1, None)] == [
        "good", "good", "near", "near", "past", "none"]
    bridge = EXERCISES["hip_bridge"].primary_rule  # either side is a fault
    assert [rep_status(v, bridge) for v in (-4.5, -3.3, 2.0)] == ["past", "near", "good"]
    begin = set_begin_event(EXERCISES["hip_bridge"], "both", "Bridge", 4.0)
    assert begin["two_sided"] and begin["threshold_deg"] == 4.0 and begin["near_deg"] == 3.2


def test_every_exercise_says_how_to_get_into_position():
    for ex in EXERCISES.values():
        for side in ex.sides:
            steps = ex.setup_steps(side)
            assert len(steps) >= 2 and all("{" not in s for s in steps)
    assert "Lie on your right side" in EXERCISES["clamshell"].setup_steps("left")[0]


async def _follow(coach: CoachServer, received: list[dict]):
    """A client on the WebSocket that keeps every message."""
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(coach.url.replace("http", "ws").replace("/?", "/ws?"))

    async def read():
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    received.append(json.loads(msg.data))
        finally:
            await session.close()

    return asyncio.ensure_future(read())


def test_a_recorded_session_reaches_the_page(tmp_path):
    received: list[dict] = []
    folder = tmp_path / "s"

    async def go():
        async def page(coach):
            return await _follow(coach, received)

        session, coach, ui, reader = await record_with_coach(folder, page=page)
        await asyncio.wait_for(reader, 10)  # the server closed the socket
        return session, coach, ui

    session, coach, ui = asyncio.run(go())
    types = [m["type"] for m in received]
    assert types[0] == "hello" and received[0]["quiet"] is False
    assert types[-1] == "session_end"
    # the calibration screen went through its three phases, each good
    cal = [m for m in received if m["type"] == "calibration"]
    assert cal and cal[-1]["done"] and [p["state"] for p in cal[-1]["phases"]] == ["good"] * 3
    # before each set: how to get into position, and the side
    prep = [m for m in received if m["type"] == "prepare"]
    assert [(m["exercise"], m["side"]) for m in prep] == [("single_leg_squat", "right"),
                                                         ("clamshell", "left")]
    assert "Stand tall on the right leg" in prep[0]["steps"][0]
    assert "Lie on your right side" in prep[1]["steps"][0]
    # the sets: counts as saved, the flagged squat's reps red and its cue
    result = analyze(read_session(folder))
    ends = [m for m in received if m["type"] == "set_end"]
    assert [m["reps"] for m in ends] == [s.rep_count for s in result.sets]
    assert ends[0]["reps"] == 12 and ends[0]["complete"]
    assert ends[0]["rep_status"].count("past") >= 8 and ends[0]["median_status"] == "past"
    assert "dropped" in ends[0]["cue"] and "squeeze the right glute" in ends[0]["cue"]
    assert ends[1]["rep_status"].count("past") == 0 and ends[1]["cue"].startswith("Good")
    begin = types.index("set_begin")
    squat_live = [m for m in received[begin:types.index("set_end")] if m["type"] == "live"]
    assert any((m.get("cue") or "").startswith("Hip dropped") for m in squat_live)
    assert squat_live[-1]["rep_status"].count("past") >= 8
    assert any(m.get("complete") for m in received if m["type"] == "live")
    # the summary the terminal printed says the same count
    assert f"{ends[0]['reps']} reps" in next(s for s in ui.said if "set01.csv" in s)


def test_the_page_needs_its_token(tmp_path):
    async def go():
        coach = CoachServer()
        url = await coach.start()
        base = url.split("?")[0]
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as r:
                page = await r.text()
                assert r.status == 200 and "hipsense coach" in page
            async with http.get(base) as r:
                assert r.status == 403
            async with http.get(base + "?token=wrong") as r:
                assert r.status == 403
            async with http.get(base + "static/coach.js") as r:
                assert r.status == 200 and "speechSynthesis" in await r.text()
            async with http.get(base + "static/..%2Fserver.py") as r:
                assert r.status == 404
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(base.replace("http", "ws") + "ws?token=nope")
        assert url.startswith("http://127.0.0.1:")
        await coach.close()

    asyncio.run(go())


def test_the_page_can_end_the_set(tmp_path):
    """The page's "End set" reaches the recorder as Enter does; nothing else does."""
    asked: list[str] = []

    async def go():
        coach = CoachServer(on_command=asked.append)
        url = await coach.start()
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(url.replace("http", "ws").replace("/?", "/ws?"))
            await ws.receive()  # hello
            for what in ("end_set", "rm -rf", 7):
                await ws.send_str(json.dumps({"type": "command", "what": what}))
            await ws.send_str("not json")
            await asyncio.sleep(0.2)
            await ws.close()
        await coach.close()

    asyncio.run(go())
    assert asked == ["end_set"]


#: A run whose left-foot stances drop 8 deg (past the 5 deg limit) and right 2 deg.
LOPSIDED_RUN = SessionSpec(sets=(SetSpec("run", "both"),),
                           run=RunSpec(run_s=30.0, cadence_spm=170.0, drop_left_deg=8.0,
                                       drop_right_deg=2.0, fatigue_deg=0.0, stops=0, turns=0))


def test_a_run_reaches_the_page_as_cadence_and_drop_per_side(tmp_path):
    received: list[dict] = []
    folder = tmp_path / "s"

    async def go():
        async def page(coach):
            return await _follow(coach, received)

        # at 20 times real time, so the run's 5 s updates come one by one
        session, coach, ui, reader = await record_with_coach(folder, spec=LOPSIDED_RUN,
                                                             page=page, speed=20.0)
        await asyncio.wait_for(reader, 10)
        return ui

    ui = asyncio.run(go())
    runs = [m for m in received if m["type"] == "run_live"]
    assert len(runs) >= 3  # every 5 s of a 30 s run, once 10 steps are in
    # the virtual runner is simulate_session(spec, seed): its truth
    truth = simulate_session(LOPSIDED_RUN, 4).truth["sets"][0]
    true_l, true_r = truth["left"]["pelvic_drop_deg"], truth["right"]["pelvic_drop_deg"]
    assert true_l > 5.0 > true_r
    for m in runs:
        assert abs(m["cadence_spm"] - truth["cadence_spm"]) <= 6.0
        assert m["threshold_deg"] == 5.0 and m["steps"] == 10
        assert m["left"]["status"] == "past" and m["right"]["status"] == "good"
        # the last 10 steps: 5 stances a side, each drop varying by 0.9 deg (SD)
        assert abs(m["left"]["drop_deg"] - true_l) <= 2.0
        assert abs(m["right"]["drop_deg"] - true_r) <= 2.0
        assert m["line"] in ui.said  # the terminal said the same
    # over the run, the live figures' median is the run's true per-side median
    for side, true in (("left", true_l), ("right", true_r)):
        assert abs(float(np.median([m[side]["drop_deg"] for m in runs])) - true) <= 1.0
