"""Figures of the reports (matplotlib's object API: no pyplot, no global
backend). Each returns a Figure so tests can check what is drawn;
:func:`to_svg_data_uri` embeds it in HTML as a vector image.

Sized for a phone: :data:`FIGURE_WIDTH_IN` wide with :data:`FONT_PT` text, so
shown 358 px wide (a 390 px screen less its margins) the text is still about
10 px high. Legends sit above the plot, never on the data; the flag zone runs
from the threshold to the edge of the plot, with the threshold labelled; the
axis says which way is better.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from hipsense.analysis.results import SetResult
from hipsense.exercises import EXERCISES, better_words, metric_label

REP_COLOUR, FLAG_COLOUR, ZONE_COLOUR = "#9ecae1", "#d62728", "#fdd0a2"
LEFT_COLOUR, RIGHT_COLOUR = "#1f77b4", "#ff7f0e"
TARGET_COLOUR = "#1a7f37"

#: Figure width (inches; 72 pt each) and the font size (pt) of every figure.
FIGURE_WIDTH_IN = 5.0
FONT_PT = 10.0
#: A line of more points than this is drawn as its min/max envelope (per bucket).
MAX_LINE_POINTS = 1600


def new_figure(height_in: float = 2.7) -> Figure:
    return Figure(figsize=(FIGURE_WIDTH_IN, height_in), dpi=72, layout="constrained")


def style_axes(ax) -> None:
    ax.tick_params(labelsize=FONT_PT)
    ax.xaxis.label.set_size(FONT_PT)
    ax.yaxis.label.set_size(FONT_PT)


def axis_label(metric: str, unit: str = "deg") -> str:
    """The y label: the metric, its unit and which way is better."""
    if metric == "duration_s":
        return "hold (s)\nlonger is better"
    ex_better = next((sig.better for ex in EXERCISES.values() for sig in ex.signals
                      if sig.name == metric), "neither")
    words = better_words(ex_better) if ex_better != "neither" else ""
    return f"{metric_label(metric)} ({unit})" + (f"\n{words}" if words else "")


def legend_above(fig: Figure, ax, ncols: int | None = None) -> None:
    """The axes' legend above the plot area, outside it (never over the data)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside upper center", ncols=ncols or len(handles),
                   fontsize=FONT_PT, frameon=False)


def threshold_zone(ax, threshold: float, *, both_signs: bool = False, label: str = "limit"
                   ) -> None:
    """Shade from the threshold to the plot's edge (and from minus it to the other
    edge for ``both_signs``), with the threshold drawn and labelled. Call after
    the data is plotted: the limits are fixed here."""
    lo, hi = ax.get_ylim()
    hi = max(hi, threshold * 1.25)
    if both_signs:
        lo = min(lo, -threshold * 1.25)
    ax.set_ylim(lo, hi)
    ax.axhspan(threshold, hi, color=ZONE_COLOUR, alpha=0.6, lw=0, gid="flag-zone", zorder=0)
    ax.axhline(threshold, color=FLAG_COLOUR, ls="--", lw=1, gid="threshold")
    edge_label(ax, f"{label}\n{threshold:g}", threshold, FLAG_COLOUR, "threshold-label")
    if both_signs:
        ax.axhspan(lo, -threshold, color=ZONE_COLOUR, alpha=0.6, lw=0,
                   gid="flag-zone-negative", zorder=0)
        ax.axhline(-threshold, color=FLAG_COLOUR, ls="--", lw=1)


def edge_label(ax, text: str, y: float, colour: str, gid: str) -> None:
    """``text`` beside the plot's right edge at height ``y`` (outside the plot
    area, so it never covers data)."""
    ax.annotate(text, (1.0, y), xycoords=("axes fraction", "data"), xytext=(3, 0),
                textcoords="offset points", ha="left", va="center", fontsize=FONT_PT,
                color=colour, gid=gid, annotation_clip=False, linespacing=1.0)


def envelope(t: np.ndarray, y: np.ndarray, max_points: int = MAX_LINE_POINTS
             ) -> tuple[np.ndarray, np.ndarray]:
    """``(t, y)`` thinned to at most ``max_points`` (each bucket's minimum and
    maximum, in time order), so the drawn line keeps every peak."""
    n = len(t)
    if n <= max_points:
        return t, y
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(int)
    idx = []
    for a, b in zip(edges[:-1], edges[1:]):
        seg = y[a:b]
        if not len(seg) or not np.isfinite(seg).any():
            idx.append(a)
            continue
        i, j = a + int(np.nanargmin(seg)), a + int(np.nanargmax(seg))
        idx.extend(sorted((i, j)))
    idx = np.asarray(idx)
    return t[idx], y[idx]


def flagged_reps(result: SetResult) -> set[int]:
    """Reps (1-based) named by the set's threshold flags."""
    ex = EXERCISES[result.exercise]
    codes = {r.code for r in ex.flag_rules}
    return {i for f in result.flags if f.code in codes for i in f.reps}


def set_figure(result: SetResult, metric: str | None = None) -> Figure:
    """A metric of the set over time (the primary one by default): reps (or the
    hold) shaded, flagged reps marked at their extreme, the flag zone beyond the
    threshold to the plot's edge."""
    ex = EXERCISES[result.exercise]
    metric = metric or ex.primary_metric
    fig = new_figure()
    ax = fig.subplots()
    style_axes(ax)
    if result.time_s is None or metric not in result.signals_deg:
        ax.text(0.5, 0.5, "not analysed (see the data-quality notes)", ha="center",
                transform=ax.transAxes, fontsize=FONT_PT)
        ax.set_axis_off()
        return fig
    t0 = float(result.time_s[0])
    t = result.time_s - t0
    y = result.signals_deg[metric]
    for rep in result.reps:
        ax.axvspan(rep.start_s - t0, rep.end_s - t0, color=REP_COLOUR, alpha=0.5, lw=0,
                   gid=f"rep{rep.index}")
    for hold in result.holds:
        ax.axvspan(hold.start_s - t0, hold.end_s - t0, color=REP_COLOUR, alpha=0.5, lw=0,
                   gid=f"hold{hold.index}")
    ax.plot(*envelope(t, y), color="#333333", lw=1.0, gid="signal")
    rule = next((r for r in ex.flag_rules if r.metric == metric), None)
    flagged = flagged_reps(result) if rule is not None else set()
    marks = []
    for rep in result.reps:
        value = rep.metrics.get(metric)
        if rep.index in flagged and value is not None:
            # mark the rep's extreme: where the signal takes its value inside the rep
            inside = np.flatnonzero((result.time_s >= rep.start_s) &
                                    (result.time_s <= rep.end_s))
            marks.append((t[inside[np.argmin(np.abs(y[inside] - value))]], value))
    if marks:
        ax.plot(*zip(*marks), "v", color=FLAG_COLOUR, ms=7, gid="flagged-reps",
                label="past the limit")
    ax.axhline(0.0, color="#999999", lw=0.6)
    ax.set_xlim(0, float(t[-1]))
    if rule is not None:
        threshold_zone(ax, rule.threshold_deg, both_signs=rule.use_abs)
    ax.set_xlabel("time in the set (s)")
    ax.set_ylabel(axis_label(metric))
    legend_above(fig, ax)
    return fig


def left_right_figure(exercise: str, left: SetResult, right: SetResult) -> Figure:
    """Rep by rep, left against right, of the exercise's primary angle."""
    ex = EXERCISES[exercise]
    metric = ex.primary_metric
    fig = new_figure(2.5)
    ax = fig.subplots()
    style_axes(ax)
    for side, res, colour in (("left", left, LEFT_COLOUR), ("right", right, RIGHT_COLOUR)):
        vals = [(r.index, ex.primary_signal.size(r.metrics[metric])) for r in res.reps
                if r.metrics.get(metric) is not None]
        if vals:
            ax.plot(*zip(*vals), "o-", color=colour, label=side, gid=f"{side}-reps", ms=4)
    rule = ex.primary_rule
    if rule is not None:
        threshold_zone(ax, rule.threshold_deg)
    ax.set_xlabel("rep")
    ax.set_ylabel(axis_label(metric))
    ax.xaxis.get_major_locator().set_params(integer=True)
    legend_above(fig, ax)
    return fig


def to_svg(fig: Figure) -> bytes:
    """The figure as SVG (text as paths: no font needed; the same bytes for the
    same figure)."""
    buf = io.BytesIO()
    with rc_context({"svg.fonttype": "path", "svg.hashsalt": "hipsense"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def to_svg_data_uri(fig: Figure) -> str:
    """The figure as an SVG data URI (a vector image: sharp at any width)."""
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg(fig)).decode("ascii")


def run_figure(run: dict) -> Figure:
    """A run's contralateral drop per step over time (s from the first step),
    left-foot and right-foot stances apart; steady steps filled, others hollow;
    the catalogue's limit as the flag zone."""
    from hipsense.exercises import RUN

    fig = new_figure()
    ax = fig.add_subplot()
    steps = run.get("steps") or []
    t0 = steps[0]["ic_s"] if steps else 0.0
    for side, colour in (("left", "#1f77b4"), ("right", "#d62728")):
        mine = [s for s in steps if s["side"] == side]
        for steady, marker in ((True, "o"), (False, "o")):
            pts = [s for s in mine if s["steady"] == steady]
            if not pts:
                continue
            ax.plot([s["ic_s"] - t0 for s in pts], [s["pelvic_drop_deg"] for s in pts],
                    marker, ms=3.5, color=colour, mfc=colour if steady else "none",
                    ls="none", label=f"{side} foot" + ("" if steady else " (not steady)"))
    threshold_zone(ax, RUN.pelvic_drop_deg)
    ax.set_xlabel("time from the first step (s)")
    ax.set_ylabel("drop (deg)\nlower is better")
    style_axes(ax)
    legend_above(fig, ax)
    return fig
