"""FIT export: the sample session decodes with Garmin's FIT SDK and with fitdecode,
and what they read is hipsense's own analysis; a run decodes with its per-step drop."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import fitdecode
import numpy as np
import pytest
from garmin_fit_sdk import Decoder, Stream
from garmin_fit_sdk.profile import Profile

from hipsense.analysis import analyze
from hipsense.cli import main
from hipsense.core import Recording, Session, SetInfo
from hipsense.errors import HipsenseError
from hipsense.exercises import EXERCISES, FIT_EXERCISES
from hipsense.io import read_session
from hipsense.io import write_session
from hipsense.io.fit import FIT_EPOCH, SessionClock, run_fit, session_fits, strength_fit
from hipsense.sim import SessionSpec, SetSpec, simulate_session
from tests.conftest import REPO

SAMPLE = REPO / "sample_data" / "2026-10-05"
#: float32 developer fields hold the 2-decimal JSON values to about 1e-6 relative
F32_TOL = 1e-4


@pytest.fixture(scope="module")
def sample():
    session = read_session(SAMPLE)
    result = analyze(session)
    return session, result, strength_fit(session, result.to_json()["sets"])


def garmin_decode(data: bytes) -> dict:
    """Garmin's decoder: an integral FIT file read with no errors; its messages
    with developer fields renamed from the decoder's keys to their field names."""
    assert Decoder(Stream.from_byte_array(bytearray(data))).is_fit()
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    names = {d["key"]: d["field_name"] for d in messages["field_description_mesgs"]}
    for mesgs in messages.values():
        for m in mesgs:
            if "developer_fields" in m:
                m["dev"] = {names[k]: v for k, v in m["developer_fields"].items()}
    return messages


def fitdecode_messages(data: bytes) -> list:
    """Every data message fitdecode reads, checking the CRC and raising on errors."""
    out = []
    with fitdecode.FitReader(data, check_crc=fitdecode.CrcCheck.RAISE,
                             error_handling=fitdecode.ErrorHandling.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                out.append(frame)
    return out


def fit_time(t: dt.datetime) -> dt.datetime:
    """``t`` at the FIT file's resolution: whole seconds, rounded down."""
    return FIT_EPOCH + dt.timedelta(seconds=int((t - FIT_EPOCH).total_seconds() // 1))


def test_garmin_sdk_reads_the_sets_as_hipsense_analysed_them(sample):
    session, result, data = sample
    messages = garmin_decode(data)
    started = dt.datetime.fromisoformat(session.metadata["started_at"])
    origin_s = float(session.calibration.time_s[0])

    assert messages["file_id_mesgs"][0]["type"] == "activity"
    assert [(s["sport"], s["sub_sport"]) for s in messages["session_mesgs"]] == [
        ("training", "strength_training")]
    assert messages["session_mesgs"][0]["start_time"] == started
    assert messages["activity_mesgs"][0]["num_sessions"] == 1
    assert len(messages["lap_mesgs"]) == 1

    sets = messages["set_mesgs"]
    assert len(sets) == len(session.sets) == len(result.sets)
    for fit_set, (info, rec), res in zip(sets, session.sets, result.sets):
        fit_ex = FIT_EXERCISES[info.exercise]
        names = Profile["types"][f"{fit_ex.category}_exercise_name"]
        assert fit_set["category"] == fit_ex.category
        assert names[fit_set["category_subtype"]] == fit_ex.name
        if EXERCISES[info.exercise].kind == "reps":
            assert fit_set["repetitions"] == res.rep_count > 0
        else:
            assert "repetitions" not in fit_set
        assert fit_set["duration"] == pytest.approx(rec.duration_s, abs=1e-3)
        assert fit_set["start_time"] == fit_time(
            started + dt.timedelta(seconds=float(rec.time_s[0]) - origin_s))
        assert fit_set["dev"]["side"] == info.side
        primary = EXERCISES[info.exercise].primary_metric
        assert fit_set["dev"]["primary_metric"] == primary
        assert fit_set["dev"]["primary_median_deg"] == pytest.approx(
            res.medians[primary], abs=0.006)


def test_garmin_sdk_reads_every_rep_with_its_pelvic_angles(sample):
    session, result, data = sample
    records = garmin_decode(data)["record_mesgs"]
    by_set: dict[int, list[dict]] = {}
    for r in records:
        by_set.setdefault(r["dev"]["set_index"], []).append(r["dev"])
    squats = 0
    for index, res in enumerate(result.sets):
        items = res.reps if res.reps else res.holds
        got = by_set.get(index, [])
        assert [g["rep_index"] for g in got] == [i.index for i in items]
        primary = EXERCISES[res.exercise].primary_metric
        for g, item in zip(got, items):
            assert g["duration_s"] == pytest.approx(item.end_s - item.start_s, abs=2e-3)
            for name in ("pelvic_drop_deg", "pelvic_tilt_deg"):
                if item.metrics.get(name) is None:
                    assert name not in g
                else:
                    assert g[name] == pytest.approx(item.metrics[name], abs=0.006)
            if item.metrics.get(primary) is not None:
                assert g["primary_metric_deg"] == pytest.approx(item.metrics[primary], abs=0.006)
        if res.exercise == "single_leg_squat":
            squats += len(got)
            assert all("pelvic_drop_deg" in g and "pelvic_tilt_deg" in g for g in got)
    assert squats == sum(s.rep_count for s in result.sets if s.exercise == "single_leg_squat")


def test_fitdecode_reads_it_too(sample):
    session, result, data = sample
    messages = fitdecode_messages(data)
    sets = [m for m in messages if m.name == "set"]
    assert [m.get_value("repetitions", fallback=None) for m in sets] == [
        r.rep_count if r.reps else None for r in result.sets]
    assert [m.get_value("category") for m in sets] == [
        FIT_EXERCISES[info.exercise].category for info, _ in session.sets]
    assert [m.get_value("side") for m in sets] == [info.side for info, _ in session.sets]
    drops = [m.get_value("pelvic_drop_deg") for m in messages
             if m.name == "record" and m.has_field("pelvic_drop_deg")]
    expected = [r.metrics["pelvic_drop_deg"] for s in result.sets for r in s.reps
                if r.metrics.get("pelvic_drop_deg") is not None]
    np.testing.assert_allclose(drops, expected, atol=0.006)
    assert [m.get_value("sport") for m in messages if m.name == "session"] == ["training"]


def _run(n_steps: int = 40) -> dict:
    """A run result as running.md writes it: alternating steps at 172 spm."""
    rng = np.random.default_rng(3)
    steps = []
    for i in range(n_steps):
        ic = 412.0 + i * 60.0 / 172.0
        contact = 0.24 + 0.01 * rng.standard_normal()
        steps.append({"side": "left" if i % 2 == 0 else "right", "ic_s": round(ic, 3),
                      "to_s": round(ic + contact, 3), "contact_s": round(contact, 3),
                      "pelvic_drop_deg": round(float(5 + rng.standard_normal()), 2),
                      "side_confidence": 0.99, "steady": 2 <= i < n_steps - 2})
    return {"steps": steps,
            "bouts": [{"start_s": steps[2]["ic_s"], "end_s": steps[-3]["to_s"],
                       "steps": n_steps - 4, "cadence_spm": 172.0}],
            "left": {"steps": n_steps // 2, "pelvic_drop_deg": 5.0},
            "right": {"steps": n_steps // 2, "pelvic_drop_deg": 5.0},
            "drop_asymmetry_deg": 0.0, "drop_change_deg": 0.0}


def test_a_run_decodes_with_its_per_step_drop():
    run = _run()
    clock = SessionClock(dt.datetime(2026, 10, 5, 7, 12, tzinfo=dt.timezone.utc), 400.0)
    data = run_fit(run, clock, (409.0, 430.0))
    messages = garmin_decode(data)
    assert [(s["sport"], s["sub_sport"]) for s in messages["session_mesgs"]] == [
        ("running", "generic")]
    session = messages["session_mesgs"][0]
    assert session["start_time"] == clock.started_at + dt.timedelta(seconds=9)
    assert session["total_elapsed_time"] == 21.0
    assert session["avg_cadence"] == 86  # strides per minute: 172 steps / 2
    records = messages["record_mesgs"]
    assert len(records) == len(run["steps"])
    for rec, step in zip(records, run["steps"]):
        assert rec["timestamp"] == fit_time(clock.utc(step["ic_s"]))
        assert rec["dev"]["pelvic_drop_deg"] == pytest.approx(step["pelvic_drop_deg"],
                                                             abs=F32_TOL)
        assert rec["dev"]["stance_side"] == step["side"]
        assert rec["dev"]["steady"] == int(step["steady"])
        assert rec["dev"]["step_time_s"] == pytest.approx(step["ic_s"] - 409.0, abs=1e-3)
        assert rec["stance_time"] == pytest.approx(1000 * step["contact_s"], abs=0.05)

    drops = [m.get_value("pelvic_drop_deg") for m in fitdecode_messages(data)
             if m.name == "record"]
    np.testing.assert_allclose(drops, [s["pelvic_drop_deg"] for s in run["steps"]], atol=F32_TOL)


def _run_session(extra_sets: list[tuple[SetInfo, Recording]] = ()) -> Session:
    t = np.arange(400.0, 430.0, 0.01)
    rec = Recording(t, np.tile([1.0, 0, 0], (len(t), 1)), np.zeros((len(t), 3)))
    return Session({"started_at": "2026-10-05T07:12:00+02:00"}, None,
                   [(SetInfo("set01.csv", "run", "both"), rec), *extra_sets])


def test_a_session_of_one_run_exports_as_a_running_activity():
    run = _run()
    session = _run_session()
    [(name, data)] = session_fits(session, [{"file": "set01.csv", "exercise": "run",
                                             "side": "both", "run": run}])
    assert name == "set01"
    messages = garmin_decode(data)
    assert messages["session_mesgs"][0]["sport"] == "running"
    assert messages["session_mesgs"][0]["start_time"] == dt.datetime(
        2026, 10, 5, 5, 12, tzinfo=dt.timezone.utc)
    assert messages["session_mesgs"][0]["total_elapsed_time"] == 29.0
    assert len(messages["record_mesgs"]) == len(run["steps"])
    # the local time of the activity is the session's own time zone
    assert (messages["activity_mesgs"][0]["local_timestamp"]
            - int((messages["activity_mesgs"][0]["timestamp"] - FIT_EPOCH).total_seconds())
            ) == 7200


def test_a_run_without_its_analysis_is_refused():
    with pytest.raises(HipsenseError, match="set01.csv: no running analysis"):
        session_fits(_run_session(), [{"file": "set01.csv", "exercise": "run", "side": "both"}])


def test_a_session_of_hip_sets_and_a_run_exports_two_activities(tmp_path, capsys):
    """The demo's session (the programme, then a run): the hip sets as the
    strength activity in OUT.fit, the run as a running activity beside it, each
    decoding with its own sport and the run's steps."""
    folder = tmp_path / "mixed"
    spec = SessionSpec(sets=(SetSpec("single_leg_squat", "left", reps=5),
                             SetSpec("run", "both")), rate_hz=100.0)
    write_session(simulate_session(spec, seed=2).session, folder)
    out = tmp_path / "week.fit"
    assert main(["export", str(folder), "--fit", str(out)]) == 0
    printed = capsys.readouterr().out
    run_path = tmp_path / "week-set02.fit"
    assert f"to {out}" in printed and f"to {run_path}" in printed
    strength, run = garmin_decode(out.read_bytes()), garmin_decode(run_path.read_bytes())
    assert strength["session_mesgs"][0]["sport"] == "training"
    assert [s["repetitions"] for s in strength["set_mesgs"]] == [5]
    assert run["session_mesgs"][0]["sport"] == "running"
    analysis = analyze(read_session(folder)).to_json()["sets"][1]["run"]
    assert len(run["record_mesgs"]) == len(analysis["steps"]) > 50


def test_cli_writes_an_owner_only_fit_file(tmp_path, capsys):
    out = tmp_path / "session.fit"
    assert main(["export", str(SAMPLE), "--fit", str(out)]) == 0
    assert f"to {out}" in capsys.readouterr().out
    if hasattr(os, "geteuid"):
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(garmin_decode(out.read_bytes())["set_mesgs"]) == 13


@pytest.mark.parametrize("started_at, words", [
    (None, "missing"), ("last monday", "ISO 8601"),
    ("2026-10-05T07:12:00", "has no time zone")])
def test_cli_bad_start_time_is_one_line_and_exit_2(session_dir, tmp_path, capsys,
                                                   started_at, words):
    meta_file = session_dir / "session.json"
    meta = json.loads(meta_file.read_text())
    meta.pop("started_at", None)
    if started_at is not None:
        meta["started_at"] = started_at
    meta_file.write_text(json.dumps(meta))
    out = tmp_path / "x.fit"
    assert main(["export", str(session_dir), "--fit", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "started_at" in err and words in err
    assert not out.exists()


def test_every_exercise_has_a_fit_category_and_name_of_the_profile():
    assert set(FIT_EXERCISES) == set(EXERCISES) | {"run"}
    categories = set(Profile["types"]["exercise_category"].values())
    for fit_ex in FIT_EXERCISES.values():
        assert fit_ex.category in categories
        assert fit_ex.name in Profile["types"][f"{fit_ex.category}_exercise_name"].values()
