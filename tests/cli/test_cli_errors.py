"""Every malformed input: exit status 2, one line on stderr naming the place, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from hipsense.cli import main


def _edit_json(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "session.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _set_key(index: int, key: str, value):
    return lambda d: d["sets"][index].__setitem__(key, value)


def _csv_line(name: str, line_no: int, text: str):
    """Replace line ``line_no`` (1-based) of a recording with ``text``."""
    def change(folder: Path) -> None:
        path = folder / name
        lines = path.read_text().splitlines()
        lines[line_no - 1] = text
        path.write_text("\n".join(lines) + "\n")
    return change


GOOD_ROW = "{t},1.00711,-0.09717,0.16211,0.030,-1.617,-0.580"

CASES = {
    "missing session.json": (lambda f: (f / "session.json").unlink(),
                             ["session.json", "missing"]),
    "session.json is not JSON": (lambda f: (f / "session.json").write_text('{"format": \n'),
                                 ["session.json:2", "invalid JSON"]),
    "session.json top level is a list": (lambda f: (f / "session.json").write_text("[]"),
                                         ["session.json", "JSON object"]),
    "unknown format": (lambda f: _edit_json(f, lambda d: d.__setitem__("format", "other")),
                       ["session.json", "key 'format'", "'other'"]),
    "unknown version": (lambda f: _edit_json(f, lambda d: d.__setitem__("version", 2)),
                        ["session.json", "key 'version'", "unsupported version 2"]),
    "missing sets": (lambda f: _edit_json(f, lambda d: d.pop("sets")),
                     ["key 'sets'", "missing"]),
    "missing calibration key": (lambda f: _edit_json(f, lambda d: d.pop("calibration")),
                                ["key 'calibration'", "missing"]),
    "unknown exercise": (lambda f: _edit_json(f, _set_key(1, "exercise", "squat")),
                         ["key 'sets[1].exercise'", "unknown exercise 'squat'"]),
    "unknown side": (lambda f: _edit_json(f, _set_key(0, "side", "middle")),
                     ["key 'sets[0].side'", "unknown side 'middle'"]),
    "side wrong for exercise": (lambda f: _edit_json(f, _set_key(0, "side", "both")),
                                ["key 'sets[0].side'",
                                 "single_leg_squat takes side left or right"]),
    "set entry lacks file": (lambda f: _edit_json(f, lambda d: d["sets"][2].pop("file")),
                             ["key 'sets[2].file'", "missing"]),
    "set file missing": (lambda f: (f / "set02.csv").unlink(),
                         ["session.json", "key 'sets[1].file'", "'set02.csv'"]),
    "calibration file missing": (lambda f: (f / "calibration.csv").unlink(),
                                 ["key 'calibration'", "'calibration.csv'"]),
    "set file outside the folder": (lambda f: _edit_json(f, _set_key(0, "file", "../x.csv")),
                                    ["key 'sets[0].file'", "inside the session folder"]),
    "bad sample rate": (lambda f: _edit_json(f, lambda d: d.__setitem__("sample_rate_hz", -5)),
                        ["key 'sample_rate_hz'", "-5"]),
    "wrong CSV header": (_csv_line("set01.csv", 1, "time,ax,ay,az,gx,gy,gz"),
                         ["set01.csv:1", "lacks column(s) time_s"]),
    "empty file": (lambda f: (f / "set02.csv").write_text(""),
                   ["set02.csv:1", "empty file"]),
    "header only": (lambda f: (f / "set02.csv").write_text(
        "time_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"),
        ["set02.csv:2", "no samples"]),
    "non-number": (_csv_line("set01.csv", 5, "3400.1,1.0,abc,0.1,0,0,0"),
                   ["set01.csv:5", "acc_y_g", "'abc' is not a number"]),
    "NaN": (_csv_line("set01.csv", 7, "3400.1,1.0,0.0,0.1,NaN,0,0"),
            ["set01.csv:7", "gyr_x_dps", "'NaN' is not a number"]),
    "infinity": (_csv_line("calibration.csv", 4, "3400.1,1.0,0.0,inf,0,0,0"),
                 ["calibration.csv:4", "acc_z_g", "not a finite number"]),
    "empty field": (_csv_line("set01.csv", 9, "3400.1,1.0,0.0,0.1,0,,0"),
                    ["set01.csv:9", "gyr_y_dps", "empty field"]),
    "too many fields": (_csv_line("set01.csv", 6, GOOD_ROW.format(t=1) + ",9,9"),
                        ["set01.csv:6", "9 fields where the header has 7"]),
    "time goes backwards": (_csv_line("set03.csv", 40, GOOD_ROW.format(t=1.0)),
                            ["set03.csv:40", "time_s 1.0 does not increase"]),
    "binary file": (lambda f: (f / "set01.csv").write_bytes(b"\xff\xfe\x00\x01" * 10),
                    ["set01.csv", "not a text file"]),
}


@pytest.mark.parametrize("command", ["check", "export", "analyze"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_input_gives_one_line_error(case, command, session_dir, tmp_path, capsys):
    damage, expected = CASES[case]
    damage(session_dir)
    argv = [command, str(session_dir)]
    if command == "export":
        argv += ["--parquet", str(tmp_path / "out.parquet")]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("hipsense: error: "), err
    for part in expected:
        assert part in err, (part, err)
    assert not (tmp_path / "out.parquet").exists()


def test_not_a_folder(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: not a folder" in capsys.readouterr().err


def test_export_to_missing_folder(session_dir, tmp_path, capsys):
    assert main(["export", str(session_dir), "--parquet",
                 str(tmp_path / "no" / "such" / "out.parquet")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_real_command_prints_no_traceback(session_dir):
    (session_dir / "set01.csv").write_text("time_s,acc_x_g\n1,2\n")
    run = subprocess.run([sys.executable, "-m", "hipsense", "check", str(session_dir)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"hipsense: error: {session_dir / 'set01.csv'}:1: header lacks column(s) acc_y_g, "
        "acc_z_g, gyr_x_dps, gyr_y_dps, gyr_z_dps (expected "
        "'time_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps', got 'time_s,acc_x_g')"]


def test_help_lists_subcommands_and_each_has_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("simulate", "check", "analyze", "export"):
        assert command in out
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert "usage: hipsense " + command in capsys.readouterr().out


def test_version(capsys):
    from hipsense import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"hipsense {__version__}"


def test_simulate_refuses_to_overwrite_a_session(session_dir, capsys):
    before = (session_dir / "set01.csv").read_bytes()
    assert main(["simulate", "--out", str(session_dir), "--exercises", "clamshell"]) == 2
    err = capsys.readouterr().err
    assert "folder is not empty" in err and err.count("\n") == 1
    assert (session_dir / "set01.csv").read_bytes() == before
    assert main(["simulate", "--out", str(session_dir), "--exercises", "clamshell",
                 "--force"]) == 0


def test_simulate_rejects_unknown_exercise_and_bad_loss(tmp_path, capsys):
    for bad in (["--exercises", "squat"], ["--packet-loss", "1.5"]):
        with pytest.raises(SystemExit) as exc:
            main(["simulate", "--out", str(tmp_path / "x"), *bad])
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unknown exercise(s) squat" in err and "not a fraction" in err


@pytest.mark.parametrize("realism", ["nan", "inf", "-1", "3.5"])
def test_simulate_refuses_a_realism_out_of_range_in_one_line(tmp_path, capsys, realism):
    assert main(["simulate", "--out", str(tmp_path / "x"), "--exercises", "clamshell",
                 "--realism", realism]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--realism must be from 0 to 3" in err
    assert not (tmp_path / "x").exists()


def test_json_into_a_closed_pipe_ends_quietly():
    """`hipsense analyze DIR --json | head`: the reader has gone; no error."""
    import os

    from tests.conftest import REPO

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write gets EPIPE
    try:
        run = subprocess.run([sys.executable, "-m", "hipsense", "analyze",
                              str(REPO / "sample_data" / "2026-10-05"), "--json"],
                             stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert (run.returncode, run.stderr) == (0, "")
