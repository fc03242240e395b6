"""Session and trends reports: figure content, words, and the pages in a real
headless browser."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from hipsense import analyze_session
from hipsense.cli import main
from hipsense.history.store import import_folder, open_db
from hipsense.report.figures import flagged_reps, set_figure
from hipsense.report.trends import adherence, trend_table, what_changed

from tests.conftest import REPO, chromium

WEEKS = sorted((REPO / "sample_data").glob("2026-*"))


@pytest.fixture(scope="module")
def week1():
    return analyze_session(WEEKS[0])


def _extent(patch, axis: int) -> tuple[float, float]:
    """A span's range along x (0) or y (1) in data units (Rectangle or Polygon)."""
    if isinstance(patch, Rectangle):
        lo = patch.get_x() if axis == 0 else patch.get_y()
        return lo, lo + (patch.get_width() if axis == 0 else patch.get_height())
    v = np.asarray(patch.get_xy())[:, axis]
    return float(v.min()), float(v.max())


def _spans(ax, prefix):
    """x ranges of the shaded spans whose gid starts with ``prefix``."""
    return [_extent(p, 0) for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


def test_set_figure_shades_the_reps_and_marks_the_flagged_ones(week1):
    squat = next(s for s in week1.sets if s.exercise == "single_leg_squat" and s.side == "right")
    fig = set_figure(squat)
    ax = fig.axes[0]
    t0 = squat.time_s[0]
    spans = _spans(ax, "rep")
    np.testing.assert_allclose(spans, [(r.start_s - t0, r.end_s - t0) for r in squat.reps],
                               atol=1e-6)
    flagged = flagged_reps(squat)
    assert len(flagged) >= 8  # the sample runner's right squats drop 9 deg
    [marks] = [line for line in ax.lines if line.get_gid() == "flagged-reps"]
    xs, ys = marks.get_data()
    want = [r for r in squat.reps if r.index in flagged]
    assert list(ys) == pytest.approx([r.metrics["pelvic_drop_deg"] for r in want])
    for x, r in zip(xs, want):  # each mark sits inside its own rep
        assert r.start_s - t0 <= x <= r.end_s - t0
    zone = [p for p in ax.patches if p.get_gid() == "flag-zone"]
    assert len(zone) == 1 and _extent(zone[0], 1)[0] == pytest.approx(5.0)


def test_a_clean_set_has_no_marks_and_a_stretch_shades_its_hold(week1):
    left = next(s for s in week1.sets if s.exercise == "single_leg_squat" and s.side == "left")
    ax = set_figure(left).axes[0]
    assert not [line for line in ax.lines if line.get_gid() == "flagged-reps"]
    stretch = next(s for s in week1.sets if s.exercise == "hip_stretch")
    ax = set_figure(stretch).axes[0]
    t0 = stretch.time_s[0]
    np.testing.assert_allclose(_spans(ax, "hold"),
                               [(h.start_s - t0, h.end_s - t0) for h in stretch.holds], atol=1e-6)


def test_session_report_says_what_was_done_and_what_to_work_on(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(WEEKS[0]), "-o", str(out)]) == 0
    page = out.read_text()
    n_sets = len(analyze_session(WEEKS[0]).sets)
    # a figure per set (two for the bridge: obliquity and lift), four left/right pairs
    assert page.count("<img ") == n_sets + 1 + 4
    assert "Your left hip dropped 9 deg on average during right single-leg squats" in page
    assert "short" in page  # the week-1 stretches were held 21-26 s of 30
    assert "src=\"http" not in page and "<script" not in page  # self-contained


def test_trends_say_what_changed(tmp_path):
    conn = open_db(tmp_path / "h.sqlite3")
    for week in WEEKS:
        import_folder(conn, week)
    table = trend_table(conn)
    squat = table[(table.exercise == "single_leg_squat") & (table.side == "right")]
    first, last = squat["median"].iloc[0], squat["median"].iloc[-1]
    sentence = what_changed("single_leg_squat", table)
    assert sentence.startswith(f"Right single-leg squat drop fell from {first:.1f} to "
                               f"{last:.1f} deg in 5 weeks")
    assert first > 8.0 and last < 5.0
    assert "all under" in sentence
    rows = adherence([d.date() for d in table.date.drop_duplicates()])
    assert [n for _, n, _ in rows] == [1] * 6
    assert [aim for _, _, aim in rows] == ["1", "1", "2-3", "2-3", "2-3", "2-3"]




CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 100).length;
  document.body.setAttribute('data-check', `images=${imgs.length} loaded=${ok}`);
});
window.addEventListener('error', e => document.body.setAttribute('data-error', e.message));
</script>"""


def _open_in_browser(page, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", CHECK + "</body>"))
    done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                           "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0",
                           "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


@pytest.mark.slow
def test_reports_load_in_a_headless_browser_with_every_figure(tmp_path):
    conn = open_db(tmp_path / "h.sqlite3")
    for week in WEEKS:
        import_folder(conn, week)
    conn.close()
    report, trends = tmp_path / "report.html", tmp_path / "trends.html"
    assert main(["report", str(WEEKS[0]), "-o", str(report)]) == 0
    assert main(["trends", "--db", str(tmp_path / "h.sqlite3"), "-o", str(trends)]) == 0
    # the session: 13 sets, the bridge's lift, 4 left/right pairs; the trends: 7
    # exercises, the bridge's lift and the two stretches' hold durations
    for page, figures in ((report, 18), (trends, 10)):
        dom, log = _open_in_browser(page, tmp_path)
        m = re.search(r'data-check="images=(\d+) loaded=(\d+)"', dom)
        assert m, dom[:500]
        assert int(m.group(1)) == int(m.group(2)) == figures
        assert 'data-error="' not in dom
        assert "Uncaught" not in log and ":CONSOLE" not in log


@pytest.mark.slow
def test_demo_does_the_whole_job(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    for name in ("session report", "trends report", "history"):
        assert name in out
    root = tmp_path / "demo"
    conn = open_db(root / "history.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == len(WEEKS) + 1
    conn.close()
    report = (root / "session" / "report.html").read_text()
    assert report.count("<img ") >= 13
    trends = (root / "trends.html").read_text()
    assert "Right single-leg squat drop fell from" in trends
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 2  # never over an earlier one


@pytest.mark.slow
def test_report_prints_to_pdf(tmp_path):
    chromium()
    out = tmp_path / "week1.html"
    assert main(["report", str(WEEKS[0]), "-o", str(out), "--pdf"]) == 0
    pdf = (tmp_path / "week1.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
