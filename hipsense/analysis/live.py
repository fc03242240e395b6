"""Causal, cheap analysis of a set while it is recorded (the live view).

Per batch of samples (one notification, 1-19 samples): the gravity filter's
forward half tracks "up" in the sensor frame, and the reps are counted with
the offline analysis's rep concept (:mod:`hipsense.analysis.segmentation`, its
constants), causally:

- Home is where the pelvis comes to rest between movements, found as the set
  goes on: the first rest (the pelvis still for :data:`HOME_REST_S`) is home;
  a rest at home updates it; a rest below home (along the reps' direction) is
  the new home (the set started above it); a rest elsewhere becomes home once
  the pelvis leaves it, away from the old home, and comes back to it (a set
  that starts upright and steps into position). Far from home (more than
  ``POSTURE_DEG``: getting down onto the floor) home is found afresh.
- The movement signal is the tilt along the reps' direction: the catalogue's
  for the exercises that turn the pelvis about ``l``, else the principal axis
  of the velocity of "up" in the reps so far, signed by the catalogue.
- A departure from home and back (the movement, and the tilt whichever way,
  back below ``SPLIT_FRACTION`` of its largest) is judged when it is back, with
  the offline rules: peaks at least the posture's minimum and ``NOISE_FACTOR``
  times the noise floor (the spread at home), and ``MIN_REP_FRACTION`` of the
  typical rep; humps above home are one rep; a small rep counts among full
  ones or in the rhythm right after the last; a first or last rep far quicker
  than the others is a fidget. So a rep is counted when it returns home (a
  small or quick one when the next rep shows it was one; the first rep once
  two peaks tell the typical rep).

The exercise's primary angle (measurements.md) drives the gauge, and a rep
whose primary angle passes the exercise's flag threshold raises a cue (the
catalogue's words, :attr:`hipsense.exercises.FlagRule.cue`). The
saved set is analysed offline afterwards; these numbers are feedback, not the
report. Every decision is taken sample by sample, so the result does not
depend on how the samples are split into notifications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hipsense.analysis.angles import elevation_deg
from hipsense.analysis.calibration import PelvisAxes, axes_from_posture
from hipsense.analysis.dsp import find_peaks, uniform_filter1d
from hipsense.analysis.motion import robust_sd
from hipsense.analysis.orientation import (
    DEFAULT_FILTER, FilterSettings, acc_trust, rotation_steps,
)
from hipsense.analysis.segmentation import (
    EDGE_FRACTION, FULL_REP_FRACTION, MAX_FIDGETS, MIN_REP_FRACTION, NOISE_FACTOR, POSTURE_DEG,
    SPLIT_FRACTION, classify_dips, group_peaks,
)
from hipsense.exercises import MIN_REP_DEG, Exercise, FlagRule

#: A stretch's rest posture is averaged over the set's first this many seconds.
REST_S = 1.0
#: A rest: the pelvis quiet (see QUIET_*) for at least this long (s).
HOME_REST_S = 0.4
#: Quiet: the turn rate (averaged over RATE_SMOOTH_S) under QUIET_FACTOR times
#: its running QUIET_QUANTILE (the set's own sway; followed over QUIET_TAU_S),
#: clipped to [QUIET_MIN_DPS, QUIET_MAX_DPS].
QUIET_QUANTILE, QUIET_FACTOR, QUIET_TAU_S = 0.15, 2.5, 2.0 / 3.0
QUIET_MIN_DPS, QUIET_MAX_DPS = 1.5, 6.0
#: The noise floor: the spread of the tilt along the reps' direction while the
#: pelvis is still at home, over the last this many seconds.
NOISE_WINDOW_S = 30.0
#: Smoothing of the movement signal (s) and the least time between two of its
#: peaks (s), as offline.
SMOOTH_S, PEAK_DISTANCE_S = 0.1, 0.4
#: The reps' direction: the velocity of "up" averaged over this long (s).
VELOCITY_SMOOTH_S = 0.15
#: The catalogue's rep direction signs the reps' direction when at least this
#: much along it (as offline).
SIGN_ALONG = 0.3
#: Rests during a departure followed for a new home: the last this many.
MAX_ANCHORS = 4
#: The hold timer runs while the pelvis turns slower than this (deg/s).
HOLD_RATE_DPS = 6.0
#: The hold timer runs at the top of a rep: past this fraction of its movement.
TOP_FRACTION = 0.7
#: In a stretch's position: after turning faster than this (deg/s) for this
#: long (s), or with the pelvis this far (deg) from rest. Coming out: turning
#: faster than STRETCH_OUT_DPS as long (standing sway reaches 6 deg/s).
STRETCH_MOVING_DPS, STRETCH_MOVE_S, STRETCH_MIN_DEG = 4.0, 0.15, 3.0
STRETCH_OUT_DPS = {"standing": 8.0, "supine": 4.0}
#: Smoothing of the turn rate that starts a stretch's timer (s).
RATE_SMOOTH_S = 0.3

_DEG = 180.0 / math.pi


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


@dataclass(frozen=True)
class _Rep:
    """A rep judged: its height above home (deg), primary angle (deg), start
    (s), how long it lasted (s) and how long it was above half its height (s:
    a quick fidget is short there however slowly it settles)."""

    top: float
    angle: float
    start_s: float
    lasting_s: float
    above_half_s: float


class _Track:
    """The set's samples so far (time, "up", gyroscope without offset, at home),
    by sample number; the oldest are dropped when no longer needed."""

    def __init__(self, capacity: int = 4096) -> None:
        self.t = np.empty(capacity)
        self.up = np.empty((capacity, 3))
        self.gyr = np.empty((capacity, 3))
        self.home = np.zeros(capacity, dtype=bool)
        self.base = 0  # sample number of row 0
        self.n = 0  # rows in use

    def extend(self, t: np.ndarray, up: np.ndarray, gyr: np.ndarray, keep_from: int) -> None:
        m = len(t)
        if self.n + m > len(self.t):
            drop = min(max(0, keep_from - self.base), self.n)
            keep = slice(drop, self.n)
            size = len(self.t)
            while self.n - drop + m > size // 2:
                size *= 2
            for name in ("t", "up", "gyr", "home"):
                old = getattr(self, name)
                new = np.zeros((size,) + old.shape[1:], dtype=old.dtype)
                new[:self.n - drop] = old[keep]
                setattr(self, name, new)
            self.base += drop
            self.n -= drop
        self.t[self.n:self.n + m] = t
        self.up[self.n:self.n + m] = up
        self.gyr[self.n:self.n + m] = gyr
        self.home[self.n:self.n + m] = True
        self.n += m

    def rows(self, lo: int, hi: int) -> slice:
        """Rows of sample numbers [lo, hi)."""
        return slice(max(lo, self.base) - self.base, hi - self.base)


class LiveSet:
    """Live analysis of one set. ``axes``: the pelvis axes from the session's
    calibration (None: the nominal placement, as the offline fallback)."""

    def __init__(self, exercise: Exercise, side: str, axes: PelvisAxes | None,
                 gyr_offset_dps: np.ndarray | None = None,
                 settings: FilterSettings = DEFAULT_FILTER) -> None:
        self.ex, self.side = exercise, side
        if axes is None:
            axes = axes_from_posture(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]))
        self._axes = axes
        self._axis = axes.vector(exercise.axis_vector(exercise.signal(
            exercise.primary_metric).axis, side))
        self._signal = exercise.primary_signal
        self._sign = self._signal.sign
        self.rule: FlagRule | None = exercise.primary_rule
        self._offset = np.zeros(3) if gyr_offset_dps is None else np.asarray(gyr_offset_dps)
        self._settings = settings
        self._up: np.ndarray | None = None
        self._t: float | None = None
        self._g_last = np.zeros(3)
        self._min_dt: float | None = None
        self._i = 0  # sample number of the next sample
        self._posture_from = 0  # sample number where the set's posture was found
        # quiet and rests
        self._smooth = [0.0, 0.0, 0.0]  # the gyroscope averaged over RATE_SMOOTH_S
        self._quantile = 2.0  # running QUIET_QUANTILE of its rate (deg/s)
        self._quiet_from: float | None = None
        self._quiet_first = 0
        self._quiet_sum = [0.0, 0.0, 0.0]
        self._quiet_u0 = (0.0, 0.0, 0.0)
        self._quiet_next = 0.0  # when the rest is reported (again)
        # reps
        self._track = _Track()
        self._home: list[float] | None = None
        self._home_level = 0.0  # home along the reps' direction (deg)
        self._elev0: float | None = None  # the reference: home at the first rep
        self._rep_axis = exercise.rep_direction(side) if exercise.kind == "reps" else None
        # the reps tilt the pelvis a lot and always the same way: along the
        # catalogue's direction (as offline)
        self._along_catalogue = exercise.rotation_axis == "l"
        self._catalogue: np.ndarray | None = None
        self._dir: np.ndarray | None = None  # the reps' direction (sensor frame)
        self._dir_known = False  # shown by the reps (not only the catalogue)
        self._cov = np.zeros((3, 3))  # velocity covariance of the reps so far
        self._noise = 0.0
        self._floor = MIN_REP_DEG[exercise.posture]
        self._near = 0.25 * self._floor
        self._peaks: list[float] = []  # every peak's height above home (deg)
        self._typical = 0.0
        self._humps = self._home_again = 0  # dips that stay up, that come home
        self._pending: int | None = None  # judged again from here (typical unknown)
        self._small: list[_Rep] = []  # small reps waiting for the next full rep
        self._fulls: list[_Rep] = []  # the full reps
        self._counted: list[_Rep] = []
        self._quick: _Rep | None = None  # a quick rep, counted once another follows
        self._last: _Rep | None = None  # the last rep added (counted or quick)
        self._fidgets = 0  # first reps taken back as fidgets
        self._open = False
        self._start = 0  # sample number where the departure left home
        self._max_move = self._max_tilt = 0.0
        # rests during a departure: [up, tilt from home, furthest since (deg),
        # first sample, left away from home]
        self._anchors: list[list] = []
        # holds and stretches
        self._rest_sum = np.zeros(3)
        self._rest_until: float | None = None
        self._rest: np.ndarray | None = None
        self._hold_from: float | None = None
        self._moving_from: float | None = None
        self._out_from: float | None = None
        self._moved = False
        self._rate_s = 0.0
        self.state = LiveState()

    @property
    def threshold_deg(self) -> float | None:
        return self.rule.threshold_deg if self.rule else None

    # ------------------------------------------------------------------ filter

    def _gravity(self, time_s: np.ndarray, acc_g: np.ndarray, gyr: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """The forward gravity filter: "up" per sample, and the time steps."""
        n = len(time_s)
        acc_dir = acc_g / np.maximum(np.linalg.norm(acc_g, axis=1), 1e-9)[:, None]
        if self._up is None:
            self._up, self._t = acc_dir[0], float(time_s[0])
            self._rest_until = self._t + REST_S
            self._g_last = gyr[0]
        dt = np.empty(n)
        dt[0] = time_s[0] - self._t
        dt[1:] = np.diff(time_s)
        dt = np.clip(dt, 0.0, 1.0)
        # the sample period: the shortest step so far (per sample, so the same
        # however the samples arrive)
        positive = np.where(dt > 0, dt, np.inf)
        first = self._min_dt if self._min_dt is not None else np.inf
        period = np.minimum.accumulate(np.r_[first, positive])[1:]
        self._min_dt = float(period[-1]) if np.isfinite(period[-1]) else None
        period = np.where(np.isfinite(period), period, 0.02)
        g_prev = np.vstack([self._g_last[None, :], gyr[:-1]])
        self._g_last = gyr[-1]
        steps = rotation_steps(np.radians(0.5 * (gyr + g_prev)) * dt[:, None])
        s = self._settings
        trust = acc_trust(acc_g, gyr, s)
        tau = 1.0 / (trust / s.static_tau_s + (1 - trust) / s.moving_tau_s)
        # after lost packets the integrated rate is a guess: lean on the accelerometer
        tau = np.where(dt > 2.5 * period, s.static_tau_s, tau)
        gain = 1.0 - np.exp(-dt / tau)
        keep = 1.0 - gain
        m = (steps * keep[:, None, None]).reshape(n, 9).tolist()
        c = (acc_dir * gain[:, None]).tolist()
        x, y, z = self._up.tolist()
        ups = []
        for (a, b, cc, d, e, f, g, h, k), (p, q, r) in zip(m, c):
            x, y, z = a * x + b * y + cc * z + p, d * x + e * y + f * z + q, \
                g * x + h * y + k * z + r
            norm = math.sqrt(x * x + y * y + z * z)
            x, y, z = x / norm, y / norm, z / norm
            ups.append((x, y, z))
        out = np.array(ups)
        self._up, self._t = out[-1], float(time_s[-1])
        return out, dt

    # ------------------------------------------------------------------- feed

    def feed(self, time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray) -> LiveState:
        """Add samples (sensor clock s, g, deg/s; sensor frame) and update the state."""
        n = len(time_s)
        if n == 0:
            return self.state
        gyr = gyr_dps - self._offset
        ups, dt = self._gravity(time_s, acc_g, gyr)
        st = self.state
        st.time_s = self._t
        if self.ex.kind == "hold":
            self._feed_stretch(time_s, ups, gyr, dt)
            return st
        first = self._i
        self._track.extend(time_s, ups, gyr, self._keep_from())
        rate = np.linalg.norm(gyr, axis=1).tolist()
        for k, (t, (ux, uy, uz), (gx, gy, gz), d, r) in enumerate(zip(
                time_s.tolist(), ups.tolist(), gyr.tolist(), dt.tolist(), rate)):
            self._rep_sample(first + k, t, ux, uy, uz, gx, gy, gz, d, r)
        self._i = first + n
        if self._home is not None:
            u = ups[-1]
            if self._elev0 is None:
                elev0 = float(elevation_deg(self._axis, np.asarray(self._home)))
            else:
                elev0 = self._elev0
            st.angle_deg = float(self._sign * (elevation_deg(self._axis, u) - elev0))
            st.tilt_deg = float(np.degrees(np.arccos(np.clip(u @ self._home, -1.0, 1.0))))
        return st

    def _keep_from(self) -> int:
        """The oldest sample number still needed."""
        keep = self._i - int(NOISE_WINDOW_S / (self._min_dt or 0.02))
        if self._open:
            keep = min(keep, self._start)
        for an in self._anchors:
            keep = min(keep, an[3])
        if self._pending is not None:
            keep = min(keep, self._pending)
        return keep

    # ------------------------------------------------------------- rep sample

    def _rep_sample(self, i: int, t: float, ux: float, uy: float, uz: float, gx: float,
                    gy: float, gz: float, dt: float, rate: float) -> None:
        """One sample of the rep counter."""
        # quiet: the averaged turn rate against the set's own sway
        a = min(1.0, dt / RATE_SMOOTH_S)
        sm = self._smooth
        sm[0] += a * (gx - sm[0])
        sm[1] += a * (gy - sm[1])
        sm[2] += a * (gz - sm[2])
        rs = math.sqrt(sm[0] * sm[0] + sm[1] * sm[1] + sm[2] * sm[2])
        q = self._quantile
        self._quantile = q * math.exp(dt / QUIET_TAU_S * (QUIET_QUANTILE - (rs < q)))
        quiet = rs < min(QUIET_MAX_DPS, max(QUIET_MIN_DPS, QUIET_FACTOR * q))
        rest = None
        if quiet and self._quiet_from is not None:
            # still: the posture stays where the quiet began (a slow movement is
            # not a rest)
            u0 = self._quiet_u0
            ex, ey, ez = ux - u0[0], uy - u0[1], uz - u0[2]
            if _DEG * math.sqrt(ex * ex + ey * ey + ez * ez) > max(self._near,
                                                                    0.5 * self._floor):
                self._quiet_from = None
        if quiet:
            qs = self._quiet_sum
            if self._quiet_from is None:
                self._quiet_from, self._quiet_first = t, i
                self._quiet_next = t + HOME_REST_S
                self._quiet_u0 = (ux, uy, uz)
                qs[0] = qs[1] = qs[2] = 0.0
            qs[0] += ux
            qs[1] += uy
            qs[2] += uz
            if t >= self._quiet_next:
                self._quiet_next = t + HOME_REST_S
                norm = math.sqrt(qs[0] * qs[0] + qs[1] * qs[1] + qs[2] * qs[2])
                rest = [qs[0] / norm, qs[1] / norm, qs[2] / norm]
        else:
            self._quiet_from = None
            # moving: not part of the noise at home (settling after a rep)
            self._track.home[i - self._track.base] = False
        st = self.state
        home = self._home
        if home is None:
            self._track.home[i - self._track.base] = False
            if rest is not None:
                self._set_home(rest)
                st.ready = True
            return
        dx, dy, dz = ux - home[0], uy - home[1], uz - home[2]
        tilt = _DEG * math.sqrt(dx * dx + dy * dy + dz * dz)
        if tilt > 2.0 * math.sin(math.radians(POSTURE_DEG) / 2) * _DEG:
            # out of the set's posture (getting down to the floor or up): home afresh
            self._home, self._open, self._anchors = None, False, []
            self._posture_from = i + 1
            self._dir, self._dir_known, self._pending = None, False, None
            self._cov = np.zeros((3, 3))
            self._end(t, i, None)
            return
        # the movement along the reps' direction once the reps have shown it,
        # else the tilt from home whichever way
        if self._dir_known:
            d = self._dir
            move = _DEG * math.asin(max(-1.0, min(1.0, ux * d[0] + uy * d[1] + uz * d[2]))) \
                - self._home_level
        else:
            move = tilt
        if not self._open:
            if rest is not None:
                self._set_home(rest)
            if tilt > self._near:
                self._open, self._start = True, i - 1
                self._max_move, self._max_tilt = move, tilt
                self._anchors = []
            return
        self._max_move = max(self._max_move, move)
        self._max_tilt = max(self._max_tilt, tilt)
        st.in_rep = self._max_tilt >= self._floor
        top = self._max_move >= self._floor and move > TOP_FRACTION * self._max_move
        self._hold(t, top and rate < HOLD_RATE_DPS)
        if rest is not None and self._rest_in_departure(i, t, rest, tilt):
            return
        for an in self._anchors:
            p = an[0]
            ex, ey, ez = ux - p[0], uy - p[1], uz - p[2]
            off = _DEG * math.sqrt(ex * ex + ey * ey + ez * ez)
            if off > an[2]:
                an[2] = off
                # leaving the rest away from home, not back towards it (more
                # than 60 deg off the way home)
                ta = an[1]
                an[4] = tilt * tilt > off * off + ta * ta - off * ta
            elif (not self._peaks and an[4] and an[2] >= self._rep_min(an[1])
                  and off < max(self._near, SPLIT_FRACTION * an[2])):
                # before the first reps (a step into position), passing back
                # through the rest after leaving it away from home is enough
                self._end(t, i, self._start)
                self._set_home(an[0])
                self._judge(an[3], i + 1)
                return
        # back home: the movement (and the tilt whichever way: the reps'
        # direction may not be known well yet) back near home
        if move < max(self._near, SPLIT_FRACTION * self._max_move) and tilt < max(
                self._near, SPLIT_FRACTION * self._max_tilt):
            big = self._max_tilt >= self._floor
            self._end(t, i, None)
            if big:
                self._judge(self._start, i + 1)

    def _rest_in_departure(self, i: int, t: float, rest: list[float], tilt: float) -> bool:
        """The pelvis rests (posture ``rest``, ``tilt`` deg from home) during a
        departure from home; True when the departure is over."""
        level = self._level(rest) - self._home_level
        if self._dir_known and abs(level) <= max(self._near, SPLIT_FRACTION * self._max_move):
            # home along the reps' direction (moved across it): back home
            big = self._max_tilt >= self._floor
            self._end(t, i, None)
            if big:
                self._judge(self._start, i + 1)
            self._set_home(rest)
            return True
        if level < -max(self._near, 0.5 * tilt) and t - self._quiet_from >= 2 * HOME_REST_S:
            # staying below home (not the turning point of an overshoot): the
            # set started above home (no rep)
            self._end(t, i, self._start)
            self._set_home(rest)
            return True
        # elsewhere: home once the pelvis has left it (away from home) and come
        # back to rest there
        anchors = self._anchors
        for an in anchors:
            p = an[0]
            ex, ey, ez = rest[0] - p[0], rest[1] - p[1], rest[2] - p[2]
            if _DEG * math.sqrt(ex * ex + ey * ey + ez * ez) < max(
                    self._near, SPLIT_FRACTION * an[2]):
                if an[4] and an[2] >= self._rep_min(an[1]):
                    self._end(t, i, self._start)
                    self._set_home(rest)
                    self._judge(an[3], i + 1)
                    return True
                if an[3] == self._quiet_first:
                    an[0] = rest  # the same rest, longer
                return False
        anchors.append([rest, tilt, 0.0, self._quiet_first, False])
        if len(anchors) > MAX_ANCHORS:
            # home is low: forget the highest
            del anchors[max(range(len(anchors)), key=lambda k: self._level(anchors[k][0]))]
        return False

    def _end(self, t: float, i: int, not_home_from: int | None) -> None:
        """The departure is over at sample ``i``; samples from ``not_home_from``
        (when given) were away from home (not part of the noise at home)."""
        self._open = self.state.in_rep = False
        self._anchors = []
        self._hold(t, False)
        if not_home_from is not None:
            tr = self._track
            tr.home[tr.rows(not_home_from, i + 1)] = False

    def _rep_min(self, away: float) -> float:
        """The least movement (deg) by which the pelvis must leave a rest
        ``away`` deg from home, and come back, for the rest to be home: a full
        rep, and a good part of the way from home (a drift during a hold at the
        top of a rep is not)."""
        return max(self._floor, FULL_REP_FRACTION * max(self._typical, away))

    def _set_home(self, up: list[float]) -> None:
        """Home is this posture (unit vector, sensor frame)."""
        self._home = up
        h = np.asarray(up)
        if self._rep_axis is not None:
            d = axes_from_posture(h, self.ex.up_axis(self.side), self._axes).vector(
                self._rep_axis)
            d = d - (d @ h) * h
            self._catalogue = d / np.linalg.norm(d) if np.linalg.norm(d) > 1e-9 else None
        if self._along_catalogue and self._catalogue is not None:
            self._dir, self._dir_known = self._catalogue, True
        elif self._dir is None:
            self._dir = self._catalogue if self._catalogue is not None else _perpendicular(h)
        else:
            self._dir = self._signed(_unit(self._dir - (self._dir @ h) * h))
        self._home_level = self._level(up)

    def _level(self, up: list[float] | np.ndarray) -> float:
        """A posture's tilt along the reps' direction (deg)."""
        d = self._dir
        return _DEG * math.asin(max(-1.0, min(1.0, up[0] * d[0] + up[1] * d[1]
                                              + up[2] * d[2])))

    def _signed(self, d: np.ndarray, up: np.ndarray | None = None,
                h: np.ndarray | None = None) -> np.ndarray:
        """The reps' direction signed: along the catalogue's when clearly so, else
        as before when clearly along it, else the way the movement ``up`` went
        furthest from ``h``."""
        cat = self._catalogue
        if cat is not None:
            along = float(d @ cat)
            if abs(along) >= SIGN_ALONG:
                return d if along > 0 else -d
        prev = self._dir
        if prev is not None and (up is None or abs(float(d @ prev)) >= 0.5):
            return -d if float(d @ prev) < 0 else d
        if up is not None and h is not None:
            x = up @ d - h @ d
            return -d if x.max() < -x.min() else d
        return d

    # ------------------------------------------------------------------ judge

    def _judge(self, lo: int, hi: int) -> None:
        """A departure from home and back, samples [lo, hi): its reps, with the
        offline rules. Until two peaks are known (the typical rep), the
        departures since the first with a peak are judged again together, along
        the reps' direction as it is known then."""
        if self._pending is not None:
            lo = self._pending
        tr = self._track
        rows = tr.rows(lo, hi)
        up, gyr, t = tr.up[rows], tr.gyr[rows], tr.t[rows]
        if len(t) < 3:
            return
        period = max((t[-1] - t[0]) / (len(t) - 1), 1e-3)
        h = np.asarray(self._home)
        cov = np.zeros((3, 3))
        if self._along_catalogue and self._catalogue is not None:
            d = self._catalogue
        else:
            # the reps' direction: the principal axis of the velocity of "up",
            # each sample's speed capped at the departure's 90th percentile
            g = uniform_filter1d(gyr, max(1, round(VELOCITY_SMOOTH_S / period)), axis=0,
                                 mode="nearest")
            v = np.column_stack([up[:, 1] * g[:, 2] - up[:, 2] * g[:, 1],
                                 up[:, 2] * g[:, 0] - up[:, 0] * g[:, 2],
                                 up[:, 0] * g[:, 1] - up[:, 1] * g[:, 0]])
            speed = np.sqrt((v * v).sum(axis=1))
            cap = max(float(np.percentile(speed, 90)), 1e-9)
            v *= np.minimum(1.0, cap / np.maximum(speed, 1e-12))[:, None]
            cov = v.T @ v
            _, vecs = np.linalg.eigh(self._cov + cov)
            d = vecs[:, -1] - (vecs[:, -1] @ h) * h
            d = self._signed(_unit(d), up, h) if np.linalg.norm(d) > 1e-9 else self._dir
        home_level = float(np.degrees(np.arcsin(np.clip(h @ d, -1, 1))))
        self._update_noise(lo, d)
        w = max(1, round(SMOOTH_S / period))
        ms = uniform_filter1d(np.degrees(np.arcsin(np.clip(up @ d, -1, 1))) - home_level,
                              w, mode="nearest")
        # it left from home and is on its way back: a peak's prominence is from
        # home (a departure that began on the way down from a rep has no peak
        # at its start)
        padded = np.r_[0.0, ms, 0.0]
        floor = self._floor
        peaks, _ = find_peaks(padded, prominence=floor,
                              distance=max(1, round(PEAK_DISTANCE_S / period)))
        peaks = peaks[peaks > 1] - 1
        if not peaks.size:
            return
        # a movement of rep size: it tells the reps' direction
        self._dir, self._dir_known, self._home_level = d, True, home_level
        self._reference()
        heights = ms[peaks]
        if not self._peaks and heights.size < 2:
            # the typical rep is not known yet: judged again with the next
            self._pending = lo
            return
        self._pending = None
        self._cov += cov
        if self._peaks:
            self._home_again += 1  # the previous departure came home
        self._peaks.extend(heights.tolist())
        ph = np.array(self._peaks)
        self._typical = float(np.median(ph[ph >= np.median(ph)]))
        peaks = peaks[heights >= max(floor, MIN_REP_FRACTION * self._typical)]
        if not peaks.size:
            return
        groups = self._group(ms, peaks)
        angles = self._sign * (elevation_deg(self._axis, up) - self._reference())
        for grp in groups:
            top = float(ms[grp].max())
            edge = EDGE_FRACTION * top
            before = np.flatnonzero(ms[:grp[0] + 1] <= edge)
            after = np.flatnonzero(ms[grp[-1]:] <= edge)
            a = int(before[-1]) if before.size else 0
            b = grp[-1] + (int(after[0]) if after.size else len(ms) - 1 - grp[-1])
            # not at home: its samples are not part of the noise floor
            tr.home[rows.start + a:rows.start + b + 1] = False
            above = ms[a:b + 1] >= 0.5 * top
            self._count(_Rep(top, self._reduce_values(angles[a:b + 1]), float(t[a]),
                             float(t[b] - t[a]), float(np.diff(t[a:b + 1])[above[:-1]].sum())))

    def _group(self, ms: np.ndarray, peaks: np.ndarray) -> list[list[int]]:
        """Peaks grouped into reps, as offline: two reps when the dip between
        them comes home, one above HUMP_FRACTION, and in between one when reps
        with more than one peak are common in a squat set (its rep shape)."""
        exc = ms[peaks]
        dips = np.array([ms[p:q + 1].min() for p, q in zip(peaks[:-1], peaks[1:])])
        near = max(1.5 * self._noise, 0.25 * self._floor)
        home_again, deep = classify_dips(dips, exc, near)
        self._home_again += int(home_again.sum())
        self._humps += int((~home_again).sum())
        humped = (self.ex.rep_lowers_pelvis
                  and self._humps >= 0.5 * max(self._home_again, 1))
        return group_peaks(peaks, home_again | (deep & ~humped))

    def _count(self, rep: _Rep) -> None:
        """A rep judged: a full one counts (with the small ones since the
        previous full one); a small one counts when it keeps the set's rhythm
        after the last full rep (in step with the rep before it), else when
        another full rep follows."""
        if rep.top >= FULL_REP_FRACTION * self._typical:
            done = (self._small if self._fulls else []) + [rep]
            self._small = []
            self._fulls.append(rep)
            for r in done:
                self._add(r)
        elif self._fulls:
            fulls = self._fulls
            period = float(np.median(np.diff([r.start_s for r in fulls]))) \
                if len(fulls) > 1 else np.inf
            lasting = float(np.median([r.lasting_s for r in fulls]))
            last = self._last.start_s if self._last is not None else fulls[-1].start_s
            if rep.start_s - last <= 1.5 * period and rep.lasting_s >= 0.5 * lasting:
                self._add(rep)
            else:
                self._small.append(rep)

    def _add(self, rep: _Rep) -> None:
        """Count a rep, as offline: a rep far quicker than the others counts only
        once another follows (the last one is a fidget after finishing), and
        from the fourth on the first one is taken back if it was far quicker
        than the others (a fidget before starting; up to MAX_FIDGETS of them)."""
        self._last = rep
        if self._quick is not None:
            quick, self._quick = self._quick, None
            self._tally(quick)
        counted = self._counted
        if len(counted) >= 3 and rep.above_half_s < 0.5 * float(np.median(
                [r.above_half_s for r in counted])):
            self._quick = rep
            return
        self._tally(rep)
        while len(counted) >= 4 and self._fidgets < MAX_FIDGETS and counted[0].above_half_s \
                < 0.5 * float(np.median([r.above_half_s for r in counted[1:]])):
            self._fidgets += 1
            first = counted.pop(0)
            st = self.state
            st.reps -= 1
            st.rep_angles_deg.pop(0)
            if self._past(first.angle):
                st.cues -= 1

    def _tally(self, rep: _Rep) -> None:
        self._counted.append(rep)
        self.state.reps += 1
        self.state.rep_angles_deg.append(rep.angle)
        self._check(rep.angle)

    def _reference(self) -> float:
        """The primary axis's elevation at the reference: home at the first rep."""
        if self._elev0 is None:
            self._elev0 = float(elevation_deg(self._axis, np.asarray(self._home)))
        return self._elev0

    def _update_noise(self, hi: int, d: np.ndarray) -> None:
        """The noise floor: the spread of the tilt along the reps' direction
        ``d`` at home (the samples before ``hi`` outside the reps, still, near
        home: sway and breathing, not the settling after a rep), in SMOOTH_S
        averages."""
        tr = self._track
        rows = tr.rows(max(self._posture_from,
                           hi - int(NOISE_WINDOW_S / (self._min_dt or 0.02))), hi)
        t = tr.t[rows]
        if len(t) < 20:
            return
        period = max((t[-1] - t[0]) / (len(t) - 1), 1e-3)
        w = max(1, round(SMOOTH_S / period))
        nb = len(t) // w
        # averages over blocks of SMOOTH_S, at home throughout
        blocks = slice(rows.stop - nb * w, rows.stop)
        at_home = tr.home[blocks].reshape(nb, w).all(axis=1)
        if at_home.sum() < 3:
            return
        up = tr.up[blocks].reshape(nb, w, 3).mean(axis=1)
        x = np.degrees(np.arcsin(np.clip(up @ d, -1, 1)))
        # near home (a small rep missed is no sway)
        home = float(np.degrees(np.arcsin(np.clip(np.asarray(self._home) @ d, -1, 1))))
        at_home &= np.abs(x - home) <= (MIN_REP_FRACTION * self._typical if self._typical > 0
                                        else MIN_REP_DEG[self.ex.posture])
        if at_home.sum() < 3:
            return
        self._noise = robust_sd(x[at_home])
        self._floor = max(MIN_REP_DEG[self.ex.posture], NOISE_FACTOR * self._noise)
        self._near = max(2.0 * self._noise, 0.25 * self._floor)

    def _reduce_values(self, values: np.ndarray) -> float:
        return self._signal.reduce_values(values) if values.size else 0.0

    # --------------------------------------------------------------- stretches

    def _feed_stretch(self, time_s: np.ndarray, ups: np.ndarray, gyr: np.ndarray,
                      dt: np.ndarray) -> None:
        """A stretch: the rest posture over the first second, then the hold timer."""
        st = self.state
        rate = np.linalg.norm(gyr, axis=1)
        first = 0
        if self._rest is None:
            first = int(np.searchsorted(time_s, self._rest_until))
            self._rest_sum += ups[:first].sum(axis=0)
            if first == len(time_s):
                return
            self._rest = self._rest_sum / np.linalg.norm(self._rest_sum)
            self._elev0 = float(elevation_deg(self._axis, self._rest))
            st.ready = True
        ups, time_s, rate, dt = ups[first:], time_s[first:], rate[first:], dt[first:]
        angle = self._sign * (elevation_deg(self._axis, ups) - self._elev0)
        tilt = np.degrees(np.arccos(np.clip(ups @ self._rest, -1.0, 1.0)))
        for t, ti, r, d in zip(time_s.tolist(), tilt.tolist(), rate.tolist(), dt.tolist()):
            self._stretch_step(t, ti, r, d)
        st.angle_deg, st.tilt_deg = float(angle[-1]), float(tilt[-1])

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

    def _past(self, value: float) -> bool:
        """A rep's primary angle is past the flag threshold."""
        return self.rule is not None and self.rule.past(value)

    def _check(self, value: float) -> None:
        """A rep counted: its cue (the catalogue's words) when past the threshold."""
        rule = self.rule
        if rule is None:
            return
        past = rule.past(value)
        self.state.cue = rule.words(rule.cue, self.side, value) if past else None
        self.state.cues += past


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _perpendicular(h: np.ndarray) -> np.ndarray:
    """Some unit vector perpendicular to ``h``."""
    other = np.array([1.0, 0.0, 0.0]) if abs(h[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    return _unit(np.cross(h, other))

