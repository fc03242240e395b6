"""The readable terminal summary of a session analysis (rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from hipsense.analysis.results import SessionResult
from hipsense.errors import shown
from hipsense.exercises import EXERCISES, metric_label

_STYLE = {"info": "cyan", "warning": "yellow", "alert": "bold red"}


def session_table(result: SessionResult, title: str) -> Group:
    """Sets (count or hold, medians, flag codes), then the flags in words, then
    left/right comparisons."""
    sets = Table(title=shown(title))  # a path: shown literally, never as markup
    for col in ("file", "exercise", "side", "reps / hold", "median per rep (deg)", "flags"):
        sets.add_column(col)
    for s in result.sets:
        ex = EXERCISES[s.exercise]
        if ex.kind == "hold":
            did = f"hold {s.holds[0].duration_s:.1f} s" if s.holds else "no hold"
        else:
            did = f"{s.rep_count} reps"
        medians = ", ".join(f"{metric_label(k)} {v:+.1f}" for k, v in s.medians.items())
        codes = Text(", ".join(sorted({f.code for f in s.flags})) or "-")
        sets.add_row(shown(s.file), s.exercise, s.side, did, medians, codes)
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
            comp.add_row(c.exercise, c.metric, fmt.format(c.left), fmt.format(c.right),
                         fmt.format(c.difference), "asymmetry" if c.flag else "")
        parts.append(comp)
    return Group(*parts)


def print_session(result: SessionResult, title: str) -> None:
    console = Console(width=max(Console().width, 120))
    console.print(session_table(result, title))
