"""The session report: one self-contained HTML file (figures embedded as SVG)
for the runner and the physio, written after a session: the summary first
(alerts, completion, the top three priorities, a card per exercise), the
details after. Laid out for a phone as for a desktop; printed on A4 (or
Letter) with no heading or caption split from what it belongs to."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hipsense.version import __version__
from hipsense.analysis.results import SessionResult, SetResult
from hipsense.core import Session
from hipsense.errors import plural
from hipsense.exercises import (
    EXERCISES, PROGRAMME_ORDER, THRESHOLDS, better_words, metric_label,
)
from hipsense.report.figures import (
    left_right_figure, run_figure, set_figure, to_svg_data_uri,
)
from hipsense.report.summary import Card, Previous, RunCard, Summary, summarise

#: Paper sizes of the printed reports (CSS ``@page`` sizes).
PAPERS = {"a4": "A4", "letter": "letter"}

CSS = """
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 0 auto;
       padding: 1rem; color: #222; line-height: 1.45; font-size: 1rem;
       overflow-wrap: break-word; }
.path { overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.25rem; margin-top: 1.8rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05rem; margin: 0.8rem 0 0.3rem; }
h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
table { border-collapse: collapse; margin: 0.5rem 0; width: 100%; }
td, th { border: 1px solid #ddd; padding: 0.25rem 0.4rem; text-align: left;
         vertical-align: top; }
tr, figure, .card, .keep, li { break-inside: avoid; page-break-inside: avoid; }
.alert { color: #b00020; } .warning { color: #a15c00; } .info { color: #555; }
.ok { color: #1a7f37; } .short { color: #a15c00; }
figure { margin: 0.5rem 0 1rem; }
img { max-width: 100%; height: auto; display: block; }
figcaption { break-before: avoid; }
.muted { color: #666; font-size: 0.9rem; }
.alerts { border: 2px solid #b00020; background: #fdecee; border-radius: 6px;
          padding: 0.5rem 0.8rem; margin: 0.8rem 0; }
.alerts p { margin: 0.2rem 0; }
.status { font-size: 1.05rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr));
         gap: 0.6rem; }
.card { border: 1px solid #ccc; border-left: 6px solid #999; border-radius: 6px;
        padding: 0.4rem 0.7rem; }
.card h3 { margin: 0.1rem 0 0.2rem; }
.card p { margin: 0.15rem 0; }
.card.ok { border-left-color: #1a7f37; color: inherit; }
.card.flagged { border-left-color: #b00020; }
.card.not-measured, .card.not-done, .card.partly-done { border-left-color: #a15c00; }
.values { font-size: 1.1rem; font-weight: 600; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 26rem), 1fr));
           gap: 0 1rem; }
@media (max-width: 40rem) { body { padding: 0.75rem; } }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; line-height: 1.25; }
  h1 { font-size: 14pt; margin: 0 0 0.2rem; } h2 { font-size: 11.5pt; margin: 0.7rem 0 0.3rem; }
  h3 { font-size: 10pt; }
  p { margin: 0.3rem 0; } ol, ul { margin: 0.3rem 0; }
  .muted { font-size: 8.5pt; }
  .cards { grid-template-columns: repeat(3, 1fr); gap: 0.3rem; }
  .card { padding: 0.2rem 0.45rem; }
  .card p { margin: 0.05rem 0; }
  .values { font-size: 10pt; }
  .figures { grid-template-columns: 1fr 1fr; }
  #details { break-before: page; }
}
"""

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def escape(x: Any) -> str:
    """Any value as HTML text (``&``, ``<``, ``>`` and quotes escaped)."""
    return html.escape(str(x))


def page(title: str, body: list[str], paper: str = "a4") -> str:
    """A self-contained page: viewport set for phones, printed on ``paper``
    (:data:`PAPERS`)."""
    size = PAPERS[paper]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"{VIEWPORT}<title>{escape(title)}</title><style>{CSS}"
            f"@page {{ size: {size}; margin: 12mm; }}</style></head><body>\n"
            + "\n".join(body) + f"\n<p class=\"muted\">Made by hipsense {__version__}.</p>"
            "</body></html>\n")


def set_title(s: SetResult) -> str:
    """"Clamshell, left leg" (or the exercise's name alone for a side of both)."""
    name = EXERCISES[s.exercise].name
    return name if s.side == "both" else f"{name}, {s.side} leg"


def prescription(result: SessionResult) -> list[tuple[str, str, str, bool, str]]:
    """The "what you did" table: (exercise and side, done, prescribed, met,
    word: done / short / missing) for every exercise and side of the programme."""
    rows = []
    for ex_id in PROGRAMME_ORDER:
        ex = EXERCISES[ex_id]
        for side in ex.sides:
            sets = [s for s in result.sets if s.exercise == ex_id and s.side == side]
            p = ex.prescription
            if p.reps is not None:
                aim = f"{p.sets[0]}-{p.sets[1]} sets of {p.reps[0]}-{p.reps[1]} reps"
                done = ", ".join(plural(s.rep_count, "rep") for s in sets) or "not done"
                met = bool(sets) and all(s.rep_count >= p.reps[0] for s in sets)
            else:
                aim = f"{p.holds[0]}-{p.holds[1]} holds of {p.hold_s[1]:.0f} s"
                holds = [h.duration_s for s in sets for h in s.holds]
                done = ", ".join(f"{d:.0f} s" for d in holds) or "not done"
                # short as the flags say it (under THRESHOLDS.short_hold_s), so the
                # table and the cards agree
                met = bool(holds) and all(d >= THRESHOLDS.short_hold_s for d in holds)
            word = "done" if met else "short" if sets else "missing"
            side_text = "" if side == "both" else f", {side}"
            rows.append((f"{ex.name}{side_text}", done, aim, met, word))
    return rows


def _prescription_rows(result: SessionResult) -> list[str]:
    return [f"<tr><td>{escape(name)}</td><td>{escape(done)}</td><td>{escape(aim)}</td>"
            f"<td class=\"{'ok' if met else 'short'}\">{word}</td></tr>"
            for name, done, aim, met, word in prescription(result)]


def set_figures(result: SessionResult) -> list[tuple[SetResult, str, str, str]]:
    """The report's set figures in order: (set, metric, heading, the line under
    it: the count and the medians per rep). Each set shows its primary metric,
    then its other metrics that have a better direction."""
    out = []
    for s in result.sets:
        ex = EXERCISES[s.exercise]
        medians = ", ".join(f"{metric_label(k)} {v:.1f} deg" for k, v in s.medians.items()
                            if v is not None)
        count = (plural(s.rep_count, "rep") if ex.kind == "reps" else
                 ", ".join(f"held {h.duration_s:.0f} s" for h in s.holds) or "no hold found")
        figures = [ex.primary_metric] + [sig.name for sig in ex.signals
                                         if sig.name != ex.primary_metric
                                         and sig.better in ("lower", "higher")]
        for metric in figures:
            heading = set_title(s) + ("" if metric == ex.primary_metric else
                                      f": {metric_label(metric)}")
            out.append((s, metric, heading, f"{count}; median per rep: {medians or '-'}"))
    return out


def left_right_pairs(result: SessionResult) -> list[tuple[str, SetResult, SetResult]]:
    """(exercise, first left set, first right set) of each exercise done on both
    sides with reps, in programme order: the left-and-right figures."""
    pairs = []
    for ex_id in PROGRAMME_ORDER:
        left = [s for s in result.sets if s.exercise == ex_id and s.side == "left" and s.reps]
        right = [s for s in result.sets if s.exercise == ex_id and s.side == "right" and s.reps]
        if left and right:
            pairs.append((ex_id, left[0], right[0]))
    return pairs


def change_text(card: Card, since: str | None) -> str:
    if not card.changes:
        return ""
    fmt = "{:.0f}" if card.unit == "s" else "{:.1f}"
    parts = []
    for c in card.changes:
        who = "" if c.side == "both" else f"{c.side[0].upper()} "
        parts.append(f"{who}{fmt.format(c.before)} → {fmt.format(c.now)} {card.unit} "
                     f"({c.word})")
    when = f" ({since[:10]})" if since else ""
    return f"Since last session{when}: " + "; ".join(parts)


def card_html(card: Card, since: str | None = None) -> str:
    """One exercise's card: left and right against the limit, the verdict, which
    way is better, the asymmetry and the change since the last session."""
    cls = card.verdict.replace(" ", "-")
    verdict_cls = {"ok": "ok", "flagged": "alert"}.get(card.verdict, "warning")
    better = better_words(card.better) if card.unit == "deg" else "longer is better"
    lines = [f"<article class=\"card {cls}\" data-exercise=\"{card.exercise}\">",
             f"<h3>{escape(card.name)}</h3>",
             f"<p class=\"values\">{escape(card.values_text)}</p>",
             f"<p class=\"{verdict_cls}\">{escape(card.verdict_text.capitalize())}</p>",
             f"<p class=\"muted\">{escape(card.label)}: {escape(better)}"
             + (f"; {escape(card.asymmetry)}" if card.asymmetry else "") + "</p>"]
    lines += [f"<p class=\"muted\">{escape(x)}</p>" for x in card.extra]
    change = change_text(card, since)
    if change:
        lines.append(f"<p class=\"change\">{escape(change)}</p>")
    counts = " / ".join(sv.count if sv.side == "both" else f"{sv.side[0].upper()} {sv.count}"
                        for sv in card.sides)
    lines.append(f"<p class=\"muted\">{escape(counts)}</p></article>")
    return "".join(lines)


def summary_html(summary: Summary, since: str | None = None) -> list[str]:
    """The summary a report opens with: alerts when the data limits what can be
    said, completion and the overall word, the top three priorities, the cards."""
    body = []
    if summary.alerts:
        body.append("<div class=\"alerts\" role=\"alert\"><p><b>Read this first: the data "
                    "limits what this report can say.</b></p>")
        body += [f"<p class=\"alert\">{escape(a.text)}</p>" for a in summary.alerts]
        body.append("</div>")
    status = summary.status
    if summary.keep_it_up:
        body.append(f"<p class=\"status ok\"><b>{status}.</b> Nothing flagged: the pelvis "
                    f"stayed within every threshold {everywhere(summary)}. Keep it up.</p>")
    elif not summary.priorities and summary.alerts:
        body.append(f"<p class=\"status\"><b>{status}.</b> Nothing flagged in the sets that "
                    "were measured; with the alerts above, that is not the whole picture.</p>")
    elif not summary.priorities:
        n = len(summary.others)
        body.append(f"<p class=\"status\"><b>{status}.</b> Nothing past a limit; {n} "
                    f"note{'s' if n != 1 else ''} in the details (a difference between the "
                    "sides where neither way is better, or reps that varied).</p>")
    else:
        n = len(summary.priorities)
        body.append(f"<p class=\"status\"><b>{status}.</b> {n} thing{'s' if n != 1 else ''} "
                    "to work on" + (", the top three first." if n > 3 else ".") + "</p>")
        body.append("<h2>Top priorities</h2><ol class=\"priorities\">")
        for p in summary.top:
            notes = "".join(f"<br><span class=\"muted\">{escape(x)}</span>" for x in p.notes)
            body.append(f"<li><b>{escape(p.title)}</b> ({p.excess * 100:.0f} % past the "
                        f"threshold)<br>{escape(p.advice)}{notes}</li>")
        body.append("</ol>")
    if summary.run_only:
        body.append("<h2>Running check</h2><div class=\"cards\">")
    else:
        body.append("<h2>Each exercise</h2><div class=\"cards\">")
        body += [card_html(c, since) for c in summary.cards]
    body += [run_card_html(c) for c in summary.runs]
    body.append("</div>")
    return body


def everywhere(summary: Summary) -> str:
    """Where "within every threshold" held: "on every set", "on the run",
    "on every set and the run"."""
    run = "the run" if len(summary.runs) < 2 else "every run"
    if summary.run_only:
        return f"on {run}"
    return f"on every set and {run}" if summary.runs else "on every set"


def run_card_html(card: RunCard) -> str:
    """A running check's card: each stance foot's median drop against the limit,
    the verdict, cadence and contact times."""
    cls = card.verdict.replace(" ", "-")
    verdict_cls = {"ok": "ok", "flagged": "alert"}.get(card.verdict, "warning")
    lines = [f"<article class=\"card {cls}\" data-exercise=\"run\">",
             f"<h3>{escape(card.name)}</h3>",
             f"<p class=\"values\">{escape(card.values_text)}</p>",
             f"<p class=\"{verdict_cls}\">{escape(card.verdict_text.capitalize())}</p>",
             "<p class=\"muted\">drop (median per stance foot, steady running): lower is "
             "better" + (f"; {escape(card.asymmetry)}" if card.asymmetry else "") + "</p>",
             f"<p class=\"muted\">{escape(card.detail_text)}</p></article>"]
    return "".join(lines)


def figure_section(heading: str, blocks: list[str], per_row: int = 2) -> list[str]:
    """A heading and its figure blocks in a grid, the heading kept on one page
    with the first row (a heading never ends a page on its own)."""
    first, rest = blocks[:per_row], blocks[per_row:]
    out = [f"<div class=\"keep\">{heading}<div class=\"figures\">{''.join(first)}</div></div>"]
    if rest:
        out.append(f"<div class=\"figures\">{''.join(rest)}</div>")
    return out


#: What the set figures show, said once above them.
SET_CAPTION = ("Each figure: an angle of the set over time. Shaded blue: the reps (or the "
               "hold); orange band: the flag zone, from the limit (labelled on the right) to "
               "the edge of the plot; red triangles: reps past the limit.")


def session_report(result: SessionResult, session: Session, *,
                   previous: Previous | None = None, athlete: str | None = None,
                   paper: str = "a4") -> str:
    """The report of one analysed session (read from ``session.folder``) as an
    HTML page: the summary first (:mod:`hipsense.report.summary`), the details
    after. ``previous`` is the athlete's last session before it (for the
    change), ``athlete`` a name to show when session.json has none."""
    folder, metadata = session.folder, session.metadata
    runs = [s for s in result.sets if s.run is not None]
    all_sets = result.sets
    summary = summarise(result, previous)  # the run's flags and card included
    result = SessionResult([s for s in result.sets if s.run is None], result.comparisons,
                           result.calibration)
    started = metadata.get("started_at") or "unknown date"
    who = metadata.get("athlete") or athlete
    title = f"hipsense session {started[:10]}" + (f", {who}" if who else "")
    since = previous.started_at if previous is not None else None
    body = [f"<h1>{escape(title)}</h1>",
            f"<p class=\"muted path\">{escape(folder)}; sensor "
            f"{escape((metadata.get('sensor') or {}).get('model') or 'unknown')}"
            + ("; simulated session" if "simulation" in metadata else "")
            + (f"; compared with {escape(since[:10])}" if since else
               "; no earlier session in the history to compare with") + "</p>",
            "<section id=\"summary\">", *summary_html(summary, since), "</section>",
            "<section id=\"details\"><h2>Details</h2>"]

    rest = summary.priorities[3:]
    if rest or summary.others:
        body.append("<h3>Everything else to work on</h3><ul>")
        body += [f"<li><b>{escape(p.title)}</b>: {escape(p.advice)}</li>" for p in rest]
        body += [f"<li class=\"info\">{escape(x)}</li>" for x in summary.others]
        body.append("</ul>")

    if not summary.run_only:  # a session of only a run has no programme to show
        body += ["<h3>What you did</h3>", "<table><thead><tr><th>exercise</th><th>done</th>"
                 "<th>prescribed</th><th></th></tr></thead><tbody>",
                 *_prescription_rows(result), "</tbody></table>"]

    blocks = [f"<div class=\"keep\"><h3>{escape(heading)}</h3><p>{escape(line)}</p>"
              f"<figure><img alt=\"{escape(set_title(s))}: "
              f"{escape(metric_label(metric))} over time\" "
              f"src=\"{to_svg_data_uri(set_figure(s, metric))}\"></figure></div>"
              for s, metric, heading, line in set_figures(result)]
    if blocks:
        body += figure_section(f"<h2>Each set</h2><p class=\"muted\">"
                               f"{escape(SET_CAPTION)}</p>", blocks)
    body += running_section(runs)

    pairs = left_right_pairs(result)
    if pairs:
        blocks = [f"<div class=\"keep\"><h3>{escape(EXERCISES[ex_id].name)}</h3>"
                  f"<figure><img alt=\"{escape(EXERCISES[ex_id].name)}: left and "
                  f"right\" src=\"{to_svg_data_uri(left_right_figure(ex_id, left, right))}"
                  "\"></figure></div>" for ex_id, left, right in pairs]
        body += figure_section("<h2>Left and right, rep by rep</h2>", blocks)

    body.append("<h2>Data quality</h2>")
    cal = result.calibration
    body.append("<p>" + ("Calibration: usable." if cal.get("ok") else
                         f"Calibration: {escape(cal.get('problem') or 'none recorded')}.") + "</p>")
    body.append("<table><thead><tr><th>set</th><th>samples</th><th>rate Hz</th><th>lost</th>"
                "<th>notes</th></tr></thead><tbody>")
    for s in all_sets:
        q = s.quality
        notes = "; ".join(f.message for f in s.flags if f.code == "data_quality") or "-"
        body.append(f"<tr><td>{escape(s.file)}</td><td>{q.get('samples', '-')}</td>"
                    f"<td>{q.get('rate_hz', '-')}</td><td>{q.get('lost_samples', '-')}</td>"
                    f"<td>{escape(notes)}</td></tr>")
    body.append("</tbody></table></section>")
    return page(title, body, paper)


def or_dash(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def running_section(runs: list[SetResult]) -> list[str]:
    """The running check (running.md): per run, a card per side (median drop,
    its spread, contact time, steps), the asymmetry and the change over the
    run, the flags in words, and the drop of every step over time."""
    if not runs:
        return []
    out = ["<h2>Running check</h2>"]
    for s in runs:
        run = s.run or {}
        bouts = run.get("bouts") or []
        steady = sum(b["steps"] for b in bouts)
        cadence = (sum(b["cadence_spm"] * b["steps"] for b in bouts) / steady) if steady else None
        out.append(f"<p>{escape(s.file)}: {plural(len(run.get('steps') or []), 'step')}, "
                   f"{steady} in {plural(len(bouts), 'steady bout')}"
                   + (f", cadence {cadence:.0f} steps/min" if cadence else "") + ".</p>")
        out.append("<table><thead><tr><th>stance foot</th><th>drop (median)</th>"
                   "<th>spread (IQR)</th><th>contact</th><th>steps</th></tr></thead><tbody>")
        for side in ("left", "right"):
            c = run.get(side) or {}
            cells = [or_dash(c.get("pelvic_drop_deg"), "{:.1f} deg"),
                     or_dash(c.get("pelvic_drop_iqr_deg"), "{:.1f} deg"),
                     or_dash(c.get("contact_s"), "{:.3f} s"), str(c.get("steps", 0))]
            out.append(f"<tr><td>{side}</td>" + "".join(f"<td>{x}</td>" for x in cells)
                       + "</tr>")
        out.append("</tbody></table>")
        extra = []
        if run.get("drop_asymmetry_deg") is not None:
            extra.append(f"left against right: {run['drop_asymmetry_deg']:.1f} deg apart")
        if run.get("drop_change_deg") is not None:
            extra.append(f"from the first to the last minute: {run['drop_change_deg']:+.1f} deg")
        if extra:
            out.append(f"<p>{escape('; '.join(extra))}.</p>")
        msgs = list(s.flags)
        if msgs:
            out.append("<ul>" + "".join(f"<li>{escape(f.message)}</li>" for f in msgs) + "</ul>")
        out.append(f"<figure><img alt=\"{escape(s.file)}: drop per step over time, left and "
                   f"right\" src=\"{to_svg_data_uri(run_figure(run))}\"></figure>")
    return out


def write_session_report(result: SessionResult, session: Session, out: str | Path,
                         **options: Any) -> Path:
    """Write the report of an analysed session (:func:`session_report`, with its
    keyword ``options``) to ``out``."""
    from hipsense.io.session import write_text

    out = Path(out)
    write_text(session_report(result, session, **options), out)
    return out


#: Chromium switches that keep the PDF renderer offline and quiet: no background
#: networking (component and safe-browsing updates, variations, metrics, sync,
#: translate, optimisation hints, media router, domain reliability, pings, DNS
#: prefetch), no proxy auto-detection, on-demand component updates (which
#: --disable-component-update does not stop) sent to a file: URL, and every host
#: name but localhost resolving to nothing, so what chromium still tries (its
#: sign-in service lists accounts at start-up whatever the switches) fails
#: before any DNS query or connection. The report is one self-contained file
#: (figures are data: URIs) read from a file: URL: it needs no network either.
OFFLINE_SWITCHES: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-component-update",
    "--component-updater=url-source=file:///dev/null/",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,OptimizationHintsFetching,"
    "OptimizationGuideModelDownloading,OptimizationTargetPrediction,MediaRouter,"
    "DialMediaRouteProvider,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,"
    "NetworkTimeServiceQuerying,SafeBrowsingProtection",
    "--disable-field-trial-config",
    "--disable-client-side-phishing-detection",
    "--safebrowsing-disable-auto-update",
    "--metrics-recording-only",
    "--disable-breakpad",
    "--no-pings",
    "--disable-domain-reliability",
    "--dns-prefetch-disable",
    "--no-proxy-server",
    "--password-store=basic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
)


def find_chromium() -> str | None:
    """The chromium (or Chrome) executable on PATH, or None."""
    import shutil

    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def pdf_command(exe: str, html_file: Path, pdf: Path, profile: Path,
                extra_args: Sequence[str] = ()) -> list[str]:
    """The chromium command line that prints ``html_file`` to ``pdf``: headless,
    offline (:data:`OFFLINE_SWITCHES`), a throw-away profile in ``profile``, and
    its sandbox on unless running as root (where chromium refuses it; Windows
    has no root: the sandbox stays on)."""
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    sandbox = ["--no-sandbox"] if root else []
    return [exe, "--headless", "--disable-gpu", *sandbox, *OFFLINE_SWITCHES,
            f"--user-data-dir={profile}", *extra_args, "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}", Path(html_file).resolve().as_uri()]


def write_pdf(html_file: str | Path, pdf: str | Path, *, extra_args: Sequence[str] = ()
              ) -> Path:
    """Print an HTML report to PDF with headless chromium, offline.

    Chromium prints into a private temporary folder (0700, with its throw-away
    profile); the PDF is then written 0600 where asked. ``extra_args`` are more
    chromium switches (e.g. ``--log-net-log=FILE`` to audit what it does).
    """
    import shutil
    import subprocess
    import tempfile

    from hipsense.errors import HipsenseError
    from hipsense.io.private import write_private_bytes

    exe = find_chromium()
    if exe is None:
        raise HipsenseError("--pdf needs chromium (apt install chromium) for --pdf-engine "
                            "chromium; --pdf-engine matplotlib needs no browser; the HTML "
                            f"report is at {html_file}")
    pdf = Path(pdf).resolve()
    work = Path(tempfile.mkdtemp(prefix="hipsense-pdf-"))  # 0700
    try:
        printed = work / "report.pdf"
        try:
            done = subprocess.run(pdf_command(exe, Path(html_file), printed, work / "profile",
                                              extra_args),
                                  capture_output=True, text=True, timeout=120,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise HipsenseError(f"{pdf}: chromium did not print the report within "
                                "120 s") from None
        if done.returncode != 0 or not printed.is_file() or printed.stat().st_size == 0:
            raise HipsenseError(f"{pdf}: chromium could not print the report (exit "
                                f"{done.returncode})")
        write_private_bytes(pdf, printed.read_bytes())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return pdf
