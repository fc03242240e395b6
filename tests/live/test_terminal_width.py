"""The terminal live view and the calibration's phases fit 80 columns."""

from __future__ import annotations

import io

from rich.console import Console

from hipsense.exercises import EXERCISES
from hipsense.analysis.live_calibration import CalibrationProgress
from hipsense.live.view import calibration_text, live_panel
from hipsense.analysis.live import LiveState


def _render(renderable, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(renderable)
    return out.getvalue().splitlines()


def test_the_live_view_fits_80_columns():
    ex = EXERCISES["single_leg_squat"]
    state = LiveState(ready=True, reps=7, angle_deg=3.0, rep_angles_deg=[8.3],
                      cue="Hip dropped 8 deg: squeeze the right glute, belt line level", cues=1)
    lines = _render(live_panel(ex, "right", "Single-leg squat, right leg", state, 5.0,
                               {"state": "connected", "samples": 3288}), 80)
    assert max(len(line) for line in lines) <= 80
    lines = _render(calibration_text(CalibrationProgress(), 120), 80)
    assert max(len(line) for line in lines) <= 80
