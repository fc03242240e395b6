"""Figures of the reports (matplotlib's object API: no pyplot, no global
backend). Each returns a Figure so tests can check what is drawn;
:func:`to_png_base64` embeds it in HTML."""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.figure import Figure

from hipsense.analysis.results import SetResult
from hipsense.exercises import EXERCISES, metric_label

REP_COLOUR, FLAG_COLOUR, ZONE_COLOUR = "#9ecae1", "#d62728", "#fdd0a2"
LEFT_COLOUR, RIGHT_COLOUR = "#1f77b4", "#ff7f0e"


def flagged_reps(result: SetResult) -> set[int]:
    """Reps (1-based) named by the set's threshold flags."""
    ex = EXERCISES[result.exercise]
    codes = {r.code for r in ex.flag_rules}
    return {i for f in result.flags if f.code in codes for i in f.reps}


def set_figure(result: SetResult) -> Figure:
    """The set's primary angle over time: reps (or the hold) shaded, flagged
    reps marked at their extreme, the flag zone beyond the threshold drawn."""
    ex = EXERCISES[result.exercise]
    metric = ex.primary_metric
    fig = Figure(figsize=(8.0, 2.6), dpi=90)
    ax = fig.subplots()
    if result.time_s is None or metric not in result.signals_deg:
        ax.text(0.5, 0.5, "not analysed (see the data-quality notes)", ha="center",
                transform=ax.transAxes)
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
    ax.plot(t, y, color="#333333", lw=1.0)
    rule = ex.primary_rule
    if rule is not None:
        top = max(float(np.nanmax(np.abs(y))), rule.threshold_deg * 1.5)
        ax.axhspan(rule.threshold_deg, top * 1.1, color=ZONE_COLOUR, alpha=0.6, lw=0,
                   gid="flag-zone")
        if rule.use_abs:
            ax.axhspan(-top * 1.1, -rule.threshold_deg, color=ZONE_COLOUR, alpha=0.6, lw=0,
                       gid="flag-zone-negative")
    flagged = flagged_reps(result)
    marks = []
    for rep in result.reps:
        value = rep.metrics.get(metric)
        if rep.index in flagged and value is not None:
            # mark the rep's extreme: where the signal takes its value inside the rep
            inside = np.flatnonzero((result.time_s >= rep.start_s) &
                                    (result.time_s <= rep.end_s))
            marks.append((t[inside[np.argmin(np.abs(y[inside] - value))]], value))
    if marks:
        ax.plot(*zip(*marks), "v", color=FLAG_COLOUR, ms=8, gid="flagged-reps",
                label="past the threshold")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("time in the set (s)")
    ax.set_ylabel(f"{metric_label(metric)} (deg)")
    ax.axhline(0.0, color="#999999", lw=0.6)
    ax.set_xlim(0, float(t[-1]))
    fig.tight_layout()
    return fig


def left_right_figure(exercise: str, left: SetResult, right: SetResult) -> Figure:
    """Rep by rep, left against right, of the exercise's primary angle."""
    ex = EXERCISES[exercise]
    metric = ex.primary_metric
    fig = Figure(figsize=(5.0, 2.6), dpi=90)
    ax = fig.subplots()
    for side, res, colour in (("left", left, LEFT_COLOUR), ("right", right, RIGHT_COLOUR)):
        vals = [(r.index, r.metrics.get(metric)) for r in res.reps
                if r.metrics.get(metric) is not None]
        if vals:
            ax.plot(*zip(*vals), "o-", color=colour, label=side, gid=f"{side}-reps")
    rule = ex.primary_rule
    if rule is not None:
        ax.axhline(rule.threshold_deg, color=FLAG_COLOUR, ls="--", lw=1, label="threshold")
    ax.set_xlabel("rep")
    ax.set_ylabel(f"{metric_label(metric)} (deg)")
    ax.set_title(ex.name, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def to_png_base64(fig: Figure) -> str:
    """The figure as a PNG data URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
