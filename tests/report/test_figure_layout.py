"""The figures' layout: legends off the data, the flag zone to the plot's edge
with the limit labelled, which way is better on the axis, the bridge's lift,
stretch holds against the 30 s target in the trends."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from hipsense import analyze_session
from hipsense.history.store import import_folder, open_db
from hipsense.report.figures import (
    FIGURE_WIDTH_IN, FONT_PT, envelope, left_right_figure, set_figure, to_svg,
)
from hipsense.report.trends import exercise_figure, hold_table, trend_table, what_changed

from tests.conftest import REPO

WEEKS = sorted((REPO / "sample_data").glob("2026-*"))


@pytest.fixture(scope="module")
def week1():
    return analyze_session(WEEKS[0])


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    conn = open_db(tmp_path_factory.mktemp("h") / "h.sqlite3")
    for week in WEEKS:
        import_folder(conn, week)
    return conn


def _drawn(fig):
    FigureCanvasAgg(fig).draw()
    return fig.canvas.get_renderer()


def _legend_clear_of_axes(fig) -> None:
    renderer = _drawn(fig)
    ax = fig.axes[0]
    assert ax.get_legend() is None  # no legend inside the axes
    assert len(fig.legends) == 1
    legend = fig.legends[0].get_window_extent(renderer)
    plot = ax.get_window_extent(renderer)
    assert legend.y0 >= plot.y1 - 0.5, (legend, plot)  # above the plot area
    fig_box = fig.bbox
    assert legend.x0 >= 0 and legend.x1 <= fig_box.x1 and legend.y1 <= fig_box.y1 + 0.5


def test_the_set_figure_keeps_its_legend_off_the_data(week1):
    squat = week1.sets[12]
    fig = set_figure(squat)
    _legend_clear_of_axes(fig)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "drop (deg)\nlower is better"
    assert fig.get_size_inches()[0] == FIGURE_WIDTH_IN
    assert {t.get_fontsize() for t in ax.get_yticklabels()} == {FONT_PT}


def test_the_flag_zone_runs_to_the_plot_edge_and_the_limit_is_labelled(week1):
    for s in (week1.sets[12], week1.sets[1]):  # right squat, right clamshell
        ax = set_figure(s).axes[0]
        [zone] = [p for p in ax.patches if p.get_gid() == "flag-zone"]
        y = np.asarray(zone.get_xy())[:, 1] if not hasattr(zone, "get_y") else \
            np.array([zone.get_y(), zone.get_y() + zone.get_height()])
        assert y.min() == pytest.approx(5.0)
        assert y.max() == pytest.approx(ax.get_ylim()[1])  # to the edge
        [label] = [t for t in ax.texts if t.get_gid() == "threshold-label"]
        assert label.get_text() == "limit\n5"
        # beside the plot, not on it
        renderer = _drawn(ax.figure)
        assert label.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    bridge = set_figure(week1.sets[2]).axes[0]  # obliquity: the flag is on its size
    gids = {p.get_gid() for p in bridge.patches}
    assert {"flag-zone", "flag-zone-negative"} <= gids
    lo, hi = bridge.get_ylim()
    assert lo <= -5.0 and hi >= 5.0


def test_the_bridge_lift_is_plotted(week1):
    bridge = week1.sets[2]
    ax = set_figure(bridge, "bridge_lift_deg").axes[0]
    assert ax.get_ylabel() == "bridge lift (deg)\nhigher is better"
    [line] = [ln for ln in ax.lines if ln.get_gid() == "signal"]
    assert max(line.get_ydata()) == pytest.approx(
        np.nanmax(bridge.signals_deg["bridge_lift_deg"]))
    assert not [p for p in ax.patches if p.get_gid() == "flag-zone"]  # no limit on the lift


def test_left_right_figure_plots_sizes_with_the_legend_above(week1):
    fig = left_right_figure("single_leg_squat", week1.sets[11], week1.sets[12])
    _legend_clear_of_axes(fig)
    [right] = [ln for ln in fig.axes[0].lines if ln.get_gid() == "right-reps"]
    assert list(right.get_xdata()) == [r.index for r in week1.sets[12].reps]


def test_the_line_envelope_keeps_every_peak():
    t = np.linspace(0, 100, 20_000)
    y = np.sin(t) * 5 + (t > 50.0) * 3
    y[12_345] = 40.0  # a spike
    te, ye = envelope(t, y, 1600)
    assert len(te) <= 1600 and np.all(np.diff(te) >= 0)
    assert ye.max() == 40.0 and ye.min() == y.min()


def test_svg_is_deterministic(week1):
    a, b = to_svg(set_figure(week1.sets[0])), to_svg(set_figure(week1.sets[0]))
    assert a == b and a.startswith(b"<?xml") and b"<text" not in a  # text as paths
    assert len(a) < 120_000


def test_the_trends_plot_hold_durations_against_the_30_s_target(history):
    holds = hold_table(history)
    stretch = holds[(holds.exercise == "hip_stretch") & (holds.side == "right")]
    assert len(stretch) == 6
    assert stretch["median"].iloc[0] < 25.0 and stretch["median"].iloc[-1] >= 29.0
    fig = exercise_figure("hip_stretch", holds, "duration_s")
    _legend_clear_of_axes(fig)
    ax = fig.axes[0]
    [target] = [ln for ln in ax.lines if ln.get_gid() == "target"]
    assert set(target.get_ydata()) == {30.0}
    assert ax.get_ylabel() == "hold (s)\nlonger is better"
    assert [t.get_text() for t in ax.texts if t.get_gid() == "target-label"] == ["target\n30 s"]
    right = [c for c in ax.containers if c.get_label() == "right"][0]
    assert list(right.lines[0].get_ydata()) == pytest.approx(list(stretch["median"]))
    sentence = what_changed("hip_stretch", holds, "duration_s")
    first, last = stretch["median"].iloc[0], stretch["median"].iloc[-1]
    assert sentence.startswith(f"Right hip stretch (knee to chest) hold rose from {first:.1f} "
                               f"to {last:.1f} s in 5 weeks (better)")
    assert sentence.endswith("(target 30 s: all at it).")


def test_the_trends_say_better_or_worse(history):
    table = trend_table(history)
    squat = what_changed("single_leg_squat", table)
    assert "in 5 weeks (better)" in squat
    # the stretches' posterior tilt: higher is better, so a fall is worse
    flexor = what_changed("hip_flexor_stretch", table)
    left = table[(table.exercise == "hip_flexor_stretch") & (table.side == "left")]
    first, last = left["median"].iloc[0], left["median"].iloc[-1]
    assert first - last > 5.0
    assert flexor.startswith(f"Left hip flexor stretch, foot on chair or sofa posterior tilt "
                             f"fell from {first:.1f} to {last:.1f} deg in 5 weeks (worse)")
    lift = trend_table(history, ["hip_bridge"], metric="bridge_lift_deg")
    assert len(lift) == 6 and lift["median"].between(20, 35).all()
    ax = exercise_figure("hip_bridge", lift, "bridge_lift_deg").axes[0]
    assert ax.get_ylabel() == "bridge lift (deg)\nhigher is better"


def test_the_trends_open_with_what_is_still_past_its_limit(history, tmp_path):
    from hipsense.report.trends import still_open, trends_report

    table, holds = trend_table(history), hold_table(history)
    first = table.date.min()
    week1 = still_open(table[table.date == first], holds[holds.date == first])
    assert week1 == ["Right clamshell: rollback 9.4 deg (limit 5)",
                     "Hip bridge with band: obliquity 5.7 deg (limit 4)",
                     "Right prone hip extension: lift 6.7 deg (limit 5)",
                     "Right hip stretch (knee to chest): held 22 s (target 30)",
                     "Right hip flexor stretch, foot on chair or sofa: held 21 s (target 30)",
                     "Right hip flexor knee drive with loop band: drop 8.1 deg (limit 5)",
                     "Right single-leg squat: drop 9.1 deg (limit 5)"]
    # week 6: all within the limits, but the knee-to-chest stretch's tilt is
    # 5.4 deg lower on the left (higher is better): the session report's one priority
    last = table[(table.date == table.date.max()) & (table.exercise == "hip_stretch")]
    tilt = dict(zip(last.side, last["median"]))
    assert still_open(table, holds) == [
        f"Hip stretch (knee to chest): left worse by {tilt['right'] - tilt['left']:.1f} deg "
        "(posterior tilt)"]
    page = trends_report(history)
    i = page.index("Still to work on in the latest session:")
    assert i < page.index("What changed") < page.index("<img")
    calm = table[~((table.exercise == "hip_stretch") & (table.date == table.date.max()))]
    assert still_open(calm, holds) == []
    # each figure's note says which side is worse, not a bare difference
    last = table[table.date == table.date.max()]
    squat = dict(zip(last[last.exercise == "single_leg_squat"].side,
                     last[last.exercise == "single_leg_squat"]["median"]))
    worse = "right" if squat["right"] > squat["left"] else "left"
    assert (f"In the last session: {worse} worse by "
            f"{abs(squat['right'] - squat['left']):.1f} deg (drop).") in page
    assert "Asymmetry in the last session" not in page
