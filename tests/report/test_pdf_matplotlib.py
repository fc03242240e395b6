"""`report --pdf` without a browser: with no chromium on PATH the report is drawn
by matplotlib, on A4 (or letter), with its figures and searchable text; read
back with pypdf."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from pypdf import PdfReader

from hipsense.cli import main
from hipsense.exercises import EXERCISES
from hipsense.report.html import set_figures
from hipsense.report.pdf import PAGE_IN

from tests.conftest import REPO

WEEK1 = REPO / "sample_data" / "2026-10-05"

pytestmark = pytest.mark.slow  # about 5 s a report


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, tuple[PdfReader, str]]:
    """Week 1's report through `hipsense report --pdf` on both papers, PATH empty
    (no chromium), and what the command printed."""
    root = tmp_path_factory.mktemp("pdf")
    empty = root / "bin"
    empty.mkdir()
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", str(empty))
        for paper in ("a4", "letter"):
            stdout = io.StringIO()
            with contextlib.redirect_stdout(stdout):
                assert main(["report", str(WEEK1), "-o", str(root / f"{paper}.html"), "--pdf",
                             "--paper", paper]) == 0
            out[paper] = (PdfReader(root / f"{paper}.pdf"), stdout.getvalue())
    return out


def analysis() -> dict:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["analyze", str(WEEK1), "--json"]) == 0
    return json.loads(stdout.getvalue())


@pytest.mark.parametrize("paper, size_pt", [("a4", (595.0, 842.0)), ("letter", (612.0, 792.0))])
def test_pages_are_the_paper_size(printed, paper, size_pt):
    reader, said = printed[paper]
    assert f"{paper}.pdf (matplotlib)" in said
    assert 4 <= len(reader.pages) <= 8
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(size_pt[0], abs=1.0)
        assert float(page.mediabox.height) == pytest.approx(size_pt[1], abs=1.0)
    assert PAGE_IN[paper][0] * 72 == pytest.approx(size_pt[0], abs=1.0)


def test_every_figure_is_in_the_pdf(printed):
    reader, _ = printed["a4"]
    # matplotlib's pages share one resource dictionary: each lists every image
    images = {img.name: img for page in reader.pages for img in page.images}.values()
    from hipsense import analyze_session

    result = analyze_session(WEEK1)
    pairs = {s.exercise for s in result.sets if s.side in ("left", "right") and s.reps}
    assert len(images) == len(set_figures(result)) + len(pairs)
    assert all(img.image.width >= 800 for img in images)  # 5 in at 200 dpi


def test_the_text_is_extractable(printed):
    reader, _ = printed["a4"]
    text = " ".join(page.extract_text() for page in reader.pages)
    words = " ".join(text.split())
    first = " ".join(reader.pages[0].extract_text().split())
    assert first.startswith("hipsense session 2026-10-05")
    for ex in EXERCISES.values():
        assert ex.name in words, ex.name
    doc = analysis()
    for s in doc["sets"]:
        if s["rep_count"]:
            assert f"{s['rep_count']} reps" in words
    squat = doc["sets"][-1]
    assert f"R {squat['medians']['pelvic_drop_deg']:.1f} deg" in first
    assert f"{sum(1 for _ in doc['sets'])}/13 sets done" in first
    assert "Data quality" in words and "set13.csv" in words


def test_chromium_can_still_be_asked_for(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["report", str(WEEK1), "-o", str(tmp_path / "r.html"), "--pdf",
                 "--pdf-engine", "chromium"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pdf-engine matplotlib needs no browser" in err[0]
