"""The pelvis axes when the calibration is poor or missing: the heading from the sets.

Gravity in a set's rest posture gives two of the sensor's three mounting
angles; the third, the turn about that posture's vertical (the "heading"), is
what the calibration's hinges find. Without them, the sets tell it too, in
two ways, each a direction that the medio-lateral axis ``l`` (sensor frame)
must have:

- gravity in the lying postures: side-lying, ``l`` points up (the top leg's
  side); lying on the back or the front, ``l`` is horizontal, so it is
  perpendicular to both that up and the standing up;
- the rotation axis of the exercises that turn the pelvis about ``l`` (the
  catalogue's ``rotation_axis``): a bridge's directly; a single-leg squat's or
  knee drive's leans with the drop it comes with, to opposite sides on the two
  legs, so only the mean of a left/right pair, and only without lying clues.

Each gives one heading angle about the standing vertical; their circular mean
is the estimate and the standard error of that mean (never under a floor) its
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
    lying: list[float] = []
    turning: dict[str, dict[str, float]] = {}

    def angle(direction: np.ndarray) -> float | None:
        flat = direction - (direction @ u) * u
        if np.linalg.norm(flat) < 0.5:  # too close to the vertical to tell a heading
            return None
        if flat @ e1 < 0:  # l is within a right angle of the sensor's y axis
            flat = -flat
        return float(np.arctan2(flat @ e2, flat @ e1))

    for c in clues:
        ex = EXERCISES[c.exercise]
        found = None
        if ex.posture == "side_lying":
            found = angle(c.rest_up)
        elif ex.posture in ("supine", "prone") and standing:
            found = angle(np.cross(u, c.rest_up))
        if found is not None:
            lying.append(found)
        if ex.rotation_axis == "l" and c.rotation_axis is not None:
            found = angle(c.rotation_axis)
            if found is not None:
                turning.setdefault(c.exercise, {})[c.side] = found
    # A bridge turns about l with obliquity of either sign: a clue like the lying
    # postures. A one-leg exercise's axis leans with its drop (which is what is
    # measured), to opposite sides on the two legs: only a left/right pair's
    # mean tells the heading, and only when nothing better does.
    lying += [a for sides in turning.values() if "both" in sides for a in sides.values()]
    if lying:
        return _combine(u, e1, e2, np.array(lying), MIN_UNCERTAINTY_DEG)
    pairs = [(v["left"], v["right"]) for v in turning.values() if "left" in v and "right" in v]
    if pairs:
        means = np.array([0.5 * (a + b) for a, b in pairs])
        half_gap = max(abs(np.degrees(a - b)) / 2 for a, b in pairs)
        heading = _combine(u, e1, e2, means, ONE_CLUE_DEG)
        return Heading(heading.axes, "sets", max(heading.uncertainty_deg,
                                                 min(half_gap, NO_CLUE_DEG)))
    return Heading(_axes(u, e1), "nominal", NO_CLUE_DEG)


def _combine(u: np.ndarray, e1: np.ndarray, e2: np.ndarray, angles: np.ndarray,
             floor_deg: float) -> Heading:
    """One heading from several angles (rad, about u from e1): outliers dropped,
    the circular mean, and the standard error of the mean (never under
    ``floor_deg``, and never under ONE_CLUE_DEG from a single clue)."""
    centre = float(np.median(angles))
    angles = angles[np.abs(np.degrees(angles - centre)) <= OUTLIER_DEG]
    psi = float(np.arctan2(np.sin(angles).sum(), np.cos(angles).sum()))
    spread = float(np.degrees(np.sqrt(np.mean((angles - psi) ** 2))))
    floor = ONE_CLUE_DEG if angles.size == 1 else floor_deg
    l = np.cos(psi) * e1 + np.sin(psi) * e2
    return Heading(_axes(u, l), "sets", max(floor, spread / np.sqrt(angles.size)))


def _axes(u: np.ndarray, l: np.ndarray) -> PelvisAxes:
    return PelvisAxes(np.cross(l, u), l, u)
