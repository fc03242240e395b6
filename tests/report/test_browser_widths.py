"""The reports on a phone (390 px, as a mobile device) and on a desktop (1280
px) in headless chromium: no element wider than the viewport, no sideways
scrolling, every figure decoded, figure text still readable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hipsense.cli import main
from hipsense.history.store import import_folder, open_db
from hipsense.report.figures import FONT_PT
from hipsense.report.roster import write_roster

from tests.conftest import REPO
from tests.conftest import chromium
from tests.report.browser import probe

WEEKS = sorted((REPO / "sample_data").glob("2026-*"))

pytestmark = pytest.mark.slow

#: The smallest figure text (CSS px) a phone may show.
MIN_FIGURE_TEXT_PX = 9.5


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, tuple[Path, int]]:
    """The session report of week 1, the trends of the six weeks and the
    roster, with the number of figures each must show."""
    chromium()
    root = tmp_path_factory.mktemp("pages")
    db = root / "h.sqlite3"
    conn = open_db(db)
    for week in WEEKS:
        import_folder(conn, week)
    write_roster(conn, root / "roster.html", today=dt.date(2026, 11, 20))
    conn.close()
    assert main(["report", str(WEEKS[0]), "-o", str(root / "report.html"), "--db",
                 str(db)]) == 0
    assert main(["trends", "--db", str(db), "-o", str(root / "trends.html")]) == 0
    return {"report": (root / "report.html", 18), "trends": (root / "trends.html", 10),
            "roster": (root / "roster.html", 1)}


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", ["report", "trends", "roster"])
def test_fits_the_screen_with_every_figure_decoded(pages, name, width):
    page, figures = pages[name]
    seen = probe(page, width)
    assert seen["errors"] == []
    assert seen["viewport"] == width  # the viewport meta tag is honoured on the phone
    assert seen["scroll"] <= width  # no sideways scrolling
    assert seen["wide"] == []  # no element wider than the viewport
    images = seen["images"]
    assert len(images) == figures
    assert all(i["decoded"] and i["svg"] for i in images)
    assert all(0 < i["shown"] <= width for i in images)
    assert seen["min_font_px"] >= 12.0
    if name != "roster":  # the figures' text, scaled to the width they are shown at
        scale = min(i["shown"] / i["natural"] for i in images)
        assert FONT_PT * 4 / 3 * scale >= MIN_FIGURE_TEXT_PX, scale
        if width == 1280:
            assert scale >= 0.95  # shown at (about) their own size, two to a row


def test_without_the_viewport_tag_a_phone_lays_the_page_out_at_980_px(pages, tmp_path):
    """Control: the check above is what catches a page made for desktops only."""
    page, _ = pages["report"]
    bare = tmp_path / "bare.html"
    text = page.read_text()
    start = text.index('<meta name="viewport"')
    bare.write_text(text[:start] + text[text.index(">", start) + 1:])
    seen = probe(bare, 390)
    assert seen["viewport"] == 980
