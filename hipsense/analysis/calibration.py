"""Sensor-to-pelvis alignment from the calibration recording.

The recording (session-format.md): stand still, two slow hip hinges, stand
still. The vertical ``u`` is the mean accelerometer direction while still; the
medio-lateral axis ``l`` is the hinge's rotation axis (the gyroscope's principal
axis while moving) made horizontal, signed so that bowing forward is a positive
rotation about it; ``a = l x u``. The vertical comes from the quiet stands only
(before the first and after the last movement), not from the pause at the
bottom of a hinge. The gyroscope offset is its mean
while still. All vectors are unit vectors in the sensor frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hipsense.analysis.motion import moving_mask, still_mask

#: Nominal placement (+X up, +Y left, +Z backwards): pelvis axes in the sensor frame.
NOMINAL_AXES = {"a": np.array([0.0, 0.0, -1.0]), "l": np.array([0.0, 1.0, 0.0]),
                "u": np.array([1.0, 0.0, 0.0])}

MIN_STILL_S = 1.0
MIN_HINGE_DEG = 15.0
MIN_PLANARITY = 0.85
MAX_HINGE_TWIST_DEG = 30.0
MAX_AXIS_OFF_NOMINAL_DEG = 50.0


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

    ``ok`` is False when it could not be used; ``problem`` then says why in
    words a runner understands. Quality figures: still time (s), hinge peak
    (deg), planarity of the hinge rotation (1 = a pure hinge), gyroscope offset
    (deg/s).
    """

    axes: PelvisAxes | None
    gyr_offset_dps: np.ndarray
    ok: bool
    problem: str | None = None
    quality: dict[str, Any] = field(default_factory=dict)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def calibrate(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray) -> Calibration:
    """Find the pelvis axes from a calibration recording (sensor frame, g, deg/s)."""
    still = still_mask(time_s, acc_g, gyr_dps)
    dt = np.median(np.diff(time_s)) if len(time_s) > 1 else 0.01
    still_s = float(still.sum() * dt)
    offset = gyr_dps[still].mean(axis=0) if still.any() else np.median(gyr_dps, axis=0)
    quality = {"still_s": round(still_s, 2),
               "gyr_offset_dps": [round(float(x), 3) for x in offset]}
    if still_s < MIN_STILL_S:
        return Calibration(None, offset, False, "the calibration has no still standing "
                           f"(found {still_s:.1f} s, need {MIN_STILL_S:.0f} s)", quality)
    gyr = gyr_dps - offset
    moving = moving_mask(time_s, gyr) & ~still
    if moving.sum() < 10:
        return Calibration(None, offset, False, "the calibration has no hip hinge", quality)
    # the quiet stands: still before the first and after the last movement (not
    # the pause at the bottom of a hinge)
    first, last = np.flatnonzero(moving)[[0, -1]]
    stand = still.copy()
    stand[first:last + 1] = False
    quality["stand_s"] = round(float(stand.sum() * dt), 2)
    if stand.sum() * dt < MIN_STILL_S:
        return Calibration(None, offset, False, "the calibration has no still standing before "
                           "and after the hinges", quality)
    u = _unit(acc_g[stand].mean(axis=0))
    # the offset from the stands too: the slow ends of the hinges pass as still
    offset = gyr_dps[stand].mean(axis=0)
    quality["gyr_offset_dps"] = [round(float(x), 3) for x in offset]
    gyr = gyr_dps - offset
    cov = gyr[moving].T @ gyr[moving]
    eigval, eigvec = np.linalg.eigh(cov)
    axis = eigvec[:, -1]
    planarity = float(eigval[-1] / eigval.sum())
    quality["planarity"] = round(planarity, 3)

    # how far the trunk bent: the accelerometer direction furthest from u
    acc_dir = acc_g / np.linalg.norm(acc_g, axis=1)[:, None]
    tilt = np.degrees(np.arccos(np.clip(acc_dir @ u, -1, 1)))
    bent = (tilt >= np.percentile(tilt[moving], 95)) & moving
    peak = float(tilt[bent].mean()) if bent.any() else 0.0
    quality["hinge_peak_deg"] = round(peak, 1)
    if peak < MIN_HINGE_DEG:
        return Calibration(None, offset, False, f"the hip hinges were too small ({peak:.0f} "
                           f"deg; bow forward 30-45 deg from the hips)", quality)
    twist = float(np.degrees(np.arcsin(min(1.0, abs(axis @ u)))))
    quality["hinge_axis_elevation_deg"] = round(twist, 1)
    if planarity < MIN_PLANARITY or twist > MAX_HINGE_TWIST_DEG:
        return Calibration(None, offset, False, "the hip hinges were not a clean forward bow "
                           "(twisting or leaning sideways); bow straight forward with level "
                           "hips", quality)
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
        return Calibration(None, offset, False, "the hinges looked like a sideways lean, not "
                           "a forward bow (or the sensor is not clipped upright on the "
                           "back); bow straight forward", quality)
    a = np.cross(l, u)
    return Calibration(PelvisAxes(a, l, u), offset, True, None, quality)


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
