"""Motion-BIDS export: the files hold the recordings and the analysis's reps, and
the BIDS validator finds no error in the export of the sample session."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hipsense.analysis import analyze
from hipsense.cli import main
from hipsense.io import read_session
from hipsense.io.bids import CHANNELS, STANDARD_GRAVITY, write_bids
from tests.conftest import REPO

SAMPLE = REPO / "sample_data" / "2026-10-05"
#: The legacy npm validator (the deno-based 2.x is not on npm); works with node >= 18.
VALIDATOR = "bids-validator@1.15.0"
VALIDATOR_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) \
    / "hipsense-bids-validator"
MOTION = "sub-samplerunner/ses-20261005/motion"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    session = read_session(SAMPLE)
    result = analyze(session)
    out = tmp_path_factory.mktemp("bids") / "dataset"
    assert write_bids(session, result.to_json()["sets"], out) == 1 + len(session.sets)
    return session, result, out


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _name(exercise: str, side: str) -> str:
    return (f"sub-samplerunner_ses-20261005_task-{exercise.replace('_', '')}"
            f"_tracksys-imu_acq-{side}")


def test_motion_files_hold_the_recordings_as_recorded(exported):
    session, _, out = exported
    for info, rec in [(None, session.calibration), *session.sets]:
        name = ("sub-samplerunner_ses-20261005_task-calibration_tracksys-imu" if info is None
                else _name(info.exercise, info.side))
        data = np.loadtxt(out / MOTION / f"{name}_motion.tsv", delimiter="\t", ndmin=2)
        assert data.shape == (len(rec), len(CHANNELS))  # no header row
        np.testing.assert_allclose(data[:, 0], rec.time_s - rec.time_s[0], atol=1e-6)
        np.testing.assert_allclose(data[:, 1:4], rec.acc_g * STANDARD_GRAVITY, atol=1e-5)
        np.testing.assert_allclose(data[:, 4:7], rec.gyr_dps, atol=1e-4)
        channels = _tsv(out / MOTION / f"{name}_channels.tsv")
        assert [(c["name"], c["component"], c["type"], c["units"]) for c in channels] == [
            ("latency", "n/a", "LATENCY", "s"), ("acc_x", "x", "ACCEL", "m/s^2"),
            ("acc_y", "y", "ACCEL", "m/s^2"), ("acc_z", "z", "ACCEL", "m/s^2"),
            ("gyr_x", "x", "GYRO", "deg/s"), ("gyr_y", "y", "GYRO", "deg/s"),
            ("gyr_z", "z", "GYRO", "deg/s")]
        assert {c["tracked_point"] for c in channels[1:]} == {"sacrum"}
        sidecar = json.loads((out / MOTION / f"{name}_motion.json").read_text())
        assert sidecar["SamplingFrequency"] == session.metadata["sample_rate_hz"]
        assert sidecar["SamplingFrequencyEffective"] == pytest.approx(
            (len(rec) - 1) / rec.duration_s)
        assert (sidecar["MotionChannelCount"], sidecar["ACCELChannelCount"],
                sidecar["GYROChannelCount"]) == (7, 3, 3)
        assert sidecar["TaskName"] == ("calibration" if info is None else info.exercise)
        assert sidecar["TrackingSystemName"] == session.metadata["sensor"]["model"]


def test_events_are_the_analysis_reps_and_holds(exported):
    session, result, out = exported
    for (info, rec), res in zip(session.sets, result.sets):
        rows = _tsv(out / MOTION / f"{_name(info.exercise, info.side)}_events.tsv")
        items = [("rep", r) for r in res.reps] + [("hold", h) for h in res.holds]
        assert len(rows) == len(items) > 0
        for row, (kind, item) in zip(rows, items):
            assert row["trial_type"] == kind and int(row["rep_index"]) == item.index
            assert float(row["onset"]) == pytest.approx(item.start_s - rec.time_s[0], abs=6e-4)
            assert float(row["duration"]) == pytest.approx(item.end_s - item.start_s, abs=1e-3)
            for metric, value in item.metrics.items():
                assert (row[metric] == "n/a" if value is None
                        else float(row[metric]) == pytest.approx(value, abs=0.006))


def test_top_level_files_and_owner_only_modes(exported):
    session, _, out = exported
    description = json.loads((out / "dataset_description.json").read_text())
    assert description["BIDSVersion"] == "1.9.0" and description["DatasetType"] == "raw"
    assert _tsv(out / "participants.tsv") == [{"participant_id": "sub-samplerunner"}]
    scans = _tsv(out / "sub-samplerunner/ses-20261005/sub-samplerunner_ses-20261005_scans.tsv")
    assert len(scans) == 1 + len(session.sets)
    assert scans[0]["acq_time"] == "2026-10-05T07:12:00.000000"  # the calibration's start
    if hasattr(os, "geteuid"):
        for path in out.rglob("*"):
            assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)


def _validator() -> list[str]:
    """The command of the pinned bids-validator: installed in a cache folder with
    npm on first use; skip the test when node or npm is absent or the install fails."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the BIDS validator (npm) cannot run here")
    exe = VALIDATOR_CACHE / "node_modules" / ".bin" / "bids-validator"
    if not exe.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install the BIDS validator")
        try:
            subprocess.run([npm, "install", "--prefix", str(VALIDATOR_CACHE), VALIDATOR,
                            "--no-audit", "--no-fund", "--loglevel=error"],
                           check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"could not install {VALIDATOR} with npm (no network?): {exc}")
    return [str(exe)]


def _validate(out):
    """(the validator's JSON report, its errors as (key, first files), exit status)."""
    done = subprocess.run([*_validator(), str(out), "--json"], capture_output=True,
                          text=True, timeout=300)
    report = json.loads(done.stdout)
    errors = [(e["key"], [f.get("file", {}).get("name") for f in e["files"]][:3])
              for e in report["issues"]["errors"]]
    return report, errors, done.returncode


@pytest.mark.slow
def test_the_bids_validator_finds_no_error(exported):
    _, _, out = exported
    report, errors, returncode = _validate(out)
    assert errors == [] and returncode == 0
    assert report["summary"]["subjects"] == ["samplerunner"]
    assert "single_leg_squat" in report["summary"]["tasks"]
    assert set(report["summary"]["dataTypes"]) == {"motion", "channels", "events"}


@pytest.mark.slow
def test_the_bids_validator_sees_a_broken_export(exported, tmp_path):
    """The validator does fail: the export without TaskName in one sidecar."""
    _, _, out = exported
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    sidecar = next((broken / MOTION).glob("*task-clamshell*acq-left*_motion.json"))
    meta = json.loads(sidecar.read_text())
    del meta["TaskName"]
    sidecar.write_text(json.dumps(meta))
    done = subprocess.run([*_validator(), str(broken), "--json"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode != 0
    assert json.loads(done.stdout)["issues"]["errors"]


def test_cli_bids_export_and_its_errors(session_dir, tmp_path, capsys):
    out = tmp_path / "bids"
    assert main(["export", str(session_dir), "--bids", str(out)]) == 0
    assert "Motion-BIDS" in capsys.readouterr().out
    assert list(out.glob("sub-testrunner/ses-*/motion/*_motion.tsv"))
    # a folder that holds something is never written into
    assert main(["export", str(session_dir), "--bids", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an empty folder" in err
    assert main(["export", str(session_dir), "--bids", str(tmp_path / "no" / "bids")]) == 2
    assert "does not exist" in capsys.readouterr().err


RUN_MOTION = "sub-testrunner/ses-20261004/motion"


@pytest.fixture(scope="module")
def exported_run(tmp_path_factory):
    """A session of a clamshell set and a run, exported."""
    from hipsense.sim.movements import SetSpec
    from hipsense.sim.running import RunSpec
    from hipsense.sim.session import SessionSpec, simulate_session

    spec = SessionSpec(sets=(SetSpec("clamshell", "left"), SetSpec("run", "both")),
                       rate_hz=104.0, run=RunSpec(run_s=25.0, stops=0, turns=0),
                       metadata={"athlete": "test runner",
                                 "started_at": "2026-10-04T07:12:00+00:00"})
    session = simulate_session(spec, 3).session
    result = analyze(session)
    out = tmp_path_factory.mktemp("bids_run") / "dataset"
    assert write_bids(session, result.to_json()["sets"], out) == 3
    return session, result, out


def test_a_run_is_its_own_task_with_one_event_per_step(exported_run):
    session, result, out = exported_run
    (_, rec), run_json = session.sets[1], result.to_json()["sets"][1]
    name = "sub-testrunner_ses-20261004_task-run_tracksys-imu_acq-both"
    data = np.loadtxt(out / RUN_MOTION / f"{name}_motion.tsv", delimiter="\t", ndmin=2)
    assert data.shape == (len(rec), len(CHANNELS))
    assert json.loads((out / RUN_MOTION / f"{name}_motion.json").read_text())[
        "TaskName"] == "run"
    rows = _tsv(out / RUN_MOTION / f"{name}_events.tsv")
    steps = run_json["run"]["steps"]
    assert len(rows) == len(steps) > 20
    for row, step in zip(rows, steps):
        assert float(row["onset"]) == pytest.approx(step["ic_s"] - rec.time_s[0], abs=1e-4)
        assert float(row["duration"]) == pytest.approx(step["contact_s"], abs=1e-4)
        assert (row["trial_type"], row["side"], row["steady"]) == (
            "step", step["side"], str(step["steady"]).lower())
        assert float(row["pelvic_drop_deg"]) == pytest.approx(step["pelvic_drop_deg"],
                                                              abs=0.006)
    sidecar = json.loads((out / RUN_MOTION / f"{name}_events.json").read_text())
    assert set(sidecar) == set(rows[0])


def test_an_error_leaves_no_partial_export(run_dir, tmp_path, monkeypatch):
    import hipsense.io.bids as bids

    session = read_session(run_dir)
    sets = analyze(session).to_json()["sets"]
    calls = []

    def failing(path, text):
        calls.append(path)
        if len(calls) == 5:
            raise OSError(28, "No space left on device", str(path))
        return real(path, text)

    real = bids.write_private_text
    monkeypatch.setattr(bids, "write_private_text", failing)
    where = tmp_path / "exports"
    where.mkdir()
    for out in (where / "new", where / "empty"):
        calls.clear()
        if out.name == "empty":
            out.mkdir()
        with pytest.raises(OSError):
            write_bids(session, sets, out)
        assert len(calls) == 5
        assert sorted(p.name for p in where.iterdir()) == (
            ["empty"] if out.name == "empty" else [])
        assert not out.exists() or not any(out.iterdir())


def test_cli_bids_onto_a_file_says_so(run_dir, tmp_path, capsys):
    target = tmp_path / "bids.txt"
    target.write_text("mine")
    assert main(["export", str(run_dir), "--bids", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file" in err and str(target) in err
    assert target.read_text() == "mine"
    out = tmp_path / "bids"
    assert main(["export", str(run_dir), "--bids", str(out)]) == 0
    assert list(out.glob("sub-testrunner/**/*task-run*_events.tsv"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_the_bids_validator_finds_no_error_with_a_run(exported_run):
    _, _, out = exported_run
    report, errors, returncode = _validate(out)
    assert errors == [] and returncode == 0
    assert {"run", "clamshell"} <= set(report["summary"]["tasks"])
