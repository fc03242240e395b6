"""The pelvis axes when the calibration is poor or missing: the heading from the sets.

Gravity in a set's rest posture gives two of the sensor's three mounting
angles; the third, the turn about that posture's vertical (the "heading"), is
what the calibration's hinges find. Without them, the sets tell it too, in
two ways, each a direction that the medio-lateral axis ``l`` (sensor frame)
must have:

- gravity in the lying postures: side-lying, ``l`` points up (the top leg's
  side); lying on the back or the front, ``l`` is horizontal, so it is
  perpendicular to both that up and the standing up;
- the rotation axis of the exercises that turn the pelvis about ``l``
  (squats, knee drives, bridges: the catalogue's ``rotation_axis``).

Each gives one heading angle about the standing vertical; their weighted
circular mean is the estimate and their spread (never under a floor) its
uncertainty, in degrees. A cross-axis metric (drop, obliquity) picks up the
main movement times the sine of the heading error, so it is reported with
that uncertainty and does not raise a threshold flag alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipsense.analysis.calibration import NOMINAL_AXES, PelvisAxes
from hipsense.exercises import EXERCISES

#: The heading's uncertainty (deg) never goes below this from the sets alone;
#: with one clue only, it is at least ONE_CLUE_DEG; with none, the mounting's
#: range about the vertical.
MIN_UNCERTAINTY_DEG = 2.0
ONE_CLUE_DEG = 5.0
NO_CLUE_DEG = 10.0
#: A clue further than this (deg) from the others' median is an outlier.
OUTLIER_DEG = 20.0
#: The calibration's hinge axis is known to about this (deg).
CALIBRATION_UNCERTAINTY_DEG = 1.5


@dataclass(frozen=True)
class SetClue:
    """What one set tells about the heading: its exercise and side, its rest
    "up" (sensor frame, unit) and its main rotation axis (sensor frame, unit,
    either sign; None when it did not move)."""

    exercise: str
    side: str
    rest_up: np.ndarray
    rotation_axis: np.ndarray | None


@dataclass(frozen=True)
class Heading:
    """The pelvis axes (standing, sensor frame), where they came from
    ("calibration", "sets" or "nominal") and the heading's uncertainty (deg)."""

    axes: PelvisAxes
    source: str
    uncertainty_deg: float

    def to_json(self) -> dict:
        return {"source": self.source, "uncertainty_deg": round(self.uncertainty_deg, 1)}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def heading_from_sets(clues: list[SetClue]) -> Heading:
    """Estimate the pelvis axes from the sets (see the module's docstring)."""
    standing = [c.rest_up for c in clues
                if EXERCISES[c.exercise].posture in ("standing", "standing_one_leg")]
    u = _unit(np.mean(standing, axis=0)) if standing else NOMINAL_AXES["u"]
    e1 = NOMINAL_AXES["l"] - (NOMINAL_AXES["l"] @ u) * u
    e1 = _unit(e1)
    e2 = np.cross(u, e1)
    angles, weights = [], []

    def add(direction: np.ndarray, weight: float) -> None:
        flat = direction - (direction @ u) * u
        if np.linalg.norm(flat) < 0.5:  # too close to the vertical to tell a heading
            return
        if flat @ e1 < 0:  # l is within a right angle of the sensor's y axis
            flat = -flat
        angles.append(float(np.arctan2(flat @ e2, flat @ e1)))
        weights.append(weight)

    for c in clues:
        ex = EXERCISES[c.exercise]
        if ex.posture == "side_lying":
            add(c.rest_up, 1.0)
        elif ex.posture in ("supine", "prone") and standing:
            add(np.cross(u, c.rest_up), 1.0)
        if ex.rotation_axis == "l" and c.rotation_axis is not None:
            add(c.rotation_axis, 1.0)
    if not angles:
        return Heading(_axes(u, e1), "nominal", NO_CLUE_DEG)
    a, w = np.array(angles), np.array(weights)
    centre = float(np.median(a))
    keep = np.abs(np.degrees(a - centre)) <= OUTLIER_DEG
    a, w = a[keep], w[keep]
    psi = float(np.arctan2((w * np.sin(a)).sum(), (w * np.cos(a)).sum()))
    spread = float(np.degrees(np.sqrt((w * (a - psi) ** 2).sum() / w.sum())))
    floor = ONE_CLUE_DEG if a.size == 1 else MIN_UNCERTAINTY_DEG
    l = np.cos(psi) * e1 + np.sin(psi) * e2
    return Heading(_axes(u, l), "sets", max(floor, spread))


def _axes(u: np.ndarray, l: np.ndarray) -> PelvisAxes:
    return PelvisAxes(np.cross(l, u), l, u)
