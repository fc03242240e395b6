"""The printed report: A4 by default (``--paper letter``), the summary alone
on page 1, the details after; page count and size read from the PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hipsense.cli import main
from hipsense.history.store import import_folder, open_db
from hipsense.report.html import write_pdf

from tests.conftest import REPO
from tests.conftest import chromium

WEEKS = sorted((REPO / "sample_data").glob("2026-*"))

pytestmark = pytest.mark.slow

#: Page sizes in PDF points (1/72 in): A4 is 210 x 297 mm.
A4 = (210 / 25.4 * 72, 297 / 25.4 * 72)
LETTER = (612.0, 792.0)


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """Each page's size (width, height in points) from its MediaBox."""
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", data)
    boxes = [tuple(float(v) for v in m.split()) for m in
             re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)]
    assert len(boxes) == len(pages)
    return [(x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes]


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Path]:
    """Week 2's report, compared with week 1 (every card says what changed:
    the longest summary the sample weeks give), on both papers."""
    chromium()
    root = tmp_path_factory.mktemp("pdf")
    db = root / "h.sqlite3"
    import_folder(open_db(db), WEEKS[0])
    out = {}
    for paper in ("a4", "letter"):
        html = root / f"{paper}.html"
        args = ["report", str(WEEKS[1]), "-o", str(html), "--pdf", "--db", str(db)]
        assert main(args + ([] if paper == "a4" else ["--paper", "letter"])) == 0
        out[paper] = html
    return out


@pytest.mark.parametrize("paper, size", [("a4", A4), ("letter", LETTER)])
def test_page_size_and_count(printed, paper, size):
    pages = pdf_pages(printed[paper].with_suffix(".pdf"))
    for w, h in pages:
        assert w == pytest.approx(size[0], abs=1.5) and h == pytest.approx(size[1], abs=1.5)
    # the summary page, then the details (measured: 5 pages on both papers;
    # the old report printed 9 Letter pages)
    assert 4 <= len(pages) <= 6, len(pages)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_summary_fits_page_1_and_the_details_start_on_page_2(printed, paper, tmp_path):
    page = printed[paper].read_text()
    start, end = page.index('<section id="details">'), page.index("</section>", page.index(
        '<section id="details">'))
    # the summary alone (same page, same CSS) prints on one page
    alone = tmp_path / "summary.html"
    alone.write_text(page[:start] + page[end + len("</section>"):])
    write_pdf(alone, tmp_path / "summary.pdf")
    assert len(pdf_pages(tmp_path / "summary.pdf")) == 1
    assert "Since last session (2026-10-05)" in page
    # without the summary the page count is the same: page 1 held the summary
    # alone (with the title), the details start on page 2
    details = tmp_path / "details.html"
    summary_start = page.index('<section id="summary">')
    summary_end = page.index("</section>", summary_start) + len("</section>")
    details.write_text(page[:summary_start] + page[summary_end:])
    write_pdf(details, tmp_path / "details.pdf")
    whole = len(pdf_pages(printed[paper].with_suffix(".pdf")))
    assert len(pdf_pages(tmp_path / "details.pdf")) == whole
    assert "#details { break-before: page; }" in page


def test_no_heading_or_caption_is_left_apart_from_its_content(printed):
    page = printed["a4"].read_text()
    for rule in ("h1, h2, h3 { break-after: avoid; page-break-after: avoid; }",
                 "tr, figure, .card, .keep, li { break-inside: avoid; "
                 "page-break-inside: avoid; }"):
        assert rule in page
    # every h2 followed by figures opens a block kept together with the first row
    for heading in ("Each set", "Left and right, rep by rep"):
        i = page.index(f"<h2>{heading}</h2>")
        assert page[i - len('<div class="keep">'):i] == '<div class="keep">'
    # every h3 of a figure is inside the figure's own block
    assert len(re.findall(r'<div class="keep"><h3>[^<]*</h3><p>[^<]*</p><figure>', page)) == 13 + 1
