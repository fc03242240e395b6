"""The calibration's phases followed live (stand, two hinges, stand)."""

from __future__ import annotations

import numpy as np

from hipsense.analysis.live_calibration import STAND_S, LiveCalibration
from hipsense.sim import SessionSpec, programme_sets, simulate_session


def _calibration(seed: int, realism: float = 1.0):
    spec = SessionSpec(sets=programme_sets(["clamshell"]), realism=realism)
    return simulate_session(spec, seed).session.calibration


def _follow(rec, batch: int = 8):
    live = LiveCalibration()
    seen = []
    for i in range(0, len(rec), batch):
        p = live.feed(rec.time_s[i:i + batch], rec.acc_g[i:i + batch], rec.gyr_dps[i:i + batch])
        seen.append((float(rec.time_s[i] - rec.time_s[0]), p.current,
                     p.phases[0].remaining_s, p.phases[1].count))
    return live.progress, seen


def test_the_three_phases_are_good_in_order_with_a_countdown():
    for seed in (1, 2, 3):
        rec = _calibration(seed)
        progress, seen = _follow(rec)
        assert progress.done and [p.state for p in progress.phases] == ["good"] * 3
        assert progress.phases[1].count == 2
        currents = [c for _, c, _, _ in seen]
        assert currents == sorted(currents)  # forward only
        # the first stand counted down from 3 s to 0 while still
        remaining = [r for _, c, r, _ in seen if c == 0]
        assert remaining[0] > STAND_S - 0.2 and min(remaining) < 0.5
        # the hinges took the middle of the recording
        t_hinges = [t for t, c, _, _ in seen if c == 1]
        assert t_hinges[0] >= STAND_S - 0.2 and t_hinges[-1] < rec.time_s[-1] - rec.time_s[0]


def test_standing_still_only_never_counts_a_hinge():
    rng = np.random.default_rng(0)
    t = np.arange(0, 20, 0.01)
    acc = np.tile([1.0, 0.0, 0.0], (t.size, 1)) + rng.normal(0, 0.003, (t.size, 3))
    gyr = rng.normal(0, 0.5, (t.size, 3))
    live = LiveCalibration()
    p = live.feed(t, acc, gyr)
    assert p.phases[0].good and p.current == 1 and p.phases[1].count == 0


def test_an_accelerometer_only_sensor_is_judged_by_its_tilt():
    rec = _calibration(2)
    progress, _ = _follow(type(rec)(rec.time_s, rec.acc_g, np.zeros_like(rec.gyr_dps)))
    assert progress.phases[0].good and progress.phases[1].count == 2
