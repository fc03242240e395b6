"""A physio's view of the history: every athlete on one page (``hipsense
roster``), each with the last session, adherence over the last four weeks,
the flags still open in their last session and the trend of their main
metric, linking to that athlete's trends page (written beside the roster).

:func:`roster_rows` is the pure part (what is listed and judged);
:func:`roster_page` renders it; :func:`write_roster` writes the roster and
the trends pages.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hipsense.exercises import CADENCE, EXERCISES, THRESHOLDS, metric_label
from hipsense.history.store import athlete_sessions, athletes
from hipsense.report.html import escape, page
from hipsense.report.summary import STEADY_DEG, better_direction
from hipsense.report.trends import trend_table, trends_report

#: The days over which adherence is counted (four programme weeks).
ADHERENCE_DAYS = 28
#: The main metric, in order of preference: the single-leg squat's drop (the
#: strongest kinematic marker of injury risk in runners, measurements.md),
#: else the first exercise with a flag threshold that has data.
MAIN_EXERCISES: tuple[str, ...] = ("single_leg_squat", "knee_drive", "clamshell",
                                   "prone_hip_extension", "hip_bridge")
#: What the sessions of no named athlete are listed as.
UNNAMED = "(no athlete named)"


@dataclass(frozen=True)
class RosterRow:
    athlete: str  # "" for the sessions that name no athlete
    sessions: int
    last_session: dt.date | None
    recent_sessions: int  # in the last ADHERENCE_DAYS days
    recent_aim: int  # the programme's minimum over those days (since the first session)
    open_flags: tuple[str, ...]  # what was flagged in the last session, in words
    main: str | None  # "right single-leg squat drop"
    main_values: tuple[float, ...]  # per session, oldest first (deg)
    threshold: float | None
    trend: str  # "better", "worse", "steady", or "" with fewer than two sessions

    @property
    def on_track(self) -> bool:
        return self.recent_sessions >= self.recent_aim


def _date(text: str | None) -> dt.date | None:
    return dt.datetime.fromisoformat(text).date() if text else None


def recent_aim(first: dt.date, today: dt.date, days: int = ADHERENCE_DAYS) -> int:
    """The programme's minimum number of sessions in the ``days`` up to ``today``
    for an athlete who started on ``first`` (once a week the first two weeks,
    then two), counting whole weeks of the programme inside the window."""
    start = max(first, today - dt.timedelta(days=days - 1))
    total = 0
    day = start
    while day <= today:
        week = (day - first).days // 7
        low = CADENCE.start_per_week if week < CADENCE.start_weeks else CADENCE.build_per_week[0]
        total += low / 7.0
        day += dt.timedelta(days=1)
    return int(round(total))


def _flag_words(code: str, exercise: str | None, side: str | None) -> str | None:
    if exercise is None or exercise not in EXERCISES:
        return None
    ex = EXERCISES[exercise]
    who = ex.name.lower() if side in (None, "both") else f"{side} {ex.name[0].lower()}{ex.name[1:]}"
    rule = next((r for r in ex.flag_rules if r.code == code), None)
    if rule is not None:
        return f"{who} {metric_label(rule.metric)}"
    if code == "short_hold" and ex.kind == "hold":
        return f"{who} hold"
    return None


def open_flags(flags_json: str | None, comparisons_json: str | None) -> tuple[str, ...]:
    """A session's threshold flags and short stretch holds in words, and its
    asymmetries where one side is worse and no side of that exercise is
    already flagged (as the session report's priorities count them)."""
    out = []
    flagged = set()
    for code, severity, exercise, side in json.loads(flags_json or "[]"):
        if code is None or severity == "info":
            continue
        words = _flag_words(code, exercise, side)
        if words is not None and words not in out:
            out.append(words)
            flagged.add(exercise)
    for exercise, metric, _flag in json.loads(comparisons_json or "[]"):
        if exercise not in EXERCISES or exercise in flagged or metric == "rep_count":
            continue
        if metric != "duration_s" and EXERCISES[exercise].signal(metric).better == "neither":
            continue
        label = "hold" if metric == "duration_s" else metric_label(metric)
        out.append(f"{EXERCISES[exercise].name.lower()} {label} asymmetry")
    return tuple(out)


def main_metric(table: pd.DataFrame) -> tuple[str, str, list[float]] | None:
    """(exercise, side, medians oldest first) of the athlete's main metric: the
    first of :data:`MAIN_EXERCISES` with data, on the side that is worse in the
    last session."""
    for ex_id in MAIN_EXERCISES:
        t = table[table.exercise == ex_id]
        if t.empty:
            continue
        last = t[t.date == t.date.max()]
        side = last.sort_values("median", ascending=False).side.iloc[0]
        values = t[t.side == side].sort_values("date")["median"].tolist()
        return ex_id, side, values
    return None


def roster_rows(conn: sqlite3.Connection, today: dt.date) -> list[RosterRow]:
    """One row per athlete in the history (named ones by name, then the sessions
    that name nobody)."""
    rows = []
    for name in athletes(conn):
        key = name if name is not None else ""
        sessions = athlete_sessions(conn, key)
        dates = [d for d in (_date(s["started_at"]) for s in sessions) if d is not None]
        last = sessions[-1] if sessions else None
        first = min(dates) if dates else None
        since = today - dt.timedelta(days=ADHERENCE_DAYS - 1)
        recent = sum(since <= d <= today for d in dates)
        aim = recent_aim(first, today) if first is not None and first <= today else 0
        main = main_metric(trend_table(conn, athlete=key))
        label, values, threshold, trend = None, (), None, ""
        if main is not None:
            ex_id, side, vals = main
            ex = EXERCISES[ex_id]
            who = ex.name.lower() if side == "both" else f"{side} {ex.name[0].lower()}{ex.name[1:]}"
            label = f"{who} {metric_label(ex.primary_metric)}"
            values = tuple(vals)
            threshold = ex.primary_rule.threshold_deg if ex.primary_rule else None
            if len(vals) >= 2:
                trend = better_direction(ex.primary_signal.better, vals[0], vals[-1], STEADY_DEG)
        rows.append(RosterRow(key, len(sessions), max(dates) if dates else None, recent, aim,
                              open_flags(last["flags_json"], last["comparisons_json"])
                              if last is not None else (),
                              label, values, threshold, trend))
    return rows


def sparkline(values: tuple[float, ...], threshold: float | None, width: int = 160,
              height: int = 40) -> str:
    """A small SVG (as a data URI) of ``values`` with the threshold dashed."""
    import base64

    lo = min([*values, threshold if threshold is not None else values[0], 0.0])
    hi = max([*values, threshold if threshold is not None else values[0]]) * 1.1 or 1.0
    n = max(len(values) - 1, 1)

    def y(v: float) -> float:
        return height - 3 - (v - lo) / (hi - lo) * (height - 6)

    points = " ".join(f"{3 + i * (width - 6) / n:.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">']
    if threshold is not None:
        parts.append(f'<line x1="0" x2="{width}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
                     'stroke="#d62728" stroke-dasharray="3 2" stroke-width="1"/>')
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for i, v in enumerate(values):
        parts.append(f'<circle cx="{3 + i * (width - 6) / n:.1f}" cy="{y(v):.1f}" r="2" '
                     'fill="#1f77b4"/>')
    parts.append("</svg>")
    svg = "".join(parts).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def trends_file_names(names: list[str]) -> dict[str, str]:
    """A file name per athlete (``trends-<name>.html``, letters, digits and
    hyphens; numbered when two names would give the same one)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40] or "unnamed"
        candidate, k = slug, 2
        while candidate in used:
            candidate, k = f"{slug}-{k}", k + 1
        used.add(candidate)
        out[name] = f"trends-{candidate}.html"
    return out


def roster_page(rows: list[RosterRow], links: dict[str, str], today: dt.date) -> str:
    """The roster as an HTML page."""
    body = [f"<h1>hipsense roster: {len(rows)} athlete{'s' if len(rows) != 1 else ''}</h1>",
            f"<p class=\"muted\">As of {today.isoformat()}. Adherence: sessions in the last "
            f"{ADHERENCE_DAYS // 7} weeks against the programme's minimum (once a week for "
            "two weeks, then twice). Open flags: what the last session flagged. Main metric: "
            "the single-leg squat's pelvic drop on the worse side (else the next exercise "
            f"with a limit); asymmetry flags pass {THRESHOLDS.asymmetry_deg:g} deg.</p>"]
    if not rows:
        body.append("<p>No sessions in the history yet: record or import sessions first.</p>")
        return page("hipsense roster", body)
    body.append("<div class=\"cards\">")
    for r in rows:
        name = r.athlete or UNNAMED
        adherence_cls = "ok" if r.on_track else "short"
        flags = (f"<p class=\"alert\">{len(r.open_flags)} open: "
                 f"{escape(', '.join(r.open_flags))}</p>" if r.open_flags else
                 "<p class=\"ok\">No open flags</p>")
        main = ""
        if r.main is not None:
            change = (f"{r.main_values[0]:.1f} → {r.main_values[-1]:.1f} deg"
                      if len(r.main_values) > 1 else f"{r.main_values[-1]:.1f} deg")
            word = f" ({r.trend})" if r.trend else ""
            cls = {"better": "ok", "worse": "alert"}.get(r.trend, "info")
            main = (f"<p>Main metric, {escape(r.main)}: <span class=\"{cls}\">"
                    f"{escape(change)}{escape(word)}</span>"
                    + (f", limit {r.threshold:g}" if r.threshold is not None else "")
                    + f"</p><img class=\"spark\" alt=\"{escape(r.main)} per session\" "
                    f"src=\"{sparkline(r.main_values, r.threshold)}\">")
        last = r.last_session.isoformat() if r.last_session else "unknown"
        body.append(
            f"<article class=\"card\" data-athlete=\"{escape(r.athlete)}\">"
            f"<h3><a href=\"{escape(links[r.athlete])}\">{escape(name)}</a></h3>"
            f"<p>Last session {escape(last)} ({r.sessions} in all)</p>"
            f"<p class=\"{adherence_cls}\">{r.recent_sessions} session"
            f"{'s' if r.recent_sessions != 1 else ''} in the last 4 weeks (aim at least "
            f"{r.recent_aim})</p>{flags}{main}"
            f"<p><a href=\"{escape(links[r.athlete])}\">Trends report</a></p></article>")
    body.append("</div>")
    return page("hipsense roster", body)


def write_roster(conn: sqlite3.Connection, out: Path, today: dt.date | None = None
                 ) -> dict[str, Path]:
    """Write the roster to ``out`` and each athlete's trends page beside it;
    returns the trends page per athlete ("" for the sessions naming nobody)."""
    from hipsense.io.session import write_text

    today = today or dt.date.today()
    rows = roster_rows(conn, today)
    links = trends_file_names([r.athlete for r in rows])
    written = {}
    for r in rows:
        path = Path(out).parent / links[r.athlete]
        write_text(trends_report(conn, athlete=r.athlete), path)
        written[r.athlete] = path
    write_text(roster_page(rows, links, today), Path(out))
    return written
