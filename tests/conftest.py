from __future__ import annotations

from pathlib import Path

import pytest

from hipsense.io import write_json, write_session
from hipsense.sim import SessionSpec, SimulatedSession, programme_sets, simulate_session

REPO = Path(__file__).resolve().parents[1]


def chromium() -> str:
    """The chromium to drive, or skip the test where there is none (unless
    HIPSENSE_REQUIRE_BROWSER says it must be there: then fail)."""
    import os

    from hipsense.report.html import find_chromium

    exe = find_chromium()
    if exe is None and not os.environ.get("HIPSENSE_REQUIRE_BROWSER"):
        pytest.skip("no chromium here (.ci/run installs it)")
    assert exe, "chromium is required (HIPSENSE_REQUIRE_BROWSER) but not installed"
    return exe


@pytest.fixture(autouse=True)
def _history_db(tmp_path_factory, monkeypatch):
    """Every test's history database is its own (never the user's)."""
    monkeypatch.setenv("HIPSENSE_DB", str(tmp_path_factory.mktemp("db") / "history.sqlite3"))


@pytest.fixture(scope="session")
def small_sim() -> SimulatedSession:
    """A short simulated session: one single-leg squat set per side and a stretch."""
    spec = SessionSpec(sets=programme_sets(["single_leg_squat", "hip_stretch"], reps=6),
                       packet_loss=0.02, metadata={"athlete": "test runner",
                                                   "notes": "ünïcode kept"})
    return simulate_session(spec, seed=11)


@pytest.fixture
def session_dir(small_sim: SimulatedSession, tmp_path: Path) -> Path:
    """The small session written to a fresh folder (tests may damage it)."""
    folder = tmp_path / "session"
    write_session(small_sim.session, folder)
    write_json(small_sim.truth, folder / "truth.json")
    return folder


@pytest.fixture(scope="session")
def run_sim() -> SimulatedSession:
    """A short simulated session of one clamshell set and a 25 s run."""
    from hipsense.sim.movements import SetSpec
    from hipsense.sim.running import RunSpec

    spec = SessionSpec(sets=(SetSpec("clamshell", "left"), SetSpec("run", "both")),
                       rate_hz=104.0, run=RunSpec(run_s=25.0, stops=0, turns=0),
                       metadata={"athlete": "test runner"})
    return simulate_session(spec, seed=3)


@pytest.fixture
def run_dir(run_sim: SimulatedSession, tmp_path: Path) -> Path:
    """The session with a run written to a fresh folder."""
    folder = tmp_path / "run_session"
    write_session(run_sim.session, folder)
    return folder
