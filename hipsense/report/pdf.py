"""The session report as a PDF drawn by matplotlib: no browser, no system libraries.

The same content as the HTML report (:func:`hipsense.report.html.session_report`),
in the same order: the summary on page 1 (alerts, what was done, the top three
priorities, one card per exercise), then the details (everything else to work
on, what you did against the prescription, each set's figures two to a row,
left and right rep by rep, data quality). Pages are A4 or US letter with 12 mm
margins; text is real text (TrueType fonts embedded, so it can be searched and
copied); the figures are the report's own (:mod:`hipsense.report.figures`),
embedded as 200 dpi images.

Layout is a top-down cursor: each block (a paragraph, a table row, a row of
figures) is measured first and goes onto a new page when it does not fit, so a
block is never split across pages.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hipsense.analysis.results import SessionResult
from hipsense.core import Session
from hipsense.errors import plural
from hipsense.exercises import EXERCISES, better_words
from hipsense.report.figures import left_right_figure, run_figure, set_figure
from hipsense.report.html import (
    SET_CAPTION,
    change_text,
    everywhere,
    left_right_pairs,
    or_dash,
    prescription,
    set_figures,
)
from hipsense.report.summary import Previous, Summary, summarise
from hipsense.version import __version__

#: Page sizes (width, height) in inches: A4 is 210 x 297 mm (595 x 842 pt).
PAGE_IN = {"a4": (210 / 25.4, 297 / 25.4), "letter": (8.5, 11.0)}
MARGIN_IN = 12 / 25.4
#: Width of one character as a fraction of the font size (DejaVu Sans, on
#: average over English text; the wrap is by characters).
CHAR_EM = 0.55
FIGURE_DPI = 200
COLOURS = {"alert": "#b00020", "warning": "#a15c00", "ok": "#1a7f37", "muted": "#666666",
           "text": "#222222"}


class PdfLayout:
    """Pages of ``paper`` filled top-down with wrapped text, tables and images."""

    def __init__(self, paper: str) -> None:
        self.width_in, self.height_in = PAGE_IN[paper]
        self.text_width_in = self.width_in - 2 * MARGIN_IN
        self.pages: list[Figure] = []
        self.y_in = 0.0  # distance of the cursor from the top of the page
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(Figure(figsize=(self.width_in, self.height_in)))
        self.y_in = MARGIN_IN

    def room(self, height_in: float) -> None:
        """Start a new page unless ``height_in`` fits below the cursor."""
        if self.y_in + height_in > self.height_in - MARGIN_IN and self.y_in > MARGIN_IN:
            self.new_page()

    def _lines(self, text: str, size_pt: float, width_in: float) -> list[str]:
        chars = max(10, int(width_in * 72 / (size_pt * CHAR_EM)))
        return textwrap.wrap(text, chars) or [""]

    def text_height_in(self, text: str, size_pt: float, width_in: float | None = None) -> float:
        width_in = self.text_width_in if width_in is None else width_in
        return len(self._lines(text, size_pt, width_in)) * size_pt * 1.3 / 72

    def _put(self, x_in: float, y_in: float, text: str, size_pt: float, width_in: float,
             bold: bool, colour: str) -> None:
        fig = self.pages[-1]
        line_in = size_pt * 1.3 / 72
        for i, line in enumerate(self._lines(text, size_pt, width_in)):
            fig.text(x_in / self.width_in, 1 - (y_in + (i + 0.8) * line_in) / self.height_in,
                     line, fontsize=size_pt, fontweight="bold" if bold else "normal",
                     color=COLOURS.get(colour, colour), va="baseline", ha="left")

    def paragraph(self, text: str, size_pt: float = 9.0, *, bold: bool = False,
                  colour: str = "text", indent_in: float = 0.0, space_pt: float = 3.0,
                  keep_with_in: float = 0.0) -> None:
        """Wrapped text at the cursor; ``keep_with_in`` more inches must fit on the
        same page (a heading stays with what follows it)."""
        width = self.text_width_in - indent_in
        height = self.text_height_in(text, size_pt, width)
        self.room(height + keep_with_in)
        self._put(MARGIN_IN + indent_in, self.y_in, text, size_pt, width, bold, colour)
        self.y_in += height + space_pt / 72

    def heading(self, text: str, level: int = 2, keep_with_in: float = 0.4) -> None:
        size = {1: 14.0, 2: 11.5, 3: 10.0}[level]
        self.y_in += {1: 0.0, 2: 8.0, 3: 4.0}[level] / 72
        self.paragraph(text, size, bold=True, keep_with_in=keep_with_in)
        if level == 2:
            fig, y = self.pages[-1], 1 - (self.y_in - 1.5 / 72) / self.height_in
            fig.add_artist(Line2D(
                [MARGIN_IN / self.width_in, 1 - MARGIN_IN / self.width_in], [y, y],
                color="#dddddd", linewidth=0.8))

    def table(self, header: list[str], rows: list[list[str]], widths: list[float],
              size_pt: float = 8.5) -> None:
        """Rows of wrapped cells; ``widths`` are the columns' shares of the text width."""
        cols = [w / sum(widths) * self.text_width_in for w in widths]

        def row(cells: list[str], bold: bool) -> None:
            height = max(self.text_height_in(c, size_pt, w - 0.08) for c, w in zip(cells, cols))
            self.room(height + 2 / 72)
            x = MARGIN_IN
            for cell, w in zip(cells, cols):
                self._put(x, self.y_in, cell, size_pt, w - 0.08, bold, "text")
                x += w
            self.y_in += height + 2 / 72

        row(header, True)
        for cells in rows:
            row(cells, False)
        self.y_in += 3 / 72

    def figures(self, blocks: list[tuple[str, str, Figure]], per_row: int = 2) -> None:
        """Figures ``per_row`` to a row, each with a heading and a line above it."""
        gap_in = 0.15
        width = (self.text_width_in - gap_in * (per_row - 1)) / per_row
        for i in range(0, len(blocks), per_row):
            row = blocks[i:i + per_row]
            images = [_png(fig) for _, _, fig in row]
            above = max(self.text_height_in(h, 9.5, width) + self.text_height_in(t, 8.0, width)
                        for h, t, _ in row)
            heights = [width * fig.get_figheight() / fig.get_figwidth() for _, _, fig in row]
            self.room(above + max(heights) + 0.1)
            for j, ((head, line, _), image, h) in enumerate(zip(row, images, heights)):
                x = MARGIN_IN + j * (width + gap_in)
                self._put(x, self.y_in, head, 9.5, width, True, "text")
                self._put(x, self.y_in + self.text_height_in(head, 9.5, width), line, 8.0,
                          width, False, "muted")
                ax = self.pages[-1].add_axes((x / self.width_in,
                                              1 - (self.y_in + above + h) / self.height_in,
                                              width / self.width_in, h / self.height_in))
                ax.imshow(image, interpolation="none")  # embedded as drawn, not resampled
                ax.set_axis_off()
            self.y_in += above + max(heights) + 0.12

    def save(self, out: io.BytesIO) -> None:
        """Write the pages as one PDF, fonts embedded as TrueType (text extractable)."""
        from matplotlib.backends.backend_pdf import PdfPages

        with matplotlib.rc_context({"pdf.fonttype": 42}):
            with PdfPages(out, metadata={"Creator": f"hipsense {__version__}"}) as pdf:
                for page in self.pages:
                    pdf.savefig(page)


def _png(fig: Figure):
    """A figure as an RGBA image array at :data:`FIGURE_DPI`."""
    import matplotlib.image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    buf.seek(0)
    return matplotlib.image.imread(buf, format="png")


def _summary(layout: PdfLayout, summary: Summary, since: str | None) -> None:
    """The summary as the HTML report has it (:func:`~hipsense.report.html.summary_html`)."""
    if summary.alerts:
        layout.paragraph("Read this first: the data limits what this report can say.",
                         bold=True, colour="alert")
        for a in summary.alerts:
            layout.paragraph(a.text, colour="alert", indent_in=0.15)
    status = f"{summary.status}."
    if summary.keep_it_up:
        layout.paragraph(f"{status} Nothing flagged: the pelvis stayed within every threshold "
                         f"{everywhere(summary)}. Keep it up.", 10.0, colour="ok")
    elif not summary.priorities and summary.alerts:
        layout.paragraph(f"{status} Nothing flagged in the sets that were measured; with the "
                         "alerts above, that is not the whole picture.", 10.0)
    elif not summary.priorities:
        n = len(summary.others)
        layout.paragraph(f"{status} Nothing past a limit; {n} note{'s' if n != 1 else ''} in "
                         "the details.", 10.0)
    else:
        n = len(summary.priorities)
        layout.paragraph(f"{status} {n} thing{'s' if n != 1 else ''} to work on"
                         + (", the top three first." if n > 3 else "."), 10.0)
        layout.heading("Top priorities")
        for i, p in enumerate(summary.top, start=1):
            layout.paragraph(f"{i}. {p.title} ({p.excess * 100:.0f} % past the threshold)",
                             bold=True, space_pt=0, keep_with_in=0.2)
            layout.paragraph(p.advice, indent_in=0.15, space_pt=1)
            for note in p.notes:
                layout.paragraph(note, 8.5, colour="muted", indent_in=0.15, space_pt=1)
    layout.heading("Running check" if summary.run_only else "Each exercise")
    for card in () if summary.run_only else summary.cards:
        verdict_colour = {"ok": "ok", "flagged": "alert"}.get(card.verdict, "warning")
        better = better_words(card.better) if card.unit == "deg" else "longer is better"
        counts = " / ".join(sv.count if sv.side == "both" else f"{sv.side[0].upper()} {sv.count}"
                            for sv in card.sides)
        lines = [(f"{card.name}: {card.values_text}", 9.5, True, "text"),
                 (card.verdict_text.capitalize(), 9.0, False, verdict_colour),
                 (f"{card.label}: {better}" + (f"; {card.asymmetry}" if card.asymmetry else "")
                  + "; " + counts, 8.5, False, "muted")]
        lines += [(x, 8.5, False, "muted") for x in card.extra]
        change = change_text(card, since)
        if change:
            lines.append((change, 8.5, False, "text"))
        height = sum(layout.text_height_in(t, s) for t, s, _, _ in lines)
        layout.room(height + 0.08)
        for text, size, bold, colour in lines:
            layout.paragraph(text, size, bold=bold, colour=colour, space_pt=0)
        layout.y_in += 0.08
    for run in summary.runs:
        verdict_colour = {"ok": "ok", "flagged": "alert"}.get(run.verdict, "warning")
        lines = [(f"{run.name}: {run.values_text}", 9.5, True, "text"),
                 (run.verdict_text.capitalize(), 9.0, False, verdict_colour),
                 ("drop (median per stance foot, steady running): lower is better"
                  + (f"; {run.asymmetry}" if run.asymmetry else ""), 8.5, False, "muted"),
                 (run.detail_text, 8.5, False, "muted")]
        layout.room(sum(layout.text_height_in(t, s) for t, s, _, _ in lines) + 0.08)
        for text, size, bold, colour in lines:
            layout.paragraph(text, size, bold=bold, colour=colour, space_pt=0)
        layout.y_in += 0.08


def _running(layout: PdfLayout, runs: list) -> None:
    """The running check's details as the HTML report has them
    (:func:`~hipsense.report.html.running_section`)."""
    if not runs:
        return
    layout.heading("Running check", keep_with_in=2.2)
    blocks = []
    for s in runs:
        run = s.run or {}
        bouts = run.get("bouts") or []
        steady = sum(b["steps"] for b in bouts)
        cadence = (sum(b["cadence_spm"] * b["steps"] for b in bouts) / steady) if steady \
            else None
        layout.paragraph(f"{s.file}: {plural(len(run.get('steps') or []), 'step')}, {steady} "
                         f"in {plural(len(bouts), 'steady bout')}"
                         + (f", cadence {cadence:.0f} steps/min" if cadence else "") + ".")
        rows = []
        for side in ("left", "right"):
            c = run.get(side) or {}
            rows.append([side, or_dash(c.get("pelvic_drop_deg"), "{:.1f} deg"),
                         or_dash(c.get("pelvic_drop_iqr_deg"), "{:.1f} deg"),
                         or_dash(c.get("contact_s"), "{:.3f} s"), str(c.get("steps", 0))])
        layout.table(["stance foot", "drop (median)", "spread (IQR)", "contact", "steps"],
                     rows, [2, 2, 2, 2, 1])
        for f in s.flags:
            layout.paragraph(f.message, indent_in=0.15)
        blocks.append((s.file, "drop per step over time, left and right", run_figure(run)))
    layout.figures(blocks, per_row=1)


def session_report_pdf(result: SessionResult, session: Session, out: str | Path, *,
                       previous: Previous | None = None, athlete: str | None = None,
                       paper: str = "a4") -> Path:
    """Write the report of an analysed session to ``out`` as a PDF on ``paper``
    ("a4" or "letter"), with matplotlib alone. Options as
    :func:`hipsense.report.html.session_report`."""
    from hipsense.io.private import write_private_bytes

    metadata = session.metadata
    started = metadata.get("started_at") or "unknown date"
    who = metadata.get("athlete") or athlete
    summary = summarise(result, previous)  # the run's flags and card included
    since = previous.started_at if previous is not None else None
    runs = [s for s in result.sets if s.run is not None]
    all_sets = result.sets
    result = SessionResult([s for s in result.sets if s.run is None], result.comparisons,
                           result.calibration)

    layout = PdfLayout(paper)
    layout.paragraph(f"hipsense session {started[:10]}" + (f", {who}" if who else ""), 14.0,
                     bold=True)
    layout.paragraph(f"{session.folder}; sensor "
                     f"{(metadata.get('sensor') or {}).get('model') or 'unknown'}"
                     + ("; simulated session" if "simulation" in metadata else "")
                     + (f"; compared with {since[:10]}" if since else
                        "; no earlier session in the history to compare with"), 8.5,
                     colour="muted")
    _summary(layout, summary, since)

    layout.new_page()
    layout.heading("Details", keep_with_in=0.2)
    rest = summary.priorities[3:]
    if rest or summary.others:
        layout.heading("Everything else to work on", 3)
        for p in rest:
            layout.paragraph(f"{p.title}: {p.advice}", indent_in=0.15)
        for x in summary.others:
            layout.paragraph(x, colour="muted", indent_in=0.15)
    if not summary.run_only:
        layout.heading("What you did", 3)
        layout.table(["exercise", "done", "prescribed", ""],
                     [[name, done, aim, word]
                      for name, done, aim, _, word in prescription(result)], [3, 3, 3, 1])

    blocks = [(heading, line, set_figure(s, metric))
              for s, metric, heading, line in set_figures(result)]
    if blocks:
        layout.heading("Each set", keep_with_in=2.2)
        layout.paragraph(SET_CAPTION, 8.5, colour="muted")
        layout.figures(blocks)
    _running(layout, runs)
    pairs = left_right_pairs(result)
    if pairs:
        layout.heading("Left and right, rep by rep", keep_with_in=2.2)
        layout.figures([(EXERCISES[ex].name, "left and right", left_right_figure(ex, lt, rt))
                        for ex, lt, rt in pairs])

    layout.heading("Data quality")
    cal = result.calibration
    layout.paragraph("Calibration: usable." if cal.get("ok") else
                     f"Calibration: {cal.get('problem') or 'none recorded'}.")
    layout.table(["set", "samples", "rate Hz", "lost", "notes"],
                 [[s.file, str(s.quality.get("samples", "-")), str(s.quality.get("rate_hz", "-")),
                   str(s.quality.get("lost_samples", "-")),
                   "; ".join(f.message for f in s.flags if f.code == "data_quality") or "-"]
                  for s in all_sets], [1.3, 1, 1, 0.8, 6])
    layout.paragraph(f"Made by hipsense {__version__}.", 8.0, colour="muted")

    out = Path(out)
    buf = io.BytesIO()
    layout.save(buf)
    write_private_bytes(out, buf.getvalue())
    return out
