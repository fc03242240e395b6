"""The terminal's tables take the terminal's width: at 80 columns no line is
longer, and every word of every cell stays whole (a cell wraps between words;
only a path longer than its column is folded)."""

from __future__ import annotations

import json
import re

import pytest

from hipsense import analyze_session
from hipsense.cli import main
from hipsense.exercises import EXERCISES, metric_label
from hipsense.io import read_session
from hipsense.report.table import print_check, print_session, print_simulated

from tests.conftest import REPO

WEEK1 = REPO / "sample_data" / "2026-10-05"
BOX = re.compile(r"[│┃┏┓┗┛┡┩┣┫╇╋━─┳┻┼└┘┌┐├┤┬┴]")


def _lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def _broken_words(lines: list[str], sources: list[str]) -> list[str]:
    """Tokens printed that are not whole words of the cells' texts."""
    vocabulary = {w for text in sources for w in re.split(r"\s+", text) if w}
    printed = {w for line in lines for w in re.split(r"\s+", BOX.sub(" ", line)) if w}
    return sorted(printed - vocabulary)


@pytest.fixture(autouse=True)
def _columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def test_the_session_table_fits_80_columns_without_breaking_words(capsys):
    result = analyze_session(WEEK1)
    print_session(result, "sample_data/2026-10-05")
    lines = _lines(capsys)
    assert max(map(len, lines)) <= 80
    assert len([line for line in lines if line.startswith("│ set")]) == 13
    # the texts rich was given
    sources = ["sample_data/2026-10-05", "file exercise side reps / hold median per rep (deg)",
               "flags What to work on Left and right metric left right difference asymmetry -"]
    for s in result.sets:
        sources += [s.file, EXERCISES[s.exercise].name, s.side, f"{s.rep_count} reps",
                    "hold no", *(f"{d.duration_s:.1f} s" for d in s.holds),
                    ", ".join(f"{metric_label(k)} {v:+.1f}" for k, v in s.medians.items()),
                    ", ".join(f.code.replace("_", " ") for f in s.flags)]
        sources += [f"[{f.severity}] {s.file}: {f.message}" for f in s.flags]
        sources += [f"(reps {', '.join(map(str, f.reps))})" for f in s.flags if f.reps]
    for c in result.comparisons:
        sources += [EXERCISES[c.exercise].name, metric_label(c.metric),
                    *(f"{v:.0f} {v:.1f}" for v in (c.left, c.right, c.difference))]
    assert _broken_words(lines, sources) == []
    # the flags and the exercises in words
    text = " ".join(BOX.sub(" ", line) for line in lines)
    assert "excessive" in text and "obliquity" in text and "extension" in text
    assert "_" not in text.replace("sample_data", "")


def test_the_check_and_simulated_tables_fit_80_columns(capsys, tmp_path):
    print_check(WEEK1, read_session(WEEK1))
    verdict, *lines = _lines(capsys)  # the verdict is one line, its path whole
    assert verdict.endswith("valid hipsense session (started 2026-10-05T07:12:00+00:00)")
    assert max(map(len, lines)) <= 80
    assert sum("set" in line and ".csv" in line for line in lines) == 13
    truth = json.loads((WEEK1 / "truth.json").read_text())
    print_simulated(WEEK1, truth)
    lines = _lines(capsys)
    assert max(map(len, lines)) <= 80


def test_the_history_table_fits_80_columns(capsys, tmp_path):
    db = tmp_path / "h.db"
    assert main(["import", str(WEEK1), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["history", "--db", str(db)]) == 0
    lines = _lines(capsys)
    assert max(map(len, lines)) <= 80
    assert any("2026-10-05 " in line for line in lines)  # started, to the minute
