"""Trends over the weeks from the history database: per exercise, left and
right medians with their spread, the asymmetry, the thresholds, adherence to
the programme, and a sentence per exercise saying what changed."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
from matplotlib.figure import Figure

from hipsense.exercises import CADENCE, EXERCISES, PROGRAMME_ORDER, metric_label
from hipsense.history.store import database_faults
from hipsense.report.figures import FLAG_COLOUR, LEFT_COLOUR, RIGHT_COLOUR, to_png_base64
from hipsense.report.html import escape, page

SIDE_COLOURS = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR, "both": "#555555"}


def trend_table(conn: sqlite3.Connection, exercises: list[str] | None = None) -> pd.DataFrame:
    """Per session, exercise and side: the primary metric's median over all reps
    (or holds) of the session, its quartiles and the number of reps (deg)."""
    with database_faults(conn):
        rows = pd.read_sql_query(
            "SELECT s.id AS session_id, s.started_at, st.exercise, st.side, m.metric, "
            "m.value_deg FROM sessions s JOIN sets st ON st.session_id = s.id "
            "JOIN reps r ON r.set_id = st.id JOIN rep_metrics m ON m.rep_id = r.id", conn)
    primary = {e: EXERCISES[e].primary_metric for e in EXERCISES}
    rows = rows[rows.metric == rows.exercise.map(primary)].dropna(subset=["value_deg"])
    if exercises:
        rows = rows[rows.exercise.isin(exercises)]
    for e, ex in EXERCISES.items():
        if ex.primary_signal.better == "nearer_zero":
            # signed (the bridge's obliquity: left side higher): its size is what matters
            signed = rows.exercise == e
            rows.loc[signed, "value_deg"] = rows.loc[signed, "value_deg"].abs()
    grouped = rows.groupby(["session_id", "started_at", "exercise", "side"]).value_deg
    out = grouped.agg(median="median", q25=lambda v: v.quantile(0.25),
                      q75=lambda v: v.quantile(0.75), n="size").reset_index()
    out["date"] = pd.to_datetime(out.started_at, utc=True, format="ISO8601")
    return out.sort_values(["exercise", "side", "date"]).reset_index(drop=True)


def what_changed(ex_id: str, table: pd.DataFrame) -> str:
    """One sentence: the biggest change of a side's median and where the sides are now."""
    ex = EXERCISES[ex_id]
    label = metric_label(ex.primary_metric)
    t = table[table.exercise == ex_id]
    if t.session_id.nunique() < 2:
        return f"{ex.name}: one session so far; trends need two."
    best = None
    for side, s in t.groupby("side"):
        first, last = s.iloc[0], s.iloc[-1]
        change = last["median"] - first["median"]
        if best is None or abs(change) > abs(best[1]):
            weeks = (last.date - first.date).days / 7.0
            best = (side, change, first["median"], last["median"], weeks)
    side, change, a, b, weeks = best
    who = f"{side} {ex.name.lower()}" if side != "both" else ex.name.lower()
    verb = "fell" if change < 0 else "rose"
    sentence = (f"{who[0].upper() + who[1:]} {label} {verb} from {a:.1f} to {b:.1f} deg "
                f"in {weeks:.0f} weeks" if abs(change) >= 0.5 else
                f"{who[0].upper() + who[1:]} {label} held steady at about {b:.1f} deg")
    last_session = t[t.session_id == t.session_id.iloc[t.date.argmax()]]
    by_side = dict(zip(last_session.side, last_session["median"]))
    if "left" in by_side and "right" in by_side:
        gap = by_side["right"] - by_side["left"]
        if abs(gap) <= 1.0:
            sentence += f"; left and right now within {max(abs(gap), 0.1):.1f} deg"
        else:
            hi = "right" if gap > 0 else "left"
            sentence += f"; the {hi} side is still {abs(gap):.1f} deg higher"
    rule = ex.primary_rule
    if rule is not None:
        over = [s for s, v in by_side.items() if v > rule.threshold_deg]
        sentence += (f" (threshold {rule.threshold_deg:.0f} deg: "
                     + (f"{' and '.join(over)} still above" if over else "all under") + ")")
    return sentence + "."


def exercise_figure(ex_id: str, table: pd.DataFrame) -> Figure:
    """Medians with their quartile range per session and side; the threshold."""
    ex = EXERCISES[ex_id]
    fig = Figure(figsize=(7.0, 2.8), dpi=90)
    ax = fig.subplots()
    for side, s in table[table.exercise == ex_id].groupby("side"):
        x = s.date.dt.tz_localize(None)
        ax.errorbar(x, s["median"], yerr=[s["median"] - s.q25, s.q75 - s["median"]],
                    fmt="o-", color=SIDE_COLOURS[side], capsize=3, label=side, gid=side)
    rule = ex.primary_rule
    if rule is not None:
        ax.axhline(rule.threshold_deg, color=FLAG_COLOUR, ls="--", lw=1, label="threshold",
                   gid="threshold")
    ax.set_ylabel(f"{metric_label(ex.primary_metric)} (deg)")
    ax.set_title(ex.name, fontsize=10)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def adherence(dates: list[dt.date]) -> list[tuple[str, int, str]]:
    """Per ISO week from the first session: (week, sessions, aim) against the
    programme's cadence (once a week at first, then 2-3 times, then at least once)."""
    if not dates:
        return []
    first = min(dates)
    start = first - dt.timedelta(days=first.weekday())
    weeks = (max(dates) - start).days // 7 + 1
    out = []
    for w in range(weeks):
        monday = start + dt.timedelta(weeks=w)
        n = sum(monday <= d < monday + dt.timedelta(days=7) for d in dates)
        aim = CADENCE.aim_for_week(w)
        out.append((monday.isoformat(), n, aim))
    return out


def trends_report(conn: sqlite3.Connection, exercises: list[str] | None = None) -> str:
    table = trend_table(conn, exercises)
    with database_faults(conn):
        sessions = conn.execute("SELECT started_at FROM sessions ORDER BY started_at").fetchall()
    dates = [dt.datetime.fromisoformat(r[0]).date() for r in sessions if r[0]]
    body = [f"<h1>hipsense trends: {len(sessions)} sessions</h1>"]
    if table.empty:
        body.append("<p>No reps in the history yet: record or import sessions first.</p>")
        return page("hipsense trends", body)
    body.append("<h2>What changed</h2><ul>")
    ids = [e for e in PROGRAMME_ORDER if e in set(table.exercise)]
    body += [f"<li>{escape(what_changed(e, table))}</li>" for e in ids]
    body.append("</ul><h2>Per exercise</h2>")
    for e in ids:
        t = table[table.exercise == e]
        pivot = t.pivot_table(index="date", columns="side", values="median")
        asym = ""
        if {"left", "right"} <= set(pivot.columns):
            last = pivot.dropna().iloc[-1] if not pivot.dropna().empty else None
            if last is not None:
                asym = (f" Asymmetry in the last session: "
                        f"{abs(last['right'] - last['left']):.1f} deg.")
        body.append(f"<h3>{escape(EXERCISES[e].name)}</h3><p class=\"muted\">Median per session "
                    f"with the middle half of the reps.{escape(asym)}</p>")
        body.append(f"<figure><img alt=\"{escape(EXERCISES[e].name)} over the weeks\" "
                    f"src=\"{to_png_base64(exercise_figure(e, table))}\"></figure>")
    body.append("<h2>Adherence</h2><p class=\"muted\">The programme: once a week at first, "
                "building to 2-3 times a week, then at least once a week to maintain.</p>"
                "<table><tr><th>week of</th><th>sessions</th><th>aim</th><th></th></tr>")
    for w, (week, n, aim) in enumerate(adherence(dates)):
        ok = CADENCE.met(w, n)
        body.append(f"<tr><td>{week}</td><td>{n}</td><td>{escape(aim)}</td><td class="
                    f"\"{'ok' if ok else 'short'}\">{'on track' if ok else 'fewer'}</td></tr>")
    body.append("</table>")
    return page("hipsense trends", body)


