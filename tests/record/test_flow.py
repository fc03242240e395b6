"""The recording flow as a runner lives it, on the virtual sensor in (scaled)
real time: a set ended early with Enter, a wait at the menu, another exercise
chosen. Each test here failed before its fix (issue 13, item 4)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from hipsense.analysis import analyze
from hipsense.io import read_session
from hipsense.live.view import ScriptedUI
from hipsense.record.recorder import Recorder
from hipsense.virtual import connect_virtual, virtual_sensor

SPEED = 40.0


class RunnerUI(ScriptedUI):
    """A runner at the keyboard: ends each set after ``set_s`` (sensor seconds)
    with Enter, waits ``wait_s`` (sensor seconds) at the menu, then picks the
    next of ``choices``."""

    def __init__(self, choices: list[tuple[str, str]], *, set_s: float, wait_s: float,
                 speed: float = SPEED) -> None:
        super().__init__()
        self.choices, self.set_s, self.wait_s, self.speed = list(choices), set_s, wait_s, speed
        self.said: list[str] = []
        self.menus = 0
        self.live_reps: list[int] = []
        self._state = None

    def say(self, text: str) -> None:
        self.said.append(text)

    async def choose_set(self, suggestion):
        if self.menus:
            await asyncio.sleep(self.wait_s / self.speed)
        self.menus += 1
        return self.choices.pop(0) if self.choices else None

    def live_begin(self, title, live) -> None:
        self._state = None
        if live is not None:
            asyncio.get_running_loop().call_later(self.set_s / self.speed, self.stop_set.set)

    def live_update(self, state, link) -> None:
        self._state = state

    def live_end(self) -> None:
        if self._state is not None:
            self.live_reps.append(self._state.reps)


def _record(folder: Path, ui: RunnerUI, exercises: list[str], seed: int = 3):
    async def go():
        sensor = virtual_sensor(exercises, seed=seed, speed=SPEED)
        driver = await connect_virtual(sensor)

        def hook(exercise: str, side: str):
            sensor.wearer_does(exercise, side)
            return sensor.finished.wait()

        return await Recorder(driver, folder, ui, wearer=hook).run(None)

    return asyncio.run(go())


def test_second_set_after_a_wait_at_the_menu_loses_nothing(tmp_path):
    """Set 1 ended early by the runner, 10 s at the menu, set 2: the packets the
    sensor never produced (it was not streaming) are not counted lost."""
    ui = RunnerUI([("clamshell", "left"), ("clamshell", "right")], set_s=30, wait_s=10)
    session = _record(tmp_path / "s", ui, ["clamshell"])
    assert len(session.sets) == 2, ui.said
    for info, _ in session.sets:
        assert info.extra["lost_packets"] == 0, ui.said
    assert session.metadata["recording"]["lost_packets"] == 0


def test_the_virtual_runner_does_the_chosen_exercise(tmp_path):
    """After a clamshell set ended early, a single-leg squat is chosen: the
    runner stands up (the sensor's +X, nominally up, reads about +1 g), and a
    long wait at the menu does not end the set by itself."""
    ui = RunnerUI([("clamshell", "left"), ("single_leg_squat", "left")], set_s=30,
                  wait_s=60)
    session = _record(tmp_path / "s", ui, ["clamshell", "single_leg_squat"])
    assert not any("no data arrived" in s for s in ui.said), ui.said
    assert [i.exercise for i, _ in session.sets] == ["clamshell", "single_leg_squat"]
    clam, squat = (rec for _, rec in session.sets)
    assert abs(np.median(clam.acc_g[:, 0])) < 0.5     # lying on the side
    assert np.median(squat.acc_g[:, 0]) > 0.8         # standing up
    assert len(squat) > 20 * 100                      # the 30 s the runner gave it


@pytest.mark.slow
def test_live_count_and_saved_set_agree(tmp_path):
    """What the runner is told a set counted is what the saved set says."""
    ui = RunnerUI([("clamshell", "left"), ("single_leg_squat", "left"),
                   ("single_leg_squat", "right")], set_s=25, wait_s=2)
    folder = tmp_path / "s"
    _record(folder, ui, ["clamshell", "single_leg_squat"], seed=5)
    result = analyze(read_session(folder))
    counts = [s.rep_count for s in result.sets]
    summaries = [s for s in ui.said if "saved set" in s]
    assert len(summaries) == 3
    for text, count in zip(summaries, counts):
        assert f" {count} reps" in text, (text, counts)


def test_the_virtual_runner_does_the_planned_sets_in_any_order():
    """Asked for the plan's sets in another order, the runner still does the
    planned recordings (their faults of form included)."""
    from hipsense.sim import SessionSpec
    from hipsense.sim.movements import SetSpec
    from hipsense.virtual.sensor import VirtualWearer

    spec = SessionSpec(sets=(SetSpec("single_leg_squat", "left", reps=10, fault_deg=8.0),
                             SetSpec("clamshell", "left", reps=11)))
    wearer = VirtualWearer(spec, 3)
    planned = {i.exercise: rec for i, rec in wearer.simulated.session.sets}
    clam = wearer.perform("clamshell", "left", 0.0, realtime=False)
    squat = wearer.perform("single_leg_squat", "left", clam.time_s[-1], realtime=False)
    np.testing.assert_array_equal(clam.acc_g, planned["clamshell"].acc_g)
    np.testing.assert_array_equal(squat.acc_g, planned["single_leg_squat"].acc_g)
    again = wearer.perform("single_leg_squat", "left", squat.time_s[-1], realtime=False)
    assert len(again) > 100 and not np.array_equal(again.acc_g[:100], squat.acc_g[:100])


def test_the_calibration_ends_by_itself_once_its_phases_are_good(tmp_path):
    """Attended, the runner need not come back to the keyboard: the calibration
    ends 1 s after its last phase is good (the wearer here never says done)."""
    ui = RunnerUI([("clamshell", "left")], set_s=20, wait_s=0)

    async def go():
        sensor = virtual_sensor(["clamshell"], seed=1, speed=SPEED)
        driver = await connect_virtual(sensor)

        def hook(exercise: str, side: str):
            sensor.wearer_does(exercise, side)
            return asyncio.Event().wait() if exercise == "calibration" else sensor.finished.wait()

        recorder = Recorder(driver, tmp_path / "s", ui, wearer=hook, auto_end_calibration=True)
        return await asyncio.wait_for(recorder.run(None), 30)

    session = asyncio.run(go())
    assert session.calibration is not None and len(session.sets) == 1
    assert any(s.startswith("Calibration done") for s in ui.said)
    # (without the auto-end the recorder would wait for the wearer for ever: the
    # wait_for above would fail)


def test_a_failing_coach_never_ends_the_recording(tmp_path):
    calls = []

    def broken(event):
        calls.append(event["type"])
        raise ValueError("out of range float values are not JSON compliant")

    async def go():
        sensor = virtual_sensor(["hip_bridge"], seed=2)
        driver = await connect_virtual(sensor)

        def hook(exercise: str, side: str):
            sensor.wearer_does(exercise, side)
            return sensor.finished.wait()

        ui = RunnerUI([("hip_bridge", "both")], set_s=1e9, wait_s=0)
        session = await Recorder(driver, tmp_path / "s", ui, wearer=hook,
                                 observers=[broken]).run(None)
        return session, ui

    session, ui = asyncio.run(go())
    assert len(calls) == 1 and len(session.sets) == 1 and session.calibration is not None
    assert any("The coach page stopped (ValueError" in s for s in ui.said)
