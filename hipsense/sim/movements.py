"""Motion models of the seven exercises and of the calibration recording.

Each model turns a :class:`SetSpec` (exercise, side, reps, hold, the size of
the typical fault) into a :class:`~hipsense.sim.motion.Motion` plus the plan
of what happened when (reference window, reps, holds), which the ground truth
is computed from.

Fault sizes are given in the measurements.md metric they show up in (degrees):
contralateral drop for single-leg squats and knee drives, roll-back for
clamshells, working-side lift for prone hip extensions, signed obliquity for
bridges (+ = left higher). The model converts them to pelvis rotations with
the signs of measurements.md for the set's side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipsense.exercises import EXERCISES, HOLD_TOP_FRACTION, opposite_side
from hipsense.sim.motion import Keyframes, Motion, Sines, base_orientation


@dataclass(frozen=True)
class SetSpec:
    """What one simulated set does. ``None`` fields are drawn at random.

    Attributes:
        exercise, side: as in session.json.
        reps: number of reps (rep exercises); default 10-15.
        hold_s: mean hold at the top of each rep, or the stretch hold duration.
        fault_deg: intended median of the exercise's fault metric (drop,
            roll-back, lift, obliquity); default: good form.
        rep_sd_deg: rep-to-rep standard deviation of that metric; default
            0.2 deg plus 12 % of the fault.
        fidget: a fidget (a turn of a few degrees about the vertical and a hip
            shift) after the quiet start and after the last rep.
        sway_scale: multiplies the postural sway and breathing (0 = none).
    """

    exercise: str
    side: str
    reps: int | None = None
    hold_s: float | None = None
    fault_deg: float | None = None
    rep_sd_deg: float | None = None
    fidget: bool | None = None
    sway_scale: float = 1.0


@dataclass(frozen=True)
class RepTiming:
    """One rep on the recording's clock: leaves rest at ``start_s``, reaches the
    top at ``top_start_s``, leaves it at ``top_end_s``, is back at ``end_s``."""

    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float

    def hold_s(self) -> float:
        """Time within the top part of the movement (HOLD_TOP_FRACTION)."""
        return self.top_end_s - self.top_start_s + (1.0 - _S_TOP) * (
            (self.top_start_s - self.start_s) + (self.end_s - self.top_end_s))

    def up_s(self) -> float:
        return _S_TOP * (self.top_start_s - self.start_s)

    def down_s(self) -> float:
        return _S_TOP * (self.end_s - self.top_end_s)


def _min_jerk_inverse(fraction: float) -> float:
    from scipy.optimize import brentq

    return float(brentq(lambda s: s ** 3 * (10 - 15 * s + 6 * s * s) - fraction, 0.0, 1.0))


#: Fraction of a minimum-jerk rise at which the movement enters the top part.
_S_TOP = _min_jerk_inverse(HOLD_TOP_FRACTION)


@dataclass(frozen=True)
class SetPlan:
    """What a simulated set does when: its motion and its timeline (seconds)."""

    spec: SetSpec
    motion: Motion
    start_s: float
    end_s: float
    reference_s: tuple[float, float]
    reps: tuple[RepTiming, ...]
    #: Stretches: (hold start, hold end) = end of getting in, start of coming out.
    hold: tuple[float, float] | None
    fidgets_s: tuple[tuple[float, float], ...]
    fault_deg: float | None


@dataclass(frozen=True)
class _Style:
    up_s: tuple[float, float]
    down_s: tuple[float, float]
    hold_s: tuple[float, float]
    rest_s: tuple[float, float]
    good_fault_deg: tuple[float, float]


_STYLES = {
    "single_leg_squat": _Style((1.2, 1.8), (1.0, 1.5), (0.0, 0.3), (0.4, 1.5), (0.5, 3.0)),
    "knee_drive": _Style((0.5, 0.9), (0.7, 1.1), (0.8, 1.3), (0.3, 1.0), (0.5, 3.0)),
    "clamshell": _Style((0.9, 1.4), (1.0, 1.5), (0.0, 3.0), (0.2, 1.0), (1.5, 3.0)),
    "hip_bridge": _Style((1.2, 1.8), (1.3, 2.0), (0.0, 3.0), (0.5, 1.5), (-2.0, 2.0)),
    "prone_hip_extension": _Style((0.8, 1.2), (0.8, 1.2), (0.0, 3.0), (0.2, 1.0), (0.5, 3.0)),
}

_STANDING_SWAY_DEG = np.array([0.35, 0.3, 0.4])
_ONE_LEG_SWAY_DEG = np.array([0.6, 0.45, 0.6])
_LYING_SWAY_DEG = np.array([0.08, 0.12, 0.08])
_STANDING_SWAY_M = np.array([0.003, 0.003, 0.001])
_ONE_LEG_SWAY_M = np.array([0.005, 0.007, 0.001])
_LYING_SWAY_M = np.array([0.001, 0.001, 0.002])


def _side_sign(side: str) -> float:
    return 1.0 if side == "left" else -1.0


def _rep_targets(spec: SetSpec, fault: np.ndarray, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per-rep peak channel values: angles (n, 3) about a, l, u in degrees and hip
    displacement (n, 3) in metres, for the n values of the fault metric.

    The movements that come with every rep (a squat's forward tilt, a bridge's
    lift, the anterior tilt of a prone extension) have a size drawn once for the
    set, scaled by 0.8-1.2 from rep to rep.
    """
    n = fault.size
    ex, side = spec.exercise, spec.side
    ang = np.zeros((n, 3))
    hip = np.zeros((n, 3))

    def per_rep(size: float) -> np.ndarray:
        return size * rng.uniform(0.8, 1.2, n)

    if ex in ("single_leg_squat", "knee_drive"):
        unsupported = opposite_side(side) if ex == "single_leg_squat" else side
        # rotating about a by +x raises l: a drop of the right side
        ang[:, 0] = -_side_sign(unsupported) * fault
        if ex == "single_leg_squat":
            depth = per_rep(rng.uniform(0.15, 0.25))
            ang[:, 1] = per_rep(rng.uniform(15.0, 25.0))  # anterior tilt
            ang[:, 2] = rng.normal(0.0, 3.0, n)           # turning while squatting
            hip[:, 0] = -0.3 * depth
            hip[:, 2] = -depth
        else:
            ang[:, 1] = -per_rep(rng.uniform(7.0, 13.0))  # posterior tilt at the top
            ang[:, 2] = rng.normal(0.0, 2.0, n)
            hip[:, 2] = per_rep(0.02)
    elif ex == "clamshell":
        ang[:, 0] = rng.normal(0.0, 0.3, n)
        ang[:, 1] = per_rep(0.5)  # about l, vertical when side-lying
        ang[:, 2] = _side_sign(side) * fault  # about u: front turns up
    elif ex == "hip_bridge":
        lift = per_rep(rng.uniform(20.0, 30.0))
        ang[:, 0] = rng.normal(0.0, 0.3, n)
        ang[:, 1] = -lift
        ang[:, 2] = -fault  # about u: raises the left side when negative
        hip[:, 2] = 0.18 * lift / 25.0
    elif ex == "prone_hip_extension":
        ang[:, 0] = rng.normal(0.0, 0.3, n)
        ang[:, 1] = per_rep(rng.uniform(2.5, 5.0))  # anterior tilt: hip flexors' pull
        ang[:, 2] = _side_sign(side) * fault
    else:
        raise ValueError(f"{ex} is not a rep exercise")
    return ang, hip


def _sway(posture: str, rng: np.random.Generator, scale: float) -> tuple[Sines, Sines]:
    if posture == "standing_one_leg":
        deg, m, n, band = _ONE_LEG_SWAY_DEG, _ONE_LEG_SWAY_M, 4, (0.15, 1.2)
    elif posture == "standing":
        deg, m, n, band = _STANDING_SWAY_DEG, _STANDING_SWAY_M, 4, (0.15, 1.2)
    else:  # lying: breathing
        deg, m, n, band = _LYING_SWAY_DEG, _LYING_SWAY_M, 2, (0.2, 0.35)
    return (Sines.random(rng, deg * scale, n=n, band_hz=band),
            Sines.random(rng, m * scale, n=n, band_hz=band))


class _Timeline:
    """Collects keyframes (time, angles a/l/u deg, hip xyz m)."""

    def __init__(self, t0: float) -> None:
        self.rows: list[tuple[float, np.ndarray, np.ndarray]] = [
            (t0, np.zeros(3), np.zeros(3))]

    @property
    def t(self) -> float:
        return self.rows[-1][0]

    @property
    def last(self) -> tuple[np.ndarray, np.ndarray]:
        return self.rows[-1][1], self.rows[-1][2]

    def to(self, dt: float, ang: np.ndarray | None = None, hip: np.ndarray | None = None) -> float:
        """Move to ``ang``/``hip`` (default: stay) over ``dt`` seconds; the new time."""
        last_ang, last_hip = self.last
        self.rows.append((self.t + dt, last_ang if ang is None else np.asarray(ang, float),
                          last_hip if hip is None else np.asarray(hip, float)))
        return self.t

    def fidget(self, rng: np.random.Generator, up_axis: np.ndarray) -> tuple[float, float]:
        """A turn of 2-5 deg about the vertical axis and a hip shift, then back."""
        start = self.t
        ang, hip = self.last
        turn = up_axis * rng.choice([-1, 1]) * rng.uniform(2.0, 5.0)
        shift = rng.normal(0, 0.01, 3)
        self.to(rng.uniform(0.5, 0.8), ang + turn, hip + shift)
        self.to(rng.uniform(0.5, 0.8), ang + rng.normal(0, 0.1, 3), hip)
        return start, self.t

    def keyframes(self) -> tuple[Keyframes, Keyframes]:
        times = np.array([r[0] for r in self.rows])
        return (Keyframes(times, np.array([r[1] for r in self.rows])),
                Keyframes(times, np.array([r[2] for r in self.rows])))


def plan_set(spec: SetSpec, t0_s: float, rng: np.random.Generator) -> SetPlan:
    """The motion and timeline of one set starting at ``t0_s`` (sensor clock, s)."""
    ex = EXERCISES[spec.exercise]
    if spec.side not in ex.sides:
        raise ValueError(f"{ex.id} takes side {' or '.join(ex.sides)}, not {spec.side!r}")
    up_axis = ex.up_axis(spec.side)
    fidget = bool(rng.random() < 0.5) if spec.fidget is None else spec.fidget
    tl = _Timeline(t0_s)
    quiet_end = tl.to(rng.uniform(2.5, 4.0))
    fidgets = []
    if fidget:
        fidgets.append(tl.fidget(rng, up_axis))
        tl.to(rng.uniform(0.5, 1.0))
    reps: list[RepTiming] = []
    hold = None
    fault = None
    if ex.kind == "reps":
        style = _STYLES[ex.id]
        n = spec.reps if spec.reps is not None else int(rng.integers(10, 16))
        if n < 0:
            raise ValueError("reps must be >= 0")
        fault = spec.fault_deg if spec.fault_deg is not None else float(
            rng.uniform(*style.good_fault_deg))
        rep_sd = spec.rep_sd_deg if spec.rep_sd_deg is not None else 0.2 + 0.12 * abs(fault)
        values = fault + rng.normal(0.0, rep_sd, n)
        peak_ang, peak_hip = _rep_targets(spec, values, rng)
        hold_mean = spec.hold_s if spec.hold_s is not None else float(rng.uniform(*style.hold_s))
        for k in range(n):
            start = tl.t
            top_start = tl.to(rng.uniform(*style.up_s), peak_ang[k], peak_hip[k])
            hold_k = max(0.0, hold_mean * rng.uniform(0.85, 1.15)) if hold_mean > 0 else 0.0
            if hold_k > 0.02:
                # a slight settling during the hold, well inside the top part
                tl.to(hold_k, peak_ang[k] * rng.uniform(0.98, 1.0))
            top_end = tl.t
            end = tl.to(rng.uniform(*style.down_s), rng.normal(0, 0.15, 3), np.zeros(3))
            reps.append(RepTiming(start, top_start, top_end, end))
            if k < n - 1:
                tl.to(rng.uniform(*style.rest_s))
    else:
        hold = _plan_stretch(spec, tl, rng)
    tl.to(rng.uniform(1.0, 2.0))
    if fidget:
        fidgets.append(tl.fidget(rng, up_axis))
    end = tl.to(rng.uniform(1.0, 2.0))
    ang_kf, hip_kf = tl.keyframes()
    ang_sway, hip_sway = _sway(ex.posture, rng, spec.sway_scale)
    motion = Motion(base=base_orientation(ex.posture, spec.side),
                    outer_axis="a" if ex.posture.startswith("standing") else "u",
                    angles_deg=ang_kf, hip_m=hip_kf, angle_sway_deg=ang_sway,
                    hip_sway_m=hip_sway, heading_deg=float(rng.uniform(-180, 180)))
    return SetPlan(spec=spec, motion=motion, start_s=t0_s, end_s=end,
                   reference_s=(t0_s, quiet_end), reps=tuple(reps), hold=hold,
                   fidgets_s=tuple(fidgets), fault_deg=fault)


def _plan_stretch(spec: SetSpec, tl: _Timeline, rng: np.random.Generator
                  ) -> tuple[float, float]:
    """Get into the stretch, hold it, come out. Returns (hold start, hold end)."""
    s = _side_sign(spec.side)
    duration = spec.hold_s if spec.hold_s is not None else float(rng.normal(30.5, 1.0))
    if spec.exercise == "hip_stretch":
        tilt = rng.normal(10.0, 2.5)
        target = np.array([0.0, -tilt, s * rng.uniform(0.5, 2.0)])
        hip = np.array([0.0, 0.0, 0.01])
        tl.to(rng.uniform(2.5, 4.0), target, hip)
    else:  # hip_flexor_stretch: lean forward to put the foot up, then tuck under
        tilt = rng.normal(6.0, 2.0)
        lean = np.array([s * rng.uniform(1.0, 3.0), rng.uniform(8.0, 15.0), s * 3.0])
        tl.to(rng.uniform(1.2, 2.0), lean, np.array([0.05, 0.0, -0.05]))
        target = np.array([-s * rng.uniform(0.5, 2.0), -tilt, s * rng.uniform(2.0, 6.0)])
        hip = np.array([0.2, 0.0, -0.12])
        tl.to(rng.uniform(1.5, 2.5), target, hip)
    hold_start = tl.t
    # breathing and a slow settling into the stretch during the hold
    tl.to(duration, target + np.array([0.0, -rng.uniform(0.0, 1.5), 0.0]), hip)
    hold_end = tl.t
    if spec.exercise == "hip_flexor_stretch":  # lean forward again to take the foot down
        tl.to(rng.uniform(1.0, 1.8), lean * rng.uniform(0.8, 1.1), np.array([0.1, 0.0, -0.05]))
    tl.to(rng.uniform(1.5, 3.0), rng.normal(0, 0.3, 3), np.zeros(3))
    return hold_start, hold_end


@dataclass(frozen=True)
class CalibrationPlan:
    """The calibration recording: quiet stand, two hip hinges, quiet stand."""

    motion: Motion
    start_s: float
    end_s: float
    quiet_s: tuple[tuple[float, float], tuple[float, float]]
    hinges_s: tuple[tuple[float, float], ...]
    hinge_peak_deg: tuple[float, ...]


def plan_calibration(t0_s: float, rng: np.random.Generator) -> CalibrationPlan:
    """Stand still 3-4 s, two slow 30-45 deg hip hinges, stand still 3-4 s."""
    tl = _Timeline(t0_s)
    first_quiet_end = tl.to(rng.uniform(3.0, 4.0))
    hinges, peaks = [], []
    for k in range(2):
        start = tl.t
        peak = float(rng.uniform(30.0, 45.0))
        # a hinge a little off the sagittal plane, as people do it
        tl.to(rng.uniform(1.5, 2.5), [rng.normal(0, 1.0), peak, rng.normal(0, 2.0)],
              [0.0, 0.0, 0.0])
        tl.to(rng.uniform(0.3, 1.0))
        hinges.append((start, tl.to(rng.uniform(1.5, 2.5), rng.normal(0, 0.2, 3))))
        peaks.append(peak)
        tl.to(rng.uniform(1.0, 2.0) if k == 0 else 0.5)
    second_quiet_start = tl.t
    end = tl.to(rng.uniform(3.0, 4.0))
    ang_sway, hip_sway = Sines.random(rng, _STANDING_SWAY_DEG * 0.5), Sines.random(
        rng, _STANDING_SWAY_M * 0.5)
    ang_kf, hip_kf = tl.keyframes()
    motion = Motion(base=base_orientation("standing", "both"), outer_axis="a",
                    angles_deg=ang_kf, hip_m=hip_kf, angle_sway_deg=ang_sway,
                    hip_sway_m=hip_sway, heading_deg=float(rng.uniform(-180, 180)))
    return CalibrationPlan(motion, t0_s, end, ((t0_s, first_quiet_end),
                                               (second_quiet_start, end)),
                           tuple(hinges), tuple(peaks))
