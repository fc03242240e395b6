"""Causal, cheap analysis of a set while it is recorded (the live view).

Per batch of samples (one notification, 1-19 samples): the gravity filter's
forward half tracks "up" in the sensor frame; the set's rest posture is the
mean over its first second; the pelvis's tilt away from it counts reps (a
rep starts when the tilt passes about half the set's typical rep and ends
when it comes back near rest); the exercise's primary angle (measurements.md)
drives the gauge, and a rep whose primary angle passes the exercise's flag
threshold raises a cue. The saved set is analysed offline afterwards; these
numbers are feedback, not the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hipsense.analysis.angles import elevation_deg
from hipsense.analysis.calibration import PelvisAxes, axes_from_posture
from hipsense.analysis.orientation import DEFAULT_FILTER, FilterSettings, _acc_trust, \
    rotation_steps
from hipsense.exercises import Exercise, FlagRule

#: The rest posture is averaged over the set's first this many seconds.
REST_S = 1.0
#: A rep starts when the tilt rises this fraction of the typical rep above
#: the last low point; it counts once the tilt has come back this fraction.
ENTER_FRACTION, RETURN_FRACTION = 0.35, 0.5
#: Smallest tilt (deg) that can start a rep, by posture: above the sway of
#: standing on one leg and of breathing, below the smallest reps seen.
MIN_ENTER_DEG = {"standing_one_leg": 3.5, "standing": 3.5, "supine": 4.0, "prone": 1.2,
                 "side_lying": 0.5}
#: The least time a rep takes (s).
MIN_REP_S = 0.4
#: The hold timer runs while the pelvis turns slower than this (deg/s).
HOLD_RATE_DPS = 6.0
#: In a stretch's position: after turning faster than this (deg/s) for this
#: long (s), or with the pelvis this far (deg) from rest. Coming out: turning
#: faster than STRETCH_OUT_DPS as long (standing sway reaches 6 deg/s).
STRETCH_MOVING_DPS, STRETCH_MOVE_S, STRETCH_MIN_DEG = 4.0, 0.15, 3.0
STRETCH_OUT_DPS = {"standing": 8.0, "supine": 4.0}
#: Smoothing of the turn rate that starts a stretch's timer (s).
RATE_SMOOTH_S = 0.3


@dataclass
class LiveState:
    """What the live view shows after each batch.

    ``angle_deg``: the primary angle now (deg, relative to rest); ``tilt_deg``:
    total tilt from rest; ``hold_s``: the current still hold (top of a rep, or
    a stretch); ``cue``: words for the last rep when it crossed its threshold
    (None once a rep stays under it); ``cues``: how many reps crossed it.
    """

    time_s: float = 0.0
    ready: bool = False
    reps: int = 0
    in_rep: bool = False
    angle_deg: float = 0.0
    tilt_deg: float = 0.0
    hold_s: float = 0.0
    longest_hold_s: float = 0.0
    rep_angles_deg: list[float] = field(default_factory=list)
    cue: str | None = None
    cues: int = 0


class LiveSet:
    """Live analysis of one set. ``axes``: the pelvis axes from the session's
    calibration (None: the nominal placement, as the offline fallback)."""

    def __init__(self, exercise: Exercise, side: str, axes: PelvisAxes | None,
                 gyr_offset_dps: np.ndarray | None = None,
                 settings: FilterSettings = DEFAULT_FILTER) -> None:
        self.ex, self.side = exercise, side
        if axes is None:
            axes = axes_from_posture(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]))
        self._axis = axes.vector(exercise.axis_vector(exercise.signal(
            exercise.primary_metric).axis, side))
        sig = exercise.signal(exercise.primary_metric)
        self._sign, self._reduce = sig.sign, sig.reduce
        self.rule: FlagRule | None = next(
            (r for r in exercise.flag_rules if r.metric == exercise.primary_metric), None)
        self._offset = np.zeros(3) if gyr_offset_dps is None else np.asarray(gyr_offset_dps)
        self._settings = settings
        self._up: np.ndarray | None = None
        self._t: float | None = None
        self._rest_sum = np.zeros(3)
        self._rest_until: float | None = None
        self._rest: np.ndarray | None = None
        self._elev0 = 0.0
        self._rises: list[float] = []
        self._typical_rise = 0.0  # median rise (deg) of the last few reps
        self._period_s: float | None = None
        self._valley = 0.0
        self._rep_start = 0.0
        self._rep_peak = 0.0
        self._rep_extreme = 0.0
        self._hold_from: float | None = None
        self._moving_from: float | None = None
        self._out_from: float | None = None
        self._moved = False
        self._rate_s = 0.0
        self.state = LiveState()

    @property
    def threshold_deg(self) -> float | None:
        return self.rule.threshold_deg if self.rule else None

    def feed(self, time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray) -> LiveState:
        """Add samples (sensor clock s, g, deg/s; sensor frame) and update the state."""
        n = len(time_s)
        if n == 0:
            return self.state
        gyr = gyr_dps - self._offset
        acc_dir = acc_g / np.maximum(np.linalg.norm(acc_g, axis=1), 1e-9)[:, None]
        if self._up is None:
            self._up, self._t = acc_dir[0], float(time_s[0])
            self._rest_until = self._t + REST_S
        dt = np.empty(n)
        dt[0] = time_s[0] - self._t
        dt[1:] = np.diff(time_s)
        dt = np.clip(dt, 0.0, 1.0)
        if self._period_s is None and n > 2:
            self._period_s = float(np.median(dt[1:]))
        g_prev = np.vstack([gyr[:1], gyr[:-1]])
        steps = rotation_steps(np.radians(0.5 * (gyr + g_prev)) * dt[:, None])
        trust = _acc_trust(acc_g, gyr, self._settings)
        s = self._settings
        tau = 1.0 / (trust / s.static_tau_s + (1 - trust) / s.moving_tau_s)
        # after lost packets the integrated rate is a guess: lean on the accelerometer
        gap = dt > 2.5 * (self._period_s or 0.02)
        tau = np.where(gap, s.static_tau_s, tau)
        gain = 1.0 - np.exp(-dt / tau)
        rate = np.linalg.norm(gyr, axis=1)
        up = self._up
        ups = np.empty((n, 3))
        for k in range(n):
            up = (1.0 - gain[k]) * (steps[k] @ up) + gain[k] * acc_dir[k]
            up = up / np.linalg.norm(up)
            ups[k] = up
        self._up, self._t = up, float(time_s[-1])
        st = self.state
        st.time_s = self._t
        first = 0
        if self._rest is None:
            first = int(np.searchsorted(time_s, self._rest_until))
            self._rest_sum += ups[:first].sum(axis=0)
            if first == n:
                return st
            self._rest = self._rest_sum / np.linalg.norm(self._rest_sum)
            self._elev0 = float(elevation_deg(self._axis, self._rest))
            st.ready = True
        ups, time_s, rate, dt = ups[first:], time_s[first:], rate[first:], dt[first:]
        angle = self._sign * (elevation_deg(self._axis, ups) - self._elev0)
        tilt = np.degrees(np.arccos(np.clip(ups @ self._rest, -1.0, 1.0)))
        for k in range(len(time_s)):
            self._step(float(time_s[k]), float(tilt[k]), float(angle[k]), float(rate[k]),
                       float(dt[k]))
        st.angle_deg, st.tilt_deg = float(angle[-1]), float(tilt[-1])
        return st

    def _step(self, t: float, tilt: float, angle: float, rate: float, dt: float) -> None:
        """One sample of the rep counter: a rep starts when the tilt rises well
        above the last low point and is counted when it has come back down
        half of its rise (so drifts of the rest posture do not matter)."""
        st = self.state
        if self.ex.kind == "hold":
            self._stretch_step(t, tilt, rate, dt)
            return
        floor = MIN_ENTER_DEG[self.ex.posture]
        if not st.in_rep:
            self._valley = min(self._valley, tilt)
            if tilt > max(floor, self._valley + max(0.5 * floor,
                                                   ENTER_FRACTION * self._typical_rise)):
                st.in_rep, self._rep_start = True, t
                self._rep_peak, self._rep_extreme = tilt, angle
            return
        self._rep_peak = max(self._rep_peak, tilt)
        self._rep_extreme = self._reduce_step(self._rep_extreme, angle)
        self._hold(t, rate < HOLD_RATE_DPS and tilt > 0.7 * self._rep_peak)
        rise = self._rep_peak - self._valley
        if tilt < self._valley + (1.0 - RETURN_FRACTION) * rise:
            st.in_rep = False
            self._hold(t, False)
            self._valley = tilt
            if t - self._rep_start >= MIN_REP_S:
                st.reps += 1
                self._rises.append(rise)
                self._typical_rise = float(np.median(self._rises[-5:]))
                st.rep_angles_deg.append(self._rep_extreme)
                self._check(self._rep_extreme)

    def _stretch_step(self, t: float, tilt: float, rate: float, dt: float) -> None:
        """A stretch's hold: once in position (the pelvis away from rest, less
        far after a clear movement: some stretches barely tilt it) the timer
        runs while the pelvis is still, and ends at the next sustained movement
        (coming out)."""
        a = min(1.0, dt / RATE_SMOOTH_S)
        self._rate_s = (1 - a) * self._rate_s + a * rate
        if rate > STRETCH_MOVING_DPS:
            if self._moving_from is None:
                self._moving_from = t
            if t - self._moving_from >= STRETCH_MOVE_S:
                self._moved = True
        else:
            self._moving_from = None
        if rate > STRETCH_OUT_DPS[self.ex.posture]:
            if self._out_from is None:
                self._out_from = t
            if t - self._out_from >= STRETCH_MOVE_S:
                self._hold(t, False)
                return
        else:
            self._out_from = None
        in_position = tilt > (STRETCH_MIN_DEG / 2 if self._moved else STRETCH_MIN_DEG)
        if self._hold_from is None:
            self._hold(t, in_position and self._rate_s < HOLD_RATE_DPS / 2)
        else:
            self._hold(t, True)

    def _reduce_step(self, current: float, value: float) -> float:
        if self._reduce == "min":
            return min(current, value)
        if self._reduce == "absmax":
            return value if abs(value) > abs(current) else current
        return max(current, value)

    def _hold(self, t: float, holding: bool) -> None:
        st = self.state
        if holding:
            if self._hold_from is None:
                self._hold_from = t
            st.hold_s = t - self._hold_from
            st.longest_hold_s = max(st.longest_hold_s, st.hold_s)
        else:
            self._hold_from = None
            st.hold_s = 0.0

    def _check(self, value: float) -> None:
        rule = self.rule
        if rule is None:
            return
        v = abs(value) if rule.use_abs else value
        past = v > rule.threshold_deg
        self.state.cue = cue_text(self.ex, self.side, v) if past else None
        self.state.cues += past


def cue_text(ex: Exercise, side: str, value_deg: float) -> str:
    """A short cue for a rep past its threshold (the saved set's report says more)."""
    v = f"{value_deg:.0f} deg"
    return {
        "single_leg_squat": f"Hip dropped {v}: squeeze the {side} glute, belt line level",
        "knee_drive": f"Hip dropped {v}: push the standing foot down, belt line level",
        "clamshell": f"Pelvis rolled back {v}: keep the hips stacked",
        "prone_hip_extension": f"Hip lifted {v}: keep both hip bones on the floor",
        "hip_bridge": f"Hips uneven by {v}: push evenly through both heels",
    }.get(ex.id, f"{ex.primary_metric} {v}")
