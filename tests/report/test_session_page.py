"""The session report's HTML: the summary first, directions not signs, one
caption, vector figures, the change since the last session, and where
``hipsense report`` writes by default."""

from __future__ import annotations

import copy
import dataclasses
import re
import subprocess

import pytest

from hipsense import analyze_session
from hipsense.analysis.results import Flag
from hipsense.cli import main
from hipsense.history.store import import_folder, open_db
from hipsense.io import read_session
from hipsense.report.html import SET_CAPTION, escape, session_report

from tests.conftest import REPO

WEEKS = sorted((REPO / "sample_data").glob("2026-*"))


@pytest.fixture(scope="module")
def week1_page():
    session = read_session(WEEKS[0])
    return session_report(analyze_session(WEEKS[0]), session)


def _text(page: str) -> str:
    """The page's text (tags dropped, whitespace collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_summary_comes_first_and_the_rest_is_under_details(week1_page):
    page = week1_page
    order = [page.index(x) for x in ('id="summary"', "Top priorities", "Each exercise",
                                     'id="details"', "What you did", "Each set",
                                     "Data quality")]
    assert order == sorted(order)
    summary = page[page.index('id="summary"'):page.index('id="details"')]
    assert "<img" not in summary  # figures are details
    assert "13/13 sets done" in summary
    assert "7 things to work on, the top three first" in summary
    top = re.findall(r"<li><b>([^<]+)</b> \((\d+) % past the threshold\)", summary)
    assert top == [("Right clamshell: rollback 9.4 deg, limit 5", "88"),
                   ("Right single-leg squat: drop 9.1 deg, limit 5", "81"),
                   ("Right hip flexor knee drive with loop band: drop 8.1 deg, limit 5", "63")]
    assert summary.count('<article class="card') == 7
    assert "L 3.3 deg / R 9.1 deg, limit 5" in summary
    assert "L 27 s / R 22 s, target 30" in summary
    # the table of what was done calls short what the cards flag (under 25 s)
    rows = re.findall(r"<tr><td>(Hip[^<]*stretch[^<]*)</td><td>(\d+) s</td><td>[^<]*</td>"
                      r"<td class=\"(\w+)\">(\w+)</td></tr>", page)
    assert [(int(s), word) for _, s, _, word in rows] == [(27, "done"), (22, "short"),
                                                           (26, "done"), (21, "short")]
    assert "Keep it up" not in page
    # the four other priorities are in the details
    details = _text(page[page.index('id="details"'):])
    assert "Everything else to work on" in details
    assert "Hip bridge with band: obliquity 5.7 deg, limit 4" in details


def test_directions_not_signs(week1_page):
    text = _text(week1_page)
    assert "left -8.1 against right -13.2" not in text
    assert not re.search(r"left -?\d+\.\d against right", text)
    assert "right worse by 5.7 deg (drop)" in text
    assert "right tilted further back by 5.1 deg (tilt: neither way is better)" in text
    for words in ("drop: lower is better", "rollback: lower is better",
                  "obliquity: nearer zero is better", "hold: longer is better",
                  "bridge lift: 30.0 deg (higher is better)"):
        assert words in text, words
    assert not re.search(r"\d+\.\d+ reps", text)  # counts are whole numbers
    assert "10 reps" in text
    assert not re.search(r"[+]\d+\.\d deg", text)  # no signed medians


def test_one_caption_and_vector_figures(week1_page):
    page = week1_page
    assert page.count(escape(SET_CAPTION)) == 1 and "<figcaption" not in page
    images = re.findall(r'<img [^>]*src="([^"]{0,40})', page)
    assert len(images) == 18
    assert all(src.startswith("data:image/svg+xml;base64,") for src in images)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@page { size: A4; margin: 12mm; }" in page
    # every heading of a figure sits with it in one block that is never split
    blocks = re.findall(r'<div class="keep"><h3>.*?</figure></div>', page)
    assert len(blocks) == 18
    assert ".keep" in page and "break-inside: avoid" in page


def test_alerts_are_at_the_top_when_the_data_limits_the_report(tmp_path):
    session = read_session(WEEKS[0])
    result = analyze_session(WEEKS[0])
    partial = copy.copy(result)
    partial.sets = [dataclasses.replace(result.sets[11], flags=[
        Flag("data_quality", "alert", "The sensor lost 2.5 s of data during the set.")])]
    partial.comparisons = []
    page = session_report(partial, session)
    summary = page[page.index('id="summary"'):page.index('id="details"')]
    assert summary.index('class="alerts"') < summary.index("1/13 sets done")
    assert "12 of 13 sets missing" in summary and "lost 2.5 s of data" in summary
    assert "Keep it up" not in page
    assert "Nothing flagged in the sets that were measured" in summary
    assert summary.count("not done") >= 6  # six cards with no set at all


def test_the_change_since_the_last_session_comes_from_the_history(tmp_path, capsys):
    db = tmp_path / "h.sqlite3"
    conn = open_db(db)
    for week in WEEKS[4:]:
        import_folder(conn, week)
    conn.close()
    out = tmp_path / "week6.html"
    assert main(["report", str(WEEKS[-1]), "--db", str(db), "-o", str(out)]) == 0
    text = _text(out.read_text())
    assert "compared with 2026-11-02" in text
    week5 = analyze_session(WEEKS[4]).sets[12].medians["pelvic_drop_deg"]
    week6 = analyze_session(WEEKS[5]).sets[12].medians["pelvic_drop_deg"]
    assert f"R {week5:.1f} → {week6:.1f} deg (better)" in text
    # week 5 itself has nothing earlier in this history
    assert main(["report", str(WEEKS[4]), "--db", str(db), "-o", str(out)]) == 0
    assert "no earlier session in the history to compare with" in _text(out.read_text())
    # an athlete the history does not know: one line, exit 2
    capsys.readouterr()
    assert main(["report", str(WEEKS[4]), "--db", str(db), "-o", str(out),
                 "--athlete", "someone else"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no sessions of athlete 'someone else'" in err[0]
    assert str(db) in err[0]
    assert main(["report", str(WEEKS[4]), "--db", str(tmp_path / "none.sqlite3")]) == 2
    assert "none.sqlite3: no such history database" in capsys.readouterr().err


def _git_status() -> str:
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all",
                           "sample_data"], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return done.stdout


def test_a_sample_session_report_is_written_outside_sample_data(tmp_path, monkeypatch,
                                                                capsys):
    before = _git_status()
    db = tmp_path / "data" / "history.sqlite3"
    monkeypatch.setenv("HIPSENSE_DB", str(db))
    assert main(["report", str(WEEKS[0])]) == 0
    want = tmp_path / "data" / "reports" / WEEKS[0].name / "report.html"
    assert capsys.readouterr().out.strip() == f"wrote {want}"
    assert want.is_file() and not (WEEKS[0] / "report.html").exists()
    assert _git_status() == before  # the repository stays clean
    # a session folder of one's own gets its report inside it, as before
    own = tmp_path / "mine"
    own.mkdir()
    for f in WEEKS[0].iterdir():
        (own / f.name).write_bytes(f.read_bytes())
    assert main(["report", str(own)]) == 0
    assert (own / "report.html").is_file()


def test_keep_it_up_is_said_in_green_only_for_a_clean_complete_session():
    session = read_session(WEEKS[-1])
    result = analyze_session(WEEKS[-1])
    clean = copy.copy(result)
    clean.sets = [dataclasses.replace(s, flags=[]) for s in result.sets]
    clean.comparisons = [dataclasses.replace(c, flag=None) for c in result.comparisons]
    page = session_report(clean, session)
    assert re.search(r'<p class="status ok"><b>13/13 sets done\.</b> Nothing flagged: .*'
                     r'Keep it up\.</p>', page)
    assert 'class="alerts"' not in page and "Top priorities" not in page
    assert session_report(result, session).count("Keep it up") == 0  # week 6: one asymmetry
