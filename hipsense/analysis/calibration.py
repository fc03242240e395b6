"""Sensor-to-pelvis alignment from the calibration recording.

The recording (session-format.md): stand still, two slow hip hinges, stand
still. People standing at home sway (a gyroscope SD of 1-1.5 deg/s, more with
skin wobble), so "still" is judged against the recording itself: the hinges
are its large movements, the stands are what lies before the first and after
the last of them, minus anything that moves clearly more than the stands' own
sway. The vertical ``u`` is the mean accelerometer direction over the stands;
the medio-lateral axis ``l`` is the hinges' rotation axis (the gyroscope's
principal axis) made horizontal, signed so that bowing forward is a positive
rotation about it; ``a = l x u``. The gyroscope offset comes from the stands
with the sway's own net rotation (seen by the accelerometer) taken out, so
movement never leaks into it. All vectors are unit vectors in the sensor frame.

The result is graded: ``good``, ``usable`` (with the reason it is not good) or
``poor`` (with the problem; the axes are not used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from hipsense.analysis.motion import gyro_offset_dps, runs, samples_for, smoothed_rate

#: Nominal placement (+X up, +Y left, +Z backwards): pelvis axes in the sensor frame.
NOMINAL_AXES = {"a": np.array([0.0, 0.0, -1.0]), "l": np.array([0.0, 1.0, 0.0]),
                "u": np.array([1.0, 0.0, 0.0])}

Grade = Literal["good", "usable", "poor"]

MIN_STILL_S = 1.0
GOOD_STILL_S = 2.0
MIN_HINGE_DEG = 15.0
GOOD_HINGE_DEG = 25.0
MIN_PLANARITY = 0.85
GOOD_PLANARITY = 0.93
MAX_HINGE_TWIST_DEG = 30.0
GOOD_HINGE_TWIST_DEG = 15.0
MAX_AXIS_OFF_NOMINAL_DEG = 50.0
#: A movement is a hinge when the trunk bends at least this far (deg) in it.
HINGE_MIN_BEND_DEG = 10.0
#: The hinges must turn at least this many times faster than the stands sway.
MIN_HINGE_TO_SWAY = 4.0
GOOD_HINGE_TO_SWAY = 8.0
#: Stands swaying more than this (deg/s, SD of the gyroscope) are not "good".
GOOD_SWAY_SD_DPS = 2.5


@dataclass(frozen=True)
class PelvisAxes:
    """Pelvis axes a (anterior), l (left), u (up) as unit vectors in the sensor frame."""

    a: np.ndarray
    l: np.ndarray
    u: np.ndarray

    def matrix(self) -> np.ndarray:
        """(3, 3) rows a, l, u: takes sensor-frame vectors to pelvis (a, l, u) components."""
        return np.vstack([self.a, self.l, self.u])

    def vector(self, pelvis: np.ndarray) -> np.ndarray:
        """A pelvis-frame vector (a, l, u components) in the sensor frame."""
        return self.matrix().T @ np.asarray(pelvis, dtype=float)


@dataclass(frozen=True)
class Calibration:
    """Result of the calibration recording.

    ``grade`` is good, usable or poor. ``problem`` says in words a runner
    understands why a calibration is poor (its axes are then None) or why a
    usable one is not good. Quality figures: stand time (s), the stands' sway
    (gyroscope SD, deg/s), hinge peak (deg), planarity of the hinge rotation
    (1 = a pure hinge), gyroscope offset (deg/s).
    """

    axes: PelvisAxes | None
    gyr_offset_dps: np.ndarray
    grade: Grade
    problem: str | None = None
    quality: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the axes can be used (good or usable)."""
        return self.grade != "poor"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _poor(offset: np.ndarray, problem: str, quality: dict[str, Any]) -> Calibration:
    return Calibration(None, offset, "poor", problem, quality)


def calibrate(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray) -> Calibration:
    """Find and grade the pelvis axes from a calibration recording (sensor frame, g, deg/s)."""
    n = len(time_s)
    dt = float(np.median(np.diff(time_s))) if n > 1 else 0.01
    rough = np.median(gyr_dps, axis=0)
    rate = smoothed_rate(time_s, gyr_dps - rough, 0.3)
    sway = float(np.percentile(rate, 25))
    moving = rate > max(3.0, 2.5 * sway, 0.15 * float(np.percentile(rate, 99.5)))
    acc_dir = acc_g / np.linalg.norm(acc_g, axis=1)[:, None]
    # the hinges: movements in which the trunk bends clearly (not a weight shift)
    hinges, most_bend = [], 0.0
    for lo, hi in runs(moving):
        ref = _unit(acc_dir[max(lo - samples_for(time_s, 0.3), 0):lo + 1].mean(axis=0))
        bend = float(np.degrees(np.arccos(np.clip(acc_dir[lo:hi] @ ref, -1, 1))).max())
        most_bend = max(most_bend, bend)
        if bend >= HINGE_MIN_BEND_DEG and hi - lo >= 3:
            hinges.append((lo, hi))
    quality: dict[str, Any] = {"sway_dps": round(sway, 2), "hinges": len(hinges)}
    if not hinges:
        offset = gyro_offset_dps(time_s, acc_g, gyr_dps, ~moving)
        quality["gyr_offset_dps"] = [round(float(x), 3) for x in offset]
        if (~moving).sum() * dt < MIN_STILL_S:
            return _poor(offset, "the calibration has no still standing (found "
                         f"{(~moving).sum() * dt:.1f} s, need {MIN_STILL_S:.0f} s)", quality)
        if moving.any():
            return _poor(offset, f"the hip hinges were too small ({most_bend:.0f} deg of "
                         "forward bend; a twist or a turn is not a hinge: bow forward 30-45 "
                         "deg from the hips)", quality)
        return _poor(offset, "the calibration has no hip hinge", quality)
    # the stands: before the first and after the last hinge, away from their
    # slow ends, and without the stands' own clear movements (weight shifts)
    margin = samples_for(time_s, 0.4)
    first, last = hinges[0][0], hinges[-1][1]
    stand = np.zeros(n, dtype=bool)
    stand[:max(first - margin, 0)] = True
    stand[min(last + margin, n):] = True
    stand &= ~_grow(moving, margin)
    stand_s = float(stand.sum() * dt)
    quality["stand_s"] = round(stand_s, 2)
    offset = gyro_offset_dps(time_s, acc_g, gyr_dps, stand)
    quality["gyr_offset_dps"] = [round(float(x), 3) for x in offset]
    if stand_s < MIN_STILL_S:
        return _poor(offset, "the calibration has no still standing before and after the "
                     f"hinges (found {stand_s:.1f} s, need {MIN_STILL_S:.0f} s)", quality)
    gyr = gyr_dps - offset
    sway_sd = float(np.sqrt((gyr[stand].var(axis=0)).sum()))
    quality["stand_sway_sd_dps"] = round(sway_sd, 2)
    u = _unit(acc_g[stand].mean(axis=0))
    in_hinge = np.zeros(n, dtype=bool)
    for lo, hi in hinges:
        in_hinge[lo:hi] = True
    cov = gyr[in_hinge].T @ gyr[in_hinge]
    eigval, eigvec = np.linalg.eigh(cov)
    axis = eigvec[:, -1]
    planarity = float(eigval[-1] / eigval.sum())
    quality["planarity"] = round(planarity, 3)
    hinge_rate = float(np.percentile(rate[in_hinge], 90))
    contrast = hinge_rate / max(sway, 1e-6)
    quality["hinge_to_sway"] = round(contrast, 1)

    # how far the trunk bent: the accelerometer direction furthest from u
    tilt = np.degrees(np.arccos(np.clip(acc_dir @ u, -1, 1)))
    bent = (tilt >= np.percentile(tilt[in_hinge], 95)) & in_hinge
    peak = float(tilt[bent].mean()) if bent.any() else 0.0
    quality["hinge_peak_deg"] = round(peak, 1)
    if peak < MIN_HINGE_DEG:
        return _poor(offset, f"the hip hinges were too small ({peak:.0f} deg; bow forward "
                     "30-45 deg from the hips)", quality)
    if contrast < MIN_HINGE_TO_SWAY:
        return _poor(offset, "the standing before and after the hinges moved almost as much "
                     "as the hinges; stand still for 3 s before and after", quality)
    twist = float(np.degrees(np.arcsin(min(1.0, abs(axis @ u)))))
    quality["hinge_axis_elevation_deg"] = round(twist, 1)
    if planarity < MIN_PLANARITY or twist > MAX_HINGE_TWIST_DEG:
        return _poor(offset, "the hip hinges were not a clean forward bow (twisting or "
                     "leaning sideways); bow straight forward with level hips", quality)
    l = _unit(axis - (axis @ u) * u)
    # Bowing forward by t about +l moves "up" from u to cos(t) u - sin(t) a, so
    # g_bent x u points along +l: that fixes the sign.
    g_bent = _unit(acc_dir[bent].mean(axis=0))
    if np.cross(g_bent, u) @ l < 0:
        l = -l
    # the clip sits within about 30 deg of nominal, so a hinge axis far from the
    # sensor's y axis was a sideways lean, not a bow
    off_nominal = float(np.degrees(np.arccos(np.clip(l @ NOMINAL_AXES["l"], -1, 1))))
    quality["hinge_axis_off_nominal_deg"] = round(off_nominal, 1)
    if off_nominal > MAX_AXIS_OFF_NOMINAL_DEG:
        return _poor(offset, "the hinges looked like a sideways lean, not a forward bow (or "
                     "the sensor is not clipped upright on the back); bow straight forward",
                     quality)
    a = np.cross(l, u)
    reasons = []
    if stand_s < GOOD_STILL_S:
        reasons.append(f"only {stand_s:.1f} s of standing still")
    if sway_sd > GOOD_SWAY_SD_DPS or contrast < GOOD_HINGE_TO_SWAY:
        reasons.append("a lot of sway while standing")
    if peak < GOOD_HINGE_DEG:
        reasons.append(f"small hinges ({peak:.0f} deg)")
    if planarity < GOOD_PLANARITY or twist > GOOD_HINGE_TWIST_DEG:
        reasons.append("hinges not quite straight forward")
    grade: Grade = "usable" if reasons else "good"
    return Calibration(PelvisAxes(a, l, u), offset, grade, "; ".join(reasons) or None, quality)


def _grow(mask: np.ndarray, by: int) -> np.ndarray:
    """``mask`` widened by ``by`` samples on each side."""
    if by <= 0 or not mask.any():
        return mask.copy()
    out = mask.copy()
    for lo, hi in runs(mask):
        out[max(lo - by, 0):hi + by] = True
    return out


def axes_from_posture(up_sensor: np.ndarray, up_pelvis: np.ndarray,
                      base: PelvisAxes | None = None) -> PelvisAxes:
    """Pelvis axes when the sensor's "up" is known in one posture.

    ``up_sensor``: measured up (sensor frame) while the posture's up axis
    ``up_pelvis`` (a, l, u components, from the catalogue) points up. The axes of
    ``base`` (default: nominal placement) are turned by the smallest rotation
    that makes that axis match the measurement.
    """
    base = base or PelvisAxes(**NOMINAL_AXES)
    expected = _unit(base.vector(up_pelvis))
    target = _unit(np.asarray(up_sensor, dtype=float))
    rot = _rotation_between(expected, target)
    return PelvisAxes(rot @ base.a, rot @ base.l, rot @ base.u)


def _rotation_between(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The smallest rotation matrix taking unit vector v to unit vector w."""
    axis = np.cross(v, w)
    s, c = np.linalg.norm(axis), float(v @ w)
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        # opposite: turn 180 deg about any axis perpendicular to v
        perp = _unit(np.cross(v, [1.0, 0, 0] if abs(v[0]) < 0.9 else [0, 1.0, 0]))
        return 2 * np.outer(perp, perp) - np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * (kx @ kx)
