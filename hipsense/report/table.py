"""The terminal's tables (rich): the analysis of a session, a simulated
session's truth, a session folder's check, the sensors in range, the history.

Every name or path from outside is shown literally (:func:`~hipsense.errors.shown`),
never as markup. The tables take the terminal's width (80 columns when it is
not a terminal) and wrap their cells at spaces: exercises and flags are shown
in words, and only a path longer than its column is folded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from hipsense.analysis.results import SessionResult
from hipsense.core import Session
from hipsense.errors import plural, shown
from hipsense.exercises import EXERCISES, RUN, metric_label

_STYLE = {"info": "cyan", "warning": "yellow", "alert": "bold red"}


def session_table(result: SessionResult, title: str) -> Group:
    """Sets (count or hold, medians, flag codes), then the flags in words, then
    left/right comparisons."""
    sets = Table(title=shown(title))  # a path: shown literally, never as markup
    for col in ("file", "exercise", "side", "reps / hold", "median per rep (deg)", "flags"):
        sets.add_column(col)
    for s in result.sets:
        if s.run is not None:
            did, medians = _run_cells(s.run)
            codes = Text(", ".join(sorted({_words(f.code) for f in s.flags})) or "-")
            sets.add_row(shown(s.file), RUN.name, s.side, did, medians, codes)
            continue
        ex = EXERCISES[s.exercise]
        if ex.kind == "hold":
            did = f"hold {s.holds[0].duration_s:.1f} s" if s.holds else "no hold"
        else:
            did = plural(s.rep_count, "rep")
        medians = ", ".join(f"{metric_label(k)} {v:+.1f}" for k, v in s.medians.items())
        codes = Text(", ".join(sorted({_words(f.code) for f in s.flags})) or "-")
        sets.add_row(shown(s.file), ex.name, s.side, did, medians, codes)
    parts: list = [sets]
    messages = []
    for s in result.sets:
        seen = set()
        for f in s.flags:
            if f.message in seen:
                continue
            seen.add(f.message)
            line = Text(f"[{f.severity}] ", style=_STYLE[f.severity])
            line.append(f"{s.file}: {f.message}")
            if f.reps:
                line.append(f" (reps {', '.join(map(str, f.reps))})")
            messages.append(line)
    if messages:
        parts.append(Text("\nWhat to work on", style="bold"))
        parts.extend(messages)
    if result.comparisons:
        comp = Table(title="Left and right")
        for col in ("exercise", "metric", "left", "right", "difference", ""):
            comp.add_column(col)
        for c in result.comparisons:
            fmt = "{:.0f}" if c.metric == "rep_count" else "{:.1f}"
            comp.add_row(EXERCISES[c.exercise].name, metric_label(c.metric),
                         fmt.format(c.left), fmt.format(c.right),
                         fmt.format(c.difference), "asymmetry" if c.flag else "")
        parts.append(comp)
    return Group(*parts)


def _run_cells(run: dict[str, Any]) -> tuple[str, str]:
    """A run's two cells: steps and cadence; each side's median drop (deg)."""
    bouts = run.get("bouts") or []
    steps = sum(b["steps"] for b in bouts)
    cadence = (sum(b["cadence_spm"] * b["steps"] for b in bouts) / steps) if steps else None
    did = plural(len(run.get('steps') or []), "step") + (f", {cadence:.0f}/min" if cadence else "")
    parts = []
    for side in ("left", "right"):
        summary = run.get(side) or {}
        if summary.get("pelvic_drop_deg") is not None:
            parts.append(f"drop {side[0].upper()} {summary['pelvic_drop_deg']:.1f}")
    if run.get("drop_change_deg") is not None:
        parts.append(f"change {run['drop_change_deg']:+.1f}")
    return did, ", ".join(parts) or "-"


def _words(code: str) -> str:
    """A flag code in words for a table cell ("excessive pelvic drop"), so that
    a narrow column wraps it between words."""
    return code.replace("_", " ")


def print_session(result: SessionResult, title: str) -> None:
    Console().print(session_table(result, title))


def print_simulated(folder: Path, truth: dict[str, Any]) -> None:
    """A simulated session's truth: the sensor's placement, each set's true reps
    or hold and medians, the samples lost."""
    m = truth["mounting"]
    table = Table(title=f"{shown(folder)}  (seed {truth['seed']}, sensor off nominal by "
                        f"pitch {m['pitch_deg']:+.0f}, roll {m['roll_deg']:+.0f}, "
                        f"yaw {m['yaw_deg']:+.0f} deg)")
    for col in ("file", "exercise", "side", "reps / hold", "true median per rep", "lost"):
        table.add_column(col)
    for s in truth["sets"]:
        if s["exercise"] == RUN.id:
            table.add_row(shown(s["file"]), RUN.name, s["side"], plural(len(s['steps']), "step"),
                          f"drop L {s['left']['pelvic_drop_deg']:+.1f} deg, "
                          f"R {s['right']['pelvic_drop_deg']:+.1f} deg",
                          str(s["lost_samples"]))
            continue
        if s["holds"]:
            count = f"hold {s['holds'][0]['duration_s']:.1f} s"
        else:
            count = plural(s['rep_count'], "rep")
        medians = ", ".join(f"{metric_label(k)} {v:+.1f} deg" for k, v in s["medians"].items())
        table.add_row(shown(s["file"]), EXERCISES[s["exercise"]].name, s["side"], count,
                      medians, str(s["lost_samples"]))
    Console().print(table)


def print_check(folder: Path, session: Session) -> None:
    """A valid session folder: the verdict, then every recording (samples,
    duration, rate, gaps)."""
    # the verdict on its own line (a table title wraps a long path)
    verdict = (f"{shown(folder)}: valid hipsense session "
               f"(started {shown(session.metadata.get('started_at') or 'unknown')})")
    table = Table()
    for col in ("file", "exercise", "side", "samples", "duration s", "rate Hz", "gaps"):
        table.add_column(col)
    rows = []
    if session.calibration is not None:
        rows.append((session.calibration_file, "calibration", "", session.calibration))
    else:
        rows.append(("(none)", "calibration", "", None))
    rows += [(info.file, RUN.name if info.exercise == RUN.id else EXERCISES[info.exercise].name,
              info.side, rec)
             for info, rec in session.sets]
    for name, exercise, side, rec in rows:
        if rec is None:
            table.add_row(shown(name), exercise, side, "-", "-", "-", "no calibration recorded")
            continue
        gaps = rec.gaps()
        gap_text = (f"{gaps.count} ({gaps.missing_samples} samples, longest "
                    f"{gaps.longest_s:.2f} s)" if gaps.count else "none")
        table.add_row(shown(name), exercise, side, str(len(rec)), f"{rec.duration_s:.1f}",
                      f"{rec.median_rate_hz():.1f}", gap_text)
    console = Console()
    console.print(verdict, soft_wrap=True)
    console.print(table)


def print_sensors(found: Sequence[tuple[Any, Any]]) -> None:
    """The sensors a scan found: name, family, address, signal, battery."""
    table = Table(title="sensors in range")
    for col in ("name", "family", "address", "signal dBm", "battery %"):
        table.add_column(col)
    for info, _ in found:
        table.add_row(shown(info.name), info.family, shown(info.address), str(info.rssi_dbm),
                      "?" if info.battery_pct is None else str(info.battery_pct))
    Console().print(table)


def print_history(rows: Sequence[Any]) -> None:
    """The stored sessions (rows of ``history.store.sessions_table``)."""
    table = Table(title=f"{plural(len(rows), 'session')} in the history")
    for col in ("id", "started", "athlete", "folder", "sets", "flags", "analysed by"):
        table.add_column(col, overflow="fold" if col == "folder" else "ellipsis")
    for r in rows:
        athlete = r["athlete"] if "athlete" in r.keys() else None
        # to the minute (the folder and the export carry the full time)
        started = (r["started_at"] or "?")[:16].replace("T", " ")
        table.add_row(str(r["id"]), shown(started), shown(athlete or "-"),
                      shown(r["folder"]) +
                      (" (simulated)" if r["simulated"] else ""), str(r["sets"]),
                      str(r["flags"]), f"hipsense {r['hipsense_version']}")
    Console().print(table)
