"""`hipsense analyze` on the sample data, through the command line."""

from __future__ import annotations

import json

import pytest

from hipsense.cli import main

from tests.conftest import REPO

WEEK1 = REPO / "sample_data" / "2026-10-05"


@pytest.fixture(scope="module")
def week1_json():
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(WEEK1), "--json"]) == 0
    return json.loads(out.getvalue())


def test_json_matches_the_truth_of_week_one(week1_json):
    truth = json.loads((WEEK1 / "truth.json").read_text())
    assert len(week1_json["sets"]) == 13
    for got, true in zip(week1_json["sets"], truth["sets"]):
        assert (got["file"], got["exercise"], got["side"]) == (true["file"], true["exercise"],
                                                               true["side"])
        assert got["rep_count"] == true["rep_count"]
        for metric, value in true["medians"].items():
            assert got["medians"][metric] == pytest.approx(value, abs=1.0), (got["file"], metric)


def test_week_one_flags_the_right_side_only(week1_json):
    codes = {(s["exercise"], s["side"]): {f["code"] for f in s["flags"]}
             for s in week1_json["sets"]}
    assert "excessive_pelvic_drop" in codes[("single_leg_squat", "right")]
    assert "excessive_pelvic_drop" in codes[("knee_drive", "right")]
    assert "pelvic_rollback" in codes[("clamshell", "right")]
    assert "pelvic_lift" in codes[("prone_hip_extension", "right")]
    assert "pelvic_obliquity" in codes[("hip_bridge", "both")]
    assert "short_hold" in codes[("hip_flexor_stretch", "right")]
    for exercise in ("single_leg_squat", "knee_drive", "clamshell", "prone_hip_extension"):
        assert not codes[(exercise, "left")] - {"inconsistent_reps", "data_quality"}
    asym = {(c["exercise"], c["metric"]) for c in week1_json["comparisons"] if c["flag"]}
    assert ("single_leg_squat", "pelvic_drop_deg") in asym


def test_table_output_speaks_to_the_runner(capsys):
    assert main(["analyze", str(WEEK1)]) == 0
    out = capsys.readouterr().out
    assert "What to work on" in out and "Left and right" in out
    assert "Your left hip dropped" in out  # standing on the right, the left side drops


def test_the_readme_example():
    import hipsense

    squat = hipsense.analyze_session(WEEK1).sets[-1]
    assert (squat.exercise, squat.side) == ("single_leg_squat", "right")
    assert (squat.rep_count, round(squat.medians["pelvic_drop_deg"], 1)) == (10, 9.1)
    assert [f.code for f in squat.flags] == ["excessive_pelvic_drop", "inconsistent_reps"]
    assert squat.flags[0].message == (
        "Your left hip dropped 9 deg on average during right single-leg squats; aim for "
        "under 5 deg: squeeze the right glute and keep the belt line level.")
