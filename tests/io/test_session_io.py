"""Session folders: exact round trip, unknown keys kept, Parquet export."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq

from hipsense.cli import main
from hipsense.consts import REQUIRED_COLS
from hipsense.io import read_recording, read_session, write_recording, write_session
from hipsense.core import Recording


def test_round_trip_keeps_samples_metadata_and_bytes(small_sim, session_dir, tmp_path):
    session = read_session(session_dir)
    original = small_sim.session
    assert [i.file for i, _ in session.sets] == [i.file for i, _ in original.sets]
    for (info, rec), (info0, rec0) in zip(session.sets, original.sets):
        assert (info.exercise, info.side) == (info0.exercise, info0.side)
        assert len(rec) == len(rec0)
        # written with 1 us, 10 ug and 1 mdps resolution
        assert np.max(np.abs(rec.time_s - rec0.time_s)) <= 0.5e-6 + 1e-9
        assert np.max(np.abs(rec.acc_g - rec0.acc_g)) <= 0.5e-5 + 1e-9
        assert np.max(np.abs(rec.gyr_dps - rec0.gyr_dps)) <= 0.5e-3 + 1e-9
    assert session.metadata["athlete"] == "test runner"
    assert session.metadata["notes"] == "ünïcode kept"
    assert session.metadata["simulation"]["seed"] == 11

    again = tmp_path / "again"
    write_session(session, again)
    for name in ["session.json", "calibration.csv"] + [i.file for i, _ in session.sets]:
        assert (again / name).read_bytes() == (session_dir / name).read_bytes(), name


def test_unknown_keys_in_sets_and_top_level_survive(session_dir, tmp_path):
    meta_path = session_dir / "session.json"
    doc = json.loads(meta_path.read_text())
    doc["prescribed"] = {"single_leg_squat": {"reps": 12}}
    doc["sets"][0]["rpe"] = 7
    meta_path.write_text(json.dumps(doc))
    out = tmp_path / "copy"
    write_session(read_session(session_dir), out)
    copied = json.loads((out / "session.json").read_text())
    assert copied["prescribed"] == {"single_leg_squat": {"reps": 12}}
    assert copied["sets"][0]["rpe"] == 7
    assert {k: v for k, v in copied.items() if k != "sets"} == {
        k: v for k, v in doc.items() if k != "sets"}


def test_extra_columns_are_kept_in_order(tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text(",".join([*REQUIRED_COLS, "seq", "host_time_s"]) + "\n"
                    "3405.983819,1.00711,-0.09717,0.16211,0.0305,-1.6175,-0.5799,17,1000.25\n"
                    "3405.993434,1.00700,-0.09700,0.16200,0.0300,-1.6170,-0.5790,18,1000.26\n")
    rec = read_recording(path)
    assert rec.time_s[0] == 3405.983819 and rec.acc_g[1, 2] == 0.162
    assert list(rec.extra) == ["seq", "host_time_s"]
    write_recording(rec, tmp_path / "out.csv")
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0].endswith(",seq,host_time_s")
    assert lines[1] == "3405.983819,1.00711,-0.09717,0.16211,0.030,-1.617,-0.580,17,1000.25"


def test_reader_accepts_crlf_bom_spaces_and_any_column_order(tmp_path):
    path = tmp_path / "rec.csv"
    cols = ["gyr_z_dps", "time_s", "acc_x_g", "acc_y_g", "acc_z_g", "gyr_x_dps", "gyr_y_dps"]
    path.write_bytes(("\ufeff" + ", ".join(cols) + "\r\n3, 10.0, 1, 0, 0, 1, 2\r\n"
                      "4, 10.01, 1, 0, 0, 1, 2\r\n").encode())
    rec = read_recording(path)
    np.testing.assert_allclose(rec.time_s, [10.0, 10.01])
    np.testing.assert_allclose(rec.gyr_dps[:, 2], [3, 4])
    np.testing.assert_allclose(rec.acc_g[0], [1, 0, 0])


def test_calibration_null_round_trips(small_sim, tmp_path):
    from hipsense.core import Session

    session = Session({**small_sim.session.metadata, "calibration": None}, None,
                      small_sim.session.sets)
    write_session(session, tmp_path / "s")
    back = read_session(tmp_path / "s")
    assert back.calibration is None and back.metadata["calibration"] is None
    assert not (tmp_path / "s" / "calibration.csv").exists()


def test_gaps_report_the_lost_samples(small_sim):
    for (_, rec), truth in zip(small_sim.session.sets, small_sim.truth["sets"]):
        # all of them, except whole packets (8 samples) lost at either end
        assert 0 <= truth["lost_samples"] - rec.gaps().missing_samples <= 16
    assert sum(t["lost_samples"] for t in small_sim.truth["sets"]) > 0


def test_export_parquet_long_form(session_dir, tmp_path, capsys):
    out = tmp_path / "all.parquet"
    assert main(["export", str(session_dir), "--parquet", str(out)]) == 0
    table = pq.read_table(out).to_pandas()
    session = read_session(session_dir)
    assert len(table) == sum(len(rec) for _, rec in session.sets)
    for number, (info, rec) in enumerate(session.sets, start=1):
        rows = table[table["set"] == number]
        assert set(rows["exercise"].astype(str)) == {info.exercise}
        assert set(rows["side"].astype(str)) == {info.side}
        np.testing.assert_array_equal(rows["time_s"].to_numpy(), rec.time_s)
        np.testing.assert_array_equal(rows[["gyr_x_dps", "gyr_y_dps", "gyr_z_dps"]].to_numpy(),
                                      rec.gyr_dps)
    assert f"wrote {len(table)} rows" in capsys.readouterr().out


def test_recording_rejects_mismatched_lengths():
    import pytest

    with pytest.raises(ValueError):
        Recording(np.arange(3.0), np.zeros((2, 3)), np.zeros((3, 3)))
