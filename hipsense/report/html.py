"""The session report: one self-contained HTML file (figures embedded as PNG)
for the runner and the physio, written after a session."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hipsense.version import __version__
from hipsense.analysis.results import SessionResult, SetResult
from hipsense.core import Session
from hipsense.exercises import EXERCISES, PROGRAMME_ORDER, metric_label
from hipsense.report.figures import left_right_figure, set_figure, to_png_base64

CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; }
td, th { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
.alert { color: #b00020; } .warning { color: #a15c00; } .info { color: #555; }
.ok { color: #1a7f37; } .short { color: #a15c00; }
figure { margin: 0.5rem 0 1.5rem; } img { max-width: 100%; }
.muted { color: #666; font-size: 0.9rem; }
"""


def escape(x: Any) -> str:
    """Any value as HTML text (``&``, ``<``, ``>`` and quotes escaped)."""
    return html.escape(str(x))


def page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + f"\n<p class=\"muted\">Made by hipsense {__version__}.</p>"
            "</body></html>\n")


def _set_title(s: SetResult) -> str:
    name = EXERCISES[s.exercise].name
    return name if s.side == "both" else f"{name}, {s.side} leg"


def _prescription_rows(result: SessionResult) -> list[str]:
    rows = []
    for ex_id in PROGRAMME_ORDER:
        ex = EXERCISES[ex_id]
        for side in ex.sides:
            sets = [s for s in result.sets if s.exercise == ex_id and s.side == side]
            p = ex.prescription
            if p.reps is not None:
                aim = f"{p.sets[0]}-{p.sets[1]} sets of {p.reps[0]}-{p.reps[1]} reps"
                done = ", ".join(f"{s.rep_count} reps" for s in sets) or "not done"
                met = bool(sets) and all(s.rep_count >= p.reps[0] for s in sets)
            else:
                aim = f"{p.holds[0]}-{p.holds[1]} holds of {p.hold_s[1]:.0f} s"
                holds = [h.duration_s for s in sets for h in s.holds]
                done = ", ".join(f"{d:.0f} s" for d in holds) or "not done"
                met = bool(holds) and all(d >= 0.9 * p.hold_s[0] for d in holds)
            cls, word = ("ok", "done") if met else ("short", "short" if sets else "missing")
            side_text = "" if side == "both" else side
            rows.append(f"<tr><td>{escape(ex.name)}</td><td>{side_text}</td><td>{escape(aim)}</td>"
                        f"<td>{escape(done)}</td><td class=\"{cls}\">{word}</td></tr>")
    return rows


def session_report(result: SessionResult, session: Session) -> str:
    """The report of one analysed session (read from ``session.folder``) as an HTML page."""
    folder, metadata = session.folder, session.metadata
    started = metadata.get("started_at") or "unknown date"
    who = metadata.get("athlete")
    title = f"hipsense session {started[:10]}" + (f", {who}" if who else "")
    body = [f"<h1>{escape(title)}</h1>",
            f"<p class=\"muted\">{escape(folder)}; sensor "
            f"{escape((metadata.get('sensor') or {}).get('model') or 'unknown')}"
            + ("; simulated session" if "simulation" in metadata else "") + "</p>"]

    body += ["<h2>What you did</h2>", "<table><tr><th>exercise</th><th>side</th>"
             "<th>prescribed</th><th>done</th><th></th></tr>", *_prescription_rows(result),
             "</table>"]

    flags = [(s, f) for s in result.sets for f in s.flags if f.code != "data_quality"]
    asym = [c for c in result.comparisons if c.flag]
    body.append("<h2>What to work on</h2>")
    if not flags and not asym:
        body.append("<p class=\"ok\">Nothing flagged: the pelvis stayed within every "
                    "threshold. Keep it up.</p>")
    else:
        body.append("<ul>")
        for s, f in flags:
            body.append(f"<li class=\"{f.severity}\"><b>{escape(_set_title(s))}</b>: "
                        f"{escape(f.message)}</li>")
        for c in asym:
            body.append(f"<li class=\"warning\"><b>{escape(EXERCISES[c.exercise].name)}</b>: "
                        f"left {c.left:.1f} against right {c.right:.1f} "
                        f"({escape(metric_label(c.metric))}), a difference of "
                        f"{c.difference:.1f}.</li>")
        body.append("</ul>")

    body.append("<h2>Each set</h2>")
    for s in result.sets:
        medians = ", ".join(f"{metric_label(k)} {v:+.1f} deg" for k, v in s.medians.items()
                            if v is not None)
        count = (f"{s.rep_count} reps" if EXERCISES[s.exercise].kind == "reps" else
                 ", ".join(f"held {h.duration_s:.0f} s" for h in s.holds) or "no hold found")
        body.append(f"<h3>{escape(_set_title(s))}</h3><p>{escape(count)}; median per rep: "
                    f"{escape(medians or '-')}</p>")
        body.append(f"<figure><img alt=\"{escape(_set_title(s))}: "
                    f"{escape(metric_label(EXERCISES[s.exercise].primary_metric))} over time\" "
                    f"src=\"{to_png_base64(set_figure(s))}\"><figcaption class=\"muted\">"
                    "Shaded: the reps (or the hold); red triangles: reps past the threshold; "
                    "orange band: the flag zone.</figcaption></figure>")

    pairs = []
    for ex_id in PROGRAMME_ORDER:
        left = [s for s in result.sets if s.exercise == ex_id and s.side == "left" and s.reps]
        right = [s for s in result.sets if s.exercise == ex_id and s.side == "right" and s.reps]
        if left and right:
            pairs.append((ex_id, left[0], right[0]))
    if pairs:
        body.append("<h2>Left and right, rep by rep</h2>")
        for ex_id, left, right in pairs:
            body.append(f"<figure><img alt=\"{escape(EXERCISES[ex_id].name)}: left and right\" "
                        f"src=\"{to_png_base64(left_right_figure(ex_id, left, right))}\">"
                        "</figure>")

    body.append("<h2>Data quality</h2>")
    cal = result.calibration
    body.append("<p>" + ("Calibration: usable." if cal.get("ok") else
                         f"Calibration: {escape(cal.get('problem') or 'none recorded')}.") + "</p>")
    body.append("<table><tr><th>set</th><th>samples</th><th>rate Hz</th><th>lost samples</th>"
                "<th>notes</th></tr>")
    for s in result.sets:
        q = s.quality
        notes = "; ".join(f.message for f in s.flags if f.code == "data_quality") or "-"
        body.append(f"<tr><td>{escape(s.file)}</td><td>{q.get('samples', '-')}</td>"
                    f"<td>{q.get('rate_hz', '-')}</td><td>{q.get('lost_samples', '-')}</td>"
                    f"<td>{escape(notes)}</td></tr>")
    body.append("</table>")
    return page(title, body)


def write_session_report(result: SessionResult, session: Session, out: str | Path) -> Path:
    """Write the report of an analysed session (:func:`session_report`) to ``out``."""
    from hipsense.io.session import write_text

    out = Path(out)
    write_text(session_report(result, session), out)
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
    its sandbox on unless running as root (where chromium refuses it)."""
    sandbox = [] if os.geteuid() != 0 else ["--no-sandbox"]
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
        raise HipsenseError("--pdf needs chromium (apt install chromium); the HTML report is "
                            f"at {html_file}")
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
