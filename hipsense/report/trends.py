"""Trends over the weeks from the history database (one athlete's, or all):
per exercise, left and right medians with their spread, the asymmetry, the
thresholds, stretch hold durations against the 30 s target, the bridge's lift,
adherence to the programme, and a sentence per exercise saying what changed
and whether that is better or worse."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
from matplotlib.figure import Figure

from hipsense.exercises import CADENCE, EXERCISES, PROGRAMME_ORDER, RUN, THRESHOLDS, metric_label
from hipsense.history.store import database_faults
from hipsense.report.figures import (
    LEFT_COLOUR, RIGHT_COLOUR, TARGET_COLOUR, axis_label, legend_above,
    edge_label, new_figure, style_axes, threshold_zone, to_svg_data_uri,
)
from hipsense.report.html import escape, figure_section, page
from hipsense.analysis.results import Comparison
from hipsense.report.summary import (
    DURATION, STEADY_DEG, STEADY_S, asymmetry_words, better_direction,
)

SIDE_COLOURS = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR, "both": "#555555"}

#: The extra metrics the trends plot beside each exercise's primary one.
EXTRA_METRICS: dict[str, tuple[str, ...]] = {"hip_bridge": ("bridge_lift_deg",)}


def _athlete_sql(athlete: str | None) -> tuple[str, tuple]:
    # "" selects the sessions that name no athlete
    return (("WHERE COALESCE(s.athlete, '') = ?", (athlete,)) if athlete is not None
            else ("", ()))


def _summarise(rows: pd.DataFrame, value: str) -> pd.DataFrame:
    grouped = rows.groupby(["session_id", "started_at", "exercise", "side"])[value]
    out = grouped.agg(median="median", q25=lambda v: v.quantile(0.25),
                      q75=lambda v: v.quantile(0.75), n="size").reset_index()
    out["date"] = pd.to_datetime(out.started_at, utc=True, format="ISO8601")
    return out.sort_values(["exercise", "side", "date"]).reset_index(drop=True)


def trend_table(conn: sqlite3.Connection, exercises: list[str] | None = None,
                athlete: str | None = None, metric: str | None = None) -> pd.DataFrame:
    """Per session, exercise and side: the primary metric's median over all reps
    (or holds) of the session (or ``metric``'s, for the exercises that have it),
    its quartiles and the number of reps (deg); one athlete's sessions when
    ``athlete`` is given."""
    where, params = _athlete_sql(athlete)
    with database_faults(conn):
        rows = pd.read_sql_query(
            "SELECT s.id AS session_id, s.started_at, st.exercise, st.side, m.metric, "
            "m.value_deg FROM sessions s JOIN sets st ON st.session_id = s.id "
            "JOIN reps r ON r.set_id = st.id JOIN rep_metrics m ON m.rep_id = r.id "
            f"{where}", conn, params=params)
    if metric is None:
        wanted = rows.exercise.map({e: EXERCISES[e].primary_metric for e in EXERCISES})
        rows = rows[rows.metric == wanted]
    else:
        rows = rows[rows.metric == metric]
    rows = rows.dropna(subset=["value_deg"])
    if exercises:
        rows = rows[rows.exercise.isin(exercises)]
    for e, ex in EXERCISES.items():
        names = [s.name for s in ex.signals if s.better == "nearer_zero"]
        # signed (the bridge's obliquity: left side higher): its size is what matters
        signed = (rows.exercise == e) & rows.metric.isin(names)
        rows.loc[signed, "value_deg"] = rows.loc[signed, "value_deg"].abs()
    return _summarise(rows, "value_deg")


def hold_table(conn: sqlite3.Connection, exercises: list[str] | None = None,
               athlete: str | None = None) -> pd.DataFrame:
    """Per session, stretch and side: the hold durations (s), as :func:`trend_table`
    gives the metrics (``median`` of the session's holds, quartiles, ``n``)."""
    where, params = _athlete_sql(athlete)
    with database_faults(conn):
        rows = pd.read_sql_query(
            "SELECT s.id AS session_id, s.started_at, st.exercise, st.side, "
            "r.hold_s AS duration_s FROM sessions s JOIN sets st ON st.session_id = s.id "
            f"JOIN reps r ON r.set_id = st.id AND r.kind = 'hold' {where}", conn,
            params=params)
    rows = rows.dropna(subset=["duration_s"])
    if exercises:
        rows = rows[rows.exercise.isin(exercises)]
    return _summarise(rows, "duration_s")


def _better_of(ex_id: str, metric: str) -> str:
    if metric == DURATION:
        return "higher"
    return EXERCISES[ex_id].signal(metric).better


def what_changed(ex_id: str, table: pd.DataFrame, metric: str | None = None) -> str:
    """One sentence: the biggest change of a side's median, whether it is better
    or worse, and where the sides are now (``metric`` ``duration_s`` for a
    stretch's holds in :func:`hold_table`)."""
    ex = EXERCISES[ex_id]
    metric = metric or ex.primary_metric
    duration = metric == DURATION
    label = "hold" if duration else metric_label(metric)
    unit, steady = ("s", STEADY_S) if duration else ("deg", STEADY_DEG)
    better = _better_of(ex_id, metric)
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
    word = better_direction(better, a, b, steady)
    sentence = (f"{who[0].upper() + who[1:]} {label} {verb} from {a:.1f} to {b:.1f} {unit} "
                f"in {weeks:.0f} week{'' if round(weeks) == 1 else 's'}"
                + (f" ({word})" if word != "steady" else "")
                if abs(change) >= steady else
                f"{who[0].upper() + who[1:]} {label} held steady at about {b:.1f} {unit}")
    last_session = t[t.session_id == t.session_id.iloc[t.date.argmax()]]
    by_side = dict(zip(last_session.side, last_session["median"]))
    if "left" in by_side and "right" in by_side:
        gap = by_side["right"] - by_side["left"]
        if abs(gap) <= steady * 2:
            sentence += f"; left and right now within {max(abs(gap), 0.1):.1f} {unit}"
        elif better in ("lower", "higher", "nearer_zero"):
            worse = "right" if (gap > 0) == (better != "higher") else "left"
            sentence += f"; the {worse} side is still worse by {abs(gap):.1f} {unit}"
        else:
            hi = "right" if gap > 0 else "left"
            sentence += f"; the {hi} side is still {abs(gap):.1f} {unit} higher"
    if duration:
        target = ex.prescription.hold_s[1]
        short = [s for s, v in by_side.items() if v < target - steady]
        sentence += (f" (target {target:.0f} s: "
                     + (f"{' and '.join(short)} still short" if short else "all at it") + ")")
    else:
        rule = next((r for r in ex.flag_rules if r.metric == metric), None)
        if rule is not None:
            over = [s for s, v in by_side.items() if v > rule.threshold_deg]
            sentence += (f" (threshold {rule.threshold_deg:.0f} deg: "
                         + (f"{' and '.join(over)} still above" if over else "all under") + ")")
    return sentence + "."


def still_open(table: pd.DataFrame, holds: pd.DataFrame,
               runs: pd.DataFrame | None = None) -> list[str]:
    """What the latest session of each exercise still had to work on, in words,
    in the programme's order: a primary metric above its threshold, a stretch
    held under the short-hold threshold, and (when neither side is already
    listed) sides apart by more than the asymmetry threshold with one worse;
    then the latest run (:func:`run_table`): a stance foot's drop past the
    running limit, or the feet further apart than the running asymmetry."""
    out = _run_still_open(runs) if runs is not None and not runs.empty else []
    out = [*_exercises_still_open(table, holds), *out]
    return out


def last_run(runs: pd.DataFrame) -> dict[str, float]:
    """The latest run's median drop per stance foot (:func:`run_table`): of the
    latest session, the last stored one when two started at the same time."""
    latest = runs.sort_values(["date", "session_id"]).iloc[-1]
    last = runs[runs.session_id == latest.session_id]
    return {str(side): float(v) for side, v in zip(last.side, last["median"])}


def _run_still_open(runs: pd.DataFrame) -> list[str]:
    by_side = last_run(runs)
    out = [f"Running, {side} foot on the ground: drop {by_side[side]:.1f} deg "
           f"(limit {RUN.pelvic_drop_deg:g})" for side in ("left", "right")
           if side in by_side and by_side[side] > RUN.pelvic_drop_deg]
    if not out and {"left", "right"} <= set(by_side) and \
            abs(by_side["right"] - by_side["left"]) > RUN.asymmetry_deg:
        worse = "left" if by_side["left"] > by_side["right"] else "right"
        out.append(f"Running: {worse} foot worse by "
                   f"{abs(by_side['right'] - by_side['left']):.1f} deg (drop)")
    return out


def _exercises_still_open(table: pd.DataFrame, holds: pd.DataFrame) -> list[str]:
    out = []
    for ex_id in PROGRAMME_ORDER:
        ex = EXERCISES[ex_id]
        rule = ex.primary_rule
        listed = False
        for t, kind in ((holds, "hold"), (table, "metric")):
            t = t[t.exercise == ex_id]
            if t.empty or (kind == "hold" and ex.kind != "hold"):
                continue
            last = t[t.date == t.date.max()]
            by_side = dict(zip(last.side, last["median"]))
            for side, value in by_side.items():
                who = ex.name if side == "both" else f"{side} {ex.name[0].lower()}{ex.name[1:]}"
                who = who[0].upper() + who[1:]
                if kind == "metric" and rule is not None and value > rule.threshold_deg:
                    out.append(f"{who}: {metric_label(rule.metric)} {value:.1f} deg "
                               f"(limit {rule.threshold_deg:g})")
                    listed = True
                elif kind == "hold" and value < THRESHOLDS.short_hold_s:
                    out.append(f"{who}: held {value:.0f} s (target "
                               f"{ex.prescription.hold_s[1]:g})")
                    listed = True
            if kind == "metric" and not listed and {"left", "right"} <= set(by_side) and \
                    abs(by_side["right"] - by_side["left"]) > THRESHOLDS.asymmetry_deg:
                out.append(f"{ex.name}: " + asymmetry_words(Comparison(
                    ex_id, ex.primary_metric, float(by_side["left"]), float(by_side["right"]),
                    abs(float(by_side["right"] - by_side["left"])), None)))
    return out


def exercise_figure(ex_id: str, table: pd.DataFrame, metric: str | None = None) -> Figure:
    """Medians with their quartile range per session and side, against the
    threshold (its flag zone to the plot's edge) or, for hold durations
    (``metric`` ``duration_s``), the prescribed hold as the target."""
    ex = EXERCISES[ex_id]
    metric = metric or ex.primary_metric
    fig = new_figure(2.6)
    ax = fig.subplots()
    style_axes(ax)
    for side, s in table[table.exercise == ex_id].groupby("side"):
        x = s.date.dt.tz_localize(None)
        ax.errorbar(x, s["median"], yerr=[s["median"] - s.q25, s.q75 - s["median"]],
                    fmt="o-", color=SIDE_COLOURS[side], capsize=3, label=side, gid=side, ms=4)
    if metric == DURATION:
        target = ex.prescription.hold_s[1]
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(lo, target * 0.6), max(hi, target * 1.1))
        ax.axhline(target, color=TARGET_COLOUR, ls="--", lw=1, gid="target")
        edge_label(ax, f"target\n{target:g} s", target, TARGET_COLOUR, "target-label")
    else:
        rule = next((r for r in ex.flag_rules if r.metric == metric), None)
        if rule is not None:
            threshold_zone(ax, rule.threshold_deg)
    ax.set_ylabel(axis_label(metric, "s" if metric == DURATION else "deg"))
    _date_axis(fig, ax, table[table.exercise == ex_id].date.dt.tz_localize(None))
    return fig


def run_table(conn: sqlite3.Connection, athlete: str | None = None) -> pd.DataFrame:
    """Per session with a run and stance foot: the run's median drop over
    steady steps (deg; running.md), as :func:`trend_table`'s columns (the
    quartiles are the median: the history keeps no step)."""
    where, params = _athlete_sql(athlete)
    with database_faults(conn):
        rows = pd.read_sql_query(
            "SELECT s.id AS session_id, s.started_at, st.exercise, m.metric, m.value_deg "
            "FROM sessions s JOIN sets st ON st.session_id = s.id "
            "JOIN set_medians m ON m.set_id = st.id "
            f"{where}", conn, params=params)
    rows = rows[(rows.exercise == RUN.id)
                & rows.metric.isin(["pelvic_drop_left_deg", "pelvic_drop_right_deg"])]
    rows = rows.dropna(subset=["value_deg"]).copy()
    rows["side"] = rows.metric.str.extract(r"pelvic_drop_(left|right)_deg")[0]
    return _summarise(rows, "value_deg")


def run_trend_figure(table: pd.DataFrame) -> Figure:
    """The running drop per stance foot over the sessions, against the limit."""
    fig = new_figure(2.6)
    ax = fig.subplots()
    style_axes(ax)
    for side, s in table.groupby("side"):
        ax.plot(s.date.dt.tz_localize(None), s["median"], "o-", color=SIDE_COLOURS[side],
                label=f"{side} foot", gid=side, ms=4)
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), ax.get_ylim()[1])  # the limit in view
    threshold_zone(ax, RUN.pelvic_drop_deg)
    dates = table.date.dt.tz_localize(None)
    if dates.nunique() == 1:  # one run so far: a week either side
        ax.set_xlim(dates.iloc[0] - pd.Timedelta(days=7), dates.iloc[0] + pd.Timedelta(days=7))
    ax.set_ylabel("running drop (deg)\nlower is better")
    _date_axis(fig, ax, table.date.dt.tz_localize(None))
    return fig


def _date_axis(fig: Figure, ax, dates: pd.Series) -> None:
    """Date ticks on the x axis (slanted) and the legend above the plot."""
    _date_ticks(ax, dates)
    ax.xaxis.set_major_formatter(_date_format())
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    legend_above(fig, ax)


def _date_format():
    from matplotlib.dates import DateFormatter

    return DateFormatter("%d %b")


#: Up to this many sessions, each one's date is a tick.
MAX_DATE_TICKS = 8


def _date_ticks(ax, dates: pd.Series) -> None:
    from matplotlib.dates import AutoDateLocator

    unique = sorted(set(dates))
    if len(unique) <= MAX_DATE_TICKS:
        ax.set_xticks(unique)
    else:
        ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=MAX_DATE_TICKS))


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


def _session_dates(conn: sqlite3.Connection, athlete: str | None) -> list[dt.date]:
    where, params = _athlete_sql(athlete)
    with database_faults(conn):
        rows = conn.execute(f"SELECT s.started_at FROM sessions s {where} "
                            "ORDER BY s.started_at", params).fetchall()
    return [dt.datetime.fromisoformat(r[0]).date() for r in rows if r[0]]


def _figure_block(title: str, alt: str, fig: Figure, note: str = "") -> str:
    return (f"<div class=\"keep\"><h3>{escape(title)}</h3>"
            + (f"<p class=\"muted\">{escape(note)}</p>" if note else "")
            + f"<figure><img alt=\"{escape(alt)}\" src=\"{to_svg_data_uri(fig)}\"></figure></div>")


def trends_report(conn: sqlite3.Connection, exercises: list[str] | None = None,
                  athlete: str | None = None, paper: str = "a4") -> str:
    """The trends page: what changed (better or worse) first, then a figure per
    exercise (hold durations for the stretches, the lift for the bridge), then
    adherence. ``athlete``: that athlete's sessions only."""
    table = trend_table(conn, exercises, athlete)
    holds = hold_table(conn, exercises, athlete)
    dates = _session_dates(conn, athlete)
    who = ("" if athlete is None else f" for {athlete}" if athlete else
           " for sessions naming no athlete")
    title = f"hipsense trends{who}"
    body = [f"<h1>{escape(title)}: {len(dates)} session{'s' if len(dates) != 1 else ''}"
            "</h1>"]
    runs = run_table(conn, athlete)
    if table.empty and holds.empty and runs.empty:
        body.append("<p>No reps in the history yet: record or import sessions first.</p>")
        return page(title, body, paper)
    ids = [e for e in PROGRAMME_ORDER if e in set(table.exercise) | set(holds.exercise)]
    body.append("<section id=\"summary\">")
    still = still_open(table, holds, runs)
    run_words = (f"the latest run's drop was within {RUN.pelvic_drop_deg:g} deg on both feet"
                 if not runs.empty else "")
    if still:
        body.append("<p class=\"status\"><b>Still to work on in the latest session:</b> "
                    + escape("; ".join(still)) + ".</p>")
    elif table.empty and holds.empty:
        body.append(f"<p class=\"status ok\"><b>In the latest session {run_words}</b>.</p>")
    else:
        body.append("<p class=\"status ok\"><b>In the latest session every exercise was "
                    "within its limit</b>, every stretch held at least "
                    f"{THRESHOLDS.short_hold_s:g} s and the sides were within "
                    f"{THRESHOLDS.asymmetry_deg:g} deg"
                    + (f"; {run_words}" if run_words else "") + ".</p>")
    body.append("<h2>What changed</h2><ul>")
    for e in ids:
        if EXERCISES[e].kind == "hold" and e in set(holds.exercise):
            body.append(f"<li>{escape(what_changed(e, holds, DURATION))}</li>")
        if e in set(table.exercise):
            body.append(f"<li>{escape(what_changed(e, table))}</li>")
    body.append("</ul>")
    rows = adherence(dates)
    on_track = sum(CADENCE.met(w, n) for w, (_, n, _) in enumerate(rows))
    body.append(f"<p>Adherence: {on_track} of {len(rows)} weeks on track with the programme "
                "(details below).</p></section>")
    blocks = []
    for e in ids:
        ex = EXERCISES[e]
        if ex.kind == "hold" and e in set(holds.exercise):
            blocks.append(_figure_block(f"{ex.name}: hold", f"{ex.name}: hold durations over "
                                      "the weeks", exercise_figure(e, holds, DURATION)))
        if e not in set(table.exercise):
            continue
        t = table[table.exercise == e]
        pivot = t.pivot_table(index="date", columns="side", values="median")
        note = ""
        if {"left", "right"} <= set(pivot.columns) and not pivot.dropna().empty:
            last = pivot.dropna().iloc[-1]
            note = "In the last session: " + asymmetry_words(Comparison(
                e, ex.primary_metric, float(last["left"]), float(last["right"]),
                abs(float(last["right"] - last["left"])), None)) + "."
        label = metric_label(ex.primary_metric)
        blocks.append(_figure_block(f"{ex.name}: {label}", f"{ex.name} over the weeks",
                                  exercise_figure(e, table), note))
        for metric in EXTRA_METRICS.get(e, ()):
            extra = trend_table(conn, [e], athlete, metric)
            if not extra.empty:
                blocks.append(_figure_block(f"{ex.name}: {metric_label(metric)}",
                                          f"{ex.name}: {metric_label(metric)} over the weeks",
                                          exercise_figure(e, extra, metric)))
    if not runs.empty:
        last = last_run(runs)
        note = "In the last run: " + ", ".join(f"{side} foot {last[side]:.1f} deg"
                                              for side in ("left", "right") if side in last)
        blocks.append(_figure_block("Running check: drop per stance foot",
                                    "running drop over the weeks", run_trend_figure(runs),
                                    note + f" (limit {RUN.pelvic_drop_deg:g} deg)."))
    body.append("<section id=\"details\">")
    body += figure_section("<h2>Per exercise</h2><p class=\"muted\">Median per session with "
                           "the middle half of the reps (or holds); orange: the flag zone from "
                           "the limit (labelled on the right); green dashes: the hold's "
                           "target.</p>", blocks)
    body.append("<h2>Adherence</h2><p class=\"muted\">The programme: once a week at "
                "first, building to 2-3 times a week, then at least once a week to "
                "maintain.</p><table><thead><tr><th>week of</th><th>sessions</th><th>aim</th>"
                "<th></th></tr></thead><tbody>")
    for w, (week, n, aim) in enumerate(rows):
        ok = CADENCE.met(w, n)
        body.append(f"<tr><td>{week}</td><td>{n}</td><td>{escape(aim)}</td><td class="
                    f"\"{'ok' if ok else 'short'}\">{'on track' if ok else 'fewer'}</td></tr>")
    body.append("</tbody></table></section>")
    return page(title, body, paper)
