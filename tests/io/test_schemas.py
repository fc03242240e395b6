"""The published JSON Schemas (hipsense/schemas/): session.json and the output
of `hipsense analyze --json`, checked with jsonschema against every sample
session and real outputs (sample data, simulated sessions without calibration,
at realism 2, with stretch holds). The friendly validator stays first."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from hipsense.cli import main
from hipsense.exercises import EXERCISES
from hipsense.io import write_session
from hipsense.io.schema import SESSION_SCHEMA, published_schema, session_schema_text
from hipsense.sim import SessionSpec, SetSpec, programme_sets, simulate_session

from tests.conftest import REPO

SAMPLES = sorted((REPO / "sample_data").glob("2026-*"))
SCHEMAS = REPO / "hipsense" / "schemas"


def validator(name: str) -> Draft202012Validator:
    schema = published_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def analyze_json(folder: Path) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(folder), "--json"]) == 0
    return json.loads(out.getvalue())


def test_the_published_session_schema_is_the_one_the_reader_uses():
    text = (SCHEMAS / "session.schema.json").read_text(encoding="utf-8")
    assert text == session_schema_text(), (
        "hipsense/schemas/session.schema.json is out of date; rewrite it with "
        "python -c 'from hipsense.io.schema import session_schema_text as t; "
        "open(\"hipsense/schemas/session.schema.json\", \"w\").write(t())'")
    assert json.loads(text) == json.loads(json.dumps(SESSION_SCHEMA))


def test_the_schemas_ship_with_the_package():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"schemas/*.json"' in pyproject
    assert published_schema("analysis")["title"].startswith("hipsense analyze --json")


def test_the_analysis_schema_knows_every_exercise_and_the_run():
    enum = published_schema("analysis")["$defs"]["set"]["properties"]["exercise"]["enum"]
    assert enum == [*EXERCISES, "run"]


@pytest.mark.parametrize("folder", SAMPLES, ids=lambda p: p.name)
def test_every_sample_session_json_is_valid(folder):
    doc = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    errors = list(validator("session").iter_errors(doc))
    assert errors == []


def test_the_session_schema_refuses_what_the_reader_refuses():
    doc = json.loads((SAMPLES[0] / "session.json").read_text(encoding="utf-8"))
    check = validator("session")
    for key, value in [("version", 2), ("format", "other"), ("sets", "set01.csv")]:
        bad = {**doc, key: value}
        assert not check.is_valid(bad), key
    bad = copy.deepcopy(doc)
    bad["sets"][0]["exercise"] = "squat"
    error = next(check.iter_errors(bad))
    assert list(error.absolute_path) == ["sets", 0, "exercise"]


def test_the_friendly_validator_still_speaks_first(tmp_path, capsys):
    folder = tmp_path / "s"
    write_session(simulate_session(SessionSpec(sets=programme_sets(["clamshell"], reps=3)),
                                   seed=1).session, folder)
    doc = json.loads((folder / "session.json").read_text())
    doc["sets"][0]["exercise"] = "squat"
    (folder / "session.json").write_text(json.dumps(doc))
    assert main(["analyze", str(folder), "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"hipsense: error: {folder / 'session.json'}: key "
                             "'sets[0].exercise': unknown exercise 'squat'")


@pytest.mark.parametrize("folder", SAMPLES, ids=lambda p: p.name)
def test_analyze_json_of_every_sample_session_is_valid(folder):
    out = analyze_json(folder)
    assert list(validator("analysis").iter_errors(out)) == []
    assert sum(s["rep_count"] for s in out["sets"]) > 50


SIMULATED = {
    "no_calibration": SessionSpec(sets=programme_sets(["single_leg_squat", "clamshell"],
                                                      reps=5), calibration=False),
    "realism_2": SessionSpec(sets=programme_sets(["hip_bridge", "knee_drive"], reps=5),
                             realism=2.0, packet_loss=0.03),
    "holds": SessionSpec(sets=programme_sets(["hip_stretch", "hip_flexor_stretch"])),
    "run": SessionSpec(sets=(*programme_sets(["clamshell"], reps=5), SetSpec("run", "both"))),
}


@pytest.mark.parametrize("name", SIMULATED)
def test_analyze_json_of_simulated_sessions_is_valid(name, tmp_path):
    folder = tmp_path / name
    write_session(simulate_session(SIMULATED[name], seed=5).session, folder)
    out = analyze_json(folder)
    assert list(validator("analysis").iter_errors(out)) == []
    if name == "no_calibration":
        assert out["calibration"]["ok"] is False
        assert out["calibration"]["problem"] == "no calibration was recorded"
    if name == "holds":
        assert all(s["rep_count"] == 0 and s["holds"] for s in out["sets"])
    if name == "run":
        assert len(out["sets"][-1]["run"]["steps"]) > 50
        # and its session.json, with the run among the sets
        doc = json.loads((folder / "session.json").read_text(encoding="utf-8"))
        assert list(validator("session").iter_errors(doc)) == []


def test_the_analysis_schema_catches_a_broken_output():
    out = analyze_json(SAMPLES[0])
    check = validator("analysis")
    for damage in (lambda o: o["sets"][0].pop("rep_count"),
                   lambda o: o["sets"][0]["reps"][0].__setitem__("start_s", "5990"),
                   lambda o: o["sets"][0]["reps"][0]["metrics"].__setitem__("drop", 1.0),
                   lambda o: o["sets"][1]["flags"][0].__setitem__("severity", "high"),
                   lambda o: o["calibration"].__setitem__("grade", "fine"),
                   lambda o: o["sets"][0].__setitem__("run", {})):
        bad = copy.deepcopy(out)
        damage(bad)
        with pytest.raises(ValidationError):
            check.validate(bad)


def test_a_run_set_as_running_md_shows_it_is_valid():
    """The running check's object (running.md's example), inside a set."""
    run_set = {"file": "set09.csv", "exercise": "run", "side": "both", "flags": [], "run": {
        "steps": [{"side": "left", "ic_s": 412.318, "to_s": 412.561, "contact_s": 0.243,
                   "pelvic_drop_deg": 5.8, "side_confidence": 0.99, "steady": True}],
        "bouts": [{"start_s": 410.9, "end_s": 702.4, "steps": 842, "cadence_spm": 173.2}],
        "left": {"steps": 421, "pelvic_drop_deg": 5.9, "pelvic_drop_iqr_deg": 1.1,
                 "contact_s": 0.241},
        "right": {"steps": 421, "pelvic_drop_deg": 3.7, "pelvic_drop_iqr_deg": 0.9,
                  "contact_s": 0.238},
        "drop_asymmetry_deg": 2.2, "drop_change_deg": 0.8}}
    out = analyze_json(SAMPLES[0])
    out["sets"].append(run_set)
    check = validator("analysis")
    assert list(check.iter_errors(out)) == []
    run_set["run"]["steps"][0]["side"] = "both"
    assert not check.is_valid(out)
