"""Ground truth from the true pelvis orientation, with the definitions of
measurements.md and nothing else: elevations of pelvis axes relative to the
mean over the set's quiet start, per-rep extremes, per-hold means.

Sets planned with realism (``plan.legacy`` False) get more keys: what the set's
realities were, each rep's hold, up and down times measured numerically on the
keyframed movement (multi-hump and skewed reps break the closed form), and
each rep's longest stretch of missing data (``longest_gap_s``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from hipsense.exercises import EXERCISES, HOLD_TOP_FRACTION
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


def longest_gap_s(time_s: np.ndarray, start_s: float, end_s: float) -> float:
    """The longest time inside [start_s, end_s] between two consecutive samples
    that arrived (the part of each gap that lies inside the window)."""
    time_s = np.asarray(time_s, dtype=float)
    if time_s.size == 0:
        return float(end_s - start_s)
    i0 = max(int(np.searchsorted(time_s, start_s, side="right")) - 1, 0)
    i1 = min(int(np.searchsorted(time_s, end_s, side="left")), time_s.size - 1)
    edges = np.concatenate(([start_s], time_s[i0:i1 + 1], [end_s]))
    edges = np.clip(edges, start_s, end_s)
    return float(np.max(np.diff(edges)))


def _numeric_hold(t: np.ndarray, inside: np.ndarray, plain: dict[str, np.ndarray]
                  ) -> tuple[float, float, float]:
    """(hold, up, down) seconds of a rep from its keyframed movement: the signal
    that moves most, the time within the top HOLD_TOP_FRACTION of its excursion
    from the rep's start, the time to first reach it and from last leaving it."""
    tt = t[inside]
    best = None
    for values in plain.values():
        exc = values[inside] - values[inside][0]
        peak = exc[np.argmax(np.abs(exc))]
        if best is None or abs(peak) > abs(best[1]):
            best = (exc, peak)
    exc, peak = best
    if tt.size < 2 or peak == 0:
        return 0.0, 0.0, 0.0
    top = exc / peak >= HOLD_TOP_FRACTION
    dt = 1.0 / TRUTH_RATE_HZ
    return (float(top.sum() * dt), float(tt[top][0] - tt[0]), float(tt[-1] - tt[top][-1]))


def set_truth(plan: SetPlan, time_s: np.ndarray | None = None) -> dict[str, Any]:
    """The truth of one set: reference window, reps (start, end, hold, up and down
    times, every metric), holds (start, end, duration, mean metrics), and the
    median of each per-rep metric.

    ``time_s``: the timestamps of the samples that arrived, for each rep's
    ``longest_gap_s`` (realism sets only; without it, the placed gaps alone).
    """
    spec = plan.spec
    ex = EXERCISES[spec.exercise]
    t = np.arange(plan.start_s, plan.end_s, 1.0 / TRUTH_RATE_HZ)
    ref = (t >= plan.reference_s[0]) & (t <= plan.reference_s[1])
    signals = angle_signals(spec.exercise, spec.side, plan.motion.orientation(t), ref)
    plain = None if plan.legacy else angle_signals(
        spec.exercise, spec.side, plan.motion.orientation(t, sway=False), ref)
    reps = []
    for i, rep in enumerate(plan.reps, start=1):
        inside = (t >= rep.start_s) & (t <= rep.end_s)
        if plain is None:
            hold, up, down = rep.hold_s(), rep.up_s(), rep.down_s()
        else:
            hold, up, down = _numeric_hold(t, inside, plain)
        row = {
            "index": i, "start_s": _r(rep.start_s), "end_s": _r(rep.end_s),
            "hold_s": _r(hold), "up_s": _r(up), "down_s": _r(down),
            "metrics": {s.name: _r(s.reduce_values(signals[s.name][inside]))
                        for s in ex.signals},
        }
        if not plan.legacy:
            row["humps"] = rep.humps
            if time_s is not None:
                gap = longest_gap_s(time_s, rep.start_s, rep.end_s)
            else:
                gap = max([min(b, rep.end_s) - max(a, rep.start_s) for a, b in plan.gaps_s
                           if a < rep.end_s and b > rep.start_s], default=0.0)
            row["longest_gap_s"] = _r(gap)
        reps.append(row)
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
    out = {
        "exercise": spec.exercise, "side": spec.side,
        "start_s": _r(plan.start_s), "end_s": _r(plan.end_s),
        "reference_s": [_r(plan.reference_s[0]), _r(plan.reference_s[1])],
        "rep_count": len(reps),
        "reps": reps, "holds": holds, "medians": medians,
        "intended_fault_deg": None if plan.fault_deg is None else _r(plan.fault_deg),
        "fidgets_s": [[_r(a), _r(b)] for a, b in plan.fidgets_s],
    }
    if not plan.legacy:
        out.update({
            "realism": plan.realism, "start_kind": plan.start_kind,
            "start_moves_s": None if plan.start_moves_s is None else
            [_r(plan.start_moves_s[0]), _r(plan.start_moves_s[1])],
            "rep_shape": plan.rep_shape, "rep_profile": plan.rep_profile,
            "overshoot": _r(plan.overshoot), "continuous": plan.continuous,
            "small_reps": [i + 1 for i in plan.small_reps],
            "gaps_s": [[_r(a), _r(b)] for a, b in plan.gaps_s],
            "settle_s": None if plan.settle_s is None else
            [_r(plan.settle_s[0]), _r(plan.settle_s[1])],
        })
    return out
