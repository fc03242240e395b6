"""Folder names are not markup (issue 11, item 2).

Every user-supplied string the terminal shows (paths, file names, names from
session.json, error messages) is printed literally: ``[/x]`` or ``[bold]`` in a
folder name neither crashes rich nor styles the output, before or after the
session is imported into the history.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import shutil

import pytest
from rich.console import Console

from hipsense.cli import main
from hipsense.errors import shown

NAMES = ["x[/x]", "[bold]runner[/bold]", "a[link=https://example.org]b", "w[/]\\[red]"]


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    """Wide enough that no table wraps a path, so the output can be searched."""
    monkeypatch.setenv("COLUMNS", "1000")


def run_cli(argv: list) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_a_markup_folder_works_in_check_analyze_report_import_and_history(session_dir,
                                                                          tmp_path, name):
    folder = tmp_path / name
    shutil.copytree(session_dir, folder)
    db = tmp_path / "history.sqlite3"

    code, out, err = run_cli(["check", folder])
    assert (code, err) == (0, "") and f"{folder}: valid hipsense session" in out

    code, out, err = run_cli(["analyze", folder])
    assert (code, err) == (0, "") and str(folder) in out

    code, out, err = run_cli(["analyze", "--json", folder])
    assert (code, err) == (0, "") and json.loads(out)["sets"]

    code, out, err = run_cli(["report", folder, "-o", tmp_path / "report.html"])
    assert (code, err) == (0, "")
    assert html.escape(str(folder)) in (tmp_path / "report.html").read_text()

    code, out, err = run_cli(["import", "--db", db, folder])
    assert (code, err) == (0, "") and out.startswith(f"{folder}: imported")

    for _ in range(2):  # and every later listing
        code, out, err = run_cli(["history", "--db", db])
        assert (code, err) == (0, "") and str(folder.resolve()) in out


def test_markup_in_file_names_and_athlete_shows_literally(session_dir, tmp_path):
    (session_dir / "set01.csv").rename(session_dir / "[bold]set01[red].csv")
    path = session_dir / "session.json"
    doc = json.loads(path.read_text())
    doc["sets"][0]["file"] = "[bold]set01[red].csv"
    doc["athlete"] = "[/x]Ann [red]"
    doc["notes"] = "[blink]"
    path.write_text(json.dumps(doc))

    code, out, err = run_cli(["check", session_dir])
    assert (code, err) == (0, "") and "[bold]set01[red].csv" in out
    code, out, err = run_cli(["analyze", session_dir])
    assert (code, err) == (0, "") and "[bold]set01[red].csv" in out
    code, out, err = run_cli(["report", session_dir, "-o", tmp_path / "r.html"])
    assert (code, err) == (0, "")
    assert html.escape("[/x]Ann [red]") in (tmp_path / "r.html").read_text()
    code, out, err = run_cli(["import", session_dir])
    assert (code, err) == (0, "")
    code, out, err = run_cli(["history"])
    assert (code, err) == (0, "") and str(session_dir.resolve()) in out


def test_an_error_about_a_markup_path_is_one_literal_line(tmp_path):
    folder = tmp_path / "[/x]missing[bold]"
    code, out, err = run_cli(["check", folder])
    assert code == 2 and out == ""
    assert err == f"hipsense: error: {folder}: not a folder (expected a session folder " \
                  "with session.json)\n"


def test_simulate_into_a_markup_folder_prints_it_literally(tmp_path):
    folder = tmp_path / "sim[/x]"
    code, out, err = run_cli(["simulate", "--out", folder, "--exercises", "clamshell"])
    assert (code, err) == (0, "") and str(folder) in out


def test_the_live_panel_shows_a_markup_title_literally():
    from hipsense.exercises import EXERCISES
    from hipsense.live.view import live_panel

    console = Console(file=io.StringIO(), width=120)
    console.print(live_panel(EXERCISES["clamshell"], "left", "[/x]Clamshell [bold]", None,
                             None, {"state": "connected"}))
    assert "[/x]Clamshell [bold]" in console.file.getvalue()


@pytest.mark.parametrize("text", NAMES + ["tab\there", "esc\x1b[2Jape", "line\nbreak",
                                  "ends\\", "\\\\[bold]\\"])
def test_shown_prints_any_string_literally_on_one_line(text):
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(shown(text))
    printed = console.file.getvalue()
    assert printed.count("\n") == 1 and "\x1b" not in printed
    assert printed.rstrip("\n") == text.replace("\t", "\\t").replace("\x1b", "\\x1b").replace(
        "\n", "\\n")


def test_a_sensor_named_like_markup_records_and_is_shown_literally(tmp_path, monkeypatch):
    import functools

    import hipsense.virtual.sensor as virtual

    name = virtual.NAME_PREFIX + "[/x][bold]"
    monkeypatch.setattr(virtual, "VirtualSensor",
                        functools.partial(virtual.VirtualSensor, name=name))
    code, out, err = run_cli(["record", "--sensor", "virtual", "--unattended", "--seed", "8",
                              "--exercises", "knee_drive", "--out", str(tmp_path / "rec")])
    assert code == 0, err
    assert f"Connected to {name}" in out + err
    assert (tmp_path / "rec" / "session.json").is_file()
