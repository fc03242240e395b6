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

Realism (``plan_set(..., realism=r)``): 0 is the original, idealised model
(byte-for-byte as before for a seed). Above 0 the realities of real movement
come in, each drawn per set with a probability and an amplitude that grow with
r (1 = as in real recordings, 2 = doubled): postural sway and skin wobble of
measured size, starts that are short, fidgety, stepped into or still moving,
asymmetric and overshooting reps with non-minimum-jerk velocity, continuous
reps, a few very small reps, multi-hump squats (double hump, split squat,
lunge), packet-loss bursts inside reps, and a wobbly settling into stretches.
Each can also be forced through a :class:`SetSpec` field, at any realism.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    Realities (``None`` = drawn at random under the set's realism, off at
    realism 0; a value forces it at any realism, with realism-1 amplitudes
    when the realism is 0):
        start: "quiet" (2.5-4 s still), "short" (1.5-2 s still, first rep at
            ~2 s), "fidgety" (1-3 weight shifts tilting the pelvis 1-3 deg, then
            1.5-3 s still), "step_in" (standing: from two-leg standing onto one
            leg or into a split stance, 3-12 deg of tilt/roll and a turn; lying:
            starts standing and gets down onto the floor, ~90 deg over 3-6 s;
            then 1.5-3 s still), "mid_movement" (the recording starts while a
            3-10 deg movement into the home posture is in progress).
        rep_shape: "simple", or for single-leg squats "double_hump" (forward to
            T, back to 0.3-0.7 T at the bottom, forward again, home),
            "split_squat" (2-3 humps, not home in between), "lunge" (step
            forward, descend, rise, step back: 3 humps).
        rep_profile: "min_jerk" or "skewed" (non-minimum-jerk progress, velocity
            peaking early or late, at 30-70 % of a move, different up and down).
        overshoot: fraction of the rep by which the return passes home before
            settling back (0 = none; realism 1 draws 0.10-0.20).
        continuous: rests of 0-0.1 s between reps.
        small_reps: how many reps are only 25-35 % of the typical size.
        gaps: how many packet-loss bursts of 0.3-2 s fall inside reps.
        settle: stretches: a wobble while settling into the stretch (0.6-1.5 s)
            before the hold starts.

    At realism above 0, ``fidget`` only adds the fidget after the last rep; the
    start is the ``start`` kind's.
    """

    exercise: str
    side: str
    reps: int | None = None
    hold_s: float | None = None
    fault_deg: float | None = None
    rep_sd_deg: float | None = None
    fidget: bool | None = None
    sway_scale: float = 1.0
    start: str | None = None
    rep_shape: str | None = None
    rep_profile: str | None = None
    overshoot: float | None = None
    continuous: bool | None = None
    small_reps: int | None = None
    gaps: int | None = None
    settle: bool | None = None


START_KINDS = ("quiet", "short", "fidgety", "step_in", "mid_movement")
REP_SHAPES = ("simple", "double_hump", "split_squat", "lunge")
REP_PROFILES = ("min_jerk", "skewed")
_REALITY_FIELDS = ("start", "rep_shape", "rep_profile", "overshoot", "continuous",
                   "small_reps", "gaps", "settle")


@dataclass(frozen=True)
class RepTiming:
    """One rep on the recording's clock: leaves rest at ``start_s``, reaches the
    top at ``top_start_s``, leaves it at ``top_end_s``, is back at ``end_s``.
    Multi-hump reps (``humps`` > 1): top_start/top_end are the first and last
    peak; the truth computes their hold numerically."""

    start_s: float
    top_start_s: float
    top_end_s: float
    end_s: float
    humps: int = 1

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
    #: The realism the set was planned with; ``legacy``: the original model
    #: (realism 0, nothing forced): the truth keeps its original keys and formulas.
    realism: float = 0.0
    legacy: bool = True
    start_kind: str = "quiet"
    #: Stepping in, settling or fidgeting before the quiet home period.
    start_moves_s: tuple[float, float] | None = None
    rep_shape: str = "simple"
    rep_profile: str = "min_jerk"
    overshoot: float = 0.0
    continuous: bool = False
    small_reps: tuple[int, ...] = ()
    #: Packet-loss bursts placed inside reps (on top of the random loss).
    gaps_s: tuple[tuple[float, float], ...] = ()
    #: Stretches: the wobbly settling into the stretch, just before the hold.
    settle_s: tuple[float, float] | None = None


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


def _rep_peaks(spec: SetSpec, style: _Style, rng: np.random.Generator
               ) -> tuple[int, float, np.ndarray, np.ndarray]:
    """(rep count, intended fault, per-rep peak angles (n, 3) deg, peak hip
    displacements (n, 3) m), drawn in that order from ``rng``."""
    n = spec.reps if spec.reps is not None else int(rng.integers(10, 16))
    if n < 0:
        raise ValueError("reps must be >= 0")
    fault = spec.fault_deg if spec.fault_deg is not None else float(
        rng.uniform(*style.good_fault_deg))
    rep_sd = spec.rep_sd_deg if spec.rep_sd_deg is not None else 0.2 + 0.12 * abs(fault)
    peak_ang, peak_hip = _rep_targets(spec, fault + rng.normal(0.0, rep_sd, n), rng)
    return n, fault, peak_ang, peak_hip


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
    """Collects keyframes (time, angles a/l/u deg, hip xyz m, skew of the
    segment ending there)."""

    def __init__(self, t0: float, ang: np.ndarray | None = None,
                 hip: np.ndarray | None = None) -> None:
        self.rows: list[tuple[float, np.ndarray, np.ndarray, float]] = [
            (t0, np.zeros(3) if ang is None else np.asarray(ang, float),
             np.zeros(3) if hip is None else np.asarray(hip, float), 0.0)]

    @property
    def t(self) -> float:
        return self.rows[-1][0]

    @property
    def last(self) -> tuple[np.ndarray, np.ndarray]:
        return self.rows[-1][1], self.rows[-1][2]

    def to(self, dt: float, ang: np.ndarray | None = None, hip: np.ndarray | None = None,
           skew: float = 0.0) -> float:
        """Move to ``ang``/``hip`` (default: stay) over ``dt`` seconds, minimum-jerk
        progress warped by ``skew`` (see Keyframes); the new time."""
        last_ang, last_hip = self.last
        self.rows.append((self.t + dt, last_ang if ang is None else np.asarray(ang, float),
                          last_hip if hip is None else np.asarray(hip, float), float(skew)))
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
        skews = np.array([r[3] for r in self.rows[1:]])
        if np.all(skews == 0.0):
            return (Keyframes(times, np.array([r[1] for r in self.rows])),
                    Keyframes(times, np.array([r[2] for r in self.rows])))
        return (Keyframes(times, np.array([r[1] for r in self.rows]), skews),
                Keyframes(times, np.array([r[2] for r in self.rows]), skews))


def plan_set(spec: SetSpec, t0_s: float, rng: np.random.Generator,
             realism: float = 0.0) -> SetPlan:
    """The motion and timeline of one set starting at ``t0_s`` (sensor clock, s).

    ``realism`` 0 is the original model (the same plan for the same rng as
    before); see the module's docstring for what higher values add.
    """
    ex = EXERCISES[spec.exercise]
    if spec.side not in ex.sides:
        raise ValueError(f"{ex.id} takes side {' or '.join(ex.sides)}, not {spec.side!r}")
    real = _resolve_realities(spec, realism, rng)
    if real is not None:
        return _plan_set_real(spec, t0_s, rng, real)
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
        n, fault, peak_ang, peak_hip = _rep_peaks(spec, style, rng)
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
    #: Weight shifts during the stands (realism > 0): (start, end of the move).
    weight_shifts_s: tuple[tuple[float, float], ...] = field(default=())
    realism: float = 0.0


def plan_calibration(t0_s: float, rng: np.random.Generator,
                     realism: float = 0.0) -> CalibrationPlan:
    """Stand still 3-4 s, two slow 30-45 deg hip hinges, stand still 3-4 s.

    Above realism 0 the stands sway as quiet two-leg standing does (and the
    sensor wobbles on the skin), and a stand sometimes holds a small weight
    shift (``weight_shifts_s``).
    """
    if realism < 0:
        raise ValueError("realism must be >= 0")
    if realism > 0:
        return _plan_calibration_real(t0_s, rng, realism)
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


# ----------------------------------------------------------------- realism


@dataclass(frozen=True)
class _Realities:
    """What a set's realities are, drawn (or forced) once per set."""

    realism: float
    level: float  # amplitude scale: the realism, or 1 when only forced at realism 0
    start: str
    rep_shape: str
    rep_profile: str
    overshoot: float
    continuous: bool
    small_reps: int
    gaps: int
    settle: bool


#: Gyroscope SD (deg/s, of the whole vector) at realism 1: the pelvis's postural
#: sway (content 0.1-1.5 Hz) and the sensor's wobble on the skin (3-10 Hz).
_REAL_SWAY_DPS = {"standing": (0.9, 1.15), "standing_one_leg": (1.4, 1.9)}
_REAL_WOBBLE_DPS = {"standing": (0.5, 0.8), "standing_one_leg": (0.6, 0.9), "lying": (0.2, 0.4)}
_SWAY_BAND_HZ = (0.1, 1.5)
_WOBBLE_BAND_HZ = (3.0, 10.0)
#: Share of the sway rate per pelvis axis (a, l, u), unit length.
_SWAY_AXES = np.array([0.35, 0.3, 0.4]) / np.linalg.norm([0.35, 0.3, 0.4])
_WOBBLE_AXES = np.array([1.0, 1.0, 0.7]) / np.linalg.norm([1.0, 1.0, 0.7])
#: Breathing when lying, RMS deg per axis at realism 1 (0.2-0.35 Hz).
_REAL_BREATHING_DEG = np.array([0.12, 0.18, 0.12])
#: Growth of the wobble with the pelvis's angular speed (see Motion).
_WOBBLE_SPEED_GAIN = 0.5


def _resolve_realities(spec: SetSpec, realism: float, rng: np.random.Generator
                       ) -> _Realities | None:
    """Draw the set's realities; None for the original model (realism 0 and
    nothing forced), which must not touch ``rng`` here."""
    if realism < 0:
        raise ValueError("realism must be >= 0")
    forced = [f for f in _REALITY_FIELDS if getattr(spec, f) is not None]
    ex = EXERCISES[spec.exercise]
    if spec.start is not None and spec.start not in START_KINDS:
        raise ValueError(f"start must be one of {', '.join(START_KINDS)}")
    if spec.rep_shape is not None:
        if spec.rep_shape not in REP_SHAPES:
            raise ValueError(f"rep_shape must be one of {', '.join(REP_SHAPES)}")
        if spec.rep_shape != "simple" and ex.id != "single_leg_squat":
            raise ValueError(f"rep_shape {spec.rep_shape!r} is a single_leg_squat shape")
    if spec.rep_profile is not None and spec.rep_profile not in REP_PROFILES:
        raise ValueError(f"rep_profile must be one of {', '.join(REP_PROFILES)}")
    if realism == 0 and not forced:
        return None
    r = float(realism)
    level = r if r > 0 else 1.0

    def chance(p1: float) -> bool:  # probability p1 at realism 1, scaled, capped at 1
        return r > 0 and bool(rng.random() < min(1.0, p1 * r))

    start = spec.start
    if start is None:
        start = "quiet"
        if r > 0:
            w = np.array([1.0] + [0.75 * r] * (len(START_KINDS) - 1))
            start = str(rng.choice(START_KINDS, p=w / w.sum()))
    shape = spec.rep_shape
    if shape is None:
        shape = "simple"
        if r > 0 and ex.id == "single_leg_squat":
            w = np.array([1.0, 0.3 * r, 0.15 * r, 0.15 * r])
            shape = str(rng.choice(REP_SHAPES, p=w / w.sum()))
    profile = spec.rep_profile or ("skewed" if chance(0.5) else "min_jerk")
    overshoot = spec.overshoot
    if overshoot is None:
        overshoot = float(rng.uniform(0.10, 0.20) * level) if chance(0.4) else 0.0
    continuous = spec.continuous if spec.continuous is not None else chance(0.25)
    small = spec.small_reps
    if small is None:
        small = int(rng.integers(1, 4)) if ex.id == "clamshell" and chance(0.4) else 0
    gaps = spec.gaps
    if gaps is None:
        gaps = int(rng.poisson(0.25 * r)) if r > 0 and ex.kind == "reps" else 0
    settle = spec.settle
    if settle is None:
        settle = chance(0.7 if ex.id == "hip_flexor_stretch" else 0.35) if ex.kind == "hold" \
            else False
    if overshoot < 0 or small < 0 or gaps < 0:
        raise ValueError("overshoot, small_reps and gaps must be >= 0")
    return _Realities(r, level, start, shape, profile, float(overshoot), bool(continuous),
                      int(small), int(gaps), bool(settle))


def _posture_key(posture: str) -> str:
    return posture if posture in ("standing", "standing_one_leg") else "lying"


def _up_channel(ex_id: str, side: str) -> int:
    """Index (0 a, 1 l, 2 u) of the pelvis axis that is vertical in the posture."""
    return int(np.argmax(np.abs(EXERCISES[ex_id].up_axis(side))))


def _real_sway(posture: str, rng: np.random.Generator, level: float
               ) -> tuple[Sines, Sines, Sines | None]:
    """Realistic sway: (pelvis angle sway, hip sway, sensor wobble), amplitudes
    times ``level``."""
    key = _posture_key(posture)
    if level <= 0:
        return Sines.zero(3), Sines.zero(3), None
    if key == "lying":
        ang = Sines.random(rng, _REAL_BREATHING_DEG * rng.uniform(0.8, 1.2) * level, n=2,
                           band_hz=(0.2, 0.35))
        hip = Sines.random(rng, _LYING_SWAY_M * level, n=2, band_hz=(0.2, 0.35))
    else:
        total = rng.uniform(*_REAL_SWAY_DPS[key]) * level
        ang = Sines.random_rate(rng, _SWAY_AXES * total, n=10, band_hz=_SWAY_BAND_HZ)
        m = _ONE_LEG_SWAY_M if key == "standing_one_leg" else _STANDING_SWAY_M
        hip = Sines.random(rng, m * level, n=4, band_hz=(0.15, 1.2))
    wobble = Sines.random_rate(rng, _WOBBLE_AXES * rng.uniform(*_REAL_WOBBLE_DPS[key]) * level,
                               n=8, band_hz=_WOBBLE_BAND_HZ)
    return ang, hip, wobble


def _horizontal_offset(rng: np.random.Generator, up: int, size: float) -> np.ndarray:
    """A tilt of ``size`` deg in a random direction about the two horizontal axes."""
    out = np.zeros(3)
    phi = rng.uniform(0, 2 * np.pi)
    horizontal = [c for c in range(3) if c != up]
    out[horizontal[0]] = size * np.cos(phi)
    out[horizontal[1]] = size * np.sin(phi)
    return out


def _standing_up_from(ex_id: str, side: str) -> np.ndarray:
    """Channel angles (deg about a, l, u) that turn a lying posture into upright
    standing: 90 deg about u x up, taking the pelvis's u to the vertical."""
    up = EXERCISES[ex_id].up_axis(side)
    return 90.0 * np.cross([0.0, 0.0, 1.0], up)


def _plan_start(spec: SetSpec, real: _Realities, t0_s: float, rng: np.random.Generator
                ) -> tuple[_Timeline, float, list[tuple[float, float]],
                           tuple[Sines, Keyframes] | None]:
    """The part of the set before the quiet home period. Returns the timeline
    (now at home), when the home period starts, the fidgets, and for getting
    down onto the floor the two-leg standing sway with its envelope."""
    ex = EXERCISES[spec.exercise]
    up = _up_channel(ex.id, spec.side)
    lvl = real.level
    lying = _posture_key(ex.posture) == "lying"
    kind = real.start
    fidgets: list[tuple[float, float]] = []
    extra = None
    if kind in ("quiet", "short"):
        tl = _Timeline(t0_s)
    elif kind == "fidgety":
        tl = _Timeline(t0_s)
        tl.to(rng.uniform(0.3, 1.0))
        for _ in range(int(rng.integers(1, 4))):
            start = tl.t
            ang = _horizontal_offset(rng, up, rng.uniform(1.0, 3.0) * lvl)
            ang[up] = rng.uniform(-3.0, 3.0) * lvl
            hip = rng.normal(0.0, 0.01 * lvl, 3) * (0.3 if lying else 1.0)
            tl.to(rng.uniform(0.4, 0.9), ang, hip)
            tl.to(rng.uniform(0.2, 0.8))
            fidgets.append((start, tl.t))
        tl.to(rng.uniform(0.5, 0.9), np.zeros(3), np.zeros(3))
    elif kind == "step_in" and lying:
        # standing upright, then down onto the floor: ~90 deg in 3-6 s
        ang0 = _standing_up_from(ex.id, spec.side)
        hip0 = np.array([rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(0.7, 0.8)])
        tl = _Timeline(t0_s, ang0, hip0)
        down_start = tl.to(rng.uniform(0.5, 1.5))
        total = rng.uniform(3.0, 6.0)
        shares = rng.dirichlet([4.0, 3.0, 3.0])
        other = rng.normal(0.0, 8.0 * lvl, 3)
        other[np.argmax(np.abs(ang0))] = 0.0
        tl.to(total * shares[0], ang0 * rng.uniform(0.55, 0.75) + other,
              hip0 * np.array([0.6, 0.6, rng.uniform(0.35, 0.5)]))
        kneel = tl.t
        tl.to(total * shares[1], ang0 * rng.uniform(0.1, 0.25) + 0.4 * other,
              hip0 * np.array([0.2, 0.2, 0.1]))
        tl.to(total * shares[2], np.zeros(3), np.zeros(3))
        # settling on the floor
        tl.to(rng.uniform(0.2, 0.4), rng.normal(0.0, 1.0 * lvl, 3))
        tl.to(rng.uniform(0.3, 0.6), np.zeros(3))
        fidgets.append((down_start, tl.t))
        two_leg = Sines.random_rate(rng, _SWAY_AXES * rng.uniform(*_REAL_SWAY_DPS["standing"])
                                    * lvl * spec.sway_scale, n=10, band_hz=_SWAY_BAND_HZ)
        extra = (two_leg, Keyframes([down_start, kneel], [1.0, 0.0]))
    elif kind == "step_in":
        # from two-leg standing onto one leg or into a split stance
        ang0 = _horizontal_offset(rng, up, rng.uniform(3.0, 12.0) * lvl)
        ang0[up] = rng.choice([-1.0, 1.0]) * rng.uniform(5.0, 20.0) * lvl
        hip0 = np.array([rng.uniform(-0.15, 0.05), rng.choice([-1.0, 1.0])
                         * rng.uniform(0.04, 0.10), rng.uniform(0.0, 0.03)])
        tl = _Timeline(t0_s, ang0, hip0)
        step_start = tl.to(rng.uniform(0.3, 1.5))
        # weight onto the standing leg first, then the step
        tl.to(rng.uniform(0.4, 0.8), ang0 * rng.uniform(0.4, 0.7), hip0 * 0.4)
        tl.to(rng.uniform(0.6, 1.2), -ang0 * rng.uniform(0.05, 0.2), np.zeros(3))
        tl.to(rng.uniform(0.3, 0.6), np.zeros(3))
        fidgets.append((step_start, tl.t))
    elif kind == "mid_movement":
        ang0 = _horizontal_offset(rng, up, rng.uniform(3.0, 10.0) * lvl)
        ang0[up] = rng.uniform(-5.0, 5.0) * lvl
        hip0 = rng.normal(0.0, 0.02 * lvl, 3) * (0.3 if lying else 1.0)
        duration = rng.uniform(0.8, 1.6)
        lead = duration * rng.uniform(0.3, 0.7)
        tl = _Timeline(t0_s - lead, ang0, hip0)
        tl.to(duration, -ang0 * rng.uniform(0.0, 0.12), np.zeros(3))
        tl.to(rng.uniform(0.3, 0.6), np.zeros(3))
        fidgets.append((t0_s, tl.t))
    else:  # pragma: no cover - checked in _resolve_realities
        raise ValueError(kind)
    return tl, tl.t, fidgets, extra


def _skew(rng: np.random.Generator, real: _Realities | float) -> float:
    """A keyframe skew: 0 for minimum jerk, else (a skewed profile, or a level
    given as a number) an early or late peak velocity."""
    if isinstance(real, _Realities):
        if real.rep_profile != "skewed":
            return 0.0
        real = real.level
    return float(np.clip(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 0.7) * real, -0.9, 0.9))


def _plan_reps_real(spec: SetSpec, tl: _Timeline, rng: np.random.Generator,
                    real: _Realities) -> tuple[list[RepTiming], float, tuple[int, ...]]:
    """The reps with the realities of the set. Returns (reps, fault, small reps)."""
    ex = EXERCISES[spec.exercise]
    style = _STYLES[ex.id]
    lvl = real.level
    n, fault, peak_ang, peak_hip = _rep_peaks(spec, style, rng)
    # rep size varies more than the fault alone: the whole movement scales
    size = np.clip(1.0 + rng.normal(0.0, 0.07 * lvl, n), 0.6, 1.4) if real.realism > 0 \
        else np.ones(n)
    small: tuple[int, ...] = ()
    if real.small_reps and n > 1:
        picks = rng.choice(np.arange(1, n), size=min(real.small_reps, n - 1), replace=False)
        small = tuple(sorted(int(i) for i in picks))
        for i in small:
            # 25-35 % of the typical rep, but its largest angle at least 1 deg
            biggest = max(float(np.max(np.abs(peak_ang[i]))), 1e-6)
            size[i] = max(rng.uniform(0.25, 0.35), min(1.0, 1.0 / biggest))
    hold_mean = spec.hold_s if spec.hold_s is not None else float(rng.uniform(*style.hold_s))
    # tempo: the way up and the way down differ
    q = float(np.clip(np.exp(rng.normal(0.0, 0.25 * lvl)), 0.5, 2.0)) \
        if real.realism > 0 or real.rep_profile == "skewed" else 1.0
    g_up, g_down = _skew(rng, real), _skew(rng, real)
    reps: list[RepTiming] = []
    for k in range(n):
        a, h = peak_ang[k] * size[k], peak_hip[k] * size[k]
        up = rng.uniform(*style.up_s) * q
        down = rng.uniform(*style.down_s) / q
        gu = float(np.clip(g_up + rng.normal(0, 0.1), -0.9, 0.9)) if g_up else 0.0
        gd = float(np.clip(g_down + rng.normal(0, 0.1), -0.9, 0.9)) if g_down else 0.0
        start = tl.t
        humps = 1
        shape = real.rep_shape
        if shape == "simple":
            top_start = tl.to(up, a, h, gu)
            hold_k = max(0.0, hold_mean * rng.uniform(0.85, 1.15)) if hold_mean > 0 else 0.0
            if hold_k > 0.02:
                tl.to(hold_k, a * rng.uniform(0.98, 1.0))
            top_end = tl.t
        elif shape in ("double_hump", "split_squat"):
            humps = 2 if shape == "double_hump" else int(rng.integers(2, 4))
            bounce = np.array([0.0, 0.0, 1.0])  # hips lowest at the bottoms
            top_start = tl.to(up * rng.uniform(0.6, 0.8),
                              a * np.array([rng.uniform(0.8, 0.95), rng.uniform(0.95, 1.05), 1]),
                              h * (1 - 0.4 * bounce), gu)
            for _ in range(humps - 1):
                dip = rng.uniform(0.3, 0.7) if shape == "double_hump" else rng.uniform(0.35, 0.7)
                tl.to(rng.uniform(0.4, 0.8), a * np.array([1.0, dip, 1.0]), h)
                tl.to(rng.uniform(0.4, 0.8),
                      a * np.array([rng.uniform(0.8, 0.95), rng.uniform(0.85, 1.05), 1.0]),
                      h * (1 - 0.4 * bounce))
            top_end = tl.t
        else:  # lunge: step forward, descend, rise, step back
            humps = 3
            turn = rng.choice([-1.0, 1.0]) * rng.uniform(4.0, 10.0)
            reach = rng.uniform(0.3, 0.5)  # the pelvis moves about half the step
            lateral = rng.normal(0.0, 0.03)
            tl.to(rng.uniform(0.7, 1.1), np.array([0.3 * a[0], rng.uniform(0.5, 0.8) * a[1],
                                                   a[2] + turn]),
                  np.array([reach, lateral, -0.05]))
            tl.to(rng.uniform(0.3, 0.6), np.array([0.3 * a[0], rng.uniform(0.2, 0.4) * a[1],
                                                   a[2] + turn]),
                  np.array([reach, lateral, -0.08]))
            top_start = tl.to(up, np.array([a[0], a[1], a[2] + turn]),
                              np.array([reach + 0.05, lateral, h[2] * 1.5]), gu)
            top_end = top_start
            tl.to(rng.uniform(0.8, 1.2), np.array([0.3 * a[0], rng.uniform(0.2, 0.4) * a[1],
                                                   a[2] + turn]),
                  np.array([reach, lateral, -0.08]), gd)
            tl.to(rng.uniform(0.6, 1.0), np.array([0.2 * a[0], rng.uniform(0.5, 0.8) * a[1],
                                                   0.5 * (a[2] + turn)]),
                  np.array([0.4 * reach, 0.5 * lateral, -0.04]))
            down = rng.uniform(0.6, 1.0)
        rest_pose = rng.normal(0, 0.15, 3)
        if real.overshoot > 0:
            over = real.overshoot * rng.uniform(0.8, 1.2)
            tl.to(down, rest_pose - over * tl.last[0], np.zeros(3), gd)
            tl.to(rng.uniform(0.3, 0.7), rest_pose)
        else:
            tl.to(down, rest_pose, np.zeros(3), gd)
        reps.append(RepTiming(start, top_start, top_end, tl.t, humps))
        if k < n - 1:
            rest = rng.uniform(0.0, 0.1) if real.continuous else rng.uniform(*style.rest_s)
            if rest > 0.02:
                tl.to(rest)
    return reps, fault, small


def _place_gaps(reps: list[RepTiming], count: int, rng: np.random.Generator
                ) -> tuple[tuple[float, float], ...]:
    """``count`` packet-loss bursts of 0.3-2 s, each starting inside a rep."""
    if not reps or count <= 0:
        return ()
    which = rng.choice(len(reps), size=count, replace=count > len(reps))
    gaps = []
    for i in sorted(int(w) for w in which):
        rep = reps[i]
        duration = rng.uniform(0.3, 2.0)
        span = rep.end_s - rep.start_s
        start = rep.start_s + rng.uniform(0.05, 0.95) * max(span - min(duration, span), 0.0)
        gaps.append((float(start), float(start + duration)))
    return tuple(gaps)


def _plan_set_real(spec: SetSpec, t0_s: float, rng: np.random.Generator,
                   real: _Realities) -> SetPlan:
    """plan_set with the realities of ``real``."""
    ex = EXERCISES[spec.exercise]
    up_axis = ex.up_axis(spec.side)
    fidget_end = bool(rng.random() < 0.5) if spec.fidget is None else spec.fidget
    tl, home_start, fidgets, extra = _plan_start(spec, real, t0_s, rng)
    if real.start == "short":
        quiet = rng.uniform(1.5, 2.0)
    elif real.start == "quiet":
        quiet = rng.uniform(2.5, 4.0)
    else:
        quiet = rng.uniform(1.5, 3.0)
    reference = (home_start, tl.to(quiet))
    reps: list[RepTiming] = []
    hold = settle_s = None
    fault = None
    small: tuple[int, ...] = ()
    if ex.kind == "reps":
        reps, fault, small = _plan_reps_real(spec, tl, rng, real)
    else:
        hold, settle_s = _plan_stretch_real(spec, tl, rng, real)
    tl.to(rng.uniform(1.0, 2.0))
    if fidget_end:
        fidgets.append(tl.fidget(rng, up_axis))
    end = tl.to(rng.uniform(1.0, 2.0))
    gaps = _place_gaps(reps, real.gaps, rng)
    ang_kf, hip_kf = tl.keyframes()
    if real.realism > 0:
        ang_sway, hip_sway, wobble = _real_sway(ex.posture, rng, real.level * spec.sway_scale)
    else:
        (ang_sway, hip_sway), wobble = _sway(ex.posture, rng, spec.sway_scale), None
    motion = Motion(base=base_orientation(ex.posture, spec.side),
                    outer_axis="a" if ex.posture.startswith("standing") else "u",
                    angles_deg=ang_kf, hip_m=hip_kf, angle_sway_deg=ang_sway,
                    hip_sway_m=hip_sway, heading_deg=float(rng.uniform(-180, 180)),
                    extra_sway_deg=(extra,) if extra is not None and real.realism > 0 else (),
                    wobble_deg=wobble,
                    wobble_speed_gain=_WOBBLE_SPEED_GAIN if wobble is not None else 0.0)
    return SetPlan(spec=spec, motion=motion, start_s=t0_s, end_s=end,
                   reference_s=reference, reps=tuple(reps), hold=hold,
                   fidgets_s=tuple(fidgets), fault_deg=fault, realism=real.realism,
                   legacy=False, start_kind=real.start,
                   start_moves_s=None if real.start in ("quiet", "short") else (t0_s, home_start),
                   rep_shape=real.rep_shape, rep_profile=real.rep_profile,
                   overshoot=real.overshoot if ex.kind == "reps" else 0.0,
                   continuous=real.continuous and ex.kind == "reps", small_reps=small,
                   gaps_s=gaps, settle_s=settle_s)


def _plan_stretch_real(spec: SetSpec, tl: _Timeline, rng: np.random.Generator,
                       real: _Realities) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """Get into the stretch (with a wobbly settling), hold it with a few small
    adjustments, come out. Returns ((hold start, hold end), settling window)."""
    s = _side_sign(spec.side)
    lvl = real.level
    duration = spec.hold_s if spec.hold_s is not None else float(rng.normal(30.5, 1.0))
    if spec.exercise == "hip_stretch":
        tilt = rng.normal(10.0, 2.5)
        target = np.array([0.0, -tilt, s * rng.uniform(0.5, 2.0)])
        hip = np.array([0.0, 0.0, 0.01])
        tl.to(rng.uniform(2.5, 4.0), target, hip, _skew(rng, real))
        lean = None
    else:  # hip_flexor_stretch: lean forward to put the foot up, then tuck under
        tilt = rng.normal(6.0, 2.0)
        lean = np.array([s * rng.uniform(1.0, 3.0), rng.uniform(8.0, 15.0), s * 3.0])
        tl.to(rng.uniform(1.2, 2.0), lean, np.array([0.05, 0.0, -0.05]))
        target = np.array([-s * rng.uniform(0.5, 2.0), -tilt, s * rng.uniform(2.0, 6.0)])
        hip = np.array([0.2, 0.0, -0.12])
        tl.to(rng.uniform(1.5, 2.5), target, hip, _skew(rng, real))
    settle_s = None
    if real.settle:
        start = tl.t
        wobble = np.array([s * rng.uniform(0.3, 1.0), -rng.uniform(1.5, 3.0),
                           s * rng.uniform(0.3, 1.0)]) * lvl * rng.choice([-1.0, 1.0])
        tl.to(rng.uniform(0.2, 0.5), target + wobble)
        tl.to(rng.uniform(0.2, 0.5), target - 0.4 * wobble)
        tl.to(rng.uniform(0.2, 0.5), target)
        settle_s = (start, tl.t)
    hold_start = tl.t
    # breathing and a slow settling into the stretch during the hold, and now
    # and then a small adjustment that stays
    drift = np.array([0.0, -rng.uniform(0.0, 1.5), 0.0])
    n_adjust = int(rng.integers(1, 3)) if real.realism > 0 and rng.random() < min(
        1.0, 0.5 * real.realism) else 0
    cuts = np.sort(rng.uniform(0.2, 0.8, n_adjust)) * duration
    offset = np.zeros(3)
    done = 0.0
    for c in cuts:
        if c - done > 1.5:
            tl.to(c - done - 1.0, target + drift * (c - 1.0) / duration + offset, hip)
            offset = offset + _horizontal_offset(rng, _up_channel(spec.exercise, spec.side),
                                                 rng.uniform(0.5, 1.5) * lvl)
            tl.to(1.0, target + drift * c / duration + offset, hip)
            done = c
    tl.to(duration - done, target + drift + offset, hip)
    hold_end = tl.t
    if lean is not None:  # lean forward again to take the foot down
        tl.to(rng.uniform(1.0, 1.8), lean * rng.uniform(0.8, 1.1), np.array([0.1, 0.0, -0.05]))
    tl.to(rng.uniform(1.5, 3.0), rng.normal(0, 0.3, 3), np.zeros(3))
    return (hold_start, hold_end), settle_s


def _plan_calibration_real(t0_s: float, rng: np.random.Generator, realism: float
                           ) -> CalibrationPlan:
    """plan_calibration with realistic sway and wobble, and weight shifts."""
    lvl = realism
    tl = _Timeline(t0_s)
    shifts: list[tuple[float, float]] = []

    def stand(duration: float) -> None:
        start = tl.t
        if rng.random() < min(1.0, 0.3 * realism):
            tl.to(duration * rng.uniform(0.15, 0.5))
            a = tl.t
            ang, hip = tl.last
            shift = np.array([rng.choice([-1.0, 1.0]) * rng.uniform(0.7, 1.5),
                              rng.uniform(-0.6, 0.6), rng.uniform(-2.0, 2.0)]) * lvl
            lateral = np.array([0.0, rng.choice([-1.0, 1.0]) * rng.uniform(0.015, 0.035), 0.0])
            tl.to(rng.uniform(0.5, 0.9), ang + shift, hip + lateral * lvl)
            if rng.random() < 0.5:
                tl.to(rng.uniform(0.5, 0.9), ang, hip)
            shifts.append((a, tl.t))
        tl.to(max(0.3, duration - (tl.t - start)))

    stand(rng.uniform(3.0, 4.0))
    first_quiet_end = tl.t
    hinges, peaks = [], []
    for k in range(2):
        start = tl.t
        peak = float(rng.uniform(30.0, 45.0))
        tl.to(rng.uniform(1.5, 2.5), [rng.normal(0, 1.0), peak, rng.normal(0, 2.0)],
              [0.0, 0.0, 0.0], _skew(rng, lvl))
        tl.to(rng.uniform(0.3, 1.0))
        hinges.append((start, tl.to(rng.uniform(1.5, 2.5), rng.normal(0, 0.2, 3))))
        peaks.append(peak)
        tl.to(rng.uniform(1.0, 2.0) if k == 0 else 0.5)
    second_quiet_start = tl.t
    stand(rng.uniform(3.0, 4.0))
    end = tl.t
    ang_sway, hip_sway, wobble = _real_sway("standing", rng, lvl)
    ang_kf, hip_kf = tl.keyframes()
    motion = Motion(base=base_orientation("standing", "both"), outer_axis="a",
                    angles_deg=ang_kf, hip_m=hip_kf, angle_sway_deg=ang_sway,
                    hip_sway_m=hip_sway, heading_deg=float(rng.uniform(-180, 180)),
                    wobble_deg=wobble, wobble_speed_gain=_WOBBLE_SPEED_GAIN)
    return CalibrationPlan(motion, t0_s, end, ((t0_s, first_quiet_end),
                                               (second_quiet_start, end)),
                           tuple(hinges), tuple(peaks), tuple(shifts), realism)
