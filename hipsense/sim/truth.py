"""Ground truth from the true pelvis orientation, with the definitions of
measurements.md and nothing else: elevations of pelvis axes relative to the
mean over the set's quiet start, per-rep extremes, per-hold means.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from hipsense.exercises import EXERCISES
from hipsense.sim.movements import SetPlan

#: Rate of the dense grid the truth is evaluated on (independent of sampling).
TRUTH_RATE_HZ = 500.0


def elevation_deg(orientation: Rotation, axis_pelvis: np.ndarray) -> np.ndarray:
    """Elevation above the horizontal plane (deg) of a pelvis-frame axis, given
    the world-from-pelvis orientation over time (world z up)."""
    up = orientation.apply(axis_pelvis)[:, 2]
    return np.degrees(np.arcsin(np.clip(up, -1.0, 1.0)))


def angle_signals(exercise: str, side: str, orientation: Rotation,
                  reference: np.ndarray) -> dict[str, np.ndarray]:
    """Every angle signal of the exercise (deg) over time.

    ``reference`` is a boolean mask of the quiet start; each signal is
    ``sign * (elev(axis) - mean elev(axis) over the reference)``.
    """
    ex = EXERCISES[exercise]
    out = {}
    for sig in ex.signals:
        elev = elevation_deg(orientation, ex.axis_vector(sig.axis, side))
        out[sig.name] = sig.sign * (elev - elev[reference].mean())
    return out


def _r(x: float) -> float:
    return round(float(x), 4)


def set_truth(plan: SetPlan) -> dict[str, Any]:
    """The truth of one set: reference window, reps (start, end, hold, up and down
    times, every metric), holds (start, end, duration, mean metrics), and the
    median of each per-rep metric."""
    spec = plan.spec
    ex = EXERCISES[spec.exercise]
    t = np.arange(plan.start_s, plan.end_s, 1.0 / TRUTH_RATE_HZ)
    ref = (t >= plan.reference_s[0]) & (t <= plan.reference_s[1])
    signals = angle_signals(spec.exercise, spec.side, plan.motion.orientation(t), ref)
    reps = []
    for i, rep in enumerate(plan.reps, start=1):
        inside = (t >= rep.start_s) & (t <= rep.end_s)
        reps.append({
            "index": i, "start_s": _r(rep.start_s), "end_s": _r(rep.end_s),
            "hold_s": _r(rep.hold_s()), "up_s": _r(rep.up_s()), "down_s": _r(rep.down_s()),
            "metrics": {s.name: _r(s.reduce_values(signals[s.name][inside]))
                        for s in ex.signals},
        })
    holds = []
    if plan.hold is not None:
        start, end = plan.hold
        inside = (t >= start) & (t <= end)
        holds.append({"index": 1, "start_s": _r(start), "end_s": _r(end),
                      "duration_s": _r(end - start),
                      "metrics": {s.name: _r(signals[s.name][inside].mean())
                                  for s in ex.signals}})
    rows = reps or holds
    medians = {s.name: _r(np.median([r["metrics"][s.name] for r in rows]))
               for s in ex.signals} if rows else {}
    return {
        "exercise": spec.exercise, "side": spec.side,
        "start_s": _r(plan.start_s), "end_s": _r(plan.end_s),
        "reference_s": [_r(plan.reference_s[0]), _r(plan.reference_s[1])],
        "rep_count": len(reps),
        "reps": reps, "holds": holds, "medians": medians,
        "intended_fault_deg": None if plan.fault_deg is None else _r(plan.fault_deg),
        "fidgets_s": [[_r(a), _r(b)] for a, b in plan.fidgets_s],
    }
