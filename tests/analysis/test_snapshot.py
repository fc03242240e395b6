"""A snapshot of the analysis of sample_data: every set's rep count, holds,
medians, per-rep metrics and flags, so that a change moving any number by
more than SNAPSHOT_TOL_DEG (far under the 1 deg a user would notice) fails
here and is reviewed instead of passing silently.

After a deliberate change to the analysis, regenerate it with
``HIPSENSE_UPDATE_SNAPSHOT=1 python -m pytest tests/analysis/test_snapshot.py`` and
commit the new file with a note of what moved and why.
"""

from __future__ import annotations

import json
import os

import pytest

from hipsense.analysis import analyze
from hipsense.io import read_session

from tests.conftest import REPO

SNAPSHOT = REPO / "tests" / "analysis" / "snapshots" / "sample_data_analysis.json"
WEEKS = sorted(p for p in (REPO / "sample_data").glob("20??-??-??") if p.is_dir())
#: Largest change (deg, s) of any number before the snapshot fails.
SNAPSHOT_TOL_DEG = 0.02


def _round(value):
    return None if value is None else round(float(value), 3)


def _summary(folder) -> dict:
    """What the snapshot keeps of one session's analysis."""
    result = analyze(read_session(folder)).to_json()
    return {s["file"]: {
        "exercise": s["exercise"], "side": s["side"], "rep_count": s["rep_count"],
        "medians": {k: _round(v) for k, v in s["medians"].items()},
        "reps": [{k: _round(v) for k, v in r["metrics"].items()} | {"start_s": _round(r["start_s"])}
                 for r in s["reps"]],
        "holds": [{"start_s": _round(h["start_s"]), "duration_s": _round(h["duration_s"])}
                  | {k: _round(v) for k, v in h["metrics"].items()} for h in s["holds"]],
        "flags": sorted(f["code"] for f in s["flags"]),
    } for s in result["sets"]}


def _differences(old, new, path="") -> list[str]:
    """Where ``new`` differs from ``old``: numbers by more than the tolerance,
    anything else at all."""
    if isinstance(old, dict) and isinstance(new, dict):
        if old.keys() != new.keys():
            return [f"{path}: keys {sorted(old)} -> {sorted(new)}"]
        return [d for k in old for d in _differences(old[k], new[k], f"{path}/{k}")]
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} -> {len(new)} items"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in
                _differences(a, b, f"{path}[{i}]")]
    if isinstance(old, float) and isinstance(new, float):
        return [] if abs(old - new) <= SNAPSHOT_TOL_DEG else [f"{path}: {old} -> {new}"]
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


@pytest.fixture(scope="module")
def analysed() -> dict:
    return {f.name: _summary(f) for f in WEEKS}


def test_sample_data_analysis_matches_its_snapshot(analysed):
    if os.environ.get("HIPSENSE_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(analysed, indent=1, sort_keys=True) + "\n")
    snapshot = json.loads(SNAPSHOT.read_text())
    diffs = _differences(snapshot, analysed)
    assert not diffs, (f"{len(diffs)} numbers moved (regenerate the snapshot only for a "
                       "deliberate change): " + "; ".join(diffs[:12]))


def test_the_snapshot_notices_a_drift_of_a_tenth_of_a_degree(analysed):
    week = next(iter(analysed.values()))
    set_ = next(s for s in week.values() if s["reps"])
    metric = next(iter(set_["medians"]))
    moved = json.loads(json.dumps(analysed))
    moved_set = next(iter(moved.values()))[next(k for k, s in week.items() if s is set_)]
    moved_set["reps"][2][metric] += 0.1
    assert len(_differences(analysed, moved)) == 1
    moved_set["reps"][2][metric] -= 0.1 - SNAPSHOT_TOL_DEG / 2
    assert _differences(analysed, moved) == []
