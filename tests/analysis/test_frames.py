"""The analysis as pandas DataFrames: one row per rep (and per hold, per set)
with the same values as `hipsense analyze --json`."""

from __future__ import annotations

import contextlib
import io
import json
import math

import pandas as pd
import pytest

import hipsense
from hipsense.analysis import analyze
from hipsense.cli import main

from tests.conftest import REPO

WEEK1 = REPO / "sample_data" / "2026-10-05"


@pytest.fixture(scope="module")
def both():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(WEEK1), "--json"]) == 0
    return hipsense.analyze_session(WEEK1), json.loads(out.getvalue())


def same(a, b) -> bool:
    return (b is None and math.isnan(a)) or a == b


def test_one_row_per_rep_with_the_values_of_the_json(both):
    result, doc = both
    frame = result.reps_frame()
    assert len(frame) == sum(s["rep_count"] for s in doc["sets"]) == 90
    assert list(frame.columns[:10]) == ["set", "file", "exercise", "side", "rep", "start_s",
                                        "end_s", "hold_s", "up_s", "down_s"]
    rows = iter(frame.to_dict("records"))
    for number, s in enumerate(doc["sets"], start=1):
        for rep in s["reps"]:
            row = next(rows)
            assert (row["set"], row["file"], row["exercise"], row["side"], row["rep"]) == (
                number, s["file"], s["exercise"], s["side"], rep["index"])
            for key in ("start_s", "end_s", "hold_s", "up_s", "down_s"):
                assert row[key] == rep[key]
            for metric, value in rep["metrics"].items():
                assert same(row[metric], value), (s["file"], rep["index"], metric)
            others = set(frame.columns[10:]) - set(rep["metrics"])
            assert all(math.isnan(row[m]) for m in others)


def test_the_metric_columns_carry_units_and_are_float(both):
    frame = both[0].reps_frame()
    metrics = list(frame.columns[10:])
    assert set(metrics) == {"pelvic_rollback_deg", "bridge_lift_deg", "pelvic_obliquity_deg",
                            "pelvic_lift_deg", "pelvic_drop_deg", "pelvic_tilt_deg"}
    assert all(frame[m].dtype == float for m in metrics)
    right_squat = frame[(frame.exercise == "single_leg_squat") & (frame.side == "right")]
    assert right_squat["pelvic_drop_deg"].median() == pytest.approx(9.06, abs=0.01)


def test_reps_counted_but_not_measured_are_nan():
    """Week 3 has three reps whose top fell in a gap: in the frame, NaN."""
    result = hipsense.analyze_session(REPO / "sample_data" / "2026-10-19")
    doc = result.to_json()
    lost = [(s["file"], r["index"]) for s in doc["sets"] for r in s["reps"]
            if None in r["metrics"].values()]
    assert [f for f, _ in lost] == ["set04.csv", "set10.csv", "set11.csv"]
    frame = result.reps_frame().set_index(["file", "rep"])
    assert len(frame) == sum(s["rep_count"] for s in doc["sets"])
    for key in lost:
        ex = frame.loc[key, "exercise"]
        metric = hipsense.exercises.EXERCISES[ex].primary_metric
        assert math.isnan(frame.loc[key, metric])


def test_holds_and_sets_frames(both):
    result, doc = both
    holds = result.holds_frame()
    expected = [(s["file"], h["duration_s"], h["metrics"]["posterior_tilt_deg"])
                for s in doc["sets"] for h in s["holds"]]
    assert list(zip(holds.file, holds.duration_s, holds.posterior_tilt_deg)) == expected
    assert len(holds) == 4
    sets = result.sets_frame()
    assert list(sets.file) == [s["file"] for s in doc["sets"]]
    assert list(sets.rep_count) == [s["rep_count"] for s in doc["sets"]]
    assert list(sets.flag_codes) == [",".join(f["code"] for f in s["flags"]) for s in doc["sets"]]
    last = sets.iloc[-1]
    assert last.median_pelvic_drop_deg == doc["sets"][-1]["medians"]["pelvic_drop_deg"]
    assert math.isnan(last.median_pelvic_rollback_deg)


def test_an_empty_session_gives_empty_frames_with_columns():
    empty = hipsense.analysis.results.SessionResult(sets=[], comparisons=[], calibration={})
    for frame in (empty.reps_frame(), empty.holds_frame(), empty.sets_frame()):
        assert isinstance(frame, pd.DataFrame) and frame.empty
    assert "start_s" in empty.reps_frame().columns


def test_a_session_with_a_run_skips_it_in_reps_and_holds_and_lists_its_steps(run_sim):
    result = analyze(run_sim.session)
    doc = json.loads(json.dumps(result.to_json()))
    clam, run = doc["sets"]
    reps = result.reps_frame()
    assert len(reps) == clam["rep_count"] and set(reps.exercise) == {"clamshell"}
    assert result.holds_frame().empty
    sets = result.sets_frame()
    assert list(sets.exercise) == ["clamshell", "run"]
    assert sets.rep_count.iloc[0] == clam["rep_count"] and math.isnan(sets.rep_count.iloc[1])
    assert sets.flag_codes.iloc[1] == ",".join(f["code"] for f in run["flags"])
    steps = result.steps_frame()
    assert list(steps.columns) == ["set", "file", "side", "ic_s", "to_s", "contact_s",
                                   "pelvic_drop_deg", "side_confidence", "steady"]
    assert len(steps) == len(run["run"]["steps"]) > 20
    for row, step in zip(steps.to_dict("records"), run["run"]["steps"]):
        assert (row["set"], row["file"]) == (2, run["file"])
        for key, value in step.items():
            assert same(row[key], value), key
    assert steps.steady.dtype == bool


def test_no_run_no_steps(both):
    steps = both[0].steps_frame()
    assert steps.empty and "pelvic_drop_deg" in steps.columns
