"""A running motion model of the sacrum for one bout, with its ground truth.

The run (running.md): a quiet stand of about 3 s, then running at 150-200
steps/min with alternating foot contacts, optionally a stop (decelerate, stand
2-4 s, restart) and a turn (90-180 deg over about 1.5 s, leaning into it), then
a stop and a short stand. Every step has its own step time (jitter, a per-side
asymmetry), contact time, the time within the stance at which the swing-side hip
is lowest, and the size of that contralateral drop (per-side medians that creep
up with fatigue, step-to-step variation). The pelvis:

* obliquity (rotation about ``a``): a bump per stance of the step's drop, the
  swing side down (left stance: left up), of a skewed shape, plus a running
  offset and sway;
* tilt (about ``l``): a running forward tilt plus an oscillation at step
  frequency; yaw (about ``u``): an oscillation at stride frequency;
* the hip centre: forward speed with braking and propulsion in every stance;
  vertical free fall in flight and a half-sine push in stance with an impact
  spike at initial contact (IC); a lateral shift over the stance foot.

The angles and positions are built on a dense 1 kHz grid and joined by cubic
splines, so :func:`hipsense.sim.imu.ideal_imu` can differentiate them anywhere.
The sensor wobbles on the skin, more just after each impact. Frames as in
:mod:`hipsense.sim.motion`: world z up, pelvis (a, l, u); angles in degrees,
positions in metres, times in seconds on the sensor clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfiltfilt
from scipy.spatial.transform import Rotation

from hipsense.consts import STANDARD_GRAVITY_MS2
from hipsense.sim.motion import Sines, min_jerk

#: Rate of the grid the motion is built on (Hz).
GRID_HZ = 1000.0
#: Rate of the grid the truth is evaluated on (Hz).
TRUTH_RATE_HZ = 1000.0


@dataclass(frozen=True)
class RunSpec:
    """What one simulated run does. ``None`` fields are drawn at random.

    Attributes:
        run_s: running time (s), starts and stops included.
        cadence_spm: steady cadence (steps/min), drawn from 150-200.
        drop_left_deg, drop_right_deg: median contralateral drop of left-foot
            and right-foot stances (deg), drawn from 2-9.
        fatigue_deg: how much the drop grows from the first to the last minute.
        stops: stops (decelerate, stand 2-4 s, run on) in the middle.
        turns: turns of 90-180 deg while running.
        quiet_s: the quiet stand before the run (s).
        harsh: harsher than life (step-time jitter 3 %, asymmetric stride
            shapes, drop variation 0.9 deg SD, more skin wobble).
    """

    run_s: float = 70.0
    cadence_spm: float | None = None
    drop_left_deg: float | None = None
    drop_right_deg: float | None = None
    fatigue_deg: float | None = None
    stops: int | None = None
    turns: int | None = None
    quiet_s: float = 3.0
    harsh: bool = True


@dataclass(frozen=True)
class StepPlan:
    """One step: the stance foot, its IC and TO (s), the drop bump's size (deg)
    and whether it belongs to steady running (not a start, stop or turn)."""

    side: str
    ic_s: float
    to_s: float
    drop_deg: float
    steady: bool


class RunMotion:
    """The pelvis during a run: world-from-pelvis orientation and hip-centre
    position (m) from splines over a dense grid; the sensor's skin wobble."""

    def __init__(self, t_s: np.ndarray, angles_deg: np.ndarray, heading_deg: np.ndarray,
                 hip_m: np.ndarray, wobble_deg: np.ndarray) -> None:
        self._angles = CubicSpline(t_s, angles_deg, axis=0)
        self._heading = CubicSpline(t_s, heading_deg)
        self._hip = CubicSpline(t_s, hip_m, axis=0)
        self._wobble = CubicSpline(t_s, wobble_deg, axis=0)
        self.start_s, self.end_s = float(t_s[0]), float(t_s[-1])

    def _clip(self, t_s: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(t_s, dtype=float), self.start_s, self.end_s)

    def angles(self, t_s: np.ndarray) -> np.ndarray:
        """(n, 3) rotations about a, l, u (deg)."""
        return self._angles(self._clip(t_s))

    def orientation(self, t_s: np.ndarray, sway: bool = True) -> Rotation:
        """World-from-pelvis rotation: heading about world z, then obliquity
        (about a), tilt (about l) and yaw (about u), intrinsic."""
        t = self._clip(t_s)
        ang = self._angles(t)
        head = Rotation.from_euler("z", self._heading(t)[:, None], degrees=True)
        return head * Rotation.from_euler("XYZ", ang, degrees=True)

    def hip_position(self, t_s: np.ndarray) -> np.ndarray:
        """(n, 3) hip-centre position in the world frame (m)."""
        return self._hip(self._clip(t_s))

    def sensor_wobble(self, t_s: np.ndarray) -> Rotation:
        """Pelvis-from-skin rotation of the sensor (soft tissue)."""
        return Rotation.from_rotvec(np.radians(self._wobble(self._clip(t_s))))


@dataclass
class RunPlan:
    motion: RunMotion
    start_s: float
    end_s: float
    quiet_s: tuple[float, float]
    steps: list[StepPlan]
    cadence_spm: float
    speed_ms: float
    stops_s: list[tuple[float, float]] = field(default_factory=list)
    turns_s: list[tuple[float, float]] = field(default_factory=list)


def _bump(t: np.ndarray, start: float, end: float, peak: float) -> np.ndarray:
    """A smooth (C1) bump 0 -> 1 -> 0 over [start, end], largest at ``peak``."""
    s = np.clip((t - start) / (end - start), 0.0, 1.0)
    sp = min(max((peak - start) / (end - start), 0.1), 0.9)
    gamma = np.log(0.5) / np.log(sp)
    return np.sin(np.pi * s ** gamma) ** 2


def _step_sequence(spec: RunSpec, t_run: float, rng: np.random.Generator, step_s: float,
                   duty: float, asym: float, jitter: float
                   ) -> tuple[list[tuple[float, float, bool, str]], list[tuple[float, float]]]:
    """(IC, contact s, steady, side) per step and the stops (start, end)."""
    n_stops = int(rng.integers(0, 2)) if spec.stops is None else spec.stops
    total = spec.run_s
    # split the running time into n_stops + 1 segments
    cuts = np.sort(rng.uniform(0.3, 0.7, n_stops)) * total if n_stops else np.array([])
    bounds = np.r_[0.0, cuts, total]
    steps: list[tuple[float, float, bool, str]] = []
    stops: list[tuple[float, float]] = []
    t = t_run
    side = "left" if rng.random() < 0.5 else "right"
    ramp = (1.45, 1.25, 1.1, 1.03)
    for seg in range(len(bounds) - 1):
        seg_end = t + (bounds[seg + 1] - bounds[seg])
        seg_steps: list[tuple[float, float, bool, str]] = []
        while t < seg_end:
            seg_steps.append((t, 0.0, True, side))
            sign = 1.0 if side == "left" else -1.0
            t += step_s * (1.0 + sign * asym) * (1.0 + rng.normal(0, jitter))
            side = "right" if side == "left" else "left"
        n = len(seg_steps)
        # starts and stops: longer steps (slower), not steady; re-time them
        times = [seg_steps[0][0]]
        for k in range(1, n):
            base = seg_steps[k][0] - seg_steps[k - 1][0]
            factor = max(ramp[k - 1] if k - 1 < len(ramp) else 1.0,
                         ramp[n - 1 - k] if n - 1 - k < len(ramp) else 1.0)
            times.append(times[-1] + base * factor)
        for k in range(n):
            slow = k < len(ramp) or n - 1 - k < len(ramp)
            step_here = (times[k + 1] - times[k]) if k + 1 < n else step_s
            contact = min(duty * step_here * (1.0 + rng.normal(0, 0.03)), 0.85 * step_here)
            steps.append((times[k], contact, not slow, seg_steps[k][3]))
        t = times[-1] + step_s * 1.2
        if seg < len(bounds) - 2:
            pause = float(rng.uniform(2.0, 4.0))
            stops.append((t, t + pause))
            t += pause
    return steps, stops


def plan_run(spec: RunSpec, t0_s: float, rng: np.random.Generator) -> RunPlan:
    """The run's motion and its plan (steps with truth, stops, turns)."""
    g = STANDARD_GRAVITY_MS2
    harsh = 1.0 if spec.harsh else 0.4
    cadence = float(rng.uniform(150, 200)) if spec.cadence_spm is None else spec.cadence_spm
    step_s = 60.0 / cadence
    duty = float(rng.uniform(0.58, 0.75))
    asym = float(rng.uniform(-0.03, 0.03)) * harsh
    jitter = 0.03 * harsh
    d_left = float(rng.uniform(2, 9)) if spec.drop_left_deg is None else spec.drop_left_deg
    d_right = float(rng.uniform(2, 9)) if spec.drop_right_deg is None else spec.drop_right_deg
    fatigue = float(rng.uniform(-0.5, 1.5)) if spec.fatigue_deg is None else spec.fatigue_deg
    quiet = spec.quiet_s + float(rng.uniform(0.0, 0.5))
    t_run = t0_s + quiet
    steps_raw, stops = _step_sequence(spec, t_run, rng, step_s, duty, asym, jitter)
    last_to = steps_raw[-1][0] + steps_raw[-1][1]
    end_s = last_to + 2.5
    t = np.arange(t0_s - 0.5, end_s + 0.5, 1.0 / GRID_HZ)
    n = t.size

    # turns: heading ramps over ~1.5 s, in the middle of a running segment
    n_turns = int(rng.integers(0, 2)) if spec.turns is None else spec.turns
    heading = np.zeros(n)
    turns: list[tuple[float, float]] = []
    steady_ics = [s[0] for s in steps_raw if s[2]]
    for _ in range(n_turns):
        if len(steady_ics) < 20:
            break
        c = float(rng.choice(steady_ics[8:-8]))
        dur = float(rng.uniform(1.2, 2.0))
        ang = float(rng.uniform(90, 180) * rng.choice([-1, 1]))
        heading += ang * min_jerk((t - c) / dur)
        turns.append((c - 0.2, c + dur + 0.2))

    speed = float(rng.uniform(0.85, 1.35)) * cadence / 60.0  # step length x steps/s, m/s
    running = np.zeros(n)  # 0 standing .. 1 running, smooth
    obl = np.zeros(n)
    tilt_osc = np.zeros(n)
    yaw = np.zeros(n)
    acc_up = np.zeros(n)
    acc_fwd = np.zeros(n)
    lat = np.zeros(n)
    wob = np.zeros((n, 3))
    steps: list[StepPlan] = []
    run_start, run_end = steps_raw[0][0], last_to
    # the stride phase (one per step) between ICs, for the oscillations
    ics = np.array([s[0] for s in steps_raw])
    side0 = steps_raw[0][3]
    phase = np.interp(t, ics, np.arange(ics.size), left=np.nan, right=np.nan)
    impact_g = float(rng.uniform(0.4, 2.0))
    tilt_amp = float(rng.uniform(1.5, 4.0))
    yaw_amp = float(rng.uniform(3.0, 8.0))
    lat_m = float(rng.uniform(-0.01, 0.02))  # < 0: the pelvis's roll outweighs the sway
    brake_ms2 = float(rng.uniform(2.0, 5.0))
    peak_frac = {"left": float(rng.uniform(0.3, 0.55)), "right": float(rng.uniform(0.3, 0.55))}
    wob_amp = float(rng.uniform(0.2, 0.6)) * (1.0 + harsh)
    wob_hz = float(rng.uniform(10.0, 18.0))
    wob_axis = rng.normal(0, 1, 3)
    wob_axis /= np.linalg.norm(wob_axis)

    for k, (ic, contact, steady, side) in enumerate(steps_raw):
        to = ic + contact
        nxt = steps_raw[k + 1][0] if k + 1 < len(steps_raw) else to + 0.4 * contact
        in_turn = any(a - 0.3 <= ic <= b for a, b in turns)
        progress = (ic - run_start) / max(run_end - run_start, 1e-9)
        median = d_left if side == "left" else d_right
        drop = median + fatigue * (progress - 0.5) + rng.normal(0, 0.9 * harsh)
        drop = max(drop, 0.5)
        ramp = 1.0 if steady else 0.6
        sign = 1.0 if side == "left" else -1.0
        flight = max(nxt - to, 0.02)
        w = slice(max(int((ic - 0.6 - t[0]) * GRID_HZ), 0),
                  min(int((nxt + 0.6 - t[0]) * GRID_HZ), n))
        tw = t[w]
        pk = ic + peak_frac[side] * (1.0 + rng.normal(0, 0.1 * harsh)) * contact
        obl[w] += sign * drop * ramp * _bump(tw, ic - 0.35 * flight, to + 0.45 * flight, pk)
        # vertical: free fall in flight, a half-sine push in stance (net zero per step)
        step_len = nxt - ic
        stance = (tw >= ic) & (tw < to)
        push = np.pi * g * step_len / (2.0 * contact)
        acc_up[w][stance] += push * np.sin(np.pi * (tw[stance] - ic) / contact) * ramp
        acc_up[w][(tw >= ic) & (tw < nxt)] -= g * ramp
        # impact at IC: a short spike with its rebound (no net velocity change)
        sd = 0.008
        spike = impact_g * g * ramp * (np.exp(-0.5 * ((tw - ic - 0.012) / sd) ** 2)
                                       - 0.25 * np.exp(-0.5 * ((tw - ic - 0.05) / (4 * sd)) ** 2))
        acc_up[w] += spike
        # braking then propulsion in stance; a braking spike at IC
        acc_fwd[w][stance] -= brake_ms2 * ramp * np.sin(2 * np.pi * (tw[stance] - ic) / contact)
        acc_fwd[w] -= 0.4 * spike * (1.0 + 0.3 * (side == "left"))
        # lateral: over the stance foot
        lat[w] += sign * lat_m * ramp * _bump(tw, ic - 0.5 * flight, to + 0.5 * flight,
                                          ic + 0.5 * contact)
        # skin wobble: a damped oscillation after the impact
        dt_ic = np.maximum(tw - ic, 0.0)
        ring = np.exp(-dt_ic / 0.04) * np.sin(2 * np.pi * wob_hz * dt_ic)
        wob[w] += wob_amp * ramp * ring[:, None] * wob_axis[None, :]
        steps.append(StepPlan(side, ic, to, drop, bool(steady and not in_turn)))

    # running envelope (for offsets and speed): 1 between a segment's first and last step
    seg_edges = [run_start] + [x for ab in stops for x in ab] + [run_end]
    for a, b in zip(seg_edges[::2], seg_edges[1::2]):
        running += min_jerk((t - a) / 1.2) * (1.0 - min_jerk((t - b + 0.6) / 1.2))
    running = np.clip(running, 0.0, 1.0)
    # tilt and yaw oscillations with the stride phase (asymmetric shapes)
    ph = np.nan_to_num(phase, nan=0.0)
    stride = np.pi * ph + (0.0 if side0 == "left" else np.pi)
    skew = 0.25 * harsh
    tilt_osc = tilt_amp * np.cos(2 * np.pi * ph + skew * np.sin(2 * np.pi * ph)) * running
    yaw = -yaw_amp * np.cos(stride - 0.3 + skew * np.sin(stride)) * running
    tilt = float(rng.uniform(3.0, 10.0)) * running + tilt_osc
    obl_offset = float(rng.normal(0, 1.0)) * running
    # lean into turns (centripetal): the pelvis tilts sideways with the body
    turn_rate = np.gradient(np.radians(heading), t)
    lean = -np.degrees(np.arctan(speed * turn_rate / g)) * 0.5
    sway = Sines.random(rng, np.array([0.4, 0.4, 0.6]), n=4)(t)
    angles = np.column_stack([obl + obl_offset + lean + sway[:, 0], tilt + sway[:, 1],
                              yaw + sway[:, 2]])

    # positions: integrate the accelerations; the vertical high-passed so it
    # does not drift (its mean height follows nothing physical)
    dt = 1.0 / GRID_HZ
    vz = np.cumsum(acc_up) * dt
    z = np.cumsum(vz) * dt
    sos = butter(2, 0.4, "highpass", fs=GRID_HZ, output="sos")
    z = sosfiltfilt(sos, z) * np.maximum(running, 0.0) + 0.95
    v_fwd = speed * running + np.cumsum(acc_fwd) * dt
    v_fwd = v_fwd - sosfiltfilt(butter(2, 0.4, "lowpass", fs=GRID_HZ, output="sos"),
                                np.cumsum(acc_fwd) * dt)
    hd = np.radians(heading)
    vx, vy = v_fwd * np.cos(hd), v_fwd * np.sin(hd)
    lat_x, lat_y = -lat * np.sin(hd), lat * np.cos(hd)
    hip_sway = Sines.random(rng, np.array([0.002, 0.002, 0.001]), n=3)(t)
    hip = np.column_stack([np.cumsum(vx) * dt + lat_x, np.cumsum(vy) * dt + lat_y, z]) + hip_sway
    wob += Sines.random(rng, np.array([0.15, 0.15, 0.15]) * (1 + harsh), n=4,
                        band_hz=(1.0, 6.0))(t) * running[:, None]
    motion = RunMotion(t, angles, heading, hip, wob)
    return RunPlan(motion, t0_s, end_s, (t0_s + 0.2, t_run - 0.2), steps, cadence, speed,
                   stops, turns)


def obliquity_deg(motion: RunMotion, t_s: np.ndarray, quiet_s: tuple[float, float]
                  ) -> np.ndarray:
    """True obliquity ``elev(l)`` minus its quiet-stand mean (deg), at ``t_s``."""
    ref_t = np.arange(quiet_s[0], quiet_s[1], 1.0 / TRUTH_RATE_HZ)
    def elev(tt: np.ndarray) -> np.ndarray:
        up = motion.orientation(tt).apply(np.array([0.0, 1.0, 0.0]))[:, 2]
        return np.degrees(np.arcsin(np.clip(up, -1, 1)))
    return elev(np.asarray(t_s, dtype=float)) - elev(ref_t).mean()


def _median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 4) if values else None


def run_truth(plan: RunPlan) -> dict[str, Any]:
    """The truth of a run set: every step (side, IC, TO, contact, drop per
    running.md from the true pelvis, steady), per-side medians over steady
    steps, the cadence, stops and turns."""
    rows = []
    for s in plan.steps:
        tt = np.arange(s.ic_s, s.to_s, 1.0 / TRUTH_RATE_HZ)
        obl = obliquity_deg(plan.motion, tt, plan.quiet_s)
        drop = float(obl.max()) if s.side == "left" else float((-obl).max())
        rows.append({"side": s.side, "ic_s": round(s.ic_s, 4), "to_s": round(s.to_s, 4),
                     "contact_s": round(s.to_s - s.ic_s, 4), "pelvic_drop_deg": round(drop, 4),
                     "steady": s.steady})
    per_side = {}
    for side in ("left", "right"):
        mine = [r for r in rows if r["side"] == side and r["steady"]]
        per_side[side] = {"steps": len(mine),
                          "pelvic_drop_deg": _median([r["pelvic_drop_deg"] for r in mine]),
                          "contact_s": _median([r["contact_s"] for r in mine])}
    asym = (None if per_side["left"]["pelvic_drop_deg"] is None
            or per_side["right"]["pelvic_drop_deg"] is None else
            round(abs(per_side["left"]["pelvic_drop_deg"]
                      - per_side["right"]["pelvic_drop_deg"]), 4))
    return {"exercise": "run", "side": "both",
            "start_s": round(plan.start_s, 4), "end_s": round(plan.end_s, 4),
            "reference_s": [round(plan.quiet_s[0], 4), round(plan.quiet_s[1], 4)],
            "cadence_spm": round(plan.cadence_spm, 3), "speed_ms": round(plan.speed_ms, 3),
            "steps": rows, "left": per_side["left"], "right": per_side["right"],
            "drop_asymmetry_deg": asym,
            "stops_s": [[round(a, 4), round(b, 4)] for a, b in plan.stops_s],
            "turns_s": [[round(a, 4), round(b, 4)] for a, b in plan.turns_s]}
